#pragma once

// What each sandbox node has of its own besides its network namespace: a mount namespace in which
// /etc is an overlay (a `jclouds` user with passwordless sudo, /etc/iptables, /etc/sysconfig,
// /etc/haproxy and the iptables alternatives of its back end), /home, /tmp and /run are the node's,
// and an OpenSSH sshd on port 22 that accepts the jclouds key only. Nothing a node writes reaches
// the host's files: the host's /etc is the overlay's read-only lower layer.

#include "sandbox/iptablespresets.h"

#include <QString>

namespace pier::sandbox {

struct NodeFiles {
    QString name;      // development-5159-d3d-agent-1
    QString dir;       // STATE/nodes/NAME
    QString stateDir;  // STATE, re-exposed inside the node so sshd can read its config
    QString mntnsFile; // STATE/ns/NAME.mnt, the node's mount namespace (its UTS one beside it)
    QString address;   // internal, for the node's /etc/hosts
    QString sshdConfig() const { return dir + QStringLiteral("/sshd_config"); }
    QString hostKey() const { return dir + QStringLiteral("/ssh_host_ed25519_key"); }
    QString sshdLog() const { return dir + QStringLiteral("/sshd.log"); }
    QString etcUpper() const { return dir + QStringLiteral("/etc"); }
    QString etcWork() const { return dir + QStringLiteral("/.etc-work"); }
    QString home() const { return dir + QStringLiteral("/home"); }
    QString sudoShim() const { return dir + QStringLiteral("/sudo"); } // without root only
};

inline constexpr const char *kSshUser = "jclouds";

// Generates an ed25519 key pair at PATH (and PATH.pub) with ssh-keygen.
bool generateSshKey(const QString &path, const QString &comment, QString *error);

// Writes the node's files: the /etc overlay's upper layer, the jclouds home with AUTHORIZED_KEY,
// its sshd_config and host key, and /etc/iptables/rules.v4 holding RULES.
bool prepareNodeFiles(const NodeFiles &node, const QByteArray &authorizedKey,
                      IptablesBackend backend, const QByteArray &rules, QString *error);

// Creates the node's mount (and UTS) namespace. As root it is bound at node.mntnsFile (whose
// directory must be a private mount); without root (in a user namespace) a thread of this process
// keeps it until releaseNodeMountNamespace() and node.mntnsFile is a symlink to that thread's.
bool createNodeMountNamespace(const NodeFiles &node, QString *error);

// Lets the thread keeping the namespace at MNTNS_FILE end (nothing if there is none).
void releaseNodeMountNamespace(const QString &mntnsFile);

// Starts sshd -D in NETNS and the node's mount namespace; returns its pid (or -1).
qint64 startNodeSshd(const QString &netns, const NodeFiles &node, QString *error);

// The public host key line ("ssh-ed25519 AAAA...") of the node.
QByteArray nodeHostPublicKey(const NodeFiles &node);

} // namespace pier::sandbox
