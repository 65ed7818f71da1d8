#pragma once

// What to run on a node so that the evaluator's answer becomes "accepted", and how to take it back.
// The plan is data (argv lists, and shell text for display and for one SSH command); running it is
// the caller's business (prefixing `sudo -n` when not root).
//
// Why not the tutorial's two `iptables -A` lines: appended after a REJECT (RHEL-style rules) they
// are never reached. Pier inserts its ACCEPT just before the rule that decides against the packet,
// in the chain where that happens, checks with `-C` first so running twice adds nothing, and marks
// every rule with a "pier:" comment so undo removes exactly those.

#include "core/shellquote.h"
#include "firewall/evaluator.h"
#include "firewall/ruleset.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace pier::firewall {

// A command as argv (never through a shell unless argv[0] is "sh").
struct Command {
    QStringList argv;
    QString why;
    QString shell() const; // argv quoted for sh: "iptables -w -I INPUT 6 ... --comment 'pier: x'"
};

using pier::shellJoin;
using pier::shellQuote;

// Where the node keeps its rules across reboots.
struct Persistence {
    enum class Kind {
        None,   // nothing restores rules at boot: they last until the next reboot
        Debian, // iptables-persistent / netfilter-persistent: /etc/iptables/rules.v4
        RedHat, // iptables-services: /etc/sysconfig/iptables
        Ufw,    // ufw keeps its own rules (/etc/ufw/user.rules) and restores them itself
    };
    Kind kind = Kind::None;
    QString file;
    QString description() const; // one sentence for the user
};

// What the probe script found on a node.
struct NodeFacts {
    bool root = false;
    bool iptablesFound = false;
    QString iptablesVersion; // "iptables v1.8.9 (nf_tables)"
    Backend backend = Backend::Unknown;
    bool ufwInstalled = false;
    bool ufwActive = false;
    bool netfilterPersistent = false;
    QStringList rulesFiles; // of /etc/iptables/rules.v4, /etc/sysconfig/iptables: those present
    Persistence persistence() const;
    QStringList problems; // "iptables is not installed", "not root and sudo -n failed"
};

// A short sh script to run (with sudo) on the node; its output goes to parseProbe().
QString probeScript();
NodeFacts parseProbe(const QString &output);

struct FixOptions {
    // Accept only connections to this address (the load balancer's): "-d ADDR/32".
    std::optional<quint32> onlyTo;
    bool persist = false;
    bool useUfw = true; // with ufw active, fix through `ufw allow` (it persists by itself)
};

// One rule Pier adds.
struct FixStep {
    QString chain;
    int position = 0;     // 1-based place of `iptables -I`; 0: appended (`-A`)
    QStringList ruleSpec; // "-p tcp ... -j ACCEPT", without the chain
    Command check;        // exits 0 when the rule is already there; empty argv: cannot check
    Command apply;
    Command undo;
    QString ruleText() const; // "-A CHAIN spec", as iptables-save prints it
    QString viaText() const;  // for messages: the rule, or the ufw command
};

struct FixPlan {
    Diagnosis before;
    Diagnosis after; // on the rules as they will be once the steps ran (simulated)
    bool nothingToDo = false;
    bool viaUfw = false;
    QString explanation;  // why these rules, at these places
    QStringList problems; // why no plan could be made (then steps is empty)
    QList<FixStep> steps; // in apply order
    QList<Command> persist;
    Persistence persistence;
    QStringList rulesBefore, rulesAfter; // `iptables -S` form of the filter table

    // Commands to run after step I failed, to leave the node as it was (undo of steps < I that
    // were added, newest first).
    QList<Command> rollbackAfterFailureAt(int i) const;
    // Removes what the steps added, newest first, then saves again when the plan persisted.
    QList<Command> undoCommands() const;
    // One sh script for one SSH command: checks, adds, rolls back on failure, persists.
    // Exit 0: done; 1: a rule could not be added (nothing changed); 2: saving failed (rules
    // removed again, nothing changed).
    QString applyScript() const;
    QString undoScript() const;
    bool ok() const { return problems.isEmpty(); }
};

// The commands saving the rules where P says the node restores them from (none for ufw or none).
QList<Command> persistCommands(const Persistence &p);

// For --json: steps with check/apply/undo as {argv, shell, why}, persist, undo, rules before and
// after, before/after diagnoses.
QJsonObject toJson(const FixPlan &plan);

FixPlan planFix(const Ruleset &rules, const Query &query, const NodeFacts &facts,
                const FixOptions &options = {});

// Commands removing every rule carrying a "pier:" comment in the filter table (for undo when the
// plan that added them is gone), last rule first so the numbers of the others stay right.
QList<Command> undoAllPierRules(const Ruleset &rules);

// The comment every rule of Pier carries starts with this.
inline constexpr const char *kPierCommentPrefix = "pier:";

} // namespace pier::firewall
