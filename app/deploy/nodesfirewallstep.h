#pragma once

#include "core/plan.h"
#include "core/profile.h"
#include "nodes/node.h"
#include "nodes/nodefirewalljob.h"

#include <QPointer>
#include <QUrl>

namespace pier::nodes {
class NodeSessionPool;
}

namespace pier::deploy {

// "Open the port on every node": the nodes' own iptables (INPUT DROP on the tutorial's cluster)
// must let the load balancer's traffic in. Nodes come from Mesos plus the profile; every node is
// worked on at once over its own SSH session.
//  check  - diagnose every node: all accept the port already → done
//  apply  - open it on the nodes that block it (a "pier:" ACCEPT), saved where the node restores
//           its rules from
//  verify - diagnose again: every node accepts
//  undo   - remove the rules Pier added on every node, and only those
// Outputs: nodes.names, nodes.opened (the nodes Pier changed).
class NodesFirewallStep : public Step {
    Q_OBJECT
public:
    NodesFirewallStep(const Profile &profile, const QUrl &mesosUrl, quint16 port,
                      QObject *parent = nullptr);
    ~NodesFirewallStep() override;

    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;
    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;
    void cancel() override;

    QList<nodes::Node> knownNodes() const { return m_nodes; }

private:
    using Outcomes = QList<QPair<nodes::Node, nodes::FirewallOutcome>>;
    void withNodes(std::function<void(const ApiError &)> then);
    void runAll(nodes::FirewallAction action, const QList<nodes::Node> &targets,
                std::function<void(const Outcomes &)> then);
    void finish(const StepResult &r);
    static bool accepted(const nodes::FirewallOutcome &o);
    // Every node that failed lost its SSH connection (a retry reconnects).
    bool connectionsLost(const Outcomes &outcomes) const;

    Profile m_profile;
    QUrl m_mesosUrl;
    quint16 m_port;
    QList<nodes::Node> m_nodes;
    bool m_nodesKnown = false;
    nodes::NodeSessionPool *m_pool = nullptr;
    QList<QPointer<nodes::NodeFirewallJob>> m_jobs;
    StepCallback m_done;
    int m_generation = 0;
};

} // namespace pier::deploy
