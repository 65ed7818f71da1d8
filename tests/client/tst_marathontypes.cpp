// Typed parsing of Marathon replies (0.7 and 1.10 shapes) and the mapping of HTTP replies to
// ApiError, on fixtures written for these tests (tests/data/client).

#include "marathon/marathonclient.h"
#include "marathon/marathontypes.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace pier;
using namespace pier::marathon;

namespace {

QByteArray fixture(const QString &name)
{
    QFile f(QStringLiteral(PIER_TEST_DATA "/client/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(name));
    return f.readAll();
}

QJsonObject fixtureObject(const QString &name)
{
    return QJsonDocument::fromJson(fixture(name)).object();
}

} // namespace

class TestMarathonTypes : public QObject {
    Q_OBJECT
private slots:
    void task_data();
    void task();
    void app_data();
    void app();
    void appDefinitionKeepsFieldsDropsStatus();
    void deploymentResult();
    void deployments();
    void queueEntries();
    void info_data();
    void info();
    void dates();
    void errors_data();
    void errors();
    void nonJson_data();
    void nonJson();
    void transientKinds();
};

void TestMarathonTypes::task_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("appId");
    QTest::addColumn<QString>("host");
    QTest::addColumn<QString>("state");
    QTest::addColumn<QString>("effectiveState");
    QTest::addColumn<int>("healthy"); // -1: no results
    QTest::addColumn<QList<int>>("ports");
    QTest::addColumn<QList<int>>("servicePorts");
    QTest::addColumn<bool>("started");
    QTest::addColumn<QString>("slaveId");

    QTest::newRow("0.7 running (no state)")
        << "task-0.7-running.json"
        << "/web"
        << "10.240.0.21" << QString() << "TASK_RUNNING" << -1 << QList<int>{31412} << QList<int>{80}
        << true << QString();
    QTest::newRow("0.7 staging (no startedAt)")
        << "task-0.7-staging.json"
        << "/web"
        << "10.240.0.22" << QString() << "TASK_STAGING" << -1 << QList<int>{31007} << QList<int>{80}
        << false << QString();
    QTest::newRow("1.10 healthy") << "task-1.10-healthy.json"
                                  << "/shop/cart"
                                  << "198.18.0.12"
                                  << "TASK_RUNNING"
                                  << "TASK_RUNNING" << 1 << QList<int>{31200, 31201}
                                  << QList<int>{10100, 10101} << true
                                  << "c1b2a3d4-0000-4000-8000-000000000001-S2";
    QTest::newRow("1.10 one check failing")
        << "task-1.10-unhealthy.json"
        << "/shop/cart"
        << "198.18.0.13"
        << "TASK_RUNNING"
        << "TASK_RUNNING" << 0 << QList<int>{31300} << QList<int>{10100} << true
        << "c1b2a3d4-0000-4000-8000-000000000001-S3";
    QTest::newRow("1.10 staging, empty results")
        << "task-1.10-staging.json"
        << "/shop/cart"
        << "198.18.0.11"
        << "TASK_STAGING"
        << "TASK_STAGING" << -1 << QList<int>{} << QList<int>{} << false << QString();
}

void TestMarathonTypes::task()
{
    QFETCH(QString, file);
    const MarathonTask t = MarathonTask::fromJson(fixtureObject(file));
    QVERIFY(!t.id.isEmpty());
    QTEST(t.appId, "appId");
    QTEST(t.host, "host");
    QTEST(t.state, "state");
    QTEST(t.effectiveState(), "effectiveState");
    QFETCH(int, healthy);
    const std::optional<bool> h = t.healthy();
    QCOMPARE(h.has_value(), healthy >= 0);
    if (h)
        QCOMPARE(*h, healthy == 1);
    QTEST(t.ports, "ports");
    QTEST(t.servicePorts, "servicePorts");
    QFETCH(bool, started);
    QCOMPARE(t.startedAt.isValid(), started);
    QVERIFY(t.stagedAt.isValid());
    QCOMPARE(t.stagedAt.timeSpec(), Qt::UTC);
    QTEST(t.slaveId, "slaveId");
    QVERIFY(!t.version.isEmpty());
    QCOMPARE(t.json.value(QLatin1String("id")).toString(), t.id);
}

void TestMarathonTypes::app_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("id");
    QTest::addColumn<int>("instances");
    QTest::addColumn<int>("running");
    QTest::addColumn<int>("staged");
    QTest::addColumn<int>("healthy");
    QTest::addColumn<int>("unhealthy");
    QTest::addColumn<QStringList>("deploymentIds");
    QTest::addColumn<int>("tasks");
    QTest::addColumn<bool>("lastTaskFailure");

    QTest::newRow("0.7 (ports, docker.network, tasks without state)")
        << "app-0.7.json"
        << "/web" << 2 << 1 << 1 << 0 << 0
        << QStringList{QStringLiteral("1e4d2f7a-3b5c-4d6e-8f90-a1b2c3d4e5f6")} << 2 << false;
    QTest::newRow("1.10 (networks, container.portMappings)")
        << "app-1.10.json"
        << "/shop/cart" << 2 << 2 << 0 << 1 << 1 << QStringList{} << 2 << true;
    QTest::newRow("1.10 counts in taskStats")
        << "app-1.10-taskstats.json"
        << "/stats-only" << 3 << 2 << 1 << 2 << 0 << QStringList{} << 0 << false;
}

void TestMarathonTypes::app()
{
    QFETCH(QString, file);
    QJsonObject o = fixtureObject(file);
    if (o.contains(QLatin1String("app")))
        o = o.value(QLatin1String("app")).toObject();
    const MarathonApp a = MarathonApp::fromJson(o);
    QTEST(a.id, "id");
    QTEST(a.instances, "instances");
    QTEST(a.tasksRunning, "running");
    QTEST(a.tasksStaged, "staged");
    QTEST(a.tasksHealthy, "healthy");
    QTEST(a.tasksUnhealthy, "unhealthy");
    QTEST(a.deploymentIds, "deploymentIds");
    QTEST(int(a.tasks.size()), "tasks");
    QFETCH(bool, lastTaskFailure);
    QCOMPARE(!a.lastTaskFailure.isEmpty(), lastTaskFailure);
    QVERIFY(!a.version.isEmpty());
    for (const MarathonTask &t : a.tasks)
        QCOMPARE(t.appId, a.id);
    QCOMPARE(a.json, o);
}

void TestMarathonTypes::appDefinitionKeepsFieldsDropsStatus()
{
    const QJsonObject o =
        fixtureObject(QStringLiteral("app-0.7.json")).value(QLatin1String("app")).toObject();
    const MarathonApp a = MarathonApp::fromJson(o);
    const QJsonObject def = a.definition.json();
    for (const char *gone : {"tasks", "deployments", "tasksRunning", "tasksStaged"})
        QVERIFY2(!def.contains(QLatin1String(gone)), gone);
    // The 0.7 network form is kept as Marathon returned it.
    QCOMPARE(def.value(QLatin1String("container"))
                 .toObject()
                 .value(QLatin1String("docker"))
                 .toObject()
                 .value(QLatin1String("network"))
                 .toString(),
             QStringLiteral("BRIDGE"));
    QCOMPARE(def.value(QLatin1String("ports")).toArray().size(), 1);
    QCOMPARE(def.value(QLatin1String("id")).toString(), QStringLiteral("/web"));

    const QJsonObject modern =
        fixtureObject(QStringLiteral("app-1.10.json")).value(QLatin1String("app")).toObject();
    const QJsonObject def2 = MarathonApp::fromJson(modern).definition.json();
    QCOMPARE(def2.value(QLatin1String("networks")).toArray().size(), 1);
    QCOMPARE(def2.value(QLatin1String("container"))
                 .toObject()
                 .value(QLatin1String("portMappings"))
                 .toArray()
                 .size(),
             1);
    QVERIFY(!def2.contains(QLatin1String("lastTaskFailure")));
}

void TestMarathonTypes::deploymentResult()
{
    const DeploymentResult put =
        DeploymentResult::fromJson(fixtureObject(QStringLiteral("deployment-result.json")));
    QCOMPARE(put.deploymentId, QStringLiteral("0d7e6a1c-22b4-4c8e-bb1d-9f4e2a6c8b10"));
    QCOMPARE(put.version, QStringLiteral("2020-11-04T10:10:10.010Z"));
    QVERIFY(put.appId.isEmpty());
    QVERIFY(!put.isEmpty());

    const DeploymentResult post =
        DeploymentResult::fromJson(fixtureObject(QStringLiteral("app-post-reply.json")));
    QCOMPARE(post.deploymentId, QStringLiteral("5c1e0b32-8d2a-4f1b-9c55-3e1d7b9a0c21"));
    QCOMPARE(post.version, QStringLiteral("2020-11-04T09:59:59.999Z"));
    QCOMPARE(post.appId, QStringLiteral("/shop/cart"));

    QVERIFY(DeploymentResult::fromJson({}).isEmpty());
}

void TestMarathonTypes::deployments()
{
    const QJsonArray list =
        QJsonDocument::fromJson(fixture(QStringLiteral("deployments.json"))).array();
    QCOMPARE(list.size(), 2);
    const Deployment d = Deployment::fromJson(list.at(0).toObject());
    QCOMPARE(d.id, QStringLiteral("0d7e6a1c-22b4-4c8e-bb1d-9f4e2a6c8b10"));
    QCOMPARE(d.affectedApps, QStringList{QStringLiteral("/shop/cart")});
    QCOMPARE(d.currentStep, 2);
    QCOMPARE(d.totalSteps, 2);
    QCOMPARE(d.currentActions.size(), 1);
    QCOMPARE(d.currentActions.first().value(QLatin1String("action")).toString(),
             QStringLiteral("ScaleApplication"));

    // Older servers: steps as arrays of actions and no totalSteps.
    const Deployment old = Deployment::fromJson(list.at(1).toObject());
    QCOMPARE(old.totalSteps, 3);
    QCOMPARE(old.currentStep, 1);
    QCOMPARE(old.affectedApps, QStringList{QStringLiteral("/web")});
}

void TestMarathonTypes::queueEntries()
{
    const QJsonArray list =
        fixtureObject(QStringLiteral("queue.json")).value(QLatin1String("queue")).toArray();
    QCOMPARE(list.size(), 2);
    const QueueEntry a = QueueEntry::fromJson(list.at(0).toObject());
    QCOMPARE(a.appId, QStringLiteral("/shop/cart"));
    QCOMPARE(a.count, 1);
    QCOMPARE(a.delaySeconds, 42);
    QCOMPARE(a.overdue, false);
    const QueueEntry b = QueueEntry::fromJson(list.at(1).toObject());
    QCOMPARE(b.appId, QStringLiteral("/web"));
    QCOMPARE(b.count, 2);
    QCOMPARE(b.delaySeconds, 0);
    QCOMPARE(b.overdue, true);
}

void TestMarathonTypes::info_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("version");
    QTest::addColumn<QString>("leader");
    QTest::addColumn<bool>("eventStream");
    QTest::newRow("0.7.6") << "info-0.7.json"
                           << "0.7.6"
                           << "10.240.0.2:8080" << false;
    QTest::newRow("1.10.26") << "info-1.10.json"
                             << "1.10.26"
                             << "198.18.0.2:8080" << true;
}

void TestMarathonTypes::info()
{
    QFETCH(QString, file);
    const MarathonInfo i = MarathonInfo::fromJson(fixtureObject(file));
    QCOMPARE(i.name, QStringLiteral("marathon"));
    QTEST(i.version, "version");
    QTEST(i.leader, "leader");
    QTEST(i.eventStream, "eventStream");
    QVERIFY(!i.frameworkId.isEmpty());
}

void TestMarathonTypes::dates()
{
    const QDateTime t = parseMarathonDate(QStringLiteral("2015-02-17T19:32:03.648Z"));
    QVERIFY(t.isValid());
    QCOMPARE(t.timeSpec(), Qt::UTC);
    QCOMPARE(t.time().msec(), 648);
    QCOMPARE(formatMarathonDate(t), QStringLiteral("2015-02-17T19:32:03.648Z"));
    QCOMPARE(formatMarathonDate(parseMarathonDate(QStringLiteral("2015-02-17T19:32:03Z"))),
             QStringLiteral("2015-02-17T19:32:03.000Z"));
    QCOMPARE(parseMarathonDate(QStringLiteral("2015-02-17T20:32:03.648+01:00")), t);
    QVERIFY(!parseMarathonDate(QString()).isValid());
    QVERIFY(!parseMarathonDate(QStringLiteral("yesterday")).isValid());
}

void TestMarathonTypes::errors_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("file");
    QTest::addColumn<ApiError::Kind>("kind");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("hintHas");
    QTest::addColumn<QStringList>("details"); // "path=error|error"
    QTest::addColumn<QStringList>("deploymentIds");

    QTest::newRow("400 invalid json (1.x details)")
        << 400 << "errors/400-invalid-json.json" << ApiError::Kind::Invalid << "Invalid JSON"
        << "Fix" << QStringList{QStringLiteral("/instances=error.expected.jsnumber")}
        << QStringList{};
    QTest::newRow("400 legacy attribute errors")
        << 400 << "errors/400-legacy-attribute.json" << ApiError::Kind::Invalid
        << "Bean is not valid"
        << "Fix"
        << QStringList{QStringLiteral(
                           "/id=contains invalid characters (allowed: [a-z0-9]* . and .. in path)"),
                       QStringLiteral("/container/docker/image=may not be empty"),
                       QStringLiteral("/ports/1=must be unique")}
        << QStringList{};
    QTest::newRow("400 unknown task, no details")
        << 400 << "errors/400-unknown-task.json" << ApiError::Kind::Invalid
        << "Invalid task id nope"
        << "" << QStringList{} << QStringList{};
    QTest::newRow("401") << 401 << "errors/401.json" << ApiError::Kind::Auth
                         << "Invalid username or password."
                         << "password" << QStringList{} << QStringList{};
    QTest::newRow("403") << 403 << "errors/403.json" << ApiError::Kind::Auth
                         << "Not Authorized to perform this action!"
                         << "permission" << QStringList{} << QStringList{};
    QTest::newRow("401 without body") << 401 << "" << ApiError::Kind::Auth << "HTTP 401"
                                      << "password" << QStringList{} << QStringList{};
    QTest::newRow("404") << 404 << "errors/404-app.json" << ApiError::Kind::NotFound
                         << "App '/shop/nothere' does not exist"
                         << "" << QStringList{} << QStringList{};
    QTest::newRow("404 empty") << 404 << "" << ApiError::Kind::NotFound << "HTTP 404"
                               << "" << QStringList{} << QStringList{};
    QTest::newRow("409 locked") << 409 << "errors/409-locked.json" << ApiError::Kind::Conflict
                                << "locked by one or more deployments"
                                << "force" << QStringList{}
                                << QStringList{
                                       QStringLiteral("0d7e6a1c-22b4-4c8e-bb1d-9f4e2a6c8b10"),
                                       QStringLiteral("77e3c2a1-0000-4000-8000-000000000002")};
    QTest::newRow("409 duplicate") << 409 << "errors/409-duplicate.json" << ApiError::Kind::Conflict
                                   << "An app with id [/shop/cart] already exists."
                                   << "already exists" << QStringList{} << QStringList{};
    QTest::newRow("422 details")
        << 422 << "errors/422-details.json" << ApiError::Kind::Invalid << "Object is not valid"
        << "Fix"
        << QStringList{QStringLiteral("/upgradeStrategy/minimumHealthCapacity=is greater than 1"),
                       QStringLiteral("/container/portMappings/0/containerPort=is less than 0|must "
                                      "be an integer")}
        << QStringList{};
    QTest::newRow("500") << 500 << "errors/500.json" << ApiError::Kind::Server
                         << "Futures timed out"
                         << "log" << QStringList{} << QStringList{};
    QTest::newRow("503 empty") << 503 << "" << ApiError::Kind::Server << "unavailable"
                               << "leader" << QStringList{} << QStringList{};
}

void TestMarathonTypes::errors()
{
    QFETCH(int, status);
    QFETCH(QString, file);
    QFETCH(QString, message);
    QFETCH(QString, hintHas);
    QFETCH(QStringList, details);
    const QByteArray body = file.isEmpty() ? QByteArray() : fixture(file);
    const ApiError e = marathonErrorFrom(status, body, {}, QByteArrayLiteral("application/json"));
    QTEST(e.kind, "kind");
    QCOMPARE(e.httpStatus, status);
    QVERIFY2(e.message.contains(message), qPrintable(e.message));
    if (!hintHas.isEmpty())
        QVERIFY2(e.hint.contains(hintHas), qPrintable(e.hint));
    QStringList got;
    for (const FieldError &d : e.details)
        got << d.path + QLatin1Char('=') + d.errors.join(QLatin1Char('|'));
    QCOMPARE(got, details);
    QTEST(e.deploymentIds, "deploymentIds");
    QVERIFY(!e.toText().isEmpty());
}

void TestMarathonTypes::nonJson_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<bool>("expectJson");
    QTest::addColumn<ApiError::Kind>("kind");
    QTest::addColumn<QStringList>("messageHas");
    QTest::addColumn<bool>("notMarathonHint");

    QTest::newRow("200 login page")
        << 200 << "errors/login-page.html" << QByteArray("text/html; charset=utf-8") << true
        << ApiError::Kind::BadReply
        << QStringList{QStringLiteral("Corporate Sign-In"), QStringLiteral("text/html")} << true;
    QTest::newRow("200 text, no content type")
        << 200 << "" << QByteArray() << true << ApiError::Kind::None << QStringList{} << false;
    QTest::newRow("404 page") << 404 << "errors/502-proxy.html" << QByteArray("text/html") << true
                              << ApiError::Kind::BadReply << QStringList{QStringLiteral("404")}
                              << true;
    QTest::newRow("502 proxy page")
        << 502 << "errors/502-proxy.html" << QByteArray("text/html") << true
        << ApiError::Kind::Server
        << QStringList{QStringLiteral("502 Bad Gateway"), QStringLiteral("text/html")} << false;
    QTest::newRow("401 proxy page")
        << 401 << "errors/login-page.html" << QByteArray("text/html") << true
        << ApiError::Kind::Auth << QStringList{QStringLiteral("Corporate Sign-In")} << false;
}

void TestMarathonTypes::nonJson()
{
    QFETCH(int, status);
    QFETCH(QString, file);
    QFETCH(QByteArray, contentType);
    QFETCH(bool, expectJson);
    QFETCH(QStringList, messageHas);
    QFETCH(bool, notMarathonHint);
    const QByteArray body = file.isEmpty() ? QByteArray() : fixture(file);
    const ApiError e = marathonErrorFrom(status, body, {}, contentType, expectJson);
    QTEST(e.kind, "kind");
    for (const QString &m : messageHas)
        QVERIFY2(e.message.contains(m), qPrintable(e.message));
    if (notMarathonHint)
        QVERIFY2(e.hint.contains(QStringLiteral("Marathon")), qPrintable(e.hint));

    // Text where JSON is not expected (GET /ping answers "pong").
    QCOMPARE(marathonErrorFrom(200, QByteArrayLiteral("pong"), {}, QByteArrayLiteral("text/plain"),
                               false)
                 .kind,
             ApiError::Kind::None);
    QCOMPARE(
        marathonErrorFrom(200, QByteArrayLiteral("pong"), {}, QByteArrayLiteral("text/plain"), true)
            .kind,
        ApiError::Kind::BadReply);
}

void TestMarathonTypes::transientKinds()
{
    QVERIFY(marathonErrorFrom(500, {}).isTransient());
    QVERIFY(marathonErrorFrom(503, {}).isTransient());
    QVERIFY(marathonErrorFrom(0, {}, QStringLiteral("Connection refused")).isTransient());
    QCOMPARE(marathonErrorFrom(0, {}, QStringLiteral("Connection refused")).kind,
             ApiError::Kind::Network);
    for (int status : {400, 401, 403, 404, 409, 422})
        QVERIFY2(!marathonErrorFrom(status, {}).isTransient(), qPrintable(QString::number(status)));
}

QTEST_GUILESS_MAIN(TestMarathonTypes)
#include "tst_marathontypes.moc"
