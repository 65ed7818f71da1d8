#include "cli/sandboxcmd.h"

#include "cli/sandboxnet.h"
#include "core/networkproxy.h"
#include "core/profilestore.h"
#include "sandbox/cluster.h"
#include "sandbox/faults.h"
#include "sandbox/netns.h"
#include "sandbox/sandboxdaemon.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSaveFile>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QTextStream>
#include <QThread>
#include <QTimer>

#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pier::cli {

namespace {

using sandbox::Cluster;
using sandbox::ClusterStatus;
using sandbox::DaemonInfo;

const QString kProfileName = QStringLiteral("sandbox");

QTextStream &sout()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &serr()
{
    static QTextStream s(stderr);
    return s;
}

int fail(const QString &message, int code = 1)
{
    serr() << "pier: " << message << "\n";
    serr().flush();
    return code;
}

Cluster makeCluster()
{
    return Cluster(qEnvironmentVariable("PIER_SANDBOX_ID", QStringLiteral("pier")),
                   qEnvironmentVariable("PIER_SANDBOX_DIR"));
}

bool pidAlive(qint64 pid)
{
    if (pid <= 0 || ::kill(pid_t(pid), 0) != 0)
        return false;
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray stat = f.readAll();
    const int close = stat.lastIndexOf(')');
    return close < 0 || stat.mid(close + 2, 1) != "Z";
}

// The pid of this sandbox's daemon when it runs: the pid file's, checked to be a `pier sandbox
// serve` for this id (a pid can be reused after a crash).
qint64 daemonPid(const Cluster &cluster)
{
    QFile f(sandbox::daemonPidFile(cluster.stateDir()));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const qint64 pid = f.readAll().trimmed().toLongLong();
    if (!pidAlive(pid))
        return -1;
    QFile cmd(QStringLiteral("/proc/%1/cmdline").arg(pid));
    QFile env(QStringLiteral("/proc/%1/environ").arg(pid));
    if (!cmd.open(QIODevice::ReadOnly) || !env.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray cmdline = cmd.readAll();
    const QByteArray environ = '\0' + env.readAll();
    if (!cmdline.contains(QByteArray("sandbox\0serve", 13)) ||
        !environ.contains('\0' + ("PIER_SANDBOX_ID=" + cluster.id().toLatin1()) + '\0'))
        return -1;
    return pid;
}

// Without root: ends every process left in the sandbox's user namespace (a daemon that was killed
// cannot take its network down; its namespaces go with their last process). True when none is
// left.
quint64 sandboxUserNamespace(const Cluster &cluster)
{
    QFile f(cluster.stateFile());
    if (::geteuid() == 0 || !f.open(QIODevice::ReadOnly))
        return 0;
    return quint64(QJsonDocument::fromJson(f.readAll())
                       .object()
                       .value(QStringLiteral("user_namespace"))
                       .toInteger());
}

bool endUserNamespace(quint64 userns, QString *error)
{
    if (userns == 0)
        return true;
    auto members = [&] {
        QList<qint64> pids;
        for (const QString &p :
             QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            bool isPid = false;
            const qint64 pid = p.toLongLong(&isPid);
            if (isPid && pid != ::getpid() &&
                sandbox::namespaceInode(QStringLiteral("/proc/%1/ns/user").arg(p)) == userns &&
                pidAlive(pid))
                pids << pid;
        }
        return pids;
    };
    QElapsedTimer t;
    t.start();
    QList<qint64> left = members();
    while (!left.isEmpty() && t.elapsed() < 5000) {
        for (qint64 pid : std::as_const(left))
            ::kill(pid_t(pid), SIGKILL);
        QThread::msleep(20);
        left = members();
    }
    if (!left.isEmpty()) {
        *error = QStringLiteral("processes of the sandbox's user namespace do not end: %1")
                     .arg(QString::number(left.first()));
        return false;
    }
    return true;
}

std::optional<DaemonInfo> readDaemonInfo(const Cluster &cluster)
{
    QFile f(sandbox::daemonInfoFile(cluster.stateDir()));
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll());
    if (!doc.isObject())
        return std::nullopt;
    return DaemonInfo::fromJson(doc.object());
}

// The running daemon's info, or nullopt when it does not run (or has not started serving yet).
std::optional<DaemonInfo> runningDaemon(const Cluster &cluster)
{
    const qint64 pid = daemonPid(cluster);
    if (pid <= 0)
        return std::nullopt;
    std::optional<DaemonInfo> info = readDaemonInfo(cluster);
    if (info && info->pid != pid)
        return std::nullopt;
    return info;
}

// STOP_MS: how long the daemon may take to end by itself (without root it takes the network
// down too).
bool stopDaemon(const Cluster &cluster, QString *error, int stopMs = 5000)
{
    const qint64 pid = daemonPid(cluster);
    if (pid <= 0)
        return true;
    ::kill(pid_t(pid), SIGTERM);
    QElapsedTimer t;
    t.start();
    while (pidAlive(pid) && t.elapsed() < (::geteuid() != 0 ? stopMs : 5000))
        QThread::msleep(5);
    if (pidAlive(pid)) {
        ::kill(pid_t(pid), SIGKILL);
        while (pidAlive(pid) && t.elapsed() < (::geteuid() != 0 ? stopMs : 5000) + 3000)
            QThread::msleep(5);
    }
    if (pidAlive(pid)) {
        *error = QStringLiteral("the sandbox daemon (pid %1) does not stop").arg(pid);
        return false;
    }
    QFile::remove(sandbox::daemonPidFile(cluster.stateDir()));
    return true;
}

// Starts `pier sandbox serve` detached (its own session, no terminal), logging to
// STATE/logs/daemon.log. Returns its pid, or -1.
// Without root (USER_NAMESPACE), the daemon runs in a user and mount namespace of its own where it
// holds every capability, makes the network itself and takes it down when it ends; NET_ARGS are
// the network's options. *LOG_FD (if given) keeps the log readable even once the daemon removed
// its state dir.
qint64 startDaemon(const Cluster &cluster, bool legacy, int proxyPort, QString *error,
                   bool userNamespace = false, const QStringList &netArgs = {},
                   int *logFd = nullptr)
{
    const QString logDir = sandbox::sandboxLogDir(cluster.stateDir());
    QDir().mkpath(logDir);
    const QByteArray program = QFile::encodeName(QCoreApplication::applicationFilePath());
    QList<QByteArray> args;
    if (userNamespace)
        args << QFile::encodeName(sandbox::findProgram(QStringLiteral("unshare")))
             << "--map-current-user"
             << "--keep-caps"
             << "--mount"
             << "--";
    args << program << "sandbox"
         << "serve";
    for (const QString &a : netArgs)
        args << a.toLocal8Bit();
    if (legacy)
        args << "--legacy";
    if (proxyPort > 0)
        args << "--port" << QByteArray::number(proxyPort);
    std::vector<char *> argv;
    for (QByteArray &a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    // The daemon finds its sandbox as this process did.
    qputenv("PIER_SANDBOX_ID", cluster.id().toLatin1());
    qputenv("PIER_SANDBOX_DIR", QFile::encodeName(cluster.stateDir()));
    const int log = ::open(QFile::encodeName(logDir + QStringLiteral("/daemon.log")).constData(),
                           O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log < 0 || null < 0) {
        *error = QStringLiteral("cannot open %1/daemon.log").arg(logDir);
        return -1;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setsid();
        ::dup2(null, 0);
        ::dup2(log, 1);
        ::dup2(log, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    if (logFd)
        *logFd = ::fcntl(log, F_DUPFD_CLOEXEC, 0);
    ::close(log);
    ::close(null);
    if (pid < 0) {
        *error = QStringLiteral("cannot start the sandbox daemon (fork failed)");
        return -1;
    }
    QSaveFile pidFile(sandbox::daemonPidFile(cluster.stateDir()));
    pidFile.open(QIODevice::WriteOnly);
    pidFile.write(QByteArray::number(pid) + '\n');
    pidFile.commit();
    return pid;
}

// The faults the running daemon applies (none when it wrote nothing).
sandbox::FaultSettings appliedFaults(const Cluster &cluster)
{
    QFile f(sandbox::faultsAppliedFile(cluster.stateDir()));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return sandbox::FaultSettings::fromJson(QJsonDocument::fromJson(f.readAll()).object());
}

QString tail(const QString &path, int lines)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QStringList all = QString::fromUtf8(f.readAll()).trimmed().split(QLatin1Char('\n'));
    return all.mid(std::max<qsizetype>(0, all.size() - lines)).join(QLatin1Char('\n'));
}

// What answers through the proxy, as a user's tools would see it: Marathon, Mesos, every sshd.
struct Answers {
    bool marathon = false;
    bool mesos = false;
    QHash<QString, bool> ssh; // node name -> answered
    bool all() const
    {
        if (!marathon || !mesos)
            return false;
        for (bool b : ssh)
            if (!b)
                return false;
        return true;
    }
    QStringList missing() const
    {
        QStringList m;
        if (!marathon)
            m << QStringLiteral("Marathon");
        if (!mesos)
            m << QStringLiteral("Mesos");
        for (auto it = ssh.begin(); it != ssh.end(); ++it)
            if (!it.value())
                m << QStringLiteral("sshd on ") + it.key();
        return m;
    }
};

Answers probeThroughProxy(const DaemonInfo &info, const ClusterStatus &s, int timeoutMs)
{
    Answers answers;
    QNetworkProxy proxy;
    parseSocksProxy(info.proxyUrl, &proxy);
    QNetworkAccessManager nam;
    nam.setProxy(proxy);
    QEventLoop loop;
    QElapsedTimer clock;
    clock.start();
    int pending = 0;
    auto done = [&] {
        if (--pending == 0 || answers.all())
            loop.quit();
    };
    std::function<void(const QUrl &, bool *)> http = [&](const QUrl &url, bool *ok) {
        QNetworkRequest request(url);
        request.setTransferTimeout(std::max(100, timeoutMs - int(clock.elapsed())));
        QNetworkReply *reply = nam.get(request);
        QObject::connect(reply, &QNetworkReply::finished, &loop, [&, reply, url, ok] {
            reply->deleteLater();
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (status >= 200 && status < 300) {
                *ok = true;
                return done();
            }
            if (clock.elapsed() + 50 > timeoutMs)
                return done();
            QTimer::singleShot(50, &loop, [&, url, ok] { http(url, ok); });
        });
    };
    std::function<void(const QString &, const QString &)> ssh = [&](const QString &name,
                                                                    const QString &address) {
        auto *socket = new QTcpSocket(&loop);
        socket->setProxy(proxy);
        auto retry = [&, socket, name, address] {
            socket->deleteLater();
            if (clock.elapsed() + 50 > timeoutMs)
                return done();
            QTimer::singleShot(50, &loop, [&, name, address] { ssh(name, address); });
        };
        QObject::connect(socket, &QTcpSocket::readyRead, &loop, [&, socket, name] {
            if (socket->canReadLine() || socket->bytesAvailable() >= 4) {
                answers.ssh[name] = socket->peek(4) == "SSH-";
                socket->disconnect();
                socket->abort();
                socket->deleteLater();
                done();
            }
        });
        QObject::connect(socket, &QTcpSocket::errorOccurred, &loop, retry);
        socket->connectToHost(address, 22);
    };
    pending = 2 + int(s.nodes.size());
    for (const sandbox::ClusterNode &n : s.nodes) {
        answers.ssh.insert(n.name, false);
        ssh(n.name, n.address);
    }
    http(QUrl(info.marathonUrl + QStringLiteral("/ping")), &answers.marathon);
    http(QUrl(info.mesosUrl + QStringLiteral("/master/state.json")), &answers.mesos);
    QTimer::singleShot(timeoutMs + 200, &loop, &QEventLoop::quit);
    loop.exec();
    return answers;
}

QString previousProfileFile(const Cluster &cluster)
{
    return cluster.stateDir() + QStringLiteral("/previous-profile.json");
}

// Makes the profile "sandbox" describe this sandbox and makes it active, remembering (once) which
// profile was active before, for `down`.
bool activateProfile(const Cluster &cluster, const ClusterStatus &s, const DaemonInfo &info,
                     QString *error)
{
    ProfileStore store;
    if (!QFileInfo::exists(previousProfileFile(cluster))) {
        const QJsonObject previous{
            {QStringLiteral("store"), QFileInfo(store.filePath()).absolutePath()},
            {QStringLiteral("active"), store.activeName()}};
        QSaveFile f(previousProfileFile(cluster));
        const QByteArray data = QJsonDocument(previous).toJson();
        if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
            *error = QStringLiteral("cannot write %1").arg(f.fileName());
            return false;
        }
    }
    Profile p;
    p.name = kProfileName;
    p.marathonUrl = info.marathonUrl;
    p.mesosUrl = info.mesosUrl;
    p.socksProxy = info.proxyUrl;
    p.sshUser = s.sshUser;
    p.sshKeyFile = s.sshKeyFile;
    p.sshKnownHosts = s.knownHostsFile;
    p.sshPort = 22;
    p.gceProject = info.gceProject;
    p.gceRegion = info.gceRegion;
    p.gceZone = info.gceZone;
    p.gceEndpoint = info.gceEndpoint;
    p.gceKeyFile = info.gceKeyFile;
    p.gceCredentials = Profile::GceCredentials::ServiceAccountKey;
    ApiError e;
    if (!store.upsert(p, &e) || !store.setActive(kProfileName, &e)) {
        *error = e.toText();
        return false;
    }
    return true;
}

// Gives back the profile that was active before `up` and removes the sandbox's own.
QString restoreProfile(const QJsonObject &previous)
{
    const QString dir = previous.value(QStringLiteral("store")).toString();
    if (dir.isEmpty())
        return {};
    ProfileStore store(dir);
    const QString before = previous.value(QStringLiteral("active")).toString();
    ApiError e;
    if (store.activeName() == kProfileName)
        store.setActive(store.contains(before) ? before : QString(), &e);
    if (store.contains(kProfileName))
        store.remove(kProfileName, &e);
    return store.activeName();
}

QJsonObject profileJson(const ClusterStatus &s, const DaemonInfo &info)
{
    QJsonArray nodes;
    for (const sandbox::ClusterNode &n : s.nodes)
        nodes.append(QJsonObject{{QStringLiteral("name"), n.name},
                                 {QStringLiteral("address"), n.address},
                                 {QStringLiteral("external_address"), n.externalAddress},
                                 {QStringLiteral("role"), n.role}});
    return {{QStringLiteral("id"), s.id},
            {QStringLiteral("state_dir"), s.stateDir},
            {QStringLiteral("profile"), kProfileName},
            {QStringLiteral("marathon"), info.marathonUrl},
            {QStringLiteral("mesos"), info.mesosUrl},
            {QStringLiteral("proxy"), info.proxyUrl},
            {QStringLiteral("ssh_user"), s.sshUser},
            {QStringLiteral("ssh_key_file"), s.sshKeyFile},
            {QStringLiteral("known_hosts"), s.knownHostsFile},
            {QStringLiteral("nodes"), nodes},
            {QStringLiteral("gce_endpoint"), info.gceEndpoint},
            {QStringLiteral("gce_project"), info.gceProject},
            {QStringLiteral("gce_region"), info.gceRegion},
            {QStringLiteral("gce_zone"), info.gceZone},
            {QStringLiteral("gce_key_file"), info.gceKeyFile},
            {QStringLiteral("daemon_pid"), info.pid}};
}

void printProfile(const ClusterStatus &s, const DaemonInfo &info, const QString &headline)
{
    const QString proxyHostPort = QUrl(info.proxyUrl).authority();
    sout() << headline << "\n\n"
           << "Marathon: " << info.marathonUrl << "\n"
           << "Mesos: " << info.mesosUrl << "\n"
           << "SOCKS5 proxy: " << info.proxyUrl
           << "  (internal addresses over the VPN, external ones over the internet)\n"
           << "SSH: user " << s.sshUser << ", key " << s.sshKeyFile << ", known hosts "
           << s.knownHostsFile << "\n"
           << "GCE API: " << info.gceEndpoint << "  project " << info.gceProject << ", zone "
           << info.gceZone << ", key " << info.gceKeyFile << "\n\n";
    int width = 6;
    for (const sandbox::ClusterNode &n : s.nodes)
        width = std::max(width, int(n.name.size()) + 2);
    sout() << QStringLiteral("NAME").leftJustified(width) << QStringLiteral("ROLE").leftJustified(8)
           << QStringLiteral("ADDRESS").leftJustified(14) << "EXTERNAL\n";
    for (const sandbox::ClusterNode &n : s.nodes)
        sout() << n.name.leftJustified(width) << n.role.leftJustified(8)
               << n.address.leftJustified(14) << n.externalAddress << "\n";
    const QString first = s.nodes.isEmpty() ? QString() : s.nodes.first().address;
    sout() << "\nThe profile \"" << kProfileName
           << "\" is active: `pier apps` and the window use it.\n"
           << "Try: curl --socks5-hostname " << proxyHostPort << " " << info.marathonUrl
           << "/v2/info\n"
           << "     ssh -i " << s.sshKeyFile << " -o UserKnownHostsFile=" << s.knownHostsFile
           << " -o ProxyCommand='nc -X 5 -x " << proxyHostPort << " %h %p' " << s.sshUser << "@"
           << first << "\n"
           << "Stop it with: pier sandbox down\n";
    sout().flush();
}

sandbox::DaemonConfig daemonConfig(const ClusterStatus &s, const Cluster &cluster)
{
    sandbox::DaemonConfig c;
    c.id = s.id;
    c.stateDir = cluster.stateDir();
    c.stateFile = cluster.stateFile();
    c.clusterName = s.clusterName;
    c.vpnNetns = s.vpnNetns;
    c.internetNetns = s.internetNetns;
    c.internalRange = s.internalRange;
    for (const sandbox::ClusterNode &n : s.nodes)
        c.nodes.append({n.name, n.role, n.address, n.externalAddress, n.netns, n.tags});
    return c;
}

// ---- the actions -----------------------------------------------------------------------

int up(const QCommandLineParser &parser, Cluster &cluster)
{
    const bool json = parser.isSet(QStringLiteral("json"));
    sandbox::ClusterOptions options;
    QString error;
    if (!parseNetOptions(parser, &options, &error))
        return fail(error, 2);
    QElapsedTimer timer;
    timer.start();
    // Without root the daemon makes the network inside its user namespace (see startDaemon).
    const bool userNamespace = ::geteuid() != 0 && !sandbox::haveNamespacePrivileges(nullptr);
    Cluster::UpResult net = Cluster::UpResult::AlreadyUp;
    if (userNamespace) {
        if (!runningDaemon(cluster)) {
            net = Cluster::UpResult::Started;
            const quint64 leftover = sandboxUserNamespace(cluster);
            if (!stopDaemon(cluster, &error, 20000) || !endUserNamespace(leftover, &error) ||
                !cluster.down(&error))
                return fail(error);
            if (!QDir().mkpath(cluster.stateDir()))
                return fail(QStringLiteral("cannot create %1").arg(cluster.stateDir()));
            QFile::setPermissions(cluster.stateDir(),
                                  QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        }
    } else {
        net = cluster.up(options, &error);
        if (net == Cluster::UpResult::Failed)
            return fail(error);
    }
    std::optional<ClusterStatus> s = userNamespace ? std::nullopt : cluster.status(&error);
    if (!s && !userNamespace)
        return fail(error);
    auto undo = [&](const QString &why) {
        // Nothing half-done: what this call started goes again.
        QString ignored;
        const quint64 userns = sandboxUserNamespace(cluster);
        stopDaemon(cluster, &ignored, 20000);
        if (userNamespace && net == Cluster::UpResult::Started)
            endUserNamespace(userns, &ignored);
        if (net == Cluster::UpResult::Started)
            cluster.down(&ignored);
        return fail(why);
    };

    // One daemon per sandbox even when two `up`s race: the second waits here for the first's.
    const int lock =
        ::open(QFile::encodeName(cluster.stateDir() + QStringLiteral("/daemon.lock")).constData(),
               O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0)
        return undo(QStringLiteral("cannot lock %1/daemon.lock").arg(cluster.stateDir()));
    const auto unlock = qScopeGuard([lock] { ::close(lock); });
    std::optional<DaemonInfo> info = runningDaemon(cluster);
    const bool alreadyUp = net == Cluster::UpResult::AlreadyUp && info.has_value();
    if (!info) {
        stopDaemon(cluster, &error); // a daemon that never finished starting
        QStringList netArgs;
        for (const char *option : {"nodes", "preset", "backend"}) {
            if (parser.isSet(QLatin1String(option)))
                netArgs << QStringLiteral("--") + QLatin1String(option)
                        << parser.value(QLatin1String(option));
        }
        int logFd = -1;
        const qint64 pid = startDaemon(cluster, parser.isSet(QStringLiteral("legacy")), 0, &error,
                                       userNamespace, netArgs, &logFd);
        const auto closeLog = qScopeGuard([logFd] {
            if (logFd >= 0)
                ::close(logFd);
        });
        if (pid <= 0)
            return undo(error);
        // Through our own descriptor: a daemon that fails removes its state dir, log included.
        const QString log =
            logFd >= 0 ? QStringLiteral("/proc/self/fd/%1").arg(logFd)
                       : sandbox::sandboxLogDir(cluster.stateDir()) + QStringLiteral("/daemon.log");
        while (!(info = runningDaemon(cluster))) {
            int status = 0;
            if (::waitpid(pid_t(pid), &status, WNOHANG) == pid || !pidAlive(pid))
                return undo(QStringLiteral("the sandbox daemon stopped while starting:\n") +
                            tail(log, 10));
            // Without root the daemon also brings the network up.
            if (timer.elapsed() > (userNamespace ? 120000 : 30000))
                return undo(QStringLiteral("the sandbox daemon did not start serving in 30 s; "
                                           "see %1")
                                .arg(log));
            QThread::msleep(5);
        }
    }
    if (!s && !(s = cluster.status(&error)))
        return undo(error);
    const Answers answers = probeThroughProxy(*info, *s, 15000);
    if (!answers.all())
        return undo(QStringLiteral("the sandbox does not answer through its proxy: %1 (see `pier "
                                   "sandbox logs`)")
                        .arg(answers.missing().join(QStringLiteral(", "))));
    if (!activateProfile(cluster, *s, *info, &error))
        return undo(error);
    const qint64 elapsed = timer.elapsed();
    if (json) {
        QJsonObject o = profileJson(*s, *info);
        o.insert(QStringLiteral("already_up"), alreadyUp);
        o.insert(QStringLiteral("up_ms"), elapsed);
        sout() << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
        sout().flush();
        return 0;
    }
    printProfile(*s, *info,
                 alreadyUp
                     ? QStringLiteral("The sandbox \"%1\" is already up (%2 nodes); `pier sandbox "
                                      "down` stops it.")
                           .arg(cluster.id())
                           .arg(s->nodes.size())
                     : QStringLiteral("Sandbox \"%1\" up in %2 s: %3 nodes, iptables preset %4 "
                                      "(%5).")
                           .arg(cluster.id())
                           .arg(double(elapsed) / 1000.0, 0, 'f', 1)
                           .arg(s->nodes.size())
                           .arg(sandbox::presetName(s->preset), sandbox::backendName(s->backend)));
    return 0;
}

// `serve` started by an unprivileged `up`: in its own user and mount namespace, it makes the
// network, serves, and takes the network down when it ends.
int serveInUserNamespace(const QCommandLineParser &parser, Cluster &cluster)
{
    QString error;
    sandbox::ClusterOptions options;
    if (!parseNetOptions(parser, &options, &error))
        return fail(error, 2);
    if (!sandbox::prepareUserNamespaceMounts(cluster.stateDir(), &error))
        return fail(QStringLiteral("cannot prepare the user namespace: ") + error);
    if (cluster.up(options, &error) == Cluster::UpResult::Failed)
        return fail(error);
    const std::optional<ClusterStatus> s = cluster.status(&error);
    if (!s) {
        cluster.down(&error);
        return fail(error);
    }
    sandbox::DaemonConfig config = daemonConfig(*s, cluster);
    config.legacy = parser.isSet(QStringLiteral("legacy"));
    config.proxyPort = parser.value(QStringLiteral("port")).toInt();
    const int code = sandbox::runSandboxDaemon(config);
    if (!cluster.down(&error)) {
        serr() << "pier: " << error << "\n";
        serr().flush();
    }
    return code;
}

int serve(const QCommandLineParser &parser, Cluster &cluster)
{
    if (::geteuid() != 0 && sandbox::inUserNamespace() && sandbox::haveNamespacePrivileges(nullptr))
        return serveInUserNamespace(parser, cluster);
    QString problem;
    const std::optional<ClusterStatus> s = cluster.status(&problem);
    if (!s)
        return fail(problem);
    sandbox::DaemonConfig config = daemonConfig(*s, cluster);
    config.legacy = parser.isSet(QStringLiteral("legacy"));
    config.proxyPort = parser.value(QStringLiteral("port")).toInt();
    return sandbox::runSandboxDaemon(config);
}

int status(const QCommandLineParser &parser, Cluster &cluster)
{
    const bool json = parser.isSet(QStringLiteral("json"));
    QString problem;
    const std::optional<ClusterStatus> s = cluster.status(&problem);
    const std::optional<DaemonInfo> info = s ? runningDaemon(cluster) : std::nullopt;
    if (s && !info)
        problem =
            QStringLiteral("the sandbox network \"%1\" is up but its daemon (Marathon, Mesos, "
                           "proxy) is not running; `pier sandbox up` starts it")
                .arg(cluster.id());
    Answers answers;
    if (s && info)
        answers = probeThroughProxy(*info, *s, 3000);
    const bool ok = s && info && answers.all();
    if (s && info && !ok)
        problem = QStringLiteral("not answering: ") + answers.missing().join(QStringLiteral(", "));
    if (json) {
        QJsonObject o =
            s && info ? profileJson(*s, *info) : QJsonObject{{QStringLiteral("id"), cluster.id()}};
        o.insert(QStringLiteral("up"), ok);
        o.insert(QStringLiteral("network_up"), s.has_value());
        o.insert(QStringLiteral("daemon_running"), info.has_value());
        if (s && info) {
            QJsonObject ssh;
            for (auto it = answers.ssh.begin(); it != answers.ssh.end(); ++it)
                ssh.insert(it.key(), it.value());
            o.insert(QStringLiteral("answering"),
                     QJsonObject{{QStringLiteral("marathon"), answers.marathon},
                                 {QStringLiteral("mesos"), answers.mesos},
                                 {QStringLiteral("ssh"), ssh}});
        }
        if (!ok)
            o.insert(QStringLiteral("problem"), problem);
        if (info) {
            const sandbox::FaultSettings f = appliedFaults(cluster);
            QJsonObject faults = f.toJson();
            faults.insert(QStringLiteral("description"), f.describe());
            o.insert(QStringLiteral("faults"), faults);
        }
        sout() << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
        sout().flush();
        return ok ? 0 : 3;
    }
    if (!ok) {
        sout() << problem << ".\n";
        sout().flush();
        return 3;
    }
    printProfile(*s, *info,
                 QStringLiteral("Sandbox \"%1\" is up: %2 nodes; Marathon, Mesos and every sshd "
                                "answer through the proxy.")
                     .arg(cluster.id())
                     .arg(s->nodes.size()));
    if (const sandbox::FaultSettings f = appliedFaults(cluster); f.any()) {
        sout() << "Faults injected: " << f.describe()
               << " (`pier sandbox faults --off` ends them)\n";
        sout().flush();
    }
    return 0;
}

// `sandbox faults`: what the options say replaces what was injected before.
int faults(const QCommandLineParser &parser, Cluster &cluster)
{
    const bool json = parser.isSet(QStringLiteral("json"));
    const std::optional<DaemonInfo> info = runningDaemon(cluster);
    if (!info)
        return fail(QStringLiteral("the sandbox \"%1\" is not running; start it with `pier "
                                   "sandbox up` (PIER_SANDBOX_FAULTS=... at `up` injects faults "
                                   "from the start)")
                        .arg(cluster.id()));
    sandbox::FaultSettings wanted;
    bool asked = parser.isSet(QStringLiteral("off"));
    for (const QString &knob : sandbox::FaultSettings::knobs()) {
        if (!parser.isSet(knob))
            continue;
        asked = true;
        double share = 0;
        if (parser.isSet(QStringLiteral("off")))
            return fail(QStringLiteral("--off cannot go with --%1.").arg(knob), 2);
        if (!sandbox::FaultSettings::parseShare(parser.value(knob), &share))
            return fail(QStringLiteral("--%1 needs a share from 0 to 1 (0.2) or a percentage "
                                       "(20%), not \"%2\".")
                            .arg(knob, parser.value(knob)),
                        2);
        wanted.set(knob, share);
    }
    if (parser.isSet(QStringLiteral("only"))) {
        asked = true;
        wanted.only = parser.value(QStringLiteral("only"));
    }
    if (parser.isSet(QStringLiteral("timeouts"))) {
        asked = true;
        if (!sandbox::FaultSettings::parseTimeouts(parser.value(QStringLiteral("timeouts")),
                                                   &wanted.timeouts))
            return fail(QStringLiteral("--timeouts is both, held or lost."), 2);
    }
    if (parser.isSet(QStringLiteral("seed"))) {
        asked = true;
        bool ok = false;
        wanted.seed = parser.value(QStringLiteral("seed")).toULongLong(&ok);
        if (!ok)
            return fail(QStringLiteral("--seed needs a whole number."), 2);
    }
    if (wanted.marathon5xx + wanted.marathonTimeout > 1 || wanted.gce5xx + wanted.gceTimeout > 1)
        return fail(QStringLiteral("the 5xx and timeout shares of one service add up to more than "
                                   "1."),
                    2);
    sandbox::FaultSettings now = appliedFaults(cluster);
    if (asked) {
        wanted.serial = now.serial + 1;
        QSaveFile f(sandbox::faultsFile(cluster.stateDir()));
        const QByteArray data = QJsonDocument(wanted.toJson()).toJson();
        if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit())
            return fail(QStringLiteral("cannot write %1").arg(f.fileName()));
        ::kill(pid_t(info->pid), SIGUSR1);
        QElapsedTimer clock;
        clock.start();
        while ((now = appliedFaults(cluster)).serial != wanted.serial) {
            if (clock.elapsed() > 10000)
                return fail(QStringLiteral("the sandbox daemon did not take the faults in 10 s; "
                                           "see `pier sandbox logs daemon`"));
            QThread::msleep(10);
        }
    }
    if (json) {
        QJsonObject o = now.toJson();
        o.insert(QStringLiteral("description"), now.describe());
        sout() << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
    } else if (now.any()) {
        sout() << "Sandbox \"" << cluster.id() << "\" injects faults: " << now.describe()
               << ".\nEach one is logged as a FAULT line (`pier sandbox logs marathon`, gce, "
                  "proxy); `pier sandbox faults --off` ends them.\n";
    } else {
        sout() << "Sandbox \"" << cluster.id() << "\" injects no faults.\n";
    }
    sout().flush();
    return 0;
}

int down(Cluster &cluster)
{
    QJsonObject previous;
    QFile f(previousProfileFile(cluster));
    if (f.open(QIODevice::ReadOnly))
        previous = QJsonDocument::fromJson(f.readAll()).object();
    f.close();
    if (!cluster.hasLeftovers() && daemonPid(cluster) <= 0) {
        sout() << "The sandbox \"" << cluster.id() << "\" is not up; nothing to do.\n";
        sout().flush();
        return 0;
    }
    QString error;
    const quint64 userns = sandboxUserNamespace(cluster); // before the daemon removes the state
    if (!stopDaemon(cluster, &error, 20000) || !endUserNamespace(userns, &error) ||
        !cluster.down(&error))
        return fail(error);
    const QString active = restoreProfile(previous);
    sout() << "Sandbox \"" << cluster.id()
           << "\" is down: no process, namespace, mount or file of it is left. ";
    if (active.isEmpty())
        sout() << "No profile is active now.\n";
    else
        sout() << "The profile \"" << active << "\" is active again.\n";
    sout().flush();
    return 0;
}

int logs(Cluster &cluster, const QString &component)
{
    const QString logDir = sandbox::sandboxLogDir(cluster.stateDir());
    QList<QPair<QString, QString>> files; // component, path
    for (const char *c : {"daemon", "marathon", "mesos", "proxy", "gce"})
        files.append({QLatin1String(c),
                      logDir + QLatin1Char('/') + QLatin1String(c) + QStringLiteral(".log")});
    const QString nodesDir = cluster.stateDir() + QStringLiteral("/nodes");
    for (const QString &node : QDir(nodesDir).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        files.append({QStringLiteral("sshd-") + node,
                      nodesDir + QLatin1Char('/') + node + QStringLiteral("/sshd.log")});
    for (const QString &extra : QDir(logDir).entryList({QStringLiteral("*.log")}, QDir::Files)) {
        const QString name = extra.chopped(4);
        if (std::none_of(files.begin(), files.end(),
                         [&](const auto &f) { return f.first == name; }))
            files.append({name, logDir + QLatin1Char('/') + extra}); // nginx, haproxy, tasks
    }
    QStringList known;
    bool printed = false;
    for (const auto &[name, path] : std::as_const(files)) {
        known << name;
        const bool wanted =
            component.isEmpty() || name == component ||
            (component == QLatin1String("sshd") && name.startsWith(QLatin1String("sshd-"))) ||
            name == QStringLiteral("sshd-") + component;
        if (!wanted)
            continue;
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            if (!component.isEmpty() && name == component)
                return fail(QStringLiteral("no log of %1 yet (%2)").arg(name, path));
            continue;
        }
        if (component.isEmpty() || component == QLatin1String("sshd"))
            sout() << "==> " << name << " (" << path << ") <==\n";
        sout() << QString::fromUtf8(f.readAll());
        printed = true;
    }
    sout().flush();
    if (!printed && !component.isEmpty())
        return fail(QStringLiteral("no component \"%1\"; the sandbox \"%2\" has: %3")
                        .arg(component, cluster.id(), known.join(QStringLiteral(", "))),
                    2);
    if (!printed)
        return fail(QStringLiteral("the sandbox \"%1\" has no logs (is it up?)").arg(cluster.id()));
    return 0;
}

} // namespace

bool stopSandboxDaemon(const sandbox::Cluster &cluster, QString *error)
{
    return stopDaemon(cluster, error);
}

QString fullSandboxUnavailable()
{
    // Without root, `up` runs it in an unprivileged user namespace when the kernel allows one.
    if (::geteuid() != 0 && !sandbox::haveNamespacePrivileges(nullptr)) {
        const QString why = sandbox::userNamespacesUnavailable();
        return why.isEmpty() ? QString()
                             : QStringLiteral("it needs root or unprivileged user namespaces, "
                                              "and ") +
                                   why;
    }
    return Cluster::missingPrerequisites();
}

int cmdSandboxFull(const QCommandLineParser &parser, const QStringList &args)
{
    Cluster cluster = makeCluster();
    if (!Cluster::isValidId(cluster.id()))
        return fail(
            QStringLiteral("PIER_SANDBOX_ID \"%1\" may only have lower-case letters and digits.")
                .arg(cluster.id()),
            2);
    const QString action = args.value(0);
    if (action == QLatin1String("up"))
        return up(parser, cluster);
    if (action == QLatin1String("serve"))
        return serve(parser, cluster);
    if (action == QLatin1String("status"))
        return status(parser, cluster);
    if (action == QLatin1String("down"))
        return down(cluster);
    if (action == QLatin1String("logs"))
        return logs(cluster, args.value(1));
    if (action == QLatin1String("faults"))
        return faults(parser, cluster);
    return fail(QStringLiteral("sandbox knows: up, status, down, logs [COMPONENT], faults, net "
                               "up|status|down."),
                2);
}

} // namespace pier::cli
