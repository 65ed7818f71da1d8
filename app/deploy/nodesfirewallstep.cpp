#include "deploy/nodesfirewallstep.h"

#include "mesos/mesosclient.h"
#include "nodes/nodediscovery.h"
#include "nodes/nodesessionpool.h"
#include "ssh/sshsession.h"

#include <QRegularExpression>

#include <algorithm>

namespace pier::deploy {

using nodes::FirewallAction;
using nodes::FirewallOutcome;
using nodes::Node;

NodesFirewallStep::NodesFirewallStep(const Profile &profile, const QUrl &mesosUrl, quint16 port,
                                     QObject *parent)
    : Step(QStringLiteral("node-iptables"), parent), m_profile(profile), m_mesosUrl(mesosUrl),
      m_port(port)
{
    // The SSH layer takes the proxy as host:port; profiles may write "socks5://host:port".
    static const QRegularExpression scheme(QStringLiteral("^socks5h?://"));
    m_profile.socksProxy.remove(scheme);
}

NodesFirewallStep::~NodesFirewallStep() = default;

QString NodesFirewallStep::title() const
{
    return tr("Open port %1 in every node's iptables").arg(m_port);
}

QString NodesFirewallStep::explanation() const
{
    return tr("Each node has its own firewall (iptables) besides Google's. On many clusters it "
              "drops everything it does not know, so the load balancer's traffic would never "
              "reach the app. Pier adds one marked ACCEPT rule for port %1 on every node, saves "
              "it so a reboot keeps it, and removes only its own rules on teardown.")
        .arg(m_port);
}

QString NodesFirewallStep::equivalentCommand() const
{
    const QString user =
        m_profile.sshUser.isEmpty() ? QStringLiteral("jclouds") : m_profile.sshUser;
    const QString rule = QStringLiteral("sudo iptables -I INPUT -p tcp --dport %1 -m comment "
                                        "--comment 'pier: open tcp/%1' -j ACCEPT && sudo sh -c "
                                        "'iptables-save > /etc/iptables/rules.v4'")
                             .arg(m_port);
    QStringList hosts;
    for (const Node &n : m_nodes)
        hosts << n.address;
    if (hosts.isEmpty())
        hosts << QStringLiteral("NODE");
    // The options Pier's own connection uses, so the line works as printed.
    QString options;
    if (!m_profile.sshKeyFile.isEmpty())
        options += QStringLiteral("-i %1 ").arg(m_profile.sshKeyFile);
    if (!m_profile.sshKnownHosts.isEmpty())
        options += QStringLiteral("-o UserKnownHostsFile=%1 ").arg(m_profile.sshKnownHosts);
    if (m_profile.sshPort != 22)
        options += QStringLiteral("-p %1 ").arg(m_profile.sshPort);
    if (!m_profile.socksProxy.isEmpty())
        options +=
            QStringLiteral("-o ProxyCommand='nc -X 5 -x %1 %h %p' ").arg(m_profile.socksProxy);
    QStringList lines;
    for (const QString &h : std::as_const(hosts))
        lines << QStringLiteral("ssh %1%2@%3 \"%4\"").arg(options, user, h, rule);
    return lines.join(QLatin1Char('\n'));
}

void NodesFirewallStep::finish(const StepResult &r)
{
    ++m_generation;
    m_jobs.clear();
    if (m_done) {
        StepCallback done = std::move(m_done);
        m_done = nullptr;
        done(r);
    }
}

void NodesFirewallStep::withNodes(std::function<void(const ApiError &)> then)
{
    if (m_nodesKnown) {
        then({});
        return;
    }
    mesos::MesosClient *client = nullptr;
    if (m_mesosUrl.isValid())
        client = new mesos::MesosClient(mesos::MesosConfig{m_mesosUrl, 10000, m_profile.socksProxy},
                                        this);
    auto *d = new nodes::NodeDiscovery(client, m_profile.nodes, this);
    const int generation = m_generation;
    auto complete = [this, d, client, then, generation] {
        d->deleteLater();
        if (client)
            client->deleteLater();
        if (generation != m_generation)
            return;
        m_nodes = d->nodes();
        if (m_nodes.isEmpty()) {
            ApiError e = d->error().isError()
                             ? d->error()
                             : ApiError::local(tr("No nodes: Mesos listed none and the profile "
                                                  "adds none."));
            e.hint = tr("Check that the Mesos master answers (pier nodes), or add the nodes to "
                        "the profile.");
            then(e);
            return;
        }
        m_nodesKnown = true;
        emit logLine(tr("Nodes: %1").arg([this] {
            QStringList n;
            for (const Node &node : std::as_const(m_nodes))
                n << QStringLiteral("%1 (%2)").arg(node.name, node.address);
            return n.join(QStringLiteral(", "));
        }()));
        then({});
    };
    connect(d, &nodes::NodeDiscovery::finished, this, complete);
    d->start();
}

void NodesFirewallStep::runAll(FirewallAction action, const QList<Node> &targets,
                               std::function<void(const Outcomes &)> then)
{
    if (!m_pool) {
        m_pool = new nodes::NodeSessionPool(m_profile, this);
        // Headless: nobody can be asked about an unknown host key or a passphrase; say so.
        connect(m_pool, &nodes::NodeSessionPool::sessionCreated, this,
                [this](const Node &node, ssh::SshSession *s) {
                    connect(s, &ssh::SshSession::hostKeyUnknown, s,
                            [this, node, s](const ssh::SshHostKey &k) {
                                emit logLine(tr("%1: unknown host key %2 %3; not accepted here. "
                                                "Check it and add it with `pier ssh %1 -- true` "
                                                "on a terminal.")
                                                 .arg(node.name, k.type, k.fingerprint));
                                s->rejectHostKey();
                            });
                    connect(s, &ssh::SshSession::passphraseNeeded, s,
                            [s](const QString &, bool) { s->refusePassphrase(); });
                });
    }
    auto outcomes = std::make_shared<Outcomes>();
    auto left = std::make_shared<int>(int(targets.size()));
    const int generation = m_generation;
    nodes::FirewallRequest request;
    request.action = action;
    request.port = m_port;
    request.persist = action == FirewallAction::Open;
    if (targets.isEmpty()) {
        then({});
        return;
    }
    for (const Node &n : targets) {
        auto *job = new nodes::NodeFirewallJob(m_pool->session(n), n, request, this);
        m_jobs << job;
        connect(job, &nodes::NodeFirewallJob::progress, this,
                [this, n](int, int, const QString &what) {
                    emit progress(QStringLiteral("%1: %2").arg(n.name, what));
                });
        connect(job, &nodes::NodeFirewallJob::logged, this, [this, n](const nodes::LogEntry &e) {
            emit logLine(QStringLiteral("%1: %2").arg(n.name, e.toText()));
        });
        connect(job, &nodes::NodeFirewallJob::finished, this,
                [this, job, n, outcomes, left, then, generation](const FirewallOutcome &o) {
                    job->deleteLater();
                    if (generation != m_generation)
                        return;
                    outcomes->append({n, o});
                    if (--*left == 0)
                        then(*outcomes);
                });
    }
    const auto jobs = m_jobs;
    for (const auto &job : jobs) {
        if (job)
            job->start();
    }
}

bool NodesFirewallStep::connectionsLost(const Outcomes &outcomes) const
{
    bool any = false;
    for (const auto &[node, o] : outcomes) {
        if (o.ok)
            continue;
        // The session ends Failed or Closed when the connection went, not when a command failed.
        const ssh::SshSession *s = m_pool ? m_pool->existing(node.name) : nullptr;
        if (!s || (s->state() != ssh::SshState::Failed && s->state() != ssh::SshState::Closed))
            return false;
        any = true;
    }
    return any;
}

bool NodesFirewallStep::accepted(const FirewallOutcome &o)
{
    return o.ok && o.current().verdict == firewall::Verdict::Accepted;
}

static QString failures(const QList<QPair<Node, FirewallOutcome>> &outcomes, bool wantAccepted)
{
    QStringList lines;
    for (const auto &[node, o] : outcomes) {
        if (!o.ok)
            lines << QStringLiteral("%1: %2").arg(node.name,
                                                  o.error.isEmpty() ? o.message : o.error);
        else if (wantAccepted && o.current().verdict != firewall::Verdict::Accepted)
            lines << QStringLiteral("%1: %2").arg(node.name, o.current().reason);
    }
    return lines.join(QStringLiteral("; "));
}

void NodesFirewallStep::check(const QVariantMap &, StepCallback done)
{
    m_done = std::move(done);
    withNodes([this](const ApiError &e) {
        if (e) {
            finish(StepResult::failed(e));
            return;
        }
        runAll(FirewallAction::Diagnose, m_nodes, [this](const Outcomes &outcomes) {
            QStringList blocking;
            for (const auto &[node, o] : outcomes) {
                if (!o.ok) {
                    ApiError e = ApiError::local(
                        tr("Could not read the firewall of %1: %2").arg(node.name, o.error));
                    e.kind = ApiError::Kind::Network; // an SSH hiccup: worth another try
                    finish(StepResult::failed(e));
                    return;
                }
                if (!accepted(o))
                    blocking << node.name;
            }
            if (blocking.isEmpty())
                finish(StepResult::done(tr("Every node (%1) already accepts port %2.")
                                            .arg(m_nodes.size())
                                            .arg(m_port)));
            else
                finish(StepResult::needed(tr("Port %1 is blocked on %2.")
                                              .arg(m_port)
                                              .arg(blocking.join(QStringLiteral(", ")))));
        });
    });
}

void NodesFirewallStep::apply(const QVariantMap &inputs, StepCallback done)
{
    m_done = std::move(done);
    // What earlier runs opened stays Pier's to remove even though it needs no change now.
    const QStringList openedBefore = inputs.value(QStringLiteral("nodes.opened")).toStringList();
    withNodes([this, openedBefore](const ApiError &e) {
        if (e) {
            finish(StepResult::failed(e));
            return;
        }
        runAll(FirewallAction::Open, m_nodes, [this, openedBefore](const Outcomes &outcomes) {
            QStringList changed, names, opened = openedBefore;
            // A rule of Pier's for this port that was there before: an earlier run, killed
            // before it could record it, added it; it is still Pier's to remove.
            const QString ours = QStringLiteral("pier: open tcp/%1").arg(m_port);
            for (const auto &[node, o] : outcomes) {
                const QString entry = QStringLiteral("%1=%2").arg(node.name, node.address);
                names << entry;
                if (o.changed)
                    changed << entry;
                const bool earlier =
                    std::any_of(o.rulesBefore.cbegin(), o.rulesBefore.cend(),
                                [&ours](const QString &rule) { return rule.contains(ours); });
                // A node whose change did not report back may hold Pier's rule: undo looks
                // there too (it removes only rules marked as Pier's, and none is no error).
                if ((o.changed || earlier || !o.ok) && !opened.contains(entry))
                    opened << entry;
            }
            const QVariantMap outputs{{QStringLiteral("nodes.names"), names},
                                      {QStringLiteral("nodes.opened"), opened}};
            const QString bad = failures(outcomes, true);
            if (!bad.isEmpty()) {
                ApiError e = ApiError::local(
                    tr("Port %1 could not be opened everywhere: %2").arg(m_port).arg(bad),
                    tr("Fix the node named, then run the deploy again; `pier undeploy` removes "
                       "the rules Pier added."));
                if (connectionsLost(outcomes))
                    e.kind = ApiError::Kind::Network; // opening again is safe: worth a retry
                StepResult r = StepResult::failed(e);
                r.outputs = outputs;
                finish(r);
                return;
            }
            finish(StepResult::done(tr("Opened port %1 on %2 node(s), saved for reboots.")
                                        .arg(m_port)
                                        .arg(changed.size()),
                                    outputs));
        });
    });
}

void NodesFirewallStep::verify(const QVariantMap &, StepCallback done)
{
    m_done = std::move(done);
    withNodes([this](const ApiError &e) {
        if (e) {
            finish(StepResult::failed(e));
            return;
        }
        runAll(FirewallAction::Diagnose, m_nodes, [this](const Outcomes &outcomes) {
            const QString bad = failures(outcomes, true);
            if (!bad.isEmpty()) {
                ApiError e =
                    ApiError::local(tr("Port %1 is still not accepted: %2").arg(m_port).arg(bad));
                if (connectionsLost(outcomes))
                    e.kind = ApiError::Kind::Network;
                finish(StepResult::failed(e));
            } else
                finish(StepResult::done(
                    tr("Every node (%1) accepts port %2.").arg(m_nodes.size()).arg(m_port)));
        });
    });
}

void NodesFirewallStep::undo(const QVariantMap &inputs, StepCallback done)
{
    m_done = std::move(done);
    // The nodes Pier changed, as recorded; they are reachable without asking Mesos again.
    const QStringList opened = inputs.value(QStringLiteral("nodes.opened")).toStringList();
    QList<Node> targets;
    for (const QString &entry : opened) {
        Node n;
        n.name = entry.section(QLatin1Char('='), 0, 0);
        n.address = entry.section(QLatin1Char('='), 1);
        n.source = Node::Source::Profile;
        targets << n;
    }
    auto undoOn = [this](const QList<Node> &targets) {
        runAll(FirewallAction::Undo, targets, [this, targets](const Outcomes &outcomes) {
            const QString bad = failures(outcomes, false);
            if (!bad.isEmpty()) {
                ApiError e = ApiError::local(
                    tr("Pier's rules could not be removed everywhere: %1").arg(bad),
                    tr("Run `pier undeploy` again, or `pier firewall undo --node NAME`."));
                if (connectionsLost(outcomes))
                    e.kind = ApiError::Kind::Network;
                finish(StepResult::failed(e));
                return;
            }
            finish(
                StepResult::done(tr("Removed Pier's rules from %1 node(s).").arg(targets.size())));
        });
    };
    if (inputs.contains(QStringLiteral("nodes.opened"))) {
        undoOn(targets);
        return;
    }
    // Interrupted before it could record which nodes it changed: look at every node.
    withNodes([this, undoOn](const ApiError &e) {
        if (e)
            finish(StepResult::failed(e));
        else
            undoOn(m_nodes);
    });
}

void NodesFirewallStep::cancel()
{
    const auto jobs = m_jobs;
    for (const auto &job : jobs) {
        if (job)
            job->cancel();
    }
    finish(StepResult::cancelled());
}

} // namespace pier::deploy
