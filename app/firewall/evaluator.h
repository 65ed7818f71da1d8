#pragma once

// Answers "is a new TCP connection to port P accepted by this node's iptables rules, and which
// rule or policy decides it?" by walking the filter table as the kernel does: in order, into user
// chains (-j) and across them (-g), back on RETURN, to the policy at the end of a built-in chain.
//
// Some matches cannot be decided from the rules alone (the interface a packet arrives on, a mark,
// an ipset, a rate limit, a module Pier does not know). The evaluator then follows both ways: the
// answer is "unknown" only when a rule that might match would end in a different verdict than the
// one reached when it does not match, and it names that rule and why.

#include "firewall/ruleset.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace pier::firewall {

enum class Verdict { Accepted, Blocked, Unknown };
QString verdictName(Verdict v); // "accepted", "blocked", "unknown"

// What to ask about.
struct Query {
    quint16 port = 80;
    // The client's address; when empty, "an address outside the cluster's network": any address
    // not in `internal` (a rule for a few specific outside addresses, like a ban list, is taken not
    // to concern it, and the answer says so).
    std::optional<quint32> source;
    QList<Cidr> internal;
    // The address the client connects to (the node's, or the load balancer's); when empty, rules
    // about particular destinations make the answer depend on it.
    std::optional<quint32> destination;
    // The node's interface the client's packets arrive on, when known ("eth0").
    QString interface;
};

// The three kinds of packet a connection needs to get through.
enum class Flow {
    New,         // the client's first packet (SYN): INPUT, conntrack state NEW
    Established, // the client's later packets: INPUT, ESTABLISHED
    Replies,     // the server's packets back (sport P): OUTPUT, ESTABLISHED
    // A REJECT's answer (a TCP reset or an ICMP error) going out through OUTPUT, conntrack state
    // RELATED: when OUTPUT drops it, the client sees a timeout instead of a refusal.
    RejectAnswer,
};
QString flowName(Flow f);

struct TraceStep {
    QString chain;
    int rule = 0; // 1-based; 0: the chain's policy or its end
    QString text; // the rule's text, "-P INPUT DROP", or "end of CHAIN"
    QString note; // "jump to ufw-before-input", "LOG, continues", "ACCEPT"
};

struct Decision {
    Flow flow = Flow::New;
    Verdict verdict = Verdict::Unknown;
    QString chain;           // where it is decided (for unknown: the rule it depends on)
    int rule = 0;            // 1-based rule number; 0 with chain set: the chain's policy
    QString ruleText;        // the rule's text, or "-P INPUT DROP"
    QString action;          // "ACCEPT", "DROP", "REJECT --reject-with icmp-host-prohibited", ...
    QString reason;          // one or two sentences for the user
    QList<TraceStep> trace;  // the path taken when every undecidable match does not match
    QStringList assumptions; // what the answer takes for granted ("the client is not in ...")
    // For unknown: the verdict when none of the undecidable matches matches.
    Verdict otherwise = Verdict::Unknown;
    // "INPUT rule 6: -A INPUT -j REJECT --reject-with icmp-host-prohibited → REJECT"
    QString summary() const;
    bool isPolicy() const { return rule == 0 && !chain.isEmpty(); }
};

// What the client's connect() ends in.
enum class Symptom {
    Connects,
    Refused,   // TCP reset or ICMP port unreachable: "connection refused"
    IcmpError, // another ICMP error from a REJECT: "no route to host" and the like
    Timeout,   // dropped (the SYN, the reply, or the REJECT's own answer)
    Broken,    // the handshake completes, then the client's further packets are blocked
    Unknown,
};
QString symptomText(Symptom s);

struct Diagnosis {
    Verdict verdict = Verdict::Unknown; // all three flows: accepted only when each is
    QString reason; // the decisive flow's reason, or what overrides it (an unread line)
    Decision newConnection, established, replies;
    std::optional<Decision> rejectAnswer; // when a REJECT blocks the new connection
    Symptom symptom = Symptom::Unknown;   // what the client sees
    QStringList notes; // parse problems, legacy tables beside nf_tables, a nat redirect
    const Decision &decisive() const; // the first blocked flow, else the first unknown, else New
    QString text() const;             // a readable report of the three flows
};

// For `pier firewall diagnose --json`: verdict, chain, rule (0: the policy), rule_text, action,
// reason, assumptions, trace, and for a diagnosis the three flows and notes.
QJsonObject toJson(const Decision &d);
QJsonObject toJson(const Diagnosis &g);

// One flow through the filter table.
Decision evaluate(const Ruleset &rules, const Query &query, Flow flow);

// All three flows, plus what else in the rules may change the answer.
Diagnosis diagnose(const Ruleset &rules, const Query &query);

} // namespace pier::firewall
