// The sandbox's network with the default 1+3 nodes: addresses, GCE's default VPC firewall, the
// nodes' iptables, SSH with sudo over the VPN and from the internet, per-node files, `up` twice,
// and `down` leaving nothing behind. Needs root; SKIPs with the reason without it.

#include "clustertestutil.h"

#include "sandbox/cluster.h"
#include "sandbox/netns.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <csignal>
#include <future>
#include <unistd.h>

using namespace pier::sandbox;
using namespace pier::sandbox::testutil;

class TestCluster : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void addressesAndNames();
    void hostNamespaceUntouched();
    void vpcFirewallDefaults_data();
    void vpcFirewallDefaults();
    void sshWithSudo_data();
    void sshWithSudo();
    void tutorialFixOpensOneNode();
    void nodeFilesAreTheNodes();
    void upTwiceSaysAlreadyUp();
    void cliStatusAndUpTwice();
    void concurrentUpsStartOneSandbox();
    void withoutRootSaysWhy();
    void downLeavesNothing();
    void crashedRunIsCleanedByDown();
    void cleanupTestCase();

private:
    ProbeResult probe(const QString &netns, const QString &address, quint16 port,
                      int timeoutMs = 5000)
    {
        QString error;
        const ProbeResult r = probeTcp(netns, QHostAddress(address), port, timeoutMs, &error);
        if (r == ProbeResult::Error)
            qWarning() << "probe failed:" << error;
        return r;
    }

    std::unique_ptr<Cluster> m_cluster;
    ClusterStatus m_status;
    QStringList m_netnsBefore;
    QStringList m_mountsBefore;
    QString m_linksBefore, m_routesBefore;
    QSet<quint64> m_inodes;
    QList<int> m_listeners;
};

static QString hostCommand(const QStringList &args)
{
    return QString::fromUtf8(runProcess(findProgram(QStringLiteral("ip")), args).out);
}

void TestCluster::initTestCase()
{
    const QString missing = Cluster::missingPrerequisites();
    if (!missing.isEmpty())
        QSKIP(qPrintable(missing));
    m_netnsBefore = namedNetworkNamespaces();
    m_mountsBefore = mountPoints();
    m_linksBefore =
        hostCommand({QStringLiteral("-o"), QStringLiteral("link"), QStringLiteral("show")});
    m_routesBefore = hostCommand({QStringLiteral("route"), QStringLiteral("show"),
                                  QStringLiteral("table"), QStringLiteral("all")});

    m_cluster = std::make_unique<Cluster>(uniqueId("tc"));
    QVERIFY(!m_cluster->hasLeftovers());
    QElapsedTimer t;
    t.start();
    QString error;
    QCOMPARE(m_cluster->up(ClusterOptions{}, &error), Cluster::UpResult::Started);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    qInfo("FIGURE cluster_up_1+3_ms=%lld", t.elapsed());
    const auto s = m_cluster->status(&error);
    QVERIFY2(s, qPrintable(error));
    m_status = *s;
    for (const ClusterNode &n : m_status.nodes) {
        m_inodes.insert(namespaceInode(netnsPath(n.netns)));
        m_inodes.insert(namespaceInode(n.mntnsFile));
        // Something listening on port 80 on every node, so only the firewalls decide.
        const int fd = listenTcp(n.netns, 80, &error);
        QVERIFY2(fd >= 0, qPrintable(error));
        m_listeners << fd;
    }
    for (const QString &ns : {m_status.routerNetns, m_status.internetNetns, m_status.vpnNetns})
        m_inodes.insert(namespaceInode(netnsPath(ns)));
}

void TestCluster::addressesAndNames()
{
    QCOMPARE(m_status.nodes.size(), 4);
    const QStringList names{QStringLiteral("development-5159-d3d-master"),
                            QStringLiteral("development-5159-d3d-agent-1"),
                            QStringLiteral("development-5159-d3d-agent-2"),
                            QStringLiteral("development-5159-d3d-agent-3")};
    for (int i = 0; i < 4; ++i) {
        const ClusterNode &n = m_status.nodes.at(i);
        QCOMPARE(n.name, names.at(i));
        QCOMPARE(n.role, i == 0 ? QStringLiteral("master") : QStringLiteral("agent"));
        QCOMPARE(n.netns, m_cluster->id() + QLatin1Char('-') + names.at(i));
        QVERIFY(QHostAddress(n.address).isInSubnet(
            QHostAddress::parseSubnet(QStringLiteral("198.18.0.0/24"))));
        QVERIFY(QHostAddress(n.externalAddress)
                    .isInSubnet(QHostAddress::parseSubnet(QStringLiteral("203.0.113.0/24"))));
        // The node really holds its internal address (and not the external one: that is NAT).
        const QString addrs = QString::fromUtf8(
            runInNamespace(n.netns, findProgram(QStringLiteral("ip")),
                           {QStringLiteral("-o"), QStringLiteral("-4"), QStringLiteral("addr")})
                .out);
        QVERIFY2(addrs.contains(n.address + QLatin1Char('/')), qPrintable(addrs));
        QVERIFY(!addrs.contains(n.externalAddress));
        QVERIFY(namedNetworkNamespaces().contains(n.netns));
    }
    QCOMPARE(m_status.routerAddress, QStringLiteral("198.18.0.1"));
    // No way out of the sandbox's world: the router has no default route.
    const QString routes =
        QString::fromUtf8(runInNamespace(m_status.routerNetns, findProgram(QStringLiteral("ip")),
                                         {QStringLiteral("route")})
                              .out);
    QVERIFY2(!routes.contains(QLatin1String("default")), qPrintable(routes));
    // Node to node over the internal network.
    QCOMPARE(probe(m_status.nodes.at(1).netns, m_status.nodes.at(2).address, 80),
             ProbeResult::Connected);
}

void TestCluster::hostNamespaceUntouched()
{
    QCOMPARE(hostCommand({QStringLiteral("-o"), QStringLiteral("link"), QStringLiteral("show")}),
             m_linksBefore);
    QCOMPARE(hostCommand({QStringLiteral("route"), QStringLiteral("show"), QStringLiteral("table"),
                          QStringLiteral("all")}),
             m_routesBefore);
}

void TestCluster::vpcFirewallDefaults_data()
{
    QTest::addColumn<QString>("from");
    QTest::addColumn<bool>("external");
    QTest::addColumn<int>("port");
    QTest::addColumn<ProbeResult>("expected");
    QTest::newRow("internet -> external:22 (default-allow-ssh)")
        << "internet" << true << 22 << ProbeResult::Connected;
    QTest::newRow("internet -> external:80 (dropped by the VPC)")
        << "internet" << true << 80 << ProbeResult::TimedOut;
    QTest::newRow("internet -> external:8080 (dropped by the VPC)")
        << "internet" << true << 8080 << ProbeResult::TimedOut;
    QTest::newRow("internet -> internal:22 (not routed)")
        << "internet" << false << 22 << ProbeResult::TimedOut;
    QTest::newRow("vpn -> internal:22") << "vpn" << false << 22 << ProbeResult::Connected;
    QTest::newRow("vpn -> internal:80 (as in the tutorial)")
        << "vpn" << false << 80 << ProbeResult::Connected;
    QTest::newRow("vpn -> internal:8080 (nothing listens)")
        << "vpn" << false << 8080 << ProbeResult::Refused;
}

void TestCluster::vpcFirewallDefaults()
{
    QFETCH(QString, from);
    QFETCH(bool, external);
    QFETCH(int, port);
    QFETCH(ProbeResult, expected);
    const QString netns =
        from == QLatin1String("internet") ? m_status.internetNetns : m_status.vpnNetns;
    // All nodes at once: a dropped connection costs the whole timeout.
    std::vector<std::future<ProbeResult>> results;
    for (const ClusterNode &n : std::as_const(m_status.nodes))
        results.push_back(std::async(std::launch::async, [=] {
            return probeTcp(netns, QHostAddress(external ? n.externalAddress : n.address),
                            quint16(port), expected == ProbeResult::TimedOut ? 1000 : 5000);
        }));
    for (int i = 0; i < m_status.nodes.size(); ++i) {
        const ProbeResult r = results[size_t(i)].get();
        QVERIFY2(r == expected, qPrintable(QStringLiteral("%1: %2, expected %3")
                                               .arg(m_status.nodes.at(i).name, probeResultName(r),
                                                    probeResultName(expected))));
    }
}

void TestCluster::sshWithSudo_data()
{
    QTest::addColumn<bool>("external");
    QTest::newRow("over the VPN, internal address") << false;
    QTest::newRow("from the internet, external address") << true;
}

void TestCluster::sshWithSudo()
{
    QFETCH(bool, external);
    for (const ClusterNode &n : std::as_const(m_status.nodes)) {
        const SshResult r = ssh(m_status, external ? m_status.internetNetns : m_status.vpnNetns,
                                external ? n.externalAddress : n.address,
                                {QStringLiteral("id -un && hostname && sudo iptables -S INPUT")});
        QVERIFY2(r.exitCode == 0, qPrintable(n.name + QStringLiteral(": ") + r.err));
        // Logged in as jclouds on the node itself (its own hostname), sudo without complaints.
        QVERIFY2(r.out.startsWith(QStringLiteral("jclouds\n") + n.name + QLatin1Char('\n')),
                 qPrintable(r.out));
        QVERIFY2(!r.err.contains(QLatin1String("sudo:")), qPrintable(r.err));
        // The node's own rules (the mesosphere preset), read with root rights through sudo.
        QVERIFY2(r.out.contains(QLatin1String("-P INPUT DROP")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QLatin1String("-A INPUT -s 198.18.0.0/24 -j ACCEPT")),
                 qPrintable(r.out));
    }
    // Key only: a password login is not offered.
    QProcess p;
    p.start(findProgram(QStringLiteral("ip")),
            {QStringLiteral("netns"), QStringLiteral("exec"), m_status.vpnNetns,
             QStringLiteral("ssh"), QStringLiteral("-F"), QStringLiteral("/dev/null"),
             QStringLiteral("-o"), QStringLiteral("UserKnownHostsFile=") + m_status.knownHostsFile,
             QStringLiteral("-o"), QStringLiteral("BatchMode=yes"), QStringLiteral("-o"),
             QStringLiteral("IdentityFile=/dev/null"), QStringLiteral("-o"),
             QStringLiteral("PreferredAuthentications=password,keyboard-interactive"),
             QStringLiteral("jclouds@") + m_status.nodes.first().address, QStringLiteral("true")});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 255);
    QVERIFY2(p.readAllStandardError().contains("Permission denied (publickey)"),
             "sshd offers more than public keys");
}

void TestCluster::tutorialFixOpensOneNode()
{
    // The tutorial: a firewall rule for port 80 is not enough, the nodes' iptables block it...
    QString error;
    FirewallRule http;
    http.name = QStringLiteral("allow-http");
    http.allowed = {{QStringLiteral("tcp"), {QStringLiteral("80")}}};
    QVERIFY2(m_cluster->addAllowRule(http, &error), qPrintable(error));
    QVERIFY(!m_cluster->addAllowRule(http, &error));
    QVERIFY2(error.contains(QLatin1String("already exists")), qPrintable(error));
    const ClusterNode &agent1 = m_status.nodes.at(1);
    const ClusterNode &agent2 = m_status.nodes.at(2);
    QCOMPARE(probe(m_status.internetNetns, agent1.externalAddress, 80, 1000),
             ProbeResult::TimedOut);

    // ...until its two iptables rules are added on the node, over SSH with sudo.
    const SshResult r = ssh(m_status, m_status.internetNetns, agent1.externalAddress,
                            {QStringLiteral("sudo iptables -A INPUT -p tcp -m state --state "
                                            "NEW,ESTABLISHED -m tcp --dport 80 -j ACCEPT"
                                            " && sudo iptables -A OUTPUT -p tcp -m tcp --sport 80 "
                                            "-m state --state ESTABLISHED -j ACCEPT")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(probe(m_status.internetNetns, agent1.externalAddress, 80), ProbeResult::Connected);
    QCOMPARE(probe(m_status.internetNetns, agent2.externalAddress, 80, 1000),
             ProbeResult::TimedOut);

    // A rule for tagged nodes only reaches those.
    FirewallRule tagged;
    tagged.name = QStringLiteral("allow-8080-masters");
    tagged.allowed = {{QStringLiteral("tcp"), {QStringLiteral("8080")}}};
    tagged.targetTags = {QStringLiteral("mesos-master")};
    QVERIFY2(m_cluster->addAllowRule(tagged, &error), qPrintable(error));
    QVERIFY2(m_cluster->removeAllowRule(QStringLiteral("allow-http"), &error), qPrintable(error));
    QCOMPARE(probe(m_status.internetNetns, agent1.externalAddress, 80, 1000),
             ProbeResult::TimedOut);
    QVERIFY(!m_cluster->removeAllowRule(QStringLiteral("allow-http"), &error));
    const QByteArray chain =
        runInNamespace(m_status.routerNetns, findProgram(QStringLiteral("iptables")),
                       {QStringLiteral("-S"), QStringLiteral("PIER-VPC")})
            .out;
    QVERIFY2(chain.contains("-o n0 -p tcp -m multiport --dports 8080"), chain.constData());
    QVERIFY2(!chain.contains("allow-http"), chain.constData());
    QVERIFY2(m_cluster->removeAllowRule(QStringLiteral("allow-8080-masters"), &error),
             qPrintable(error));
}

void TestCluster::nodeFilesAreTheNodes()
{
    const ClusterNode &agent1 = m_status.nodes.at(1);
    const ClusterNode &agent2 = m_status.nodes.at(2);
    const bool hostHadRules = QFileInfo::exists(QStringLiteral("/etc/iptables/rules.v4"));
    SshResult r = ssh(
        m_status, m_status.vpnNetns, agent1.address,
        {QStringLiteral("sudo iptables -A INPUT -p tcp --dport 4242 -j ACCEPT && sudo sh -c "
                        "'iptables-save > /etc/iptables/rules.v4'"
                        " && sudo sh -c 'echo backend-of-agent-1 > /etc/haproxy/haproxy.cfg'")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    r = ssh(m_status, m_status.vpnNetns, agent1.address,
            {QStringLiteral("cat /etc/iptables/rules.v4")});
    QVERIFY2(r.out.contains(QLatin1String("--dport 4242")), qPrintable(r.out));
    r = ssh(m_status, m_status.vpnNetns, agent2.address,
            {QStringLiteral("cat /etc/iptables/rules.v4 /etc/haproxy/haproxy.cfg")});
    QVERIFY2(!r.out.contains(QLatin1String("4242")) &&
                 !r.out.contains(QLatin1String("backend-of-agent-1")),
             qPrintable(r.out));
    QCOMPARE(QFileInfo::exists(QStringLiteral("/etc/iptables/rules.v4")), hostHadRules);
    QFile hostHaproxy(QStringLiteral("/etc/haproxy/haproxy.cfg"));
    if (hostHaproxy.open(QIODevice::ReadOnly))
        QVERIFY(!hostHaproxy.readAll().contains("backend-of-agent-1"));
    // The jclouds account exists on the nodes only.
    QFile passwd(QStringLiteral("/etc/passwd"));
    QVERIFY(passwd.open(QIODevice::ReadOnly));
    QVERIFY(!passwd.readAll().contains("\njclouds:"));
}

void TestCluster::upTwiceSaysAlreadyUp()
{
    QString error;
    QCOMPARE(m_cluster->up(ClusterOptions{}, &error), Cluster::UpResult::AlreadyUp);
    QVERIFY(m_cluster->status());
}

void TestCluster::cliStatusAndUpTwice()
{
    if (!QFileInfo(QStringLiteral(PIER_BINARY)).isExecutable())
        QSKIP("the pier binary is not built");
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PIER_SANDBOX_ID"), m_cluster->id());
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(PIER_BINARY), {QStringLiteral("sandbox"), QStringLiteral("net"),
                                          QStringLiteral("status"), QStringLiteral("--json")});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QCOMPARE(o.value(QStringLiteral("ssh_user")).toString(), QStringLiteral("jclouds"));
    QCOMPARE(o.value(QStringLiteral("nodes")).toArray().size(), 4);
    QCOMPARE(o.value(QStringLiteral("nodes"))
                 .toArray()
                 .at(1)
                 .toObject()
                 .value(QStringLiteral("external_address"))
                 .toString(),
             m_status.nodes.at(1).externalAddress);
    p.start(QStringLiteral(PIER_BINARY),
            {QStringLiteral("sandbox"), QStringLiteral("net"), QStringLiteral("up")});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY2(p.readAllStandardOutput().contains("is already up"),
             "up twice does not say it is already up");
}

void TestCluster::concurrentUpsStartOneSandbox()
{
    if (!QFileInfo(QStringLiteral(PIER_BINARY)).isExecutable())
        QSKIP("the pier binary is not built");
    const QString id = uniqueId("tq");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PIER_SANDBOX_ID"), id);
    const QStringList up{QStringLiteral("sandbox"), QStringLiteral("net"), QStringLiteral("up"),
                         QStringLiteral("--nodes"), QStringLiteral("2")};
    QProcess a, b;
    for (QProcess *p : {&a, &b}) {
        p->setProcessEnvironment(env);
        p->start(QStringLiteral(PIER_BINARY), up);
    }
    QVERIFY(a.waitForFinished(60000) && b.waitForFinished(60000));
    const QByteArray outA = a.readAllStandardOutput(), outB = b.readAllStandardOutput();
    QCOMPARE(a.exitCode(), 0);
    QCOMPARE(b.exitCode(), 0);
    QCOMPARE(int(outA.contains("is already up")) + int(outB.contains("is already up")), 1);
    Cluster cluster(id);
    QString problem;
    QVERIFY2(cluster.status(&problem), qPrintable(problem));
    QCOMPARE(cluster.status()->nodes.size(), 2);
    QProcess down;
    down.setProcessEnvironment(env);
    down.start(QStringLiteral(PIER_BINARY),
               {QStringLiteral("sandbox"), QStringLiteral("net"), QStringLiteral("down")});
    QVERIFY(down.waitForFinished(60000));
    QCOMPARE(down.exitCode(), 0);
    QVERIFY(!cluster.hasLeftovers());
}

void TestCluster::withoutRootSaysWhy()
{
    const QString setpriv = findProgram(QStringLiteral("setpriv"));
    if (!QFileInfo(QStringLiteral(PIER_BINARY)).isExecutable() ||
        !QFileInfo(setpriv).isExecutable())
        QSKIP("needs the pier binary and setpriv");
    // As "nobody": the command refuses with the reason and what to enable, and touches nothing.
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), QStringLiteral("/tmp"));
    env.insert(QStringLiteral("PIER_SANDBOX_ID"), m_cluster->id() + QStringLiteral("x"));
    env.remove(QStringLiteral("XDG_RUNTIME_DIR"));
    p.setProcessEnvironment(env);
    p.start(setpriv, {QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"),
                      QStringLiteral("--clear-groups"), QStringLiteral(PIER_BINARY),
                      QStringLiteral("sandbox"), QStringLiteral("net"), QStringLiteral("up")});
    QVERIFY(p.waitForFinished(30000));
    const QByteArray err = p.readAllStandardError();
    if (err.contains("Permission denied") && !err.contains("needs root"))
        QSKIP("the pier binary is not readable by nobody here");
    QCOMPARE(p.exitCode(), 1);
    QVERIFY2(err.contains("needs root") && err.contains("Unprivileged user namespaces"),
             err.constData());
    QVERIFY(!namedNetworkNamespaces().contains(m_cluster->id() + QStringLiteral("x-router")));
}

void TestCluster::downLeavesNothing()
{
    for (int fd : std::as_const(m_listeners))
        ::close(fd);
    m_listeners.clear();
    QString error;
    QVERIFY2(m_cluster->down(&error), qPrintable(error));
    QVERIFY(!m_cluster->hasLeftovers());
    QVERIFY(!m_cluster->status());
    QVERIFY(!QFileInfo::exists(m_cluster->stateDir()));
    const QString prefix = m_cluster->id() + QLatin1Char('-');
    for (const QString &ns : namedNetworkNamespaces())
        QVERIFY2(!ns.startsWith(prefix), qPrintable(ns));
    for (const QString &point : mountPoints()) {
        QVERIFY2(m_mountsBefore.contains(point) || !point.contains(m_cluster->id()),
                 qPrintable(point));
    }
    QCOMPARE(processesIn(m_inodes), QList<qint64>());
    for (const ClusterNode &n : std::as_const(m_status.nodes))
        QVERIFY(::kill(pid_t(n.sshdPid), 0) != 0 ||
                QFile(QStringLiteral("/proc/%1/ns/net").arg(n.sshdPid)).symLinkTarget().isEmpty());
    // Idempotent.
    QVERIFY2(m_cluster->down(&error), qPrintable(error));
    QCOMPARE(hostCommand({QStringLiteral("-o"), QStringLiteral("link"), QStringLiteral("show")}),
             m_linksBefore);
}

void TestCluster::crashedRunIsCleanedByDown()
{
    // What a run killed half-way leaves: a namespace, a process in it, a state dir with no state.
    Cluster crashed(uniqueId("tx"));
    const QString ns = crashed.id() + QStringLiteral("-router");
    QVERIFY(runProcess(findProgram(QStringLiteral("ip")),
                       {QStringLiteral("netns"), QStringLiteral("add"), ns})
                .ok());
    QProcess sleeper;
    sleeper.setProgram(findProgram(QStringLiteral("nsenter")));
    sleeper.setArguments(
        nsenterArgs(ns, {}, findProgram(QStringLiteral("sleep")), {QStringLiteral("600")}));
    sleeper.setStandardOutputFile(QProcess::nullDevice());
    sleeper.setStandardErrorFile(QProcess::nullDevice());
    qint64 pid = -1;
    QVERIFY(sleeper.startDetached(&pid));
    QTRY_VERIFY_WITH_TIMEOUT(
        QFile::symLinkTarget(QStringLiteral("/proc/%1/ns/net").arg(pid))
            .endsWith(QStringLiteral("net:[%1]").arg(namespaceInode(netnsPath(ns)))),
        10000);
    QVERIFY(QDir().mkpath(crashed.stateDir() + QStringLiteral("/nodes")));
    QVERIFY(crashed.hasLeftovers());
    QString problem;
    QVERIFY(!crashed.status(&problem));
    QVERIFY2(problem.contains(QLatin1String("left things behind")), qPrintable(problem));
    QString error;
    QVERIFY2(crashed.down(&error), qPrintable(error));
    QVERIFY(!crashed.hasLeftovers());
    QVERIFY(!namedNetworkNamespaces().contains(ns));
    QTRY_VERIFY_WITH_TIMEOUT(
        QFile::symLinkTarget(QStringLiteral("/proc/%1/ns/net").arg(pid)).isEmpty(), 10000);
}

void TestCluster::cleanupTestCase()
{
    for (int fd : std::as_const(m_listeners))
        ::close(fd);
    QString error;
    if (m_cluster && m_cluster->hasLeftovers())
        m_cluster->down(&error);
}

QTEST_GUILESS_MAIN(TestCluster)
#include "tst_cluster.moc"
