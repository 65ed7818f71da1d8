// The firewall jobs over SSH against the sandbox's nodes (real OpenSSH, real iptables in each
// node's namespace, reached through a SOCKS5 proxy into the "vpn" client as a laptop would): the
// diagnosis of each preset names the deciding rule; opening port 80 on every node at once makes
// a listener on the node reachable from the internet side (the VPC firewall allowing tcp:80), a
// second open changes nothing, undo restores the rules exactly and the port is blocked again;
// persist writes the file the node restores its rules from; a node that cannot be reached fails
// alone. Needs root; SKIPs with the reason without.

#include "../cluster/clustertestutil.h"
#include "common/pierprocess.h"

#include "firewall/ruleset.h"
#include "nodes/nodefirewalljob.h"
#include "nodes/nodesessionpool.h"
#include "sandbox/cluster.h"
#include "sandbox/netns.h"
#include "sandbox/socksproxy.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace pier;
using namespace pier::nodes;
using namespace pier::sandbox;
using namespace pier::sandbox::testutil;
using namespace Qt::StringLiterals;

class TestNodeFirewall : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void diagnosePresets_data();
    void diagnosePresets();
    void openAllNodesThenUndo_data();
    void openAllNodesThenUndo();
    void persistWritesRulesFile();
    void unreachableNodeFailsAlone();
    void onlyToOneAddress();
    void legacyBackend();
    void sudoPasswordSaidInWords();
    void commandLine();
    void cleanupTestCase();

private:
    bool loadPreset(const ClusterNode &node, IptablesPreset preset, QString *error);
    QString saved(const ClusterNode &node); // normalized iptables-save of the node
    QList<FirewallOutcome> runAll(const QList<Node> &nodes, const FirewallRequest &request,
                                  QStringList *logs = nullptr);
    ProbeResult probeFromInternet(const ClusterNode &node);

    std::unique_ptr<Cluster> m_cluster;
    ClusterStatus m_status;
    std::unique_ptr<SocksProxy> m_proxy;
    std::unique_ptr<NodeSessionPool> m_pool;
    Profile m_profile;
    QList<Node> m_nodes;
    QList<int> m_listeners;
};

void TestNodeFirewall::initTestCase()
{
    const QString missing = Cluster::missingPrerequisites();
    if (!missing.isEmpty())
        QSKIP(qPrintable(missing));
    m_cluster = std::make_unique<Cluster>(uniqueId("nf"));
    QString error;
    ClusterOptions options;
    options.agents = 3;
    QCOMPARE(m_cluster->up(options, &error), Cluster::UpResult::Started);
    const auto s = m_cluster->status(&error);
    QVERIFY2(s, qPrintable(error));
    m_status = *s;

    // The GCE side allows tcp:80, so only the nodes' own iptables decide.
    FirewallRule http;
    http.name = u"allow-http"_s;
    http.allowed = {{u"tcp"_s, {u"80"_s}}};
    QVERIFY2(m_cluster->addAllowRule(http, &error), qPrintable(error));

    SocksProxy::Options po;
    po.routes << SocksProxy::Route{QHostAddress::parseSubnet(m_status.internalRange),
                                   m_status.vpnNetns};
    po.connectTimeoutMs = 3000;
    m_proxy = std::make_unique<SocksProxy>(po);
    QVERIFY2(m_proxy->listen(), qPrintable(m_proxy->errorString()));

    Profile profile;
    profile.name = u"nodes-test"_s;
    profile.sshUser = m_status.sshUser;
    profile.sshKeyFile = m_status.sshKeyFile;
    profile.sshKnownHosts = m_status.knownHostsFile;
    profile.socksProxy = u"127.0.0.1:%1"_s.arg(m_proxy->port());
    for (const ClusterNode &n : m_status.nodes)
        profile.nodes << n.name + u'=' + n.address;
    m_nodes = nodesFromProfile(profile.nodes);
    QCOMPARE(m_nodes.size(), 4);

    m_profile = profile;
    m_pool = std::make_unique<NodeSessionPool>(profile);
    ssh::SshOptions so = m_pool->options();
    so.configFiles.clear(); // this machine's ssh config is not the test's business
    so.agentSocket.clear();
    so.globalKnownHostsFile.clear();
    m_pool->setOptions(so);

    // Something listening on port 80 of every node, so reachability is the firewall's alone.
    for (const ClusterNode &n : m_status.nodes) {
        const int fd = listenTcp(n.netns, 80, &error);
        QVERIFY2(fd >= 0, qPrintable(error));
        m_listeners << fd;
    }
}

void TestNodeFirewall::cleanupTestCase()
{
    m_pool.reset();
    m_proxy.reset();
    for (int fd : std::as_const(m_listeners))
        ::close(fd);
    if (m_cluster) {
        QString error;
        QVERIFY2(m_cluster->down(&error), qPrintable(error));
    }
}

bool TestNodeFirewall::loadPreset(const ClusterNode &node, IptablesPreset preset, QString *error)
{
    const ProcessResult r =
        runInNamespace(node.netns, iptablesTool(m_status.backend, u"iptables-restore"_s), {},
                       presetRules(preset, m_status.internalRange));
    if (!r.ok())
        *error = r.errorText();
    return r.ok();
}

QString TestNodeFirewall::saved(const ClusterNode &node)
{
    const ProcessResult r = runInNamespace(
        node.netns, iptablesTool(m_status.backend, u"iptables-save"_s), {u"-t"_s, u"filter"_s});
    return firewall::normalizedSave(QString::fromUtf8(r.out));
}

ProbeResult TestNodeFirewall::probeFromInternet(const ClusterNode &node)
{
    return probeTcp(m_status.internetNetns, QHostAddress(node.externalAddress), 80, 1500);
}

QList<FirewallOutcome> TestNodeFirewall::runAll(const QList<Node> &nodes,
                                                const FirewallRequest &request, QStringList *logs)
{
    QList<NodeFirewallJob *> jobs;
    for (const Node &n : nodes)
        jobs << new NodeFirewallJob(m_pool->session(n), n, request);
    QList<int> lastProgress(jobs.size(), -1);
    for (int i = 0; i < jobs.size(); ++i) {
        connect(jobs[i], &NodeFirewallJob::progress, this,
                [&lastProgress, i](int done, int) { lastProgress[i] = done; });
        jobs[i]->start();
    }
    QElapsedTimer t;
    t.start();
    auto allDone = [&] {
        for (auto *j : jobs) {
            if (!j->isFinished())
                return false;
        }
        return true;
    };
    while (!allDone() && t.elapsed() < 90000)
        QTest::qWait(20);
    QList<FirewallOutcome> out;
    for (int i = 0; i < jobs.size(); ++i) {
        NodeFirewallJob *j = jobs[i];
        if (!j->isFinished())
            qWarning() << j->node().name << "did not finish";
        if (logs) {
            QStringList lines;
            for (const LogEntry &e : j->logEntries())
                lines << e.toText();
            *logs << lines.join(u'\n');
        }
        if (j->outcome().ok && lastProgress[i] != j->totalSteps())
            qWarning() << j->node().name << "progress ended at" << lastProgress[i];
        out << j->outcome();
        delete j;
    }
    return out;
}

void TestNodeFirewall::diagnosePresets_data()
{
    QTest::addColumn<IptablesPreset>("preset");
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QString>("decidedBy"); // part of the deciding rule's text
    QTest::addColumn<QString>("through");   // a chain the walk passes on its way
    QTest::newRow("mesosphere: DROP policy") << IptablesPreset::Mesosphere << u"blocked"_s
                                             << u"INPUT policy: -P INPUT DROP"_s << u"INPUT"_s;
    QTest::newRow("rhel: trailing REJECT")
        << IptablesPreset::Reject << u"blocked"_s
        << u"-j REJECT --reject-with icmp-host-prohibited"_s << u"INPUT"_s;
    QTest::newRow("ufw: falls through its chains to the policy")
        << IptablesPreset::Ufw << u"blocked"_s << u"-P INPUT DROP"_s << u"ufw-user-input"_s;
    QTest::newRow("already open") << IptablesPreset::Open << u"accepted"_s << u"ACCEPT"_s
                                  << u"INPUT"_s;
}

void TestNodeFirewall::diagnosePresets()
{
    QFETCH(IptablesPreset, preset);
    QFETCH(QString, verdict);
    QFETCH(QString, decidedBy);
    QFETCH(QString, through);
    const ClusterNode &agent = m_status.nodes.at(1);
    QString error;
    QVERIFY2(loadPreset(agent, preset, &error), qPrintable(error));
    const QString before = saved(agent);

    FirewallRequest r;
    r.action = FirewallAction::Diagnose;
    QStringList logs;
    const QList<FirewallOutcome> out = runAll({m_nodes.at(1)}, r, &logs);
    const FirewallOutcome &o = out.first();
    QVERIFY2(o.ok, qPrintable(o.error + u'\n' + logs.first()));
    QCOMPARE(firewall::verdictName(o.before.verdict), verdict);
    const firewall::Decision &d = o.before.decisive();
    QVERIFY2(d.summary().contains(decidedBy), qPrintable(d.summary()));
    QStringList chains;
    for (const firewall::TraceStep &s : d.trace)
        chains << s.chain;
    QVERIFY2(chains.contains(through), qPrintable(chains.join(u' ')));
    QVERIFY2(o.message.contains(verdict), qPrintable(o.message));
    QVERIFY(!o.changed);
    QCOMPARE(saved(agent), before); // diagnosing changes nothing
    QVERIFY2(logs.first().contains(u"$ iptables-save"_s), qPrintable(logs.first()));
    // The verdict holds for real: a client outside the cluster gets through exactly when accepted.
    QCOMPARE(probeFromInternet(agent) == ProbeResult::Connected, verdict == u"accepted"_s);
}

void TestNodeFirewall::openAllNodesThenUndo_data()
{
    QTest::addColumn<IptablesPreset>("preset");
    QTest::newRow("mesosphere") << IptablesPreset::Mesosphere;
    QTest::newRow("rhel reject") << IptablesPreset::Reject;
    QTest::newRow("ufw") << IptablesPreset::Ufw;
}

void TestNodeFirewall::openAllNodesThenUndo()
{
    QFETCH(IptablesPreset, preset);
    QString error;
    QStringList before;
    for (const ClusterNode &n : m_status.nodes) {
        QVERIFY2(loadPreset(n, preset, &error), qPrintable(error));
        before << saved(n);
        QVERIFY(probeFromInternet(n) != ProbeResult::Connected);
    }

    FirewallRequest r;
    r.action = FirewallAction::Open;
    QStringList logs;
    QElapsedTimer t;
    t.start();
    QList<FirewallOutcome> out = runAll(m_nodes, r, &logs);
    qInfo("FIGURE open_port80_4_nodes_ms=%lld (%s)", t.elapsed(), QTest::currentDataTag());
    for (int i = 0; i < out.size(); ++i) {
        QVERIFY2(out[i].ok, qPrintable(out[i].error + u'\n' + logs[i]));
        QVERIFY(out[i].changed);
        QCOMPARE(out[i].before.verdict, firewall::Verdict::Blocked);
        QCOMPARE(out[i].after.verdict, firewall::Verdict::Accepted);
        QVERIFY2(logs[i].contains(u"iptables -w -I"_s) || logs[i].contains(u"ufw"_s),
                 qPrintable(logs[i]));
        QCOMPARE(probeFromInternet(m_status.nodes[i]), ProbeResult::Connected);
        QVERIFY(out[i].rulesAfter.size() > out[i].rulesBefore.size());
    }

    // Again: nothing to do, nothing added.
    QStringList afterFirst;
    for (const ClusterNode &n : m_status.nodes)
        afterFirst << saved(n);
    out = runAll(m_nodes, r);
    for (int i = 0; i < out.size(); ++i) {
        QVERIFY2(out[i].ok, qPrintable(out[i].error));
        QVERIFY(!out[i].changed);
        QCOMPARE(saved(m_status.nodes[i]), afterFirst[i]);
    }

    // Undo: the rules exactly as they were, and the port blocked again.
    r.action = FirewallAction::Undo;
    out = runAll(m_nodes, r, &logs);
    for (int i = 0; i < out.size(); ++i) {
        QVERIFY2(out[i].ok, qPrintable(out[i].error));
        QVERIFY(out[i].changed);
        QCOMPARE(saved(m_status.nodes[i]), before[i]);
        QVERIFY(probeFromInternet(m_status.nodes[i]) != ProbeResult::Connected);
    }
    out = runAll(m_nodes, r);
    for (const FirewallOutcome &o : out) {
        QVERIFY2(o.ok && !o.changed, qPrintable(o.message));
        QVERIFY2(o.message.contains(u"nothing to undo"_s), qPrintable(o.message));
    }
}

void TestNodeFirewall::persistWritesRulesFile()
{
    const ClusterNode &agent = m_status.nodes.at(2);
    QString error;
    QVERIFY2(loadPreset(agent, IptablesPreset::Mesosphere, &error), qPrintable(error));
    auto rulesFile = [&] {
        return runInNamespace(agent.netns, u"cat"_s, {u"/etc/iptables/rules.v4"_s}, {},
                              agent.mntnsFile)
            .out;
    };
    QVERIFY(!rulesFile().contains("pier:"));

    FirewallRequest r;
    r.action = FirewallAction::Open;
    r.persist = true;
    FirewallOutcome o = runAll({m_nodes.at(2)}, r).first();
    QVERIFY2(o.ok, qPrintable(o.error));
    QCOMPARE(o.plan.persistence.file, u"/etc/iptables/rules.v4"_s);
    QVERIFY2(rulesFile().contains("pier:"), rulesFile().constData());

    r.action = FirewallAction::Undo;
    o = runAll({m_nodes.at(2)}, r).first();
    QVERIFY2(o.ok, qPrintable(o.error));
    QVERIFY2(!rulesFile().contains("pier:"), rulesFile().constData());
}

void TestNodeFirewall::unreachableNodeFailsAlone()
{
    QString error;
    for (const ClusterNode &n : m_status.nodes)
        QVERIFY2(loadPreset(n, IptablesPreset::Reject, &error), qPrintable(error));
    Node gone;
    gone.name = u"gone"_s;
    gone.address = u"198.18.0.250"_s; // inside the sandbox's range, nobody there
    QList<Node> nodes = m_nodes;
    nodes.insert(1, gone);
    FirewallRequest r;
    r.action = FirewallAction::Open;
    const QList<FirewallOutcome> out = runAll(nodes, r);
    QVERIFY(!out[1].ok);
    QVERIFY2(out[1].error.contains(u"gone"_s) && out[1].error.contains(u"Could not run"_s),
             qPrintable(out[1].error));
    QVERIFY(!out[1].diagnosed);
    for (int i : {0, 2, 3, 4})
        QVERIFY2(out[i].ok, qPrintable(out[i].error));
    r.action = FirewallAction::Undo;
    nodes.removeAt(1);
    for (const FirewallOutcome &o : runAll(nodes, r))
        QVERIFY2(o.ok, qPrintable(o.error));
}

// --only-to: the rule accepts only connections to that address. The sandbox's 1:1 NAT delivers
// the internet's connections to the node's internal address, so only a rule for that one opens it.
void TestNodeFirewall::onlyToOneAddress()
{
    const ClusterNode &agent = m_status.nodes.at(2);
    QString error;
    QVERIFY2(loadPreset(agent, IptablesPreset::Mesosphere, &error), qPrintable(error));
    FirewallRequest r;
    r.action = FirewallAction::Open;
    for (const QString &to : {u"198.18.0.200"_s, agent.address}) {
        r.action = FirewallAction::Open;
        r.onlyTo = firewall::Cidr::parseAddress(to);
        const FirewallOutcome o = runAll({m_nodes.at(2)}, r).first();
        QVERIFY2(o.ok && o.changed, qPrintable(o.error));
        QVERIFY2(o.rulesAfter.join(u'\n').contains(u"-d %1/32"_s.arg(to)),
                 qPrintable(o.rulesAfter.join(u'\n')));
        QCOMPARE(probeFromInternet(agent) == ProbeResult::Connected, to == agent.address);
        r.action = FirewallAction::Undo;
        QVERIFY(runAll({m_nodes.at(2)}, r).first().ok);
    }
}

// Nodes whose iptables is iptables-legacy (x_tables): the same jobs, the node's own tools.
void TestNodeFirewall::legacyBackend()
{
    if (!backendAvailable(IptablesBackend::Legacy))
        QSKIP("iptables-legacy is not installed (Debian: package iptables)");
    Cluster cluster(uniqueId("nl"));
    ClusterOptions options;
    options.agents = 1;
    options.backend = IptablesBackend::Legacy;
    options.preset = IptablesPreset::Reject;
    QString error;
    QCOMPARE(cluster.up(options, &error), Cluster::UpResult::Started);
    const auto status = cluster.status(&error);
    QVERIFY2(status, qPrintable(error));
    auto down = qScopeGuard([&] { cluster.down(&error); });
    SocksProxy::Options po;
    po.routes << SocksProxy::Route{QHostAddress::parseSubnet(status->internalRange),
                                   status->vpnNetns};
    SocksProxy proxy(po);
    QVERIFY(proxy.listen());
    Profile profile = m_profile;
    profile.sshKeyFile = status->sshKeyFile;
    profile.sshKnownHosts = status->knownHostsFile;
    profile.socksProxy = u"127.0.0.1:%1"_s.arg(proxy.port());
    NodeSessionPool pool(profile);
    pool.setOptions([&] {
        ssh::SshOptions o = pool.options();
        o.configFiles.clear();
        o.agentSocket.clear();
        return o;
    }());
    Node agent;
    agent.name = status->nodes.at(1).name;
    agent.address = status->nodes.at(1).address;
    const QString before = QString::fromUtf8(
        runInNamespace(status->nodes.at(1).netns, u"iptables-legacy-save"_s, {u"-t"_s, u"filter"_s})
            .out);

    auto run = [&](FirewallAction a) {
        FirewallRequest r;
        r.action = a;
        NodeFirewallJob job(pool.session(agent), agent, r);
        QSignalSpy done(&job, &NodeFirewallJob::finished);
        job.start();
        if (!job.isFinished())
            done.wait(60000);
        return job.outcome();
    };
    FirewallOutcome o = run(FirewallAction::Open);
    QVERIFY2(o.ok && o.changed, qPrintable(o.error));
    QVERIFY2(o.facts.iptablesVersion.contains(u"legacy"_s), qPrintable(o.facts.iptablesVersion));
    QCOMPARE(o.before.verdict, firewall::Verdict::Blocked);
    QCOMPARE(o.after.verdict, firewall::Verdict::Accepted);
    QVERIFY(runInNamespace(status->nodes.at(1).netns, u"iptables-legacy-save"_s, {})
                .out.contains("pier:"));
    o = run(FirewallAction::Undo);
    QVERIFY2(o.ok && o.changed, qPrintable(o.error));
    QCOMPARE(firewall::normalizedSave(
                 QString::fromUtf8(runInNamespace(status->nodes.at(1).netns,
                                                  u"iptables-legacy-save"_s, {u"-t"_s, u"filter"_s})
                                       .out)),
             firewall::normalizedSave(before));
    pool.closeAll();
}

// A node whose sudo wants a password: the job says so (and what to do), and never hangs.
void TestNodeFirewall::sudoPasswordSaidInWords()
{
    const ClusterNode &agent = m_status.nodes.at(3);
    const QString sudoers = u"/etc/sudoers.d/90-cloud-init-users"_s;
    const QByteArray original =
        runInNamespace(agent.netns, u"cat"_s, {sudoers}, {}, agent.mntnsFile).out;
    QVERIFY(original.contains("NOPASSWD"));
    auto write = [&](const QByteArray &text) {
        return runInNamespace(agent.netns, u"sh"_s, {u"-c"_s, u"cat > "_s + sudoers}, text,
                              agent.mntnsFile)
            .ok();
    };
    QVERIFY(write(m_status.sshUser.toUtf8() + " ALL=(ALL) ALL\n"));
    FirewallRequest r;
    r.action = FirewallAction::Open;
    QElapsedTimer t;
    t.start();
    const FirewallOutcome o = runAll({m_nodes.at(3)}, r).first();
    QVERIFY(write(original));
    QVERIFY(!o.ok);
    QVERIFY(!o.changed);
    QVERIFY2(o.error.contains(u"password"_s) && o.error.contains(agent.name), qPrintable(o.error));
    QVERIFY(t.elapsed() < 30000);
}

// pier nodes / ssh / firewall as a script runs them, with the profile naming the nodes.
void TestNodeFirewall::commandLine()
{
    QTemporaryDir home;
    QVERIFY(home.isValid());
    const QString file = home.filePath(u"profile.json"_s);
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(m_profile.toJson()).toJson());
    f.close();
    const QMap<QString, QString> env{{u"HOME"_s, home.path()}, {u"PIER_MESOS_URL"_s, QString()}};
    auto pier = [&](const QStringList &args) {
        return pier::test::runPier(args, home.path(), env, 90000);
    };
    auto r = pier({u"profile"_s, u"import"_s, file});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    r = pier({u"profile"_s, u"use"_s, m_profile.name});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));

    r = pier({u"nodes"_s, u"--json"_s});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonArray listed = QJsonDocument::fromJson(r.out.toUtf8()).array();
    QCOMPARE(listed.size(), m_status.nodes.size());
    QCOMPARE(listed.at(1).toObject().value(u"address"_s).toString(), m_status.nodes.at(1).address);
    QVERIFY2(r.err.contains(u"no Mesos master known"_s), qPrintable(r.err));

    const ClusterNode &agent = m_status.nodes.at(1);
    r = pier({u"ssh"_s, agent.name, u"--"_s, u"hostname; echo oops >&2; exit 3"_s});
    QCOMPARE(r.exitCode, 3);
    QCOMPARE(r.out.trimmed(), agent.name);
    QCOMPARE(r.err.trimmed(), u"oops"_s);
    r = pier({u"ssh"_s, u"no-such-node"_s, u"--"_s, u"true"_s});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(u"no node \"no-such-node\""_s), qPrintable(r.err));

    QString error;
    for (const ClusterNode &n : m_status.nodes)
        QVERIFY2(loadPreset(n, IptablesPreset::Reject, &error), qPrintable(error));
    r = pier({u"firewall"_s, u"diagnose"_s, u"--node"_s, agent.name, u"--json"_s});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    QJsonObject d = QJsonDocument::fromJson(r.out.toUtf8()).array().first().toObject();
    QCOMPARE(d.value(u"node"_s).toString(), agent.name);
    QCOMPARE(d.value(u"port"_s).toInt(), 80);
    QCOMPARE(d.value(u"verdict"_s).toString(), u"blocked"_s);
    QCOMPARE(d.value(u"chain"_s).toString(), u"INPUT"_s);
    QVERIFY(d.value(u"rule"_s).toInt() > 0);
    QVERIFY(!d.value(u"reason"_s).toString().isEmpty());

    r = pier({u"firewall"_s, u"diagnose"_s, u"--node"_s, agent.name});
    QVERIFY2(r.out.contains(u"INPUT rule "_s) && r.out.contains(u"→ REJECT"_s), qPrintable(r.out));
    qInfo().noquote() << "pier firewall diagnose:\n" << r.out;

    r = pier({u"firewall"_s, u"open"_s, u"--port"_s, u"80"_s});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    for (const ClusterNode &n : m_status.nodes) {
        QVERIFY2(r.out.contains(n.name + u": Port 80 is open"_s), qPrintable(r.out));
        QCOMPARE(probeFromInternet(n), ProbeResult::Connected);
    }
    r = pier({u"firewall"_s, u"undo"_s});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    for (const ClusterNode &n : m_status.nodes)
        QVERIFY(probeFromInternet(n) != ProbeResult::Connected);

    r = pier({u"firewall"_s, u"close"_s});
    QCOMPARE(r.exitCode, 2);
    r = pier({u"firewall"_s, u"open"_s, u"--from"_s, u"not-an-address"_s});
    QCOMPARE(r.exitCode, 2);
}

QTEST_MAIN(TestNodeFirewall)
#include "tst_nodefirewall.moc"
