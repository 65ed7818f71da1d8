// The sandbox's Marathon really running tasks on a `pier sandbox net` cluster: nginx.json serves
// "Welcome to nginx!" on the task's host port and through HAProxy on port 80, other images name
// their app and task, scaling changes the real processes, a killed process is TASK_FAILED and
// relaunched, a health check replaces a task that stops answering, HAProxy follows, and nothing
// is left after destroy and teardown. Needs root; SKIPs with the reason without it.

#include "../cluster/clustertestutil.h"

#include "sandbox/cluster.h"
#include "sandbox/haproxybridge.h"
#include "sandbox/marathonserver.h"
#include "sandbox/netns.h"
#include "sandbox/taskrunner.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

#include <csignal>

using namespace pier::sandbox;
using namespace pier::sandbox::testutil;
using namespace Qt::StringLiterals;

class TestTaskRunner : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void nginxImages();
    void tutorialNginxJson();
    void otherImageNamesItsTask();
    void scalingChangesProcesses();
    void killedProcessIsRelaunched();
    void failedHealthCheckReplacesTask();
    void rollingUpgradeKeepsCapacity();
    void haproxyFollowsTasks();
    void destroyAndTeardownLeaveNothing();
    void cleanupTestCase();

private:
    struct Reply {
        int status = 0;
        QByteArray body;
        QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    };
    Reply http(const QByteArray &method, const QString &path, const QByteArray &body = {},
               const QByteArray &accept = "application/json");
    QJsonObject app(const QString &id) { return m_server->appJson(id); }
    int count(const QString &id, const char *key)
    {
        return app(id).value(QLatin1String(key)).toInt();
    }
    bool waitRunning(const QString &id, int n, int timeoutMs = 15000);
    QString curl(const QString &address, int port, const QString &path = u"/"_s);
    QString addressOf(const QString &host) const;
    QList<qint64> taskProcesses(); // nginx and pier-task-server processes on the agents

    std::unique_ptr<Cluster> m_cluster;
    ClusterStatus m_status;
    std::shared_ptr<TaskRunner> m_runner;
    std::unique_ptr<MarathonServer> m_server;
    std::unique_ptr<HaproxyBridge> m_bridge;
    QNetworkAccessManager m_nam;
    QSet<quint64> m_agentInodes;
};

TestTaskRunner::Reply TestTaskRunner::http(const QByteArray &method, const QString &path,
                                           const QByteArray &body, const QByteArray &accept)
{
    QNetworkRequest request(QUrl(m_server->url().toString() + path));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
    request.setRawHeader("Accept", accept);
    QNetworkReply *r = m_nam.sendCustomRequest(request, method, body);
    QEventLoop loop;
    connect(r, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    Reply out{r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), r->readAll()};
    r->deleteLater();
    return out;
}

bool TestTaskRunner::waitRunning(const QString &id, int n, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        const QJsonObject a = app(id);
        // Deployments done too, so the next change is not refused (409).
        if (a.value("tasksRunning"_L1).toInt() == n && a.value("tasksStaged"_L1).toInt() == 0 &&
            a.value("tasks"_L1).toArray().size() == n && m_server->deploymentIds().isEmpty())
            return true;
        QTest::qWait(50);
    }
    qWarning() << "still not" << n << "running:" << QJsonDocument(app(id)).toJson();
    return false;
}

QString TestTaskRunner::addressOf(const QString &host) const
{
    for (const ClusterNode &n : m_status.nodes) {
        if (n.name == host)
            return n.address;
    }
    return {};
}

// curl over the VPN, as the laptop in the tutorial.
QString TestTaskRunner::curl(const QString &address, int port, const QString &path)
{
    QProcess p;
    p.start(findProgram(u"ip"_s),
            {u"netns"_s, u"exec"_s, m_status.vpnNetns, u"curl"_s, u"-s"_s, u"-m"_s, u"5"_s,
             u"http://%1:%2%3"_s.arg(address).arg(port).arg(path)});
    p.waitForFinished(10000);
    return QString::fromUtf8(p.readAllStandardOutput());
}

QList<qint64> TestTaskRunner::taskProcesses()
{
    QList<qint64> out;
    for (qint64 pid : processesIn(m_agentInodes)) {
        QFile comm(u"/proc/%1/comm"_s.arg(pid));
        comm.open(QIODevice::ReadOnly);
        const QByteArray name = comm.readAll().trimmed();
        // A process in both namespaces is listed twice.
        if ((name == "nginx" || name.startsWith("pier-task-serv")) && !out.contains(pid))
            out << pid;
    }
    return out;
}

void TestTaskRunner::initTestCase()
{
    const QString missing = Cluster::missingPrerequisites();
    if (!missing.isEmpty())
        QSKIP(qPrintable(missing));
    QVERIFY2(!TaskRunner::findTaskServer().isEmpty() ||
                 QFile::exists(
                     QFileInfo(QStringLiteral(PIER_BINARY)).dir().filePath(u"pier-task-server"_s)),
             "pier-task-server is not built");
    qputenv(
        "PIER_TASK_SERVER",
        QFileInfo(QStringLiteral(PIER_BINARY)).dir().filePath(u"pier-task-server"_s).toLocal8Bit());

    m_cluster = std::make_unique<Cluster>(uniqueId("tr"));
    QElapsedTimer t;
    t.start();
    QString error;
    ClusterOptions options;
    options.agents = 2;
    QCOMPARE(m_cluster->up(options, &error), Cluster::UpResult::Started);
    const auto s = m_cluster->status(&error);
    QVERIFY2(s, qPrintable(error));
    m_status = *s;
    qInfo("FIGURE cluster_up_1+2_ms=%lld", t.elapsed());
    for (const ClusterNode &n : m_status.nodes) {
        if (n.role == "agent"_L1) {
            m_agentInodes.insert(namespaceInode(netnsPath(n.netns)));
            m_agentInodes.insert(namespaceInode(n.mntnsFile));
        }
    }

    m_runner = TaskRunner::forCluster(m_status);
    QCOMPARE(m_runner->options().agents.size(), 2);
    QVERIFY(!m_runner->options().probeNetns.isEmpty());
    MarathonServer::Options mo;
    mo.cluster = m_runner->placementCluster();
    mo.runner = m_runner;
    mo.deploymentStepMs = 50;
    mo.offerIntervalMs = 200;
    m_server = std::make_unique<MarathonServer>(mo);
    QVERIFY(m_server->listen());

    m_bridge = HaproxyBridge::forCluster(m_status, m_server->url());
    QCOMPARE(m_bridge->options().nodes.size(), 3);
    // This test's Marathon listens on the host's loopback, not on the master's address.
    auto bridgeOptions = m_bridge->options();
    bridgeOptions.fetchNetns.clear();
    bridgeOptions.intervalMs = 0; // refreshed by hand below
    m_bridge = std::make_unique<HaproxyBridge>(bridgeOptions);
    QSignalSpy refreshed(m_bridge.get(), &HaproxyBridge::refreshed);
    m_bridge->start();
    QVERIFY(refreshed.wait(10000));
    QVERIFY2(refreshed.first().at(1).toString().isEmpty(),
             qPrintable(refreshed.first().at(1).toString()));
    for (const ClusterNode &n : m_status.nodes)
        QVERIFY2(m_bridge->pid(n.name) > 0, qPrintable(n.name));
}

void TestTaskRunner::nginxImages()
{
    for (const char *image : {"nginx", "library/nginx:1.7.9", "nginx:latest",
                              "docker.io/library/nginx:1.25", "nginx@sha256:abc"})
        QVERIFY2(TaskRunner::isNginxImage(QLatin1String(image)), image);
    for (const char *image : {"", "python:3", "bitnami/nginx-ingress", "mynginx", "nginx-proxy:1"})
        QVERIFY2(!TaskRunner::isNginxImage(QLatin1String(image)), image);
}

void TestTaskRunner::tutorialNginxJson()
{
    QFile f(QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QElapsedTimer t;
    t.start();
    QCOMPARE(http("POST", u"/v2/apps"_s, f.readAll()).status, 201);
    QVERIFY(waitRunning(u"/nginx"_s, 1));
    qInfo("FIGURE nginx_post_to_running_ms=%lld", t.elapsed());
    const QJsonObject task = app(u"/nginx"_s).value("tasks"_L1).toArray().first().toObject();
    const int port = task.value("ports"_L1).toArray().first().toInt();
    QVERIFY(port >= 31000 && port <= 32000);
    const QString address = addressOf(task.value("host"_L1).toString());
    QVERIFY(!address.isEmpty());
    QVERIFY(m_runner->pid(task.value("id"_L1).toString()) > 0);
    QVERIFY2(curl(address, port).contains("Welcome to nginx!"_L1), qPrintable(curl(address, port)));

    // Through HAProxy on port 80 of every node, master included, once the bridge ran.
    QSignalSpy refreshed(m_bridge.get(), &HaproxyBridge::refreshed);
    m_bridge->refreshNow();
    QVERIFY(refreshed.wait(10000));
    QCOMPARE(refreshed.first().at(0).toBool(), true);
    QVERIFY(m_bridge->currentConfig().contains("listen nginx-80\n  bind 0.0.0.0:80\n"));
    for (const ClusterNode &n : m_status.nodes) {
        const QString page = curl(n.address, 80);
        QVERIFY2(page.contains("Welcome to nginx!"_L1), qPrintable(n.name + u": "_s + page));
    }
    // Written to the node's own /etc/haproxy, not the host's.
    QFile hostConfig(u"/etc/haproxy/haproxy.cfg"_s);
    if (hostConfig.open(QIODevice::ReadOnly))
        QVERIFY(!hostConfig.readAll().contains("listen nginx-80"));
}

void TestTaskRunner::otherImageNamesItsTask()
{
    const QByteArray def = R"({"id": "/shop/web", "cpus": 0.1, "mem": 32, "instances": 1,
        "container": {"type": "DOCKER", "docker": {"image": "python:3", "network": "BRIDGE",
        "portMappings": [{"containerPort": 8000, "hostPort": 0, "servicePort": 10001}]}}})";
    QCOMPARE(http("POST", u"/v2/apps"_s, def).status, 201);
    QVERIFY(waitRunning(u"/shop/web"_s, 1));
    const QJsonObject task = app(u"/shop/web"_s).value("tasks"_L1).toArray().first().toObject();
    const QString page =
        curl(addressOf(task.value("host"_L1).toString()), task.value("ports"_L1)[0].toInt());
    QVERIFY2(page.contains("/shop/web"_L1), qPrintable(page));
    QVERIFY2(page.contains(task.value("id"_L1).toString()), qPrintable(page));
    QVERIFY2(page.contains("python:3"_L1), qPrintable(page));
    QVERIFY2(page.contains(u"host: "_s + task.value("host"_L1).toString()),
             qPrintable(page)); // HOST
}

void TestTaskRunner::scalingChangesProcesses()
{
    const int before = int(taskProcesses().size()); // nginx (master + worker) and /shop/web
    QCOMPARE(http("PUT", u"/v2/apps/shop/web"_s, R"({"instances": 3})").status, 200);
    QVERIFY(waitRunning(u"/shop/web"_s, 3));
    QCOMPARE(int(taskProcesses().size()), before + 2);
    const QJsonArray tasks = app(u"/shop/web"_s).value("tasks"_L1).toArray();
    QSet<qint64> pids;
    for (const QJsonValue &v : tasks)
        pids.insert(m_runner->pid(v["id"_L1].toString()));
    QCOMPARE(pids.size(), 3);
    QVERIFY(!pids.contains(-1));

    QCOMPARE(http("PUT", u"/v2/apps/shop/web"_s, R"({"instances": 1})").status, 200);
    QVERIFY(waitRunning(u"/shop/web"_s, 1));
    QTRY_COMPARE_WITH_TIMEOUT(int(taskProcesses().size()), before, 10000);
}

void TestTaskRunner::killedProcessIsRelaunched()
{
    const QString taskId =
        app(u"/shop/web"_s).value("tasks"_L1).toArray().first()["id"_L1].toString();
    const qint64 pid = m_runner->pid(taskId);
    QVERIFY(pid > 0);
    QSignalSpy events(m_server.get(), &MarathonServer::eventPublished);
    QElapsedTimer t;
    t.start();
    QCOMPARE(::kill(pid_t(pid), SIGKILL), 0);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const auto &e : events) {
                const QJsonObject o = e.at(1).toJsonObject();
                if (e.at(0).toString() == "status_update_event"_L1 &&
                    o["taskId"_L1].toString() == taskId &&
                    o["taskStatus"_L1].toString() == "TASK_FAILED"_L1)
                    return o["message"_L1].toString().contains("SIGKILL"_L1);
            }
            return false;
        }(),
        5000);
    // Relaunched after the backoff (backoffSeconds 1).
    QTRY_VERIFY_WITH_TIMEOUT(app(u"/shop/web"_s).value("tasksRunning"_L1).toInt() == 1 &&
                                 app(u"/shop/web"_s)["tasks"_L1][0]["id"_L1].toString() != taskId,
                             10000);
    qInfo("FIGURE kill9_to_relaunched_ms=%lld", t.elapsed());
    const QJsonObject failure = http("GET", u"/v2/apps/shop/web?embed=app.lastTaskFailure"_s)
                                    .json()["app"_L1]["lastTaskFailure"_L1]
                                    .toObject();
    QCOMPARE(failure["taskId"_L1].toString(), taskId);
    QCOMPARE(failure["state"_L1].toString(), u"TASK_FAILED"_s);
    const QJsonObject task = app(u"/shop/web"_s)["tasks"_L1][0].toObject();
    QVERIFY(curl(addressOf(task["host"_L1].toString()), task["ports"_L1][0].toInt())
                .contains(task["id"_L1].toString()));
}

void TestTaskRunner::failedHealthCheckReplacesTask()
{
    const QByteArray def = R"({"id": "/checked", "cmd": "serve", "cpus": 0.1, "mem": 32,
        "instances": 1, "portDefinitions": [{"port": 10002}],
        "healthChecks": [{"protocol": "HTTP", "path": "/health", "portIndex": 0,
          "gracePeriodSeconds": 5, "intervalSeconds": 1, "timeoutSeconds": 1,
          "maxConsecutiveFailures": 2}]})";
    QCOMPARE(http("POST", u"/v2/apps"_s, def).status, 201);
    QTRY_COMPARE_WITH_TIMEOUT(count(u"/checked"_s, "tasksHealthy"), 1, 10000);
    QJsonObject task = app(u"/checked"_s)["tasks"_L1][0].toObject();
    const QString taskId = task["id"_L1].toString();
    QCOMPARE(task["healthCheckResults"_L1][0]["alive"_L1].toBool(), true);
    const qint64 pid = m_runner->pid(taskId);
    QVERIFY(pid > 0);

    QSignalSpy events(m_server.get(), &MarathonServer::eventPublished);
    QElapsedTimer t;
    t.start();
    QCOMPARE(::kill(pid_t(pid), SIGSTOP), 0); // still listening, no longer answering
    QTRY_COMPARE_WITH_TIMEOUT(count(u"/checked"_s, "tasksUnhealthy"), 1, 5000);
    task = app(u"/checked"_s)["tasks"_L1][0].toObject();
    QCOMPARE(task["healthCheckResults"_L1][0]["alive"_L1].toBool(), false);
    QVERIFY(task["healthCheckResults"_L1][0]["consecutiveFailures"_L1].toInt() >= 1);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const auto &e : events) {
                if (e.at(0).toString() == "unhealthy_instance_kill_event"_L1 &&
                    e.at(1).toJsonObject()["taskId"_L1].toString() == taskId)
                    return true;
            }
            return false;
        }(),
        10000);
    QTRY_VERIFY_WITH_TIMEOUT(count(u"/checked"_s, "tasksHealthy") == 1 &&
                                 app(u"/checked"_s)["tasks"_L1][0]["id"_L1].toString() != taskId,
                             15000);
    qInfo("FIGURE sigstop_to_replaced_healthy_ms=%lld", t.elapsed());
    bool healthEvent = false;
    for (const auto &e : events)
        healthEvent = healthEvent || (e.at(0).toString() == "health_status_changed_event"_L1 &&
                                      !e.at(1).toJsonObject()["alive"_L1].toBool());
    QVERIFY(healthEvent);
    // The stopped process was killed (SIGTERM cannot reach it, SIGKILL after the grace period).
    QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(u"/proc/%1"_s.arg(pid)), 10000);
    QCOMPARE(http("DELETE", u"/v2/apps/checked"_s).status, 200);
}

void TestTaskRunner::rollingUpgradeKeepsCapacity()
{
    QCOMPARE(http("PUT", u"/v2/apps/shop/web"_s, R"({"instances": 2})").status, 200);
    QVERIFY(waitRunning(u"/shop/web"_s, 2));
    QSet<QString> old;
    for (const QJsonValue &v : app(u"/shop/web"_s)["tasks"_L1].toArray())
        old.insert(v["id"_L1].toString());
    // No room over capacity: one old task goes first, then one new for one old.
    const QByteArray change = R"({"env": {"COLOR": "blue"},
        "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0}})";
    QCOMPARE(http("PUT", u"/v2/apps/shop/web"_s, change).status, 200);
    int most = 0, fewestServing = 2;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 15000) {
        const QJsonArray tasks = app(u"/shop/web"_s)["tasks"_L1].toArray();
        int fresh = 0, serving = 0;
        for (const QJsonValue &v : tasks) {
            fresh += old.contains(v["id"_L1].toString()) ? 0 : 1;
            serving += v["state"_L1].toString() == "TASK_RUNNING"_L1 ? 1 : 0;
        }
        most = std::max(most, int(tasks.size()));
        fewestServing = std::min(fewestServing, serving);
        if (fresh == 2 && tasks.size() == 2 && serving == 2)
            break;
        QTest::qWait(20);
    }
    QVERIFY(waitRunning(u"/shop/web"_s, 2));
    for (const QJsonValue &v : app(u"/shop/web"_s)["tasks"_L1].toArray())
        QVERIFY(!old.contains(v["id"_L1].toString()));
    QCOMPARE(most, 2);           // maximumOverCapacity 0
    QVERIFY(fewestServing >= 1); // minimumHealthCapacity 0.5
}

void TestTaskRunner::haproxyFollowsTasks()
{
    QSignalSpy refreshed(m_bridge.get(), &HaproxyBridge::refreshed);
    const int reloads = m_bridge->reloads();
    const QString master = m_status.nodes.first().name;
    const qint64 before = m_bridge->pid(master);
    m_bridge->refreshNow();
    QVERIFY(refreshed.wait(10000));
    const QByteArray cfg = m_bridge->currentConfig();
    QVERIFY2(cfg.contains("listen shop_web-10001\n  bind 0.0.0.0:10001\n  mode tcp\n  option "
                          "tcplog\n  balance leastconn\n  server shop_web-2 198.18.0."),
             cfg.constData());
    QVERIFY(cfg.contains("  server shop_web-1 198.18.0."));
    QVERIFY(m_bridge->reloads() > reloads);
    QVERIFY(m_bridge->pid(master) > 0 && m_bridge->pid(master) != before);     // reloaded (-sf)
    QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(u"/proc/%1"_s.arg(before)), 5000); // old one left
    // Both tasks answer through any node (leastconn spreads sequential requests).
    QSet<QString> seen;
    const QJsonArray tasks = app(u"/shop/web"_s)["tasks"_L1].toArray();
    for (int i = 0; i < 12 && seen.size() < 2; ++i) {
        const QString page = curl(m_status.nodes.at(i % 3).address, 10001);
        for (const QJsonValue &v : tasks) {
            if (page.contains(v["id"_L1].toString()))
                seen.insert(v["id"_L1].toString());
        }
    }
    QCOMPARE(seen.size(), 2);

    // Unchanged: no reload.
    refreshed.clear();
    const int now = m_bridge->reloads();
    m_bridge->refreshNow();
    QVERIFY(refreshed.wait(10000));
    QCOMPARE(refreshed.first().at(0).toBool(), false);
    QCOMPARE(m_bridge->reloads(), now);

    // The app gone: its listen block goes, and port 10001 no longer answers.
    QCOMPARE(http("DELETE", u"/v2/apps/shop/web"_s).status, 200);
    refreshed.clear();
    m_bridge->refreshNow();
    QVERIFY(refreshed.wait(10000));
    QVERIFY(!m_bridge->currentConfig().contains("shop_web"));
    QTRY_VERIFY_WITH_TIMEOUT(curl(m_status.nodes.first().address, 10001).isEmpty(), 5000);
}

void TestTaskRunner::destroyAndTeardownLeaveNothing()
{
    const qint64 nginxPid = m_runner->pid(app(u"/nginx"_s)["tasks"_L1][0]["id"_L1].toString());
    QVERIFY(nginxPid > 0);
    QCOMPARE(http("DELETE", u"/v2/apps/nginx"_s).status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(u"/proc/%1"_s.arg(nginxPid)), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(taskProcesses().isEmpty(), 5000);

    // A task still running when the server goes: stopped with it.
    QCOMPARE(http("POST", u"/v2/apps"_s,
                  R"({"id": "/left", "cmd": "x", "cpus": 0.1, "mem": 16, "instances": 2,
                      "healthChecks": [{"protocol": "TCP", "portIndex": 0, "intervalSeconds": 1,
                                        "gracePeriodSeconds": 5, "timeoutSeconds": 1}]})")
                 .status,
             201);
    QVERIFY(waitRunning(u"/left"_s, 2));
    QTRY_COMPARE_WITH_TIMEOUT(count(u"/left"_s, "tasksHealthy"), 2, 5000); // TCP checks pass
    QCOMPARE(taskProcesses().size(), 2);
    m_server.reset();
    QVERIFY(taskProcesses().isEmpty());
    QVERIFY(m_runner->taskIds().isEmpty());
    QList<qint64> haproxies;
    for (const ClusterNode &n : m_status.nodes)
        haproxies << m_bridge->pid(n.name);
    m_bridge.reset();
    for (qint64 pid : haproxies)
        QVERIFY(!QFile::exists(u"/proc/%1"_s.arg(pid)));
}

void TestTaskRunner::cleanupTestCase()
{
    m_server.reset();
    m_bridge.reset();
    m_runner.reset();
    if (m_cluster) {
        QString error;
        QVERIFY2(m_cluster->down(&error), qPrintable(error));
    }
}

QTEST_MAIN(TestTaskRunner)
#include "tst_taskrunner.moc"
