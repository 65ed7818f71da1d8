#pragma once

// The sandbox's network: a master and N agents, each in its own network and mount namespace, wired
// to a "router" namespace that plays the GCE network around them (1:1 NAT to external addresses,
// a VPC firewall with GCE's default rules), an "internet" client that reaches only the external
// addresses, and a "vpn" client (the laptop over the VPN) that reaches the internal ones. Every
// node runs its own iptables (a preset) and OpenSSH's sshd with user jclouds. Needs root.
//
//   internet 198.51.100.2 ──┐                       ┌── master  198.18.0.2  (ext 203.0.113.10)
//                           ├── router 198.18.0.1 ──┼── agent-1 198.18.0.3  (ext 203.0.113.11)
//   vpn      198.19.0.2 ────┘   NAT + PIER-VPC      └── ...
//
// The router has no route anywhere else and nothing is added to the host's network namespace.
// Synchronous: up() returns once every node's sshd answers. The state lives in a JSON file in the
// state directory, so status() and down() work from another process and after a crash.

#include "sandbox/iptablespresets.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace pier::sandbox {

struct ClusterOptions {
    int agents = 3;
    QString clusterName =
        QStringLiteral("development-5159-d3d"); // named like the tutorial's clusters
    IptablesPreset preset = IptablesPreset::Mesosphere;
    IptablesBackend backend = IptablesBackend::Nft;
};

struct ClusterNode {
    QString name;            // development-5159-d3d-agent-1
    QString role;            // "master" or "agent"
    QString address;         // internal, 198.18.0.x
    QString externalAddress; // 203.0.113.x, 1:1 NAT in the router
    QString netns;           // the network namespace's name (ip netns)
    QString mntnsFile;       // the node's mount namespace (nsenter --mount=)
    qint64 sshdPid = -1;
    QStringList tags; // GCE network tags, which firewall rules' targetTags select
};

// One GCE firewall rule (ingress, allow), as `gcloud compute firewall-rules create` makes it.
struct FirewallRule {
    struct Allowed {
        QString protocol;  // "tcp", "udp", "icmp", "all"
        QStringList ports; // "80", "8000-8080"; empty: all ports
    };
    QString name;
    QString network = QStringLiteral("default");
    QStringList sourceRanges; // empty: 0.0.0.0/0, as GCE
    QList<Allowed> allowed;
    QStringList targetTags; // empty: every node

    QJsonObject toJson() const; // GCE's field names: name, network, sourceRanges,
                                // allowed[{IPProtocol, ports}], targetTags
    static FirewallRule fromJson(const QJsonObject &o);
};

struct ClusterStatus {
    QString id;
    QString stateDir;
    QString clusterName;
    QString network;
    QString internalRange; // 198.18.0.0/24
    IptablesPreset preset = IptablesPreset::Mesosphere;
    IptablesBackend backend = IptablesBackend::Nft;
    QString routerNetns, internetNetns, vpnNetns;
    QString routerAddress; // 198.18.0.1
    QString internetClientAddress, vpnClientAddress;
    QString sshUser, sshKeyFile, knownHostsFile;
    QList<ClusterNode> nodes;
    QList<FirewallRule> firewallRules;
    qint64 startedMs = 0;
    // Without root: the inode of the user namespace everything lives in (0 as root). Its
    // namespaces can only be seen and entered from inside it.
    quint64 userNamespace = 0;

    QJsonObject toJson() const;
    static ClusterStatus fromJson(const QJsonObject &o);
};

class Cluster {
public:
    // ID keeps sandboxes apart (namespace names are prefixed "ID-"); letters and digits only.
    // STATE_DIR defaults to defaultStateDir(ID).
    explicit Cluster(const QString &id = QStringLiteral("pier"), const QString &stateDir = {});

    static QString defaultStateDir(const QString &id);
    static bool isValidId(const QString &id);
    // Empty when this machine can run the sandbox's network; else why not and what to do.
    static QString missingPrerequisites();

    QString id() const { return m_id; }
    QString stateDir() const { return m_stateDir; }
    QString stateFile() const;

    enum class UpResult { Started, AlreadyUp, Failed };
    // Cleans leftovers of a crashed run first; on failure, cleans up what it made.
    UpResult up(const ClusterOptions &options, QString *error);
    // Stops every process in the sandbox's namespaces, unmounts, deletes the namespaces and the
    // state dir. Safe to call when nothing is up; finds leftovers of a crashed run by their names.
    bool down(QString *error);
    // The running sandbox, or nullopt when it is not (fully) up; *problem says what is off.
    std::optional<ClusterStatus> status(QString *problem = nullptr) const;
    // True when anything of this sandbox exists (state, namespaces, mounts).
    bool hasLeftovers() const;

    // The VPC firewall: rules by name, applied to the router's PIER-VPC chain at once.
    bool addAllowRule(const FirewallRule &rule, QString *error);
    bool removeAllowRule(const QString &name, QString *error);
    bool setNodeTags(const QString &nodeName, const QStringList &tags, QString *error);

    // GCE's default network rules for INTERNAL_RANGE: default-allow-internal, -ssh, -icmp, -rdp.
    static QList<FirewallRule> defaultFirewallRules(const QString &internalRange);
    // The PIER-VPC chain for STATUS in iptables-restore form (for --noflush).
    static QByteArray vpcChain(const ClusterStatus &status);

private:
    bool downLocked(QString *error);
    bool writeState(const ClusterStatus &s, QString *error) const;
    std::optional<ClusterStatus> readState() const;
    bool applyFirewall(const ClusterStatus &s, QString *error) const;
    QStringList ourNamespaces() const;

    QString m_id;
    QString m_stateDir;
};

} // namespace pier::sandbox
