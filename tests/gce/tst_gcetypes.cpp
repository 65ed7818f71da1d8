#include "gce/gcetypes.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

using namespace pier;
using namespace pier::gce;

namespace {
QByteArray fixture(const char *name)
{
    QFile f(QStringLiteral(PIER_TEST_DATA "/gce/") + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", name);
    return f.readAll();
}
QJsonObject object(const char *name)
{
    return QJsonDocument::fromJson(fixture(name)).object();
}
} // namespace

class TestGceTypes : public QObject {
    Q_OBJECT
private slots:
    void pendingOperation()
    {
        const GceOperation op = parseOperation(object("operation-pending.json"));
        QCOMPARE(op.name, QStringLiteral("operation-1400000000000-addr"));
        QCOMPARE(op.status, QStringLiteral("PENDING"));
        QVERIFY(!op.isDone());
        QVERIFY(!op.hasError());
        QCOMPARE(op.scope(), QStringLiteral("region"));
        QCOMPARE(op.scopeName(), QStringLiteral("us-central1"));
        QCOMPARE(op.id, QStringLiteral("4410012345678901234")); // kept as a string, not rounded
        QVERIFY(!operationError(op));
    }

    void failedOperations_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("scope");
        QTest::newRow("exists") << "operation-done-exists.json"
                                << "alreadyExists" << 409 << int(ApiError::Kind::Conflict)
                                << "global";
        QTest::newRow("quota") << "operation-done-quota.json"
                               << "quotaExceeded" << 403 << int(ApiError::Kind::Auth) << "zone";
    }
    void failedOperations()
    {
        QFETCH(QString, file);
        QFETCH(QString, reason);
        const GceOperation op = parseOperation(object(file.toLatin1().constData()));
        QVERIFY(op.isDone());
        QVERIFY(op.hasError());
        QFETCH(QString, scope);
        QCOMPARE(op.scope(), scope);
        const ApiError e = operationError(op, QStringLiteral("pier-test"));
        QCOMPARE(e.reason, reason);
        QTEST(e.httpStatus, "status");
        QTEST(int(e.kind), "kind");
        QVERIFY(!e.message.isEmpty());
        QVERIFY(!e.hint.isEmpty());
    }

    void httpErrors_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<QString>("hintHas");
        QTest::newRow("forbidden") << "error-403-forbidden.json" << 403 << "forbidden"
                                   << "compute.addresses.create";
        QTest::newRow("api off") << "error-403-accessnotconfigured.json" << 403
                                 << "accessNotConfigured"
                                 << "Enable the Compute Engine API for project pier-test";
        QTest::newRow("412") << "error-412-fingerprint.json" << 412 << "conditionNotMet"
                             << "fingerprint";
        QTest::newRow("in use") << "error-400-inuse.json" << 400 << "resourceInUseByAnotherResource"
                                << "forwarding rule";
        QTest::newRow("404") << "error-404.json" << 404 << "notFound"
                             << "pier-test";
        QTest::newRow("rate") << "error-403-ratelimit.json" << 403 << "rateLimitExceeded"
                              << "retries";
    }
    void httpErrors()
    {
        QFETCH(QString, file);
        QFETCH(int, status);
        const ApiError e =
            gceErrorFrom(status, fixture(file.toLatin1().constData()), QStringLiteral("pier-test"));
        QVERIFY(e.isError());
        QTEST(e.reason, "reason");
        QCOMPARE(e.httpStatus, status);
        QFETCH(QString, hintHas);
        QVERIFY2(e.hint.contains(hintHas), qPrintable(e.hint));
        if (e.reason == QLatin1String("rateLimitExceeded"))
            QVERIFY(e.isTransient());
        else
            QVERIFY(!e.isTransient());
    }

    void notJson()
    {
        const ApiError e = gceErrorFrom(502, "<html>Bad Gateway</html>");
        QCOMPARE(e.kind, ApiError::Kind::Server);
        QVERIFY(e.message.contains(QLatin1String("502")));
        QVERIFY(e.isTransient());
    }

    void instance()
    {
        const GceInstance i = parseInstance(object("instance.json"));
        QCOMPARE(i.name, QStringLiteral("development-5159-d3d-1"));
        QCOMPARE(i.internalIp(), QStringLiteral("10.240.0.2"));
        QCOMPARE(i.externalIp(), QStringLiteral("203.0.113.40"));
        QCOMPARE(lastSegment(i.network()), QStringLiteral("mesosphere-development-5159"));
        QCOMPARE(i.tags.items,
                 (QStringList{QStringLiteral("master"), QStringLiteral("http-server")}));
        QCOMPARE(i.tags.fingerprint, QStringLiteral("Xz9aBc1dEfg="));
        QCOMPARE(lastSegment(i.zone), QStringLiteral("us-central1-b"));
    }

    void instanceWithoutTagsOrNat()
    {
        const GceInstance i = parseInstance(object("instance-no-tags.json"));
        QVERIFY(i.tags.items.isEmpty());
        QCOMPARE(i.tags.fingerprint, QStringLiteral("42WmSpB8rSM="));
        QCOMPARE(i.internalIp(), QStringLiteral("10.240.0.9"));
        QVERIFY(i.externalIp().isEmpty());
    }

    void resources()
    {
        const GceTargetPool p = parseTargetPool(object("targetpool.json"));
        QCOMPARE(p.instances.size(), 2);
        QCOMPARE(lastSegment(p.healthChecks.value(0)), QStringLiteral("basic-check"));
        const GceForwardingRule r = parseForwardingRule(object("forwardingrule.json"));
        QCOMPARE(r.ipAddress, QStringLiteral("203.0.113.7"));
        QCOMPARE(r.portRange, QStringLiteral("80-80"));
        QCOMPARE(lastSegment(r.target), QStringLiteral("www-pool"));
        const GceFirewall f = parseFirewall(object("firewall.json"));
        QCOMPARE(f.priority, 900);
        QCOMPARE(f.allowed.value(0).ipProtocol, QStringLiteral("tcp"));
        QCOMPARE(f.allowed.value(0).ports,
                 (QStringList{QStringLiteral("80"), QStringLiteral("8000-8100")}));
        QCOMPARE(f.targetTags, QStringList{QStringLiteral("http-server")});
        const GceAddress a = parseAddress(object("address.json"));
        QCOMPARE(a.status, QStringLiteral("IN_USE"));
        QCOMPARE(a.users.size(), 1);
        const GceHealthCheck h = parseHealthCheck(object("healthcheck.json"));
        QCOMPARE(h.port, 8080);
        QCOMPARE(h.requestPath, QStringLiteral("/health"));
        QCOMPARE(h.unhealthyThreshold, 5);
        const GceNetwork n = parseNetwork(object("network-legacy.json"));
        QCOMPARE(n.ipv4Range, QStringLiteral("10.240.0.0/16"));
        QVERIFY(!n.autoCreateSubnetworks);
    }

    void missingFieldsAreDefaults()
    {
        const GceHealthCheck h = parseHealthCheck({});
        QCOMPARE(h.port, 80);
        const GceFirewall f = parseFirewall({});
        QCOMPARE(f.priority, 1000);
        QVERIFY(parseInstance({}).externalIp().isEmpty());
    }

    void reasonsFromCodes_data()
    {
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("reason");
        QTest::newRow("exists") << "RESOURCE_ALREADY_EXISTS"
                                << "alreadyExists";
        QTest::newRow("in use") << "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"
                                << "resourceInUseByAnotherResource";
        QTest::newRow("not ready") << "RESOURCE_NOT_READY"
                                   << "resourceNotReady";
        QTest::newRow("other") << "IP_IN_USE_BY_ANOTHER_RESOURCE"
                               << "ipInUseByAnotherResource";
    }
    void reasonsFromCodes()
    {
        QFETCH(QString, code);
        QTEST(reasonFromOperationCode(code), "reason");
    }
};

QTEST_GUILESS_MAIN(TestGceTypes)
#include "tst_gcetypes.moc"
