#pragma once

#include "sandbox/cluster.h"
#include "sandbox/gceserver.h"

#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QString>
#include <QStringList>

class QThread;
class QTimer;

namespace pier::sandbox {

// Makes the sandbox's GCE real: what the emulator's API creates changes the sandbox network
// (DESIGN.md §5). Firewall rules and instance tags become the router's VPC firewall (PIER-VPC);
// an address + forwarding rule + target pool become a pass-through load balancer in the router:
//   mangle: -d LB_IP -p tcp --dport PORTS -j HMARK (5-tuple hash, mod N, offset) → mark K
//   ip rule fwmark K table 100+K;  table 100+K: LB_IP via node K onlink
// and every pool member holds `local LB_IP/32 dev eth0 proto 66`, as GCE's guest agent does, so
// the node sees the real client and the address as destination and its own iptables decide.
// With a health check on the pool, the router probes each member's port every few seconds and
// hashes new connections over the members that answer only. Needs root (namespaces).
class GceRouter : public QObject, public GceObserver {
    Q_OBJECT
public:
    // `gceNetwork`: the emulator's network name, which stands for the cluster's VPC.
    GceRouter(const QString &clusterId, const QString &gceNetwork, QObject *parent = nullptr);
    ~GceRouter() override;

    // The emulator's instances for a running cluster: one per node, same names, addresses, tags.
    static QList<GceServer::Instance> instancesFor(const ClusterStatus &status);

    // Health answers (getHealth) follow the router's probes when set.
    void setServer(GceServer *server) { m_server = server; }
    void setProbeIntervalMs(int ms) { m_probeMs = ms; }
    QString lastError() const { return m_lastError; }
    // Nodes the router currently sends a forwarding rule's traffic to.
    QStringList activeMembers(const QString &ruleName) const;
    // Removes every load-balancer rule and local route the router made.
    void clear();

    void firewallChanged(const QJsonObject &firewall, bool removed) override;
    void addressChanged(const QJsonObject &address, bool removed) override;
    void forwardingRuleChanged(const QJsonObject &rule, bool removed) override;
    void targetPoolChanged(const QJsonObject &pool, bool removed) override;
    void healthCheckChanged(const QJsonObject &check, bool removed) override;
    void instanceTagsChanged(const QJsonObject &instance) override;

signals:
    void loadBalancerChanged(); // after the router's rules were rewritten

private:
    struct Rule {
        QString name, ip, ports, poolLink;
    };
    void rebuild();
    void probe();
    void onProbed(const QHash<QString, bool> &results);
    void fail(const QString &what);
    QString key(const QString &selfLink) const; // "regions/r/targetPools/p"

    Cluster m_cluster;
    QString m_gceNetwork;
    QPointer<GceServer> m_server;
    QMap<QString, Rule> m_rules;               // forwarding rules by name
    QHash<QString, QStringList> m_poolMembers; // pool key → instance names
    QHash<QString, QStringList> m_poolChecks;  // pool key → health check keys
    QHash<QString, int> m_checkPorts;          // health check key → port
    QHash<QString, bool> m_healthy;            // instance name → answers (probed)
    QHash<QString, QStringList> m_active;      // rule name → members in the hash
    QSet<QString> m_localRoutes;               // "node|ip" routes we added
    int m_probeMs = 2000;
    QTimer *m_probeTimer = nullptr;
    QThread *m_probeThread = nullptr;
    QString m_lastError;
};

} // namespace pier::sandbox
