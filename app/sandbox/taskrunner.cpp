#include "sandbox/taskrunner.h"

#include "core/logging.h"
#include "sandbox/agents.h"
#include "sandbox/netns.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace pier::sandbox {

struct TaskRunner::Mailbox {
    std::mutex mutex;
    TaskRunner *runner = nullptr;
};

struct TaskRunner::Check {
    QJsonObject def;
    QTimer *timer = nullptr;
    bool probing = false;
    bool alive = false;
    bool succeededOnce = false;
    int consecutiveFailures = 0;
    QString lastCause;
};

struct TaskRunner::Proc {
    TaskLaunch task;
    RunnerAgent agent;
    QProcess *process = nullptr;
    qint64 pid = -1;
    QElapsedTimer since; // started
    QTimer *listenPoll = nullptr;
    bool listening = false;
    bool killing = false; // asked to stop: its end is no failure
    QList<Check> checks;
    bool aggregateAlive = false;
    bool reportedHealth = false;
};

namespace {

QString signalName(int sig)
{
    const char *name = ::sigabbrev_np(sig);
    return name ? u"SIG"_s + QLatin1String(name) : QString::number(sig);
}

// Ports in LISTEN state in the network namespace of PID (its /proc/PID/net/tcp).
QSet<int> listeningPorts(qint64 pid)
{
    QSet<int> ports;
    QFile f(u"/proc/%1/net/tcp"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return ports;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> fields = lines.at(i).simplified().split(' ');
        if (fields.size() > 3 && fields.at(3) == "0A")
            ports.insert(fields.at(1).mid(fields.at(1).indexOf(':') + 1).toInt(nullptr, 16));
    }
    return ports;
}

// One health check probe, blocking, in the calling thread's network namespace. Marathon counts
// HTTP 200-399 as healthy.
bool probeOnce(const QString &protocol, const QHostAddress &address, int port, const QString &path,
               int timeoutMs, QString *cause)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *cause = QString::fromLocal8Bit(std::strerror(errno));
        return false;
    }
    QElapsedTimer timer;
    timer.start();
    auto left = [&] { return int(std::max<qint64>(0, timeoutMs - timer.elapsed())); };
    auto done = [&](bool ok, const QString &why) {
        ::close(fd);
        *cause = why;
        return ok;
    };
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(quint16(port));
    a.sin_addr.s_addr = htonl(address.toIPv4Address());
    if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 && errno != EINPROGRESS)
        return done(false, QString::fromLocal8Bit(std::strerror(errno)));
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, left()) <= 0)
        return done(false, u"Connection timed out"_s);
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0)
        return done(false, QString::fromLocal8Bit(std::strerror(err)));
    if (protocol == u"TCP"_s || protocol == u"MESOS_TCP"_s)
        return done(true, {});
    const QByteArray request = "GET " + (path.isEmpty() ? QByteArray("/") : path.toUtf8()) +
                               " HTTP/1.1\r\nHost: " + address.toString().toLatin1() + ':' +
                               QByteArray::number(port) +
                               "\r\nUser-Agent: Marathon\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) != request.size())
        return done(false, u"cannot send the request"_s);
    QByteArray reply;
    char buf[512];
    while (!reply.contains("\r\n") && reply.size() < 4096) {
        p = {fd, POLLIN, 0};
        if (::poll(&p, 1, left()) <= 0)
            return done(false, u"Read timed out"_s);
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        reply.append(buf, n);
    }
    const int status = QString::fromLatin1(reply).section(u' ', 1, 1).toInt();
    if (status >= 200 && status < 400)
        return done(true, {});
    return done(false, status > 0 ? u"%1"_s.arg(status) : u"no HTTP answer"_s);
}

QByteArray nginxConfig(const QString &dir, const QList<int> &ports)
{
    QByteArray listen;
    for (int port : ports)
        listen += "        listen 0.0.0.0:" + QByteArray::number(port) + ";\n";
    const QByteArray d = QFile::encodeName(dir);
    // Debian's default site, with every path the task's own so tasks never share files.
    return "# Written by the Pier sandbox for one Marathon task\n"
           "user www-data;\nworker_processes 1;\npid " +
           d +
           "/nginx.pid;\n"
           "error_log " +
           d +
           "/error.log;\n"
           "events { worker_connections 128; }\n"
           "http {\n"
           "    include /etc/nginx/mime.types;\n"
           "    default_type application/octet-stream;\n"
           "    access_log " +
           d +
           "/access.log;\n"
           "    client_body_temp_path " +
           d +
           "/tmp/body;\n"
           "    proxy_temp_path " +
           d +
           "/tmp/proxy;\n"
           "    fastcgi_temp_path " +
           d +
           "/tmp/fastcgi;\n"
           "    uwsgi_temp_path " +
           d +
           "/tmp/uwsgi;\n"
           "    scgi_temp_path " +
           d +
           "/tmp/scgi;\n"
           "    server {\n" +
           listen +
           "        root /usr/share/nginx/html;\n"
           "        index index.html index.htm index.nginx-debian.html;\n"
           "        server_name _;\n"
           "        location / { try_files $uri $uri/ =404; }\n"
           "    }\n"
           "}\n";
}

void signalGroup(qint64 pid, int sig)
{
    if (pid > 0)
        ::kill(pid_t(-pid), sig); // the task's process group: nginx's workers too
}

} // namespace

TaskRunner::TaskRunner(const Options &options, QObject *parent)
    : QObject(parent), m_options(options), m_mailbox(std::make_shared<Mailbox>())
{
    m_mailbox->runner = this;
    if (m_options.taskServer.isEmpty())
        m_options.taskServer = findTaskServer();
    // Tasks start in the agent's mount namespace, where /home, /tmp and /run are the node's own:
    // a pier built in a home directory or under /tmp would not be found there. The state dir is
    // visible in every node, so the task server runs from a copy in it.
    if (!m_options.taskServer.isEmpty() && !m_options.stateDir.isEmpty()) {
        const QString dir = m_options.stateDir + u"/bin"_s;
        const QString copy = dir + u"/pier-task-server"_s;
        QDir().mkpath(dir);
        QFile::remove(copy);
        if (QFile::copy(m_options.taskServer, copy) &&
            QFile::setPermissions(copy, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                            QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther |
                                            QFile::ExeOther))
            m_options.taskServer = copy;
    }
}

TaskRunner::~TaskRunner()
{
    {
        std::lock_guard<std::mutex> lock(m_mailbox->mutex);
        m_mailbox->runner = nullptr;
    }
    stopAll();
}

std::shared_ptr<AgentPool> TaskRunner::placementCluster() const
{
    AgentPool::Options o;
    if (!m_options.clusterName.isEmpty())
        o.name = m_options.clusterName;
    if (!m_options.masterAddress.isEmpty())
        o.masterAddress = m_options.masterAddress;
    o.masterHostname = m_options.masterHostname;
    for (const RunnerAgent &a : m_options.agents)
        o.hostnames.append(a.hostname);
    o.count = int(o.hostnames.size());
    auto cluster = std::make_shared<AgentPool>(o);
    for (qsizetype i = 0; i < cluster->agents().size(); ++i)
        cluster->agents()[i].address = m_options.agents.at(i).address;
    return cluster;
}

QString TaskRunner::findTaskServer()
{
    const QString dir = QCoreApplication::applicationDirPath();
    const QString env = qEnvironmentVariable("PIER_TASK_SERVER");
    for (const QString &candidate :
         {env, dir + u"/pier-task-server"_s, dir + u"/../lib/pier/pier-task-server"_s}) {
        if (!candidate.isEmpty() && QFileInfo(candidate).isExecutable())
            return QFileInfo(candidate).canonicalFilePath();
    }
    return {};
}

bool TaskRunner::isNginxImage(const QString &image)
{
    // [registry/][namespace/]nginx[:tag][@digest]
    static const QRegularExpression re(u"^(?:[^/]+/)*nginx(?::[^/@]*)?(?:@.*)?$"_s);
    return re.match(image.trimmed()).hasMatch();
}

const RunnerAgent *TaskRunner::agent(const QString &hostname) const
{
    for (const RunnerAgent &a : m_options.agents) {
        if (a.hostname == hostname || a.address == hostname)
            return &a;
    }
    return nullptr;
}

QString TaskRunner::taskDir(const QString &taskId) const
{
    return m_options.stateDir + u"/tasks/"_s + taskId;
}

bool TaskRunner::launch(const TaskLaunch &task, QString *error)
{
    const RunnerAgent *where = agent(task.host);
    if (!where) {
        *error = u"no agent %1 to run task %2 on"_s.arg(task.host, task.taskId);
        return false;
    }
    const QString dir = taskDir(task.taskId);
    if (!QDir().mkpath(dir + u"/tmp"_s)) {
        *error = u"cannot create %1"_s.arg(dir);
        return false;
    }
    QString program;
    QStringList args;
    if (isNginxImage(task.image)) {
        QFile conf(dir + u"/nginx.conf"_s);
        if (!conf.open(QIODevice::WriteOnly) || conf.write(nginxConfig(dir, task.ports)) < 0) {
            *error = u"cannot write %1"_s.arg(conf.fileName());
            return false;
        }
        program = findProgram(u"nginx"_s);
        if (program.isEmpty()) {
            *error = u"nginx is not installed (apt-get install nginx-light)"_s;
            return false;
        }
        args = {u"-p"_s,         dir,     u"-e"_s,         dir + u"/error.log"_s, u"-c"_s,
                conf.fileName(), u"-g"_s, u"daemon off;"_s};
    } else {
        program = m_options.taskServer;
        if (program.isEmpty()) {
            *error = u"pier-task-server is missing: it belongs next to the pier binary (or set "
                     u"PIER_TASK_SERVER)"_s;
            return false;
        }
        args = {task.image.isEmpty() ? u"(cmd) "_s + task.cmd : task.image};
    }

    // As Mesos and Marathon set them for a task.
    QProcessEnvironment env;
    env.insert(u"PATH"_s, u"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"_s);
    for (auto it = task.env.constBegin(); it != task.env.constEnd(); ++it) {
        if (it.value().isString())
            env.insert(it.key(), it.value().toString());
    }
    QStringList portList;
    for (qsizetype i = 0; i < task.ports.size(); ++i) {
        env.insert(u"PORT%1"_s.arg(i), QString::number(task.ports.at(i)));
        portList.append(QString::number(task.ports.at(i)));
    }
    if (!task.ports.isEmpty())
        env.insert(u"PORT"_s, portList.first());
    env.insert(u"PORTS"_s, portList.join(u','));
    env.insert(u"HOST"_s, where->hostname);
    env.insert(u"MESOS_TASK_ID"_s, task.taskId);
    env.insert(u"MESOS_SANDBOX"_s, dir);
    env.insert(u"MARATHON_APP_ID"_s, task.appId);
    env.insert(u"MARATHON_APP_VERSION"_s, task.version);
    env.insert(u"MARATHON_APP_DOCKER_IMAGE"_s, task.image);
    env.insert(u"PIER_TASK_IMAGE"_s, task.image);

    auto p = std::make_shared<Proc>();
    p->task = task;
    p->agent = *where;
    p->process = new QProcess(this);
    p->process->setProgram(findProgram(u"nsenter"_s));
    p->process->setArguments(nsenterArgs(where->netns, where->mntnsFile, program, args));
    p->process->setProcessEnvironment(env);
    p->process->setWorkingDirectory(dir);
    p->process->setStandardInputFile(QProcess::nullDevice());
    p->process->setStandardOutputFile(dir + u"/stdout"_s);
    p->process->setStandardErrorFile(dir + u"/stderr"_s);
    // Its own process group, so stopping the task stops everything it forked.
    p->process->setChildProcessModifier([] { ::setsid(); });
    const QString taskId = task.taskId;
    connect(p->process, &QProcess::finished, this,
            [this, taskId](int code, QProcess::ExitStatus status) {
                finished(taskId, code, status == QProcess::CrashExit);
            });
    p->process->start();
    if (!p->process->waitForStarted(5000)) {
        *error =
            u"cannot start %1 for task %2: %3"_s.arg(program, taskId, p->process->errorString());
        p->process->disconnect(this);
        delete p->process;
        return false;
    }
    p->pid = p->process->processId();
    p->since.start();
    p->listenPoll = new QTimer(p->process);
    connect(p->listenPoll, &QTimer::timeout, this, [this, taskId] { checkListening(taskId); });
    p->listenPoll->start(25);
    m_procs.insert(taskId, p);
    qCInfo(lcSandbox) << "task" << taskId << "started on" << where->hostname << "pid" << p->pid
                      << QFileInfo(program).fileName() << "ports" << task.ports;
    return true;
}

void TaskRunner::checkListening(const QString &taskId)
{
    const auto p = m_procs.value(taskId);
    if (!p || p->listening || p->killing)
        return;
    const QSet<int> open = listeningPorts(p->pid);
    bool all = true;
    for (int port : std::as_const(p->task.ports))
        all = all && open.contains(port);
    if (all) {
        p->listening = true;
        p->listenPoll->stop();
        emit running(taskId);
        startHealthChecks(*p);
        return;
    }
    if (p->since.elapsed() > m_options.listenTimeoutMs) {
        p->listenPoll->stop();
        const QString message = u"the task did not listen on its ports %1 within %2 s"_s
                                    .arg(QString::number(p->task.ports.value(0)))
                                    .arg(m_options.listenTimeoutMs / 1000);
        kill(taskId);
        emit exited(taskId, message);
    }
}

void TaskRunner::finished(const QString &taskId, int exitCode, bool crashed)
{
    const auto p = m_procs.take(taskId);
    if (!p)
        return;
    signalGroup(p->pid, SIGKILL); // whatever it left behind (nginx workers of a killed master)
    for (Check &c : p->checks)
        delete c.timer;
    p->checks.clear();
    p->process->deleteLater();
    if (p->killing)
        return;
    QString message;
    if (crashed) {
        // For a process killed by a signal, QProcess's exit code is the signal's number.
        message = u"Command terminated with signal %1"_s.arg(signalName(exitCode));
    } else {
        message = u"Command exited with status %1"_s.arg(exitCode);
    }
    QFile err(taskDir(taskId) + u"/stderr"_s);
    if (err.open(QIODevice::ReadOnly)) {
        const QString last = QString::fromLocal8Bit(err.readAll()).trimmed().section(u'\n', -1);
        if (!last.isEmpty() && !crashed)
            message += u": "_s + last;
    }
    qCInfo(lcSandbox) << "task" << taskId << "ended:" << message;
    emit exited(taskId, message);
}

void TaskRunner::kill(const QString &taskId)
{
    const auto p = m_procs.value(taskId);
    if (!p || p->killing)
        return;
    p->killing = true;
    for (Check &c : p->checks) {
        if (c.timer)
            c.timer->stop();
    }
    signalGroup(p->pid, SIGTERM);
    signalGroup(p->pid, SIGCONT); // a stopped task handles its SIGTERM now, as systemd does
    const qint64 pid = p->pid;
    QPointer<QProcess> process = p->process;
    QTimer::singleShot(m_options.killGraceMs, this, [process, pid] {
        if (process && process->state() != QProcess::NotRunning)
            signalGroup(pid, SIGKILL);
    });
}

void TaskRunner::stopAll()
{
    const auto procs = m_procs.values();
    for (const auto &p : procs) {
        p->killing = true;
        signalGroup(p->pid, SIGTERM);
        signalGroup(p->pid, SIGCONT);
    }
    QElapsedTimer t;
    t.start();
    for (const auto &p : procs) {
        const int left = int(std::max<qint64>(0, m_options.killGraceMs - t.elapsed()));
        if (!p->process->waitForFinished(left)) {
            signalGroup(p->pid, SIGKILL);
            p->process->waitForFinished(2000);
        }
        signalGroup(p->pid, SIGKILL);
    }
    for (const auto &p : procs) {
        if (m_procs.value(p->task.taskId) == p)
            finished(p->task.taskId, 0, false);
    }
}

qint64 TaskRunner::pid(const QString &taskId) const
{
    const auto p = m_procs.value(taskId);
    return p && !p->killing ? p->pid : -1;
}

QStringList TaskRunner::taskIds() const
{
    return m_procs.keys();
}

// ---- health checks ---------------------------------------------------------------------

void TaskRunner::startHealthChecks(Proc &p)
{
    const QString taskId = p.task.taskId;
    for (const QJsonValue &v : std::as_const(p.task.healthChecks)) {
        const QJsonObject def = v.toObject();
        const QString protocol = def.value(u"protocol"_s).toString(u"HTTP"_s);
        if (protocol == u"COMMAND"_s)
            continue; // would run inside the task's container; nothing to run it in here
        Check c;
        c.def = def;
        p.checks.append(c);
    }
    for (qsizetype i = 0; i < p.checks.size(); ++i) {
        Check &c = p.checks[i];
        c.timer = new QTimer(p.process);
        const int index = int(i);
        connect(c.timer, &QTimer::timeout, this,
                [this, taskId, index] { runCheck(taskId, index); });
        c.timer->start(std::max(1, int(c.def.value(u"intervalSeconds"_s).toDouble(60) * 1000)));
        runCheck(taskId, index); // Marathon probes once at start, then every interval
    }
}

void TaskRunner::runCheck(const QString &taskId, int index)
{
    const auto p = m_procs.value(taskId);
    if (!p || p->killing || index >= p->checks.size())
        return;
    Check &c = p->checks[index];
    if (c.probing)
        return;
    c.probing = true;
    const QString protocol = c.def.value(u"protocol"_s).toString(u"HTTP"_s);
    int port = c.def.value(u"port"_s).toInt();
    if (port <= 0)
        port = p->task.ports.value(c.def.value(u"portIndex"_s).toInt(0));
    const QString path = c.def.value(u"path"_s).toString(u"/"_s);
    const int timeoutMs = int(c.def.value(u"timeoutSeconds"_s).toDouble(20) * 1000);
    const QHostAddress address(p->agent.address);
    const QString netns = m_options.probeNetns.isEmpty() ? p->agent.netns : m_options.probeNetns;
    const std::shared_ptr<Mailbox> mailbox = m_mailbox;
    std::thread([=] {
        bool ok = false;
        QString cause;
        QString error;
        if (!runInNamespaceThread(
                netns, {},
                [&] { ok = probeOnce(protocol, address, port, path, timeoutMs, &cause); }, &error))
            cause = error;
        std::lock_guard<std::mutex> lock(mailbox->mutex);
        if (TaskRunner *r = mailbox->runner) {
            QMetaObject::invokeMethod(
                r, [r, taskId, index, ok, cause] { r->checkResult(taskId, index, ok, cause); },
                Qt::QueuedConnection);
        }
    }).detach();
}

void TaskRunner::checkResult(const QString &taskId, int index, bool ok, const QString &cause)
{
    const auto p = m_procs.value(taskId);
    if (!p || p->killing || index >= p->checks.size())
        return;
    Check &c = p->checks[index];
    c.probing = false;
    if (ok) {
        c.alive = true;
        c.succeededOnce = true;
        c.consecutiveFailures = 0;
    } else {
        // Failures in the grace period count only once a check has passed, as in Marathon.
        const qint64 graceMs = qint64(c.def.value(u"gracePeriodSeconds"_s).toDouble(300) * 1000);
        if (!c.succeededOnce && p->since.elapsed() < graceMs)
            return;
        c.alive = false;
        ++c.consecutiveFailures;
        c.lastCause = cause;
    }
    bool alive = true;
    int failures = 0;
    QString why;
    for (const Check &x : std::as_const(p->checks)) {
        alive = alive && x.alive;
        if (x.consecutiveFailures > failures) {
            failures = x.consecutiveFailures;
            why = x.lastCause;
        }
    }
    if (!p->reportedHealth || alive != p->aggregateAlive || !ok) {
        p->reportedHealth = true;
        p->aggregateAlive = alive;
        emit healthChanged(taskId, alive, failures, why);
    }
    const int max = c.def.value(u"maxConsecutiveFailures"_s).toInt(3);
    if (!ok && max > 0 && c.consecutiveFailures >= max) {
        qCInfo(lcSandbox) << "task" << taskId << "failed" << c.consecutiveFailures
                          << "health checks in a row:" << cause;
        emit unhealthy(taskId, cause);
    }
}

} // namespace pier::sandbox
