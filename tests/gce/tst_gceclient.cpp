#include "gce/credentials.h"
#include "gce/gceclient.h"
#include "sandbox/gceserver.h"
#include "sandbox/httpserver.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>
#include <memory>

using namespace pier;
using namespace pier::gce;
using pier::sandbox::GceServer;

namespace {

const QString kRegion = QStringLiteral("us-central1");
const QString kZone = QStringLiteral("us-central1-a");
const QString kNode1 = QStringLiteral("development-5159-d3d-1");

struct Recorder : sandbox::GceObserver {
    QStringList events;
    void firewallChanged(const QJsonObject &f, bool removed) override
    {
        events << QStringLiteral("firewall %1%2")
                      .arg(f.value(QStringLiteral("name")).toString(),
                           removed ? QStringLiteral(" removed") : QString());
    }
    void instanceTagsChanged(const QJsonObject &i) override
    {
        events << QStringLiteral("tags ") + i.value(QStringLiteral("name")).toString();
    }
};

} // namespace

class TestGceClient : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<GceServer> server;
    std::unique_ptr<GceClient> client;

    bool finish(GceReply *reply, int timeoutMs = 20000)
    {
        if (!reply->isFinished()) {
            QSignalSpy spy(reply, &GceReply::finished);
            if (!spy.wait(timeoutMs))
                return false;
        }
        return true;
    }
    // Runs a call to its end; fails the test on error.
    GceReply *ok(GceReply *reply)
    {
        if (!finish(reply))
            qWarning("call did not finish");
        if (reply->error())
            qWarning("%s", qPrintable(reply->error().toText()));
        return reply;
    }

private slots:
    void init()
    {
        GceServer::Options o;
        o.operationMs = 60;
        o.staticAddressQuota = 2;
        server = std::make_unique<GceServer>(o);
        QVERIFY(server->listen());
        GceConfig c;
        c.endpoint = server->endpoint();
        c.project = o.project;
        c.retryBaseDelayMs = 20;
        c.pollIntervalMs = 20;
        client = std::make_unique<GceClient>(c);
        client->setTokenSource(new StaticTokenSource(server->issueToken(), client.get()));
    }
    void cleanup()
    {
        client.reset();
        server.reset();
    }

    void regionAndZone()
    {
        GceReply *r = ok(client->getRegion(kRegion));
        QVERIFY(!r->error());
        QCOMPARE(r->region().name, kRegion);
        bool found = false;
        for (const auto &q : r->region().quotas)
            found = found || (q.metric == QLatin1String("STATIC_ADDRESSES") && q.limit == 2);
        QVERIFY(found);
        GceReply *z = ok(client->getZone(kZone));
        QCOMPARE(lastSegment(z->zone().region), kRegion);
        GceReply *missing = ok(client->getZone(QStringLiteral("mars-1a")));
        QCOMPARE(missing->error().reason, QStringLiteral("notFound"));
        QCOMPARE(missing->error().kind, ApiError::Kind::NotFound);
    }

    void instancesAndNetworks()
    {
        GceReply *list = ok(client->listInstances(kZone));
        QCOMPARE(list->instances().size(), 3);
        GceReply *agg = ok(client->aggregatedListInstances());
        QCOMPARE(agg->instances().size(), 3);
        GceReply *one = ok(client->getInstance(kZone, kNode1));
        const GceInstance i = one->instance();
        QCOMPARE(i.internalIp(), QStringLiteral("198.18.0.11"));
        QCOMPARE(i.externalIp(), QStringLiteral("203.0.113.11"));
        QCOMPARE(lastSegment(i.network()), QStringLiteral("mesosphere-development-5159"));
        QVERIFY(!i.tags.fingerprint.isEmpty());
        GceReply *nets = ok(client->listNetworks());
        QVERIFY(nets->networks().size() >= 1);
        GceReply *net = ok(client->getNetwork(lastSegment(i.network())));
        QCOMPARE(net->network().ipv4Range, QStringLiteral("198.18.0.0/24"));
    }

    void addressLifecycle()
    {
        GceAddress a;
        a.name = QStringLiteral("web");
        GceReply *ins = ok(client->insertAddress(kRegion, a));
        QVERIFY(!ins->error());
        QCOMPARE(ins->operation().status, QStringLiteral("DONE")); // followed to the end
        QVERIFY(!ins->requestId().isEmpty());
        GceReply *get = ok(client->getAddress(kRegion, a.name));
        QVERIFY(get->address().address.startsWith(QLatin1String("203.0.113.")));
        QCOMPARE(get->address().status, QStringLiteral("RESERVED"));
        QCOMPARE(ok(client->listAddresses(kRegion))->addresses().size(), 1);
        GceReply *dup = ok(client->insertAddress(kRegion, a));
        QCOMPARE(dup->error().reason, QStringLiteral("alreadyExists"));
        QCOMPARE(dup->error().httpStatus, 409);
        QVERIFY(!ok(client->deleteAddress(kRegion, a.name))->error());
        QCOMPARE(ok(client->getAddress(kRegion, a.name))->error().reason,
                 QStringLiteral("notFound"));
        QCOMPARE(ok(client->deleteAddress(kRegion, a.name))->error().reason,
                 QStringLiteral("notFound"));
    }

    void quota_data()
    {
        QTest::addColumn<bool>("asOperation");
        QTest::newRow("403 at once") << false;
        QTest::newRow("DONE operation with error") << true;
    }
    void quota()
    {
        QFETCH(bool, asOperation);
        server->options().quotaAsFailedOperation = asOperation;
        for (const char *n : {"a1", "a2"}) {
            GceAddress a;
            a.name = QLatin1String(n);
            QVERIFY(!ok(client->insertAddress(kRegion, a))->error());
        }
        GceAddress third;
        third.name = QStringLiteral("a3");
        GceReply *r = ok(client->insertAddress(kRegion, third));
        QCOMPARE(r->error().reason, QStringLiteral("quotaExceeded"));
        QCOMPARE(r->error().httpStatus, 403);
        QVERIFY(r->error().message.contains(QLatin1String("STATIC_ADDRESSES")));
        QVERIFY(r->error().hint.contains(QLatin1String("quota")));
        QCOMPARE(r->operation().isDone(), asOperation);
        QCOMPARE(server->resourcePaths(QStringLiteral("regions/us-central1/addresses")).size(), 2);
    }

    void poolRuleHealthCheck()
    {
        GceHealthCheck hc;
        hc.name = QStringLiteral("hc");
        hc.requestPath = QStringLiteral("/");
        QVERIFY(!ok(client->insertHttpHealthCheck(hc))->error());
        QCOMPARE(ok(client->getHttpHealthCheck(hc.name))->healthCheck().port, 80);

        GceTargetPool p;
        p.name = QStringLiteral("pool");
        QVERIFY(!ok(client->insertTargetPool(kRegion, p))->error());
        const QString n1 =
            client->projectUrl(QStringLiteral("zones/%1/instances/%2").arg(kZone, kNode1))
                .toString();
        const QString n2 =
            client
                ->projectUrl(QStringLiteral("zones/%1/instances/development-5159-d3d-2").arg(kZone))
                .toString();
        QVERIFY(!ok(client->addInstances(kRegion, p.name, {n1, n2}))->error());
        QCOMPARE(ok(client->getTargetPool(kRegion, p.name))->targetPool().instances.size(), 2);
        QVERIFY(!ok(client->removeInstances(kRegion, p.name, {n2}))->error());
        QCOMPARE(ok(client->getTargetPool(kRegion, p.name))->targetPool().instances,
                 QStringList{n1});
        const QString hcUrl =
            client->projectUrl(QStringLiteral("global/httpHealthChecks/hc")).toString();
        QVERIFY(!ok(client->addHealthCheck(kRegion, p.name, hcUrl))->error());

        // A missing instance fails the operation, not the request: DONE with an error.
        GceReply *bad = ok(client->addInstances(
            kRegion, p.name,
            {client->projectUrl(QStringLiteral("zones/%1/instances/ghost").arg(kZone))
                 .toString()}));
        QCOMPARE(bad->error().reason, QStringLiteral("notFound"));
        QVERIFY(bad->operation().isDone());
        QVERIFY(bad->operation().hasError());

        GceAddress a;
        a.name = QStringLiteral("lb");
        GceReply *addr = ok(client->insertAddress(kRegion, a));
        const QString ip = ok(client->getAddress(kRegion, a.name))->address().address;
        GceForwardingRule r;
        r.name = QStringLiteral("rule");
        r.ipAddress = ip;
        r.ipProtocol = QStringLiteral("TCP");
        r.portRange = QStringLiteral("80");
        r.target = client->projectUrl(QStringLiteral("regions/%1/targetPools/pool").arg(kRegion))
                       .toString();
        QVERIFY(!addr->error());
        QVERIFY(!ok(client->insertForwardingRule(kRegion, r))->error());
        QCOMPARE(ok(client->getForwardingRule(kRegion, r.name))->forwardingRule().ipAddress, ip);
        QCOMPARE(ok(client->getAddress(kRegion, a.name))->address().status,
                 QStringLiteral("IN_USE"));

        server->setInstanceHealthy(kNode1, false);
        GceReply *health = ok(client->getHealth(kRegion, p.name, n1));
        QCOMPARE(health->health().size(), 1);
        QCOMPARE(health->health().first().healthState, QStringLiteral("UNHEALTHY"));
        QCOMPARE(health->health().first().ipAddress, ip);

        // Teardown order matters: the pool is still used by the rule, the check by the pool.
        GceReply *early = ok(client->deleteTargetPool(kRegion, p.name));
        QCOMPARE(early->error().reason, QStringLiteral("resourceInUseByAnotherResource"));
        QCOMPARE(early->error().httpStatus, 400);
        QVERIFY(early->error().message.contains(QLatin1String("forwardingRules/rule")));
        QCOMPARE(ok(client->deleteHttpHealthCheck(hc.name))->error().reason,
                 QStringLiteral("resourceInUseByAnotherResource"));
        QVERIFY(!ok(client->deleteForwardingRule(kRegion, r.name))->error());
        QCOMPARE(ok(client->getAddress(kRegion, a.name))->address().status,
                 QStringLiteral("RESERVED"));
        QVERIFY(!ok(client->deleteTargetPool(kRegion, p.name))->error());
        QVERIFY(!ok(client->deleteHttpHealthCheck(hc.name))->error());
        QVERIFY(!ok(client->deleteAddress(kRegion, a.name))->error());
    }

    void firewalls()
    {
        Recorder recorder;
        server->setObserver(&recorder);
        GceFirewall f;
        f.name = QStringLiteral("allow-http");
        f.network =
            client->projectUrl(QStringLiteral("global/networks/mesosphere-development-5159"))
                .toString();
        f.allowed = {{QStringLiteral("tcp"), {QStringLiteral("80")}}};
        f.targetTags = {QStringLiteral("http-server")};
        GceReply *ins = client->insertFirewall(f);
        // The router hears of the rule only when its operation is DONE.
        QTest::qWait(5);
        QVERIFY(recorder.events.isEmpty());
        QVERIFY(!ok(ins)->error());
        QCOMPARE(recorder.events, QStringList{QStringLiteral("firewall allow-http")});
        const GceFirewall got = ok(client->getFirewall(f.name))->firewall();
        QCOMPARE(got.sourceRanges, QStringList{QStringLiteral("0.0.0.0/0")});
        QCOMPARE(got.allowed.value(0).ports, QStringList{QStringLiteral("80")});
        QCOMPARE(ok(client->listFirewalls())->firewalls().size(), 1);
        GceFirewall wrong = f;
        wrong.name = QStringLiteral("elsewhere");
        wrong.network = client->projectUrl(QStringLiteral("global/networks/nope")).toString();
        QCOMPARE(ok(client->insertFirewall(wrong))->error().reason, QStringLiteral("notFound"));
        QVERIFY(!ok(client->deleteFirewall(f.name))->error());
        QCOMPARE(recorder.events.last(), QStringLiteral("firewall allow-http removed"));
        server->setObserver(nullptr);
    }

    void setTagsIsReadModifyWrite()
    {
        server->setInstanceTags(kNode1, {QStringLiteral("master")});
        GceReply *r = ok(client->addTags(kZone, kNode1, {QStringLiteral("http-server")}));
        QVERIFY(!r->error());
        QVERIFY(r->changed());
        QCOMPARE(ok(client->getInstance(kZone, kNode1))->instance().tags.items,
                 (QStringList{QStringLiteral("master"), QStringLiteral("http-server")}));
        GceReply *again = ok(client->addTags(kZone, kNode1, {QStringLiteral("http-server")}));
        QVERIFY(!again->error());
        QVERIFY(!again->changed()); // already tagged: nothing sent
        QVERIFY(!ok(client->removeTags(kZone, kNode1, {QStringLiteral("http-server")}))->error());
        QCOMPARE(ok(client->getInstance(kZone, kNode1))->instance().tags.items,
                 QStringList{QStringLiteral("master")});
    }

    void setTagsRetriesOnStaleFingerprint()
    {
        // Someone else changes the tags between our read and our write, twice.
        int changesLeft = 2;
        GceReply *r = client->setTags(kZone, kNode1, [&](const QStringList &current) {
            if (changesLeft-- > 0)
                server->setInstanceTags(
                    kNode1, current + QStringList{QStringLiteral("other%1").arg(changesLeft)});
            QStringList out = current;
            out << QStringLiteral("http-server");
            return out;
        });
        QVERIFY(finish(r));
        QVERIFY2(!r->error(), qPrintable(r->error().toText()));
        const QStringList tags = ok(client->getInstance(kZone, kNode1))->instance().tags.items;
        QVERIFY(tags.contains(QStringLiteral("http-server")));
        QVERIFY(tags.contains(QStringLiteral("other0"))); // their change is kept
    }

    void setTagsGivesUpAfterBoundedAttempts()
    {
        GceConfig c = client->config();
        c.setTagsAttempts = 2;
        client->setConfig(c);
        GceReply *r = client->setTags(kZone, kNode1, [&](const QStringList &current) {
            server->setInstanceTags(kNode1, current + QStringList{QStringLiteral("x")});
            return QStringList{QStringLiteral("http-server")};
        });
        QVERIFY(finish(r));
        QCOMPARE(r->error().reason, QStringLiteral("conditionNotMet"));
        QCOMPARE(r->error().httpStatus, 412);
        QVERIFY(!r->error().hint.isEmpty());
    }

    void retriedInsertCreatesOnce()
    {
        // The server commits the insert, then the reply is lost; the client retries with the
        // same requestId and gets the first operation back instead of a 409 or a second address.
        server->dropReplyAfterCommit(QStringLiteral("/addresses"), 1);
        const int before = server->mutationCount();
        int inserts = 0;
        connect(server->httpServer(), &sandbox::HttpServer::requestReceived, this,
                [&](const QString &method, const QString &path) {
                    if (method == QLatin1String("POST") &&
                        path.endsWith(QLatin1String("/addresses")))
                        ++inserts;
                });
        GceAddress a;
        a.name = QStringLiteral("once");
        GceReply *r = ok(client->insertAddress(kRegion, a));
        QVERIFY2(!r->error(), qPrintable(r->error().toText()));
        QCOMPARE(inserts, 2); // the lost one and its retry (same requestId)
        QCOMPARE(server->mutationCount(), before + 1);
        QCOMPARE(server->resourcePaths(QStringLiteral("regions/us-central1/addresses")).size(), 1);
    }

    void operationsGetAndWait()
    {
        server->options().operationMs = 400;
        GceAddress a;
        a.name = QStringLiteral("slow");
        QList<QString> seen;
        GceReply *r = client->insertAddress(kRegion, a);
        connect(r, &GceReply::operationProgress, this,
                [&](const GceOperation &op) { seen << op.status; });
        QVERIFY(finish(r));
        QVERIFY(!r->error());
        QVERIFY(!seen.isEmpty());
        QCOMPARE(seen.first(), QStringLiteral("PENDING"));
        const GceOperation op = r->operation();
        QVERIFY(op.isDone());
        GceReply *get = ok(client->getOperation(QStringLiteral("region"), kRegion, op.name));
        QCOMPARE(get->operation().status, QStringLiteral("DONE"));
        GceReply *wait = ok(client->waitOperation(QStringLiteral("region"), kRegion, op.name));
        QCOMPARE(wait->operation().status, QStringLiteral("DONE"));
        QCOMPARE(ok(client->getOperation(QStringLiteral("global"), {}, QStringLiteral("nope")))
                     ->error()
                     .reason,
                 QStringLiteral("notFound"));
    }

    void pollingWhenWaitIsMissing()
    {
        // An endpoint without /wait (405): the client polls operations get instead.
        server->httpServer()->injectFault(
            QStringLiteral(
                "/compute/v1/projects/mesosphere-development/regions/us-central1/operations/"),
            sandbox::HttpServer::FaultKind::Respond, 405, {}, 1);
        GceAddress a;
        a.name = QStringLiteral("polled");
        GceReply *r = ok(client->insertAddress(kRegion, a));
        QVERIFY2(!r->error(), qPrintable(r->error().toText()));
        QVERIFY(r->operation().isDone());
    }

    void transientErrorsRetried()
    {
        server->httpServer()->injectFault(
            QStringLiteral("/compute/v1/projects/mesosphere-development/global/networks"),
            sandbox::HttpServer::FaultKind::Respond, 503,
            "{\"error\":{\"code\":503,\"message\":\"backend\",\"errors\":[{\"reason\":"
            "\"backendError\"}]}}",
            2);
        GceReply *r = ok(client->listNetworks());
        QVERIFY(!r->error());
        QCOMPARE(r->attempts(), 3);
    }

    void unauthorizedWithoutToken()
    {
        client->setTokenSource(nullptr);
        GceReply *r = ok(client->listNetworks());
        QCOMPARE(r->error().httpStatus, 401);
        QCOMPARE(r->error().kind, ApiError::Kind::Auth);
        QCOMPARE(r->error().reason, QStringLiteral("authError"));
        QVERIFY(!r->error().hint.isEmpty());
    }

    void emulatorBodiesMatchDiscoveryDocument();
};

// --- emulator fidelity -------------------------------------------------------------------------

namespace {

struct SchemaChecker {
    QJsonObject schemas;
    QStringList problems;

    void check(const QJsonValue &value, const QJsonObject &schema, const QString &where)
    {
        QJsonObject s = schema;
        if (s.contains(QStringLiteral("$ref")))
            s = schemas.value(s.value(QStringLiteral("$ref")).toString()).toObject();
        const QString type = s.value(QStringLiteral("type")).toString();
        if (type == QLatin1String("string")) {
            if (!value.isString())
                problems << where + QStringLiteral(": not a string");
        } else if (type == QLatin1String("integer") || type == QLatin1String("number")) {
            if (!value.isDouble())
                problems << where + QStringLiteral(": not a number");
        } else if (type == QLatin1String("boolean")) {
            if (!value.isBool())
                problems << where + QStringLiteral(": not a boolean");
        } else if (type == QLatin1String("array")) {
            if (!value.isArray()) {
                problems << where + QStringLiteral(": not an array");
                return;
            }
            int i = 0;
            for (const QJsonValue &v : value.toArray())
                check(v, s.value(QStringLiteral("items")).toObject(),
                      where + QStringLiteral("[%1]").arg(i++));
        } else if (type == QLatin1String("object") || s.contains(QStringLiteral("properties"))) {
            if (!value.isObject()) {
                problems << where + QStringLiteral(": not an object");
                return;
            }
            const QJsonObject props = s.value(QStringLiteral("properties")).toObject();
            const QJsonObject extra = s.value(QStringLiteral("additionalProperties")).toObject();
            const QJsonObject o = value.toObject();
            for (auto it = o.begin(); it != o.end(); ++it) {
                const QString at = where + QLatin1Char('.') + it.key();
                if (props.contains(it.key()))
                    check(it.value(), props.value(it.key()).toObject(), at);
                else if (!extra.isEmpty())
                    check(it.value(), extra, at);
                else
                    problems << at + QStringLiteral(": not in the schema");
            }
        }
    }
};

} // namespace

void TestGceClient::emulatorBodiesMatchDiscoveryDocument()
{
    QString path = qEnvironmentVariable("PIER_GCE_DISCOVERY");
    if (path.isEmpty())
        path = QStringLiteral(PIER_GCE_DISCOVERY);
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        QSKIP("the discovery document (specs/gce/compute-v1-subset.json) is not here");
    SchemaChecker checker;
    checker.schemas =
        QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("schemas")).toObject();
    QVERIFY(!checker.schemas.isEmpty());

    // Make one of everything, then read every kind of body raw.
    GceHealthCheck hc;
    hc.name = QStringLiteral("hc");
    ok(client->insertHttpHealthCheck(hc));
    GceTargetPool p;
    p.name = QStringLiteral("pool");
    p.healthChecks = {client->projectUrl(QStringLiteral("global/httpHealthChecks/hc")).toString()};
    p.instances = {
        client->projectUrl(QStringLiteral("zones/%1/instances/%2").arg(kZone, kNode1)).toString()};
    ok(client->insertTargetPool(kRegion, p));
    GceAddress a;
    a.name = QStringLiteral("web");
    ok(client->insertAddress(kRegion, a));
    GceForwardingRule r;
    r.name = QStringLiteral("rule");
    r.ipAddress = ok(client->getAddress(kRegion, a.name))->address().address;
    r.target =
        client->projectUrl(QStringLiteral("regions/%1/targetPools/pool").arg(kRegion)).toString();
    ok(client->insertForwardingRule(kRegion, r));
    GceFirewall fw;
    fw.name = QStringLiteral("fw");
    fw.network = client->projectUrl(QStringLiteral("global/networks/mesosphere-development-5159"))
                     .toString();
    fw.allowed = {{QStringLiteral("tcp"), {QStringLiteral("80")}}};
    fw.targetTags = {QStringLiteral("http-server")};
    ok(client->insertFirewall(fw));
    ok(client->addTags(kZone, kNode1, {QStringLiteral("http-server")}));

    struct Probe {
        QByteArray verb;
        QString path;
        QByteArray body;
        QString schema;
    };
    const QString inst =
        client->projectUrl(QStringLiteral("zones/%1/instances/%2").arg(kZone, kNode1)).toString();
    const QList<Probe> probes{
        {"GET", QStringLiteral("regions/us-central1"), {}, QStringLiteral("Region")},
        {"GET", QStringLiteral("zones/us-central1-a"), {}, QStringLiteral("Zone")},
        {"GET", QStringLiteral("regions/us-central1/addresses"), {}, QStringLiteral("AddressList")},
        {"GET", QStringLiteral("regions/us-central1/addresses/web"), {}, QStringLiteral("Address")},
        {"GET",
         QStringLiteral("regions/us-central1/targetPools/pool"),
         {},
         QStringLiteral("TargetPool")},
        {"GET",
         QStringLiteral("regions/us-central1/targetPools"),
         {},
         QStringLiteral("TargetPoolList")},
        {"POST", QStringLiteral("regions/us-central1/targetPools/pool/getHealth"),
         QJsonDocument(QJsonObject{{QStringLiteral("instance"), inst}}).toJson(),
         QStringLiteral("TargetPoolInstanceHealth")},
        {"GET",
         QStringLiteral("regions/us-central1/forwardingRules/rule"),
         {},
         QStringLiteral("ForwardingRule")},
        {"GET",
         QStringLiteral("regions/us-central1/forwardingRules"),
         {},
         QStringLiteral("ForwardingRuleList")},
        {"GET",
         QStringLiteral("zones/us-central1-a/instances/") + kNode1,
         {},
         QStringLiteral("Instance")},
        {"GET",
         QStringLiteral("zones/us-central1-a/instances"),
         {},
         QStringLiteral("InstanceList")},
        {"GET",
         QStringLiteral("aggregated/instances"),
         {},
         QStringLiteral("InstanceAggregatedList")},
        {"GET", QStringLiteral("global/networks"), {}, QStringLiteral("NetworkList")},
        {"GET",
         QStringLiteral("global/networks/mesosphere-development-5159"),
         {},
         QStringLiteral("Network")},
        {"GET", QStringLiteral("global/firewalls"), {}, QStringLiteral("FirewallList")},
        {"GET", QStringLiteral("global/firewalls/fw"), {}, QStringLiteral("Firewall")},
        {"GET",
         QStringLiteral("global/httpHealthChecks/hc"),
         {},
         QStringLiteral("HttpHealthCheck")},
        {"GET",
         QStringLiteral("global/httpHealthChecks"),
         {},
         QStringLiteral("HttpHealthCheckList")},
        {"POST", QStringLiteral("regions/us-central1/addresses?requestId=fidelity-1"),
         "{\"name\":\"second\"}", QStringLiteral("Operation")},
        {"POST", QStringLiteral("global/firewalls?requestId=fidelity-2"),
         "{\"name\":\"fw2\",\"allowed\":[{\"IPProtocol\":\"tcp\"}]}", QStringLiteral("Operation")},
        {"POST",
         QStringLiteral(
             "zones/us-central1-a/instances/development-5159-d3d-2/setTags?requestId=fidelity-3"),
         QJsonDocument(QJsonObject{{QStringLiteral("items"), QJsonArray{QStringLiteral("web")}},
                                   {QStringLiteral("fingerprint"),
                                    server
                                        ->resource(QStringLiteral(
                                            "zones/us-central1-a/instances/development-5159-d3d-2"))
                                        .value(QStringLiteral("tags"))
                                        .toObject()
                                        .value(QStringLiteral("fingerprint"))}})
             .toJson(),
         QStringLiteral("Operation")},
    };
    QNetworkAccessManager nam;
    const QString token = server->issueToken();
    QStringList operations;
    auto fetch = [&](const QByteArray &verb, const QString &rel, const QByteArray &body) {
        QNetworkRequest req(QUrl(server->endpoint().toString() +
                                 QStringLiteral("projects/mesosphere-development/") + rel));
        req.setRawHeader("Authorization", "Bearer " + token.toLatin1());
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QNetworkReply *reply = verb == "GET" ? nam.get(req) : nam.post(req, body);
        QSignalSpy spy(reply, &QNetworkReply::finished);
        if (!reply->isFinished())
            spy.wait(10000);
        reply->deleteLater();
        return QJsonDocument::fromJson(reply->readAll()).object();
    };
    for (const Probe &probe : probes) {
        const QJsonObject body = fetch(probe.verb, probe.path, probe.body);
        QVERIFY2(!body.isEmpty(), qPrintable(probe.path));
        QVERIFY2(!body.contains(QStringLiteral("error")),
                 qPrintable(probe.path + QLatin1Char(' ') +
                            QString::fromUtf8(QJsonDocument(body).toJson())));
        QVERIFY2(checker.schemas.contains(probe.schema), qPrintable(probe.schema));
        checker.check(body, checker.schemas.value(probe.schema).toObject(), probe.schema);
        if (probe.schema == QLatin1String("Operation")) {
            const GceOperation op = parseOperation(body);
            const QString scope = op.scope() == QLatin1String("global")
                                      ? QStringLiteral("global")
                                      : op.scope() + QStringLiteral("s/") + op.scopeName();
            operations << scope + QStringLiteral("/operations/") + op.name;
        }
    }
    // Operations as get and /wait give them (DONE), also a DONE one carrying an error.
    for (const QString &op : operations) {
        checker.check(fetch("GET", op, {}),
                      checker.schemas.value(QStringLiteral("Operation")).toObject(), op);
        checker.check(fetch("POST", op + QStringLiteral("/wait"), {}),
                      checker.schemas.value(QStringLiteral("Operation")).toObject(),
                      op + QStringLiteral("/wait"));
    }
    server->options().quotaAsFailedOperation = true;
    server->options().staticAddressQuota = 2;
    const QJsonObject failed =
        fetch("POST", QStringLiteral("regions/us-central1/addresses?requestId=fidelity-4"),
              "{\"name\":\"third\"}");
    const GceOperation fop = parseOperation(failed);
    const QJsonObject done = fetch(
        "POST",
        QStringLiteral("regions/us-central1/operations/") + fop.name + QStringLiteral("/wait"), {});
    QVERIFY(done.contains(QStringLiteral("error")));
    checker.check(done, checker.schemas.value(QStringLiteral("Operation")).toObject(),
                  QStringLiteral("failed operation"));
    QVERIFY2(checker.problems.isEmpty(), qPrintable(checker.problems.join(QLatin1Char('\n'))));
}

QTEST_GUILESS_MAIN(TestGceClient)
#include "tst_gceclient.moc"
