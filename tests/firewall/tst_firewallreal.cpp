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
#include <QMap>
#include <QRandomGenerator>
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

// What the evaluator says the client sees, as the probe reports it.
ProbeResult expectedProbe(const Diagnosis &g)
{
    switch (g.symptom) {
    case Symptom::Connects:
        return ProbeResult::Connected;
    case Symptom::Refused:
        return ProbeResult::Refused;
    case Symptom::IcmpError:
        return ProbeResult::Rejected;
    case Symptom::Timeout:
        return ProbeResult::TimedOut;
    case Symptom::Broken: // connect() succeeds; a REJECT of the ACK may beat getsockopt()
        return ProbeResult::Connected;
    case Symptom::Unknown:
        break;
    }
    return ProbeResult::Error;
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
    void randomRuleSetsAgree_data();
    void randomRuleSetsAgree();
    void cleanup();

private:
    bool setUpNetwork(QString *error);
    QString save() const;
    ProcessResult runScript(const QString &script) const;
    ProbeResult probe(quint16 port, ProbeResult expected) const;
    void load(const QString &rules);
    void useBackend(IptablesBackend backend);

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
                    expected == ProbeResult::TimedOut ? 300 : 4000);
}

void TestFirewallReal::load(const QString &rules)
{
    // iptables-restore without -c wants no counters before the rules.
    QString text = rules;
    text.remove(QRegularExpression(QStringLiteral("(?m)^\\[\\d+:\\d+\\] ")));
    const ProcessResult r = runInNamespace(
        m_node, iptablesTool(m_backend, QStringLiteral("iptables-restore")), {}, text.toUtf8());
    QVERIFY2(r.ok(), qPrintable(r.errorText() + QLatin1Char('\n') + text));
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

void TestFirewallReal::useBackend(IptablesBackend backend)
{
    m_backend = backend;
    for (const char *tool : {"iptables", "iptables-save"}) {
        const QString link = m_tools.filePath(QString::fromLatin1(tool));
        QFile::remove(link);
        // xtables-*-multi acts on its own name: "iptables" behaves as the back end's iptables.
        QVERIFY(QFile::link(
            QFileInfo(iptablesTool(backend, QString::fromLatin1(tool))).canonicalFilePath(), link));
    }
}

namespace {

// A random filter table built from matches the evaluator decides exactly when it knows the
// client, the address and the interface: ports, addresses, states, multiport, addrtype, jumps and
// gotos into user chains, RETURN, LOG, and every kind of verdict.
QString randomRules(QRandomGenerator &g)
{
    auto pick = [&](const QStringList &l) { return l.at(int(g.bounded(l.size()))); };
    auto chance = [&](int percent) { return int(g.bounded(100)) < percent; };
    const int chains = int(g.bounded(4)); // user chains c1..cN; jumps only go to later ones
    QStringList lines{u"*filter"_s,
                      QStringLiteral(":INPUT %1 [0:0]").arg(pick({u"ACCEPT"_s, u"DROP"_s})),
                      u":FORWARD ACCEPT [0:0]"_s,
                      QStringLiteral(":OUTPUT %1 [0:0]").arg(pick({u"ACCEPT"_s, u"DROP"_s}))};
    for (int c = 1; c <= chains; ++c)
        lines << QStringLiteral(":c%1 - [0:0]").arg(c);
    auto rule = [&](const QString &chain, int level, bool output) {
        QStringList w{u"-A"_s, chain};
        const QString not_ = chance(20) ? u"! "_s : QString();
        if (chance(35)) {
            const QString net =
                pick({u"198.18.255.1/32"_s, u"198.18.255.0/30"_s, u"10.0.0.0/8"_s, u"0.0.0.0/0"_s});
            // iptables-nft refuses "! -s 0.0.0.0/0" (it can never match).
            w << (net.endsWith(QLatin1String("/0")) ? QString() : not_) +
                     (output ? u"-d"_s : u"-s"_s)
              << net;
        }
        if (!output && chance(15))
            w << (chance(30) ? u"! -i"_s : u"-i"_s) << pick({u"vn"_s, u"lo"_s, u"v+"_s});
        const bool tcp = chance(70);
        if (tcp) {
            w << u"-p tcp -m tcp"_s;
            if (chance(70))
                w << (chance(20) ? u"! "_s : QString()) + (output ? u"--sport"_s : u"--dport"_s)
                  << pick({u"80"_s, u"8080"_s, u"79:81"_s, u"1:1023"_s, u"1024:65535"_s});
            if (!output && chance(10))
                w << (chance(50) ? u"! --syn"_s : u"--syn"_s);
        } else if (chance(30)) {
            w << u"-p"_s << pick({u"udp"_s, u"icmp"_s, u"all"_s});
        }
        if (tcp && chance(25))
            w << u"-m multiport"_s
              << (chance(20) ? u"! "_s : QString()) + (output ? u"--sports"_s : u"--dports"_s)
              << pick({u"22,80,443"_s, u"8000:8080,9090"_s, u"80:90"_s});
        if (chance(30))
            w << u"-m conntrack"_s << (chance(20) ? u"! "_s : QString()) + u"--ctstate"_s
              << pick({u"NEW"_s, u"RELATED,ESTABLISHED"_s, u"NEW,ESTABLISHED"_s, u"INVALID"_s});
        if (chance(10))
            w << u"-m addrtype --dst-type"_s << pick({u"LOCAL"_s, u"BROADCAST"_s});
        if (chance(10))
            w << u"-m comment --comment \"random rule\""_s;
        QStringList targets{u"ACCEPT"_s, u"DROP"_s, u"LOG"_s, u"RETURN"_s,
                            u"REJECT --reject-with icmp-port-unreachable"_s};
        if (tcp)
            targets << u"REJECT --reject-with tcp-reset"_s;
        if (!output && level < chains) {
            const int to = level + 1 + int(g.bounded(chains - level));
            targets << QStringLiteral("c%1").arg(to);
            if (chance(40))
                w << u"-g"_s << QStringLiteral("c%1").arg(to);
        }
        if (!w.contains(u"-g"_s))
            w << u"-j"_s << pick(targets);
        return w.join(QLatin1Char(' '));
    };
    for (int i = 0, n = int(g.bounded(7)); i < n; ++i)
        lines << rule(u"INPUT"_s, 0, false);
    for (int c = 1; c <= chains; ++c) {
        for (int i = 0, n = int(g.bounded(5)); i < n; ++i)
            lines << rule(QStringLiteral("c%1").arg(c), c, false);
    }
    for (int i = 0, n = int(g.bounded(3)); i < n; ++i)
        lines << rule(u"OUTPUT"_s, 0, true);
    lines << u"COMMIT"_s;
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

} // namespace

void TestFirewallReal::randomRuleSetsAgree_data()
{
    QTest::addColumn<IptablesBackend>("backend");
    QTest::addColumn<quint32>("seed");
    QTest::newRow("nft") << IptablesBackend::Nft << quint32(20261126);
    QTest::newRow("legacy") << IptablesBackend::Legacy << quint32(4242);
}

void TestFirewallReal::randomRuleSetsAgree()
{
    QFETCH(IptablesBackend, backend);
    QFETCH(quint32, seed);
    if (!backendAvailable(backend))
        QSKIP(qPrintable(QStringLiteral("iptables-%1 is not installed").arg(backendName(backend))));
    useBackend(backend);
    QString error;
    QVERIFY2(setUpNetwork(&error), qPrintable(error));
    const int listener8080 = listenTcp(m_node, 8080, &error);
    QVERIFY2(listener8080 >= 0, qPrintable(error));
    m_listener = listenTcp(m_node, 80, &error);
    QVERIFY2(m_listener >= 0, qPrintable(error));
    QRandomGenerator g(seed);
    int compared = 0, fixed = 0;
    QMap<QString, int> seen;
    for (int set = 0; set < 20; ++set) {
        const QString rules = randomRules(g);
        load(rules);
        if (QTest::currentTestFailed())
            break;
        const Ruleset rs = parseIptablesSave(save());
        QVERIFY(rs.problems.isEmpty());
        for (quint16 port : {quint16(80), quint16(8080)}) {
            Query q;
            q.port = port;
            q.source = Cidr::parseAddress(QString::fromLatin1(kClient));
            q.destination = Cidr::parseAddress(QString::fromLatin1(kNode));
            q.interface = u"vn"_s;
            const Diagnosis d = diagnose(rs, q);
            QVERIFY2(d.newConnection.verdict != Verdict::Unknown &&
                         d.replies.verdict != Verdict::Unknown,
                     qPrintable(rules + d.text()));
            const ProbeResult expected = expectedProbe(d);
            const ProbeResult got = probe(port, expected);
            const bool racing = d.symptom == Symptom::Broken &&
                                (got == ProbeResult::Refused || got == ProbeResult::Rejected);
            QVERIFY2(got == expected || racing,
                     qPrintable(QStringLiteral("port %1: kernel %2, evaluator %3\n%4%5")
                                    .arg(port)
                                    .arg(probeResultName(got), probeResultName(expected), rules,
                                         d.text())));
            seen[probeResultName(got)]++;
            ++compared;
            if (d.symptom == Symptom::Connects)
                continue;

            // The planned fix opens it for real, and its undo gives back the same rules.
            const QString original = save();
            const FixPlan plan = planFix(rs, q, NodeFacts{});
            QVERIFY2(plan.ok() && !plan.steps.isEmpty(),
                     qPrintable(rules + plan.problems.join(QLatin1Char('\n'))));
            ProcessResult r = runScript(plan.applyScript());
            QVERIFY2(r.ok(), qPrintable(rules + r.errorText()));
            QVERIFY2(probe(port, ProbeResult::Connected) == ProbeResult::Connected,
                     qPrintable(rules + plan.applyScript()));
            QCOMPARE(diagnose(parseIptablesSave(save()), q).symptom, Symptom::Connects);
            r = runScript(plan.undoScript());
            QVERIFY2(r.ok(), qPrintable(r.errorText()));
            QCOMPARE(normalizedSave(save()), normalizedSave(original));
            ++fixed;
        }
    }
    ::close(listener8080);
    qInfo("%d fixes applied and undone", fixed);
    const int connected = seen.value(u"connected"_s);
    qInfo("%d connections compared: %d connected, %d not", compared, connected,
          compared - connected);
    // The generator must produce both outcomes for the comparison to mean anything.
    QVERIFY(seen.size() >= 2);
}

QTEST_GUILESS_MAIN(TestFirewallReal)
#include "tst_firewallreal.moc"
