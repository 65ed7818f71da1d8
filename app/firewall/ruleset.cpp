#include "firewall/ruleset.h"

#include <QRegularExpression>

namespace pier::firewall {

QString Cidr::toString() const
{
    const QString a = QStringLiteral("%1.%2.%3.%4")
                          .arg(address >> 24)
                          .arg((address >> 16) & 0xff)
                          .arg((address >> 8) & 0xff)
                          .arg(address & 0xff);
    return a + QLatin1Char('/') + QString::number(prefix);
}

std::optional<quint32> Cidr::parseAddress(const QString &text)
{
    const QStringList parts = text.split(QLatin1Char('.'));
    if (parts.size() != 4)
        return std::nullopt;
    quint32 a = 0;
    for (const QString &p : parts) {
        bool ok = false;
        const uint v = p.toUInt(&ok);
        if (!ok || v > 255 || p.isEmpty())
            return std::nullopt;
        a = (a << 8) | v;
    }
    return a;
}

std::optional<Cidr> Cidr::parse(const QString &text)
{
    const int slash = text.indexOf(QLatin1Char('/'));
    const auto addr = parseAddress(slash < 0 ? text : text.left(slash));
    if (!addr)
        return std::nullopt;
    int prefix = 32;
    if (slash >= 0) {
        const QString m = text.mid(slash + 1);
        bool ok = false;
        prefix = m.toInt(&ok);
        if (!ok) {
            // A dotted mask: only contiguous ones are meaningful to iptables-save's output.
            const auto mask = parseAddress(m);
            if (!mask)
                return std::nullopt;
            prefix = 0;
            while (prefix < 32 && (*mask & (0x80000000u >> prefix)))
                ++prefix;
            if (prefix < 32 && (*mask << prefix) != 0)
                return std::nullopt;
        } else if (prefix < 0 || prefix > 32) {
            return std::nullopt;
        }
    }
    Cidr c;
    c.prefix = prefix;
    c.address = *addr & c.mask();
    return c;
}

const MatchOption *Match::option(const QString &name) const
{
    for (const MatchOption &o : options) {
        if (o.name == name)
            return &o;
    }
    return nullptr;
}

QString quoteRuleWord(const QString &word)
{
    if (!word.isEmpty() && !word.contains(QLatin1Char(' ')) && !word.contains(QLatin1Char('"')) &&
        !word.contains(QLatin1Char('\t')))
        return word;
    QString q = word;
    q.replace(QLatin1Char('\\'), QLatin1String("\\\\"))
        .replace(QLatin1Char('"'), QLatin1String("\\\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

QString Match::text() const
{
    QStringList w{QStringLiteral("-m"), module};
    for (const MatchOption &o : options) {
        if (o.negated)
            w << QStringLiteral("!");
        w << QStringLiteral("--") + o.name;
        for (const QString &v : o.values)
            w << quoteRuleWord(v);
    }
    return w.join(QLatin1Char(' '));
}

QString Target::arg(const QString &option) const
{
    const int i = args.indexOf(QStringLiteral("--") + option);
    return i >= 0 ? args.value(i + 1) : QString();
}

QString Rule::comment() const
{
    const Match *m = match(QStringLiteral("comment"));
    const MatchOption *o = m ? m->option(QStringLiteral("comment")) : nullptr;
    return o ? o->value() : QString();
}

const Match *Rule::match(const QString &module) const
{
    for (const Match &m : matches) {
        if (m.module == module)
            return &m;
    }
    return nullptr;
}

const Chain *Table::chain(const QString &name) const
{
    auto it = chains.constFind(name);
    return it == chains.constEnd() ? nullptr : &*it;
}

Chain *Table::chain(const QString &name)
{
    auto it = chains.find(name);
    return it == chains.end() ? nullptr : &*it;
}

int Table::ruleCount() const
{
    int n = 0;
    for (const Chain &c : chains)
        n += c.rules.size();
    return n;
}

QString backendName(Backend b)
{
    switch (b) {
    case Backend::Legacy:
        return QStringLiteral("legacy");
    case Backend::Nft:
        return QStringLiteral("nf_tables");
    case Backend::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

const Table *Ruleset::table(const QString &name) const
{
    for (const Table &t : tables) {
        if (t.name == name)
            return &t;
    }
    return nullptr;
}

Table *Ruleset::table(const QString &name)
{
    for (Table &t : tables) {
        if (t.name == name)
            return &t;
    }
    return nullptr;
}

QStringList Ruleset::specLines(const QString &tableName) const
{
    QStringList out;
    const Table *t = table(tableName);
    if (!t)
        return out;
    for (const QString &name : t->chainOrder) {
        const Chain &c = t->chains[name];
        out << (c.builtin ? QStringLiteral("-P %1 %2").arg(name, c.policy)
                          : QStringLiteral("-N %1").arg(name));
    }
    for (const QString &name : t->chainOrder) {
        for (const Rule &r : t->chains[name].rules)
            out << r.text;
    }
    return out;
}

QStringList splitRuleWords(const QString &line, QString *error)
{
    QStringList words;
    QString cur;
    bool inWord = false, quoted = false;
    for (int i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (quoted) {
            if (c == QLatin1Char('\\') && i + 1 < line.size() &&
                (line[i + 1] == QLatin1Char('"') || line[i + 1] == QLatin1Char('\\'))) {
                cur += line[++i];
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                cur += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = inWord = true;
        } else if (c.isSpace()) {
            if (inWord)
                words << cur;
            cur.clear();
            inWord = false;
        } else {
            cur += c;
            inWord = true;
        }
    }
    if (quoted && error)
        *error = QStringLiteral("unterminated quote");
    if (inWord)
        words << cur;
    return words;
}

namespace {

bool isProtocolModule(const QString &p)
{
    return p == QLatin1String("tcp") || p == QLatin1String("udp") || p == QLatin1String("icmp") ||
           p == QLatin1String("sctp") || p == QLatin1String("udplite") ||
           p == QLatin1String("dccp");
}

void classifyTarget(Target &t, const Table *table)
{
    if (t.kind == Target::Kind::Goto || t.name.isEmpty())
        return;
    const QString &n = t.name;
    if (table && table->chain(n) && !table->chain(n)->builtin)
        t.kind = Target::Kind::Jump;
    else if (n == QLatin1String("ACCEPT"))
        t.kind = Target::Kind::Accept;
    else if (n == QLatin1String("DROP"))
        t.kind = Target::Kind::Drop;
    else if (n == QLatin1String("REJECT"))
        t.kind = Target::Kind::Reject;
    else if (n == QLatin1String("RETURN"))
        t.kind = Target::Kind::Return;
    else if (n == QLatin1String("LOG") || n == QLatin1String("NFLOG") || n == QLatin1String("ULOG"))
        t.kind = Target::Kind::Log;
    else
        t.kind = Target::Kind::Other;
}

} // namespace

std::optional<Rule> parseRule(const QString &line, QString *error)
{
    QString splitError;
    const QStringList w = splitRuleWords(line, &splitError);
    auto fail = [&](const QString &m) {
        if (error)
            *error = m;
        return std::nullopt;
    };
    if (!splitError.isEmpty())
        return fail(splitError);
    if (w.size() < 2 || (w[0] != QLatin1String("-A") && w[0] != QLatin1String("--append")))
        return fail(QStringLiteral("not a rule (\"-A CHAIN ...\")"));
    Rule r;
    r.chain = w[1];
    r.text = line.trimmed();
    bool neg = false;
    Match *current = nullptr;
    auto value = [&](int &i) -> std::optional<QString> {
        if (i + 1 >= w.size())
            return std::nullopt;
        return w[++i];
    };
    for (int i = 2; i < w.size(); ++i) {
        const QString &t = w[i];
        if (t == QLatin1String("!")) {
            neg = true;
            continue;
        }
        auto header = [&](std::optional<Negatable> &field) -> bool {
            const auto v = value(i);
            if (!v)
                return false;
            field = Negatable{neg, *v};
            neg = false;
            return true;
        };
        if (t == QLatin1String("-s") || t == QLatin1String("--source") ||
            t == QLatin1String("--src")) {
            if (!header(r.source))
                return fail(QStringLiteral("%1 without an address").arg(t));
            r.sourceCidr = Cidr::parse(r.source->value);
            if (!r.sourceCidr)
                return fail(QStringLiteral("cannot read the address \"%1\"").arg(r.source->value));
        } else if (t == QLatin1String("-d") || t == QLatin1String("--destination") ||
                   t == QLatin1String("--dst")) {
            if (!header(r.destination))
                return fail(QStringLiteral("%1 without an address").arg(t));
            r.destinationCidr = Cidr::parse(r.destination->value);
            if (!r.destinationCidr)
                return fail(
                    QStringLiteral("cannot read the address \"%1\"").arg(r.destination->value));
        } else if (t == QLatin1String("-p") || t == QLatin1String("--protocol")) {
            if (!header(r.protocol))
                return fail(QStringLiteral("-p without a protocol"));
            r.protocol->value = r.protocol->value.toLower();
            current = nullptr;
        } else if (t == QLatin1String("-i") || t == QLatin1String("--in-interface")) {
            if (!header(r.inInterface))
                return fail(QStringLiteral("-i without an interface"));
        } else if (t == QLatin1String("-o") || t == QLatin1String("--out-interface")) {
            if (!header(r.outInterface))
                return fail(QStringLiteral("-o without an interface"));
        } else if (t == QLatin1String("-f") || t == QLatin1String("--fragment")) {
            r.fragment = !neg;
            neg = false;
        } else if (t == QLatin1String("-c") || t == QLatin1String("--set-counters")) {
            i += 2; // counters, not a match
        } else if (t == QLatin1String("-m") || t == QLatin1String("--match")) {
            const auto v = value(i);
            if (!v)
                return fail(QStringLiteral("-m without a module"));
            r.matches.append(Match{*v, {}});
            current = &r.matches.last();
        } else if (t == QLatin1String("-j") || t == QLatin1String("--jump") ||
                   t == QLatin1String("-g") || t == QLatin1String("--goto")) {
            const auto v = value(i);
            if (!v)
                return fail(QStringLiteral("%1 without a target").arg(t));
            r.target.name = *v;
            if (t == QLatin1String("-g") || t == QLatin1String("--goto"))
                r.target.kind = Target::Kind::Goto;
            else
                r.target.kind = Target::Kind::Other; // refined once the table's chains are known
            r.target.args = w.mid(i + 1);
            break;
        } else if (t.startsWith(QLatin1String("--"))) {
            if (!current) {
                // "-p tcp --dport 80" without "-m tcp": the protocol's implicit match.
                if (!r.protocol || !isProtocolModule(r.protocol->value))
                    return fail(QStringLiteral("the option %1 belongs to no match").arg(t));
                const QString module = r.protocol->value;
                bool found = false;
                for (Match &m : r.matches) {
                    if (m.module == module) {
                        current = &m;
                        found = true;
                    }
                }
                if (!found) {
                    r.matches.append(Match{module, {}});
                    current = &r.matches.last();
                }
            }
            MatchOption o;
            o.name = t.mid(2);
            o.negated = neg;
            neg = false;
            // A comment is free text: it may start with "-".
            const bool freeText = o.name == QLatin1String("comment");
            if (freeText && i + 1 < w.size())
                o.values << w[++i];
            while (!freeText && i + 1 < w.size() && !w[i + 1].startsWith(QLatin1Char('-'))) {
                if (w[i + 1] == QLatin1String("!")) {
                    // Old syntax "--state ! NEW"; otherwise the "!" belongs to the next option.
                    if (!o.values.isEmpty() || i + 2 >= w.size() ||
                        w[i + 2].startsWith(QLatin1Char('-')))
                        break;
                    o.negated = true;
                    ++i;
                    continue;
                }
                o.values << w[++i];
            }
            current->options.append(o);
        } else {
            return fail(QStringLiteral("unexpected word \"%1\"").arg(t));
        }
    }
    if (neg)
        return fail(QStringLiteral("\"!\" with nothing after it"));
    classifyTarget(r.target, nullptr);
    return r;
}

namespace {

// Shared by both formats: turns lines into tables, reporting what it cannot read.
class Reader {
public:
    explicit Reader(Ruleset &rs) : m_rs(rs) {}

    void beginTable(const QString &name, int line, const QString &text)
    {
        if (m_rs.table(name))
            problem(line, text, QStringLiteral("the table %1 appears twice").arg(name));
        m_rs.tables.append(Table{name, {}, {}});
        m_table = &m_rs.tables.last();
    }

    void endTable() { m_table = nullptr; }
    Table *table() const { return m_table; }

    void declareChain(const QString &name, const QString &policy, int line, const QString &text)
    {
        if (!m_table)
            return problem(line, text,
                           QStringLiteral("a chain outside of a table (no \"*filter\")"));
        if (m_table->chain(name))
            return problem(line, text, QStringLiteral("the chain %1 is declared twice").arg(name));
        Chain c;
        c.name = name;
        c.builtin = policy != QLatin1String("-") && !policy.isEmpty();
        c.policy = c.builtin ? policy : QString();
        if (c.builtin && policy != QLatin1String("ACCEPT") && policy != QLatin1String("DROP"))
            problem(line, text, QStringLiteral("unknown policy \"%1\"").arg(policy));
        m_table->chains.insert(name, c);
        m_table->chainOrder << name;
    }

    void setPolicy(const QString &name, const QString &policy, int line, const QString &text)
    {
        if (Chain *c = m_table ? m_table->chain(name) : nullptr) {
            c->builtin = true;
            c->policy = policy;
        } else {
            declareChain(name, policy, line, text);
        }
    }

    void addRule(const QString &ruleText, int line, const QString &text)
    {
        if (!m_table)
            return problem(line, text,
                           QStringLiteral("a rule outside of a table (no \"*filter\")"));
        QString error;
        auto r = parseRule(ruleText, &error);
        if (!r)
            return problem(line, text, error);
        Chain *c = m_table->chain(r->chain);
        if (!c) {
            problem(line, text,
                    QStringLiteral("the chain %1 is used before it is declared").arg(r->chain));
            declareChain(r->chain, QStringLiteral("-"), line, text);
            c = m_table->chain(r->chain);
        }
        r->line = line;
        r->number = c->rules.size() + 1;
        c->rules.append(*r);
    }

    // Jumps can only be told from targets once every chain of the table is known.
    void resolveTargets()
    {
        for (Table &t : m_rs.tables) {
            for (Chain &c : t.chains) {
                for (Rule &r : c.rules) {
                    classifyTarget(r.target, &t);
                    if ((r.target.kind == Target::Kind::Goto) && !t.chain(r.target.name))
                        problem(r.line, r.text,
                                QStringLiteral("goto to the missing chain %1").arg(r.target.name));
                }
            }
        }
    }

    void problem(int line, const QString &text, const QString &message)
    {
        m_rs.problems.append(ParseProblem{line, text, message});
    }

private:
    Ruleset &m_rs;
    Table *m_table = nullptr;
};

const QRegularExpression &countersPrefix()
{
    static const QRegularExpression re(QStringLiteral("^\\[\\d+:\\d+\\]\\s+"));
    return re;
}

void readComment(Ruleset &rs, const QString &line)
{
    if (line.startsWith(QLatin1String("# Warning"))) {
        rs.warnings << line.mid(2).trimmed();
        if (line.contains(QLatin1String("legacy tables present")))
            rs.legacyTablesPresent = true;
    } else if (line.startsWith(QLatin1String("# Generated by"))) {
        if (line.contains(QLatin1String("nf_tables")) || line.contains(QLatin1String("-nft-")))
            rs.backend = Backend::Nft;
        else if (line.contains(QLatin1String("iptables")))
            rs.backend = Backend::Legacy;
    }
}

} // namespace

Ruleset parseIptablesSave(const QString &text)
{
    Ruleset rs;
    Reader reader(rs);
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (int n = 0; n < lines.size(); ++n) {
        const QString raw = lines[n];
        QString line = raw.trimmed();
        const int lineNo = n + 1;
        if (line.isEmpty())
            continue;
        if (line.startsWith(QLatin1Char('#'))) {
            readComment(rs, line);
            continue;
        }
        if (line.startsWith(QLatin1Char('*'))) {
            if (reader.table())
                reader.problem(lineNo, raw, QStringLiteral("a new table before COMMIT"));
            reader.beginTable(line.mid(1).trimmed(), lineNo, raw);
            continue;
        }
        if (line == QLatin1String("COMMIT")) {
            if (!reader.table())
                reader.problem(lineNo, raw, QStringLiteral("COMMIT without a table"));
            reader.endTable();
            continue;
        }
        if (line.startsWith(QLatin1Char(':'))) {
            const QStringList w = line.mid(1).split(QLatin1Char(' '), Qt::SkipEmptyParts);
            if (w.size() < 2) {
                reader.problem(lineNo, raw, QStringLiteral("a chain line without a policy"));
                continue;
            }
            reader.declareChain(w[0], w[1], lineNo, raw);
            continue;
        }
        line.remove(countersPrefix());
        if (line.startsWith(QLatin1String("-A ")))
            reader.addRule(line, lineNo, raw);
        else
            reader.problem(lineNo, raw, QStringLiteral("not an iptables-save line"));
    }
    if (reader.table())
        reader.problem(lines.size(), QString(),
                       QStringLiteral("the table %1 has no COMMIT (truncated output?)")
                           .arg(reader.table()->name));
    reader.resolveTargets();
    return rs;
}

Ruleset parseIptablesS(const QString &text, const QString &tableName)
{
    Ruleset rs;
    Reader reader(rs);
    reader.beginTable(tableName, 0, QString());
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (int n = 0; n < lines.size(); ++n) {
        const QString raw = lines[n];
        const QString line = raw.trimmed();
        const int lineNo = n + 1;
        if (line.isEmpty())
            continue;
        if (line.startsWith(QLatin1Char('#'))) {
            readComment(rs, line);
            continue;
        }
        const QStringList w = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (w[0] == QLatin1String("-P") && w.size() >= 3)
            reader.setPolicy(w[1], w[2], lineNo, raw);
        else if (w[0] == QLatin1String("-N") && w.size() >= 2)
            reader.declareChain(w[1], QStringLiteral("-"), lineNo, raw);
        else if (w[0] == QLatin1String("-A"))
            reader.addRule(line, lineNo, raw);
        else
            reader.problem(lineNo, raw, QStringLiteral("not an `iptables -S` line"));
    }
    reader.resolveTargets();
    return rs;
}

QString normalizedSave(const QString &text)
{
    static const QRegularExpression chainCounters(QStringLiteral("\\s\\[\\d+:\\d+\\]$"));
    QStringList out;
    for (QString line : text.split(QLatin1Char('\n'))) {
        line = line.trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        line.remove(countersPrefix());
        if (line.startsWith(QLatin1Char(':')))
            line.replace(chainCounters, QStringLiteral(" [0:0]"));
        out << line;
    }
    return out.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

} // namespace pier::firewall
