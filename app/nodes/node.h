#pragma once

// A node of the cluster as Pier reaches it over SSH: the Mesos master and agents (from
// /master/state), plus nodes the user added by hand in the profile.

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace pier::mesos {
struct MesosState;
}

namespace pier::nodes {

struct Node {
    enum class Source { Mesos, Profile };
    QString name;    // the hostname Mesos reports, or the name the user gave
    QString address; // what SSH connects to: the address in the agent's pid, or as given
    QString role;    // "master", "agent", or empty for a node added by hand
    Source source = Source::Mesos;
    bool active = true; // Mesos lists the agent as active

    QJsonObject toJson() const; // name, address, role, source ("mesos"/"profile"), active
};

// The leading master (its hostname, address from `leader`) and every agent, in Mesos's order.
// The address comes from the agent's pid ("slave(1)@198.18.0.3:5051"), else its hostname.
QList<Node> nodesFromMesos(const mesos::MesosState &state);

// The profile's hand-added entries: "name" or "name=address". Entries that are not a usable host
// name or address are skipped and named in *problems.
QList<Node> nodesFromProfile(const QStringList &entries, QStringList *problems = nullptr);

// Mesos's nodes, then the profile's; a profile entry with the name of a Mesos node overrides its
// address (a node reachable under another address from this machine).
QList<Node> mergeNodes(const QList<Node> &fromMesos, const QList<Node> &fromProfile);

// The node named NAME (case-insensitive), or whose address is NAME; nullptr if none.
const Node *findNode(const QList<Node> &nodes, const QString &name);

// True for a string SSH can be aimed at: a host name or an IPv4/IPv6 address, no spaces, no
// shell metacharacters, not starting with '-' (it would read as an option).
bool isUsableHost(const QString &host);

} // namespace pier::nodes

Q_DECLARE_METATYPE(pier::nodes::Node)
