// MarathonClient over real HTTP on 127.0.0.1: first against a scripted server in this file (exact
// requests on the wire, redirects, faults, non-JSON pages, TLS through openssl s_server), then
// against the sandbox's Marathon server (real Marathon behaviour, both reply flavors).

#include "core/logging.h"
#include "marathon/marathonclient.h"
#include "sandbox/marathonserver.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <functional>
#include <memory>

using namespace pier;
using namespace pier::marathon;

namespace {

// A request as it arrived on the wire.
struct Seen {
    QByteArray method;
    QByteArray target;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QByteArray header(const QByteArray &name) const
    {
        for (const auto &h : headers) {
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return h.second;
        }
        return {};
    }
};

// What the scripted server does with a request.
struct Canned {
    enum Action { Reply, Hang, Close };
    Action action = Reply;
    int status = 200;
    QByteArray body;
    QByteArray contentType = "application/json";
    QList<QPair<QByteArray, QByteArray>> headers;

    static Canned json(int status, const QByteArray &body)
    {
        return Canned{Reply, status, body, "application/json", {}};
    }
    Canned &with(const QByteArray &name, const QByteArray &value)
    {
        headers << qMakePair(name, value);
        return *this;
    }
};

// A minimal HTTP/1.1 server: one request per connection, answered by a script, every request kept.
class ScriptedServer : public QTcpServer {
public:
    std::function<Canned(const Seen &)> script = [](const Seen &) {
        return Canned::json(200, "{}");
    };
    QList<Seen> seen;

    explicit ScriptedServer(QObject *parent = nullptr) : QTcpServer(parent)
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection()) {
                auto buffer = std::make_shared<QByteArray>();
                connect(s, &QTcpSocket::readyRead, s, [this, s, buffer] {
                    buffer->append(s->readAll());
                    handle(s, *buffer);
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
        QVERIFY(listen(QHostAddress::LocalHost));
    }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(serverPort())); }

private:
    void handle(QTcpSocket *s, QByteArray &buffer)
    {
        const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return;
        Seen req;
        const QList<QByteArray> lines = buffer.left(headEnd).split('\n');
        const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
        req.method = first.value(0);
        req.target = first.value(1);
        qsizetype length = 0;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon < 0)
                continue;
            const QByteArray name = lines[i].left(colon).trimmed();
            const QByteArray value = lines[i].mid(colon + 1).trimmed();
            req.headers << qMakePair(name, value);
            if (name.compare("Content-Length", Qt::CaseInsensitive) == 0)
                length = value.toLongLong();
        }
        if (buffer.size() < headEnd + 4 + length)
            return;
        req.body = buffer.mid(headEnd + 4, length);
        buffer.clear();
        seen << req;
        const Canned c = script(req);
        if (c.action == Canned::Hang)
            return;
        if (c.action == Canned::Close) {
            s->abort();
            return;
        }
        QByteArray out = "HTTP/1.1 " + QByteArray::number(c.status) + " Scripted\r\n";
        if (!c.contentType.isEmpty())
            out += "Content-Type: " + c.contentType + "\r\n";
        for (const auto &h : c.headers)
            out += h.first + ": " + h.second + "\r\n";
        out += "Content-Length: " + QByteArray::number(c.body.size()) +
               "\r\nConnection: close\r\n\r\n";
        out += c.body;
        s->write(out);
        s->disconnectFromHost();
    }
};

// A port on 127.0.0.1 that nothing listens on.
quint16 closedPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost);
    return probe.serverPort(); // closed again when probe goes
}

MarathonConfig configFor(const QList<QUrl> &urls)
{
    MarathonConfig c;
    c.urls = urls;
    c.timeoutMs = 5000;
    c.maxRetries = 2;
    c.retryBaseDelayMs = 20;
    return c;
}

// Waits for the reply; false when it never finished.
bool waitFor(MarathonReply *reply, int timeoutMs = 15000)
{
    if (reply->isFinished())
        return true;
    QSignalSpy spy(reply, &MarathonReply::finished);
    return spy.wait(timeoutMs) || reply->isFinished();
}

QByteArray compactJson(const QByteArray &json)
{
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    return doc.isNull() ? json : doc.toJson(QJsonDocument::Compact);
}

AppDefinition cartApp()
{
    QJsonObject o;
    o.insert(QLatin1String("id"), QStringLiteral("/shop/cart"));
    o.insert(QLatin1String("cmd"), QStringLiteral("sleep 1000"));
    o.insert(QLatin1String("cpus"), 0.1);
    o.insert(QLatin1String("mem"), 32);
    o.insert(QLatin1String("instances"), 1);
    return AppDefinition(o);
}

// Every endpoint with what must go over the wire.
struct EndpointCase {
    const char *name;
    std::function<MarathonReply *(MarathonClient &)> call;
    QByteArray method;
    QByteArray target;
    QByteArray body; // compact JSON, or empty
};

QList<EndpointCase> endpointCases()
{
    const QString cart = QStringLiteral("/shop/cart");
    return {
        {"ping", [](MarathonClient &c) { return c.ping(); }, "GET", "/ping", {}},
        {"info", [](MarathonClient &c) { return c.info(); }, "GET", "/v2/info", {}},
        {"leader", [](MarathonClient &c) { return c.leader(); }, "GET", "/v2/leader", {}},
        {"listApps", [](MarathonClient &c) { return c.listApps(); }, "GET", "/v2/apps", {}},
        {"listApps embed+filter",
         [](MarathonClient &c) {
             return c.listApps({QStringLiteral("apps.tasks"), QStringLiteral("apps.deployments")},
                               QStringLiteral("/shop"));
         },
         "GET",
         "/v2/apps?id=/shop&embed=apps.tasks&embed=apps.deployments",
         {}},
        {"getApp nested id",
         [cart](MarathonClient &c) { return c.getApp(cart, {QStringLiteral("app.tasks")}); },
         "GET",
         "/v2/apps/shop/cart?embed=app.tasks",
         {}},
        {"getApp relative, stray slashes",
         [](MarathonClient &c) { return c.getApp(QStringLiteral("shop//cart/")); },
         "GET",
         "/v2/apps/shop/cart",
         {}},
        {"getApp encoded segment",
         [](MarathonClient &c) { return c.getApp(QStringLiteral("/odd id?#")); },
         "GET",
         "/v2/apps/odd%20id%3F%23",
         {}},
        {"createApp", [](MarathonClient &c) { return c.createApp(cartApp()); }, "POST", "/v2/apps",
         cartApp().toJson(false)},
        {"updateApp", [](MarathonClient &c) { return c.updateApp(cartApp()); }, "PUT",
         "/v2/apps/shop/cart", cartApp().toJson(false)},
        {"updateApp force", [](MarathonClient &c) { return c.updateApp(cartApp(), true); }, "PUT",
         "/v2/apps/shop/cart?force=true", cartApp().toJson(false)},
        {"deleteApp",
         [cart](MarathonClient &c) { return c.deleteApp(cart); },
         "DELETE",
         "/v2/apps/shop/cart",
         {}},
        {"deleteApp force",
         [cart](MarathonClient &c) { return c.deleteApp(cart, true); },
         "DELETE",
         "/v2/apps/shop/cart?force=true",
         {}},
        {"scaleApp", [cart](MarathonClient &c) { return c.scaleApp(cart, 3); }, "PUT",
         "/v2/apps/shop/cart", R"({"instances":3})"},
        {"suspendApp force", [cart](MarathonClient &c) { return c.suspendApp(cart, true); }, "PUT",
         "/v2/apps/shop/cart?force=true", R"({"instances":0})"},
        {"restartApp",
         [cart](MarathonClient &c) { return c.restartApp(cart); },
         "POST",
         "/v2/apps/shop/cart/restart",
         {}},
        {"restartApp force",
         [cart](MarathonClient &c) { return c.restartApp(cart, true); },
         "POST",
         "/v2/apps/shop/cart/restart?force=true",
         {}},
        {"listVersions",
         [cart](MarathonClient &c) { return c.listVersions(cart); },
         "GET",
         "/v2/apps/shop/cart/versions",
         {}},
        {"getVersion",
         [cart](MarathonClient &c) {
             return c.getVersion(cart, QStringLiteral("2020-11-04T09:59:59.999Z"));
         },
         "GET",
         "/v2/apps/shop/cart/versions/2020-11-04T09:59:59.999Z",
         {}},
        {"rollbackApp",
         [cart](MarathonClient &c) {
             return c.rollbackApp(cart, QStringLiteral("2020-11-04T09:00:00.000Z"));
         },
         "PUT", "/v2/apps/shop/cart", R"({"version":"2020-11-04T09:00:00.000Z"})"},
        {"appTasks",
         [cart](MarathonClient &c) { return c.appTasks(cart); },
         "GET",
         "/v2/apps/shop/cart/tasks",
         {}},
        {"allTasks", [](MarathonClient &c) { return c.allTasks(); }, "GET", "/v2/tasks", {}},
        {"killAppTasks host+scale",
         [cart](MarathonClient &c) {
             return c.killAppTasks(cart, QStringLiteral("198.18.0.12"), true);
         },
         "DELETE",
         "/v2/apps/shop/cart/tasks?host=198.18.0.12&scale=true",
         {}},
        {"killAppTasks all",
         [cart](MarathonClient &c) { return c.killAppTasks(cart); },
         "DELETE",
         "/v2/apps/shop/cart/tasks?scale=false",
         {}},
        {"killTask",
         [cart](MarathonClient &c) {
             return c.killTask(cart, QStringLiteral("shop_cart.instance-1a.app.1"));
         },
         "DELETE",
         "/v2/apps/shop/cart/tasks/shop_cart.instance-1a.app.1?scale=false",
         {}},
        {"killTask scale",
         [cart](MarathonClient &c) {
             return c.killTask(cart, QStringLiteral("shop_cart.1"), true);
         },
         "DELETE",
         "/v2/apps/shop/cart/tasks/shop_cart.1?scale=true",
         {}},
        {"killTasks",
         [](MarathonClient &c) {
             return c.killTasks({QStringLiteral("a.1"), QStringLiteral("b.2")}, true);
         },
         "POST", "/v2/tasks/delete?scale=true", R"({"ids":["a.1","b.2"]})"},
        {"listDeployments",
         [](MarathonClient &c) { return c.listDeployments(); },
         "GET",
         "/v2/deployments",
         {}},
        {"cancelDeployment (rollback)",
         [](MarathonClient &c) { return c.cancelDeployment(QStringLiteral("0d7e6a1c-22b4")); },
         "DELETE",
         "/v2/deployments/0d7e6a1c-22b4",
         {}},
        {"cancelDeployment force",
         [](MarathonClient &c) {
             return c.cancelDeployment(QStringLiteral("0d7e6a1c-22b4"), false);
         },
         "DELETE",
         "/v2/deployments/0d7e6a1c-22b4?force=true",
         {}},
        {"queue", [](MarathonClient &c) { return c.queue(); }, "GET", "/v2/queue", {}},
        {"resetDelay",
         [cart](MarathonClient &c) { return c.resetDelay(cart); },
         "DELETE",
         "/v2/queue/shop/cart/delay",
         {}},
    };
}

// Runs `openssl` and says why not when it cannot.
bool runOpenssl(const QStringList &args, QString *why)
{
    QProcess p;
    p.start(QStringLiteral("openssl"), args);
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        *why = QString::fromLocal8Bit(p.readAllStandardError());
        return false;
    }
    return true;
}

} // namespace

class TestMarathonClient : public QObject {
    Q_OBJECT
private slots:
    // Scripted server: what goes over the wire.
    void endpoints_data();
    void endpoints();
    void basePathPrefix();
    void authHeaders_data();
    void authHeaders();
    void credentialsNeverLogged();
    void typedAccessorsOnReplies();
    void nonJsonReply();
    void retryOn5xxThenSuccess();
    void backoffGrows();
    void retryAfterHonoured();
    void longRetryAfterNotSlept();
    void postNotRetried();
    void clientErrorsNotRetried();
    void timeoutPerAttempt();
    void connectionRefused();
    void failoverToNextUrl();
    void redirectKeepsMethodBodyAuth();
    void redirectLoopStops();
    void leaderHeaderFollowed();
    void unreachableLeaderHeaderIgnored();
    void abortFinishesOnce();
    void clientDeletedFinishesCalls();
    void caFileProblemsAreLocal();
    void tlsErrorsReportedAndCaFileFixes();

    // Sandbox Marathon server: real Marathon behaviour.
    void sandboxLifecycle_data();
    void sandboxLifecycle();
    void sandboxConflictAndForce();
    void sandboxInvalidMappedToPaths_data();
    void sandboxInvalidMappedToPaths();
    void sandboxQueueAndResetDelay();
    void sandboxCancelDeployment();
    void sandboxBasicAuth();
    void sandboxTransientFaultsRetried_data();
    void sandboxTransientFaultsRetried();
    void sandboxTimeout();
    void sandboxPostNotRetried();
    void sandboxLeaderRedirect();
};

void TestMarathonClient::endpoints_data()
{
    QTest::addColumn<int>("index");
    const QList<EndpointCase> cases = endpointCases();
    for (int i = 0; i < cases.size(); ++i)
        QTest::newRow(cases[i].name) << i;
}

void TestMarathonClient::endpoints()
{
    QFETCH(int, index);
    const EndpointCase ec = endpointCases().at(index);
    ScriptedServer server;
    MarathonClient client(configFor({server.url()}));
    MarathonReply *reply = ec.call(client);
    QVERIFY(waitFor(reply));
    QVERIFY2(!reply->error(), qPrintable(reply->error().toText()));
    QCOMPARE(server.seen.size(), 1);
    const Seen &s = server.seen.first();
    QCOMPARE(s.method, ec.method);
    QCOMPARE(s.target, ec.target);
    QCOMPARE(compactJson(s.body), compactJson(ec.body));
    QCOMPARE(s.header("Accept"), QByteArray("application/json"));
    if (!ec.body.isEmpty())
        QVERIFY(s.header("Content-Type").startsWith("application/json"));
    QVERIFY(s.header("Authorization").isEmpty());
    QCOMPARE(reply->attempts(), 1);
    QCOMPARE(reply->httpStatus(), 200);
    QCOMPARE(reply->url().path(), QUrl::fromEncoded(ec.target).path());
}

void TestMarathonClient::basePathPrefix()
{
    // Marathon behind a path (DC/OS: /service/marathon), written with a trailing slash.
    ScriptedServer standby;
    ScriptedServer leader;
    const QByteArray leaderBase = leader.url().toEncoded() + "/service/marathon";
    standby.script = [leaderBase](const Seen &s) {
        const QByteArray rest = s.target.mid(int(qstrlen("/service/marathon")));
        return Canned{
            Canned::Reply, 307, {}, {}, {qMakePair(QByteArray("Location"), leaderBase + rest)}};
    };
    QUrl base = standby.url();
    base.setPath(QStringLiteral("/service/marathon/"));
    MarathonClient client(configFor({base}));
    QSignalSpy leaderSpy(&client, &MarathonClient::leaderChanged);
    MarathonReply *r = client.getApp(QStringLiteral("/shop/cart"), {QStringLiteral("app.tasks")});
    QVERIFY(waitFor(r));
    QVERIFY2(!r->error(), qPrintable(r->error().toText()));
    QCOMPARE(standby.seen.first().target,
             QByteArray("/service/marathon/v2/apps/shop/cart?embed=app.tasks"));
    QCOMPARE(leader.seen.first().target,
             QByteArray("/service/marathon/v2/apps/shop/cart?embed=app.tasks"));
    QCOMPARE(leaderSpy.size(), 1);
    QCOMPARE(client.currentUrl(), QUrl::fromEncoded(leaderBase));
    r = client.ping();
    QVERIFY(waitFor(r));
    QCOMPARE(leader.seen.last().target, QByteArray("/service/marathon/ping"));
}

void TestMarathonClient::authHeaders_data()
{
    QTest::addColumn<int>("auth");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("none") << int(MarathonConfig::Auth::None) << QByteArray();
    QTest::newRow("basic") << int(MarathonConfig::Auth::Basic)
                           << QByteArray("Basic " +
                                         QByteArray("alice:s3cr:et \xc3\xa9").toBase64());
    QTest::newRow("dcos token") << int(MarathonConfig::Auth::Token)
                                << QByteArray("token=eyJhbGciOi.abc.def");
}

void TestMarathonClient::authHeaders()
{
    QFETCH(int, auth);
    QFETCH(QByteArray, expected);
    ScriptedServer server;
    MarathonConfig config = configFor({server.url()});
    config.auth = MarathonConfig::Auth(auth);
    config.username = QStringLiteral("alice");
    config.password = QString::fromUtf8("s3cr:et \xc3\xa9");
    config.token = QStringLiteral("eyJhbGciOi.abc.def");
    MarathonClient client(config);
    MarathonReply *reply = client.scaleApp(QStringLiteral("/x"), 2);
    QVERIFY(waitFor(reply));
    QVERIFY(!reply->error());
    QCOMPARE(server.seen.first().header("Authorization"), expected);
}

namespace {
QStringList *g_logLines = nullptr;
QLoggingCategory::CategoryFilter g_previousFilter = nullptr;
void enableMarathonDebug(QLoggingCategory *category)
{
    if (g_previousFilter)
        g_previousFilter(category);
    if (qstrcmp(category->categoryName(), lcMarathon().categoryName()) == 0)
        category->setEnabled(QtDebugMsg, true);
}
void captureLog(QtMsgType, const QMessageLogContext &, const QString &message)
{
    if (g_logLines)
        *g_logLines << message;
}
} // namespace

void TestMarathonClient::credentialsNeverLogged()
{
    ScriptedServer server;
    server.script = [](const Seen &s) {
        if (s.target.startsWith("/v2/apps/a"))
            return Canned{Canned::Reply,
                          307,
                          {},
                          {},
                          {qMakePair(QByteArray("Location"), QByteArray("/v2/apps/b"))}};
        return Canned::json(200, "{}");
    };
    MarathonConfig config = configFor({server.url()});
    config.auth = MarathonConfig::Auth::Basic;
    config.username = QStringLiteral("alice");
    config.password = QStringLiteral("pa55-w0rd-xyz");
    QStringList lines;
    g_logLines = &lines;
    // A category filter: QT_LOGGING_RULES (set by ctest) would win over setFilterRules().
    g_previousFilter = QLoggingCategory::installFilter(enableMarathonDebug);
    const QtMessageHandler old = qInstallMessageHandler(captureLog);
    {
        MarathonClient client(config);
        QVERIFY(waitFor(client.getApp(QStringLiteral("/a"))));
        config.auth = MarathonConfig::Auth::Token;
        config.token = QStringLiteral("tok-SECRET-123");
        client.setConfig(config);
        QVERIFY(waitFor(client.listApps()));
    }
    qInstallMessageHandler(old);
    QLoggingCategory::installFilter(g_previousFilter);
    g_logLines = nullptr;

    const QString all = lines.join(QLatin1Char('\n'));
    QVERIFY2(all.contains(QStringLiteral("GET")) && all.contains(QStringLiteral("/v2/apps")),
             qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("307")) && all.contains(QStringLiteral("200")),
             qPrintable(all));
    QVERIFY(all.contains(QStringLiteral("ms")));
    for (const QString &secret : {QStringLiteral("pa55-w0rd-xyz"), QStringLiteral("tok-SECRET-123"),
                                  QString::fromLatin1(QByteArray("alice:pa55-w0rd-xyz").toBase64()),
                                  QStringLiteral("Authorization")})
        QVERIFY2(!all.contains(secret), qPrintable(secret));
}

void TestMarathonClient::typedAccessorsOnReplies()
{
    auto fixture = [](const char *name) {
        QFile f(QStringLiteral(PIER_TEST_DATA "/client/") + QLatin1String(name));
        f.open(QIODevice::ReadOnly);
        return f.readAll();
    };
    ScriptedServer server;
    server.script = [&fixture](const Seen &s) {
        if (s.method == "POST")
            return Canned::json(201, fixture("app-post-reply.json"));
        if (s.method == "PUT")
            return Canned::json(200, fixture("deployment-result.json"))
                .with("Marathon-Deployment-Id", "0d7e6a1c-22b4-4c8e-bb1d-9f4e2a6c8b10");
        if (s.target == "/v2/apps")
            return Canned::json(200, fixture("apps-list.json"));
        if (s.target.startsWith("/v2/apps/web/tasks"))
            return Canned::json(200, fixture("tasks-mixed.json"));
        if (s.target.startsWith("/v2/apps/web/versions"))
            return Canned::json(200, fixture("versions.json"));
        if (s.target.startsWith("/v2/apps/web"))
            return Canned::json(200, fixture("app-0.7.json"));
        if (s.target == "/v2/deployments")
            return Canned::json(200, fixture("deployments.json"));
        if (s.target == "/v2/queue")
            return Canned::json(200, fixture("queue.json"));
        if (s.target == "/v2/info")
            return Canned::json(200, fixture("info-0.7.json"));
        if (s.target == "/v2/leader")
            return Canned::json(200, R"({"leader":"198.18.0.2:8080"})");
        if (s.target == "/ping")
            return Canned{Canned::Reply, 200, "pong", "text/plain", {}};
        if (s.target.startsWith("/v2/deployments/"))
            return Canned{Canned::Reply, 202, {}, {}, {}};
        if (s.target.startsWith("/v2/queue/"))
            return Canned{Canned::Reply, 204, {}, {}, {}};
        return Canned::json(200, fixture("deployment-result.json"))
            .with("Marathon-Deployment-Id", "0d7e6a1c-22b4-4c8e-bb1d-9f4e2a6c8b10");
    };
    MarathonClient client(configFor({server.url()}));

    MarathonReply *r = client.listApps();
    QVERIFY(waitFor(r));
    QCOMPARE(r->apps().size(), 2);
    QCOMPARE(r->apps().at(1).id, QStringLiteral("/shop/cart"));

    r = client.getApp(QStringLiteral("/web"));
    QVERIFY(waitFor(r));
    QCOMPARE(r->app().id, QStringLiteral("/web"));
    QCOMPARE(r->app().tasks.size(), 2);

    r = client.appTasks(QStringLiteral("/web"));
    QVERIFY(waitFor(r));
    QCOMPARE(r->tasks().size(), 2);
    QCOMPARE(r->tasks().at(0).effectiveState(), QStringLiteral("TASK_RUNNING"));

    r = client.listVersions(QStringLiteral("/web"));
    QVERIFY(waitFor(r));
    QCOMPARE(r->versions().size(), 2);

    r = client.createApp(cartApp());
    QVERIFY(waitFor(r));
    QCOMPARE(r->httpStatus(), 201);
    QCOMPARE(r->deploymentResult().deploymentId,
             QStringLiteral("5c1e0b32-8d2a-4f1b-9c55-3e1d7b9a0c21"));
    QCOMPARE(r->deploymentResult().appId, QStringLiteral("/shop/cart"));
    QCOMPARE(r->app().id, QStringLiteral("/shop/cart"));

    r = client.scaleApp(QStringLiteral("/web"), 2);
    QVERIFY(waitFor(r));
    QCOMPARE(r->deploymentResult().deploymentId,
             QStringLiteral("0d7e6a1c-22b4-4c8e-bb1d-9f4e2a6c8b10"));
    QCOMPARE(r->deploymentResult().version, QStringLiteral("2020-11-04T10:10:10.010Z"));
    QCOMPARE(r->header("marathon-deployment-id"),
             QByteArray("0d7e6a1c-22b4-4c8e-bb1d-9f4e2a6c8b10"));

    r = client.listDeployments();
    QVERIFY(waitFor(r));
    QCOMPARE(r->deployments().size(), 2);

    r = client.queue();
    QVERIFY(waitFor(r));
    QCOMPARE(r->queue().size(), 2);
    QCOMPARE(r->queue().first().delaySeconds, 42);

    r = client.info();
    QVERIFY(waitFor(r));
    QCOMPARE(r->info().version, QStringLiteral("0.7.6"));
    QVERIFY(!r->info().eventStream);

    r = client.leader();
    QVERIFY(waitFor(r));
    QCOMPARE(r->leader(), QStringLiteral("198.18.0.2:8080"));

    r = client.ping();
    QVERIFY(waitFor(r));
    QVERIFY2(!r->error(), qPrintable(r->error().toText()));
    QCOMPARE(r->body(), QByteArray("pong"));

    r = client.cancelDeployment(QStringLiteral("x"), false);
    QVERIFY(waitFor(r));
    QVERIFY(!r->error());
    QCOMPARE(r->httpStatus(), 202);

    r = client.resetDelay(QStringLiteral("/web"));
    QVERIFY(waitFor(r));
    QVERIFY(!r->error());
    QCOMPARE(r->httpStatus(), 204);
}

void TestMarathonClient::nonJsonReply()
{
    ScriptedServer server;
    server.script = [](const Seen &) {
        return Canned{Canned::Reply,
                      200,
                      "<!DOCTYPE html><html><head><title>Squid: Access "
                      "Denied</title></head><body>no</body></html>",
                      "text/html; charset=utf-8",
                      {}};
    };
    MarathonClient client(configFor({server.url()}));
    MarathonReply *r = client.listApps();
    QVERIFY(waitFor(r));
    QCOMPARE(r->error().kind, ApiError::Kind::BadReply);
    QVERIFY2(r->error().message.contains(QStringLiteral("Squid: Access Denied")),
             qPrintable(r->error().message));
    QVERIFY2(r->error().message.contains(QStringLiteral("text/html")),
             qPrintable(r->error().message));
    QVERIFY(r->error().hint.contains(QStringLiteral("Marathon")));
    QCOMPARE(r->attempts(), 1); // not transient
    QVERIFY(r->apps().isEmpty());
}

void TestMarathonClient::retryOn5xxThenSuccess()
{
    ScriptedServer server;
    int n = 0;
    server.script = [&n](const Seen &) {
        return ++n == 1 ? Canned::json(500, R"({"message":"boom"})")
                        : Canned::json(200, R"({"apps":[]})");
    };
    MarathonClient client(configFor({server.url()}));
    MarathonReply *r = client.listApps();
    QVERIFY(waitFor(r));
    QVERIFY(!r->error());
    QCOMPARE(r->attempts(), 2);
    QCOMPARE(server.seen.size(), 2);
}

void TestMarathonClient::backoffGrows()
{
    ScriptedServer server;
    server.script = [](const Seen &) { return Canned::json(503, {}); };
    MarathonConfig config = configFor({server.url()});
    config.maxRetries = 3;
    config.retryBaseDelayMs = 100;
    MarathonClient client(config);
    QElapsedTimer clock;
    clock.start();
    MarathonReply *r = client.deleteApp(QStringLiteral("/x"));
    QVERIFY(waitFor(r));
    QCOMPARE(r->error().kind, ApiError::Kind::Server);
    QCOMPARE(r->error().httpStatus, 503);
    QCOMPARE(r->attempts(), 4);
    QVERIFY2(clock.elapsed() >= 100 + 200 + 400 - 20, qPrintable(QString::number(clock.elapsed())));
}

void TestMarathonClient::retryAfterHonoured()
{
    ScriptedServer server;
    int n = 0;
    server.script = [&n](const Seen &) {
        return ++n == 1 ? Canned::json(503, {}).with("Retry-After", "1") : Canned::json(200, "{}");
    };
    MarathonConfig config = configFor({server.url()});
    config.retryBaseDelayMs = 10;
    MarathonClient client(config);
    QElapsedTimer clock;
    clock.start();
    MarathonReply *r = client.info();
    QVERIFY(waitFor(r));
    QVERIFY(!r->error());
    QCOMPARE(r->attempts(), 2);
    QVERIFY2(clock.elapsed() >= 950, qPrintable(QString::number(clock.elapsed())));
}

void TestMarathonClient::longRetryAfterNotSlept()
{
    ScriptedServer server;
    server.script = [](const Seen &) { return Canned::json(503, {}).with("Retry-After", "3600"); };
    MarathonClient client(configFor({server.url()}));
    MarathonReply *r = client.info();
    QVERIFY(waitFor(r, 5000));
    QCOMPARE(r->error().kind, ApiError::Kind::Server);
    QCOMPARE(r->error().retryAfterSeconds, 3600);
    QCOMPARE(r->attempts(), 1);
}

void TestMarathonClient::postNotRetried()
{
    ScriptedServer server;
    server.script = [](const Seen &) { return Canned::json(502, {}); };
    MarathonClient client(configFor({server.url()}));
    MarathonReply *r = client.createApp(cartApp());
    QVERIFY(waitFor(r));
    QCOMPARE(r->error().kind, ApiError::Kind::Server);
    QCOMPARE(r->attempts(), 1);
    QCOMPARE(server.seen.size(), 1);

    // Nor after a connection that closed without an answer (the app may have been created).
    // Qt's HTTP layer itself resends a request once when the connection closes before any byte
    // of the reply (it takes it for a stale keep-alive connection); the client adds nothing.
    server.seen.clear();
    server.script = [](const Seen &) { return Canned{Canned::Close, 0, {}, {}, {}}; };
    r = client.createApp(cartApp());
    QVERIFY(waitFor(r));
    QCOMPARE(r->error().kind, ApiError::Kind::Network);
    QCOMPARE(r->attempts(), 1);
    QVERIFY(server.seen.size() <= 2);
}

void TestMarathonClient::clientErrorsNotRetried()
{
    ScriptedServer server;
    server.script = [](const Seen &s) {
        if (s.method == "PUT")
            return Canned::json(409, R"({"message":"locked","deployments":[{"id":"d1"}]})");
        return Canned::json(404, R"({"message":"App '/x' does not exist"})");
    };
    MarathonClient client(configFor({server.url()}));
    MarathonReply *r = client.getApp(QStringLiteral("/x"));
    QVERIFY(waitFor(r));
    QCOMPARE(r->error().kind, ApiError::Kind::NotFound);
    QCOMPARE(r->error().message, QStringLiteral("App '/x' does not exist"));
    QCOMPARE(r->attempts(), 1);
    r = client.scaleApp(QStringLiteral("/x"), 1);
    QVERIFY(waitFor(r));
    QCOMPARE(r->error().kind, ApiError::Kind::Conflict);
    QCOMPARE(r->error().deploymentIds, QStringList{QStringLiteral("d1")});
    QCOMPARE(r->attempts(), 1);
    QCOMPARE(server.seen.size(), 2);
}

void TestMarathonClient::timeoutPerAttempt()
{
    ScriptedServer server;
    server.script = [](const Seen &) { return Canned{Canned::Hang, 0, {}, {}, {}}; };
    MarathonConfig config = configFor({server.url()});
    config.timeoutMs = 300;
    config.maxRetries = 1;
    MarathonClient client(config);
    QElapsedTimer clock;
    clock.start();
    MarathonReply *r = client.getApp(QStringLiteral("/slow"));
    QVERIFY(waitFor(r, 5000));
    QCOMPARE(r->error().kind, ApiError::Kind::Timeout);
    QVERIFY2(r->error().message.contains(QStringLiteral("300 ms")), qPrintable(r->error().message));
    QCOMPARE(r->attempts(), 2);
    QVERIFY(clock.elapsed() >= 550); // two attempts; coarse timers may fire 5% early
    QVERIFY(clock.elapsed() < 3000);

    // A POST that times out is not repeated.
    r = client.createApp(cartApp());
    QVERIFY(waitFor(r, 5000));
    QCOMPARE(r->error().kind, ApiError::Kind::Timeout);
    QCOMPARE(r->attempts(), 1);
}

void TestMarathonClient::connectionRefused()
{
    const quint16 port = closedPort();
    MarathonConfig config = configFor({QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port))});
    config.maxRetries = 1;
    MarathonClient client(config);
    MarathonReply *r = client.listApps();
    QVERIFY(waitFor(r));
    const ApiError &e = r->error();
    QCOMPARE(e.kind, ApiError::Kind::Network);
    QVERIFY2(e.message.contains(QStringLiteral("127.0.0.1:%1").arg(port)), qPrintable(e.message));
    QVERIFY2(e.message.contains(QStringLiteral("refused")), qPrintable(e.message));
    QVERIFY2(e.hint.contains(QStringLiteral("VPN")), qPrintable(e.hint));
    QVERIFY(e.isTransient());
    QCOMPARE(r->attempts(), 2);
}

void TestMarathonClient::failoverToNextUrl()
{
    ScriptedServer server;
    const QUrl dead(QStringLiteral("http://127.0.0.1:%1").arg(closedPort()));
    MarathonClient client(configFor({dead, server.url()}));
    for (bool post : {false, true}) {
        MarathonReply *r = post ? client.createApp(cartApp()) : client.listApps();
        QVERIFY(waitFor(r));
        QVERIFY2(!r->error(), qPrintable(r->error().toText()));
        QCOMPARE(r->url().port(), server.url().port());
        QCOMPARE(r->attempts(), 2);
    }
    QCOMPARE(server.seen.size(), 2);
}

void TestMarathonClient::redirectKeepsMethodBodyAuth()
{
    ScriptedServer leader;
    ScriptedServer standby;
    const QUrl leaderUrl = leader.url();
    standby.script = [leaderUrl](const Seen &s) {
        QUrl to = leaderUrl;
        to.setPath(QUrl::fromEncoded(s.target).path());
        to.setQuery(QUrl::fromEncoded(s.target).query());
        return Canned{
            Canned::Reply, 307, {}, {}, {qMakePair(QByteArray("Location"), to.toEncoded())}};
    };
    leader.script = [](const Seen &) {
        return Canned::json(200, R"({"deploymentId":"d","version":"v"})");
    };
    MarathonConfig config = configFor({standby.url()});
    config.auth = MarathonConfig::Auth::Basic;
    config.username = QStringLiteral("u");
    config.password = QStringLiteral("p");
    MarathonClient client(config);
    QSignalSpy leaderSpy(&client, &MarathonClient::leaderChanged);

    MarathonReply *r = client.scaleApp(QStringLiteral("/g/a"), 4, true);
    QVERIFY(waitFor(r));
    QVERIFY2(!r->error(), qPrintable(r->error().toText()));
    QCOMPARE(r->attempts(), 2);
    QCOMPARE(r->url().port(), leaderUrl.port());
    QCOMPARE(r->deploymentResult().deploymentId, QStringLiteral("d"));
    QCOMPARE(leader.seen.size(), 1);
    const Seen &s = leader.seen.first();
    QCOMPARE(s.method, QByteArray("PUT"));
    QCOMPARE(s.target, QByteArray("/v2/apps/g/a?force=true"));
    QCOMPARE(compactJson(s.body), QByteArray(R"({"instances":4})"));
    QCOMPARE(s.header("Authorization"), QByteArray("Basic " + QByteArray("u:p").toBase64()));

    QCOMPARE(leaderSpy.size(), 1);
    QCOMPARE(leaderSpy.first().first().toUrl(), leaderUrl);
    QCOMPARE(client.currentUrl(), leaderUrl);

    // Later calls go to the leader directly.
    r = client.listApps();
    QVERIFY(waitFor(r));
    QCOMPARE(r->attempts(), 1);
    QCOMPARE(standby.seen.size(), 1);
    QCOMPARE(leader.seen.size(), 2);
    QCOMPARE(leaderSpy.size(), 1);
}

void TestMarathonClient::redirectLoopStops()
{
    ScriptedServer server;
    server.script = [](const Seen &s) {
        return Canned{Canned::Reply, 302, {}, {}, {qMakePair(QByteArray("Location"), s.target)}};
    };
    MarathonClient client(configFor({server.url()}));
    MarathonReply *r = client.listApps();
    QVERIFY(waitFor(r));
    QVERIFY2(r->error().kind == ApiError::Kind::BadReply, qPrintable(r->error().toText()));
    QVERIFY2(r->error().message.contains(QStringLiteral("redirect")),
             qPrintable(r->error().message));
    QCOMPARE(r->attempts(), 4); // the call and 3 hops
}

void TestMarathonClient::leaderHeaderFollowed()
{
    ScriptedServer leader;
    ScriptedServer standby;
    const QByteArray leaderName = "127.0.0.1:" + QByteArray::number(leader.serverPort());
    standby.script = [leaderName](const Seen &) {
        return Canned::json(200, R"({"apps":[]})")
            .with("X-Marathon-Leader", "http://" + leaderName);
    };
    leader.script = [leaderName](const Seen &) {
        return Canned::json(200, R"({"apps":[]})").with("X-Marathon-Leader", leaderName);
    };
    MarathonClient client(configFor({standby.url()}));
    QSignalSpy leaderSpy(&client, &MarathonClient::leaderChanged);
    QVERIFY(waitFor(client.listApps()));
    QCOMPARE(leaderSpy.size(), 1);
    QCOMPARE(client.currentUrl(), leader.url());
    QVERIFY(waitFor(client.listApps()));
    QCOMPARE(standby.seen.size(), 1);
    QCOMPARE(leader.seen.size(), 1);
    QCOMPARE(leaderSpy.size(), 1);
}

void TestMarathonClient::unreachableLeaderHeaderIgnored()
{
    // A leader named by a host we cannot reach (an internal name, a port behind the VPN): the
    // call falls back to the configured URL and the name is not adopted again.
    ScriptedServer standby;
    const QByteArray deadName = "127.0.0.1:" + QByteArray::number(closedPort());
    standby.script = [deadName](const Seen &) {
        return Canned::json(200, R"({"apps":[]})").with("X-Marathon-Leader", deadName);
    };
    MarathonClient client(configFor({standby.url()}));
    QVERIFY(waitFor(client.listApps()));
    MarathonReply *r = client.listApps();
    QVERIFY(waitFor(r));
    QVERIFY(!r->error());
    QCOMPARE(r->attempts(), 2); // the named leader, then the configured URL
    r = client.listApps();
    QVERIFY(waitFor(r));
    QVERIFY(!r->error());
    QCOMPARE(r->attempts(), 1);
    QCOMPARE(client.currentUrl(), standby.url());
}

void TestMarathonClient::abortFinishesOnce()
{
    ScriptedServer server;
    server.script = [](const Seen &) { return Canned{Canned::Hang, 0, {}, {}, {}}; };
    MarathonClient client(configFor({server.url()}));
    MarathonReply *r = client.listApps();
    QSignalSpy spy(r, &MarathonReply::finished);
    QTRY_COMPARE(server.seen.size(), 1);
    r->abort();
    QCOMPARE(spy.size(), 1);
    QCOMPARE(r->error().kind, ApiError::Kind::Cancelled);
    r->abort();
    QTest::qWait(50);
    QCOMPARE(spy.size(), 1);

    // Deleting a reply in flight is safe too.
    MarathonReply *r2 = client.listApps();
    QTRY_COMPARE(server.seen.size(), 2);
    delete r2;
    QTest::qWait(50);
}

void TestMarathonClient::clientDeletedFinishesCalls()
{
    ScriptedServer server;
    server.script = [](const Seen &) { return Canned{Canned::Hang, 0, {}, {}, {}}; };
    auto client = std::make_unique<MarathonClient>(configFor({server.url()}));
    std::unique_ptr<MarathonReply> r(client->listApps());
    r->setParent(nullptr); // the caller owns it now
    QSignalSpy spy(r.get(), &MarathonReply::finished);
    QTRY_COMPARE(server.seen.size(), 1);
    client.reset();
    QCOMPARE(spy.size(), 1);
    QCOMPARE(r->error().kind, ApiError::Kind::Cancelled);
}

void TestMarathonClient::caFileProblemsAreLocal()
{
    ScriptedServer server;
    QTemporaryDir dir;
    MarathonConfig config = configFor({server.url()});
    config.caFile = dir.filePath(QStringLiteral("missing-ca.pem"));
    MarathonClient client(config);
    MarathonReply *r = client.listApps();
    QVERIFY(!r->isFinished()); // reported from the event loop
    QVERIFY(waitFor(r));
    QCOMPARE(r->error().kind, ApiError::Kind::Local);
    QVERIFY(r->error().message.contains(QStringLiteral("missing-ca.pem")));
    QVERIFY(r->error().hint.contains(QStringLiteral("CA file")));
    QCOMPARE(server.seen.size(), 0);

    QFile notPem(dir.filePath(QStringLiteral("not-a-cert.pem")));
    QVERIFY(notPem.open(QIODevice::WriteOnly));
    notPem.write("hello\n");
    notPem.close();
    config.caFile = notPem.fileName();
    client.setConfig(config);
    r = client.listApps();
    QVERIFY(waitFor(r));
    QCOMPARE(r->error().kind, ApiError::Kind::Local);

    config.caFile.clear();
    client.setConfig(config);
    r = client.listApps();
    QVERIFY(waitFor(r));
    QVERIFY(!r->error());
}

void TestMarathonClient::tlsErrorsReportedAndCaFileFixes()
{
    if (QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty())
        QSKIP("the openssl binary is not installed; it serves TLS for this test");
    QTemporaryDir dir;
    const QString key = dir.filePath(QStringLiteral("key.pem"));
    const QString cert = dir.filePath(QStringLiteral("cert.pem"));
    QString why;
    if (!runOpenssl({QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                     QStringLiteral("rsa:2048"), QStringLiteral("-nodes"),
                     QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert,
                     QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                     QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                     QStringLiteral("subjectAltName=IP:127.0.0.1")},
                    &why))
        QSKIP(qPrintable(QStringLiteral("openssl req failed: ") + why));

    const quint16 port = closedPort();
    QProcess server;
    server.setProcessChannelMode(QProcess::MergedChannels);
    // -HTTP answers "GET /v2/info" with the file v2/info, which holds a whole HTTP response.
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("v2")));
    QFile info(dir.filePath(QStringLiteral("v2/info")));
    QVERIFY(info.open(QIODevice::WriteOnly));
    const QByteArray json = R"({"name":"marathon","version":"1.10.26","leader":"127.0.0.1:8443"})";
    info.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
               QByteArray::number(json.size()) + "\r\nConnection: close\r\n\r\n" + json);
    info.close();
    server.setWorkingDirectory(dir.path());
    server.start(QStringLiteral("openssl"),
                 {QStringLiteral("s_server"), QStringLiteral("-accept"),
                  QStringLiteral("127.0.0.1:%1").arg(port), QStringLiteral("-key"), key,
                  QStringLiteral("-cert"), cert, QStringLiteral("-HTTP"),
                  QStringLiteral("-quiet")});
    QVERIFY(server.waitForStarted());
    auto stop = qScopeGuard([&server] {
        server.kill();
        server.waitForFinished();
    });
    // Wait until it accepts connections.
    bool up = false;
    for (int i = 0; i < 100 && !up; ++i) {
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, port);
        up = probe.waitForConnected(100);
        if (!up)
            QTest::qWait(50);
    }
    if (!up)
        QSKIP(qPrintable(QStringLiteral("openssl s_server did not start: ") +
                         QString::fromLocal8Bit(server.readAll())));

    const QUrl url(QStringLiteral("https://127.0.0.1:%1").arg(port));
    MarathonConfig config = configFor({url});
    MarathonClient client(config);
    MarathonReply *r = client.info();
    QVERIFY(waitFor(r));
    const ApiError e = r->error();
    QCOMPARE(e.kind, ApiError::Kind::Tls);
    QVERIFY2(e.message.contains(QStringLiteral("self signed"), Qt::CaseInsensitive) ||
                 e.message.contains(QStringLiteral("self-signed"), Qt::CaseInsensitive),
             qPrintable(e.message));
    QVERIFY2(e.hint.contains(QStringLiteral("CA file")), qPrintable(e.hint));
    QCOMPARE(r->attempts(), 1); // never retried

    config.caFile = cert;
    client.setConfig(config);
    r = client.info();
    QVERIFY(waitFor(r));
    QVERIFY2(!r->error(), qPrintable(r->error().toText()));
    QCOMPARE(r->info().version, QStringLiteral("1.10.26"));
}

// ---------------------------------------------------------------------------------------------
// Against the sandbox's Marathon server

namespace {

using pier::sandbox::MarathonServer;

std::unique_ptr<MarathonServer>
startSandbox(MarathonServer::Flavor flavor = MarathonServer::Flavor::Modern)
{
    MarathonServer::Options o;
    o.flavor = flavor;
    o.stagingMs = 100;
    o.deploymentStepMs = 100;
    o.healthyAfterMs = 100;
    auto server = std::make_unique<MarathonServer>(o);
    if (!server->listen(QHostAddress::LocalHost))
        qWarning("sandbox did not listen: %s", qPrintable(server->errorString()));
    return server;
}

// Runs a call to its end.
MarathonReply *done(MarathonReply *reply)
{
    if (!waitFor(reply))
        qWarning("call did not finish");
    return reply;
}

} // namespace

// Waits for the reply and fails the test with the error's text; evaluates `call` once.
#define CHECK_OK(call)                                                                             \
    do {                                                                                           \
        MarathonReply *checked_ = (call);                                                          \
        QVERIFY(waitFor(checked_));                                                                \
        QVERIFY2(!checked_->error(), qPrintable(checked_->error().toText()));                      \
    } while (false)

void TestMarathonClient::sandboxLifecycle_data()
{
    QTest::addColumn<bool>("legacy");
    QTest::newRow("Marathon 1.10") << false;
    QTest::newRow("Marathon 0.7") << true;
}

void TestMarathonClient::sandboxLifecycle()
{
    QFETCH(bool, legacy);
    auto server =
        startSandbox(legacy ? MarathonServer::Flavor::Legacy : MarathonServer::Flavor::Modern);
    MarathonClient client(configFor({server->url()}));
    const QString cart = QStringLiteral("/shop/cart");

    MarathonReply *r = done(client.ping());
    CHECK_OK(r);
    QCOMPARE(r->body().trimmed(), QByteArray("pong"));
    r = done(client.info());
    CHECK_OK(r);
    QCOMPARE(r->info().name, QStringLiteral("marathon"));
    QVERIFY(!r->info().version.isEmpty());
    QCOMPARE(r->info().eventStream, !legacy);
    r = done(client.leader());
    CHECK_OK(r);
    QVERIFY(!r->leader().isEmpty());

    // Create: 201 with the app (and, 1.x, its deployment).
    r = done(client.createApp(cartApp()));
    CHECK_OK(r);
    QCOMPARE(r->httpStatus(), 201);
    QCOMPARE(r->app().id, cart);
    if (!legacy)
        QVERIFY(!r->deploymentResult().deploymentId.isEmpty());
    QVERIFY(!r->app().version.isEmpty());

    // A second create is a conflict on the id, not on a deployment.
    r = done(client.createApp(cartApp()));
    QCOMPARE(r->error().kind, ApiError::Kind::Conflict);
    QVERIFY2(r->error().message.contains(QStringLiteral("already exists")),
             qPrintable(r->error().message));
    QVERIFY(r->error().deploymentIds.isEmpty());
    QCOMPARE(r->attempts(), 1);

    QTRY_VERIFY_WITH_TIMEOUT(server->deploymentIds().isEmpty(), 10000);

    r = done(client.getApp(cart, {QStringLiteral("app.tasks")}));
    CHECK_OK(r);
    QCOMPARE(r->app().id, cart);
    QCOMPARE(r->app().instances, 1);
    QCOMPARE(r->app().tasksRunning, 1);
    QCOMPARE(r->app().tasks.size(), 1);
    QCOMPARE(r->app().definition.json().value(QLatin1String("cmd")).toString(),
             QStringLiteral("sleep 1000"));

    r = done(client.listApps({}, QStringLiteral("/shop")));
    CHECK_OK(r);
    QCOMPARE(r->apps().size(), 1);
    r = done(client.listApps({}, QStringLiteral("/elsewhere")));
    CHECK_OK(r);
    QCOMPARE(r->apps().size(), 0);

    // Tasks: 0.7 says no state, the view derives it.
    r = done(client.appTasks(cart));
    CHECK_OK(r);
    QCOMPARE(r->tasks().size(), 1);
    const MarathonTask task = r->tasks().first();
    QCOMPARE(task.appId, cart);
    QCOMPARE(task.state.isEmpty(), legacy);
    QCOMPARE(task.effectiveState(), QStringLiteral("TASK_RUNNING"));
    QVERIFY(task.startedAt.isValid());
    QVERIFY(!task.host.isEmpty());
    r = done(client.allTasks());
    CHECK_OK(r);
    QCOMPARE(r->tasks().size(), 1);

    // Scale: a deployment, visible until it ends.
    r = done(client.scaleApp(cart, 2));
    CHECK_OK(r);
    const DeploymentResult scaled = r->deploymentResult();
    QVERIFY(!scaled.deploymentId.isEmpty());
    QVERIFY(!scaled.version.isEmpty());
    r = done(client.listDeployments());
    CHECK_OK(r);
    QCOMPARE(r->deployments().size(), 1);
    QCOMPARE(r->deployments().first().id, scaled.deploymentId);
    QCOMPARE(r->deployments().first().affectedApps, QStringList{cart});
    QTRY_VERIFY_WITH_TIMEOUT(server->deploymentIds().isEmpty(), 10000);
    r = done(client.appTasks(cart));
    CHECK_OK(r);
    QCOMPARE(r->tasks().size(), 2);

    // Versions, one version, rollback.
    r = done(client.listVersions(cart));
    CHECK_OK(r);
    const QStringList versions = r->versions();
    QVERIFY2(versions.size() >= 2, qPrintable(versions.join(QLatin1Char(' '))));
    const QString oldest = versions.last();
    r = done(client.getVersion(cart, oldest));
    CHECK_OK(r);
    QCOMPARE(r->app().id, cart);
    QCOMPARE(r->app().instances, 1);
    r = done(client.rollbackApp(cart, oldest));
    CHECK_OK(r);
    QVERIFY(!r->deploymentResult().deploymentId.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(server->deploymentIds().isEmpty(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(server->taskIds(cart).size(), 1, 10000);

    // Update (PUT with the whole definition).
    AppDefinition two = cartApp();
    QJsonObject o = two.json();
    o.insert(QLatin1String("instances"), 2);
    two.setJson(o);
    r = done(client.updateApp(two));
    CHECK_OK(r);
    QVERIFY(!r->deploymentResult().deploymentId.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(server->deploymentIds().isEmpty(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(server->taskIds(cart).size(), 2, 10000);

    // Restart.
    r = done(client.restartApp(cart));
    CHECK_OK(r);
    QVERIFY(!r->deploymentResult().deploymentId.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(server->deploymentIds().isEmpty(), 10000);

    // Kill one task (replaced), one by host with scale, one through /v2/tasks/delete.
    QStringList ids = server->taskIds(cart);
    QCOMPARE(ids.size(), 2);
    r = done(client.killTask(cart, ids.first()));
    CHECK_OK(r);
    QVERIFY(!server->taskIds(cart).contains(ids.first()));
    QTRY_COMPARE_WITH_TIMEOUT(server->taskIds(cart).size(), 2, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(server->deploymentIds().isEmpty(), 10000);

    r = done(client.appTasks(cart));
    CHECK_OK(r);
    const QString host = r->tasks().first().host;
    int onHost = 0;
    for (const MarathonTask &t : r->tasks())
        onHost += t.host == host ? 1 : 0;
    r = done(client.killAppTasks(cart, host, true));
    CHECK_OK(r);
    QVERIFY(!r->deploymentResult().deploymentId.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(server->deploymentIds().isEmpty(), 10000);
    r = done(client.getApp(cart));
    CHECK_OK(r);
    QCOMPARE(r->app().instances, 2 - onHost);

    r = done(client.scaleApp(cart, 2));
    CHECK_OK(r);
    QTRY_VERIFY_WITH_TIMEOUT(server->deploymentIds().isEmpty(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(server->taskIds(cart).size(), 2, 10000);
    ids = server->taskIds(cart);
    r = done(client.killTasks({ids.first()}, true));
    CHECK_OK(r);
    QVERIFY(!r->deploymentResult().deploymentId.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(server->deploymentIds().isEmpty(), 10000);
    r = done(client.getApp(cart));
    CHECK_OK(r);
    QCOMPARE(r->app().instances, 1);

    // Delete; then it is gone (404 with Marathon's message).
    r = done(client.deleteApp(cart));
    CHECK_OK(r);
    QVERIFY(!r->deploymentResult().deploymentId.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(server->deploymentIds().isEmpty(), 10000);
    r = done(client.getApp(cart));
    QCOMPARE(r->error().kind, ApiError::Kind::NotFound);
    QCOMPARE(r->error().httpStatus, 404);
    QVERIFY2(r->error().message.contains(QStringLiteral("does not exist")),
             qPrintable(r->error().message));
    QCOMPARE(r->attempts(), 1);
}

void TestMarathonClient::sandboxConflictAndForce()
{
    auto server = startSandbox();
    server->options().deploymentStepMs = 3000; // keep the deployment running
    MarathonClient client(configFor({server->url()}));
    const QString cart = QStringLiteral("/shop/cart");
    MarathonReply *r = done(client.createApp(cartApp()));
    CHECK_OK(r);
    const QString deploymentId = r->deploymentResult().deploymentId;
    QVERIFY(!deploymentId.isEmpty());

    r = done(client.scaleApp(cart, 3));
    const ApiError e = r->error();
    QCOMPARE(e.kind, ApiError::Kind::Conflict);
    QCOMPARE(e.httpStatus, 409);
    QCOMPARE(e.deploymentIds, QStringList{deploymentId});
    QVERIFY2(e.hint.contains(QStringLiteral("force")), qPrintable(e.hint));
    QCOMPARE(r->attempts(), 1);

    r = done(client.scaleApp(cart, 3, true));
    CHECK_OK(r);
    QVERIFY(r->deploymentResult().deploymentId != deploymentId);
    QVERIFY(!server->deploymentIds().contains(deploymentId));

    r = done(client.deleteApp(cart));
    QCOMPARE(r->error().kind, ApiError::Kind::Conflict);
    r = done(client.deleteApp(cart, true));
    CHECK_OK(r);
}

void TestMarathonClient::sandboxInvalidMappedToPaths_data()
{
    QTest::addColumn<bool>("legacy");
    QTest::newRow("1.x details") << false;
    QTest::newRow("0.7 attribute errors") << true;
}

void TestMarathonClient::sandboxInvalidMappedToPaths()
{
    QFETCH(bool, legacy);
    auto server =
        startSandbox(legacy ? MarathonServer::Flavor::Legacy : MarathonServer::Flavor::Modern);
    MarathonClient client(configFor({server->url()}));
    QJsonObject bad = cartApp().json();
    bad.insert(QLatin1String("upgradeStrategy"),
               QJsonObject{{QStringLiteral("minimumHealthCapacity"), 2},
                           {QStringLiteral("maximumOverCapacity"), 1}});
    MarathonReply *r = done(client.createApp(AppDefinition(bad)));
    const ApiError e = r->error();
    QCOMPARE(e.kind, ApiError::Kind::Invalid);
    QVERIFY(e.httpStatus == 422 || e.httpStatus == 400);
    QStringList paths;
    for (const FieldError &d : e.details) {
        paths << d.path;
        QVERIFY(!d.errors.isEmpty());
    }
    QVERIFY2(paths.contains(QStringLiteral("/upgradeStrategy/minimumHealthCapacity")),
             qPrintable(paths.join(QLatin1Char(' '))));
    QCOMPARE(r->attempts(), 1);

    // A field of the wrong type.
    r = done(client.createApp(
        AppDefinition(QJsonObject{{QStringLiteral("id"), QStringLiteral("/x")},
                                  {QStringLiteral("instances"), QStringLiteral("many")}})));
    QCOMPARE(r->error().kind, ApiError::Kind::Invalid);
    QCOMPARE(r->attempts(), 1);
}

void TestMarathonClient::sandboxQueueAndResetDelay()
{
    auto server = startSandbox();
    const QString flaky = QStringLiteral("/flaky");
    server->setFailing(flaky, QStringLiteral("exit 1"));
    MarathonClient client(configFor({server->url()}));
    QJsonObject o = cartApp().json();
    o.insert(QLatin1String("id"), flaky);
    MarathonReply *r = done(client.createApp(AppDefinition(o)));
    CHECK_OK(r);
    QList<QueueEntry> queue;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            MarathonReply *q = done(client.queue());
            queue = q->queue();
            return !q->error() && !queue.isEmpty();
        }(),
        10000);
    QCOMPARE(queue.first().appId, flaky);
    QVERIFY(queue.first().count >= 1);
    r = done(client.resetDelay(flaky));
    CHECK_OK(r);
    QCOMPARE(r->httpStatus(), 204);

    r = done(client.resetDelay(QStringLiteral("/not-queued")));
    QCOMPARE(r->error().kind, ApiError::Kind::NotFound);
}

void TestMarathonClient::sandboxCancelDeployment()
{
    auto server = startSandbox();
    server->options().deploymentStepMs = 3000;
    MarathonClient client(configFor({server->url()}));
    MarathonReply *r = done(client.createApp(cartApp()));
    CHECK_OK(r);
    const QString first = r->deploymentResult().deploymentId;

    // With rollback: a new deployment undoes the first.
    r = done(client.cancelDeployment(first));
    CHECK_OK(r);
    const DeploymentResult rollback = r->deploymentResult();
    QVERIFY(!rollback.deploymentId.isEmpty());
    QVERIFY(rollback.deploymentId != first);

    // Forced: 202, nothing new.
    r = done(client.cancelDeployment(rollback.deploymentId, false));
    CHECK_OK(r);
    QCOMPARE(r->httpStatus(), 202);
    QVERIFY(server->deploymentIds().isEmpty());

    r = done(client.cancelDeployment(QStringLiteral("no-such-deployment")));
    QCOMPARE(r->error().kind, ApiError::Kind::NotFound);
    QVERIFY(r->error().message.contains(QStringLiteral("no-such-deployment")));
}

void TestMarathonClient::sandboxBasicAuth()
{
    auto server = startSandbox();
    server->options().username = QStringLiteral("ops");
    server->options().password = QStringLiteral("correct horse");
    MarathonConfig config = configFor({server->url()});

    // No credentials, then wrong ones: 401, not retried, with a hint about the credentials.
    for (const QString &password : {QString(), QStringLiteral("wrong")}) {
        config.auth = password.isEmpty() ? MarathonConfig::Auth::None : MarathonConfig::Auth::Basic;
        config.username = QStringLiteral("ops");
        config.password = password;
        MarathonClient client(config);
        MarathonReply *r = done(client.listApps());
        QCOMPARE(r->error().kind, ApiError::Kind::Auth);
        QCOMPARE(r->error().httpStatus, 401);
        QVERIFY2(r->error().hint.contains(QStringLiteral("password")), qPrintable(r->error().hint));
        QCOMPARE(r->attempts(), 1);
        CHECK_OK(done(client.ping())); // /ping needs none
    }

    config.auth = MarathonConfig::Auth::Basic;
    config.password = QStringLiteral("correct horse");
    MarathonClient client(config);
    CHECK_OK(done(client.listApps()));
    CHECK_OK(done(client.createApp(cartApp())));
}

void TestMarathonClient::sandboxTransientFaultsRetried_data()
{
    QTest::addColumn<int>("status");
    QTest::newRow("500") << 500;
    QTest::newRow("502") << 502;
    QTest::newRow("503") << 503;
    QTest::newRow("connection closed") << -1;
}

void TestMarathonClient::sandboxTransientFaultsRetried()
{
    QFETCH(int, status);
    auto server = startSandbox();
    MarathonClient client(configFor({server->url()}));
    CHECK_OK(done(client.createApp(cartApp())));

    const int before = server->requestCount();
    server->injectFault(QStringLiteral("/v2/apps"), status,
                        QByteArrayLiteral(R"({"message":"injected"})"), 1);
    MarathonReply *r = done(client.getApp(QStringLiteral("/shop/cart")));
    CHECK_OK(r);
    QCOMPARE(r->app().id, QStringLiteral("/shop/cart"));
    if (status > 0) {
        QCOMPARE(r->attempts(), 2);
        QCOMPARE(server->requestCount() - before, 2);
    }

    // More faults than retries: the last error is reported.
    server->injectFault(QStringLiteral("/v2/apps"), status,
                        QByteArrayLiteral(R"({"message":"injected"})"), 10);
    r = done(client.scaleApp(QStringLiteral("/shop/cart"), 2));
    QCOMPARE(r->error().kind, status > 0 ? ApiError::Kind::Server : ApiError::Kind::Network);
    QCOMPARE(r->attempts(), 3); // maxRetries 2
    QVERIFY(r->error().isTransient());
    server->clearFaults();
}

void TestMarathonClient::sandboxTimeout()
{
    auto server = startSandbox();
    MarathonConfig config = configFor({server->url()});
    config.timeoutMs = 250;
    config.maxRetries = 1;
    MarathonClient client(config);
    server->injectFault(QStringLiteral("/v2/info"), 0, {}, 1);
    MarathonReply *r = done(client.info());
    CHECK_OK(r); // the retry got an answer
    QCOMPARE(r->attempts(), 2);

    server->injectFault(QStringLiteral("/v2/info"), 0, {}, 5);
    r = done(client.info());
    QCOMPARE(r->error().kind, ApiError::Kind::Timeout);
    QVERIFY2(r->error().message.contains(QStringLiteral("250 ms")), qPrintable(r->error().message));
    QCOMPARE(r->attempts(), 2);
}

void TestMarathonClient::sandboxPostNotRetried()
{
    auto server = startSandbox();
    MarathonClient client(configFor({server->url()}));
    const int before = server->requestCount();
    server->injectFault(QStringLiteral("/v2/apps"), 503, {}, 1);
    MarathonReply *r = done(client.createApp(cartApp()));
    QCOMPARE(r->error().kind, ApiError::Kind::Server);
    QCOMPARE(r->error().httpStatus, 503);
    QCOMPARE(r->attempts(), 1);
    QCOMPARE(server->requestCount() - before, 1);
    r = done(client.getApp(QStringLiteral("/shop/cart")));
    QCOMPARE(r->error().kind, ApiError::Kind::NotFound); // the fault answered; nothing created
}

void TestMarathonClient::sandboxLeaderRedirect()
{
    auto leader = startSandbox();
    auto standby = startSandbox();
    standby->setLeaderUrl(leader->url());
    MarathonConfig config = configFor({standby->url()});
    config.auth = MarathonConfig::Auth::Basic; // credentials follow the redirect
    config.username = QStringLiteral("ops");
    config.password = QStringLiteral("pw");
    leader->options().username = config.username;
    leader->options().password = config.password;
    MarathonClient client(config);
    QSignalSpy leaderSpy(&client, &MarathonClient::leaderChanged);

    // POST through the standby: 307 keeps method and body.
    MarathonReply *r = done(client.createApp(cartApp()));
    CHECK_OK(r);
    QCOMPARE(r->httpStatus(), 201);
    QCOMPARE(r->attempts(), 2);
    QCOMPARE(r->url().port(), leader->url().port());
    QVERIFY(!leader->appJson(QStringLiteral("/shop/cart")).isEmpty());
    QCOMPARE(leaderSpy.size(), 1);
    QCOMPARE(leaderSpy.first().first().toUrl(), leader->url());
    QCOMPARE(client.currentUrl(), leader->url());

    // Later calls go to the leader directly.
    const int standbyBefore = standby->requestCount();
    r = done(client.getApp(QStringLiteral("/shop/cart")));
    CHECK_OK(r);
    QCOMPARE(r->attempts(), 1);
    QCOMPARE(standby->requestCount(), standbyBefore);

    // The leader goes away: back to the configured URL, which now leads itself.
    const QUrl oldLeader = leader->url();
    leader.reset();
    standby->setLeaderUrl(QUrl());
    r = done(client.listApps());
    CHECK_OK(r);
    QCOMPARE(r->url().port(), standby->url().port());
    QVERIFY(client.currentUrl() != oldLeader);
}

QTEST_GUILESS_MAIN(TestMarathonClient)
#include "tst_marathonclient.moc"
