#include "sandbox/sandboxdaemon.h"

#include "core/logging.h"
#include "sandbox/agents.h"
#include "sandbox/cluster.h"
#include "sandbox/faults.h"
#include "sandbox/gcerouter.h"
#include "sandbox/gceserver.h"
#include "sandbox/haproxybridge.h"
#include "sandbox/httpserver.h"
#include "sandbox/marathonserver.h"
#include "sandbox/mesosserver.h"
#include "sandbox/netns.h"
#include "sandbox/socksproxy.h"
#include "sandbox/taskrunner.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <arpa/inet.h>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>

namespace pier::sandbox {

QJsonObject DaemonInfo::toJson() const
{
    return {{QStringLiteral("pid"), pid},
            {QStringLiteral("marathon"), marathonUrl},
            {QStringLiteral("mesos"), mesosUrl},
            {QStringLiteral("proxy"), proxyUrl},
            {QStringLiteral("gce_endpoint"), gceEndpoint},
            {QStringLiteral("gce_project"), gceProject},
            {QStringLiteral("gce_region"), gceRegion},
            {QStringLiteral("gce_zone"), gceZone},
            {QStringLiteral("gce_key_file"), gceKeyFile}};
}

DaemonInfo DaemonInfo::fromJson(const QJsonObject &o)
{
    DaemonInfo i;
    auto str = [&](const char *key) { return o.value(QLatin1String(key)).toString(); };
    i.pid = o.value(QStringLiteral("pid")).toInteger(-1);
    i.marathonUrl = str("marathon");
    i.mesosUrl = str("mesos");
    i.proxyUrl = str("proxy");
    i.gceEndpoint = str("gce_endpoint");
    i.gceProject = str("gce_project");
    i.gceRegion = str("gce_region");
    i.gceZone = str("gce_zone");
    i.gceKeyFile = str("gce_key_file");
    return i;
}

QString daemonInfoFile(const QString &stateDir)
{
    return stateDir + QStringLiteral("/daemon.json");
}

QString daemonPidFile(const QString &stateDir)
{
    return stateDir + QStringLiteral("/daemon.pid");
}

QString sandboxLogDir(const QString &stateDir)
{
    return stateDir + QStringLiteral("/logs");
}

namespace {

// One log file per component, a line per event, flushed at once so `sandbox logs` sees it.
class LogFile {
public:
    explicit LogFile(const QString &path) : m_file(path)
    {
        m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text);
    }
    void line(const QString &text)
    {
        m_file.write(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8() + ' ' +
                     text.toUtf8() + '\n');
        m_file.flush();
    }

private:
    QFile m_file;
};

// A listening socket on ADDRESS:PORT made inside NETNS (it stays there whoever uses it).
int listenInNamespace(const QString &netns, const QString &address, quint16 port, QString *error)
{
    int fd = -1;
    QString err;
    const bool entered = runInNamespaceThread(
        netns, {},
        [&] {
            fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            const int one = 1;
            ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_port = htons(port);
            sa.sin_addr.s_addr = htonl(QHostAddress(address).toIPv4Address());
            if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 ||
                ::listen(fd, 512) != 0) {
                err = QStringLiteral("cannot listen on %1:%2 in %3: %4")
                          .arg(address)
                          .arg(port)
                          .arg(netns, QString::fromLocal8Bit(std::strerror(errno)));
                if (fd >= 0)
                    ::close(fd);
                fd = -1;
            }
        },
        &err);
    if ((!entered || fd < 0) && error)
        *error = err;
    return entered ? fd : -1;
}

int pipeFds[2] = {-1, -1};

} // namespace

int runSandboxDaemon(const DaemonConfig &config)
{
    auto fail = [](const QString &what) {
        qCCritical(lcSandbox).noquote() << "pier sandbox serve:" << what;
        return 1;
    };
    if (config.nodes.isEmpty() || config.nodes.first().role != QLatin1String("master"))
        return fail(QStringLiteral("the sandbox network has no master node"));
    const DaemonNode master = config.nodes.first();
    QDir().mkpath(sandboxLogDir(config.stateDir));
    const QString logs = sandboxLogDir(config.stateDir) + QLatin1Char('/');
    LogFile marathonLog(logs + QStringLiteral("marathon.log"));
    LogFile mesosLog(logs + QStringLiteral("mesos.log"));
    LogFile proxyLog(logs + QStringLiteral("proxy.log"));
    LogFile gceLog(logs + QStringLiteral("gce.log"));

    // The network as `sandbox net up` recorded it: the task runner starts tasks in the agents'
    // network and mount namespaces, and HAProxy runs on every node.
    std::optional<ClusterStatus> status;
    {
        QFile f(config.stateFile);
        if (f.open(QIODevice::ReadOnly))
            status = ClusterStatus::fromJson(QJsonDocument::fromJson(f.readAll()).object());
    }
    if (!status || status->nodes.isEmpty())
        return fail(QStringLiteral("cannot read the sandbox network's state from %1")
                        .arg(config.stateFile));
    const std::shared_ptr<TaskRunner> runner = TaskRunner::forCluster(*status);
    if (TaskRunner::findTaskServer().isEmpty())
        qCWarning(lcSandbox).noquote()
            << "pier-task-server is not installed next to pier: apps whose image is not nginx "
               "cannot start";
    // One simulated Mesos cluster whose agents are the network's agent nodes: Marathon places
    // tasks on it, the runner starts them for real, Mesos reports it.
    const std::shared_ptr<AgentPool> cluster = runner->placementCluster();

    MarathonServer::Options marathonOptions;
    marathonOptions.cluster = cluster;
    marathonOptions.runner = runner;
    if (config.legacy)
        marathonOptions.flavor = MarathonServer::Flavor::Legacy;
    marathonOptions.username = qEnvironmentVariable("PIER_SANDBOX_USER");
    marathonOptions.password = qEnvironmentVariable("PIER_SANDBOX_PASSWORD");
    MarathonServer marathon(marathonOptions);
    MesosServer::Options mesosOptions;
    if (config.legacy)
        mesosOptions.flavor = MesosServer::Flavor::Legacy;
    MesosServer mesos(cluster, mesosOptions);

    QString error;
    const int marathonFd = listenInNamespace(master.netns, master.address, 8080, &error);
    if (marathonFd < 0 || !marathon.listenOnDescriptor(marathonFd))
        return fail(error.isEmpty() ? marathon.errorString() : error);
    const int mesosFd = listenInNamespace(master.netns, master.address, 5050, &error);
    if (mesosFd < 0 || !mesos.listenOnDescriptor(mesosFd))
        return fail(error.isEmpty() ? mesos.errorString() : error);
    QObject::connect(&marathon, &MarathonServer::requestServed,
                     [&](const QString &method, const QString &path, int status) {
                         marathonLog.line(QStringLiteral("%1 %2 %3").arg(method, path).arg(status));
                     });
    QObject::connect(mesos.httpServer(), &HttpServer::responseSent,
                     [&](const QString &method, const QString &path, int status) {
                         mesosLog.line(QStringLiteral("%1 %2 %3").arg(method, path).arg(status));
                     });

    // HAProxy on every node, rebuilt from Marathon's task list as haproxy-marathon-bridge's cron
    // job does (every 60 s; PIER_SANDBOX_HAPROXY_INTERVAL_MS to change it).
    std::unique_ptr<HaproxyBridge> bridge = HaproxyBridge::forCluster(*status, marathon.url());
    if (const int ms = qEnvironmentVariableIntValue("PIER_SANDBOX_HAPROXY_INTERVAL_MS"); ms > 0)
        bridge->setIntervalMs(ms);
    QObject::connect(bridge.get(), &HaproxyBridge::refreshed, [](bool, const QString &error) {
        if (!error.isEmpty())
            qCWarning(lcSandbox) << "haproxy bridge:" << error;
    });
    bridge->start();

    // The GCE API on the desktop's loopback, as Google's is reachable from anywhere.
    GceServer::Options gceOptions;
    gceOptions.networkRange = config.internalRange;
    gceOptions.instances = GceRouter::instancesFor(*status);
    // Operations take 2 s as on Google's; PIER_SANDBOX_GCE_OPERATION_MS to change it (tests).
    if (const int ms = qEnvironmentVariableIntValue("PIER_SANDBOX_GCE_OPERATION_MS"); ms > 0)
        gceOptions.operationMs = ms;
    GceServer gce(gceOptions);
    // What is made through the API changes the router for real: firewall rules and tags the VPC
    // firewall, an address + forwarding rule + pool the load balancer.
    GceRouter router(config.id, gceOptions.network);
    router.setServer(&gce);
    gce.setObserver(&router);
    if (!gce.listen(QHostAddress::LocalHost, 0))
        return fail(QStringLiteral("the GCE API cannot listen on 127.0.0.1"));
    const QString keyFile = config.stateDir + QStringLiteral("/gce-key.json");
    if (!gce.writeServiceAccountKey(keyFile))
        return fail(QStringLiteral("cannot write %1").arg(keyFile));
    QObject::connect(&gce, &GceServer::requestServed,
                     [&](const QString &method, const QString &path, int status) {
                         gceLog.line(QStringLiteral("%1 %2 %3").arg(method, path).arg(status));
                     });

    // The SOCKS5 proxy on its own thread, so a busy Marathon never slows SSH or API traffic.
    SocksProxy::Options proxyOptions;
    proxyOptions.routes = {{QHostAddress::parseSubnet(config.internalRange), config.vpnNetns},
                           {QHostAddress::parseSubnet(config.externalRange), config.internetNetns}};
    for (const DaemonNode &n : config.nodes)
        proxyOptions.names.insert(n.name.toLower(), QHostAddress(n.address));
    QThread proxyThread;
    proxyThread.setObjectName(QStringLiteral("socks-proxy"));
    auto *proxy = new SocksProxy(proxyOptions);
    proxy->moveToThread(&proxyThread);
    QObject::connect(&proxyThread, &QThread::finished, proxy, &QObject::deleteLater);
    proxyThread.start();
    bool proxyListening = false;
    QMetaObject::invokeMethod(
        proxy,
        [&] { proxyListening = proxy->listen(QHostAddress::LocalHost, quint16(config.proxyPort)); },
        Qt::BlockingQueuedConnection);
    const quint16 proxyPort = proxy->port();
    auto stopProxy = [&] {
        proxyThread.quit();
        proxyThread.wait();
    };
    if (!proxyListening) {
        const QString why = proxy->errorString();
        stopProxy();
        return fail(QStringLiteral("the SOCKS5 proxy: ") + why);
    }
    QObject::connect(
        proxy, &SocksProxy::connectionFinished, qApp,
        [&](const QString &target, int reply, qint64 up, qint64 down) {
            proxyLog.line(QStringLiteral("%1 reply %2 up %3 B down %4 B")
                              .arg(target.isEmpty() ? QStringLiteral("(no request)") : target)
                              .arg(reply)
                              .arg(up)
                              .arg(down));
        },
        Qt::QueuedConnection);

    // Faults on request (`pier sandbox faults`, or PIER_SANDBOX_FAULTS at `up`): what
    // STATE/faults.json asks, applied at once and echoed to STATE/faults-applied.json.
    FaultInjector faults(marathon.httpServer(), gce.httpServer(), proxy);
    QObject::connect(&faults, &FaultInjector::injected, qApp,
                     [&](const QString &service, const QString &what) {
                         LogFile &log = service == QLatin1String("marathon") ? marathonLog
                                        : service == QLatin1String("gce")    ? gceLog
                                                                             : proxyLog;
                         log.line(QStringLiteral("FAULT ") + what);
                     });
    QDateTime faultsRead;
    auto loadFaults = [&](bool force) {
        const QFileInfo asked(faultsFile(config.stateDir));
        if (!force && asked.lastModified() == faultsRead)
            return;
        faultsRead = asked.lastModified();
        FaultSettings s;
        QFile f(asked.filePath());
        if (f.open(QIODevice::ReadOnly))
            s = FaultSettings::fromJson(QJsonDocument::fromJson(f.readAll()).object());
        faults.apply(s);
        QSaveFile applied(faultsAppliedFile(config.stateDir));
        if (applied.open(QIODevice::WriteOnly)) {
            applied.write(QJsonDocument(s.toJson()).toJson());
            applied.commit();
        }
        qCInfo(lcSandbox).noquote() << "faults:" << s.describe();
    };
    if (const QString env = qEnvironmentVariable("PIER_SANDBOX_FAULTS"); !env.isEmpty()) {
        FaultSettings s;
        QString why;
        if (!FaultSettings::parse(env, &s, &why)) {
            stopProxy();
            return fail(QStringLiteral("PIER_SANDBOX_FAULTS: ") + why);
        }
        QSaveFile asked(faultsFile(config.stateDir));
        if (asked.open(QIODevice::WriteOnly)) {
            asked.write(QJsonDocument(s.toJson()).toJson());
            asked.commit();
        }
    }
    loadFaults(true);

    DaemonInfo info;
    info.pid = QCoreApplication::applicationPid();
    info.marathonUrl = marathon.url().toString();
    info.mesosUrl = mesos.url().toString();
    info.proxyUrl = QStringLiteral("socks5://127.0.0.1:%1").arg(proxyPort);
    info.gceEndpoint = gce.endpoint().toString();
    info.gceProject = gceOptions.project;
    info.gceRegion = gceOptions.region;
    info.gceZone = gceOptions.zone;
    info.gceKeyFile = keyFile;
    QSaveFile infoFile(daemonInfoFile(config.stateDir));
    const QByteArray infoJson = QJsonDocument(info.toJson()).toJson(QJsonDocument::Indented);
    if (!infoFile.open(QIODevice::WriteOnly) || infoFile.write(infoJson) != infoJson.size() ||
        !infoFile.commit()) {
        stopProxy();
        return fail(QStringLiteral("cannot write %1").arg(infoFile.fileName()));
    }
    qCInfo(lcSandbox).noquote() << "sandbox" << config.id << "serving: Marathon" << info.marathonUrl
                                << "Mesos" << info.mesosUrl << "proxy" << info.proxyUrl << "GCE"
                                << info.gceEndpoint;

    // SIGTERM/SIGINT end the event loop through a self-pipe; so does the network going away.
    // SIGUSR1: `pier sandbox faults` changed STATE/faults.json.
    if (::pipe2(pipeFds, O_CLOEXEC) == 0) {
        auto handler = [](int signal) {
            const char c = signal == SIGUSR1 ? 2 : 1;
            [[maybe_unused]] ssize_t n = ::write(pipeFds[1], &c, 1);
        };
        std::signal(SIGTERM, handler);
        std::signal(SIGINT, handler);
        std::signal(SIGUSR1, handler);
        std::signal(SIGHUP, SIG_IGN);
        auto *notifier = new QSocketNotifier(pipeFds[0], QSocketNotifier::Read, qApp);
        QObject::connect(notifier, &QSocketNotifier::activated, qApp, [&] {
            char c = 0;
            if (::read(pipeFds[0], &c, 1) == 1 && c == 2)
                loadFaults(true);
            else
                QCoreApplication::quit();
        });
    }
    QTimer watchdog;
    QObject::connect(&watchdog, &QTimer::timeout, qApp, [&] {
        if (!QFileInfo::exists(config.stateFile)) {
            qCInfo(lcSandbox) << "the sandbox network is gone; stopping";
            QCoreApplication::quit();
        }
        loadFaults(false); // a change whose signal was missed
    });
    watchdog.start(1000);

    const int code = QCoreApplication::exec();
    qCInfo(lcSandbox) << "sandbox" << config.id << "daemon stopping";
    stopProxy();
    QFile::remove(daemonInfoFile(config.stateDir));
    QFile::remove(faultsAppliedFile(config.stateDir));
    return code;
}

} // namespace pier::sandbox
