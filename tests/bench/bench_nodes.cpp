// Opening port 80 on 4, 16 and 64 sandbox nodes: Pier (its node sessions, through a SOCKS5 proxy
// into the sandbox's "vpn" client), parallel-ssh and an ansible ad-hoc run of the same fix script
// (both run inside the "vpn" namespace), each from the same iptables preset. Pier cold: sessions
// connect first, as the others always do; warm: the sessions are already open, as in the node
// panes. Every run is checked: each node must hold Pier's rule afterwards.
// Needs root. Built, not run by ctest: build-dir/tests/bench/bench_nodes [SIZES...]

#include "firewall/fixplan.h"
#include "firewall/ruleset.h"
#include "nodes/nodefirewalljob.h"
#include "nodes/nodesessionpool.h"
#include "sandbox/cluster.h"
#include "sandbox/netns.h"
#include "sandbox/socksproxy.h"
#include "ssh/shellquote.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QLoggingCategory>
#include <QTemporaryDir>
#include <QTextStream>

#include <unistd.h>

using namespace pier;
using namespace pier::sandbox;
using namespace Qt::StringLiterals;

namespace {

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

struct Bench {
    ClusterStatus status;
    Profile profile;
    QList<nodes::Node> nodes;
    QString script; // the fix, as Pier plans it for the preset

    bool reset()
    {
        for (const ClusterNode &n : status.nodes) {
            const ProcessResult r =
                runInNamespace(n.netns, iptablesTool(status.backend, u"iptables-restore"_s), {},
                               presetRules(status.preset, status.internalRange));
            if (!r.ok()) {
                out() << "reset failed: " << r.errorText() << "\n";
                return false;
            }
        }
        return true;
    }

    int opened() const // nodes holding Pier's rule
    {
        int n = 0;
        for (const ClusterNode &c : status.nodes) {
            const ProcessResult r =
                runInNamespace(c.netns, iptablesTool(status.backend, u"iptables-save"_s), {});
            n += r.out.contains(firewall::kPierCommentPrefix) ? 1 : 0;
        }
        return n;
    }

    qint64 pier(nodes::NodeSessionPool &pool)
    {
        QElapsedTimer t;
        t.start();
        nodes::FirewallRequest request;
        request.action = nodes::FirewallAction::Open;
        QList<nodes::NodeFirewallJob *> jobs;
        int pending = 0;
        for (const nodes::Node &n : nodes) {
            auto *j = new nodes::NodeFirewallJob(pool.session(n), n, request);
            QObject::connect(j, &nodes::NodeFirewallJob::finished, j,
                             [&pending, j](const nodes::FirewallOutcome &o) {
                                 if (!o.ok)
                                     out() << j->node().name << ": " << o.error << "\n";
                                 --pending;
                             });
            jobs << j;
            ++pending;
            j->start();
        }
        while (pending > 0 && t.elapsed() < 300000)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 20);
        const qint64 ms = t.elapsed();
        qDeleteAll(jobs);
        return ms;
    }

    qint64 external(const QString &program, const QStringList &args, const QStringList &env)
    {
        QTemporaryDir home; // no ControlPersist socket or cache from an earlier run
        QStringList full{u"netns"_s, u"exec"_s, status.vpnNetns, u"env"_s,
                         u"HOME="_s + home.path()};
        full << env << program << args;
        QElapsedTimer t;
        t.start();
        const ProcessResult r = runProcess(findProgram(u"ip"_s), full, {}, 300000);
        const qint64 ms = t.elapsed();
        if (!r.ok())
            out() << program << " failed: " << r.errorText() << "\n"
                  << QString::fromUtf8(r.out.right(2000)) << "\n";
        return ms;
    }

    QStringList sshArgs() const
    {
        return {u"-F"_s, u"/dev/null"_s,
                u"-i"_s, status.sshKeyFile,
                u"-o"_s, u"UserKnownHostsFile="_s + status.knownHostsFile,
                u"-o"_s, u"StrictHostKeyChecking=yes"_s,
                u"-o"_s, u"BatchMode=yes"_s};
    }

    qint64 parallelSsh(const QString &hostsFile)
    {
        return external(u"parallel-ssh"_s,
                        {u"-h"_s, hostsFile, u"-l"_s, status.sshUser, u"-p"_s,
                         QString::number(nodes.size()), u"-t"_s, u"120"_s, u"-x"_s,
                         sshArgs().join(u' '), u"sudo -n sh -c "_s + ssh::shellQuote(script)},
                        {});
    }

    qint64 ansible()
    {
        QStringList hosts;
        for (const nodes::Node &n : nodes)
            hosts << n.address;
        return external(
            u"ansible"_s,
            {u"all"_s, u"-i"_s, hosts.join(u',') + u',', u"-u"_s, status.sshUser,
             u"--private-key"_s, status.sshKeyFile, u"--ssh-common-args"_s,
             u"-F /dev/null -o UserKnownHostsFile="_s + status.knownHostsFile, u"-f"_s,
             QString::number(nodes.size()), u"-b"_s, u"-m"_s, u"shell"_s, u"-a"_s, script},
            {u"ANSIBLE_PYTHON_INTERPRETER=auto_silent"_s, u"ANSIBLE_DEPRECATION_WARNINGS=False"_s});
    }
};

bool runSize(int size)
{
    Cluster cluster(u"bn%1x%2"_s.arg(::getpid()).arg(size));
    ClusterOptions options;
    options.agents = size - 1;
    QString error;
    QElapsedTimer up;
    up.start();
    if (cluster.up(options, &error) != Cluster::UpResult::Started) {
        out() << "sandbox with " << size << " nodes: " << error << "\n";
        return false;
    }
    const qint64 upMs = up.elapsed();
    Bench b;
    b.status = *cluster.status(&error);
    SocksProxy::Options po;
    po.routes << SocksProxy::Route{QHostAddress::parseSubnet(b.status.internalRange),
                                   b.status.vpnNetns};
    SocksProxy proxy(po);
    proxy.listen();
    b.profile.sshUser = b.status.sshUser;
    b.profile.sshKeyFile = b.status.sshKeyFile;
    b.profile.sshKnownHosts = b.status.knownHostsFile;
    b.profile.socksProxy = u"127.0.0.1:%1"_s.arg(proxy.port());
    QStringList entries;
    QTemporaryDir dir;
    QFile hosts(dir.filePath(u"hosts"_s));
    hosts.open(QIODevice::WriteOnly);
    for (const ClusterNode &n : b.status.nodes) {
        entries << n.name + u'=' + n.address;
        hosts.write(n.address.toUtf8() + '\n');
    }
    hosts.close();
    b.nodes = nodes::nodesFromProfile(entries);
    firewall::Query q;
    q.port = 80;
    const firewall::FixPlan plan =
        firewall::planFix(firewall::parseIptablesSave(QString::fromLatin1(
                              presetRules(b.status.preset, b.status.internalRange))),
                          q, firewall::parseProbe(u"uid=0\nhave=iptables\n"_s));
    b.script = plan.applyScript();

    auto pool = std::make_unique<nodes::NodeSessionPool>(b.profile);
    ssh::SshOptions so = pool->options();
    so.configFiles.clear();
    so.agentSocket.clear();
    pool->setOptions(so);

    struct Row {
        QString what;
        qint64 ms;
        int opened;
    };
    QList<Row> rows;
    auto measure = [&](const QString &what, const std::function<qint64()> &fn) {
        b.reset();
        const qint64 ms = fn();
        rows << Row{what, ms, b.opened()};
    };
    measure(u"pier cold"_s, [&] { return b.pier(*pool); });
    measure(u"pier warm"_s, [&] { return b.pier(*pool); });
    measure(u"parallel-ssh"_s, [&] { return b.parallelSsh(hosts.fileName()); });
    measure(u"ansible"_s, [&] { return b.ansible(); });
    pool.reset();
    out() << "nodes=" << size << " (sandbox up in " << upMs << " ms)\n";
    for (const Row &r : rows)
        out() << "  " << r.what.leftJustified(14) << QString::number(r.ms).rightJustified(7)
              << " ms   opened " << r.opened << "/" << size << "\n";
    out().flush();
    if (!cluster.down(&error))
        out() << "sandbox down: " << error << "\n";
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(u"pier.*.debug=false\npier.*.info=false"_s);
    const QString missing = Cluster::missingPrerequisites();
    if (!missing.isEmpty()) {
        out() << "bench_nodes needs the sandbox network: " << missing << "\n";
        return 0;
    }
    QList<int> sizes;
    for (int i = 1; i < argc; ++i)
        sizes << QString::fromLocal8Bit(argv[i]).toInt();
    if (sizes.isEmpty())
        sizes = {4, 16, 64};
    for (int size : std::as_const(sizes)) {
        if (size >= 2)
            runSize(size);
    }
    return 0;
}
