#include "firewall/fixplan.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace pier::firewall {

QString Command::shell() const
{
    return shellJoin(argv);
}

QString Persistence::description() const
{
    switch (kind) {
    case Kind::Debian:
        return QStringLiteral("The node restores %1 at boot (iptables-persistent / "
                              "netfilter-persistent); Pier saves the rules there.")
            .arg(file);
    case Kind::RedHat:
        return QStringLiteral("The node restores %1 at boot (iptables-services); Pier saves the "
                              "rules there.")
            .arg(file);
    case Kind::Ufw:
        return QStringLiteral("ufw keeps its rules itself (/etc/ufw/user.rules): `ufw allow` "
                              "lasts across reloads and reboots.");
    case Kind::None:
        break;
    }
    return QStringLiteral("No persistence found (no /etc/iptables/rules.v4, netfilter-persistent, "
                          "/etc/sysconfig/iptables or ufw): the rules last until the next reboot. "
                          "Install iptables-persistent (Debian, Ubuntu) or iptables-services (Red "
                          "Hat) to keep them.");
}

Persistence NodeFacts::persistence() const
{
    Persistence p;
    if (ufwActive) {
        p.kind = Persistence::Kind::Ufw;
    } else if (netfilterPersistent ||
               rulesFiles.contains(QLatin1String("/etc/iptables/rules.v4"))) {
        p.kind = Persistence::Kind::Debian;
        p.file = QStringLiteral("/etc/iptables/rules.v4");
    } else if (rulesFiles.contains(QLatin1String("/etc/sysconfig/iptables"))) {
        p.kind = Persistence::Kind::RedHat;
        p.file = QStringLiteral("/etc/sysconfig/iptables");
    }
    return p;
}

QString probeScript()
{
    // Plain sh, every line independent: one missing tool must not hide the others.
    return QStringLiteral(
        "PATH=\"$PATH:/usr/sbin:/sbin\"; export PATH\n"
        "echo \"uid=$(id -u)\"\n"
        "for f in /etc/iptables/rules.v4 /etc/sysconfig/iptables; do [ -e \"$f\" ] && echo "
        "\"file=$f\"; done\n"
        "for p in iptables iptables-save iptables-restore netfilter-persistent ufw; do command -v "
        "\"$p\" >/dev/null 2>&1 && echo \"have=$p\"; done\n"
        "command -v iptables >/dev/null 2>&1 && echo \"version=$(iptables --version 2>&1 | head "
        "-n 1)\"\n"
        "command -v ufw >/dev/null 2>&1 && echo \"ufw=$(ufw status 2>/dev/null | head -n 1)\"\n"
        "true\n");
}

NodeFacts parseProbe(const QString &output)
{
    NodeFacts f;
    bool sawUid = false;
    for (const QString &raw : output.split(QLatin1Char('\n'))) {
        const QString line = raw.trimmed();
        const int eq = line.indexOf(QLatin1Char('='));
        if (eq < 0)
            continue;
        const QString key = line.left(eq), value = line.mid(eq + 1).trimmed();
        if (key == QLatin1String("uid")) {
            sawUid = true;
            f.root = value == QLatin1String("0");
        } else if (key == QLatin1String("file")) {
            f.rulesFiles << value;
        } else if (key == QLatin1String("have")) {
            if (value == QLatin1String("iptables"))
                f.iptablesFound = true;
            else if (value == QLatin1String("ufw"))
                f.ufwInstalled = true;
            else if (value == QLatin1String("netfilter-persistent"))
                f.netfilterPersistent = true;
        } else if (key == QLatin1String("version")) {
            f.iptablesVersion = value;
            if (value.contains(QLatin1String("nf_tables")))
                f.backend = Backend::Nft;
            else if (value.contains(QLatin1String("legacy")) ||
                     value.startsWith(QLatin1String("iptables v1.4")) ||
                     value.startsWith(QLatin1String("iptables v1.6")))
                f.backend = Backend::Legacy; // before 1.8 there was only the legacy back end
        } else if (key == QLatin1String("ufw")) {
            f.ufwActive = value.contains(QLatin1String("Status: active"));
        }
    }
    if (!sawUid)
        f.problems << QStringLiteral("the probe printed nothing usable (did the shell run it?)");
    else if (!f.root)
        f.problems << QStringLiteral("the probe did not run as root: iptables needs root (sudo)");
    if (sawUid && !f.iptablesFound)
        f.problems << QStringLiteral("iptables is not installed on the node");
    return f;
}

QString FixStep::ruleText() const
{
    QStringList words{QStringLiteral("-A"), chain};
    for (const QString &w : ruleSpec)
        words << quoteRuleWord(w);
    return words.join(QLatin1Char(' '));
}

namespace {

QString addressText(quint32 a)
{
    return Cidr{a, 32}.toString().chopped(3);
}

// The spec in iptables-save's own order, so that "rules after" reads like the node will show it.
QStringList incomingSpec(const Query &q, const FixOptions &o, const QString &states,
                         const QString &comment)
{
    QStringList s;
    if (o.onlyTo)
        s << QStringLiteral("-d") << Cidr{*o.onlyTo, 32}.toString();
    s << QStringLiteral("-p") << QStringLiteral("tcp") << QStringLiteral("-m")
      << QStringLiteral("tcp") << QStringLiteral("--dport") << QString::number(q.port)
      << QStringLiteral("-m") << QStringLiteral("conntrack") << QStringLiteral("--ctstate")
      << states << QStringLiteral("-m") << QStringLiteral("comment") << QStringLiteral("--comment")
      << comment << QStringLiteral("-j") << QStringLiteral("ACCEPT");
    return s;
}

QStringList repliesSpec(const Query &q, const FixOptions &o, const QString &comment)
{
    QStringList s;
    if (o.onlyTo)
        s << QStringLiteral("-s") << Cidr{*o.onlyTo, 32}.toString();
    s << QStringLiteral("-p") << QStringLiteral("tcp") << QStringLiteral("-m")
      << QStringLiteral("tcp") << QStringLiteral("--sport") << QString::number(q.port)
      << QStringLiteral("-m") << QStringLiteral("conntrack") << QStringLiteral("--ctstate")
      << QStringLiteral("ESTABLISHED") << QStringLiteral("-m") << QStringLiteral("comment")
      << QStringLiteral("--comment") << comment << QStringLiteral("-j") << QStringLiteral("ACCEPT");
    return s;
}

QStringList iptables(const QStringList &rest)
{
    return QStringList{QStringLiteral("iptables"), QStringLiteral("-w")} + rest;
}

// Puts RULE_TEXT into the simulated rules at POSITION (0: the end) of CHAIN.
bool simulateInsert(Ruleset &rs, const QString &chain, int position, const QString &ruleText,
                    QString *error)
{
    Table *t = rs.table(QStringLiteral("filter"));
    Chain *c = t ? t->chain(chain) : nullptr;
    if (!c) {
        *error = QStringLiteral("no chain %1 in the filter table").arg(chain);
        return false;
    }
    auto r = parseRule(ruleText, error);
    if (!r)
        return false;
    r->target.kind = Target::Kind::Accept;
    const int at = position > 0 ? position - 1 : c->rules.size();
    c->rules.insert(at, *r);
    for (int i = 0; i < c->rules.size(); ++i)
        c->rules[i].number = i + 1;
    return true;
}

bool chainHasRule(const Ruleset &rs, const QString &chain, const QString &ruleText)
{
    const Table *t = rs.filter();
    const Chain *c = t ? t->chain(chain) : nullptr;
    if (!c)
        return false;
    for (const Rule &r : c->rules) {
        if (r.text == ruleText)
            return true;
    }
    return false;
}

struct Place {
    QString chain;
    int position = 0; // 0: append
    QString why;
};

// Where an ACCEPT could go for the flow to be accepted, best first: before the rule that decides
// against it (or that it depends on), or, when a policy decides, at the end of the chain the
// packet left last. Each is checked on the simulated rules before it is used.
QList<Place> insertionPlaces(const Decision &d)
{
    QList<Place> out;
    if (d.chain.isEmpty())
        return out;
    if (d.verdict == Verdict::Unknown && d.rule > 0) {
        out << Place{d.chain, d.rule,
                     QStringLiteral("%1 rule %2 may decide otherwise (%3): Pier's rule goes just "
                                    "before it, so the answer no longer depends on it.")
                         .arg(d.chain)
                         .arg(d.rule)
                         .arg(d.ruleText)};
        return out;
    }
    if (d.rule > 0) {
        out << Place{d.chain, d.rule,
                     QStringLiteral("%1 rule %2 (%3) decides %4: Pier's rule goes just before it, "
                                    "where the tutorial's `iptables -A` would land after it and "
                                    "never match.")
                         .arg(d.chain)
                         .arg(d.rule)
                         .arg(d.ruleText, d.action)};
        return out;
    }
    // The policy decides: every rule on the way was passed. ufw keeps the user's rules in
    // ufw-user-input/-output, and the packet went through it to its end.
    for (const TraceStep &s : d.trace) {
        if ((s.chain == QLatin1String("ufw-user-input") ||
             s.chain == QLatin1String("ufw-user-output")) &&
            s.rule == 0 && s.chain != d.chain) {
            out << Place{s.chain, 0,
                         QStringLiteral("Nothing accepts it and the policy of %1 is %2; the packet "
                                        "goes through %3 to its end, where ufw keeps the user's "
                                        "rules: Pier appends its rule there.")
                             .arg(d.chain, d.action, s.chain)};
        }
    }
    out << Place{d.chain, 0,
                 QStringLiteral("Nothing in %1 accepts it and its policy is %2: Pier appends its "
                                "rule to %1.")
                     .arg(d.chain, d.action)};
    // After a goto from the built-in chain, its later rules are never reached: the rule goes where
    // the packet last was, before the RETURN or at the end of that chain.
    if (d.trace.size() >= 2) {
        const TraceStep &last = d.trace[d.trace.size() - 2];
        if (last.rule > 0 && last.note == QLatin1String("RETURN"))
            out << Place{last.chain, last.rule,
                         QStringLiteral("%1 rule %2 returns it to the policy %3 of %4: Pier's rule "
                                        "goes just before that RETURN.")
                             .arg(last.chain)
                             .arg(last.rule)
                             .arg(d.action, d.chain)};
        else if (last.rule == 0 && last.chain != d.chain)
            out << Place{last.chain, 0,
                         QStringLiteral("The packet leaves %1 at its end for the policy %2 of %3: "
                                        "Pier appends its rule to %1.")
                             .arg(last.chain, d.action, d.chain)};
    }
    return out;
}

// Accepted, or accepted unless a rule Pier cannot decide (and leaves alone) matches.
bool acceptedUnlessHidden(const Diagnosis &g)
{
    for (const Decision *d : {&g.newConnection, &g.established, &g.replies}) {
        if (d->verdict == Verdict::Accepted)
            continue;
        if (d->verdict == Verdict::Unknown && d->otherwise == Verdict::Accepted)
            continue;
        return false;
    }
    return g.verdict == Verdict::Accepted || g.notes.isEmpty() || g.verdict == g.decisive().verdict;
}

QString echoLine(const QString &text, bool toStderr = false)
{
    return QStringLiteral("echo %1%2")
        .arg(shellQuote(text), toStderr ? QStringLiteral(" >&2") : QString());
}

} // namespace

QList<Command> persistCommands(const Persistence &p)
{
    if (p.kind != Persistence::Kind::Debian && p.kind != Persistence::Kind::RedHat)
        return {};
    // Written beside and renamed: a failed iptables-save never leaves a truncated file.
    return {
        Command{{QStringLiteral("sh"), QStringLiteral("-c"),
                 QStringLiteral("iptables-save > %1 && mv -f %1 %2")
                     .arg(shellQuote(p.file + QStringLiteral(".pier-new")), shellQuote(p.file))},
                QStringLiteral("saves the rules to %1, which the node loads at boot").arg(p.file)}};
}

QList<Command> FixPlan::rollbackAfterFailureAt(int i) const
{
    QList<Command> out;
    for (int j = qMin(i, int(steps.size())) - 1; j >= 0; --j)
        out << steps[j].undo;
    return out;
}

QList<Command> FixPlan::undoCommands() const
{
    QList<Command> out = rollbackAfterFailureAt(steps.size());
    out += persist;
    return out;
}

QString FixPlan::applyScript() const
{
    QStringList s;
    s << QStringLiteral("set -u");
    if (nothingToDo || steps.isEmpty()) {
        s << echoLine(QStringLiteral("pier: nothing to do"));
        return s.join(QLatin1Char('\n')) + QLatin1Char('\n');
    }
    auto rollback = [&](int upTo, const QString &indent) {
        QStringList r;
        for (int j = upTo - 1; j >= 0; --j) {
            r << QStringLiteral("%1if [ \"$pier_added_%2\" = 1 ]; then %3 || %4; fi")
                     .arg(indent)
                     .arg(j + 1)
                     .arg(steps[j].undo.shell(),
                          echoLine(QStringLiteral("pier: could not remove %1: it is still there")
                                       .arg(steps[j].viaText()),
                                   true));
        }
        return r;
    };
    for (int i = 0; i < steps.size(); ++i) {
        const FixStep &st = steps[i];
        const QString what = st.viaText();
        s << QStringLiteral("pier_added_%1=0").arg(i + 1);
        const bool checkable = !st.check.argv.isEmpty();
        if (checkable)
            s << QStringLiteral("if %1 2>/dev/null; then %2; else")
                     .arg(st.check.shell(),
                          echoLine(QStringLiteral("pier: already there: ") + what));
        s << QStringLiteral("if %1; then pier_added_%2=1; %3; else")
                 .arg(st.apply.shell())
                 .arg(i + 1)
                 .arg(echoLine(QStringLiteral("pier: added: ") + what));
        s << QStringLiteral("  ") +
                 echoLine(QStringLiteral("pier: could not add %1; %2")
                              .arg(what, i == 0 ? QStringLiteral("nothing was changed")
                                                : QStringLiteral("undoing what this run added")),
                          true);
        s << rollback(i, QStringLiteral("  "));
        s << QStringLiteral("  exit 1");
        s << QStringLiteral("fi");
        if (checkable)
            s << QStringLiteral("fi");
    }
    for (const Command &c : persist) {
        s << QStringLiteral("if ! %1; then").arg(c.shell());
        s << QStringLiteral("  ") +
                 echoLine(QStringLiteral("pier: could not save the rules (%1); undoing what this "
                                         "run added")
                              .arg(persistence.file),
                          true);
        s << rollback(steps.size(), QStringLiteral("  "));
        s << QStringLiteral("  exit 2");
        s << QStringLiteral("fi");
    }
    s << echoLine(QStringLiteral("pier: done"));
    return s.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QString FixPlan::undoScript() const
{
    QStringList s;
    s << QStringLiteral("set -u") << QStringLiteral("pier_failed=0");
    for (int j = steps.size() - 1; j >= 0; --j) {
        const FixStep &st = steps[j];
        if (!st.check.argv.isEmpty())
            s << QStringLiteral("if %1 2>/dev/null; then %2 || pier_failed=1; fi")
                     .arg(st.check.shell(), st.undo.shell());
        else
            s << QStringLiteral("%1 || pier_failed=1").arg(st.undo.shell());
    }
    for (const Command &c : persist)
        s << QStringLiteral("%1 || pier_failed=1").arg(c.shell());
    s << QStringLiteral("exit $pier_failed");
    return s.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QString FixStep::viaText() const
{
    return apply.argv.value(0) == QLatin1String("ufw") ? apply.shell() : ruleText();
}

FixPlan planFix(const Ruleset &rules, const Query &query, const NodeFacts &facts,
                const FixOptions &options)
{
    FixPlan plan;
    plan.before = diagnose(rules, query);
    plan.rulesBefore = rules.specLines();
    plan.persistence = facts.persistence();
    if (plan.before.verdict == Verdict::Accepted) {
        plan.nothingToDo = true;
        plan.after = plan.before;
        plan.rulesAfter = plan.rulesBefore;
        plan.explanation = QStringLiteral("Nothing to do: %1").arg(plan.before.reason);
        return plan;
    }
    for (const ParseProblem &p : rules.problems)
        plan.problems << QStringLiteral("line %1 could not be read (%2): %3")
                             .arg(p.line)
                             .arg(p.message, p.text.trimmed());
    if (!plan.problems.isEmpty())
        return plan; // changing rules Pier has not fully read could do anything

    const QString port = QString::number(query.port);
    const QString to =
        options.onlyTo ? QStringLiteral(" to ") + addressText(*options.onlyTo) : QString();
    QStringList why;

    // ufw active: its own command is the fix. It places the rule in ufw-user-input and saves it,
    // and an iptables rule added behind its back would vanish at the next `ufw reload`.
    if (facts.ufwActive && options.useUfw && rules.filter() &&
        rules.filter()->chain(QStringLiteral("ufw-user-input"))) {
        Ruleset sim = rules;
        QString error;
        const QString dst = options.onlyTo ? Cidr{*options.onlyTo, 32}.toString() : QString();
        const QString in = QStringLiteral("-A ufw-user-input %1-p tcp -m tcp --dport %2 -j ACCEPT")
                               .arg(dst.isEmpty() ? QString() : QStringLiteral("-d %1 ").arg(dst))
                               .arg(port);
        simulateInsert(sim, QStringLiteral("ufw-user-input"), 0, in, &error);
        const QStringList target{
            QStringLiteral("proto"),
            QStringLiteral("tcp"),
            QStringLiteral("from"),
            QStringLiteral("any"),
            QStringLiteral("to"),
            options.onlyTo ? addressText(*options.onlyTo) : QStringLiteral("any"),
            QStringLiteral("port"),
            port};
        FixStep st;
        st.chain = QStringLiteral("ufw-user-input");
        st.ruleSpec = splitRuleWords(in).mid(2);
        st.apply = Command{QStringList{QStringLiteral("ufw"), QStringLiteral("allow")} + target +
                               QStringList{QStringLiteral("comment"),
                                           QStringLiteral("pier: open tcp/%1%2").arg(port, to)},
                           QStringLiteral("ufw adds the rule to ufw-user-input and saves it")};
        st.undo = Command{
            QStringList{QStringLiteral("ufw"), QStringLiteral("delete"), QStringLiteral("allow")} +
                target,
            QStringLiteral("removes the rule Pier added through ufw")};
        QList<FixStep> steps{st};
        if (evaluate(sim, query, Flow::Replies).verdict != Verdict::Accepted &&
            sim.filter()->chain(QStringLiteral("ufw-user-output"))) {
            const QString out =
                QStringLiteral("-A ufw-user-output -p tcp -m tcp --sport %1 -j ACCEPT").arg(port);
            simulateInsert(sim, QStringLiteral("ufw-user-output"), 0, out, &error);
            const QStringList outTarget{QStringLiteral("out"),
                                        QStringLiteral("proto"),
                                        QStringLiteral("tcp"),
                                        QStringLiteral("from"),
                                        QStringLiteral("any"),
                                        QStringLiteral("port"),
                                        port};
            FixStep o;
            o.chain = QStringLiteral("ufw-user-output");
            o.ruleSpec = splitRuleWords(out).mid(2);
            o.apply =
                Command{QStringList{QStringLiteral("ufw"), QStringLiteral("allow")} + outTarget +
                            QStringList{QStringLiteral("comment"),
                                        QStringLiteral("pier: replies of tcp/%1").arg(port)},
                        QStringLiteral("lets the replies out")};
            o.undo = Command{QStringList{QStringLiteral("ufw"), QStringLiteral("delete"),
                                         QStringLiteral("allow")} +
                                 outTarget,
                             QStringLiteral("removes the reply rule Pier added through ufw")};
            steps << o;
        }
        const Diagnosis after = diagnose(sim, query);
        if (after.verdict == Verdict::Accepted) {
            plan.viaUfw = true;
            plan.steps = steps;
            plan.after = after;
            plan.rulesAfter = sim.specLines();
            plan.explanation = QStringLiteral(
                "ufw is active: `ufw allow` puts the rule where ufw keeps the user's "
                "rules and saves it itself, so it survives `ufw reload` and "
                "reboots (an iptables rule added beside ufw would not).");
            return plan;
        }
        why << QStringLiteral("ufw is active, but `ufw allow` would not be enough (%1): Pier adds "
                              "iptables rules instead, which the next `ufw reload` removes.")
                   .arg(after.reason);
    }

    Ruleset sim = rules;
    struct Want {
        Flow flow;
        QStringList spec;
    };
    const QList<Want> wants{
        {Flow::New, incomingSpec(query, options, QStringLiteral("NEW,ESTABLISHED"),
                                 QStringLiteral("pier: open tcp/%1%2").arg(port, to))},
        {Flow::Established,
         incomingSpec(query, options, QStringLiteral("ESTABLISHED"),
                      QStringLiteral("pier: established tcp/%1%2").arg(port, to))},
        {Flow::Replies,
         repliesSpec(query, options, QStringLiteral("pier: replies of tcp/%1%2").arg(port, to))},
    };
    for (const Want &w : wants) {
        const Decision d = evaluate(sim, query, w.flow);
        if (d.verdict == Verdict::Accepted)
            continue;
        if (d.verdict == Verdict::Unknown && d.otherwise == Verdict::Accepted) {
            // Accepted unless something Pier cannot see says otherwise (a ban list, a rate
            // limit): overriding that rule is not Pier's call.
            why << QStringLiteral("The %1 is accepted unless %2 rule %3 matches (%4); Pier leaves "
                                  "that rule alone.")
                       .arg(flowName(w.flow), d.chain)
                       .arg(d.rule)
                       .arg(d.ruleText);
            continue;
        }
        FixStep st;
        QString where;
        Ruleset tried;
        for (const Place &p : insertionPlaces(d)) {
            FixStep candidate;
            candidate.chain = p.chain;
            candidate.position = p.position;
            candidate.ruleSpec = w.spec;
            Ruleset attempt = sim;
            QString error;
            if (!simulateInsert(attempt, p.chain, p.position, candidate.ruleText(), &error))
                continue;
            if (evaluate(attempt, query, w.flow).verdict == Verdict::Accepted) {
                st = candidate;
                where = p.why;
                tried = attempt;
                break;
            }
        }
        if (st.chain.isEmpty()) {
            plan.problems << QStringLiteral("Pier found no place for a rule that makes the %1 "
                                            "accepted: %2")
                                 .arg(flowName(w.flow), d.reason);
            return plan;
        }
        const QString chain = st.chain;
        const int position = st.position;
        const QString text = st.ruleText();
        // The same rule left further down by an earlier run would make `-C` skip the insert.
        const bool present = chainHasRule(sim, chain, text);
        if (!present)
            st.check = Command{iptables(QStringList{QStringLiteral("-C"), chain} + w.spec),
                               QStringLiteral("is the rule already there?")};
        st.apply =
            Command{iptables(position > 0 ? QStringList{QStringLiteral("-I"), chain,
                                                        QString::number(position)} +
                                                w.spec
                                          : QStringList{QStringLiteral("-A"), chain} + w.spec),
                    where};
        st.undo = Command{iptables(QStringList{QStringLiteral("-D"), chain} + w.spec),
                          QStringLiteral("removes the rule Pier added")};
        sim = tried;
        why << where;
        if (present)
            why << QStringLiteral("The same rule is already in %1 further down, where it does not "
                                  "help; Pier adds it again in the right place.")
                       .arg(chain);
        plan.steps << st;
    }
    plan.after = diagnose(sim, query);
    plan.rulesAfter = sim.specLines();
    if (!acceptedUnlessHidden(plan.after)) {
        plan.problems << QStringLiteral("after the planned rules the answer would still be %1: %2")
                             .arg(verdictName(plan.after.verdict), plan.after.reason);
        plan.steps.clear();
        return plan;
    }
    if (plan.steps.isEmpty()) {
        plan.nothingToDo = true;
        plan.explanation = why.join(QLatin1Char(' '));
        return plan;
    }
    if (options.persist) {
        plan.persist = persistCommands(plan.persistence);
        if (plan.persist.isEmpty())
            why << plan.persistence.description();
    }
    plan.explanation = why.join(QLatin1Char(' '));
    return plan;
}

namespace {

QJsonObject commandJson(const Command &c)
{
    return QJsonObject{{QStringLiteral("argv"), QJsonArray::fromStringList(c.argv)},
                       {QStringLiteral("shell"), c.shell()},
                       {QStringLiteral("why"), c.why}};
}

QJsonArray commandsJson(const QList<Command> &cmds)
{
    QJsonArray a;
    for (const Command &c : cmds)
        a.append(commandJson(c));
    return a;
}

} // namespace

QJsonObject toJson(const FixPlan &plan)
{
    QJsonArray steps;
    for (const FixStep &s : plan.steps) {
        QJsonObject o{{QStringLiteral("chain"), s.chain},
                      {QStringLiteral("position"), s.position},
                      {QStringLiteral("rule"), s.ruleText()},
                      {QStringLiteral("apply"), commandJson(s.apply)},
                      {QStringLiteral("undo"), commandJson(s.undo)}};
        if (!s.check.argv.isEmpty())
            o.insert(QStringLiteral("check"), commandJson(s.check));
        steps.append(o);
    }
    return QJsonObject{
        {QStringLiteral("nothing_to_do"), plan.nothingToDo},
        {QStringLiteral("via_ufw"), plan.viaUfw},
        {QStringLiteral("explanation"), plan.explanation},
        {QStringLiteral("problems"), QJsonArray::fromStringList(plan.problems)},
        {QStringLiteral("steps"), steps},
        {QStringLiteral("persist"), commandsJson(plan.persist)},
        {QStringLiteral("persistence"), plan.persistence.description()},
        {QStringLiteral("undo"), commandsJson(plan.undoCommands())},
        {QStringLiteral("rules_before"), QJsonArray::fromStringList(plan.rulesBefore)},
        {QStringLiteral("rules_after"), QJsonArray::fromStringList(plan.rulesAfter)},
        {QStringLiteral("before"), toJson(plan.before)},
        {QStringLiteral("after"), toJson(plan.after)}};
}

QList<Command> undoAllPierRules(const Ruleset &rules)
{
    QList<Command> out;
    const Table *t = rules.filter();
    if (!t)
        return out;
    for (const QString &name : t->chainOrder) {
        const Chain &c = t->chains[name];
        for (int i = c.rules.size() - 1; i >= 0; --i) {
            const Rule &r = c.rules[i];
            if (!r.comment().startsWith(QLatin1String(kPierCommentPrefix)))
                continue;
            out << Command{
                iptables(QStringList{QStringLiteral("-D"), name} + splitRuleWords(r.text).mid(2)),
                QStringLiteral("removes %1 rule %2, which Pier added").arg(name).arg(r.number)};
        }
    }
    return out;
}

} // namespace pier::firewall
