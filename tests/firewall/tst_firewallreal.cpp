// The evaluator against the kernel: each rule set is loaded with iptables-restore (nf_tables and
// legacy) into a throwaway network namespace with a listener, and a TCP connect from a second
// namespace must do what the evaluator says (connected, refused, rejected or dropped). Then the
// planned fix runs as the real shell script with the real iptables: the port connects, a second run
// changes nothing, and undo restores the exact iptables-save output. Needs root; SKIPs without.
//
// Network: two namespaces joined by a veth pair created inside them (198.18.255.1/30 client,
// .2/30 node); nothing is added to the host's namespace.

#include "firewall/evaluator.h"
#include "firewall/fixplan.h"
#include "firewall/ruleset.h"
#include "sandbox/iptablespresets.h"
#include "sandbox/netns.h"

#include <QFile>
#include <QHostAddress>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;

#include <unistd.h>

using namespace pier::firewall;
using namespace pier::sandbox;

namespace {

const char *kClient = "198.18.255.1";
const char *kNode = "198.18.255.2";
const QString kInternalOther = QStringLiteral("198.18.254.0/24"); // the client is outside it

QString fixture(const char *name)
{
    QFile f(QStringLiteral(FIREWALL_DATA "/") + QLatin1String(name) + QStringLiteral(".rules"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", name);
    return QString::fromUtf8(f.readAll());
}

ProbeResult expectedProbe(const Diagnosis &g)
{
    if (g.verdict == Verdict::Accepted)
        return ProbeResult::Connected;
    const QString a = g.decisive().action;
    if (a.contains(QLatin1String("tcp-reset")) || a.contains(QLatin1String("port-unreachable")) ||
        a == QLatin1String("REJECT"))
        return ProbeResult::Refused;
    if (a.startsWith(QLatin1String("REJECT")))
        return ProbeResult::Rejected;
    return ProbeResult::TimedOut;
}

} // namespace

class TestFirewallReal : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void kernelAgrees_data();
    void kernelAgrees();
    void halfAppliedPlansRollBack_data();
    void halfAppliedPlansRollBack();
    void cleanup();

private:
    bool setUpNetwork(QString *error);
    QString save() const;
    ProcessResult runScript(const QString &script) const;
    ProbeResult probe(quint16 port, ProbeResult expected) const;
    void load(const QString &rules);

    QString m_client, m_node;
    IptablesBackend m_backend = IptablesBackend::Nft;
    QTemporaryDir m_tools; // "iptables" and "iptables-save" for the back end under test
    int m_listener = -1;
    int m_run = 0;
};

void TestFirewallReal::initTestCase()
{
    QString why;
    if (!haveNamespacePrivileges(&why))
        QSKIP(qPrintable(QStringLiteral("needs root for network namespaces: %1").arg(why)));
    if (findProgram(QStringLiteral("ip")).isEmpty() ||
        findProgram(QStringLiteral("nsenter")).isEmpty())
        QSKIP("needs ip (iproute2) and nsenter (util-linux)");
    QVERIFY(m_tools.isValid());
}

bool TestFirewallReal::setUpNetwork(QString *error)
{
    const QString id = QStringLiteral("pfw%1x%2").arg(::getpid()).arg(++m_run);
    m_client = id + QStringLiteral("c");
    m_node = id + QStringLiteral("n");
    const QString ip = findProgram(QStringLiteral("ip"));
    const QList<QStringList> steps{
        {u"netns"_s, u"add"_s, m_client},
        {u"netns"_s, u"add"_s, m_node},
        // Created inside the client namespace with its peer in the node's: never on the host.
        {u"-n"_s, m_client, u"link"_s, u"add"_s, u"vc"_s, u"type"_s, u"veth"_s, u"peer"_s,
         u"name"_s, u"vn"_s, u"netns"_s, m_node},
        {u"-n"_s, m_client, u"addr"_s, u"add"_s,
         QStringLiteral("%1/30").arg(QLatin1String(kClient)), u"dev"_s, u"vc"_s},
        {u"-n"_s, m_node, u"addr"_s, u"add"_s, QStringLiteral("%1/30").arg(QLatin1String(kNode)),
         u"dev"_s, u"vn"_s},
        {u"-n"_s, m_client, u"link"_s, u"set"_s, u"vc"_s, u"up"_s},
        {u"-n"_s, m_node, u"link"_s, u"set"_s, u"vn"_s, u"up"_s},
        {u"-n"_s, m_node, u"link"_s, u"set"_s, u"lo"_s, u"up"_s},
    };
    for (const QStringList &a : steps) {
        const ProcessResult r = runProcess(ip, a);
        if (!r.ok()) {
            *error = r.errorText();
            return false;
        }
    }
    return true;
}

void TestFirewallReal::cleanup()
{
    if (m_listener >= 0)
        ::close(m_listener);
    m_listener = -1;
    const QString ip = findProgram(QStringLiteral("ip"));
    for (const QString &ns : {m_client, m_node}) {
        if (!ns.isEmpty() && namedNetworkNamespaces().contains(ns))
            QVERIFY2(runProcess(ip, {u"netns"_s, u"del"_s, ns}).ok(), qPrintable(ns));
    }
    m_client.clear();
    m_node.clear();
}

QString TestFirewallReal::save() const
{
    const ProcessResult r =
        runInNamespace(m_node, iptablesTool(m_backend, QStringLiteral("iptables-save")), {});
    if (!r.ok())
        qWarning("%s", qPrintable(r.errorText()));
    return QString::fromUtf8(r.out);
}

ProcessResult TestFirewallReal::runScript(const QString &script) const
{
    const QString prefix =
        QStringLiteral("PATH=%1:$PATH; export PATH\n").arg(shellQuote(m_tools.path()));
    return runInNamespace(m_node, findProgram(QStringLiteral("sh")),
                          {QStringLiteral("-c"), prefix + script});
}

ProbeResult TestFirewallReal::probe(quint16 port, ProbeResult expected) const
{
    return probeTcp(m_client, QHostAddress(QString::fromLatin1(kNode)), port,
                    expected == ProbeResult::TimedOut ? 1000 : 4000);
}

void TestFirewallReal::load(const QString &rules)
{
    // iptables-restore without -c wants no counters before the rules.
    QString text = rules;
    text.remove(QRegularExpression(QStringLiteral("(?m)^\\[\\d+:\\d+\\] ")));
    const ProcessResult r = runInNamespace(
        m_node, iptablesTool(m_backend, QStringLiteral("iptables-restore")), {}, text.toUtf8());
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
}

void TestFirewallReal::kernelAgrees_data()
{
    QTest::addColumn<QString>("rules");
    QTest::addColumn<IptablesBackend>("backend");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("iface");
    QTest::addColumn<QString>("verdict");  // what the evaluator must say before the fix
    QTest::addColumn<bool>("clientGiven"); // else: "from outside the cluster's network"

    for (IptablesBackend b : {IptablesBackend::Nft, IptablesBackend::Legacy}) {
        const QByteArray n = backendName(b).toLatin1();
        auto row = [&](const char *name) { return &QTest::addRow("%s/%s", name, n.constData()); };
        for (IptablesPreset p : {IptablesPreset::Mesosphere, IptablesPreset::Reject,
                                 IptablesPreset::Ufw, IptablesPreset::Open}) {
            const QString rules = QString::fromLatin1(presetRules(p, kInternalOther));
            *row(qPrintable(presetName(p)))
                << rules << b << 80 << QString()
                << (p == IptablesPreset::Open ? QStringLiteral("accepted")
                                              : QStringLiteral("blocked"))
                << false;
        }
        *row("mesosphere from inside")
            << QString::fromLatin1(presetRules(IptablesPreset::Mesosphere, u"198.18.255.0/30"_s))
            << b << 80 << QString() << "accepted" << true;
        *row("docker host") << fixture("docker-host") << b << 80 << QString() << "blocked" << false;
        *row("gce cos") << fixture("cos-gce") << b << 80 << QString() << "blocked" << false;
        *row("nft warning, LOG, limit")
            << fixture("nft-warning") << b << 80 << QString() << "blocked" << false;
        *row("fail2ban") << fixture("fail2ban") << b << 80 << QString() << "blocked" << false;
        *row("multiport in range")
            << fixture("multiport") << b << 80 << QString() << "accepted" << false;
        *row("goto, RETURN to policy")
            << fixture("multiport") << b << 5000 << QString() << "blocked" << false;
        *row("lockdown: replies") << fixture("lockdown") << b << 80 << QString() << "blocked"
                                  << false;
        *row("-i eth0, arriving on vn") << fixture("eth0") << b << 80 << "vn"
                                        << "blocked" << false;
    }
}

void TestFirewallReal::kernelAgrees()
{
    QFETCH(QString, rules);
    QFETCH(IptablesBackend, backend);
    QFETCH(int, port);
    QFETCH(QString, iface);
    QFETCH(QString, verdict);
    QFETCH(bool, clientGiven);
    if (!backendAvailable(backend))
        QSKIP(qPrintable(QStringLiteral("iptables-%1 is not installed").arg(backendName(backend))));
    m_backend = backend;
    QString error;
    QVERIFY2(setUpNetwork(&error), qPrintable(error));
    for (const char *tool : {"iptables", "iptables-save"}) {
        const QString link = m_tools.filePath(QString::fromLatin1(tool));
        QFile::remove(link);
        // xtables-*-multi acts on its own name: "iptables" behaves as the back end's iptables.
        QVERIFY(QFile::link(
            QFileInfo(iptablesTool(backend, QString::fromLatin1(tool))).canonicalFilePath(), link));
    }
    load(rules);
    m_listener = listenTcp(m_node, quint16(port), &error);
    QVERIFY2(m_listener >= 0, qPrintable(error));

    // What the node's own iptables-save prints is what Pier reads.
    const QString original = save();
    const Ruleset before = parseIptablesSave(original);
    QVERIFY2(before.problems.isEmpty(), qPrintable(before.problems.value(0).message + u": "_s +
                                                   before.problems.value(0).text));
    QCOMPARE(before.backend, backend == IptablesBackend::Nft ? Backend::Nft : Backend::Legacy);
    Query q;
    q.port = quint16(port);
    q.internal = {*Cidr::parse(kInternalOther)};
    q.destination = Cidr::parseAddress(QString::fromLatin1(kNode));
    q.interface = iface;
    if (clientGiven)
        q.source = Cidr::parseAddress(QString::fromLatin1(kClient));
    const Diagnosis g = diagnose(before, q);
    QVERIFY2(verdictName(g.verdict) == verdict, qPrintable(g.text()));
    const ProbeResult expected = expectedProbe(g);
    QCOMPARE(probe(quint16(port), expected), expected);
    // The same answer when the client's address is given instead of "outside".
    Query fromClient = q;
    fromClient.source = Cidr::parseAddress(QString::fromLatin1(kClient));
    QCOMPARE(verdictName(diagnose(before, fromClient).verdict), verdict);
    if (g.verdict == Verdict::Accepted)
        return;

    // The fix, saved to a file as a node with iptables-persistent would.
    QTemporaryDir etc;
    NodeFacts facts = parseProbe(QStringLiteral("uid=0\nhave=iptables\nversion=%1\n")
                                     .arg(backend == IptablesBackend::Nft
                                              ? QStringLiteral("iptables v1.8.9 (nf_tables)")
                                              : QStringLiteral("iptables v1.8.9 (legacy)")));
    FixOptions o;
    o.onlyTo = q.destination; // only to this address: what the tutorial's author wanted
    FixPlan plan = planFix(before, q, facts, o);
    QVERIFY2(plan.ok() && !plan.steps.isEmpty(), qPrintable(plan.problems.join(QLatin1Char('\n'))));
    const QString rulesFile = etc.filePath(QStringLiteral("rules.v4"));
    plan.persistence = Persistence{Persistence::Kind::Debian, rulesFile};
    plan.persist = persistCommands(plan.persistence);
    ProcessResult r = runScript(plan.applyScript());
    QVERIFY2(r.ok(), qPrintable(r.errorText() + QString::fromUtf8(r.out)));
    QCOMPARE(probe(quint16(port), ProbeResult::Connected), ProbeResult::Connected);
    const QString fixed = save();
    const Ruleset afterRules = parseIptablesSave(fixed);
    QCOMPARE(diagnose(afterRules, q).verdict, Verdict::Accepted);
    // The kernel's rules are the ones the plan showed.
    QCOMPARE(afterRules.specLines(), plan.rulesAfter);
    QFile saved(rulesFile);
    QVERIFY(saved.open(QIODevice::ReadOnly));
    QCOMPARE(normalizedSave(QString::fromUtf8(saved.readAll())), normalizedSave(fixed));

    // Running the plan again changes nothing; planning again has nothing to do.
    r = runScript(plan.applyScript());
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QVERIFY(r.out.contains("pier: already there"));
    QCOMPARE(normalizedSave(save()), normalizedSave(fixed));
    QVERIFY(planFix(afterRules, q, facts, o).nothingToDo);

    // Undo restores the original exactly; twice is harmless.
    r = runScript(plan.undoScript());
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QCOMPARE(normalizedSave(save()), normalizedSave(original));
    r = runScript(plan.undoScript());
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QCOMPARE(normalizedSave(save()), normalizedSave(original));
    QCOMPARE(probe(quint16(port), expected), expected);

    // Undo without the plan: every rule with Pier's comment, found in the node's rules.
    r = runScript(plan.applyScript());
    QVERIFY(r.ok());
    QStringList cmds;
    for (const Command &c : undoAllPierRules(parseIptablesSave(save())))
        cmds << c.shell();
    QCOMPARE(cmds.size(), plan.steps.size());
    r = runScript(cmds.join(QStringLiteral(" && ")));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QCOMPARE(normalizedSave(save()), normalizedSave(original));
}

void TestFirewallReal::halfAppliedPlansRollBack_data()
{
    QTest::addColumn<QString>("failure");
    QTest::newRow("second rule fails") << "rule";
    QTest::newRow("saving fails") << "save";
}

void TestFirewallReal::halfAppliedPlansRollBack()
{
    QFETCH(QString, failure);
    m_backend = IptablesBackend::Nft;
    if (!backendAvailable(m_backend))
        QSKIP("iptables-nft is not installed");
    QString error;
    QVERIFY2(setUpNetwork(&error), qPrintable(error));
    for (const char *tool : {"iptables", "iptables-save"}) {
        const QString link = m_tools.filePath(QString::fromLatin1(tool));
        QFile::remove(link);
        QVERIFY(QFile::link(
            QFileInfo(iptablesTool(m_backend, QString::fromLatin1(tool))).canonicalFilePath(),
            link));
    }
    load(fixture("lockdown"));
    const QString original = save();
    Query q;
    q.internal = {*Cidr::parse(kInternalOther)};
    FixPlan plan = planFix(parseIptablesSave(original), q, NodeFacts{});
    QCOMPARE(plan.steps.size(), 2);
    int exitCode = 1;
    if (failure == QLatin1String("rule")) {
        // A real refusal by iptables: the chain of the second rule does not exist.
        plan.steps[1].apply.argv[3] = QStringLiteral("PIER-NO-SUCH-CHAIN");
    } else {
        plan.persistence = Persistence{Persistence::Kind::Debian,
                                       QStringLiteral("/nonexistent-pier-dir/rules.v4")};
        plan.persist = persistCommands(plan.persistence);
        exitCode = 2;
    }
    const ProcessResult r = runScript(plan.applyScript());
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(r.err.contains("undoing what this run added"), r.err.constData());
    QCOMPARE(normalizedSave(save()), normalizedSave(original));
}

QTEST_GUILESS_MAIN(TestFirewallReal)
#include "tst_firewallreal.moc"
