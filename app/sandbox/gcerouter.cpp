#include "sandbox/gcerouter.h"

#include "core/logging.h"
#include "sandbox/iptablespresets.h"
#include "sandbox/netns.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QRegularExpression>
#include <QThread>
#include <QTimer>

#include <future>
#include <memory>
#include <vector>

namespace pier::sandbox {

namespace {

constexpr int kRulePrefBase = 10000; // ip rule priorities the router owns: 10000 + mark
constexpr int kTableBase = 100;      // routing table of mark K: 100 + K
constexpr int kMarksPerRule = 256;   // forwarding rule number r owns marks r*256+1 ...

QString lastSegment(const QString &url)
{
    return url.mid(url.lastIndexOf(QLatin1Char('/')) + 1);
}

QStringList strings(const QJsonValue &v)
{
    QStringList out;
    for (const QJsonValue &x : v.toArray())
        out << x.toString();
    return out;
}

QString iptables()
{
    // The router's tables are Google's side, independent of the nodes' back end (as cluster.cpp).
    return backendAvailable(IptablesBackend::Nft)
               ? iptablesTool(IptablesBackend::Nft, QStringLiteral("iptables"))
               : iptablesTool(IptablesBackend::Legacy, QStringLiteral("iptables"));
}

ProcessResult ipBatch(const QString &netns, const QStringList &lines, bool force = false)
{
    static const QString ip = findProgram(QStringLiteral("ip"));
    QStringList args{QStringLiteral("-n"), netns};
    if (force)
        args << QStringLiteral("-force");
    args << QStringLiteral("-batch") << QStringLiteral("-");
    ProcessResult r = runProcess(ip, args, lines.join(QLatin1Char('\n')).toUtf8() + '\n');
    r.command = QStringLiteral("ip -n %1 -batch (%2)").arg(netns, lines.value(0));
    return r;
}

} // namespace

GceRouter::GceRouter(const QString &clusterId, const QString &gceNetwork, QObject *parent)
    : QObject(parent), m_cluster(clusterId), m_gceNetwork(gceNetwork)
{
    m_probeTimer = new QTimer(this);
    connect(m_probeTimer, &QTimer::timeout, this, &GceRouter::probe);
}

GceRouter::~GceRouter()
{
    m_probeTimer->stop();
    if (m_probeThread) {
        m_probeThread->wait();
        delete m_probeThread;
    }
}

QList<GceServer::Instance> GceRouter::instancesFor(const ClusterStatus &status)
{
    QList<GceServer::Instance> out;
    for (const ClusterNode &n : status.nodes)
        out.append({n.name, {}, n.address, n.externalAddress, n.tags});
    return out;
}

QString GceRouter::key(const QString &selfLink) const
{
    const qsizetype at = selfLink.indexOf(QLatin1String("/projects/"));
    if (at < 0)
        return selfLink;
    const qsizetype slash = selfLink.indexOf(QLatin1Char('/'), at + 10);
    return slash < 0 ? selfLink : selfLink.mid(slash + 1);
}

QStringList GceRouter::activeMembers(const QString &ruleName) const
{
    return m_active.value(ruleName);
}

void GceRouter::fail(const QString &what)
{
    m_lastError = what;
    qCWarning(lcSandbox).noquote() << "sandbox GCE router:" << what;
}

// ---- the VPC firewall ---------------------------------------------------------------------

void GceRouter::firewallChanged(const QJsonObject &fw, bool removed)
{
    const QString name = fw.value(QStringLiteral("name")).toString();
    QString error;
    const std::optional<ClusterStatus> s = m_cluster.status(&error);
    if (!s)
        return fail(error);
    // Replacing = removing, then adding: the cluster keeps rules by name.
    bool known = false;
    for (const FirewallRule &r : s->firewallRules)
        known = known || r.name == name;
    if (known && !m_cluster.removeAllowRule(name, &error))
        return fail(error);
    if (removed || fw.value(QStringLiteral("disabled")).toBool() ||
        fw.value(QStringLiteral("direction")).toString(QStringLiteral("INGRESS")) !=
            QLatin1String("INGRESS") ||
        lastSegment(fw.value(QStringLiteral("network")).toString()) != m_gceNetwork)
        return;
    FirewallRule rule;
    rule.name = name;
    rule.network = s->network;
    rule.sourceRanges = strings(fw.value(QStringLiteral("sourceRanges")));
    // Source tags: the internal addresses of the instances that carry them.
    const QStringList sourceTags = strings(fw.value(QStringLiteral("sourceTags")));
    for (const ClusterNode &n : s->nodes) {
        for (const QString &tag : sourceTags) {
            if (n.tags.contains(tag) &&
                !rule.sourceRanges.contains(n.address + QStringLiteral("/32")))
                rule.sourceRanges << n.address + QStringLiteral("/32");
        }
    }
    if (rule.sourceRanges.isEmpty() && !sourceTags.isEmpty())
        return; // tags that no instance has: the rule matches nobody
    rule.targetTags = strings(fw.value(QStringLiteral("targetTags")));
    for (const QJsonValue &v : fw.value(QStringLiteral("allowed")).toArray()) {
        const QJsonObject a = v.toObject();
        rule.allowed.append({a.value(QStringLiteral("IPProtocol")).toString(),
                             strings(a.value(QStringLiteral("ports")))});
    }
    if (!rule.allowed.isEmpty() && !m_cluster.addAllowRule(rule, &error))
        fail(error);
}

void GceRouter::instanceTagsChanged(const QJsonObject &instance)
{
    QString error;
    const QStringList tags =
        strings(instance.value(QStringLiteral("tags")).toObject().value(QStringLiteral("items")));
    if (!m_cluster.setNodeTags(instance.value(QStringLiteral("name")).toString(), tags, &error))
        fail(error);
}

// ---- the load balancer --------------------------------------------------------------------

void GceRouter::addressChanged(const QJsonObject &, bool)
{
    // The forwarding rule carries the address; a reserved address alone delivers nothing.
}

void GceRouter::forwardingRuleChanged(const QJsonObject &rule, bool removed)
{
    const QString name = rule.value(QStringLiteral("name")).toString();
    if (removed) {
        m_rules.remove(name);
    } else {
        m_rules.insert(name, {name, rule.value(QStringLiteral("IPAddress")).toString(),
                              rule.value(QStringLiteral("portRange")).toString(),
                              rule.value(QStringLiteral("target")).toString()});
    }
    rebuild();
}

void GceRouter::targetPoolChanged(const QJsonObject &pool, bool removed)
{
    const QString k = key(pool.value(QStringLiteral("selfLink")).toString());
    if (removed) {
        m_poolMembers.remove(k);
        m_poolChecks.remove(k);
    } else {
        QStringList members, checks;
        for (const QString &i : strings(pool.value(QStringLiteral("instances"))))
            members << lastSegment(i);
        for (const QString &c : strings(pool.value(QStringLiteral("healthChecks"))))
            checks << key(c);
        m_poolMembers.insert(k, members);
        m_poolChecks.insert(k, checks);
    }
    rebuild();
    probe(); // a new member or check: learn its health now, not in a few seconds
}

void GceRouter::healthCheckChanged(const QJsonObject &check, bool removed)
{
    const QString k = key(check.value(QStringLiteral("selfLink")).toString());
    if (removed)
        m_checkPorts.remove(k);
    else
        m_checkPorts.insert(k, check.value(QStringLiteral("port")).toInt(80));
    rebuild();
}

void GceRouter::rebuild()
{
    QString error;
    const std::optional<ClusterStatus> s = m_cluster.status(&error);
    if (!s)
        return fail(error);
    QHash<QString, int> index; // node name → position (its veth is n<index> in the router)
    for (int i = 0; i < s->nodes.size(); ++i)
        index.insert(s->nodes.at(i).name, i);

    QString mangle = QStringLiteral("*mangle\n:PIER-LB - [0:0]\n");
    QStringList routerLines;
    QSet<QString> wantLocal;
    m_active.clear();
    bool anyChecked = false;
    int slot = 0;
    for (const Rule &r : std::as_const(m_rules)) {
        const QString poolKey = key(r.poolLink);
        QStringList members;
        for (const QString &m : m_poolMembers.value(poolKey)) {
            if (index.contains(m))
                members << m;
        }
        int checkPort = 0;
        for (const QString &c : m_poolChecks.value(poolKey))
            checkPort = m_checkPorts.value(c, checkPort);
        QStringList active = members;
        if (checkPort > 0) {
            anyChecked = true;
            QStringList healthy;
            for (const QString &m : std::as_const(members)) {
                if (m_healthy.value(m, true))
                    healthy << m;
            }
            // As GCE: when no member is healthy, every member gets traffic.
            if (!healthy.isEmpty())
                active = healthy;
        }
        for (const QString &m : std::as_const(members))
            wantLocal.insert(m + QLatin1Char('|') + r.ip);
        m_active.insert(r.name, active);
        if (active.isEmpty() || r.ip.isEmpty())
            continue;
        const int base = ++slot * kMarksPerRule - kMarksPerRule; // 0, 256, ...
        QString ports = r.ports.isEmpty() ? QStringLiteral("1-65535") : r.ports;
        ports.replace(QLatin1Char('-'), QLatin1Char(':'));
        mangle +=
            QStringLiteral("-A PIER-LB -d %1/32 -p tcp -m tcp --dport %2 -m comment --comment "
                           "%3 -j HMARK --hmark-tuple src,dst,sport,dport,proto --hmark-mod "
                           "%4 --hmark-offset %5 --hmark-rnd 0x70696572\n")
                .arg(r.ip, ports, r.name)
                .arg(active.size())
                .arg(base + 1);
        for (int k = 0; k < active.size(); ++k) {
            const int mark = base + 1 + k;
            const ClusterNode &n = s->nodes.at(index.value(active.at(k)));
            routerLines << QStringLiteral("rule add fwmark %1 table %2 pref %3")
                               .arg(mark)
                               .arg(kTableBase + mark)
                               .arg(kRulePrefBase + mark)
                        << QStringLiteral("route replace %1/32 via %2 dev n%3 onlink table %4")
                               .arg(r.ip, n.address)
                               .arg(index.value(active.at(k)))
                               .arg(kTableBase + mark);
        }
    }
    mangle += QStringLiteral("COMMIT\n");

    // Replace the whole chain at once; declaring it in --noflush mode empties it.
    const QString tool = iptables();
    ProcessResult r = runInNamespace(s->routerNetns, tool + QStringLiteral("-restore"),
                                     {QStringLiteral("--noflush")}, mangle.toLatin1());
    if (!r.ok())
        return fail(QStringLiteral("cannot write the load balancer's rules: ") + r.errorText());
    const QStringList jump{QStringLiteral("-t"), QStringLiteral("mangle"),
                           QStringLiteral("-C"), QStringLiteral("PREROUTING"),
                           QStringLiteral("-j"), QStringLiteral("PIER-LB")};
    if (!runInNamespace(s->routerNetns, tool, jump).ok()) {
        QStringList add = jump;
        add[2] = QStringLiteral("-A");
        if (r = runInNamespace(s->routerNetns, tool, add); !r.ok())
            return fail(r.errorText());
    }

    // Our ip rules (and their tables) go, then the wanted ones come.
    static const QRegularExpression prefRe(QStringLiteral("^(\\d+):.*lookup (\\d+)"));
    const ProcessResult rules =
        runInNamespace(s->routerNetns, findProgram(QStringLiteral("ip")), {QStringLiteral("rule")});
    QStringList clear;
    for (const QString &line : QString::fromLatin1(rules.out).split(QLatin1Char('\n'))) {
        const QRegularExpressionMatch m = prefRe.match(line);
        if (!m.hasMatch())
            continue;
        const int pref = m.captured(1).toInt();
        if (pref > kRulePrefBase && pref < kRulePrefBase + 64 * kMarksPerRule)
            clear << QStringLiteral("rule del pref %1").arg(pref)
                  << QStringLiteral("route flush table %1").arg(m.captured(2));
    }
    if (!clear.isEmpty())
        ipBatch(s->routerNetns, clear, true); // a table already empty is not a problem
    if (!routerLines.isEmpty()) {
        if (r = ipBatch(s->routerNetns, routerLines); !r.ok())
            return fail(QStringLiteral("cannot route the load balancer's address: ") +
                        r.errorText());
    }

    // The members hold the address as a local route, as GCE's guest agent does.
    const QSet<QString> stale = QSet<QString>(m_localRoutes).subtract(wantLocal);
    for (const QString &route : stale) {
        const QString node = route.section(QLatin1Char('|'), 0, 0);
        const QString ip = route.section(QLatin1Char('|'), 1);
        if (index.contains(node))
            ipBatch(s->nodes.at(index.value(node)).netns,
                    {QStringLiteral("route del local %1/32 dev eth0 table local").arg(ip)}, true);
        m_localRoutes.remove(route);
    }
    for (const QString &route : std::as_const(wantLocal)) {
        if (m_localRoutes.contains(route))
            continue;
        const QString node = route.section(QLatin1Char('|'), 0, 0);
        const QString ip = route.section(QLatin1Char('|'), 1);
        r = ipBatch(s->nodes.at(index.value(node)).netns,
                    {QStringLiteral("route replace local %1/32 dev eth0 scope host proto 66 table "
                                    "local")
                         .arg(ip)});
        if (!r.ok())
            return fail(r.errorText());
        m_localRoutes.insert(route);
    }

    if (anyChecked && !m_probeTimer->isActive())
        m_probeTimer->start(m_probeMs);
    else if (!anyChecked)
        m_probeTimer->stop();
    m_lastError.clear();
    emit loadBalancerChanged();
}

void GceRouter::clear()
{
    m_rules.clear();
    m_poolMembers.clear();
    rebuild();
}

// ---- health checks ------------------------------------------------------------------------

void GceRouter::probe()
{
    if (m_probeThread)
        return; // the last round is still out
    const std::optional<ClusterStatus> s = m_cluster.status();
    if (!s)
        return;
    struct Target {
        QString name, address;
        int port;
    };
    QList<Target> targets;
    QSet<QString> seen;
    for (const Rule &r : std::as_const(m_rules)) {
        const QString poolKey = key(r.poolLink);
        int port = 0;
        for (const QString &c : m_poolChecks.value(poolKey))
            port = m_checkPorts.value(c, port);
        if (port <= 0)
            continue;
        for (const QString &m : m_poolMembers.value(poolKey)) {
            for (const ClusterNode &n : s->nodes) {
                if (n.name == m && !seen.contains(m)) {
                    seen.insert(m);
                    targets.append({m, n.address, port});
                }
            }
        }
    }
    if (targets.isEmpty())
        return;
    // Probes block (a dropped SYN waits for its timeout), so they run beside the event loop.
    auto results = std::make_shared<QHash<QString, bool>>();
    const QString routerNetns = s->routerNetns;
    m_probeThread = QThread::create([targets, results, routerNetns] {
        std::vector<std::future<bool>> futures;
        for (const Target &t : targets)
            futures.push_back(std::async(std::launch::async, [t, routerNetns] {
                return probeTcp(routerNetns, QHostAddress(t.address), quint16(t.port), 1000) ==
                       ProbeResult::Connected;
            }));
        for (int i = 0; i < targets.size(); ++i)
            results->insert(targets.at(i).name, futures.at(size_t(i)).get());
    });
    connect(m_probeThread, &QThread::finished, this, [this, results] {
        m_probeThread->deleteLater();
        m_probeThread = nullptr;
        onProbed(*results);
    });
    m_probeThread->start();
}

void GceRouter::onProbed(const QHash<QString, bool> &results)
{
    bool changed = false;
    for (auto it = results.begin(); it != results.end(); ++it) {
        if (!m_healthy.contains(it.key()) || m_healthy.value(it.key()) != it.value())
            changed = true;
        m_healthy.insert(it.key(), it.value());
        if (m_server)
            m_server->setInstanceHealthy(it.key(), it.value());
    }
    if (changed)
        rebuild();
}

} // namespace pier::sandbox
