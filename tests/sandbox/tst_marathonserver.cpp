#include "sandbox/marathonserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

using namespace pier::sandbox;
using namespace Qt::Literals::StringLiterals;

namespace {

constexpr int kWait = 15000; // generous: a loaded 2-core machine

struct Reply {
    int status = 0;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QByteArray body;
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QJsonArray array() const { return QJsonDocument::fromJson(body).array(); }
};

// The tutorial's nginx.json (legacy network form).
QByteArray nginxJson(const QString &id = u"nginx"_s, int instances = 1)
{
    return QJsonDocument(
               QJsonObject{
                   {u"id"_s, id},
                   {u"container"_s,
                    QJsonObject{{u"docker"_s,
                                 QJsonObject{{u"image"_s, u"library/nginx:1.7.9"_s},
                                             {u"network"_s, u"BRIDGE"_s},
                                             {u"portMappings"_s,
                                              QJsonArray{QJsonObject{{u"containerPort"_s, 80},
                                                                     {u"servicePort"_s, 80}}}}}}}},
                   {u"cpus"_s, 0.2},
                   {u"mem"_s, 256.0},
                   {u"instances"_s, instances}})
        .toJson(QJsonDocument::Compact);
}

QByteArray simpleApp(const QString &id, int instances = 1, const QJsonObject &extra = {})
{
    QJsonObject o{{u"id"_s, id},
                  {u"cmd"_s, u"sleep 1000"_s},
                  {u"cpus"_s, 0.1},
                  {u"mem"_s, 32},
                  {u"instances"_s, instances}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        o[it.key()] = it.value();
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// Reads a text/event-stream over a raw socket (chunked framing is left in; events are searched).
struct SseClient {
    QTcpSocket socket;
    QByteArray received;
    bool open(quint16 port, const QByteArray &query = {})
    {
        QObject::connect(&socket, &QTcpSocket::readyRead, [this] { received += socket.readAll(); });
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!socket.waitForConnected(kWait))
            return false;
        socket.write("GET /v2/events" + query +
                     " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n");
        return true;
    }
    // The data: lines of events of this type, parsed.
    QList<QJsonObject> events(const QByteArray &type) const
    {
        QList<QJsonObject> out;
        const QByteArray marker = "event: " + type + "\ndata: ";
        qsizetype pos = 0;
        while ((pos = received.indexOf(marker, pos)) >= 0) {
            pos += marker.size();
            const qsizetype end = received.indexOf('\n', pos);
            if (end < 0)
                break;
            out.append(QJsonDocument::fromJson(received.mid(pos, end - pos)).object());
        }
        return out;
    }
};

} // namespace

class TestMarathonServer : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<MarathonServer> server;
    QNetworkAccessManager nam;

    void start(MarathonServer::Options options = {})
    {
        options.stagingMs = 50;
        options.deploymentStepMs = 50;
        options.healthyAfterMs = 50;
        server = std::make_unique<MarathonServer>(options);
        QVERIFY(server->listen());
    }

    Reply call(const QByteArray &method, const QString &path, const QByteArray &body = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {}, int timeoutMs = 0,
               MarathonServer *target = nullptr)
    {
        QUrl url = (target ? target : server.get())->url();
        const qsizetype q = path.indexOf(u'?');
        url.setPath(q < 0 ? path : path.left(q));
        if (q >= 0)
            url.setQuery(path.mid(q + 1));
        QNetworkRequest req(url);
        req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
        if (!body.isEmpty())
            req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        for (const auto &h : headers)
            req.setRawHeader(h.first, h.second);
        if (timeoutMs > 0)
            req.setTransferTimeout(timeoutMs);
        QNetworkReply *r = nam.sendCustomRequest(req, method, body);
        QSignalSpy done(r, &QNetworkReply::finished);
        if (!r->isFinished())
            done.wait(kWait);
        Reply out;
        out.status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        out.error = r->error();
        out.body = r->isOpen() ? r->readAll() : QByteArray();
        for (const auto &h : r->rawHeaderPairs())
            out.headers.insert(h.first.toLower(), h.second);
        r->deleteLater();
        return out;
    }

    QJsonObject getApp(const QString &id)
    {
        return call("GET", u"/v2/apps/"_s + id).json().value(u"app"_s).toObject();
    }

    bool allRunning(const QString &id, int count)
    {
        const QJsonArray tasks = getApp(id).value(u"tasks"_s).toArray();
        if (tasks.size() != count)
            return false;
        for (const QJsonValue &t : tasks) {
            if (t.toObject().value(u"state"_s).toString() != u"TASK_RUNNING"_s)
                return false;
        }
        return true;
    }

    bool noDeployments() { return call("GET", u"/v2/deployments"_s).array().isEmpty(); }

private slots:
    void cleanup() { server.reset(); }

    void pingInfoLeader()
    {
        start();
        const Reply ping = call("GET", u"/ping"_s);
        QCOMPARE(ping.status, 200);
        QCOMPARE(ping.body, QByteArray("pong"));
        QVERIFY(ping.headers.value("content-type").startsWith("text/plain"));

        const QJsonObject info = call("GET", u"/v2/info"_s).json();
        QCOMPARE(info.value(u"name"_s).toString(), u"marathon"_s);
        QCOMPARE(info.value(u"version"_s).toString(), u"1.10.26"_s);
        const QString hostPort = u"127.0.0.1:%1"_s.arg(server->port());
        QCOMPARE(info.value(u"leader"_s).toString(), hostPort);
        QVERIFY(!info.value(u"frameworkId"_s).toString().isEmpty());
        QVERIFY(info.value(u"marathon_config"_s).isObject());
        QCOMPARE(info.value(u"http_config"_s).toObject().value(u"http_port"_s).toInt(),
                 server->port());

        QCOMPARE(call("GET", u"/v2/leader"_s).json().value(u"leader"_s).toString(), hostPort);

        const Reply unknown = call("GET", u"/v2/nothing"_s);
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.json().value(u"message"_s).toString(), u"HTTP 404 Not Found"_s);
    }

    void postThenGetFillsDefaultsInModernForm()
    {
        start();
        const Reply created = call("POST", u"/v2/apps"_s, nginxJson());
        QCOMPARE(created.status, 201);
        QCOMPARE(created.headers.value("location"), server->url().toEncoded() + "/v2/apps/nginx");
        const QByteArray deploymentId = created.headers.value("marathon-deployment-id");
        QVERIFY(!deploymentId.isEmpty());
        const QJsonObject posted = created.json();
        QCOMPARE(posted.value(u"id"_s).toString(), u"/nginx"_s);
        QCOMPARE(
            posted.value(u"deployments"_s).toArray().first().toObject().value(u"id"_s).toString(),
            QString::fromLatin1(deploymentId));

        const QJsonObject app = getApp(u"nginx"_s);
        QCOMPARE(app.value(u"cpus"_s).toDouble(), 0.2);
        QCOMPARE(app.value(u"mem"_s).toDouble(), 256.0);
        QCOMPARE(app.value(u"instances"_s).toInt(), 1);
        QCOMPARE(app.value(u"disk"_s).toDouble(), 0.0);
        QCOMPARE(app.value(u"backoffFactor"_s).toDouble(), 1.15);
        QCOMPARE(app.value(u"backoffSeconds"_s).toInt(), 1);
        QCOMPARE(app.value(u"maxLaunchDelaySeconds"_s).toInt(), 300);
        QCOMPARE(app.value(u"upgradeStrategy"_s).toObject(),
                 (QJsonObject{{u"minimumHealthCapacity"_s, 1}, {u"maximumOverCapacity"_s, 1}}));
        QVERIFY(!app.value(u"version"_s).toString().isEmpty());
        QCOMPARE(app.value(u"versionInfo"_s).toObject().value(u"lastConfigChangeAt"_s),
                 app.value(u"version"_s));
        // The legacy network form is translated to the 1.5+ one.
        QCOMPARE(app.value(u"networks"_s).toArray(),
                 (QJsonArray{QJsonObject{{u"mode"_s, u"container/bridge"_s}}}));
        const QJsonObject container = app.value(u"container"_s).toObject();
        QCOMPARE(container.value(u"type"_s).toString(), u"DOCKER"_s);
        QVERIFY(!container.value(u"docker"_s).toObject().contains(u"network"_s));
        QVERIFY(!container.value(u"docker"_s).toObject().contains(u"portMappings"_s));
        const QJsonObject mapping = container.value(u"portMappings"_s).toArray().first().toObject();
        QCOMPARE(mapping.value(u"containerPort"_s).toInt(), 80);
        QCOMPARE(mapping.value(u"servicePort"_s).toInt(), 80);
        QCOMPARE(mapping.value(u"hostPort"_s).toInt(), 0);
        QCOMPARE(mapping.value(u"protocol"_s).toString(), u"tcp"_s);
        QVERIFY(!app.contains(u"ports"_s));

        // The list has it too, and ?id= filters.
        QCOMPARE(call("GET", u"/v2/apps"_s).json().value(u"apps"_s).toArray().size(), 1);
        QCOMPARE(call("GET", u"/v2/apps?id=ngi"_s).json().value(u"apps"_s).toArray().size(), 1);
        QCOMPARE(call("GET", u"/v2/apps?id=zzz"_s).json().value(u"apps"_s).toArray().size(), 0);

        QCOMPARE(server->appJson(u"/nginx"_s).value(u"id"_s).toString(), u"/nginx"_s);
    }

    void tasksStageThenRunAndDeploymentEnds()
    {
        start();
        QCOMPARE(call("POST", u"/v2/apps"_s, simpleApp(u"group/web"_s, 2)).status, 201);
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(u"group/web"_s, 2), kWait);
        QTRY_VERIFY_WITH_TIMEOUT(noDeployments(), kWait);

        const QJsonArray tasks =
            call("GET", u"/v2/apps/group/web/tasks"_s).json().value(u"tasks"_s).toArray();
        QCOMPARE(tasks.size(), 2);
        const QStringList agents = server->options().agents;
        QSet<QString> hosts;
        for (const QJsonValue &v : tasks) {
            const QJsonObject t = v.toObject();
            QCOMPARE(t.value(u"appId"_s).toString(), u"/group/web"_s);
            QVERIFY(t.value(u"id"_s).toString().startsWith(u"group_web.instance-"_s));
            QVERIFY(agents.contains(t.value(u"host"_s).toString()));
            hosts.insert(t.value(u"host"_s).toString());
            QVERIFY(t.value(u"ports"_s).toArray().first().toInt() >= 31000);
            QVERIFY(t.value(u"servicePorts"_s).toArray().first().toInt() >= 10000);
            QVERIFY(!t.value(u"startedAt"_s).toString().isEmpty());
            QVERIFY(!t.value(u"stagedAt"_s).toString().isEmpty());
            QVERIFY(!t.value(u"slaveId"_s).toString().isEmpty());
            QVERIFY(!t.contains(u"healthCheckResults"_s));
        }
        QCOMPARE(hosts.size(), 2); // round robin over the agents
        QCOMPARE(call("GET", u"/v2/tasks"_s).json().value(u"tasks"_s).toArray().size(), 2);

        const QJsonObject app = getApp(u"group/web"_s);
        QCOMPARE(app.value(u"tasksRunning"_s).toInt(), 2);
        QCOMPARE(app.value(u"tasksStaged"_s).toInt(), 0);
        QCOMPARE(app.value(u"deployments"_s).toArray().size(), 0);
    }

    void duplicateAndNotFound()
    {
        start();
        QCOMPARE(call("POST", u"/v2/apps"_s, nginxJson()).status, 201);
        const Reply dup = call("POST", u"/v2/apps"_s, nginxJson());
        QCOMPARE(dup.status, 409);
        QCOMPARE(dup.json().value(u"message"_s).toString(),
                 u"An app with id [/nginx] already exists."_s);
        const Reply missing = call("GET", u"/v2/apps/nope"_s);
        QCOMPARE(missing.status, 404);
        QCOMPARE(missing.json().value(u"message"_s).toString(), u"App '/nope' does not exist"_s);
        QCOMPARE(call("DELETE", u"/v2/deployments/unknown"_s).json().value(u"message"_s).toString(),
                 u"DeploymentPlan unknown does not exist"_s);
    }

    void lockedByDeploymentThenForce()
    {
        start();
        server->options().deploymentStepMs = 60000; // the first deployment stays
        const Reply created = call("POST", u"/v2/apps"_s, simpleApp(u"app"_s));
        QCOMPARE(created.status, 201);
        const QString first = QString::fromLatin1(created.headers.value("marathon-deployment-id"));

        const Reply locked = call("PUT", u"/v2/apps/app"_s, R"({"instances": 3})");
        QCOMPARE(locked.status, 409);
        const QJsonObject body = locked.json();
        QVERIFY(body.value(u"message"_s)
                    .toString()
                    .startsWith(u"App is locked by one or more deployments."_s));
        QVERIFY(body.value(u"message"_s).toString().contains(u"/v2/deployments/"_s + first));
        QCOMPARE(body.value(u"deployments"_s).toArray(),
                 (QJsonArray{QJsonObject{{u"id"_s, first}}}));

        const QJsonArray running = call("GET", u"/v2/deployments"_s).array();
        QCOMPARE(running.size(), 1);
        const QJsonObject dep = running.first().toObject();
        QCOMPARE(dep.value(u"id"_s).toString(), first);
        QCOMPARE(dep.value(u"affectedApps"_s).toArray(), QJsonArray{u"/app"_s});
        QCOMPARE(dep.value(u"totalSteps"_s).toInt(), 2);
        QCOMPARE(dep.value(u"steps"_s)
                     .toArray()
                     .first()
                     .toObject()
                     .value(u"actions"_s)
                     .toArray()
                     .first()
                     .toObject()
                     .value(u"action"_s)
                     .toString(),
                 u"StartApplication"_s);

        const Reply forced = call("PUT", u"/v2/apps/app?force=true"_s, R"({"instances": 3})");
        QCOMPARE(forced.status, 200);
        const QString second = forced.json().value(u"deploymentId"_s).toString();
        QVERIFY(!second.isEmpty());
        QCOMPARE(QString::fromLatin1(forced.headers.value("marathon-deployment-id")), second);
        QVERIFY(!forced.json().value(u"version"_s).toString().isEmpty());
        QCOMPARE(server->deploymentIds(), QStringList{second});
        QTRY_COMPARE_WITH_TIMEOUT(getApp(u"app"_s).value(u"tasks"_s).toArray().size(), 3, kWait);
        QCOMPARE(call("GET", u"/v2/deployments"_s)
                     .array()
                     .first()
                     .toObject()
                     .value(u"currentActions"_s)
                     .toArray()
                     .first()
                     .toObject()
                     .value(u"action"_s)
                     .toString(),
                 u"ScaleApplication"_s);

        // Cancelling without force rolls back: a new deployment back to one instance.
        const Reply rollback = call("DELETE", u"/v2/deployments/"_s + second);
        QCOMPARE(rollback.status, 200);
        QVERIFY(!rollback.json().value(u"deploymentId"_s).toString().isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(getApp(u"app"_s).value(u"instances"_s).toInt(), 1, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(getApp(u"app"_s).value(u"tasks"_s).toArray().size(), 1, kWait);
        // force=true only cancels.
        const QString third = rollback.json().value(u"deploymentId"_s).toString();
        QCOMPARE(call("DELETE", u"/v2/deployments/"_s + third + u"?force=true"_s).status, 202);
        QVERIFY(noDeployments());
    }

    void invalidDefinitions()
    {
        start();
        const Reply invalid = call("POST", u"/v2/apps"_s,
                                   R"({"id": "Bad_Id", "cmd": "sleep 1", "cpus": -1,
                                       "upgradeStrategy": {"minimumHealthCapacity": 2}})");
        QCOMPARE(invalid.status, 422);
        const QJsonObject body = invalid.json();
        QCOMPARE(body.value(u"message"_s).toString(), u"Object is not valid"_s);
        QStringList paths;
        for (const QJsonValue &d : body.value(u"details"_s).toArray()) {
            paths.append(d.toObject().value(u"path"_s).toString());
            QVERIFY(!d.toObject().value(u"errors"_s).toArray().isEmpty());
        }
        QVERIFY2(paths.contains(u"/id"_s), qPrintable(paths.join(u' ')));
        QVERIFY2(paths.contains(u"/cpus"_s), qPrintable(paths.join(u' ')));
        QVERIFY2(paths.contains(u"/upgradeStrategy/minimumHealthCapacity"_s),
                 qPrintable(paths.join(u' ')));

        const Reply syntax = call("POST", u"/v2/apps"_s, "{\"id\": ");
        QCOMPARE(syntax.status, 400);
        QCOMPARE(syntax.json().value(u"message"_s).toString(), u"Invalid JSON"_s);
        QVERIFY(syntax.json().value(u"details"_s).isArray());

        const Reply type = call("POST", u"/v2/apps"_s, R"({"id": 5, "cmd": "x"})");
        QCOMPARE(type.status, 400);
        const QJsonObject detail = type.json().value(u"details"_s).toArray().first().toObject();
        QCOMPARE(detail.value(u"path"_s).toString(), u"/id"_s);
        QCOMPARE(detail.value(u"errors"_s).toArray(), QJsonArray{u"error.expected.jsstring"_s});
        QVERIFY(call("GET", u"/v2/apps"_s).json().value(u"apps"_s).toArray().isEmpty());
    }

    void basicAuth()
    {
        MarathonServer::Options o;
        o.username = u"admin"_s;
        o.password = u"s3cret"_s;
        start(o);
        QCOMPARE(call("GET", u"/ping"_s).status, 200);
        const Reply denied = call("GET", u"/v2/apps"_s);
        QCOMPARE(denied.status, 401);
        QCOMPARE(denied.json().value(u"message"_s).toString(), u"Invalid username or password."_s);
        QVERIFY(denied.headers.value("www-authenticate").startsWith("Basic"));
        const QByteArray wrong = "Basic " + QByteArray("admin:nope").toBase64();
        QCOMPARE(call("GET", u"/v2/apps"_s, {}, {{"Authorization", wrong}}).status, 401);
        const QByteArray good = "Basic " + QByteArray("admin:s3cret").toBase64();
        QCOMPARE(call("GET", u"/v2/apps"_s, {}, {{"Authorization", good}}).status, 200);
    }

    void standbyRedirectsToLeader()
    {
        start();
        MarathonServer standby;
        QVERIFY(standby.listen());
        standby.setLeaderUrl(server->url());
        const Reply r = call("GET", u"/v2/apps?embed=apps.tasks"_s, {}, {}, 0, &standby);
        QCOMPARE(r.status, 307);
        QCOMPARE(r.headers.value("location"),
                 server->url().toEncoded() + "/v2/apps?embed=apps.tasks");
        QCOMPARE(r.headers.value("x-marathon-leader"), server->url().toEncoded());
        QCOMPARE(call("GET", u"/ping"_s, {}, {}, 0, &standby).status, 200);
    }

    void eventStream()
    {
        start();
        SseClient all;
        QVERIFY(all.open(server->port()));
        SseClient filtered;
        QVERIFY(filtered.open(server->port(), "?event_type=deployment_success"));
        QTRY_COMPARE_WITH_TIMEOUT(server->eventSubscriberCount(), 2, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(!all.events("event_stream_attached").isEmpty(), kWait);
        QVERIFY(all.received.startsWith("HTTP/1.1 200 OK"));
        QVERIFY(all.received.contains("Content-Type: text/event-stream"));

        QCOMPARE(call("POST", u"/v2/apps"_s, nginxJson()).status, 201);
        auto statuses = [&all]() {
            QStringList out;
            for (const QJsonObject &e : all.events("status_update_event"))
                out.append(e.value(u"taskStatus"_s).toString());
            return out;
        };
        QTRY_VERIFY_WITH_TIMEOUT(statuses().contains(u"TASK_RUNNING"_s), kWait);
        QCOMPARE(statuses().first(), u"TASK_STAGING"_s);
        const QJsonObject running = all.events("status_update_event").last();
        QCOMPARE(running.value(u"appId"_s).toString(), u"/nginx"_s);
        QCOMPARE(running.value(u"eventType"_s).toString(), u"status_update_event"_s);
        QVERIFY(!running.value(u"taskId"_s).toString().isEmpty());
        QVERIFY(!running.value(u"timestamp"_s).toString().isEmpty());
        QVERIFY(!all.events("api_post_event").isEmpty());
        QVERIFY(!all.events("deployment_info").isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(!all.events("deployment_success").isEmpty(), kWait);
        QTRY_VERIFY_WITH_TIMEOUT(!filtered.events("deployment_success").isEmpty(), kWait);
        QVERIFY(filtered.events("status_update_event").isEmpty());
        QVERIFY(filtered.events("event_stream_attached").isEmpty());

        // Without Accept: text/event-stream, as Jetty: 405.
        QCOMPARE(call("GET", u"/v2/events"_s).status, 405);
    }

    void eventKeepAlive()
    {
        MarathonServer::Options o;
        o.eventKeepAliveMs = 50;
        start(o);
        SseClient c;
        QVERIFY(c.open(server->port()));
        QTRY_VERIFY_WITH_TIMEOUT(c.received.count(":\n\n") >= 2, kWait);
    }

    void healthChecks()
    {
        start();
        const QJsonObject extra{
            {u"healthChecks"_s,
             QJsonArray{QJsonObject{{u"protocol"_s, u"HTTP"_s}, {u"path"_s, u"/"_s}}}}};
        QCOMPARE(call("POST", u"/v2/apps"_s, simpleApp(u"checked"_s, 1, extra)).status, 201);
        QTRY_COMPARE_WITH_TIMEOUT(getApp(u"checked"_s).value(u"tasksHealthy"_s).toInt(), 1, kWait);
        const QJsonObject app = getApp(u"checked"_s);
        const QJsonObject hc = app.value(u"healthChecks"_s).toArray().first().toObject();
        QCOMPARE(hc.value(u"gracePeriodSeconds"_s).toInt(), 300);
        QCOMPARE(hc.value(u"intervalSeconds"_s).toInt(), 60);
        QCOMPARE(hc.value(u"portIndex"_s).toInt(), 0);
        const QJsonObject task = app.value(u"tasks"_s).toArray().first().toObject();
        const QJsonObject result = task.value(u"healthCheckResults"_s).toArray().first().toObject();
        QCOMPARE(result.value(u"alive"_s).toBool(), true);
        QCOMPARE(result.value(u"instanceId"_s).toString() + u"._app.1"_s,
                 task.value(u"id"_s).toString());
        QTRY_VERIFY_WITH_TIMEOUT(noDeployments(), kWait);
    }

    void scaleRestartVersionsRollbackDelete()
    {
        start();
        QCOMPARE(call("POST", u"/v2/apps"_s, simpleApp(u"svc"_s, 3)).status, 201);
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(u"svc"_s, 3), kWait);
        QTRY_VERIFY_WITH_TIMEOUT(noDeployments(), kWait);
        const QJsonArray before = getApp(u"svc"_s).value(u"tasks"_s).toArray();

        // Scale down kills the youngest; scaling keeps lastConfigChangeAt.
        const QJsonObject v1 = getApp(u"svc"_s);
        QCOMPARE(call("PUT", u"/v2/apps/svc"_s, R"({"instances": 1})").status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(u"svc"_s, 1), kWait);
        const QJsonObject v2 = getApp(u"svc"_s);
        QCOMPARE(v2.value(u"tasks"_s).toArray().first().toObject().value(u"id"_s),
                 before.first().toObject().value(u"id"_s));
        QCOMPARE(v2.value(u"versionInfo"_s).toObject().value(u"lastConfigChangeAt"_s),
                 v1.value(u"versionInfo"_s).toObject().value(u"lastConfigChangeAt"_s));
        QVERIFY(v2.value(u"version"_s) != v1.value(u"version"_s));
        QTRY_VERIFY_WITH_TIMEOUT(noDeployments(), kWait);

        // A config change replaces the tasks.
        const QString oldTask =
            v2.value(u"tasks"_s).toArray().first().toObject().value(u"id"_s).toString();
        QCOMPARE(call("PUT", u"/v2/apps/svc"_s, R"({"cmd": "sleep 2000"})").status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(noDeployments(), kWait);
        const QJsonObject v3 = getApp(u"svc"_s);
        QCOMPARE(v3.value(u"cmd"_s).toString(), u"sleep 2000"_s);
        QCOMPARE(v3.value(u"tasks"_s).toArray().size(), 1);
        QVERIFY(v3.value(u"tasks"_s).toArray().first().toObject().value(u"id"_s).toString() !=
                oldTask);

        // Restart replaces them again, the config stays.
        const Reply restart = call("POST", u"/v2/apps/svc/restart"_s);
        QCOMPARE(restart.status, 200);
        QVERIFY(!restart.json().value(u"deploymentId"_s).toString().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(noDeployments(), kWait);

        const QJsonArray versions =
            call("GET", u"/v2/apps/svc/versions"_s).json().value(u"versions"_s).toArray();
        QCOMPARE(versions.size(), 4); // create, scale, change, restart
        const QString firstVersion = versions.last().toString();
        const QJsonObject old = call("GET", u"/v2/apps/svc/versions/"_s + firstVersion).json();
        QCOMPARE(old.value(u"instances"_s).toInt(), 3);
        QCOMPARE(old.value(u"cmd"_s).toString(), u"sleep 1000"_s);

        // Rollback to the first version.
        QCOMPARE(call("PUT", u"/v2/apps/svc"_s,
                      QJsonDocument(QJsonObject{{u"version"_s, firstVersion}}).toJson())
                     .status,
                 200);
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(u"svc"_s, 3), kWait);
        QCOMPARE(getApp(u"svc"_s).value(u"cmd"_s).toString(), u"sleep 1000"_s);
        QTRY_VERIFY_WITH_TIMEOUT(noDeployments(), kWait);

        // Kill one task with scale: instances goes down.
        const QString victim = server->taskIds(u"svc"_s).first();
        const Reply killed = call("DELETE", u"/v2/apps/svc/tasks/"_s + victim + u"?scale=true"_s);
        QCOMPARE(killed.status, 200);
        QVERIFY(killed.json().contains(u"deploymentId"_s));
        QTRY_COMPARE_WITH_TIMEOUT(getApp(u"svc"_s).value(u"instances"_s).toInt(), 2, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(noDeployments(), kWait);
        // Without scale, a replacement is started.
        const QString other = server->taskIds(u"svc"_s).first();
        const Reply one = call("DELETE", u"/v2/apps/svc/tasks/"_s + other);
        QCOMPARE(one.json().value(u"task"_s).toObject().value(u"id"_s).toString(), other);
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(u"svc"_s, 2), kWait);
        QVERIFY(!server->taskIds(u"svc"_s).contains(other));
        QCOMPARE(call("POST", u"/v2/tasks/delete"_s, R"({"ids": ["not_known"]})")
                     .json()
                     .value(u"message"_s)
                     .toString(),
                 u"Invalid task id not_known"_s);

        const Reply deleted = call("DELETE", u"/v2/apps/svc"_s);
        QCOMPARE(deleted.status, 200);
        QVERIFY(!deleted.json().value(u"deploymentId"_s).toString().isEmpty());
        QCOMPARE(call("GET", u"/v2/apps/svc"_s).status, 404);
        QVERIFY(call("GET", u"/v2/tasks"_s).json().value(u"tasks"_s).toArray().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(noDeployments(), kWait);
    }

    void putCreatesMissingApp()
    {
        start();
        const Reply r = call("PUT", u"/v2/apps/fresh"_s, simpleApp(u"fresh"_s));
        QCOMPARE(r.status, 201);
        QVERIFY(!r.json().value(u"deploymentId"_s).toString().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(u"fresh"_s, 1), kWait);
    }

    void failingAppBacksOff()
    {
        start();
        SseClient sse;
        QVERIFY(sse.open(server->port()));
        server->setFailing(u"/broken"_s, u"Failed to launch container"_s);
        QCOMPARE(call("POST", u"/v2/apps"_s, simpleApp(u"broken"_s, 1, {{u"backoffSeconds"_s, 60}}))
                     .status,
                 201);
        auto failures = [&sse]() {
            int n = 0;
            for (const QJsonObject &e : sse.events("status_update_event"))
                n += e.value(u"taskStatus"_s).toString() == u"TASK_FAILED"_s ? 1 : 0;
            return n;
        };
        QTRY_COMPARE_WITH_TIMEOUT(failures(), 1, kWait);
        const QJsonObject app = call("GET", u"/v2/apps/broken?embed=app.lastTaskFailure"_s)
                                    .json()
                                    .value(u"app"_s)
                                    .toObject();
        const QJsonObject failure = app.value(u"lastTaskFailure"_s).toObject();
        QCOMPARE(failure.value(u"state"_s).toString(), u"TASK_FAILED"_s);
        QCOMPARE(failure.value(u"message"_s).toString(), u"Failed to launch container"_s);
        QCOMPARE(failure.value(u"appId"_s).toString(), u"/broken"_s);

        const QJsonArray queue = call("GET", u"/v2/queue"_s).json().value(u"queue"_s).toArray();
        QCOMPARE(queue.size(), 1);
        const QJsonObject item = queue.first().toObject();
        QCOMPARE(item.value(u"app"_s).toObject().value(u"id"_s).toString(), u"/broken"_s);
        QCOMPARE(item.value(u"count"_s).toInt(), 1);
        const QJsonObject delay = item.value(u"delay"_s).toObject();
        QVERIFY(delay.value(u"timeLeftSeconds"_s).toInt() > 0);
        QCOMPARE(delay.value(u"overdue"_s).toBool(), false);
        QVERIFY(!noDeployments()); // the deployment cannot finish

        // Resetting the delay launches again at once (and it fails again).
        QCOMPARE(call("DELETE", u"/v2/queue/broken/delay"_s).status, 204);
        QTRY_COMPARE_WITH_TIMEOUT(failures(), 2, kWait);
        QCOMPARE(call("DELETE", u"/v2/queue/unknown/delay"_s).status, 404);

        // Healed: the next reset brings it up.
        server->setFailing(u"/broken"_s, QString());
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(u"broken"_s, 1), kWait);
        QTRY_VERIFY_WITH_TIMEOUT(noDeployments(), kWait);
        QVERIFY(call("GET", u"/v2/queue"_s).json().value(u"queue"_s).toArray().isEmpty());
    }

    void faults()
    {
        start();
        server->injectFault(u"/v2/apps"_s, 503, R"({"message":"busy"})", 1);
        const Reply busy = call("GET", u"/v2/apps"_s);
        QCOMPARE(busy.status, 503);
        QCOMPARE(busy.json().value(u"message"_s).toString(), u"busy"_s);
        QCOMPARE(call("GET", u"/v2/apps"_s).status, 200); // only once

        server->injectFault(u"/v2/info"_s, 0, {}, 1);
        const Reply silent = call("GET", u"/v2/info"_s, {}, {}, 300);
        QCOMPARE(silent.error, QNetworkReply::OperationCanceledError);
        QCOMPARE(silent.status, 0);

        // QNAM resends a GET once on a reused connection closed without an answer: close twice.
        server->injectFault(u"/v2/leader"_s, -1, {}, 2);
        const Reply closed = call("GET", u"/v2/leader"_s);
        QVERIFY(closed.error != QNetworkReply::NoError);
        QCOMPARE(closed.status, 0);
        server->clearFaults();
        QCOMPARE(call("GET", u"/v2/leader"_s).status, 200);

        const int before = server->requestCount();
        QSignalSpy served(server.get(), &MarathonServer::requestServed);
        call("GET", u"/ping"_s);
        QCOMPARE(server->requestCount(), before + 1);
        QCOMPARE(served.count(), 1);
        QCOMPARE(served.first().at(1).toString(), u"/ping"_s);
        QCOMPARE(served.first().at(2).toInt(), 200);
    }

    void legacyFlavor()
    {
        MarathonServer::Options o;
        o.flavor = MarathonServer::Flavor::Legacy;
        start(o);
        QCOMPARE(call("GET", u"/v2/info"_s).json().value(u"version"_s).toString(), u"0.7.6"_s);
        const Reply created = call("POST", u"/v2/apps"_s, nginxJson());
        QCOMPARE(created.status, 201);
        QVERIFY(created.headers.value("location").endsWith("/v2/apps/nginx"));
        // As the tutorial shows it: the definition only, in the docker network form.
        const QJsonObject posted = created.json();
        QCOMPARE(posted.value(u"id"_s).toString(), u"/nginx"_s);
        QVERIFY(!posted.contains(u"deployments"_s));
        QCOMPARE(posted.value(u"ports"_s).toArray(), QJsonArray{80});
        QCOMPARE(posted.value(u"maxLaunchDelaySeconds"_s).toInt(), 3600);
        QVERIFY(posted.value(u"cmd"_s).isNull());
        QVERIFY(posted.value(u"storeUrls"_s).isArray());
        QVERIFY(!posted.contains(u"networks"_s));
        QVERIFY(!posted.contains(u"portDefinitions"_s));
        const QJsonObject docker =
            posted.value(u"container"_s).toObject().value(u"docker"_s).toObject();
        QCOMPARE(docker.value(u"network"_s).toString(), u"BRIDGE"_s);
        const QJsonObject mapping = docker.value(u"portMappings"_s).toArray().first().toObject();
        QCOMPARE(mapping.value(u"servicePort"_s).toInt(), 80);
        QCOMPARE(mapping.value(u"hostPort"_s).toInt(), 0);
        QCOMPARE(mapping.value(u"protocol"_s).toString(), u"tcp"_s);

        QTRY_VERIFY_WITH_TIMEOUT(!getApp(u"nginx"_s).value(u"tasks"_s).toArray().isEmpty() &&
                                     !getApp(u"nginx"_s)
                                          .value(u"tasks"_s)
                                          .toArray()
                                          .first()
                                          .toObject()
                                          .value(u"startedAt"_s)
                                          .isNull(),
                                 kWait);
        const QJsonObject task = getApp(u"nginx"_s).value(u"tasks"_s).toArray().first().toObject();
        QVERIFY(!task.contains(u"state"_s));
        QVERIFY(!task.contains(u"healthCheckResults"_s));
        QVERIFY(!task.contains(u"ipAddresses"_s));
        QVERIFY(!task.value(u"id"_s).toString().contains(u"instance-"_s));
        QCOMPARE(task.value(u"servicePorts"_s).toArray(), QJsonArray{80});

        QCOMPARE(call("GET", u"/v2/events"_s, {}, {{"Accept", "text/event-stream"}}).status, 404);
        QCOMPARE(call("GET", u"/ping"_s).body.trimmed(), QByteArray("pong"));
        QCOMPARE(call("PUT", u"/v2/apps/other"_s, simpleApp(u"other"_s)).status, 404);

        const Reply invalid = call("POST", u"/v2/apps"_s, R"({"id": "x", "cmd": "y", "cpus": -1})");
        QCOMPARE(invalid.status, 422);
        QVERIFY(invalid.json().value(u"errors"_s).isArray());
    }
};

QTEST_GUILESS_MAIN(TestMarathonServer)
#include "tst_marathonserver.moc"
