#include "firewall/evaluator.h"

#include <QJsonArray>
#include <QMap>

#include <climits>

namespace pier::firewall {

QString verdictName(Verdict v)
{
    switch (v) {
    case Verdict::Accepted:
        return QStringLiteral("accepted");
    case Verdict::Blocked:
        return QStringLiteral("blocked");
    case Verdict::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

QString flowName(Flow f)
{
    switch (f) {
    case Flow::New:
        return QStringLiteral("new connection");
    case Flow::Established:
        return QStringLiteral("established connection");
    case Flow::Replies:
        break;
    case Flow::RejectAnswer:
        return QStringLiteral("reject's answer");
    }
    return QStringLiteral("replies");
}

QString symptomText(Symptom s)
{
    switch (s) {
    case Symptom::Connects:
        return QStringLiteral("the connection is made");
    case Symptom::Refused:
        return QStringLiteral("\"connection refused\"");
    case Symptom::IcmpError:
        return QStringLiteral("an ICMP error (\"no route to host\" or similar)");
    case Symptom::Timeout:
        return QStringLiteral("no answer: the connection times out");
    case Symptom::Broken:
        return QStringLiteral("the connection opens, then hangs or fails at the first data");
    case Symptom::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

QString Decision::summary() const
{
    if (chain.isEmpty())
        return reason;
    const QString where = rule > 0 ? QStringLiteral("%1 rule %2").arg(chain).arg(rule)
                                   : QStringLiteral("%1 policy").arg(chain);
    QString s = QStringLiteral("%1: %2").arg(where, ruleText);
    if (!action.isEmpty())
        s += QStringLiteral(" → %1").arg(action);
    return s;
}

const Decision &Diagnosis::decisive() const
{
    for (const Decision *d : {&newConnection, &established, &replies}) {
        if (d->verdict == Verdict::Blocked)
            return *d;
    }
    for (const Decision *d : {&newConnection, &established, &replies}) {
        if (d->verdict == Verdict::Unknown)
            return *d;
    }
    return newConnection;
}

QString Diagnosis::text() const
{
    QStringList out;
    out << QStringLiteral("verdict: %1").arg(verdictName(verdict));
    for (const Decision *d : {&newConnection, &established, &replies}) {
        out << QStringLiteral("%1: %2 — %3")
                   .arg(flowName(d->flow), verdictName(d->verdict), d->summary());
        out << QStringLiteral("  %1").arg(d->reason);
        for (const QString &a : d->assumptions)
            out << QStringLiteral("  assuming %1").arg(a);
    }
    for (const QString &n : notes)
        out << QStringLiteral("note: %1").arg(n);
    return out.join(QLatin1Char('\n'));
}

QJsonObject toJson(const Decision &d)
{
    QJsonArray trace;
    for (const TraceStep &s : d.trace)
        trace.append(QJsonObject{{QStringLiteral("chain"), s.chain},
                                 {QStringLiteral("rule"), s.rule},
                                 {QStringLiteral("text"), s.text},
                                 {QStringLiteral("note"), s.note}});
    QJsonObject o{{QStringLiteral("verdict"), verdictName(d.verdict)},
                  {QStringLiteral("chain"), d.chain},
                  {QStringLiteral("rule"), d.rule},
                  {QStringLiteral("rule_text"), d.ruleText},
                  {QStringLiteral("action"), d.action},
                  {QStringLiteral("reason"), d.reason},
                  {QStringLiteral("summary"), d.summary()},
                  {QStringLiteral("assumptions"), QJsonArray::fromStringList(d.assumptions)},
                  {QStringLiteral("trace"), trace}};
    if (d.verdict == Verdict::Unknown)
        o.insert(QStringLiteral("otherwise"), verdictName(d.otherwise));
    return o;
}

QJsonObject toJson(const Diagnosis &g)
{
    const Decision &d = g.decisive();
    return QJsonObject{{QStringLiteral("verdict"), verdictName(g.verdict)},
                       {QStringLiteral("chain"), d.chain},
                       {QStringLiteral("rule"), d.rule},
                       {QStringLiteral("rule_text"), d.ruleText},
                       {QStringLiteral("reason"), g.reason},
                       {QStringLiteral("client_sees"), symptomText(g.symptom)},
                       {QStringLiteral("new"), toJson(g.newConnection)},
                       {QStringLiteral("established"), toJson(g.established)},
                       {QStringLiteral("replies"), toJson(g.replies)},
                       {QStringLiteral("notes"), QJsonArray::fromStringList(g.notes)}};
}

namespace {

constexpr quint32 kEphemeralFirst = 1024; // client ports: every OS picks them above 1023
constexpr quint32 kEphemeralLast = 65535;

// One packet of a flow, as the matches see it.
struct Packet {
    Flow flow;
    QString hook;           // "INPUT" or "OUTPUT"
    bool clientIsSource;    // the client's packets (INPUT) or the server's (OUTPUT)
    QString state;          // conntrack state: "NEW" or "ESTABLISHED"
    QList<quint8> tcpFlags; // the flag combinations this flow's packets carry
    bool markKnown;         // nothing in the rules sets a mark: it is 0
    QString protocol = QStringLiteral("tcp"); // "icmp" for a REJECT's ICMP answer
    int icmpCode = -1;                        // of type 3, destination unreachable
};

enum Flag : quint8 { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16, URG = 32 };

struct Tri {
    enum V { No, Yes, Maybe };
    V v = Yes;
    QString key; // for Maybe: the positive form of the undecidable condition
    bool negated = false;
    QString why;        // for Maybe: what it depends on
    QString assumption; // Yes/No taken for granted
};

struct PortRange {
    quint32 lo = 0, hi = 65535;
};

std::optional<PortRange> parsePortRange(const QString &text)
{
    static const QMap<QString, quint32> names{{QStringLiteral("http"), 80},
                                              {QStringLiteral("https"), 443},
                                              {QStringLiteral("ssh"), 22},
                                              {QStringLiteral("domain"), 53}};
    auto port = [&](const QString &s, quint32 dflt) -> std::optional<quint32> {
        if (s.isEmpty())
            return dflt;
        bool ok = false;
        const uint v = s.toUInt(&ok);
        if (ok && v <= 65535)
            return v;
        if (names.contains(s))
            return names[s];
        return std::nullopt;
    };
    const int colon = text.indexOf(QLatin1Char(':'));
    PortRange r;
    if (colon < 0) {
        const auto p = port(text, 0);
        if (!p || text.isEmpty())
            return std::nullopt;
        r.lo = r.hi = *p;
        return r;
    }
    const auto lo = port(text.left(colon), 0), hi = port(text.mid(colon + 1), 65535);
    if (!lo || !hi)
        return std::nullopt;
    r.lo = *lo;
    r.hi = *hi;
    return r;
}

class Walker {
public:
    Walker(const Table &table, const Query &query, const Packet &packet)
        : m_table(table), m_query(query), m_packet(packet)
    {
    }

    struct Fork {
        QString chain;
        int rule = 0;
        QString text;
        QString why;
        bool matched = false;
    };

    struct Outcome {
        enum Class { Accept, Block, Other };
        Class cls = Other;
        QString action;
        QString chain;
        int rule = 0;
        QString ruleText;
        QList<TraceStep> trace;
        QStringList assumptions;
        QList<Fork> forks;
        bool primary() const
        {
            for (const Fork &f : forks) {
                if (f.matched)
                    return false;
            }
            return true;
        }
    };

    QList<Outcome> outcomes;
    bool exhausted = false;

    void run(const QString &startChain)
    {
        State s;
        s.stack.append(Frame{startChain, 0});
        s.markKnown = m_packet.markKnown;
        walk(s, false);
    }

    Tri matchRule(const Rule &r, const QMap<QString, bool> &assumed, bool markKnown) const
    {
        QList<Tri> atoms = ruleAtoms(r, markKnown);
        Tri result;
        QStringList assumptions, maybes, whys;
        bool definiteNo = false, assumedNo = false;
        for (Tri a : atoms) {
            if (a.v == Tri::Maybe && assumed.contains(a.key)) {
                const bool positive = assumed[a.key];
                a.v = (positive != a.negated) ? Tri::Yes : Tri::No;
            }
            if (a.v == Tri::No) {
                if (a.assumption.isEmpty()) {
                    definiteNo = true;
                } else {
                    assumedNo = true;
                    assumptions << a.assumption;
                }
            } else if (a.v == Tri::Maybe) {
                maybes << a.key;
                whys << a.why;
                result.negated = a.negated;
            } else if (!a.assumption.isEmpty()) {
                assumptions << a.assumption;
            }
        }
        if (definiteNo)
            return Tri{Tri::No, {}, false, {}, {}};
        if (assumedNo)
            return Tri{Tri::No, {}, false, {}, assumptions.join(QStringLiteral("; "))};
        if (!maybes.isEmpty()) {
            result.v = Tri::Maybe;
            // One undecidable condition can be remembered either way; several only as "all true".
            result.key = maybes.size() == 1 ? maybes.first() : QString();
            result.why = whys.join(QStringLiteral(" and "));
            result.assumption = assumptions.join(QStringLiteral("; "));
            return result;
        }
        result.v = Tri::Yes;
        result.assumption = assumptions.join(QStringLiteral("; "));
        return result;
    }

private:
    struct Frame {
        QString chain;
        int index = 0;
    };
    struct State {
        QList<Frame> stack;
        QMap<QString, bool> assumed;
        QList<TraceStep> trace;
        QStringList assumptions;
        QList<Fork> forks;
        bool markKnown = true;
    };

    static constexpr int kMaxOutcomes = 512;
    static constexpr int kMaxSteps = 200000;

    void finish(State &s, Outcome::Class cls, const QString &action, const QString &chain, int rule,
                const QString &text)
    {
        Outcome o;
        o.cls = cls;
        o.action = action;
        o.chain = chain;
        o.rule = rule;
        o.ruleText = text;
        o.trace = s.trace;
        o.assumptions = s.assumptions;
        o.forks = s.forks;
        outcomes.append(o);
    }

    void walk(State s, bool forceFirstMatch)
    {
        while (true) {
            if (++m_steps > kMaxSteps || outcomes.size() > kMaxOutcomes) {
                exhausted = true;
                return;
            }
            Frame &f = s.stack.last();
            const Chain *c = m_table.chain(f.chain);
            if (!c || f.index >= c->rules.size()) {
                if (s.stack.size() == 1 || !c) {
                    policy(s, f.chain);
                    return;
                }
                s.trace.append(
                    TraceStep{f.chain, 0, QStringLiteral("end of %1").arg(f.chain),
                              QStringLiteral("back to %1").arg(s.stack[s.stack.size() - 2].chain)});
                s.stack.removeLast();
                s.stack.last().index++;
                continue;
            }
            const Rule &r = c->rules[f.index];
            Tri m = forceFirstMatch ? Tri{Tri::Yes, {}, false, {}, {}}
                                    : matchRule(r, s.assumed, s.markKnown);
            forceFirstMatch = false;
            if (m.v == Tri::No) {
                if (!m.assumption.isEmpty())
                    s.assumptions << QStringLiteral("%1 (%2 rule %3)")
                                         .arg(m.assumption, r.chain)
                                         .arg(r.number);
                f.index++;
                continue;
            }
            if (m.v == Tri::Maybe) {
                const bool sideEffectFree = r.target.kind == Target::Kind::Log ||
                                            r.target.kind == Target::Kind::None ||
                                            isNonTerminating(r.target.name);
                if (sideEffectFree) {
                    if (setsMark(r.target.name))
                        s.markKnown = false;
                    f.index++;
                    continue;
                }
                State taken = s;
                if (!m.key.isEmpty())
                    taken.assumed.insert(m.key, !m.negated);
                taken.forks.append(Fork{r.chain, r.number, r.text, m.why, true});
                walk(taken, true);
                if (!m.key.isEmpty())
                    s.assumed.insert(m.key, m.negated);
                s.forks.append(Fork{r.chain, r.number, r.text, m.why, false});
                s.trace.append(TraceStep{r.chain, r.number, r.text,
                                         QStringLiteral("taken as not matching: %1").arg(m.why)});
                s.stack.last().index++;
                continue;
            }
            if (!m.assumption.isEmpty())
                s.assumptions
                    << QStringLiteral("%1 (%2 rule %3)").arg(m.assumption, r.chain).arg(r.number);
            if (!applyTarget(s, r))
                return;
        }
    }

    // Returns false when the walk ended here.
    bool applyTarget(State &s, const Rule &r)
    {
        const Target &t = r.target;
        auto step = [&](const QString &note) {
            s.trace.append(TraceStep{r.chain, r.number, r.text, note});
        };
        switch (t.kind) {
        case Target::Kind::Accept:
            step(QStringLiteral("ACCEPT"));
            finish(s, Outcome::Accept, QStringLiteral("ACCEPT"), r.chain, r.number, r.text);
            return false;
        case Target::Kind::Drop:
            step(QStringLiteral("DROP"));
            finish(s, Outcome::Block, QStringLiteral("DROP"), r.chain, r.number, r.text);
            return false;
        case Target::Kind::Reject: {
            const QString with = t.arg(QStringLiteral("reject-with"));
            const QString action = with.isEmpty() ? QStringLiteral("REJECT")
                                                  : QStringLiteral("REJECT --reject-with ") + with;
            step(action);
            finish(s, Outcome::Block, action, r.chain, r.number, r.text);
            return false;
        }
        case Target::Kind::Return:
            step(QStringLiteral("RETURN"));
            if (s.stack.size() == 1) {
                policy(s, r.chain);
                return false;
            }
            s.stack.removeLast();
            s.stack.last().index++;
            return true;
        case Target::Kind::Jump:
            if (s.stack.size() > 64)
                return unknownEnd(s, r, QStringLiteral("chains nested too deep"));
            step(QStringLiteral("jump to %1").arg(t.name));
            s.stack.append(Frame{t.name, 0});
            return true;
        case Target::Kind::Goto:
            if (!m_table.chain(t.name))
                return unknownEnd(s, r, QStringLiteral("goto to a missing chain"));
            step(QStringLiteral("goto %1").arg(t.name));
            // -g: RETURN from the target goes back to whoever called the current chain.
            if (s.stack.size() == 1) {
                // From a built-in chain: when the target chain ends, the built-in's policy decides.
                s.stack.last().index = m_table.chain(r.chain)->rules.size();
                s.stack.append(Frame{t.name, 0});
            } else {
                s.stack.last() = Frame{t.name, 0};
            }
            return true;
        case Target::Kind::Log:
        case Target::Kind::None:
            step(t.kind == Target::Kind::Log ? QStringLiteral("%1, continues").arg(t.name)
                                             : QStringLiteral("no target, continues"));
            s.stack.last().index++;
            return true;
        case Target::Kind::Other:
            if (isNonTerminating(t.name)) {
                if (setsMark(t.name))
                    s.markKnown = false;
                step(QStringLiteral("%1, continues").arg(t.name));
                s.stack.last().index++;
                return true;
            }
            return unknownEnd(
                s, r,
                t.name == QLatin1String("NFQUEUE") || t.name == QLatin1String("QUEUE")
                    ? QStringLiteral("%1 hands the packet to a program that decides").arg(t.name)
                    : QStringLiteral("Pier does not know what the target %1 does").arg(t.name));
        }
        return false;
    }

    bool unknownEnd(State &s, const Rule &r, const QString &why)
    {
        s.trace.append(TraceStep{r.chain, r.number, r.text, why});
        finish(s, Outcome::Other, r.target.name + QStringLiteral(" (") + why + QLatin1Char(')'),
               r.chain, r.number, r.text);
        return false;
    }

    void policy(State &s, const QString &chainName)
    {
        const QString &name = chainName;
        const Chain *c = m_table.chain(name);
        const QString pol = c && !c->policy.isEmpty() ? c->policy : QStringLiteral("ACCEPT");
        const QString text = QStringLiteral("-P %1 %2").arg(name, pol);
        s.trace.append(TraceStep{name, 0, text, QStringLiteral("policy %1").arg(pol)});
        finish(s, pol == QLatin1String("DROP") ? Outcome::Block : Outcome::Accept, pol, name, 0,
               text);
    }

    static bool isNonTerminating(const QString &t)
    {
        static const QStringList names =
            QStringLiteral(
                "MARK CONNMARK SET AUDIT TRACE CT NOTRACK TCPMSS CLASSIFY DSCP TOS TTL "
                "HL CHECKSUM TEE CONNSECMARK SECMARK IDLETIMER LED RATEEST NFLOG ULOG LOG")
                .split(QLatin1Char(' '));
        return names.contains(t);
    }
    static bool setsMark(const QString &t)
    {
        return t == QLatin1String("MARK") || t == QLatin1String("CONNMARK");
    }

    // --- matches ---------------------------------------------------------------------------

    static Tri yes(const QString &assumption = {})
    {
        return Tri{Tri::Yes, {}, false, {}, assumption};
    }
    static Tri no(const QString &assumption = {})
    {
        return Tri{Tri::No, {}, false, {}, assumption};
    }
    static Tri maybe(const QString &key, bool negated, const QString &why)
    {
        return Tri{Tri::Maybe, key, negated, why, {}};
    }
    static Tri negate(Tri t, bool negated)
    {
        if (!negated)
            return t;
        if (t.v == Tri::Yes)
            t.v = Tri::No;
        else if (t.v == Tri::No)
            t.v = Tri::Yes;
        else
            t.negated = !t.negated;
        return t;
    }

    bool clientSide(bool sourceField) const { return sourceField == m_packet.clientIsSource; }

    static QString rangeText(quint32 lo, quint32 hi)
    {
        auto ip = [](quint32 a) { return Cidr{a, 32}.toString().chopped(3); };
        return lo == hi ? ip(lo) : QStringLiteral("%1-%2").arg(ip(lo), ip(hi));
    }

    // An address condition on the source or destination field: [lo, hi] (a CIDR or a range).
    Tri addressMatch(bool sourceField, quint32 lo, quint32 hi, const QString &text,
                     bool negated) const
    {
        const bool client = clientSide(sourceField);
        const std::optional<quint32> known = client ? m_query.source : m_query.destination;
        if (known)
            return negate(*known >= lo && *known <= hi ? yes() : no(), negated);
        const quint64 size = quint64(hi) - lo + 1;
        if (size == (quint64(1) << 32))
            return negate(yes(), negated);
        const Cidr loopback{0x7f000000, 8};
        if (loopback.contains(lo) && loopback.contains(hi))
            return negate(no(), negated); // nothing from outside comes from or to 127/8
        if (client) {
            for (const Cidr &in : m_query.internal) {
                if (lo >= in.first() && hi <= in.last())
                    return negate(no(), negated); // inside the cluster's network
            }
            // A handful of particular outside addresses (a ban list, a partner's network) is not
            // "any client outside": say so rather than answer "unknown" for every such rule.
            if (size <= (quint64(1) << 24))
                return negate(no(QStringLiteral("the client is not in %1").arg(text)), negated);
            return maybe(QStringLiteral("client in %1").arg(text), negated,
                         QStringLiteral("it depends on the client's address (%1%2)")
                             .arg(negated ? QStringLiteral("not ") : QString(), text));
        }
        const Cidr multicast{0xe0000000, 4};
        if ((multicast.contains(lo) && multicast.contains(hi)) || lo == 0xffffffff)
            return negate(no(), negated);
        return maybe(QStringLiteral("node address in %1").arg(text), negated,
                     QStringLiteral("it depends on which of the node's addresses is connected to "
                                    "(%1%2; give the address)")
                         .arg(negated ? QStringLiteral("not ") : QString(), text));
    }

    Tri cidrMatch(bool sourceField, const Cidr &c, const QString &text, bool negated) const
    {
        return addressMatch(sourceField, c.first(), c.last(), text, negated);
    }

    static bool ifaceMatches(const QString &pattern, const QString &name)
    {
        if (pattern.endsWith(QLatin1Char('+')))
            return name.startsWith(pattern.chopped(1));
        return pattern == name;
    }

    // The interface the outside traffic uses on this side of the node: given, or unknown.
    Tri interfaceMatch(bool inField, const Negatable &n) const
    {
        const bool relevant = inField == (m_packet.hook == QLatin1String("INPUT"));
        if (!relevant) // INPUT has no out-interface and OUTPUT no in-interface
            return negate(n.value == QLatin1String("+") ? yes() : no(), n.negated);
        if (!m_query.interface.isEmpty())
            return negate(ifaceMatches(n.value, m_query.interface) ? yes() : no(), n.negated);
        if (n.value == QLatin1String("+"))
            return negate(yes(), n.negated);
        if (ifaceMatches(n.value, QStringLiteral("lo")))
            return negate(no(), n.negated); // outside traffic never uses the loopback
        static const QStringList local =
            QStringLiteral("docker br- veth cni flannel cali virbr lxcbr lxdbr kube- weave cbr0 "
                           "vxlan tunl0")
                .split(QLatin1Char(' '));
        for (const QString &prefix : local) {
            if (n.value.startsWith(prefix))
                return negate(
                    no(QStringLiteral("the client's traffic does not use %1, an interface for "
                                      "containers or VMs")
                           .arg(n.value)),
                    n.negated);
        }
        const QString opt = inField ? QStringLiteral("-i") : QStringLiteral("-o");
        return maybe(QStringLiteral("%1 %2").arg(opt, n.value), n.negated,
                     QStringLiteral("it depends on the interface (%1%2 %3), which Pier does not "
                                    "know from the rules")
                         .arg(n.negated ? QStringLiteral("! ") : QString(), opt, n.value));
    }

    // This flow's value of a port: the service's port exactly, or any client port.
    Tri portMatch(bool sourcePort, const QList<PortRange> &ranges, const QString &text,
                  bool negated) const
    {
        const bool servicePort = sourcePort != m_packet.clientIsSource;
        if (servicePort) {
            for (const PortRange &r : ranges) {
                if (m_query.port >= r.lo && m_query.port <= r.hi)
                    return negate(yes(), negated);
            }
            return negate(no(), negated);
        }
        bool covers = false, overlaps = false;
        for (const PortRange &r : ranges) {
            covers |= r.lo <= kEphemeralFirst && r.hi >= kEphemeralLast;
            overlaps |= r.hi >= kEphemeralFirst && r.lo <= kEphemeralLast;
        }
        if (covers)
            return negate(yes(), negated);
        if (!overlaps)
            return negate(no(), negated);
        return maybe(QStringLiteral("client port %1").arg(text), negated,
                     QStringLiteral("it depends on the client's port (%1)").arg(text));
    }

    Tri portOption(bool sourcePort, const MatchOption &o, const QString &ctx) const
    {
        QList<PortRange> ranges;
        for (const QString &part : o.value().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const auto r = parsePortRange(part);
            if (!r)
                return maybe(ctx, o.negated,
                             QStringLiteral("it depends on the port \"%1\", which Pier cannot read")
                                 .arg(part));
            ranges << *r;
        }
        return portMatch(sourcePort, ranges, o.value(), o.negated);
    }

    Tri stateMatch(const MatchOption &o) const
    {
        const QStringList states = o.value().toUpper().split(QLatin1Char(','), Qt::SkipEmptyParts);
        return negate(states.contains(m_packet.state) ? yes() : no(), o.negated);
    }

    Tri tcpFlagsMatch(quint8 mask, quint8 comp, bool negated) const
    {
        int yesCount = 0;
        for (quint8 f : m_packet.tcpFlags)
            yesCount += ((f & mask) == comp) != negated;
        if (yesCount == m_packet.tcpFlags.size())
            return yes();
        if (yesCount == 0)
            return no();
        return maybe(QStringLiteral("tcp flags %1/%2").arg(comp).arg(mask), false,
                     QStringLiteral("only some packets of the %1 carry these TCP flags")
                         .arg(flowName(m_packet.flow)));
    }

    static std::optional<quint8> parseFlags(const QString &s)
    {
        static const QMap<QString, quint8> names{
            {QStringLiteral("FIN"), FIN}, {QStringLiteral("SYN"), SYN},
            {QStringLiteral("RST"), RST}, {QStringLiteral("PSH"), PSH},
            {QStringLiteral("ACK"), ACK}, {QStringLiteral("URG"), URG},
            {QStringLiteral("ALL"), 63},  {QStringLiteral("NONE"), 0}};
        quint8 v = 0;
        for (const QString &p : s.toUpper().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            if (!names.contains(p))
                return std::nullopt;
            v |= names[p];
        }
        return v;
    }

    Tri unknownModule(const Match &m, const QString &why) const
    {
        return maybe(m.text(), false, why);
    }

    Tri moduleMatch(const Match &m, bool markKnown) const
    {
        const QString &mod = m.module;
        const QString text = m.text();
        QList<Tri> atoms;
        if (mod == QLatin1String("tcp") || mod == QLatin1String("multiport")) {
            if (m_packet.protocol != QLatin1String("tcp"))
                return no();
        }
        if (mod == QLatin1String("comment")) {
            return yes();
        } else if (mod == QLatin1String("icmp") && m_packet.protocol == QLatin1String("icmp")) {
            const MatchOption *o = m.option(QStringLiteral("icmp-type"));
            if (!o)
                return yes();
            // A REJECT answers with type 3 (destination unreachable) and a code.
            static const QMap<QString, int> codes{{QStringLiteral("network-unreachable"), 0},
                                                  {QStringLiteral("host-unreachable"), 1},
                                                  {QStringLiteral("protocol-unreachable"), 2},
                                                  {QStringLiteral("port-unreachable"), 3},
                                                  {QStringLiteral("network-prohibited"), 9},
                                                  {QStringLiteral("host-prohibited"), 10},
                                                  {QStringLiteral("communication-prohibited"), 13}};
            const QString t = o->value();
            bool match = false;
            if (t == QLatin1String("any") || t == QLatin1String("3") ||
                t == QLatin1String("destination-unreachable"))
                match = true;
            else if (t.startsWith(QLatin1String("3/")))
                match = t.mid(2).toInt() == m_packet.icmpCode;
            else if (codes.contains(t))
                match = codes[t] == m_packet.icmpCode;
            return negate(match ? yes() : no(), o->negated);
        } else if (mod == QLatin1String("tcp")) {
            for (const MatchOption &o : m.options) {
                if (o.name == QLatin1String("dport") || o.name == QLatin1String("destination-port"))
                    atoms << portOption(false, o, text);
                else if (o.name == QLatin1String("sport") || o.name == QLatin1String("source-port"))
                    atoms << portOption(true, o, text);
                else if (o.name == QLatin1String("syn"))
                    atoms << tcpFlagsMatch(SYN | RST | ACK | FIN, SYN, o.negated);
                else if (o.name == QLatin1String("tcp-flags") && o.values.size() == 2 &&
                         parseFlags(o.values[0]) && parseFlags(o.values[1]))
                    atoms << tcpFlagsMatch(*parseFlags(o.values[0]), *parseFlags(o.values[1]),
                                           o.negated);
                else
                    atoms << unknownModule(
                        m, QStringLiteral("it depends on the TCP option --%1, which Pier does not "
                                          "evaluate")
                               .arg(o.name));
            }
        } else if (mod == QLatin1String("multiport")) {
            for (const MatchOption &o : m.options) {
                if (o.name == QLatin1String("dports") ||
                    o.name == QLatin1String("destination-ports"))
                    atoms << portOption(false, o, text);
                else if (o.name == QLatin1String("sports") ||
                         o.name == QLatin1String("source-ports"))
                    atoms << portOption(true, o, text);
                else if (o.name == QLatin1String("ports")) {
                    // Either port: negation applies to the whole "either".
                    MatchOption plain = o;
                    plain.negated = false;
                    const Tri d = portOption(false, plain, text), s = portOption(true, plain, text);
                    Tri either = d.v == Tri::Yes || s.v == Tri::Yes ? yes()
                                 : d.v == Tri::No && s.v == Tri::No ? no()
                                                                    : (d.v == Tri::Maybe ? d : s);
                    atoms << negate(either, o.negated);
                } else {
                    atoms << unknownModule(
                        m, QStringLiteral("it depends on --%1, which Pier does not evaluate")
                               .arg(o.name));
                }
            }
        } else if (mod == QLatin1String("state")) {
            for (const MatchOption &o : m.options)
                atoms << (o.name == QLatin1String("state")
                              ? stateMatch(o)
                              : unknownModule(
                                    m, QStringLiteral(
                                           "it depends on a state option Pier does not know")));
        } else if (mod == QLatin1String("conntrack")) {
            for (const MatchOption &o : m.options) {
                if (o.name == QLatin1String("ctstate"))
                    atoms << stateMatch(o);
                else if (o.name == QLatin1String("ctproto"))
                    atoms << negate(
                        o.value() == QLatin1String("tcp") || o.value() == QLatin1String("6") ? yes()
                                                                                             : no(),
                        o.negated);
                else if (o.name == QLatin1String("ctdir"))
                    atoms << negate((o.value().toUpper() == QLatin1String("ORIGINAL")) ==
                                            m_packet.clientIsSource
                                        ? yes()
                                        : no(),
                                    o.negated);
                else
                    atoms << unknownModule(m, QStringLiteral("it depends on the connection's "
                                                             "tracking details (--%1)")
                                                  .arg(o.name));
            }
        } else if (mod == QLatin1String("addrtype")) {
            for (const MatchOption &o : m.options) {
                if (o.name.startsWith(QLatin1String("limit-iface")))
                    continue;
                const bool src = o.name == QLatin1String("src-type");
                if (!src && o.name != QLatin1String("dst-type")) {
                    atoms << unknownModule(
                        m, QStringLiteral("it depends on an addrtype option Pier does not know"));
                    continue;
                }
                // The node's own addresses (its own, or a load balancer's it answers for) are
                // LOCAL; an outside client's is UNICAST.
                const QString type =
                    clientSide(src) ? QStringLiteral("UNICAST") : QStringLiteral("LOCAL");
                atoms << negate(o.value().toUpper().split(QLatin1Char(',')).contains(type) ? yes()
                                                                                           : no(),
                                o.negated);
            }
        } else if (mod == QLatin1String("iprange")) {
            for (const MatchOption &o : m.options) {
                const QStringList ends = o.value().split(QLatin1Char('-'));
                const auto lo = Cidr::parseAddress(ends.value(0));
                const auto hi = Cidr::parseAddress(ends.value(1, ends.value(0)));
                if (!lo || !hi ||
                    (o.name != QLatin1String("src-range") &&
                     o.name != QLatin1String("dst-range"))) {
                    atoms << unknownModule(
                        m, QStringLiteral("it depends on a range Pier cannot read"));
                    continue;
                }
                atoms << addressMatch(o.name == QLatin1String("src-range"), *lo, *hi, o.value(),
                                      o.negated);
            }
        } else if (mod == QLatin1String("pkttype")) {
            for (const MatchOption &o : m.options)
                atoms << negate(o.value().toLower() == QLatin1String("unicast") ? yes() : no(),
                                o.negated);
        } else if (mod == QLatin1String("policy")) {
            for (const MatchOption &o : m.options) {
                if (o.name == QLatin1String("pol"))
                    atoms << negate(o.value() == QLatin1String("none") ? yes() : no(), o.negated);
                else if (o.name != QLatin1String("dir"))
                    atoms << unknownModule(
                        m, QStringLiteral("it depends on IPsec (--%1)").arg(o.name));
            }
        } else if (mod == QLatin1String("mark") || mod == QLatin1String("connmark")) {
            const MatchOption *o = m.option(QStringLiteral("mark"));
            if (!markKnown || !o)
                return unknownModule(m,
                                     QStringLiteral("it depends on the packet's mark, which other "
                                                    "rules set"));
            // Nothing in the rules sets a mark, so it is 0: "--mark V[/M]" matches if V is 0.
            const QStringList vm = o->value().split(QLatin1Char('/'));
            bool ok = false;
            const quint32 v = vm.value(0).toUInt(&ok, 0);
            if (!ok)
                return unknownModule(m, QStringLiteral("it depends on a mark Pier cannot read"));
            return negate(v == 0 ? yes() : no(), o->negated);
        } else if (mod == QLatin1String("recent")) {
            if (m.option(QStringLiteral("set")) && !m.option(QStringLiteral("rcheck")) &&
                !m.option(QStringLiteral("update")))
                return yes(); // --set only records the address and always matches
            return unknownModule(m, QStringLiteral("it depends on the client's recent packets "
                                                   "(-m recent)"));
        } else if (mod == QLatin1String("udp") || mod == QLatin1String("icmp") ||
                   mod == QLatin1String("sctp") || mod == QLatin1String("udplite") ||
                   mod == QLatin1String("dccp") || mod == QLatin1String("icmp6")) {
            return no(); // a match for another protocol never matches TCP
        } else if (mod == QLatin1String("limit") || mod == QLatin1String("hashlimit")) {
            return unknownModule(m,
                                 QStringLiteral("it depends on the packet rate (-m %1)").arg(mod));
        } else if (mod == QLatin1String("set")) {
            return unknownModule(
                m, QStringLiteral("it depends on the contents of an ipset (%1)").arg(text));
        } else if (mod == QLatin1String("connlimit")) {
            return unknownModule(m, QStringLiteral("it depends on how many connections the client "
                                                   "has open"));
        } else if (mod == QLatin1String("owner")) {
            return unknownModule(m, QStringLiteral("it depends on which program sends"));
        } else {
            return unknownModule(m, QStringLiteral("it depends on -m %1, a match Pier does not "
                                                   "evaluate")
                                        .arg(mod));
        }
        // Several options of one module: all must match.
        Tri r = yes();
        QStringList assumptions;
        for (const Tri &a : atoms) {
            if (a.v == Tri::No)
                return a;
            if (a.v == Tri::Maybe)
                r = a;
            if (!a.assumption.isEmpty())
                assumptions << a.assumption;
        }
        r.assumption = assumptions.join(QStringLiteral("; "));
        return r;
    }

    QList<Tri> ruleAtoms(const Rule &r, bool markKnown) const
    {
        QList<Tri> atoms;
        if (r.protocol) {
            const QString p = r.protocol->value;
            const bool icmp = m_packet.protocol == QLatin1String("icmp");
            const bool same = p == m_packet.protocol || p == QLatin1String("all") ||
                              p == QLatin1String("0") ||
                              p == (icmp ? QLatin1String("1") : QLatin1String("6"));
            atoms << negate(same ? yes() : no(), r.protocol->negated);
        }
        if (r.sourceCidr)
            atoms << cidrMatch(true, *r.sourceCidr, r.source->value, r.source->negated);
        if (r.destinationCidr)
            atoms << cidrMatch(false, *r.destinationCidr, r.destination->value,
                               r.destination->negated);
        if (r.inInterface)
            atoms << interfaceMatch(true, *r.inInterface);
        if (r.outInterface)
            atoms << interfaceMatch(false, *r.outInterface);
        if (r.fragment)
            atoms << (*r.fragment ? no() : yes()); // a TCP connection's packets are whole
        for (const Match &m : r.matches)
            atoms << moduleMatch(m, markKnown);
        return atoms;
    }

    const Table &m_table;
    const Query &m_query;
    const Packet m_packet;
    int m_steps = 0;
};

bool rulesSetMarks(const Ruleset &rules)
{
    for (const Table &t : rules.tables) {
        for (const Chain &c : t.chains) {
            for (const Rule &r : c.rules) {
                if (r.target.name == QLatin1String("MARK") ||
                    r.target.name == QLatin1String("CONNMARK"))
                    return true;
            }
        }
    }
    return false;
}

Packet packetFor(const Ruleset &rules, Flow flow)
{
    Packet p;
    p.flow = flow;
    p.markKnown = !rulesSetMarks(rules);
    switch (flow) {
    case Flow::New:
        p.hook = QStringLiteral("INPUT");
        p.clientIsSource = true;
        p.state = QStringLiteral("NEW");
        p.tcpFlags = {SYN};
        break;
    case Flow::Established:
        p.hook = QStringLiteral("INPUT");
        p.clientIsSource = true;
        p.state = QStringLiteral("ESTABLISHED");
        p.tcpFlags = {ACK, ACK | PSH, ACK | FIN};
        break;
    case Flow::Replies:
        p.hook = QStringLiteral("OUTPUT");
        p.clientIsSource = false;
        p.state = QStringLiteral("ESTABLISHED");
        p.tcpFlags = {SYN | ACK, ACK, ACK | PSH, ACK | FIN};
        break;
    case Flow::RejectAnswer:
        // The kernel ties a REJECT's reset or ICMP error to the rejected packet's connection.
        p.hook = QStringLiteral("OUTPUT");
        p.clientIsSource = false;
        p.state = QStringLiteral("RELATED");
        p.tcpFlags = {RST | ACK};
        break;
    }
    return p;
}

// REJECT's --reject-with as the packet it sends: a TCP reset, or ICMP type 3 with this code.
int rejectIcmpCode(const QString &with)
{
    static const QMap<QString, int> codes{
        {QStringLiteral("icmp-net-unreachable"), 0},   {QStringLiteral("icmp-host-unreachable"), 1},
        {QStringLiteral("icmp-proto-unreachable"), 2}, {QStringLiteral("icmp-port-unreachable"), 3},
        {QStringLiteral("icmp-net-prohibited"), 9},    {QStringLiteral("icmp-host-prohibited"), 10},
        {QStringLiteral("icmp-admin-prohibited"), 13}};
    return codes.value(with.isEmpty() ? QStringLiteral("icmp-port-unreachable") : with, 3);
}

QString who(const Query &q, Flow flow)
{
    const QString client =
        q.source ? QStringLiteral("from %1").arg(Cidr{*q.source, 32}.toString().chopped(3))
                 : QStringLiteral("from outside the cluster's network");
    const QString to =
        q.destination ? QStringLiteral(" to %1").arg(Cidr{*q.destination, 32}.toString().chopped(3))
                      : QString();
    switch (flow) {
    case Flow::New:
        return QStringLiteral("a new TCP connection to port %1%2 %3").arg(q.port).arg(to, client);
    case Flow::Established:
        return QStringLiteral("the client's further packets to port %1").arg(q.port);
    case Flow::Replies:
        break;
    case Flow::RejectAnswer:
        return QStringLiteral("the REJECT's answer to the client");
    }
    return QStringLiteral("the replies from port %1").arg(q.port);
}

QString where(const QString &chain, int rule)
{
    return rule > 0 ? QStringLiteral("%1 rule %2").arg(chain).arg(rule)
                    : QStringLiteral("the policy of %1").arg(chain);
}

} // namespace

namespace {
Decision evaluatePacket(const Ruleset &rules, const Query &query, const Packet &packet);
}

Decision evaluate(const Ruleset &rules, const Query &query, Flow flow)
{
    return evaluatePacket(rules, query, packetFor(rules, flow));
}

namespace {

Decision evaluatePacket(const Ruleset &rules, const Query &query, const Packet &packet)
{
    const Flow flow = packet.flow;
    Decision d;
    d.flow = flow;
    const Table *filter = rules.filter();
    if (!filter || !filter->chain(packet.hook)) {
        d.verdict = Verdict::Accepted;
        d.reason = QStringLiteral("There is no filter rule for %1: nothing filters %2.")
                       .arg(packet.hook, who(query, flow));
        return d;
    }
    Walker w(*filter, query, packet);
    w.run(packet.hook);
    if (w.exhausted || w.outcomes.isEmpty()) {
        d.verdict = Verdict::Unknown;
        d.chain = packet.hook;
        d.reason = QStringLiteral("Too many rules depend on what Pier cannot know to follow every "
                                  "case.");
        return d;
    }
    auto cls = [](const Walker::Outcome &o) {
        return o.cls == Walker::Outcome::Accept  ? Verdict::Accepted
               : o.cls == Walker::Outcome::Block ? Verdict::Blocked
                                                 : Verdict::Unknown;
    };
    const Walker::Outcome *primary = nullptr;
    for (const auto &o : w.outcomes) {
        if (o.primary())
            primary = &o;
    }
    Q_ASSERT(primary);
    if (!primary)
        primary = &w.outcomes.first();
    d.trace = primary->trace;
    d.assumptions = primary->assumptions;
    d.assumptions.removeDuplicates();
    d.verdict = cls(*primary);
    d.chain = primary->chain;
    d.rule = primary->rule;
    d.ruleText = primary->ruleText;
    d.action = primary->action;
    const QString what = who(query, flow);

    // A rule that might match and would end differently makes the answer unknown: the earliest
    // such rule on the path is the one to name (and the one a fix goes before).
    const Walker::Fork *divergence = nullptr;
    const Walker::Outcome *other = nullptr;
    int divergenceIndex = INT_MAX;
    for (const auto &o : w.outcomes) {
        if (cls(o) == d.verdict && d.verdict != Verdict::Unknown)
            continue;
        if (&o == primary)
            continue;
        for (int i = 0; i < o.forks.size(); ++i) {
            if (!o.forks[i].matched)
                continue;
            if (i < divergenceIndex) {
                divergenceIndex = i;
                divergence = &o.forks[i];
                other = &o;
            }
            break;
        }
    }
    if (d.verdict == Verdict::Unknown) {
        d.reason = QStringLiteral("%1 decides %2 elsewhere: %3.")
                       .arg(where(d.chain, d.rule), what, d.action);
        return d;
    }
    if (divergence) {
        const QString eventual =
            d.verdict == Verdict::Accepted ? QStringLiteral("accepted") : QStringLiteral("blocked");
        d.reason = QStringLiteral("Unknown: %1 may match, because %2; if it does, %3 by %4 (%5), "
                                  "otherwise %6 by %7 (%8).")
                       .arg(where(divergence->chain, divergence->rule), divergence->why,
                            cls(*other) == Verdict::Accepted  ? QStringLiteral("accepted")
                            : cls(*other) == Verdict::Blocked ? QStringLiteral("blocked")
                                                              : QStringLiteral("decided"),
                            where(other->chain, other->rule), other->action, eventual,
                            where(d.chain, d.rule), d.action);
        d.otherwise = d.verdict;
        d.verdict = Verdict::Unknown;
        d.chain = divergence->chain;
        d.rule = divergence->rule;
        d.ruleText = divergence->text;
        d.action = QStringLiteral("?");
        return d;
    }
    if (d.verdict == Verdict::Accepted) {
        d.reason = d.rule > 0 ? QStringLiteral("%1 accepts %2.").arg(where(d.chain, d.rule), what)
                              : QStringLiteral("No rule of %1 stops %2, and its policy is ACCEPT.")
                                    .arg(d.chain, what);
    } else if (d.rule > 0) {
        d.reason =
            QStringLiteral("%1 %2 %3 before any rule accepts it; an ACCEPT appended after it "
                           "would never be reached.")
                .arg(where(d.chain, d.rule),
                     d.action.startsWith(QLatin1String("REJECT")) ? QStringLiteral("rejects")
                                                                  : QStringLiteral("drops"),
                     what);
    } else {
        d.reason = QStringLiteral("No rule of %1 accepts %2, so the chain's policy DROP drops it.")
                       .arg(d.chain, what);
    }
    return d;
}

// A DNAT or REDIRECT in nat PREROUTING for the port sends the packet elsewhere than INPUT's port.
QString natNote(const Ruleset &rules, const Query &query)
{
    const Table *nat = rules.table(QStringLiteral("nat"));
    if (!nat || !nat->chain(QStringLiteral("PREROUTING")))
        return {};
    Walker w(*nat, query, packetFor(rules, Flow::New));
    w.run(QStringLiteral("PREROUTING"));
    for (const auto &o : w.outcomes) {
        if (o.cls == Walker::Outcome::Other && (o.action.startsWith(QLatin1String("DNAT")) ||
                                                o.action.startsWith(QLatin1String("REDIRECT"))))
            return QStringLiteral(
                       "nat PREROUTING rule %1 (%2) may redirect port %3: the packet then "
                       "goes to another address or port than the one evaluated here.")
                .arg(o.rule)
                .arg(o.ruleText)
                .arg(query.port);
    }
    return {};
}

// NOTRACK (or CT --notrack) in the raw table makes conntrack see UNTRACKED instead of NEW or
// ESTABLISHED, which the filter table's state matches then read differently.
QString untrackedNote(const Ruleset &rules, const Query &query)
{
    const Table *raw = rules.table(QStringLiteral("raw"));
    if (!raw)
        return {};
    for (const auto &[hook, flow] : {std::pair{QStringLiteral("PREROUTING"), Flow::New},
                                     std::pair{QStringLiteral("OUTPUT"), Flow::Replies}}) {
        const Walker w(*raw, query, packetFor(rules, flow));
        for (const Chain &c : raw->chains) {
            for (const Rule &r : c.rules) {
                const bool notrack = r.target.name == QLatin1String("NOTRACK") ||
                                     (r.target.name == QLatin1String("CT") &&
                                      r.target.args.contains(QLatin1String("--notrack")));
                if (!notrack || (c.builtin && c.name != hook))
                    continue;
                if (w.matchRule(r, {}, true).v != Tri::No)
                    return QStringLiteral("raw %1 rule %2 (%3) may leave the %4 untracked: state "
                                          "matches then see UNTRACKED, which this answer does not "
                                          "assume.")
                        .arg(c.name)
                        .arg(r.number)
                        .arg(r.text, flowName(flow));
            }
        }
    }
    return {};
}

} // namespace

Diagnosis diagnose(const Ruleset &rules, const Query &query)
{
    Diagnosis g;
    g.newConnection = evaluate(rules, query, Flow::New);
    g.established = evaluate(rules, query, Flow::Established);
    g.replies = evaluate(rules, query, Flow::Replies);
    g.verdict = g.decisive().verdict;
    g.reason = g.decisive().reason;
    if (g.newConnection.verdict == Verdict::Blocked &&
        g.newConnection.action.startsWith(QLatin1String("REJECT"))) {
        const QString with = g.newConnection.action.section(QLatin1Char(' '), 2, 2);
        Packet answer = packetFor(rules, Flow::RejectAnswer);
        if (with != QLatin1String("tcp-reset")) {
            answer.protocol = QStringLiteral("icmp");
            answer.icmpCode = rejectIcmpCode(with);
        }
        g.rejectAnswer = evaluatePacket(rules, query, answer);
        const bool refused = with == QLatin1String("tcp-reset") || answer.icmpCode == 3;
        switch (g.rejectAnswer->verdict) {
        case Verdict::Accepted:
            g.symptom = refused ? Symptom::Refused : Symptom::IcmpError;
            break;
        case Verdict::Blocked:
            g.symptom = Symptom::Timeout;
            g.notes << QStringLiteral("The REJECT's answer is itself dropped by %1: the client "
                                      "sees a timeout, not a refusal.")
                           .arg(g.rejectAnswer->summary());
            break;
        case Verdict::Unknown:
            g.symptom = Symptom::Unknown;
            break;
        }
    } else if (g.newConnection.verdict == Verdict::Blocked ||
               (g.newConnection.verdict == Verdict::Accepted &&
                g.replies.verdict == Verdict::Blocked)) {
        g.symptom = Symptom::Timeout;
    } else if (g.newConnection.verdict == Verdict::Accepted &&
               g.replies.verdict == Verdict::Accepted) {
        g.symptom = g.established.verdict == Verdict::Accepted  ? Symptom::Connects
                    : g.established.verdict == Verdict::Blocked ? Symptom::Broken
                                                                : Symptom::Unknown;
    }
    for (const ParseProblem &p : rules.problems)
        g.notes << QStringLiteral("line %1 was not understood (%2): %3")
                       .arg(p.line)
                       .arg(p.message, p.text.trimmed());
    if (!rules.problems.isEmpty() && g.verdict != Verdict::Blocked) {
        g.verdict = Verdict::Unknown; // an unread rule could change an "accepted"
        g.reason = QStringLiteral("Unknown: %1 rule line(s) could not be read, and any of them "
                                  "could change the answer (%2).")
                       .arg(rules.problems.size())
                       .arg(g.notes.first());
    }
    if (rules.legacyTablesPresent)
        g.notes << QStringLiteral("iptables-legacy tables are present beside the nf_tables ones: "
                                  "both filter every packet, and only one set is shown here.");
    const QString untracked = untrackedNote(rules, query);
    if (!untracked.isEmpty()) {
        g.notes << untracked;
        if (g.verdict == Verdict::Accepted) {
            g.verdict = Verdict::Unknown;
            g.reason = QStringLiteral("Unknown: ") + untracked;
        }
    }
    const QString nat = natNote(rules, query);
    if (!nat.isEmpty()) {
        g.notes << nat;
        if (g.verdict == Verdict::Accepted) {
            g.verdict = Verdict::Unknown;
            g.reason = QStringLiteral("Unknown: ") + nat;
        }
    }
    return g;
}

} // namespace pier::firewall
