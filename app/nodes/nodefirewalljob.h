#pragma once

// The firewall work on one node over its SSH session: Diagnose (is a new TCP connection to port P
// from outside accepted, and by which rule?), Open (the smallest idempotent fix, verified by
// reading the rules again) and Undo (remove every rule Pier added). Each job reports its progress
// and a timestamped log of every command and its output, and ends with an outcome that says in
// words what happened and, on failure, what state the node is left in.

#include "firewall/evaluator.h"
#include "firewall/fixplan.h"
#include "firewall/ruleset.h"
#include "nodes/node.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QPointer>

#include <optional>

namespace pier::ssh {
class SshSession;
class SshCommand;
struct SshCommandResult;
} // namespace pier::ssh

namespace pier::nodes {

enum class FirewallAction { Diagnose, Open, Undo };
QString actionName(FirewallAction a); // "diagnose", "open", "undo"

struct FirewallRequest {
    FirewallAction action = FirewallAction::Diagnose;
    quint16 port = 80;
    std::optional<quint32> from;    // the client's address; empty: any address outside `internal`
    std::optional<quint32> onlyTo;  // Open: accept only connections to this address (-d ADDR/32)
    QList<firewall::Cidr> internal; // the cluster's own network(s)
    bool persist = false;           // Open: save the rules where the node restores them from
    int commandTimeoutMs = 60000;
};

struct LogEntry {
    enum class Kind {
        Command, // what Pier runs (as the person would type it)
        Stdout,
        Stderr,
        Info,  // Pier's own words: the verdict, the plan
        Error, // what went wrong and what to do
    };
    QDateTime time;
    Kind kind = Kind::Info;
    QString text;
    QString toText() const; // "13:02:11.042 $ iptables-save" / "  out" / "! err"
};

struct FirewallOutcome {
    bool ok = false;      // the action did what it was asked
    QString error;        // why not, with what to do; for Open/Undo also the node's state
    bool changed = false; // rules were added or removed
    firewall::NodeFacts facts;
    bool diagnosed = false;
    firewall::Diagnosis before; // on the rules as read first
    bool verified = false;
    firewall::Diagnosis after;           // Open/Undo: on the rules read again afterwards
    firewall::FixPlan plan;              // Open: what was (or would have been) run
    QStringList rulesBefore, rulesAfter; // `iptables -S` form of the filter table
    QString message; // one sentence for a pane or a terminal, success or failure

    // The diagnosis that holds now: after when there is one, else before.
    const firewall::Diagnosis &current() const { return verified ? after : before; }
    // `pier firewall diagnose --json` form: node, port, verdict, chain, rule, rule_text, reason,
    // and ok, changed, error, message, diagnosis (the three flows).
    QJsonObject toJson(const Node &node, quint16 port) const;
};

class NodeFirewallJob : public QObject {
    Q_OBJECT
public:
    // SESSION may still be connecting: commands wait for it. The job does not own it.
    NodeFirewallJob(ssh::SshSession *session, const Node &node, const FirewallRequest &request,
                    QObject *parent = nullptr);
    ~NodeFirewallJob() override;

    const Node &node() const { return m_node; }
    const FirewallRequest &request() const { return m_request; }

    void start();
    // Stops the running command; the outcome says what state the node may be in.
    void cancel();
    bool isFinished() const { return m_finished; }
    const FirewallOutcome &outcome() const { return m_outcome; }
    const QList<LogEntry> &logEntries() const { return m_log; }
    int totalSteps() const;

signals:
    void progress(int done, int total, const QString &what);
    void logged(const pier::nodes::LogEntry &entry);
    void finished(const pier::nodes::FirewallOutcome &outcome);

private:
    // Two round trips at most: the tools and the rules; the change and the rules again.
    enum class Stage { Idle, Probe, Apply, Done };
    void log(LogEntry::Kind kind, const QString &text);
    void runRoot(Stage stage, const QString &what, const QString &display, const QString &script);
    void stageDone(const ssh::SshCommandResult &result);
    void afterProbe();
    void afterReadBefore();
    void afterApply(const ssh::SshCommandResult &result);
    void afterReadAfter();
    void fail(const QString &error);
    void succeed(const QString &message);
    firewall::Query query() const;

    QPointer<ssh::SshSession> m_session;
    Node m_node;
    FirewallRequest m_request;
    FirewallOutcome m_outcome;
    QList<LogEntry> m_log;
    QPointer<ssh::SshCommand> m_command;
    Stage m_stage = Stage::Idle;
    int m_done = 0;
    QByteArray m_out, m_err; // of the running command
    QByteArray m_outLine, m_errLine;
    QByteArray m_saved; // the iptables-save part of the output
    QList<firewall::Command> m_undoCommands;
    bool m_finished = false;
    bool m_cancelled = false;
};

} // namespace pier::nodes

Q_DECLARE_METATYPE(pier::nodes::LogEntry)
Q_DECLARE_METATYPE(pier::nodes::FirewallOutcome)
