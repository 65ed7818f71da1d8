// The firewall analysis on rule sets modelled on real machines: the sandbox's presets, a Docker
// host, a Container-Optimized OS image on GCE, iptables-nft-save output with warnings and counters,
// fail2ban's chains, an interface-bound rule, multiport with a goto. Asserts what a user reads:
// the verdict, the chain and rule that decide, and the commands of the fix.

#include "firewall/evaluator.h"
#include "firewall/fixplan.h"
#include "firewall/ruleset.h"
#include "sandbox/iptablespresets.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;

#include <unistd.h>

using namespace pier::firewall;
using pier::sandbox::IptablesPreset;
using pier::sandbox::presetRules;

namespace {

const QString kInternal = QStringLiteral("10.240.0.0/16");

QString fixture(const QString &name)
{
    QFile f(QStringLiteral(FIREWALL_DATA "/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(name));
    return QString::fromUtf8(f.readAll());
}

QString preset(IptablesPreset p)
{
    return QString::fromLatin1(presetRules(p, kInternal));
}

Query outsideQuery(quint16 port = 80)
{
    Query q;
    q.port = port;
    q.internal = {*Cidr::parse(kInternal)};
    return q;
}

quint32 ip(const char *s)
{
    return *Cidr::parseAddress(QString::fromLatin1(s));
}

QString rules(const QString &name)
{
    if (name == QLatin1String("mesosphere"))
        return preset(IptablesPreset::Mesosphere);
    if (name == QLatin1String("reject"))
        return preset(IptablesPreset::Reject);
    if (name == QLatin1String("ufw"))
        return preset(IptablesPreset::Ufw);
    if (name == QLatin1String("open"))
        return preset(IptablesPreset::Open);
    return fixture(name + QStringLiteral(".rules"));
}

const QString kTutorialIn =
    QStringLiteral("-A INPUT -p tcp -m state --state NEW,ESTABLISHED -m tcp --dport 80 -j ACCEPT");
const QString kTutorialOut =
    QStringLiteral("-A OUTPUT -p tcp -m tcp --sport 80 -m state --state ESTABLISHED -j ACCEPT");

QStringList shells(const QList<Command> &cmds)
{
    QStringList out;
    for (const Command &c : cmds)
        out << c.shell();
    return out;
}

} // namespace

class TestFirewall : public QObject {
    Q_OBJECT

private slots:
    void parsesSaveOutput();
    void parsesNftSaveWithWarningsAndCounters();
    void reportsLinesItCannotRead();
    void parsesIptablesS();
    void verdicts_data();
    void verdicts();
    void matches_data();
    void matches();
    void tooManyUndecidableRulesEndsUnknown();
    void pierRuleLeftBelowTheReject();
    void json();
    void tutorialRulesAfterRejectNeverMatch();
    void repliesAndEstablished();
    void symptoms();
    void fixes_data();
    void fixes();
    void fixIsIdempotentAndUndoable_data();
    void fixIsIdempotentAndUndoable();
    void fixThroughUfwWhenActive();
    void fixLeavesBanListsAlone();
    void probeDecidesBackendAndPersistence_data();
    void probeDecidesBackendAndPersistence();
    void probeScriptRuns();
    void scriptsRollBackWhatTheyAdded();
    void shellQuoting();
};

void TestFirewall::parsesSaveOutput()
{
    const Ruleset rs = parseIptablesSave(fixture(QStringLiteral("docker-host.rules")));
    QVERIFY2(rs.problems.isEmpty(), qPrintable(rs.problems.value(0).message));
    QVERIFY(rs.hasTable(QStringLiteral("nat")));
    QVERIFY(rs.hasTable(QStringLiteral("filter")));
    QCOMPARE(rs.backend, Backend::Legacy);
    const Table *f = rs.filter();
    QCOMPARE(f->chainOrder.size(), 7);
    QCOMPARE(f->chain(QStringLiteral("INPUT"))->policy, QStringLiteral("DROP"));
    QVERIFY(!f->chain(QStringLiteral("DOCKER-USER"))->builtin);
    const Rule &r = f->chain(QStringLiteral("DOCKER"))->rules.first();
    QCOMPARE(r.number, 1);
    QCOMPARE(r.destinationCidr->toString(), QStringLiteral("172.17.0.2/32"));
    QVERIFY(r.inInterface->negated);
    QCOMPARE(r.inInterface->value, QStringLiteral("docker0"));
    QVERIFY(!r.outInterface->negated);
    QCOMPARE(r.match(QStringLiteral("tcp"))->option(QStringLiteral("dport"))->value(),
             QStringLiteral("80"));
    const Rule &jump = f->chain(QStringLiteral("FORWARD"))->rules.first();
    QCOMPARE(jump.target.kind, Target::Kind::Jump);
    QCOMPARE(jump.target.name, QStringLiteral("DOCKER-USER"));
    const Rule &dnat = rs.table(QStringLiteral("nat"))->chain(QStringLiteral("DOCKER"))->rules[1];
    QCOMPARE(dnat.target.kind, Target::Kind::Other);
    QCOMPARE(dnat.target.arg(QStringLiteral("to-destination")), QStringLiteral("172.17.0.2:80"));

    const Ruleset mp = parseIptablesSave(fixture(QStringLiteral("multiport.rules")));
    const Chain *svc = mp.filter()->chain(QStringLiteral("services"));
    const MatchOption *ports =
        svc->rules[1].match(QStringLiteral("multiport"))->option(u"dports"_s);
    QVERIFY(ports->negated);
    QCOMPARE(ports->value(), QStringLiteral("1:1023"));
    QCOMPARE(mp.filter()->chain(QStringLiteral("INPUT"))->rules[1].target.kind, Target::Kind::Goto);

    const Ruleset cos = parseIptablesSave(fixture(QStringLiteral("cos-gce.rules")));
    QCOMPARE(cos.filter()->chain(QStringLiteral("INPUT"))->rules[4].comment(),
             QStringLiteral("google_guest_agent: load balancer health checks"));
    QVERIFY(cos.hasTable(QStringLiteral("mangle")));
}

void TestFirewall::parsesNftSaveWithWarningsAndCounters()
{
    const Ruleset rs = parseIptablesSave(fixture(QStringLiteral("nft-warning.rules")));
    QVERIFY(rs.problems.isEmpty());
    QCOMPARE(rs.backend, Backend::Nft);
    QVERIFY(rs.legacyTablesPresent);
    QCOMPARE(rs.warnings.size(), 1);
    QVERIFY(rs.hasTable(QStringLiteral("raw")));
    const Chain *in = rs.filter()->chain(QStringLiteral("INPUT"));
    QCOMPARE(in->rules.size(), 6);
    QCOMPARE(in->rules[0].text,
             QStringLiteral("-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT"));
    const Rule &log = in->rules[4];
    QCOMPARE(log.target.kind, Target::Kind::Log);
    QCOMPARE(log.target.arg(QStringLiteral("log-prefix")), QStringLiteral("iptables denied: "));
    QCOMPARE(in->rules[5].target.arg(QStringLiteral("reject-with")),
             QStringLiteral("icmp-host-prohibited"));
    // Counters and comments do not make two dumps of the same rules differ.
    QCOMPARE(
        normalizedSave(fixture(QStringLiteral("nft-warning.rules"))),
        normalizedSave(fixture(QStringLiteral("nft-warning.rules"))
                           .replace(QStringLiteral("[3120:540221]"), QStringLiteral("[1:2]"))
                           .replace(QStringLiteral("[5512:881230]"), QStringLiteral("[0:0]"))));
    const Diagnosis g = diagnose(rs, outsideQuery());
    QVERIFY(g.notes.join(QLatin1Char('\n'))
                .contains(QLatin1String("iptables-legacy tables are present")));
}

void TestFirewall::reportsLinesItCannotRead()
{
    const Ruleset rs = parseIptablesSave(fixture(QStringLiteral("broken.rules")));
    QCOMPARE(rs.problems.size(), 3);
    QCOMPARE(rs.problems[0].line, 6);
    QVERIFY(rs.problems[0].message.contains(QLatin1String("quote")));
    QCOMPARE(rs.problems[1].line, 7);
    QCOMPARE(rs.problems[2].line, 8);
    QVERIFY(rs.problems[2].message.contains(QLatin1String("NOSUCHCHAIN")));
    // The unread line could be a DROP for port 80: the answer cannot be "accepted".
    const Diagnosis g = diagnose(rs, outsideQuery());
    QCOMPARE(g.verdict, Verdict::Unknown);
    QVERIFY2(g.reason.contains(QLatin1String("could not be read")), qPrintable(g.reason));
    const FixPlan plan = planFix(rs, outsideQuery(), NodeFacts{});
    QVERIFY(!plan.ok());
    QVERIFY(plan.steps.isEmpty());
}

void TestFirewall::parsesIptablesS()
{
    // `iptables -S` of the reject preset: same answers as its iptables-save form.
    QStringList s{QStringLiteral("-P INPUT ACCEPT"), QStringLiteral("-P FORWARD ACCEPT"),
                  QStringLiteral("-P OUTPUT ACCEPT")};
    for (const QString &line : preset(IptablesPreset::Reject).split(QLatin1Char('\n'))) {
        if (line.startsWith(QLatin1String("-A")))
            s << line;
    }
    const Ruleset rs = parseIptablesS(s.join(QLatin1Char('\n')));
    QVERIFY(rs.problems.isEmpty());
    const Decision d = evaluate(rs, outsideQuery(), Flow::New);
    QCOMPARE(d.verdict, Verdict::Blocked);
    QCOMPARE(d.rule, 6);
    QCOMPARE(rs.specLines(), parseIptablesSave(preset(IptablesPreset::Reject)).specLines());
}

void TestFirewall::verdicts_data()
{
    QTest::addColumn<QString>("rules");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("from");  // empty: outside the cluster's network
    QTest::addColumn<QString>("iface"); // empty: unknown
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QString>("chain");
    QTest::addColumn<int>("rule"); // 0: the policy
    QTest::addColumn<QString>("action");

    QTest::newRow("mesosphere: policy DROP") << "mesosphere" << 80 << ""
                                             << ""
                                             << "blocked"
                                             << "INPUT" << 0 << "DROP";
    QTest::newRow("mesosphere: ssh") << "mesosphere" << 22 << ""
                                     << ""
                                     << "accepted"
                                     << "INPUT" << 3 << "ACCEPT";
    QTest::newRow("mesosphere: from inside") << "mesosphere" << 80 << "10.240.0.7"
                                             << ""
                                             << "accepted"
                                             << "INPUT" << 4 << "ACCEPT";
    QTest::newRow("reject: trailing REJECT")
        << "reject" << 80 << ""
        << ""
        << "blocked"
        << "INPUT" << 6 << "REJECT --reject-with icmp-host-prohibited";
    QTest::newRow("ufw: policy after user chains") << "ufw" << 80 << ""
                                                   << ""
                                                   << "blocked"
                                                   << "INPUT" << 0 << "DROP";
    QTest::newRow("ufw: ssh in ufw-user-input") << "ufw" << 22 << ""
                                                << ""
                                                << "accepted"
                                                << "ufw-user-input" << 1 << "ACCEPT";
    QTest::newRow("open") << "open" << 80 << ""
                          << ""
                          << "accepted"
                          << "INPUT" << 0 << "ACCEPT";
    QTest::newRow("docker host: final DROP") << "docker-host" << 80 << ""
                                             << ""
                                             << "blocked"
                                             << "INPUT" << 5 << "DROP";
    QTest::newRow("gce cos: policy") << "cos-gce" << 80 << ""
                                     << ""
                                     << "blocked"
                                     << "INPUT" << 0 << "DROP";
    QTest::newRow("gce cos: health checker") << "cos-gce" << 80 << "35.191.4.4"
                                             << ""
                                             << "accepted"
                                             << "INPUT" << 5 << "ACCEPT";
    QTest::newRow("nft with LOG and limit")
        << "nft-warning" << 80 << ""
        << ""
        << "blocked"
        << "INPUT" << 6 << "REJECT --reject-with icmp-host-prohibited";
    QTest::newRow("fail2ban: not banned")
        << "fail2ban" << 80 << ""
        << ""
        << "blocked"
        << "INPUT" << 7 << "REJECT --reject-with icmp-port-unreachable";
    QTest::newRow("fail2ban: https") << "fail2ban" << 443 << ""
                                     << ""
                                     << "accepted"
                                     << "INPUT" << 6 << "ACCEPT";
    QTest::newRow("fail2ban: banned client")
        << "fail2ban" << 443 << "203.0.113.7"
        << ""
        << "blocked"
        << "f2b-nginx-http-auth" << 1 << "REJECT --reject-with icmp-port-unreachable";
    QTest::newRow("fail2ban ipset: unknown") << "fail2ban-ipset" << 80 << ""
                                             << ""
                                             << "unknown"
                                             << "INPUT" << 1 << "?";
    QTest::newRow("fail2ban ipset: ssh port not in set rule") << "fail2ban-ipset" << 22 << ""
                                                              << ""
                                                              << "accepted"
                                                              << "INPUT" << 3 << "ACCEPT";
    QTest::newRow("-i eth0: unknown") << "eth0" << 80 << ""
                                      << ""
                                      << "unknown"
                                      << "INPUT" << 3 << "?";
    QTest::newRow("-i eth0: on eth0") << "eth0" << 80 << ""
                                      << "eth0"
                                      << "accepted"
                                      << "INPUT" << 3 << "ACCEPT";
    QTest::newRow("-i eth0: on ens4") << "eth0" << 80 << ""
                                      << "ens4"
                                      << "blocked"
                                      << "INPUT" << 0 << "DROP";
    QTest::newRow("multiport: range 79:81") << "multiport" << 80 << ""
                                            << ""
                                            << "accepted"
                                            << "services" << 3 << "ACCEPT";
    QTest::newRow("multiport: 8000:8080") << "multiport" << 8080 << ""
                                          << ""
                                          << "accepted"
                                          << "services" << 1 << "ACCEPT";
    // After a goto from INPUT, RETURN goes to INPUT's policy, not to INPUT's next rule (REJECT).
    QTest::newRow("multiport: goto then RETURN") << "multiport" << 5000 << ""
                                                 << ""
                                                 << "blocked"
                                                 << "INPUT" << 0 << "DROP";
    QTest::newRow("multiport: goto then end") << "multiport" << 25 << ""
                                              << ""
                                              << "blocked"
                                              << "INPUT" << 0 << "DROP";
    QTest::newRow("lockdown") << "lockdown" << 80 << ""
                              << ""
                              << "blocked"
                              << "INPUT" << 0 << "DROP";
}

void TestFirewall::verdicts()
{
    QFETCH(QString, rules);
    QFETCH(int, port);
    QFETCH(QString, from);
    QFETCH(QString, iface);
    QFETCH(QString, verdict);
    QFETCH(QString, chain);
    QFETCH(int, rule);
    QFETCH(QString, action);
    const Ruleset rs = parseIptablesSave(::rules(rules));
    QVERIFY(rs.problems.isEmpty());
    Query q = outsideQuery(port);
    if (!from.isEmpty())
        q.source = ip(from.toLatin1());
    q.interface = iface;
    const Decision d = evaluate(rs, q, Flow::New);
    QVERIFY2(verdictName(d.verdict) == verdict, qPrintable(d.reason));
    QCOMPARE(d.chain, chain);
    QCOMPARE(d.rule, rule);
    QCOMPARE(d.action, action);
    QVERIFY(!d.reason.isEmpty());
    QVERIFY(!d.trace.isEmpty());
    // The summary reads like `iptables -L --line-numbers`: chain, number, the rule's text.
    const QString where = rule > 0 ? QStringLiteral("%1 rule %2: ").arg(chain).arg(rule)
                                   : QStringLiteral("%1 policy: -P %1").arg(chain);
    QVERIFY2(d.summary().startsWith(where), qPrintable(d.summary()));
    if (rule > 0) {
        const Rule &r = rs.filter()->chain(chain)->rules[rule - 1];
        QVERIFY(d.summary().contains(r.text));
    }
}

void TestFirewall::matches_data()
{
    // Rules in iptables-save form (a filter table); the flow; the client, the destination.
    QTest::addColumn<QString>("rules");
    QTest::addColumn<int>("flow");
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("to");
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QString>("chain");
    QTest::addColumn<int>("rule");

    const int n = int(Flow::New), est = int(Flow::Established), rep = int(Flow::Replies);
    const QString drop = u":INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"_s;
    const QString accept = u":INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"_s;
    // One undecidable condition, met or not, in two rules: both ways end in ACCEPT.
    QTest::newRow("same interface condition twice")
        << drop + u"-A INPUT -i eth0 -j ACCEPT\n-A INPUT ! -i eth0 -j ACCEPT\n"_s << n << ""
        << ""
        << "accepted"
        << "INPUT" << 2;
    QTest::newRow("mark: nothing sets one, so it is 0")
        << accept + u"-A INPUT -m mark --mark 0x1 -j DROP\n"_s << n << ""
        << ""
        << "accepted"
        << "INPUT" << 0;
    QTest::newRow("mark: set elsewhere")
        << accept + u"-A INPUT -m mark --mark 0x1 -j DROP\n"
                    "-A OUTPUT -j MARK --set-xmark 0x1/0xffffffff\n"_s
        << n << ""
        << ""
        << "unknown"
        << "INPUT" << 1;
    QTest::newRow("recent: a rate ban before the ACCEPT")
        << drop + u"-A INPUT -p tcp -m tcp --dport 80 -m recent --rcheck --seconds 60 "
                  "--hitcount 10 --name http --mask 255.255.255.255 --rsource -j DROP\n"
                  "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n"_s
        << n << ""
        << ""
        << "unknown"
        << "INPUT" << 1;
    QTest::newRow("hashlimit that only logs")
        << drop + u"-A INPUT -m hashlimit --hashlimit-above 5/sec --hashlimit-name x -j LOG\n"_s
        << n << ""
        << ""
        << "blocked"
        << "INPUT" << 0;
    QTest::newRow("--syn drops the first packet")
        << accept + u"-A INPUT -p tcp -m tcp --syn -j DROP\n"_s << n << ""
        << ""
        << "blocked"
        << "INPUT" << 1;
    QTest::newRow("--syn lets later packets by")
        << accept + u"-A INPUT -p tcp -m tcp --syn -j DROP\n"_s << est << ""
        << ""
        << "accepted"
        << "INPUT" << 0;
    QTest::newRow("tcp-flags of a SYN-ACK")
        << accept + u"-A INPUT -p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j DROP\n"_s << n << ""
        << ""
        << "accepted"
        << "INPUT" << 0;
    QTest::newRow("iprange inside the cluster")
        << drop + u"-A INPUT -m iprange --src-range 10.240.0.1-10.240.0.200 -j ACCEPT\n"_s << n
        << ""
        << ""
        << "blocked"
        << "INPUT" << 0;
    QTest::newRow("iprange, client in it")
        << drop + u"-A INPUT -m iprange --src-range 10.240.0.1-10.240.0.200 -j ACCEPT\n"_s << n
        << "10.240.0.5"
        << ""
        << "accepted"
        << "INPUT" << 1;
    QTest::newRow("! -s internal")
        << accept + u"-A INPUT ! -s 10.240.0.0/16 -p tcp -m tcp --dport 80 -j DROP\n"_s << n << ""
        << ""
        << "blocked"
        << "INPUT" << 1;
    QTest::newRow("! -p udp") << accept + u"-A INPUT ! -p udp -j REJECT\n"_s << n << ""
                              << ""
                              << "blocked"
                              << "INPUT" << 1;
    QTest::newRow("! --ctstate, new") << accept + u"-A INPUT -m conntrack ! --ctstate "
                                                  "RELATED,ESTABLISHED -j DROP\n"_s
                                      << n << ""
                                      << ""
                                      << "blocked"
                                      << "INPUT" << 1;
    QTest::newRow("! --ctstate, established")
        << accept + u"-A INPUT -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP\n"_s << est
        << ""
        << ""
        << "accepted"
        << "INPUT" << 0;
    QTest::newRow("fragments") << accept + u"-A INPUT -f -j DROP\n"_s << n << ""
                               << ""
                               << "accepted"
                               << "INPUT" << 0;
    QTest::newRow("multiport --ports") << drop + u"-A INPUT -p tcp -m multiport --ports 80 -j "
                                                 "ACCEPT\n"_s
                                       << n << ""
                                       << ""
                                       << "accepted"
                                       << "INPUT" << 1;
    QTest::newRow("owner in OUTPUT")
        << u":INPUT ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n-A OUTPUT -m owner --uid-owner 33 -j "
           "ACCEPT\n"_s
        << rep << ""
        << ""
        << "unknown"
        << "OUTPUT" << 1;
    QTest::newRow("replies to client ports")
        << u":INPUT ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n-A OUTPUT -p tcp -m tcp --dport "
           "1024:65535 -j ACCEPT\n"_s
        << rep << ""
        << ""
        << "accepted"
        << "OUTPUT" << 1;
    QTest::newRow("NFQUEUE") << accept + u"-A INPUT -p tcp -m tcp --dport 80 -j NFQUEUE "
                                         "--queue-num 0\n"_s
                             << n << ""
                             << ""
                             << "unknown"
                             << "INPUT" << 1;
    QTest::newRow("destination not given")
        << drop + u"-A INPUT -d 203.0.113.10/32 -p tcp -m tcp --dport 80 -j ACCEPT\n"_s << n << ""
        << ""
        << "unknown"
        << "INPUT" << 1;
    QTest::newRow("destination given")
        << drop + u"-A INPUT -d 203.0.113.10/32 -p tcp -m tcp --dport 80 -j ACCEPT\n"_s << n << ""
        << "203.0.113.10"
        << "accepted"
        << "INPUT" << 1;
    QTest::newRow("broadcast drop") << accept + u"-A INPUT -m addrtype --dst-type BROADCAST -j "
                                                "DROP\n"_s
                                    << n << ""
                                    << ""
                                    << "accepted"
                                    << "INPUT" << 0;
    QTest::newRow("unknown module kept") << drop + u"-A INPUT -p tcp -m geoip --src-cc CN -j DROP\n"
                                                   "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n"_s
                                         << n << ""
                                         << ""
                                         << "unknown"
                                         << "INPUT" << 1;
}

void TestFirewall::matches()
{
    QFETCH(QString, rules);
    QFETCH(int, flow);
    QFETCH(QString, from);
    QFETCH(QString, to);
    QFETCH(QString, verdict);
    QFETCH(QString, chain);
    QFETCH(int, rule);
    const Ruleset rs = parseIptablesSave(u"*filter\n"_s + rules + u"COMMIT\n"_s);
    QVERIFY2(rs.problems.isEmpty(), qPrintable(rs.problems.value(0).message));
    Query q = outsideQuery();
    if (!from.isEmpty())
        q.source = ip(from.toLatin1());
    if (!to.isEmpty())
        q.destination = ip(to.toLatin1());
    const Decision d = evaluate(rs, q, Flow(flow));
    QVERIFY2(verdictName(d.verdict) == verdict, qPrintable(d.reason));
    QCOMPARE(d.chain, chain);
    QCOMPARE(d.rule, rule);
    if (d.verdict == Verdict::Unknown) {
        // The reason names the rule and what it depends on.
        QVERIFY2(d.reason.contains(QStringLiteral("%1 rule %2").arg(chain).arg(rule)),
                 qPrintable(d.reason));
        QVERIFY2(d.reason.contains(QLatin1String("depends")) ||
                     d.reason.contains(QLatin1String("program")),
                 qPrintable(d.reason));
    }
}

void TestFirewall::tooManyUndecidableRulesEndsUnknown()
{
    // Each undecidable jump doubles the cases; the walk gives up with a reason instead of hanging.
    QString r = u"*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"_s;
    for (int i = 0; i < 40; ++i)
        r += QStringLiteral(":c%1 - [0:0]\n").arg(i);
    for (int i = 0; i < 40; ++i)
        r += QStringLiteral("-A INPUT -i eth%1 -j c%1\n").arg(i);
    r += u"COMMIT\n"_s;
    QElapsedTimer t;
    t.start();
    const Decision d = evaluate(parseIptablesSave(r), outsideQuery(), Flow::New);
    QVERIFY(t.elapsed() < 5000);
    QCOMPARE(d.verdict, Verdict::Unknown);
    QVERIFY2(d.reason.contains(QLatin1String("Too many")), qPrintable(d.reason));
}

void TestFirewall::pierRuleLeftBelowTheReject()
{
    // Pier's own rule appended after the REJECT (by hand, or an old tool): `-C` would find it and
    // skip, so the plan inserts without checking, and undo removes only the new one.
    const QString rule = u"-A INPUT -p tcp -m tcp --dport 80 -m conntrack --ctstate "
                         "NEW,ESTABLISHED -m comment --comment \"pier: open tcp/80\" -j ACCEPT"_s;
    const Ruleset rs = parseIptablesSave(
        preset(IptablesPreset::Reject).replace(u"COMMIT\n"_s, rule + u"\nCOMMIT\n"_s));
    const FixPlan plan = planFix(rs, outsideQuery(), NodeFacts{});
    QVERIFY2(plan.ok(), qPrintable(plan.problems.join(QLatin1Char('\n'))));
    QCOMPARE(plan.steps.size(), 1);
    QVERIFY(plan.steps[0].check.argv.isEmpty());
    QCOMPARE(plan.steps[0].position, 6);
    QVERIFY2(plan.explanation.contains(QLatin1String("further down")),
             qPrintable(plan.explanation));
    QVERIFY(!plan.applyScript().contains(QLatin1String(" -C ")));
}

void TestFirewall::json()
{
    const Ruleset rs = parseIptablesSave(preset(IptablesPreset::Reject));
    const QJsonObject d = toJson(diagnose(rs, outsideQuery()));
    QCOMPARE(d[u"verdict"_s].toString(), u"blocked"_s);
    QCOMPARE(d[u"chain"_s].toString(), u"INPUT"_s);
    QCOMPARE(d[u"rule"_s].toInt(), 6);
    QVERIFY(d[u"reason"_s].toString().contains(QLatin1String("rejects")));
    QCOMPARE(d[u"replies"_s].toObject()[u"verdict"_s].toString(), u"accepted"_s);
    const QJsonObject p = toJson(planFix(rs, outsideQuery(), NodeFacts{}));
    const QJsonObject step = p[u"steps"_s].toArray().first().toObject();
    QCOMPARE(step[u"apply"_s].toObject()[u"argv"_s].toArray().at(2).toString(), u"-I"_s);
    QVERIFY(step[u"check"_s].toObject()[u"shell"_s].toString().startsWith(
        QLatin1String("iptables -w -C INPUT")));
    QCOMPARE(p[u"after"_s].toObject()[u"verdict"_s].toString(), u"accepted"_s);
}

void TestFirewall::tutorialRulesAfterRejectNeverMatch()
{
    // The tutorial's two rules, appended: fine after a DROP policy, useless after a REJECT.
    auto withTutorial = [](QString text) {
        return text.replace(QStringLiteral("COMMIT\n"), kTutorialIn + QLatin1Char('\n') +
                                                            kTutorialOut +
                                                            QStringLiteral("\nCOMMIT\n"));
    };
    const Ruleset mesos = parseIptablesSave(withTutorial(preset(IptablesPreset::Mesosphere)));
    Decision d = evaluate(mesos, outsideQuery(), Flow::New);
    QCOMPARE(d.verdict, Verdict::Accepted);
    QCOMPARE(d.rule, 5);

    const Ruleset reject = parseIptablesSave(withTutorial(preset(IptablesPreset::Reject)));
    d = evaluate(reject, outsideQuery(), Flow::New);
    QCOMPARE(d.verdict, Verdict::Blocked);
    QCOMPARE(d.rule, 6);
    QVERIFY2(d.reason.contains(QLatin1String("never be reached")), qPrintable(d.reason));
}

void TestFirewall::repliesAndEstablished()
{
    const Ruleset lock = parseIptablesSave(fixture(QStringLiteral("lockdown.rules")));
    Diagnosis g = diagnose(lock, outsideQuery());
    QCOMPARE(g.verdict, Verdict::Blocked);
    QCOMPARE(g.replies.verdict, Verdict::Blocked);
    QCOMPARE(g.replies.chain, QStringLiteral("OUTPUT"));
    QCOMPARE(g.replies.rule, 0);
    // ssh's replies pass by their source port.
    g = diagnose(lock, outsideQuery(22));
    QCOMPARE(g.replies.verdict, Verdict::Accepted);
    QCOMPARE(g.replies.rule, 2);
    QCOMPARE(g.newConnection.verdict, Verdict::Accepted);

    // COS drops OUTPUT by policy but lets established traffic out.
    const Ruleset cos = parseIptablesSave(fixture(QStringLiteral("cos-gce.rules")));
    g = diagnose(cos, outsideQuery());
    QCOMPARE(g.replies.verdict, Verdict::Accepted);
    QCOMPARE(g.replies.rule, 1);
    QCOMPARE(g.established.verdict, Verdict::Accepted);
    QCOMPARE(g.established.rule, 1);
    QCOMPARE(g.decisive().flow, Flow::New);

    // The ufw preset: replies through ufw-before-output's conntrack rule.
    const Ruleset ufw = parseIptablesSave(preset(IptablesPreset::Ufw));
    g = diagnose(ufw, outsideQuery());
    QCOMPARE(g.replies.verdict, Verdict::Accepted);
    QCOMPARE(g.replies.chain, QStringLiteral("ufw-before-output"));
    QCOMPARE(g.replies.rule, 2);

    // A nat redirect for the port makes "accepted" uncertain.
    const Ruleset docker = parseIptablesSave(fixture(QStringLiteral("docker-host.rules")));
    g = diagnose(docker, outsideQuery(8080));
    QVERIFY2(g.notes.join(QLatin1Char('\n')).contains(QLatin1String("DNAT")), qPrintable(g.text()));
    g = diagnose(docker, outsideQuery(80));
    QVERIFY(g.notes.isEmpty());
    QVERIFY2(g.newConnection.assumptions.join(QLatin1Char('\n')).contains(QLatin1String("docker0")),
             qPrintable(g.text()));

    // Untracked packets (raw NOTRACK) read differently in state matches: said, not ignored.
    const Ruleset raw = parseIptablesSave(
        u"*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp "
        "--dport 80 -j CT --notrack\nCOMMIT\n"_s +
        preset(IptablesPreset::Open));
    g = diagnose(raw, outsideQuery());
    QCOMPARE(g.verdict, Verdict::Unknown);
    QVERIFY2(g.reason.contains(QLatin1String("untracked")), qPrintable(g.text()));
    QCOMPARE(diagnose(raw, outsideQuery(22)).verdict, Verdict::Accepted);

    // Ban lists of single addresses are stated as assumptions, not turned into "unknown".
    const Ruleset f2b = parseIptablesSave(fixture(QStringLiteral("fail2ban.rules")));
    const Decision d = evaluate(f2b, outsideQuery(443), Flow::New);
    QCOMPARE(d.assumptions.size(), 2);
    QVERIFY(d.assumptions.first().contains(QLatin1String("203.0.113.7/32")));
}

void TestFirewall::symptoms()
{
    // What the client sees, including a REJECT whose own answer OUTPUT drops.
    auto symptom = [](const QString &text) {
        return diagnose(parseIptablesSave(text), outsideQuery()).symptom;
    };
    QCOMPARE(symptom(fixture(u"nft-warning.rules"_s)), Symptom::IcmpError);
    QCOMPARE(symptom(fixture(u"fail2ban.rules"_s)), Symptom::Refused);
    QCOMPARE(symptom(fixture(u"cos-gce.rules"_s)), Symptom::Timeout);
    QCOMPARE(symptom(preset(IptablesPreset::Open)), Symptom::Connects);
    QCOMPARE(symptom(fixture(u"lockdown.rules"_s)), Symptom::Timeout);
    const QString silenced = u"*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n"
                             "-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n"
                             "-A OUTPUT -p icmp -j ACCEPT\nCOMMIT\n"_s;
    const Diagnosis g = diagnose(parseIptablesSave(silenced), outsideQuery());
    QCOMPARE(g.symptom, Symptom::Timeout);
    QVERIFY(g.rejectAnswer && g.rejectAnswer->verdict == Verdict::Blocked);
    QVERIFY2(g.notes.join(QLatin1Char('\n')).contains(QLatin1String("not a refusal")),
             qPrintable(g.text()));
    // The same with an ICMP answer, which the OUTPUT rule lets out.
    QString icmp = silenced;
    icmp.replace(u"tcp-reset"_s, u"icmp-port-unreachable"_s);
    QCOMPARE(symptom(icmp), Symptom::Refused);
    // The handshake passes, the client's next packets are rejected.
    QCOMPARE(symptom(u"*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m "
                     "conntrack --ctstate ESTABLISHED -j DROP\nCOMMIT\n"_s),
             Symptom::Broken);
}

void TestFirewall::fixes_data()
{
    QTest::addColumn<QString>("rules");
    QTest::addColumn<QString>("onlyTo");
    QTest::addColumn<QStringList>("apply");

    const QString in = QStringLiteral("-p tcp -m tcp --dport 80 -m conntrack --ctstate "
                                      "NEW,ESTABLISHED -m comment --comment 'pier: open tcp/80' -j "
                                      "ACCEPT");
    QTest::newRow("mesosphere: append") << "mesosphere"
                                        << "" << QStringList{u"iptables -w -A INPUT "_s + in};
    QTest::newRow("reject: before the REJECT")
        << "reject"
        << "" << QStringList{u"iptables -w -I INPUT 6 "_s + in};
    QTest::newRow("reject: only to the load balancer")
        << "reject"
        << "203.0.113.10"
        << QStringList{u"iptables -w -I INPUT 6 -d 203.0.113.10/32 -p tcp -m tcp --dport 80 -m "
                       "conntrack --ctstate NEW,ESTABLISHED -m comment --comment 'pier: open "
                       "tcp/80 to 203.0.113.10' -j ACCEPT"_s};
    QTest::newRow("ufw chains without ufw")
        << "ufw"
        << "" << QStringList{u"iptables -w -A ufw-user-input "_s + in};
    QTest::newRow("open: nothing") << "open"
                                   << "" << QStringList{};
    QTest::newRow("docker host") << "docker-host"
                                 << "" << QStringList{u"iptables -w -I INPUT 5 "_s + in};
    QTest::newRow("nft warning") << "nft-warning"
                                 << "" << QStringList{u"iptables -w -I INPUT 6 "_s + in};
    QTest::newRow("fail2ban: before the final REJECT, after the bans")
        << "fail2ban"
        << "" << QStringList{u"iptables -w -I INPUT 7 "_s + in};
    QTest::newRow("-i eth0: before the rule it depends on")
        << "eth0"
        << "" << QStringList{u"iptables -w -I INPUT 3 "_s + in};
    QTest::newRow("goto: before the RETURN")
        << "multiport"
        << ""
        << QStringList{u"iptables -w -I services 2 -p tcp -m tcp --dport 5000 -m conntrack "
                       "--ctstate NEW,ESTABLISHED -m comment --comment 'pier: open tcp/5000' -j "
                       "ACCEPT"_s};
    QTest::newRow("lockdown: replies too")
        << "lockdown"
        << ""
        << QStringList{u"iptables -w -A INPUT "_s + in,
                       u"iptables -w -A OUTPUT -p tcp -m tcp --sport 80 -m conntrack --ctstate "
                       "ESTABLISHED -m comment --comment 'pier: replies of tcp/80' -j ACCEPT"_s};
}

void TestFirewall::fixes()
{
    QFETCH(QString, rules);
    QFETCH(QString, onlyTo);
    QFETCH(QStringList, apply);
    const Ruleset rs = parseIptablesSave(::rules(rules));
    const quint16 port = rules == QLatin1String("multiport") ? 5000 : 80;
    Query q = outsideQuery(port);
    FixOptions o;
    if (!onlyTo.isEmpty()) {
        o.onlyTo = ip(onlyTo.toLatin1());
        q.destination = o.onlyTo;
    }
    const FixPlan plan = planFix(rs, q, NodeFacts{}, o);
    QVERIFY2(plan.ok(), qPrintable(plan.problems.join(QLatin1Char('\n'))));
    QCOMPARE(plan.nothingToDo, apply.isEmpty());
    QStringList got, checks, undo;
    for (const FixStep &s : plan.steps) {
        got << s.apply.shell();
        checks << s.check.shell();
        QCOMPARE(s.check.argv.mid(0, 4), (QStringList{u"iptables"_s, u"-w"_s, u"-C"_s, s.chain}));
        QCOMPARE(s.check.argv.mid(4), s.ruleSpec);
        QCOMPARE(s.undo.argv.mid(0, 4), (QStringList{u"iptables"_s, u"-w"_s, u"-D"_s, s.chain}));
        QVERIFY(s.ruleText().contains(QLatin1String("pier: ")));
    }
    QCOMPARE(got, apply);
    if (!apply.isEmpty()) {
        QCOMPARE(plan.before.verdict == Verdict::Accepted, false);
        QCOMPARE(plan.after.verdict, Verdict::Accepted);
        QVERIFY(!plan.explanation.isEmpty());
        QCOMPARE(plan.rulesAfter.size(), plan.rulesBefore.size() + plan.steps.size());
    }
}

void TestFirewall::fixIsIdempotentAndUndoable_data()
{
    QTest::addColumn<QString>("rules");
    for (const char *r : {"mesosphere", "reject", "ufw", "docker-host", "cos-gce", "nft-warning",
                          "fail2ban", "eth0", "lockdown"})
        QTest::newRow(r) << QString::fromLatin1(r);
}

void TestFirewall::fixIsIdempotentAndUndoable()
{
    QFETCH(QString, rules);
    const Ruleset rs = parseIptablesSave(::rules(rules));
    const FixPlan plan = planFix(rs, outsideQuery(), NodeFacts{});
    QVERIFY2(plan.ok() && !plan.steps.isEmpty(), qPrintable(plan.problems.join(QLatin1Char('\n'))));
    // The rules as they will be: the same question again has nothing to do.
    const Ruleset after = parseIptablesS(plan.rulesAfter.join(QLatin1Char('\n')));
    QVERIFY(after.problems.isEmpty());
    const FixPlan again = planFix(after, outsideQuery(), NodeFacts{});
    QVERIFY2(again.nothingToDo, qPrintable(again.before.text()));
    // Undo without the plan finds exactly Pier's rules by their comment.
    QStringList fromPlan = shells(plan.undoCommands()), found = shells(undoAllPierRules(after));
    fromPlan.sort();
    found.sort();
    QCOMPARE(found, fromPlan);
    QVERIFY(undoAllPierRules(rs).isEmpty());
}

void TestFirewall::fixThroughUfwWhenActive()
{
    NodeFacts facts = parseProbe(QStringLiteral("uid=0\nhave=iptables\nhave=ufw\n"
                                                "version=iptables v1.8.7 (nf_tables)\n"
                                                "ufw=Status: active\n"));
    const Ruleset rs = parseIptablesSave(preset(IptablesPreset::Ufw));
    FixOptions o;
    o.persist = true;
    const FixPlan plan = planFix(rs, outsideQuery(), facts, o);
    QVERIFY2(plan.ok(), qPrintable(plan.problems.join(QLatin1Char('\n'))));
    QVERIFY(plan.viaUfw);
    QCOMPARE(plan.steps.size(), 1);
    QCOMPARE(plan.steps[0].apply.shell(),
             QStringLiteral("ufw allow proto tcp from any to any port 80 comment 'pier: open "
                            "tcp/80'"));
    QCOMPARE(plan.steps[0].undo.shell(),
             QStringLiteral("ufw delete allow proto tcp from any to any port 80"));
    QVERIFY(plan.persist.isEmpty()); // ufw saves its rules itself
    QCOMPARE(plan.persistence.kind, Persistence::Kind::Ufw);
    QCOMPARE(plan.after.verdict, Verdict::Accepted);
    QCOMPARE(plan.after.newConnection.chain, QStringLiteral("ufw-user-input"));

    o.onlyTo = ip("203.0.113.10");
    Query q = outsideQuery();
    q.destination = o.onlyTo;
    const FixPlan lb = planFix(rs, q, facts, o);
    QVERIFY(lb.steps[0].apply.shell().contains(QLatin1String("to 203.0.113.10 port 80")));
}

void TestFirewall::fixLeavesBanListsAlone()
{
    // Port 80 is open unless the client is in fail2ban's ipset: Pier does not override the ban.
    const Ruleset rs = parseIptablesSave(fixture(QStringLiteral("fail2ban-ipset.rules")));
    const FixPlan plan = planFix(rs, outsideQuery(), NodeFacts{});
    QVERIFY(plan.ok());
    QVERIFY(plan.nothingToDo);
    QVERIFY(plan.steps.isEmpty());
    QVERIFY2(plan.explanation.contains(QLatin1String("leaves that rule alone")),
             qPrintable(plan.explanation));
    QCOMPARE(plan.before.newConnection.otherwise, Verdict::Accepted);
    QVERIFY2(plan.before.newConnection.reason.contains(QLatin1String("ipset")),
             qPrintable(plan.before.newConnection.reason));
}

void TestFirewall::probeDecidesBackendAndPersistence_data()
{
    QTest::addColumn<QString>("output");
    QTest::addColumn<int>("backend");
    QTest::addColumn<int>("persistence");
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("problems");

    QTest::newRow("debian, iptables-persistent")
        << "uid=0\nfile=/etc/iptables/rules.v4\nhave=iptables\nhave=netfilter-persistent\n"
           "version=iptables v1.8.9 (nf_tables)\n"
        << int(Backend::Nft) << int(Persistence::Kind::Debian) << "/etc/iptables/rules.v4" << 0;
    QTest::newRow("netfilter-persistent, no file yet")
        << "uid=0\nhave=iptables\nhave=netfilter-persistent\nversion=iptables v1.8.9 (legacy)\n"
        << int(Backend::Legacy) << int(Persistence::Kind::Debian) << "/etc/iptables/rules.v4" << 0;
    QTest::newRow("centos 7") << "uid=0\nfile=/etc/sysconfig/iptables\nhave=iptables\n"
                                 "version=iptables v1.4.21\n"
                              << int(Backend::Legacy) << int(Persistence::Kind::RedHat)
                              << "/etc/sysconfig/iptables" << 0;
    QTest::newRow("ufw inactive") << "uid=0\nhave=iptables\nhave=ufw\nversion=iptables v1.8.7 "
                                     "(nf_tables)\nufw=Status: inactive\n"
                                  << int(Backend::Nft) << int(Persistence::Kind::None) << "" << 0;
    QTest::newRow("not root") << "uid=1000\nhave=iptables\nversion=iptables v1.8.9 (nf_tables)\n"
                              << int(Backend::Nft) << int(Persistence::Kind::None) << "" << 1;
    QTest::newRow("no iptables") << "uid=0\n"
                                 << int(Backend::Unknown) << int(Persistence::Kind::None) << ""
                                 << 1;
    QTest::newRow("nothing") << "sh: 1: syntax error\n"
                             << int(Backend::Unknown) << int(Persistence::Kind::None) << "" << 1;
}

void TestFirewall::probeDecidesBackendAndPersistence()
{
    QFETCH(QString, output);
    QFETCH(int, backend);
    QFETCH(int, persistence);
    QFETCH(QString, file);
    QFETCH(int, problems);
    const NodeFacts f = parseProbe(output);
    QCOMPARE(int(f.backend), backend);
    QCOMPARE(int(f.persistence().kind), persistence);
    QCOMPARE(f.persistence().file, file);
    QCOMPARE(f.problems.size(), problems);
    QVERIFY(!f.persistence().description().isEmpty());

    FixOptions o;
    o.persist = true;
    const FixPlan plan =
        planFix(parseIptablesSave(preset(IptablesPreset::Reject)), outsideQuery(), f, o);
    if (file.isEmpty()) {
        QVERIFY(plan.persist.isEmpty());
        QVERIFY2(plan.explanation.contains(QLatin1String("No persistence found")) ||
                     f.persistence().kind == Persistence::Kind::Ufw,
                 qPrintable(plan.explanation));
    } else {
        QCOMPARE(plan.persist.size(), 1);
        QCOMPARE(plan.persist[0].argv.value(2),
                 QStringLiteral("iptables-save > %1.pier-new && mv -f %1.pier-new %1").arg(file));
    }
}

void TestFirewall::probeScriptRuns()
{
    // The probe is plain sh that works on this machine too, whatever it has installed.
    QProcess sh;
    sh.start(QStringLiteral("sh"), {QStringLiteral("-c"), probeScript()});
    QVERIFY(sh.waitForFinished(10000));
    QCOMPARE(sh.exitCode(), 0);
    const NodeFacts f = parseProbe(QString::fromUtf8(sh.readAllStandardOutput()));
    QCOMPARE(f.root, ::getuid() == 0);
    if (f.iptablesFound)
        QVERIFY2(f.backend != Backend::Unknown, qPrintable(f.iptablesVersion));
}

void TestFirewall::scriptsRollBackWhatTheyAdded()
{
    // The apply script run by sh against an `iptables` that records its calls and refuses the
    // second insert: the first rule is taken out again and the script says so.
    QTemporaryDir dir;
    QFile fake(dir.filePath(QStringLiteral("iptables")));
    QVERIFY(fake.open(QIODevice::WriteOnly));
    fake.write("#!/bin/sh\necho \"$*\" >> \"$LOG\"\ncase \"$*\" in\n"
               "  *-C*) exit 1 ;;\n  *-A\\ OUTPUT*) exit 4 ;;\nesac\nexit 0\n");
    fake.close();
    fake.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    const FixPlan plan = planFix(parseIptablesSave(fixture(QStringLiteral("lockdown.rules"))),
                                 outsideQuery(), NodeFacts{});
    QCOMPARE(plan.steps.size(), 2);
    QProcess sh;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PATH"),
               dir.path() + QLatin1Char(':') + env.value(QStringLiteral("PATH")));
    env.insert(QStringLiteral("LOG"), dir.filePath(QStringLiteral("log")));
    sh.setProcessEnvironment(env);
    sh.start(QStringLiteral("sh"), {QStringLiteral("-c"), plan.applyScript()});
    QVERIFY(sh.waitForFinished(10000));
    QCOMPARE(sh.exitCode(), 1);
    QVERIFY(sh.readAllStandardError().contains("could not add -A OUTPUT"));
    QFile log(dir.filePath(QStringLiteral("log")));
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QStringList calls = QString::fromUtf8(log.readAll()).trimmed().split(QLatin1Char('\n'));
    QCOMPARE(calls.size(), 5);
    QVERIFY(calls[0].startsWith(QLatin1String("-w -C INPUT")));
    QVERIFY(calls[1].startsWith(QLatin1String("-w -A INPUT")));
    QVERIFY(calls[2].startsWith(QLatin1String("-w -C OUTPUT")));
    QVERIFY(calls[3].startsWith(QLatin1String("-w -A OUTPUT")));
    QCOMPARE(calls[4], plan.steps[0].undo.argv.mid(1).join(QLatin1Char(' ')));
    QCOMPARE(shells(plan.rollbackAfterFailureAt(1)), QStringList{plan.steps[0].undo.shell()});
}

void TestFirewall::shellQuoting()
{
    QCOMPARE(shellQuote(QStringLiteral("INPUT")), QStringLiteral("INPUT"));
    QCOMPARE(shellQuote(QStringLiteral("pier: open tcp/80")),
             QStringLiteral("'pier: open tcp/80'"));
    QCOMPARE(shellQuote(QStringLiteral("a'b; rm -rf /")), QStringLiteral("'a'\\''b; rm -rf /'"));
    QCOMPARE(shellQuote(QString()), QStringLiteral("''"));
    // Round trip through a real shell.
    const QStringList argv{QStringLiteral("printf"), QStringLiteral("%s|"), QStringLiteral("$(id)"),
                           QStringLiteral("a'b"), QStringLiteral("`x`")};
    QProcess sh;
    sh.start(QStringLiteral("sh"), {QStringLiteral("-c"), shellJoin(argv)});
    QVERIFY(sh.waitForFinished(5000));
    QCOMPARE(QString::fromUtf8(sh.readAllStandardOutput()), QStringLiteral("$(id)|a'b|`x`|"));
}

QTEST_GUILESS_MAIN(TestFirewall)
#include "tst_firewall.moc"
