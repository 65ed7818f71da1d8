#include "nodes/nodefirewalljob.h"

#include "ssh/sshsession.h"

#include <QJsonArray>

namespace pier::nodes {

using namespace firewall;

namespace {

// Sudo's secure_path has the sbin dirs, a root login's PATH may not.
const QString kPath = QStringLiteral("PATH=\"$PATH:/usr/sbin:/sbin\"; export PATH\n");

// Between the two parts of one command's output: what ran first, then `iptables-save`, so a
// warm session needs one round trip to read and one to change and re-read.
const QByteArray kMarker = "--- pier: iptables-save ---";

QString thenSave(const QString &first)
{
    return first + QStringLiteral("\necho '%1'\niptables-save\n").arg(QLatin1String(kMarker));
}

// The script's own exit status survives the rules being read after it.
QString thenSaveKeepingStatus(const QString &script)
{
    return QStringLiteral("(\n%1)\npier_rc=$?\necho '%2'\niptables-save\nexit $pier_rc\n")
        .arg(script, QLatin1String(kMarker));
}

QString oneLine(const Diagnosis &g)
{
    return QStringLiteral("%1 — %2").arg(verdictName(g.verdict), g.decisive().summary());
}

} // namespace

QString actionName(FirewallAction a)
{
    switch (a) {
    case FirewallAction::Diagnose:
        return QStringLiteral("diagnose");
    case FirewallAction::Open:
        return QStringLiteral("open");
    case FirewallAction::Undo:
        return QStringLiteral("undo");
    }
    return {};
}

QString LogEntry::toText() const
{
    static const char *prefix[] = {"$ ", "  ", "! ", "# ", "error: "};
    return time.toString(QStringLiteral("HH:mm:ss.zzz ")) + QLatin1String(prefix[int(kind)]) + text;
}

QJsonObject FirewallOutcome::toJson(const Node &node, quint16 port) const
{
    QJsonObject o;
    o.insert(QStringLiteral("node"), node.name);
    o.insert(QStringLiteral("address"), node.address);
    o.insert(QStringLiteral("port"), int(port));
    o.insert(QStringLiteral("ok"), ok);
    o.insert(QStringLiteral("changed"), changed);
    o.insert(QStringLiteral("message"), message);
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    if (diagnosed) {
        const Diagnosis &g = current();
        const Decision &d = g.decisive();
        o.insert(QStringLiteral("verdict"), verdictName(g.verdict));
        o.insert(QStringLiteral("chain"), d.chain);
        o.insert(QStringLiteral("rule"), d.rule);
        o.insert(QStringLiteral("rule_text"), d.ruleText);
        o.insert(QStringLiteral("reason"), g.reason.isEmpty() ? d.reason : g.reason);
        o.insert(QStringLiteral("diagnosis"), firewall::toJson(g));
        if (verified)
            o.insert(QStringLiteral("before"), firewall::toJson(before));
    } else {
        o.insert(QStringLiteral("verdict"), QStringLiteral("unknown"));
        o.insert(QStringLiteral("reason"), error);
    }
    if (!rulesBefore.isEmpty())
        o.insert(QStringLiteral("rules_before"), QJsonArray::fromStringList(rulesBefore));
    if (!rulesAfter.isEmpty())
        o.insert(QStringLiteral("rules_after"), QJsonArray::fromStringList(rulesAfter));
    return o;
}

NodeFirewallJob::NodeFirewallJob(ssh::SshSession *session, const Node &node,
                                 const FirewallRequest &request, QObject *parent)
    : QObject(parent), m_session(session), m_node(node), m_request(request)
{
}

NodeFirewallJob::~NodeFirewallJob()
{
    if (m_command)
        m_command->cancel();
}

int NodeFirewallJob::totalSteps() const
{
    return m_request.action == FirewallAction::Diagnose ? 1 : 2;
}

void NodeFirewallJob::log(LogEntry::Kind kind, const QString &text)
{
    LogEntry e{QDateTime::currentDateTime(), kind, text};
    m_log << e;
    emit logged(e);
}

Query NodeFirewallJob::query() const
{
    Query q;
    q.port = m_request.port;
    q.source = m_request.from;
    q.internal = m_request.internal;
    q.destination = m_request.onlyTo;
    return q;
}

void NodeFirewallJob::start()
{
    if (m_stage != Stage::Idle)
        return;
    if (!m_session) {
        fail(QStringLiteral("No SSH session to %1.").arg(m_node.name));
        return;
    }
    runRoot(Stage::Probe, QStringLiteral("Reading the rules"),
            QStringLiteral("(look for iptables, ufw and saved rules)"), thenSave(probeScript()));
    log(LogEntry::Kind::Command, QStringLiteral("iptables-save")); // output arrives later
}

void NodeFirewallJob::cancel()
{
    if (m_finished)
        return;
    m_cancelled = true;
    if (m_command)
        m_command->cancel();
    else
        fail(QStringLiteral("Cancelled."));
}

void NodeFirewallJob::runRoot(Stage stage, const QString &what, const QString &display,
                              const QString &script)
{
    m_stage = stage;
    emit progress(m_done, totalSteps(), what);
    log(LogEntry::Kind::Info, what);
    if (!display.isEmpty())
        log(LogEntry::Kind::Command, display);
    m_out.clear();
    m_err.clear();
    m_outLine.clear();
    m_errLine.clear();
    m_command = m_session->runAsRoot(kPath + script, m_request.commandTimeoutMs);
    auto lines = [this](QByteArray *pending, const QByteArray &data, LogEntry::Kind kind) {
        *pending += data;
        int nl;
        while ((nl = pending->indexOf('\n')) >= 0) {
            log(kind, QString::fromUtf8(pending->left(nl)));
            pending->remove(0, nl + 1);
        }
    };
    connect(m_command, &ssh::SshCommand::stdoutData, this, [=](const QByteArray &d) {
        m_out += d;
        lines(&m_outLine, d, LogEntry::Kind::Stdout);
    });
    connect(m_command, &ssh::SshCommand::stderrData, this, [=](const QByteArray &d) {
        m_err += d;
        lines(&m_errLine, d, LogEntry::Kind::Stderr);
    });
    connect(m_command, &ssh::SshCommand::finished, this, [this](const ssh::SshCommandResult &r) {
        if (!m_outLine.isEmpty())
            log(LogEntry::Kind::Stdout, QString::fromUtf8(m_outLine));
        if (!m_errLine.isEmpty())
            log(LogEntry::Kind::Stderr, QString::fromUtf8(m_errLine));
        m_outLine.clear();
        m_errLine.clear();
        if (m_command)
            m_command->deleteLater();
        m_command = nullptr;
        stageDone(r);
    });
}

void NodeFirewallJob::stageDone(const ssh::SshCommandResult &r)
{
    const Stage stage = m_stage;
    ++m_done;
    if (m_cancelled) {
        fail(stage == Stage::Apply
                 ? QStringLiteral("Cancelled while the rules were being changed: the node may hold "
                                  "part of the change. Diagnose shows its state; Undo removes "
                                  "Pier's rules.")
                 : QStringLiteral("Cancelled; nothing was changed on the node."));
        return;
    }
    const int marker = m_out.indexOf(kMarker);
    const QByteArray first = marker < 0 ? m_out : m_out.left(marker);
    m_saved = marker < 0 ? QByteArray() : m_out.mid(marker + kMarker.size());
    if (stage == Stage::Apply) {
        afterApply(r);
        return;
    }
    // Probe: the tools first (a missing iptables says more than iptables-save failing), unless
    // the command could not run at all (no connection, sudo wanting a password).
    if (r.status != ssh::SshCommandResult::Status::Exited || marker < 0) {
        QString why = r.error.isEmpty() ? r.summary() : r.error;
        if (!m_err.trimmed().isEmpty() && r.error.isEmpty())
            why += QStringLiteral(": ") +
                   QString::fromUtf8(m_err.trimmed()).section(QLatin1Char('\n'), 0, 0);
        fail(QStringLiteral("Could not run commands on %1: %2").arg(m_node.name, why));
        return;
    }
    m_outcome.facts = parseProbe(QString::fromUtf8(first));
    if (!m_outcome.facts.problems.isEmpty()) {
        fail(QStringLiteral("%1: %2").arg(m_node.name,
                                          m_outcome.facts.problems.join(QStringLiteral("; "))));
        return;
    }
    if (!r.ok()) {
        fail(QStringLiteral("Could not read the rules on %1: %2 %3")
                 .arg(m_node.name, r.summary(),
                      QString::fromUtf8(m_err.trimmed()).section(QLatin1Char('\n'), -1)));
        return;
    }
    afterProbe();
}

void NodeFirewallJob::afterProbe()
{
    const NodeFacts &f = m_outcome.facts;
    log(LogEntry::Kind::Info,
        QStringLiteral("%1; %2").arg(f.iptablesVersion, f.persistence().description()));
    afterReadBefore();
}

void NodeFirewallJob::afterReadBefore()
{
    const Ruleset rules = parseIptablesSave(QString::fromUtf8(m_saved));
    if (!rules.filter()) {
        fail(QStringLiteral("%1: iptables-save printed no filter table, so Pier cannot tell what "
                            "the rules do. Run `iptables-save` on the node to see why.")
                 .arg(m_node.name));
        return;
    }
    m_outcome.rulesBefore = rules.specLines();
    m_outcome.before = diagnose(rules, query());
    m_outcome.diagnosed = true;
    log(LogEntry::Kind::Info,
        QStringLiteral("Port %1: %2").arg(m_request.port).arg(oneLine(m_outcome.before)));
    for (const QString &n : m_outcome.before.notes)
        log(LogEntry::Kind::Info, n);

    switch (m_request.action) {
    case FirewallAction::Diagnose:
        succeed(QStringLiteral("Port %1: %2").arg(m_request.port).arg(oneLine(m_outcome.before)));
        return;
    case FirewallAction::Open: {
        FixOptions o;
        o.onlyTo = m_request.onlyTo;
        o.persist = m_request.persist;
        m_outcome.plan = planFix(rules, query(), m_outcome.facts, o);
        const FixPlan &p = m_outcome.plan;
        if (!p.ok()) {
            fail(QStringLiteral("%1: no safe change found: %2")
                     .arg(m_node.name, p.problems.join(QStringLiteral("; "))));
            return;
        }
        if (p.nothingToDo) {
            m_done = totalSteps();
            succeed(QStringLiteral("Port %1 is already open: %2")
                        .arg(m_request.port)
                        .arg(oneLine(m_outcome.before)));
            return;
        }
        if (!p.explanation.isEmpty())
            log(LogEntry::Kind::Info, p.explanation);
        runRoot(Stage::Apply, QStringLiteral("Opening port %1").arg(m_request.port),
                p.applyScript().trimmed() + QStringLiteral("\niptables-save"),
                thenSaveKeepingStatus(p.applyScript()));
        return;
    }
    case FirewallAction::Undo: {
        m_undoCommands = undoAllPierRules(rules);
        if (m_undoCommands.isEmpty()) {
            m_done = totalSteps();
            succeed(QStringLiteral("No rule of Pier on %1: nothing to undo.").arg(m_node.name));
            return;
        }
        QStringList s;
        s << QStringLiteral("failed=0");
        for (const Command &c : std::as_const(m_undoCommands))
            s << QStringLiteral("%1 || failed=1").arg(c.shell());
        // Save again only where Pier's rules were saved, so undo persists nothing else.
        const Persistence per = m_outcome.facts.persistence();
        const QList<Command> save = persistCommands(per);
        if (!save.isEmpty() && !per.file.isEmpty()) {
            QStringList saveShell;
            for (const Command &c : save)
                saveShell << c.shell();
            s << QStringLiteral("if grep -q %1 %2 2>/dev/null; then { %3; } || failed=2; fi")
                     .arg(shellQuote(QLatin1String(kPierCommentPrefix)), shellQuote(per.file),
                          saveShell.join(QStringLiteral(" && ")));
        }
        s << QStringLiteral("exit $failed");
        const QString script = s.join(QLatin1Char('\n'));
        runRoot(Stage::Apply,
                QStringLiteral("Removing Pier's %1 rule(s)").arg(m_undoCommands.size()),
                script + QStringLiteral("\niptables-save"), thenSaveKeepingStatus(script));
        return;
    }
    }
}

void NodeFirewallJob::afterApply(const ssh::SshCommandResult &r)
{
    const QString err = QString::fromUtf8(m_err.trimmed()).section(QLatin1Char('\n'), -1);
    if (m_request.action == FirewallAction::Open) {
        if (!r.ok()) {
            if (r.status == ssh::SshCommandResult::Status::Exited && r.exitStatus == 1)
                fail(QStringLiteral("%1: a rule could not be added (%2); nothing was changed.")
                         .arg(m_node.name, err));
            else if (r.status == ssh::SshCommandResult::Status::Exited && r.exitStatus == 2)
                fail(QStringLiteral("%1: the rules could not be saved to %2 (%3); the added rules "
                                    "were removed again, nothing was changed.")
                         .arg(m_node.name, m_outcome.plan.persistence.file, err));
            else
                fail(QStringLiteral("%1: the change did not finish (%2); the node may hold part of "
                                    "it. Diagnose shows its state; Undo removes Pier's rules.")
                         .arg(m_node.name, r.error.isEmpty() ? r.summary() : r.error));
            return;
        }
        m_outcome.changed = QString::fromUtf8(m_out.left(m_out.indexOf(kMarker)))
                                .contains(QLatin1String("pier: added"));
    } else {
        if (!r.ok()) {
            fail(QStringLiteral("%1: %2 Diagnose shows what is left.")
                     .arg(m_node.name,
                          r.status == ssh::SshCommandResult::Status::Exited && r.exitStatus == 2
                              ? QStringLiteral(
                                    "Pier's rules were removed but saving the rules failed (%1).")
                                    .arg(err)
                              : QStringLiteral("not every rule of Pier could be removed (%1).")
                                    .arg(err.isEmpty() ? r.summary() : err)));
            return;
        }
        m_outcome.changed = true;
    }
    afterReadAfter();
}

void NodeFirewallJob::afterReadAfter()
{
    const Ruleset rules = parseIptablesSave(QString::fromUtf8(m_saved));
    if (!rules.filter()) {
        fail(QStringLiteral("%1: the change was made, but reading the rules again failed; Diagnose "
                            "shows them.")
                 .arg(m_node.name));
        return;
    }
    m_outcome.rulesAfter = rules.specLines();
    m_outcome.after = diagnose(rules, query());
    m_outcome.verified = true;
    const QString now =
        QStringLiteral("Port %1: %2").arg(m_request.port).arg(oneLine(m_outcome.after));
    log(LogEntry::Kind::Info, now);
    if (m_request.action == FirewallAction::Open) {
        if (m_outcome.after.verdict != Verdict::Accepted) {
            fail(QStringLiteral("%1: Pier's rules are in place but the port is still not open "
                                "(%2). Undo removes them.")
                     .arg(m_node.name, oneLine(m_outcome.after)));
            return;
        }
        succeed(QStringLiteral("Port %1 is open: %2")
                    .arg(m_request.port)
                    .arg(oneLine(m_outcome.after)));
        return;
    }
    if (!undoAllPierRules(rules).isEmpty()) {
        fail(QStringLiteral("%1: rules of Pier are still there after undo. %2")
                 .arg(m_node.name, now));
        return;
    }
    succeed(QStringLiteral("Removed %1 rule(s) of Pier. %2").arg(m_undoCommands.size()).arg(now));
}

void NodeFirewallJob::fail(const QString &error)
{
    if (m_finished)
        return;
    m_outcome.ok = false;
    m_outcome.error = error;
    m_outcome.message = error;
    log(LogEntry::Kind::Error, error);
    m_stage = Stage::Done;
    m_finished = true;
    emit progress(m_done, totalSteps(), QStringLiteral("Failed"));
    emit finished(m_outcome);
}

void NodeFirewallJob::succeed(const QString &message)
{
    m_outcome.ok = true;
    m_outcome.message = message;
    log(LogEntry::Kind::Info, message);
    m_stage = Stage::Done;
    m_finished = true;
    m_done = totalSteps();
    emit progress(m_done, totalSteps(), QStringLiteral("Done"));
    emit finished(m_outcome);
}

} // namespace pier::nodes
