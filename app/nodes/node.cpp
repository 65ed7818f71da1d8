#include "nodes/node.h"

#include "mesos/mesostypes.h"

#include <QHostAddress>
#include <QRegularExpression>

namespace pier::nodes {

QJsonObject Node::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("name"), name);
    o.insert(QStringLiteral("address"), address);
    o.insert(QStringLiteral("role"), role);
    o.insert(QStringLiteral("source"),
             source == Source::Mesos ? QStringLiteral("mesos") : QStringLiteral("profile"));
    o.insert(QStringLiteral("active"), active);
    return o;
}

namespace {

// "master@198.18.0.2:5050" or "slave(1)@198.18.0.3:5051" -> "198.18.0.2"
QString hostOfPid(const QString &pid)
{
    const int at = pid.lastIndexOf(QLatin1Char('@'));
    if (at < 0)
        return {};
    const QString hostPort = pid.mid(at + 1);
    const int colon = hostPort.lastIndexOf(QLatin1Char(':'));
    return colon < 0 ? hostPort : hostPort.left(colon);
}

} // namespace

bool isUsableHost(const QString &host)
{
    if (host.isEmpty() || host.size() > 253 || host.startsWith(QLatin1Char('-')))
        return false;
    QHostAddress a;
    if (a.setAddress(host))
        return true;
    static const QRegularExpression name(
        QStringLiteral("^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$"));
    return name.match(host).hasMatch();
}

QList<Node> nodesFromMesos(const mesos::MesosState &state)
{
    QList<Node> out;
    const QString leader = hostOfPid(state.leader);
    if (!state.hostname.isEmpty() || !leader.isEmpty()) {
        Node m;
        m.name = state.hostname.isEmpty() ? leader : state.hostname;
        m.address = leader.isEmpty() ? state.hostname : leader;
        m.role = QStringLiteral("master");
        out << m;
    }
    for (const mesos::Agent &a : state.agents) {
        Node n;
        n.address = a.address.isEmpty() ? hostOfPid(a.pid) : a.address;
        if (n.address.isEmpty())
            n.address = a.hostname;
        n.name = a.hostname.isEmpty() ? n.address : a.hostname;
        n.role = QStringLiteral("agent");
        n.active = a.active;
        out << n;
    }
    return out;
}

QList<Node> nodesFromProfile(const QStringList &entries, QStringList *problems)
{
    QList<Node> out;
    for (const QString &raw : entries) {
        const QString entry = raw.trimmed();
        if (entry.isEmpty())
            continue;
        const int eq = entry.indexOf(QLatin1Char('='));
        Node n;
        n.source = Node::Source::Profile;
        n.name = (eq < 0 ? entry : entry.left(eq)).trimmed();
        n.address = (eq < 0 ? entry : entry.mid(eq + 1)).trimmed();
        if (n.name.isEmpty() || !isUsableHost(n.address)) {
            if (problems)
                *problems << QStringLiteral("The node \"%1\" in the profile is not a host name or "
                                            "address (write NAME or NAME=ADDRESS).")
                                 .arg(entry);
            continue;
        }
        out << n;
    }
    return out;
}

QList<Node> mergeNodes(const QList<Node> &fromMesos, const QList<Node> &fromProfile)
{
    QList<Node> out = fromMesos;
    for (const Node &p : fromProfile) {
        bool merged = false;
        for (Node &n : out) {
            if (n.name.compare(p.name, Qt::CaseInsensitive) == 0) {
                n.address = p.address;
                merged = true;
                break;
            }
        }
        if (!merged)
            out << p;
    }
    return out;
}

const Node *findNode(const QList<Node> &nodes, const QString &name)
{
    for (const Node &n : nodes) {
        if (n.name.compare(name, Qt::CaseInsensitive) == 0)
            return &n;
    }
    for (const Node &n : nodes) {
        if (n.address == name)
            return &n;
    }
    return nullptr;
}

} // namespace pier::nodes
