// Each iptables preset of the sandbox's nodes, on each back end, behaves as its real counterpart:
// what port 80 does from the internet once the VPC firewall allows it, what the node shows to
// `sudo iptables -S` over SSH, and whether the tutorial's two rules open the port. Needs root.

#include "clustertestutil.h"

#include "sandbox/cluster.h"
#include "sandbox/iptablespresets.h"
#include "sandbox/netns.h"

#include <QHostAddress>
#include <QTest>

#include <unistd.h>

using namespace pier::sandbox;
using namespace pier::sandbox::testutil;

class TestClusterPresets : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void preset_data();
    void preset();
    void cleanup();

private:
    std::unique_ptr<Cluster> m_cluster;
    int m_listener = -1;
};

void TestClusterPresets::initTestCase()
{
    const QString missing = Cluster::missingPrerequisites();
    if (!missing.isEmpty())
        QSKIP(qPrintable(missing));
    m_cluster = std::make_unique<Cluster>(uniqueId("tp"));
}

void TestClusterPresets::preset_data()
{
    QTest::addColumn<IptablesPreset>("preset");
    QTest::addColumn<IptablesBackend>("backend");
    QTest::addColumn<ProbeResult>("port80"); // from the internet, once the VPC allows tcp:80
    QTest::addColumn<ProbeResult>(
        "afterTutorial"); // after the tutorial's `iptables -A INPUT ... --dport 80 -j ACCEPT`
    QTest::addColumn<QString>("signature"); // a line of `iptables -S` on the node

    for (IptablesBackend backend : {IptablesBackend::Nft, IptablesBackend::Legacy}) {
        const QByteArray b = backendName(backend).toLatin1();
        QTest::addRow("mesosphere/%s", b.constData())
            << IptablesPreset::Mesosphere << backend << ProbeResult::TimedOut
            << ProbeResult::Connected << QStringLiteral("-P INPUT DROP");
        // Appending ACCEPT after a trailing REJECT changes nothing: the classic trap of RHEL-style
        // rules.
        QTest::addRow("reject/%s", b.constData())
            << IptablesPreset::Reject << backend << ProbeResult::Rejected << ProbeResult::Rejected
            << QStringLiteral("-A INPUT -j REJECT --reject-with icmp-host-prohibited");
        QTest::addRow("ufw/%s", b.constData())
            << IptablesPreset::Ufw << backend << ProbeResult::TimedOut << ProbeResult::Connected
            << QStringLiteral("-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT");
        QTest::addRow("open/%s", b.constData())
            << IptablesPreset::Open << backend << ProbeResult::Connected << ProbeResult::Connected
            << QStringLiteral("-P INPUT ACCEPT");
    }
}

void TestClusterPresets::preset()
{
    QFETCH(IptablesPreset, preset);
    QFETCH(IptablesBackend, backend);
    QFETCH(ProbeResult, port80);
    QFETCH(ProbeResult, afterTutorial);
    QFETCH(QString, signature);
    if (!backendAvailable(backend))
        QSKIP(qPrintable(QStringLiteral("iptables-%1 is not installed").arg(backendName(backend))));

    ClusterOptions options;
    options.agents = 0; // the master alone is enough to see a preset's behaviour
    options.preset = preset;
    options.backend = backend;
    QString error;
    QCOMPARE(m_cluster->up(options, &error), Cluster::UpResult::Started);
    const auto s = m_cluster->status(&error);
    QVERIFY2(s, qPrintable(error));
    const ClusterNode &node = s->nodes.first();
    m_listener = listenTcp(node.netns, 80, &error);
    QVERIFY2(m_listener >= 0, qPrintable(error));

    // The VPC firewall drops port 80 whatever the node does; over the VPN the node's internal rule
    // lets it in.
    QCOMPARE(probeTcp(s->internetNetns, QHostAddress(node.externalAddress), 80, 1000),
             ProbeResult::TimedOut);
    QCOMPARE(probeTcp(s->vpnNetns, QHostAddress(node.address), 80, 5000), ProbeResult::Connected);
    FirewallRule http;
    http.name = QStringLiteral("allow-http");
    http.allowed = {{QStringLiteral("tcp"), {QStringLiteral("80")}}};
    QVERIFY2(m_cluster->addAllowRule(http, &error), qPrintable(error));
    QCOMPARE(probeTcp(s->internetNetns, QHostAddress(node.externalAddress), 80,
                      port80 == ProbeResult::TimedOut ? 1000 : 5000),
             port80);

    // What an admin sees on the node, on the back end the node's `iptables` really uses.
    SshResult r = ssh(*s, s->internetNetns, node.externalAddress,
                      {QStringLiteral("sudo iptables -V && sudo iptables -S")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(backend == IptablesBackend::Legacy ? QLatin1String("(legacy)")
                                                               : QLatin1String("(nf_tables)")),
             qPrintable(r.out));
    QVERIFY2(r.out.contains(signature), qPrintable(r.out));
    QVERIFY2(r.out.contains(QLatin1String("--dport 22 -j ACCEPT")) ||
                 preset == IptablesPreset::Open,
             qPrintable(r.out));

    // The tutorial's fix, as typed by its readers.
    r = ssh(*s, s->internetNetns, node.externalAddress,
            {QStringLiteral("sudo iptables -A INPUT -p tcp -m state --state NEW,ESTABLISHED -m tcp "
                            "--dport 80 -j ACCEPT"
                            " && sudo iptables -A OUTPUT -p tcp -m tcp --sport 80 -m state --state "
                            "ESTABLISHED -j ACCEPT")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(probeTcp(s->internetNetns, QHostAddress(node.externalAddress), 80,
                      afterTutorial == ProbeResult::TimedOut ? 1000 : 5000),
             afterTutorial);
}

void TestClusterPresets::cleanup()
{
    if (m_listener >= 0)
        ::close(m_listener);
    m_listener = -1;
    QString error;
    if (m_cluster && m_cluster->hasLeftovers())
        QVERIFY2(m_cluster->down(&error), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestClusterPresets)
#include "tst_clusterpresets.moc"
