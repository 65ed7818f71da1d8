// End to end on the sandbox network (root): `pier gce apply` against the sandbox's GCE, whose
// router observer turns the forwarding rule into a real load balancer and the firewall rule into
// the VPC firewall. Seen from the internet namespace: the address answers; without the firewall
// rule it times out; with one node's port blocked by its iptables some connections fail until the
// health check is on; after teardown nothing answers and the router holds no LB rule.
#include "../cluster/clustertestutil.h"
#include "common/pierprocess.h"
#include "gce/credentials.h"
#include "gce/gceclient.h"
#include "sandbox/cluster.h"
#include "sandbox/gcerouter.h"
#include "sandbox/gceserver.h"
#include "sandbox/iptablespresets.h"
#include "sandbox/netns.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <memory>
#include <unistd.h>

using namespace pier;
using namespace pier::sandbox;

class TestGceLoadBalancer : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<Cluster> m_cluster;
    ClusterStatus m_status;
    std::unique_ptr<GceServer> m_server;
    std::unique_ptr<GceRouter> m_router;
    QTemporaryDir m_home;
    QList<int> m_listeners;
    QStringList m_common;

    // Connections from the internet namespace to IP:80, each from a new source port.
    QMap<ProbeResult, int> connect(const QString &ip, int count, int timeoutMs = 400)
    {
        QMap<ProbeResult, int> seen;
        for (int i = 0; i < count; ++i)
            ++seen[probeTcp(m_status.internetNetns, QHostAddress(ip), 80, timeoutMs)];
        return seen;
    }

    test::PierRun pier(const QStringList &args)
    {
        return test::runPier(QStringList{QStringLiteral("gce")} + args + m_common, m_home.path(),
                             {}, 120000);
    }

    QString routerCommand(const QStringList &args) const
    {
        return QString::fromLatin1(
            runInNamespace(m_status.routerNetns, args.first(), args.mid(1)).out);
    }

private slots:
    void initTestCase()
    {
        const QString missing = Cluster::missingPrerequisites();
        if (!missing.isEmpty())
            QSKIP(qPrintable(missing));
        m_cluster = std::make_unique<Cluster>(testutil::uniqueId("gce"));
        ClusterOptions options;
        options.agents = 2;
        options.preset = IptablesPreset::Open; // the nodes' own firewall is not the point here
        QString error;
        QCOMPARE(m_cluster->up(options, &error), Cluster::UpResult::Started);
        m_status = *m_cluster->status(&error);

        GceServer::Options o;
        o.operationMs = 100;
        o.instances = GceRouter::instancesFor(m_status);
        m_server = std::make_unique<GceServer>(o);
        QVERIFY(m_server->listen());
        m_router = std::make_unique<GceRouter>(m_cluster->id(), o.network);
        m_router->setServer(m_server.get());
        m_router->setProbeIntervalMs(500);
        m_server->setObserver(m_router.get());
        for (const ClusterNode &n : m_status.nodes) {
            const int fd = listenTcp(n.netns, 80, &error);
            QVERIFY2(fd >= 0, qPrintable(error));
            m_listeners << fd;
        }
        const QString key = m_home.filePath(QStringLiteral("key.json"));
        QVERIFY(m_server->writeServiceAccountKey(key));
        m_common = {QStringLiteral("--endpoint"), m_server->endpoint().toString(),
                    QStringLiteral("--key-file"), key,
                    QStringLiteral("--region"),   o.region,
                    QStringLiteral("--zone"),     o.zone};
    }

    void cleanupTestCase()
    {
        if (m_server)
            m_server->setObserver(nullptr);
        m_router.reset();
        for (int fd : std::as_const(m_listeners))
            ::close(fd);
        if (m_cluster) {
            QString error;
            QVERIFY2(m_cluster->down(&error), qPrintable(error));
        }
    }

    void addressAnswersThroughTheLoadBalancer()
    {
        const auto apply =
            pier({QStringLiteral("apply"), QStringLiteral("--port"), QStringLiteral("80")});
        QVERIFY2(apply.exitCode == 0, qPrintable(apply.err));
        const QString ip = QUrl(apply.out.trimmed()).host();
        QVERIFY2(ip.startsWith(QLatin1String("203.0.113.")), qPrintable(apply.out));
        QVERIFY2(m_router->lastError().isEmpty(), qPrintable(m_router->lastError()));
        QCOMPARE(m_router->activeMembers(QStringLiteral("pier-http")).size(),
                 m_status.nodes.size());
        const auto seen = connect(ip, 12);
        QVERIFY2(seen.value(ProbeResult::Connected) == 12,
                 qPrintable(
                     QStringLiteral("%1 of 12 connected").arg(seen.value(ProbeResult::Connected))));
        // Each member holds the address as a local route, as GCE's guest agent does.
        for (const ClusterNode &n : m_status.nodes) {
            const QString routes = QString::fromLatin1(
                runInNamespace(n.netns, findProgram(QStringLiteral("ip")),
                               {QStringLiteral("route"), QStringLiteral("show"),
                                QStringLiteral("table"), QStringLiteral("local"),
                                QStringLiteral("proto"), QStringLiteral("66")})
                    .out);
            QVERIFY2(routes.contains(ip), qPrintable(n.name + QLatin1Char(' ') + routes));
        }
    }

    void withoutTheFirewallRuleItTimesOut()
    {
        gce::GceConfig c;
        c.endpoint = m_server->endpoint();
        c.project = m_server->options().project;
        gce::GceClient client(c);
        client.setTokenSource(new gce::StaticTokenSource(m_server->issueToken(), &client));
        gce::GceReply *del = client.deleteFirewall(QStringLiteral("pier-allow-http"));
        QSignalSpy spy(del, &gce::GceReply::finished);
        QVERIFY(spy.wait());
        QVERIFY2(!del->error(), qPrintable(del->error().toText()));
        const QString ip =
            m_server->resource(QStringLiteral("regions/us-central1/addresses/pier-address"))
                .value(QStringLiteral("address"))
                .toString();
        const auto seen = connect(ip, 4);
        QCOMPARE(seen.value(ProbeResult::TimedOut), 4);
        // apply puts it back (the rest is adopted as it is).
        const auto apply =
            pier({QStringLiteral("apply"), QStringLiteral("--port"), QStringLiteral("80")});
        QVERIFY2(apply.exitCode == 0, qPrintable(apply.err));
        QCOMPARE(connect(ip, 4).value(ProbeResult::Connected), 4);
    }

    void aBlockedNodeLosesTrafficOnlyWithTheHealthCheck()
    {
        const QString ip =
            m_server->resource(QStringLiteral("regions/us-central1/addresses/pier-address"))
                .value(QStringLiteral("address"))
                .toString();
        const ClusterNode &blocked = m_status.nodes.at(1);
        const QString iptables = iptablesTool(m_status.backend, QStringLiteral("iptables"));
        const ProcessResult r =
            runInNamespace(blocked.netns, iptables,
                           {QStringLiteral("-I"), QStringLiteral("INPUT"), QStringLiteral("-p"),
                            QStringLiteral("tcp"), QStringLiteral("--dport"), QStringLiteral("80"),
                            QStringLiteral("-j"), QStringLiteral("DROP")});
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        auto seen = connect(ip, 30, 300);
        qInfo("without health check: %d of 30 connected", seen.value(ProbeResult::Connected));
        QVERIFY(seen.value(ProbeResult::TimedOut) > 0);
        QVERIFY(seen.value(ProbeResult::Connected) > 0);

        const auto apply = pier({QStringLiteral("apply"), QStringLiteral("--port"),
                                 QStringLiteral("80"), QStringLiteral("--health-check")});
        QVERIFY2(apply.exitCode == 0, qPrintable(apply.err));
        QElapsedTimer t;
        t.start();
        while (m_router->activeMembers(QStringLiteral("pier-http")).contains(blocked.name) &&
               t.elapsed() < 15000)
            QTest::qWait(100);
        QVERIFY2(!m_router->activeMembers(QStringLiteral("pier-http")).contains(blocked.name),
                 qPrintable(
                     m_router->activeMembers(QStringLiteral("pier-http")).join(QLatin1Char(','))));
        qInfo("health check took the blocked node out after %lld ms", t.elapsed());
        seen = connect(ip, 30, 300);
        QCOMPARE(seen.value(ProbeResult::Connected), 30);
        // The pool's health as a user asks for it.
        const auto status = pier({QStringLiteral("status"), QStringLiteral("--json")});
        QVERIFY2(status.exitCode == 0, qPrintable(status.err));
        QString state;
        for (const QJsonValue &v : QJsonDocument::fromJson(status.out.toUtf8())
                                       .object()
                                       .value(QStringLiteral("health"))
                                       .toArray()) {
            if (v[QStringLiteral("instance")].toString() == blocked.name)
                state = v[QStringLiteral("state")].toString();
        }
        QCOMPARE(state, QStringLiteral("UNHEALTHY"));
    }

    void teardownLeavesNoLoadBalancer()
    {
        const QString ip =
            m_server->resource(QStringLiteral("regions/us-central1/addresses/pier-address"))
                .value(QStringLiteral("address"))
                .toString();
        const auto teardown = pier({QStringLiteral("teardown")});
        QVERIFY2(teardown.exitCode == 0, qPrintable(teardown.err));
        QCOMPARE(connect(ip, 4).value(ProbeResult::Connected), 0);
        // The router's tables are written with the nft back end where there is one.
        const IptablesBackend routerBackend =
            backendAvailable(IptablesBackend::Nft) ? IptablesBackend::Nft : IptablesBackend::Legacy;
        const QString mangle = routerCommand(
            {iptablesTool(routerBackend, QStringLiteral("iptables")), QStringLiteral("-t"),
             QStringLiteral("mangle"), QStringLiteral("-S"), QStringLiteral("PIER-LB")});
        QVERIFY2(!mangle.contains(QLatin1String("-A PIER-LB")), qPrintable(mangle));
        const QString rules =
            routerCommand({findProgram(QStringLiteral("ip")), QStringLiteral("rule")});
        QVERIFY2(!rules.contains(QLatin1String("fwmark")), qPrintable(rules));
        for (const ClusterNode &n : m_status.nodes) {
            const QString routes =
                QString::fromLatin1(runInNamespace(n.netns, findProgram(QStringLiteral("ip")),
                                                   {QStringLiteral("route"), QStringLiteral("show"),
                                                    QStringLiteral("table"), QStringLiteral("all"),
                                                    QStringLiteral("proto"), QStringLiteral("66")})
                                        .out);
            QVERIFY2(routes.trimmed().isEmpty(), qPrintable(routes));
        }
        // The VPC firewall is back to GCE's defaults.
        QString error;
        const std::optional<ClusterStatus> after = m_cluster->status(&error);
        QVERIFY2(after, qPrintable(error));
        for (const FirewallRule &rule : after->firewallRules)
            QVERIFY2(rule.name.startsWith(QLatin1String("default-")), qPrintable(rule.name));
    }
};

QTEST_MAIN(TestGceLoadBalancer)
#include "tst_gcelb.moc"
