#include "sandbox/cluster.h"

#include "core/logging.h"
#include "sandbox/netns.h"
#include "sandbox/nodessh.h"
#include "sandbox/sshserver.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>
#include <QThread>

#include <csignal>
#include <cstddef>
#include <cstring>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace pier::sandbox {

namespace {

const QString kInternalPrefix = QStringLiteral("198.18.0.");
const QString kInternalRange = QStringLiteral("198.18.0.0/24");
const QString kRouterAddress = QStringLiteral("198.18.0.1");
const QString kExternalPrefix = QStringLiteral("203.0.113.");
const QString kExternalRange = QStringLiteral("203.0.113.0/24");
const QString kInternetRouter = QStringLiteral("198.51.100.1");
const QString kInternetClient = QStringLiteral("198.51.100.2");
const QString kVpnRouter = QStringLiteral("198.19.0.1");
const QString kVpnClient = QStringLiteral("198.19.0.2");
const QString kVpnRange = QStringLiteral("198.19.0.0/24");
constexpr int kFirstInternalHost = 2;  // .1 is the router
constexpr int kFirstExternalHost = 10; // the upper half of 203.0.113.0/24 is left for GCE addresses
constexpr int kMaxNodes = 100;

QJsonArray toArray(const QStringList &l)
{
    return QJsonArray::fromStringList(l);
}

QStringList fromArray(const QJsonValue &v)
{
    QStringList l;
    for (const QJsonValue &x : v.toArray())
        l << x.toString();
    return l;
}

bool pidAlive(qint64 pid)
{
    if (pid <= 0 || ::kill(pid_t(pid), 0) != 0)
        return false;
    // A zombie (nobody reaped it yet) is not alive.
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray stat = f.readAll();
    const int close = stat.lastIndexOf(')');
    return close < 0 || stat.mid(close + 2, 1) != "Z";
}

// "net:[4026532288]" -> 4026532288
quint64 linkInode(const QString &path)
{
    const QString target = QFile::symLinkTarget(path);
    const qsizetype open = target.indexOf(QLatin1Char('['));
    return open < 0 ? 0 : target.mid(open + 1).chopped(1).toULongLong();
}

ProcessResult ipBatch(const QString &netns, const QStringList &lines)
{
    static const QString ip = findProgram(QStringLiteral("ip"));
    QStringList args;
    if (!netns.isEmpty())
        args << QStringLiteral("-n") << netns;
    args << QStringLiteral("-batch") << QStringLiteral("-");
    ProcessResult r = runProcess(ip, args, lines.join(QLatin1Char('\n')).toUtf8() + '\n');
    r.command =
        QStringLiteral("ip %1-batch (%2)")
            .arg(netns.isEmpty() ? QString() : QStringLiteral("-n ") + netns + QLatin1Char(' '),
                 lines.value(0));
    return r;
}

QString routerIptablesRestore()
{
    // The router is Google's side, independent of the nodes' back end.
    return backendAvailable(IptablesBackend::Nft)
               ? iptablesTool(IptablesBackend::Nft, QStringLiteral("iptables-restore"))
               : iptablesTool(IptablesBackend::Legacy, QStringLiteral("iptables-restore"));
}

QByteArray routerRules(const ClusterStatus &s)
{
    QString r;
    // The internet reaches the external addresses only, never the internal or VPN ranges.
    r += QStringLiteral("*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                        "-A PREROUTING -i inet ! -d %1 -j DROP\nCOMMIT\n")
             .arg(kExternalRange);
    r += QStringLiteral("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT "
                        "[0:0]\n:POSTROUTING ACCEPT [0:0]\n");
    for (const ClusterNode &n : s.nodes) {
        // 1:1 NAT, as GCE's external addresses.
        r += QStringLiteral("-A PREROUTING -i inet -d %1/32 -j DNAT --to-destination %2\n")
                 .arg(n.externalAddress, n.address);
        r += QStringLiteral("-A POSTROUTING -o inet -s %1/32 -j SNAT --to-source %2\n")
                 .arg(n.address, n.externalAddress);
    }
    // The laptop's VPN ends on a server inside the VPC that masquerades its clients, so the nodes
    // see VPN traffic as internal (why the tutorial's page opens over the VPN before any firewall
    // work).
    r += QStringLiteral("-A POSTROUTING -s %1 -o n+ -j SNAT --to-source %2\n")
             .arg(kVpnRange, kRouterAddress);
    r += QStringLiteral("COMMIT\n");
    r += QStringLiteral("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT "
                        "[0:0]\n:PIER-VPC - [0:0]\n"
                        "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                        "-A FORWARD -m conntrack --ctstate INVALID -j DROP\n"
                        "-A FORWARD -i vpn -o n+ -j ACCEPT\n"
                        // Ingress to a node passes the VPC firewall; what it does not allow is
                        // dropped by the policy, GCE's implied deny.
                        "-A FORWARD -o n+ -j PIER-VPC\n"
                        // GCE's implied allow of all egress.
                        "-A FORWARD -i n+ -o inet -j ACCEPT\n"
                        "-A INPUT -i inet -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP\n"
                        "COMMIT\n");
    return r.toLatin1();
}

const QRegularExpression &nameRe()
{
    static const QRegularExpression re(QStringLiteral("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"));
    return re;
}

// One sandbox id, one writer: an abstract unix socket named after the id is the lock. Only one
// process can bind the name, the kernel frees it when the process ends (even killed), and it
// leaves no file anywhere.
class IdLock {
public:
    explicit IdLock(const QString &id) : m_name("pier-sandbox-net-" + id.toLatin1()) {}
    ~IdLock()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    bool acquire(QString *error)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000) {
            m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            std::memcpy(addr.sun_path + 1, m_name.constData(), size_t(m_name.size()));
            const socklen_t len =
                socklen_t(offsetof(sockaddr_un, sun_path) + 1 + size_t(m_name.size()));
            if (m_fd >= 0 && ::bind(m_fd, reinterpret_cast<sockaddr *>(&addr), len) == 0)
                return true;
            const int saved = errno;
            if (m_fd >= 0)
                ::close(m_fd);
            m_fd = -1;
            if (saved != EADDRINUSE) {
                *error = QStringLiteral("cannot lock the sandbox: %1")
                             .arg(QString::fromLocal8Bit(std::strerror(saved)));
                return false;
            }
            QThread::msleep(20);
        }
        *error = QStringLiteral("another pier process has been changing the sandbox network for a "
                                "minute; try again later");
        return false;
    }

private:
    QByteArray m_name;
    int m_fd = -1;
};

} // namespace

// ---- JSON ------------------------------------------------------------------------------

QJsonObject FirewallRule::toJson() const
{
    QJsonArray allowedJson;
    for (const Allowed &a : allowed) {
        QJsonObject o{{QStringLiteral("IPProtocol"), a.protocol}};
        if (!a.ports.isEmpty())
            o.insert(QStringLiteral("ports"), toArray(a.ports));
        allowedJson.append(o);
    }
    QJsonObject o{{QStringLiteral("name"), name},
                  {QStringLiteral("network"), network},
                  {QStringLiteral("sourceRanges"), toArray(sourceRanges)},
                  {QStringLiteral("allowed"), allowedJson}};
    if (!targetTags.isEmpty())
        o.insert(QStringLiteral("targetTags"), toArray(targetTags));
    return o;
}

FirewallRule FirewallRule::fromJson(const QJsonObject &o)
{
    FirewallRule r;
    r.name = o.value(QStringLiteral("name")).toString();
    r.network = o.value(QStringLiteral("network")).toString(QStringLiteral("default"));
    r.sourceRanges = fromArray(o.value(QStringLiteral("sourceRanges")));
    r.targetTags = fromArray(o.value(QStringLiteral("targetTags")));
    for (const QJsonValue &v : o.value(QStringLiteral("allowed")).toArray()) {
        const QJsonObject a = v.toObject();
        r.allowed.append({a.value(QStringLiteral("IPProtocol")).toString(),
                          fromArray(a.value(QStringLiteral("ports")))});
    }
    return r;
}

QJsonObject ClusterStatus::toJson() const
{
    QJsonArray nodesJson;
    for (const ClusterNode &n : nodes) {
        nodesJson.append(QJsonObject{{QStringLiteral("name"), n.name},
                                     {QStringLiteral("role"), n.role},
                                     {QStringLiteral("address"), n.address},
                                     {QStringLiteral("external_address"), n.externalAddress},
                                     {QStringLiteral("namespace"), n.netns},
                                     {QStringLiteral("mount_namespace"), n.mntnsFile},
                                     {QStringLiteral("sshd_pid"), n.sshdPid},
                                     {QStringLiteral("tags"), toArray(n.tags)}});
    }
    QJsonArray rules;
    for (const FirewallRule &r : firewallRules)
        rules.append(r.toJson());
    return QJsonObject{{QStringLiteral("id"), id},
                       {QStringLiteral("state_dir"), stateDir},
                       {QStringLiteral("cluster"), clusterName},
                       {QStringLiteral("network"), network},
                       {QStringLiteral("internal_range"), internalRange},
                       {QStringLiteral("preset"), presetName(preset)},
                       {QStringLiteral("backend"), backendName(backend)},
                       {QStringLiteral("router_namespace"), routerNetns},
                       {QStringLiteral("router_address"), routerAddress},
                       {QStringLiteral("internet_namespace"), internetNetns},
                       {QStringLiteral("internet_client_address"), internetClientAddress},
                       {QStringLiteral("vpn_namespace"), vpnNetns},
                       {QStringLiteral("vpn_client_address"), vpnClientAddress},
                       {QStringLiteral("ssh_user"), sshUser},
                       {QStringLiteral("user_namespace"), qint64(userNamespace)},
                       {QStringLiteral("ssh_key_file"), sshKeyFile},
                       {QStringLiteral("known_hosts_file"), knownHostsFile},
                       {QStringLiteral("started"),
                        QDateTime::fromMSecsSinceEpoch(startedMs, Qt::UTC).toString(Qt::ISODate)},
                       {QStringLiteral("nodes"), nodesJson},
                       {QStringLiteral("firewall_rules"), rules}};
}

ClusterStatus ClusterStatus::fromJson(const QJsonObject &o)
{
    ClusterStatus s;
    auto str = [&](const char *key) { return o.value(QLatin1String(key)).toString(); };
    s.id = str("id");
    s.stateDir = str("state_dir");
    s.clusterName = str("cluster");
    s.network = str("network");
    s.internalRange = str("internal_range");
    s.preset = parsePreset(str("preset")).value_or(IptablesPreset::Mesosphere);
    s.backend = parseBackend(str("backend")).value_or(IptablesBackend::Nft);
    s.routerNetns = str("router_namespace");
    s.routerAddress = str("router_address");
    s.internetNetns = str("internet_namespace");
    s.internetClientAddress = str("internet_client_address");
    s.vpnNetns = str("vpn_namespace");
    s.vpnClientAddress = str("vpn_client_address");
    s.sshUser = str("ssh_user");
    s.userNamespace = quint64(o.value(QStringLiteral("user_namespace")).toInteger());
    s.sshKeyFile = str("ssh_key_file");
    s.knownHostsFile = str("known_hosts_file");
    s.startedMs = QDateTime::fromString(str("started"), Qt::ISODate).toMSecsSinceEpoch();
    for (const QJsonValue &v : o.value(QStringLiteral("nodes")).toArray()) {
        const QJsonObject n = v.toObject();
        ClusterNode node;
        node.name = n.value(QStringLiteral("name")).toString();
        node.role = n.value(QStringLiteral("role")).toString();
        node.address = n.value(QStringLiteral("address")).toString();
        node.externalAddress = n.value(QStringLiteral("external_address")).toString();
        node.netns = n.value(QStringLiteral("namespace")).toString();
        node.mntnsFile = n.value(QStringLiteral("mount_namespace")).toString();
        node.sshdPid = n.value(QStringLiteral("sshd_pid")).toInteger(-1);
        node.tags = fromArray(n.value(QStringLiteral("tags")));
        s.nodes.append(node);
    }
    for (const QJsonValue &v : o.value(QStringLiteral("firewall_rules")).toArray())
        s.firewallRules.append(FirewallRule::fromJson(v.toObject()));
    return s;
}

// ---- Cluster ---------------------------------------------------------------------------

Cluster::Cluster(const QString &id, const QString &stateDir)
    : m_id(id), m_stateDir(stateDir.isEmpty() ? defaultStateDir(id)
                                              : QDir::cleanPath(QDir(stateDir).absolutePath()))
{
}

QString Cluster::defaultStateDir(const QString &id)
{
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (::geteuid() != 0 && !runtime.isEmpty())
        return runtime + QStringLiteral("/pier-sandbox-") + id;
    if (::geteuid() != 0) // a user without a runtime dir (su, setpriv) cannot write /run
        return QDir::tempPath() + QStringLiteral("/pier-sandbox-%1-").arg(::geteuid()) + id;
    return QStringLiteral("/run/pier-sandbox-") + id;
}

bool Cluster::isValidId(const QString &id)
{
    // Letters and digits only, so the prefix "ID-" of one sandbox never matches another's.
    static const QRegularExpression re(QStringLiteral("^[a-z0-9]{1,16}$"));
    return re.match(id).hasMatch();
}

QString Cluster::missingPrerequisites()
{
    QString why;
    if (!haveNamespacePrivileges(&why))
        return why;
    QStringList missing;
    const struct {
        const char *program;
        const char *package;
        bool rootOnly; // without root, nodes serve SSH with libssh and sudo is a shim
    } tools[] = {{"ip", "iproute2", false},
                 {"nsenter", "util-linux", false},
                 {"sshd", "openssh-server", true},
                 {"ssh-keygen", "openssh-client", false},
                 {"sudo", "sudo", false}};
    for (const auto &t : tools) {
        if (t.rootOnly && ::geteuid() != 0)
            continue;
        if (!QFileInfo(findProgram(QLatin1String(t.program))).isExecutable())
            missing << QStringLiteral("%1 (package %2)")
                           .arg(QLatin1String(t.program), QLatin1String(t.package));
    }
    if (!backendAvailable(IptablesBackend::Nft) && !backendAvailable(IptablesBackend::Legacy))
        missing << QStringLiteral("iptables (package iptables)");
    if (!missing.isEmpty())
        return QStringLiteral("the sandbox's network needs %1; install-deps.sh installs them")
            .arg(missing.join(QStringLiteral(", ")));
    return {};
}

QString Cluster::stateFile() const
{
    return m_stateDir + QStringLiteral("/state.json");
}

bool Cluster::writeState(const ClusterStatus &s, QString *error) const
{
    QSaveFile f(stateFile());
    const QByteArray data = QJsonDocument(s.toJson()).toJson(QJsonDocument::Indented);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(stateFile(), f.errorString());
        return false;
    }
    return true;
}

std::optional<ClusterStatus> Cluster::readState() const
{
    QFile f(stateFile());
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll());
    if (!doc.isObject())
        return std::nullopt;
    return ClusterStatus::fromJson(doc.object());
}

QStringList Cluster::ourNamespaces() const
{
    QStringList ours;
    const QString prefix = m_id + QLatin1Char('-');
    for (const QString &ns : namedNetworkNamespaces()) {
        if (ns.startsWith(prefix))
            ours << ns;
    }
    return ours;
}

bool Cluster::hasLeftovers() const
{
    // The daemon of an unprivileged sandbox makes the network in a state dir that already holds
    // its own log; only a state file there is a leftover.
    const bool daemonInUserNamespace = ::geteuid() != 0 && haveNamespacePrivileges(nullptr);
    return QFileInfo::exists(daemonInUserNamespace ? stateFile() : m_stateDir) ||
           !ourNamespaces().isEmpty() || !mountsUnder(m_stateDir).isEmpty();
}

std::optional<ClusterStatus> Cluster::status(QString *problem) const
{
    auto fail = [&](const QString &why) -> std::optional<ClusterStatus> {
        if (problem)
            *problem = why;
        return std::nullopt;
    };
    const std::optional<ClusterStatus> s = readState();
    if (!s)
        return fail(hasLeftovers()
                        ? QStringLiteral("the sandbox network \"%1\" is not up, but a previous run "
                                         "left things behind; `pier sandbox net down` cleans them")
                              .arg(m_id)
                        : QStringLiteral("the sandbox network \"%1\" is not up").arg(m_id));
    // A user namespace's names are only visible inside it; from outside its servers tell.
    const bool outside = s->userNamespace != 0 && !haveNamespacePrivileges(nullptr);
    const QStringList existing = outside ? QStringList{} : namedNetworkNamespaces();
    for (const QString &ns : {s->routerNetns, s->internetNetns, s->vpnNetns}) {
        if (outside)
            break;
        if (!existing.contains(ns))
            return fail(
                QStringLiteral(
                    "namespace %1 is missing; `pier sandbox net down` cleans up, then `up` again")
                    .arg(ns));
    }
    for (const ClusterNode &n : s->nodes) {
        if (!outside && !existing.contains(n.netns))
            return fail(QStringLiteral("node %1's namespace is missing; `pier sandbox net down` "
                                       "cleans up, then `up` again")
                            .arg(n.name));
        if (!pidAlive(n.sshdPid))
            return fail(
                QStringLiteral("node %1's sshd (pid %2) is not running; see %3/nodes/%1/sshd.log")
                    .arg(n.name)
                    .arg(n.sshdPid)
                    .arg(m_stateDir));
    }
    return s;
}

Cluster::UpResult Cluster::up(const ClusterOptions &options, QString *error)
{
    IdLock lock(m_id);
    if (!lock.acquire(error))
        return UpResult::Failed;
    QString why = missingPrerequisites();
    if (why.isEmpty() && !isValidId(m_id))
        why = QStringLiteral(
                  "the sandbox id \"%1\" may only have lower-case letters and digits (at most 16)")
                  .arg(m_id);
    if (why.isEmpty() && (options.agents < 0 || options.agents + 1 > kMaxNodes))
        why =
            QStringLiteral("--nodes takes 1 to %1 nodes (a master and N-1 agents)").arg(kMaxNodes);
    if (why.isEmpty() && !backendAvailable(options.backend))
        why = QStringLiteral("the %1 iptables back end is not installed (%2)")
                  .arg(backendName(options.backend),
                       iptablesTool(options.backend, QStringLiteral("iptables-restore")));
    if (why.isEmpty() && !nameRe().match(options.clusterName).hasMatch())
        why = QStringLiteral("the cluster name \"%1\" is not a valid GCE name")
                  .arg(options.clusterName);
    if (!why.isEmpty()) {
        *error = QStringLiteral("cannot start the sandbox network: ") + why;
        return UpResult::Failed;
    }
    if (status())
        return UpResult::AlreadyUp;
    if (hasLeftovers()) {
        qCInfo(lcSandbox) << "cleaning leftovers of an earlier sandbox" << m_id;
        if (!downLocked(error))
            return UpResult::Failed;
    }
    QElapsedTimer timer;
    timer.start();

    ClusterStatus s;
    s.id = m_id;
    s.stateDir = m_stateDir;
    s.clusterName = options.clusterName;
    s.network = QStringLiteral("default");
    s.internalRange = kInternalRange;
    s.preset = options.preset;
    s.backend = options.backend;
    s.routerNetns = m_id + QStringLiteral("-router");
    s.internetNetns = m_id + QStringLiteral("-internet");
    s.vpnNetns = m_id + QStringLiteral("-vpn");
    s.routerAddress = kRouterAddress;
    s.internetClientAddress = kInternetClient;
    s.vpnClientAddress = kVpnClient;
    s.sshUser = QLatin1String(kSshUser);
    s.sshKeyFile = m_stateDir + QStringLiteral("/ssh/id_ed25519");
    s.knownHostsFile = m_stateDir + QStringLiteral("/ssh/known_hosts");
    s.startedMs = QDateTime::currentMSecsSinceEpoch();
    s.firewallRules = defaultFirewallRules(kInternalRange);
    if (::geteuid() != 0)
        s.userNamespace = namespaceInode(QStringLiteral("/proc/self/ns/user"));
    const QString nsDir = m_stateDir + QStringLiteral("/ns");
    for (int i = 0; i <= options.agents; ++i) {
        ClusterNode n;
        n.role = i == 0 ? QStringLiteral("master") : QStringLiteral("agent");
        n.name = options.clusterName +
                 (i == 0 ? QStringLiteral("-master") : QStringLiteral("-agent-%1").arg(i));
        n.address = kInternalPrefix + QString::number(kFirstInternalHost + i);
        n.externalAddress = kExternalPrefix + QString::number(kFirstExternalHost + i);
        n.netns = m_id + QLatin1Char('-') + n.name;
        n.mntnsFile = nsDir + QLatin1Char('/') + n.name + QStringLiteral(".mnt");
        n.tags = {n.role == QLatin1String("master") ? QStringLiteral("mesos-master")
                                                    : QStringLiteral("mesos-slave")};
        s.nodes.append(n);
    }

    auto fail = [&](const QString &what) {
        *error = QStringLiteral("cannot start the sandbox network: ") + what;
        QString ignored;
        downLocked(&ignored);
        return UpResult::Failed;
    };

    if (!QDir().mkpath(nsDir) || !QDir().mkpath(m_stateDir + QStringLiteral("/ssh")))
        return fail(QStringLiteral("cannot create %1").arg(m_stateDir));
    QFile::setPermissions(m_stateDir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    // Mount namespaces can only be bound on a private mount, as `ip netns` does for /run/netns.
    const QByteArray nsDirC = QFile::encodeName(nsDir);
    if (::mount(nsDirC.constData(), nsDirC.constData(), nullptr, MS_BIND, nullptr) != 0 ||
        ::mount(nullptr, nsDirC.constData(), nullptr, MS_PRIVATE, nullptr) != 0)
        return fail(QStringLiteral("cannot make %1 a private mount: %2")
                        .arg(nsDir, QString::fromLocal8Bit(std::strerror(errno))));
    if (!writeState(s, error)) // early, so a crash from here on is cleaned by down()
        return fail(*error);

    // Namespaces.
    QStringList lines{QStringLiteral("netns add ") + s.routerNetns,
                      QStringLiteral("netns add ") + s.internetNetns,
                      QStringLiteral("netns add ") + s.vpnNetns};
    for (const ClusterNode &n : s.nodes)
        lines << QStringLiteral("netns add ") + n.netns;
    if (::geteuid() != 0) {
        // In a user namespace `ip netns add` cannot return to the desktop's namespace.
        QStringList names{s.routerNetns, s.internetNetns, s.vpnNetns};
        for (const ClusterNode &n : s.nodes)
            names << n.netns;
        for (const QString &name : std::as_const(names)) {
            QString err;
            if (!createNamedNetns(name, &err))
                return fail(err);
        }
    } else if (ProcessResult r = ipBatch({}, lines); !r.ok()) {
        return fail(r.errorText());
    }
    // The router forwards; it must not drop the asymmetric paths the load balancer will make.
    for (const auto &[key, value] : {std::pair{"net/ipv4/conf/all/rp_filter", "0"},
                                     std::pair{"net/ipv4/conf/default/rp_filter", "0"},
                                     std::pair{"net/ipv4/ip_forward", "1"}}) {
        QString err;
        if (!writeSysctl(s.routerNetns, QLatin1String(key), value, &err))
            return fail(err);
    }

    // Links: a veth pair per node and per client, made in the router so nothing appears in the
    // host.
    lines = {QStringLiteral("link set lo up")};
    for (int i = 0; i < s.nodes.size(); ++i) {
        const ClusterNode &n = s.nodes.at(i);
        const QString dev = QStringLiteral("n%1").arg(i);
        lines << QStringLiteral("link add %1 type veth peer name eth0 netns %2").arg(dev, n.netns)
              << QStringLiteral("addr add %1/32 dev %2").arg(kRouterAddress, dev)
              << QStringLiteral("link set %1 up").arg(dev)
              << QStringLiteral("route add %1/32 dev %2 scope link").arg(n.address, dev);
    }
    lines << QStringLiteral("link add inet type veth peer name eth0 netns %1").arg(s.internetNetns)
          << QStringLiteral("addr add %1/24 dev inet").arg(kInternetRouter)
          << QStringLiteral("link set inet up")
          << QStringLiteral("link add vpn type veth peer name eth0 netns %1").arg(s.vpnNetns)
          << QStringLiteral("addr add %1/24 dev vpn").arg(kVpnRouter)
          << QStringLiteral("link set vpn up");
    if (ProcessResult r = ipBatch(s.routerNetns, lines); !r.ok())
        return fail(r.errorText());
    // Nodes as on GCE: a /32 address, the gateway on-link, everything through it.
    for (const ClusterNode &n : s.nodes) {
        const ProcessResult r = ipBatch(
            n.netns, {QStringLiteral("link set lo up"),
                      QStringLiteral("addr add %1/32 dev eth0").arg(n.address),
                      QStringLiteral("link set eth0 up"),
                      QStringLiteral("route add %1 dev eth0 scope link").arg(kRouterAddress),
                      QStringLiteral("route add default via %1 dev eth0").arg(kRouterAddress)});
        if (!r.ok())
            return fail(r.errorText());
    }
    if (ProcessResult r = ipBatch(
            s.internetNetns, {QStringLiteral("link set lo up"),
                              QStringLiteral("addr add %1/24 dev eth0").arg(kInternetClient),
                              QStringLiteral("link set eth0 up"),
                              QStringLiteral("route add default via %1").arg(kInternetRouter)});
        !r.ok())
        return fail(r.errorText());
    // The VPN pushes a route to the internal network only.
    if (ProcessResult r = ipBatch(
            s.vpnNetns, {QStringLiteral("link set lo up"),
                         QStringLiteral("addr add %1/24 dev eth0").arg(kVpnClient),
                         QStringLiteral("link set eth0 up"),
                         QStringLiteral("route add %1 via %2").arg(kInternalRange, kVpnRouter)});
        !r.ok())
        return fail(r.errorText());

    // Firewalls: the router's NAT and VPC chain, each node's preset.
    if (ProcessResult r =
            runInNamespace(s.routerNetns, routerIptablesRestore(), {}, routerRules(s));
        !r.ok())
        return fail(r.errorText());
    if (!applyFirewall(s, error))
        return fail(*error);
    const QByteArray rules = presetRules(options.preset, kInternalRange);
    const QString restore = iptablesTool(options.backend, QStringLiteral("iptables-restore"));
    for (const ClusterNode &n : s.nodes) {
        if (ProcessResult r = runInNamespace(n.netns, restore, {}, rules); !r.ok())
            return fail(r.errorText());
    }

    // SSH: one user key, a host key and sshd per node, a known_hosts listing both addresses.
    if (!generateSshKey(s.sshKeyFile, s.sshUser + QStringLiteral("@pier-sandbox"), error))
        return fail(*error);
    QFile pub(s.sshKeyFile + QStringLiteral(".pub"));
    if (!pub.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("cannot read %1").arg(pub.fileName()));
    const QByteArray authorized = pub.readAll();
    QByteArray knownHosts;
    for (ClusterNode &n : s.nodes) {
        NodeFiles files{n.name, m_stateDir + QStringLiteral("/nodes/") + n.name, m_stateDir,
                        n.mntnsFile, n.address};
        if (!prepareNodeFiles(files, authorized, options.backend, rules, error))
            return fail(*error);
        if (!createNodeMountNamespace(files, error))
            return fail(*error);
        if (::geteuid() != 0) {
            // OpenSSH's sshd cannot run in a user namespace (privilege separation): libssh.
            const SshServerConfig ssh{files.hostKey(), s.sshUser, authorized,
                                      QStringLiteral("/home/") + s.sshUser};
            n.sshdPid =
                startSshServer(netnsPath(n.netns), n.mntnsFile, files.sshdLog(), ssh, error);
        } else {
            n.sshdPid = startNodeSshd(n.netns, files, error);
        }
        if (n.sshdPid <= 0)
            return fail(*error);
        knownHosts +=
            QStringLiteral("%1,%2,%3 ").arg(n.name, n.address, n.externalAddress).toUtf8() +
            nodeHostPublicKey(files) + '\n';
    }
    QSaveFile kh(s.knownHostsFile);
    if (!kh.open(QIODevice::WriteOnly) || kh.write(knownHosts) != knownHosts.size() || !kh.commit())
        return fail(QStringLiteral("cannot write %1").arg(s.knownHostsFile));
    if (!writeState(s, error))
        return fail(*error);

    // Ready when every sshd answers over the VPN, which also proves the routes.
    QElapsedTimer wait;
    wait.start();
    for (const ClusterNode &n : s.nodes) {
        for (;;) {
            const ProbeResult p = probeTcp(s.vpnNetns, QHostAddress(n.address), 22, 2000);
            if (p == ProbeResult::Connected)
                break;
            if (!pidAlive(n.sshdPid) || wait.elapsed() > 20000) {
                QFile log(m_stateDir + QStringLiteral("/nodes/") + n.name +
                          QStringLiteral("/sshd.log"));
                log.open(QIODevice::ReadOnly);
                return fail(QStringLiteral("sshd on %1 does not answer on %2:22 (%3): %4")
                                .arg(n.name, n.address, probeResultName(p),
                                     QString::fromLocal8Bit(log.readAll()).trimmed()));
            }
            QThread::msleep(10);
        }
    }
    qCInfo(lcSandbox) << "sandbox network" << m_id << "up with" << s.nodes.size() << "nodes in"
                      << timer.elapsed() << "ms";
    return UpResult::Started;
}

bool Cluster::down(QString *error)
{
    IdLock lock(m_id);
    return lock.acquire(error) && downLocked(error);
}

bool Cluster::downLocked(QString *error)
{
    const std::optional<ClusterStatus> s = readState();
    const QStringList namespaces = ourNamespaces();

    // Every process in one of our namespaces, wherever it came from, plus the pids we recorded.
    QSet<quint64> inodes;
    for (const QString &ns : namespaces)
        inodes.insert(namespaceInode(netnsPath(ns)));
    QSet<qint64> pids;
    if (s) {
        for (const ClusterNode &n : s->nodes) {
            if (n.sshdPid > 0 && QFileInfo::exists(n.mntnsFile))
                inodes.insert(namespaceInode(n.mntnsFile));
        }
    }
    inodes.remove(0);
    const qint64 self = ::getpid();
    const QStringList procs =
        QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &p : procs) {
        bool isPid = false;
        const qint64 pid = p.toLongLong(&isPid);
        if (!isPid || pid == self)
            continue;
        const QString base = QStringLiteral("/proc/") + p + QStringLiteral("/ns/");
        if (inodes.contains(linkInode(base + QStringLiteral("net"))) ||
            inodes.contains(linkInode(base + QStringLiteral("mnt"))))
            pids.insert(pid);
    }
    for (qint64 pid : std::as_const(pids))
        ::kill(pid_t(pid), SIGTERM);
    QElapsedTimer t;
    t.start();
    for (qint64 pid : std::as_const(pids)) {
        while (pidAlive(pid) && t.elapsed() < 3000)
            QThread::msleep(5);
        if (pidAlive(pid))
            ::kill(pid_t(pid), SIGKILL);
    }

    if (s) {
        for (const ClusterNode &n : s->nodes)
            releaseNodeMountNamespace(n.mntnsFile);
    }

    QStringList problems;
    for (const QString &point : mountsUnder(m_stateDir)) {
        if (::umount2(QFile::encodeName(point).constData(), MNT_DETACH) != 0)
            problems << QStringLiteral("cannot unmount %1: %2")
                            .arg(point, QString::fromLocal8Bit(std::strerror(errno)));
    }
    if (!namespaces.isEmpty()) {
        QStringList lines;
        for (const QString &ns : namespaces)
            lines << QStringLiteral("netns delete ") + ns;
        static const QString ip = findProgram(QStringLiteral("ip"));
        const ProcessResult r = runProcess(
            ip, {QStringLiteral("-force"), QStringLiteral("-batch"), QStringLiteral("-")},
            lines.join(QLatin1Char('\n')).toUtf8() + '\n');
        if (!r.ok())
            problems << r.errorText();
    }
    // Never delete recursively through a mount that is still there.
    if (mountsUnder(m_stateDir).isEmpty()) {
        if (QFileInfo::exists(m_stateDir) && !QDir(m_stateDir).removeRecursively())
            problems << QStringLiteral("cannot remove %1").arg(m_stateDir);
    } else {
        problems << QStringLiteral("mounts remain under %1").arg(m_stateDir);
    }
    if (!ourNamespaces().isEmpty())
        problems << QStringLiteral("namespaces remain: %1")
                        .arg(ourNamespaces().join(QStringLiteral(", ")));
    if (!problems.isEmpty()) {
        *error = QStringLiteral("the sandbox network did not go down cleanly: ") +
                 problems.join(QStringLiteral("; "));
        return false;
    }
    return true;
}

// ---- VPC firewall ----------------------------------------------------------------------

QList<FirewallRule> Cluster::defaultFirewallRules(const QString &internalRange)
{
    // What GCE's "default" network comes with.
    return {
        {QStringLiteral("default-allow-internal"),
         QStringLiteral("default"),
         {internalRange},
         {{QStringLiteral("tcp"), {QStringLiteral("0-65535")}},
          {QStringLiteral("udp"), {QStringLiteral("0-65535")}},
          {QStringLiteral("icmp"), {}}},
         {}},
        {QStringLiteral("default-allow-ssh"),
         QStringLiteral("default"),
         {QStringLiteral("0.0.0.0/0")},
         {{QStringLiteral("tcp"), {QStringLiteral("22")}}},
         {}},
        {QStringLiteral("default-allow-rdp"),
         QStringLiteral("default"),
         {QStringLiteral("0.0.0.0/0")},
         {{QStringLiteral("tcp"), {QStringLiteral("3389")}}},
         {}},
        {QStringLiteral("default-allow-icmp"),
         QStringLiteral("default"),
         {QStringLiteral("0.0.0.0/0")},
         {{QStringLiteral("icmp"), {}}},
         {}},
    };
}

QByteArray Cluster::vpcChain(const ClusterStatus &s)
{
    // Declaring the chain in --noflush mode empties it, so the whole chain is replaced at once.
    QString out = QStringLiteral("*filter\n:PIER-VPC - [0:0]\n");
    for (const FirewallRule &rule : s.firewallRules) {
        if (rule.network != s.network)
            continue;
        QStringList targets;
        if (rule.targetTags.isEmpty()) {
            targets << QString();
        } else {
            // By the node's link, not its address: load-balanced traffic keeps the forwarding
            // rule's address as destination, and GCE's firewall still applies to the instance.
            for (int i = 0; i < s.nodes.size(); ++i) {
                for (const QString &tag : s.nodes.at(i).tags) {
                    if (rule.targetTags.contains(tag)) {
                        targets << QStringLiteral("n%1").arg(i);
                        break;
                    }
                }
            }
        }
        const QStringList sources = rule.sourceRanges.isEmpty()
                                        ? QStringList{QStringLiteral("0.0.0.0/0")}
                                        : rule.sourceRanges;
        for (const QString &src : sources) {
            for (const QString &dst : std::as_const(targets)) {
                for (const FirewallRule::Allowed &a : rule.allowed) {
                    QString line = QStringLiteral("-A PIER-VPC");
                    if (src != QLatin1String("0.0.0.0/0"))
                        line += QStringLiteral(" -s ") + src;
                    if (!dst.isEmpty())
                        line += QStringLiteral(" -o ") + dst;
                    const QString proto = a.protocol.toLower();
                    if (proto != QLatin1String("all"))
                        line += QStringLiteral(" -p ") + proto;
                    if (!a.ports.isEmpty() &&
                        (proto == QLatin1String("tcp") || proto == QLatin1String("udp") ||
                         proto == QLatin1String("sctp"))) {
                        QStringList ports = a.ports;
                        for (QString &p : ports)
                            p.replace(QLatin1Char('-'), QLatin1Char(':'));
                        line += QStringLiteral(" -m multiport --dports ") +
                                ports.join(QLatin1Char(','));
                    }
                    line += QStringLiteral(" -m comment --comment %1 -j ACCEPT\n").arg(rule.name);
                    out += line;
                }
            }
        }
    }
    out += QStringLiteral("COMMIT\n");
    return out.toLatin1();
}

bool Cluster::applyFirewall(const ClusterStatus &s, QString *error) const
{
    const ProcessResult r = runInNamespace(s.routerNetns, routerIptablesRestore(),
                                           {QStringLiteral("--noflush")}, vpcChain(s));
    if (!r.ok()) {
        *error = QStringLiteral("cannot apply the VPC firewall: ") + r.errorText();
        return false;
    }
    return true;
}

bool Cluster::addAllowRule(const FirewallRule &rule, QString *error)
{
    IdLock lock(m_id);
    if (!lock.acquire(error))
        return false;
    std::optional<ClusterStatus> s = status(error);
    if (!s)
        return false;
    QString why;
    static const QRegularExpression portRe(QStringLiteral("^\\d{1,5}(-\\d{1,5})?$"));
    static const QStringList protocols = {QStringLiteral("tcp"),  QStringLiteral("udp"),
                                          QStringLiteral("icmp"), QStringLiteral("sctp"),
                                          QStringLiteral("esp"),  QStringLiteral("ah"),
                                          QStringLiteral("all")};
    if (!nameRe().match(rule.name).hasMatch())
        why = QStringLiteral("\"%1\" is not a valid rule name (lower-case letters, digits and '-', "
                             "starting with a letter)")
                  .arg(rule.name);
    for (const FirewallRule &r : std::as_const(s->firewallRules)) {
        if (r.name == rule.name)
            why = QStringLiteral("a firewall rule named \"%1\" already exists").arg(rule.name);
    }
    if (rule.allowed.isEmpty())
        why = QStringLiteral("the rule allows nothing: give at least one protocol");
    for (const FirewallRule::Allowed &a : rule.allowed) {
        if (!protocols.contains(a.protocol.toLower()))
            why = QStringLiteral("unknown protocol \"%1\"").arg(a.protocol);
        for (const QString &p : a.ports) {
            if (!portRe.match(p).hasMatch())
                why = QStringLiteral("\"%1\" is not a port or port range").arg(p);
        }
    }
    for (const QString &src : rule.sourceRanges) {
        if (QHostAddress::parseSubnet(src).first.protocol() != QAbstractSocket::IPv4Protocol)
            why = QStringLiteral("\"%1\" is not an IPv4 range").arg(src);
    }
    for (const QString &tag : rule.targetTags) {
        if (!nameRe().match(tag).hasMatch())
            why = QStringLiteral("\"%1\" is not a valid tag").arg(tag);
    }
    if (!why.isEmpty()) {
        *error = QStringLiteral("cannot add the firewall rule: ") + why;
        return false;
    }
    s->firewallRules.append(rule);
    return applyFirewall(*s, error) && writeState(*s, error);
}

bool Cluster::removeAllowRule(const QString &name, QString *error)
{
    IdLock lock(m_id);
    if (!lock.acquire(error))
        return false;
    std::optional<ClusterStatus> s = status(error);
    if (!s)
        return false;
    const qsizetype before = s->firewallRules.size();
    s->firewallRules.removeIf([&](const FirewallRule &r) { return r.name == name; });
    if (s->firewallRules.size() == before) {
        *error = QStringLiteral("there is no firewall rule named \"%1\"").arg(name);
        return false;
    }
    return applyFirewall(*s, error) && writeState(*s, error);
}

bool Cluster::setNodeTags(const QString &nodeName, const QStringList &tags, QString *error)
{
    IdLock lock(m_id);
    if (!lock.acquire(error))
        return false;
    std::optional<ClusterStatus> s = status(error);
    if (!s)
        return false;
    for (ClusterNode &n : s->nodes) {
        if (n.name == nodeName) {
            n.tags = tags;
            return applyFirewall(*s, error) && writeState(*s, error);
        }
    }
    *error = QStringLiteral("there is no node named \"%1\"").arg(nodeName);
    return false;
}

} // namespace pier::sandbox
