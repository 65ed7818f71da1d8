#include "gce/gcesteps.h"

#include <QSet>
#include <QUrl>
#include <memory>

namespace pier::gce {

namespace {

StepResult failure(const ApiError &e)
{
    return e.kind == ApiError::Kind::Cancelled ? StepResult::cancelled() : StepResult::failed(e);
}

// Path below "projects/P/" of a resource URL, so URLs from different hosts compare equal.
QString projectPath(const QString &url)
{
    const qsizetype at = url.indexOf(QLatin1String("/projects/"));
    if (at < 0)
        return url;
    const qsizetype slash = url.indexOf(QLatin1Char('/'), at + 10);
    return slash < 0 ? url : url.mid(slash + 1);
}

QStringList toStringList(const QVariant &v)
{
    return v.toStringList();
}

// A and what of B is not in A yet.
QStringList united(QStringList a, const QStringList &b)
{
    for (const QString &s : b) {
        if (!a.contains(s))
            a << s;
    }
    return a;
}

} // namespace

// ---- GceContext ---------------------------------------------------------------------------

GceContext::GceContext(GceClient *client, const GceTarget &target, QObject *parent)
    : QObject(parent), m_client(client), m_target(target)
{
}

void GceContext::nodes(NodesCallback done)
{
    if (m_nodesLoaded) {
        const QList<GceInstance> nodes = m_nodes;
        QMetaObject::invokeMethod(
            this, [done, nodes] { done(nodes, {}); }, Qt::QueuedConnection);
        return;
    }
    m_waiting.append(std::move(done));
    if (m_nodesLoading)
        return;
    m_nodesLoading = true;
    GceReply *r = m_client->listInstances(m_target.zone);
    connect(r, &GceReply::finished, this, [this, r] {
        r->deleteLater();
        m_nodesLoading = false;
        ApiError error = r->error();
        QList<GceInstance> found;
        if (!error) {
            const QList<GceInstance> all = r->instances();
            if (m_target.instances.isEmpty()) {
                found = all;
            } else {
                QStringList missing;
                for (const QString &name : m_target.instances) {
                    bool seen = false;
                    for (const GceInstance &i : all) {
                        if (i.name == name) {
                            found << i;
                            seen = true;
                        }
                    }
                    if (!seen)
                        missing << name;
                }
                if (!missing.isEmpty())
                    error = ApiError::local(
                        tr("No instance %1 in zone %2 of project %3.")
                            .arg(missing.join(QStringLiteral(", ")), m_target.zone,
                                 m_target.project),
                        tr("Check the node names (gcloud compute instances list --zones %1).")
                            .arg(m_target.zone));
            }
            if (!error && found.isEmpty())
                error = ApiError::local(tr("Zone %1 of project %2 has no instances.")
                                            .arg(m_target.zone, m_target.project),
                                        tr("Check the zone and project of the cluster's nodes."));
        }
        if (!error) {
            m_nodes = found;
            m_nodesLoaded = true;
        }
        const QList<NodesCallback> waiting = std::exchange(m_waiting, {});
        for (const NodesCallback &cb : waiting)
            cb(found, error);
    });
}

QStringList GceContext::nodeNames() const
{
    if (!m_nodesLoaded)
        return m_target.instances;
    QStringList names;
    for (const GceInstance &i : m_nodes)
        names << i.name;
    return names;
}

QString GceContext::url(const QString &path) const
{
    return m_client->projectUrl(path).toString();
}

QString GceContext::addressUrl() const
{
    return url(
        QStringLiteral("regions/%1/addresses/%2").arg(m_target.region, m_target.addressName));
}

QString GceContext::poolUrl() const
{
    return url(QStringLiteral("regions/%1/targetPools/%2").arg(m_target.region, m_target.poolName));
}

QString GceContext::healthCheckUrl() const
{
    return url(QStringLiteral("global/httpHealthChecks/") + m_target.healthCheckName);
}

bool GceContext::sameResource(const QString &a, const QString &b)
{
    return projectPath(a) == projectPath(b);
}

// ---- GceStep ------------------------------------------------------------------------------

GceStep::GceStep(const QString &id, GceContext *context, QObject *parent)
    : Step(id, parent), m_ctx(context)
{
}

void GceStep::cancel()
{
    // Aborting finishes the replies with Cancelled; their handlers report it.
    const auto inFlight = m_inFlight;
    for (const QPointer<GceReply> &r : inFlight) {
        if (r)
            r->abort();
    }
}

void GceStep::track(GceReply *reply, ReplyHandler handler)
{
    m_inFlight.append(reply);
    connect(reply, &GceReply::finished, this, [this, reply, handler] {
        m_inFlight.removeAll(reply);
        reply->deleteLater();
        handler(reply);
    });
}

void GceStep::trackAll(const QList<GceReply *> &replies,
                       std::function<void(QList<GceReply *>)> handler)
{
    if (replies.isEmpty()) {
        QMetaObject::invokeMethod(
            this, [handler] { handler({}); }, Qt::QueuedConnection);
        return;
    }
    auto left = std::make_shared<int>(int(replies.size()));
    for (GceReply *r : replies) {
        m_inFlight.append(r);
        connect(r, &GceReply::finished, this, [this, r, replies, left, handler] {
            m_inFlight.removeAll(r);
            if (--*left > 0)
                return;
            for (GceReply *x : replies)
                x->deleteLater();
            handler(replies);
        });
    }
}

GceReply *GceStep::reportOperation(GceReply *reply, const QString &what)
{
    // One line per state of the operation: the change is in flight from the first one on.
    connect(reply, &GceReply::operationProgress, this, [this, what](const GceOperation &op) {
        emit progress(tr("%1: operation %2").arg(what, op.status.toLower()));
    });
    return reply;
}

bool GceStep::isNotFound(const ApiError &e)
{
    return e.kind == ApiError::Kind::NotFound || e.reason == QLatin1String("notFound");
}

bool GceStep::isAlreadyExists(const ApiError &e)
{
    return e.reason == QLatin1String("alreadyExists");
}

QString GceStep::gcloud(const QString &args) const
{
    return QStringLiteral("gcloud compute %1 --project %2").arg(args, t().project);
}

// ---- the address --------------------------------------------------------------------------

AddressStep::AddressStep(GceContext *c, QObject *parent)
    : GceStep(QStringLiteral("address"), c, parent)
{
}

QString AddressStep::title() const
{
    return tr("Reserve the external address %1").arg(t().addressName);
}

QString AddressStep::explanation() const
{
    return tr("A static external IP address in region %1 that stays the same whatever happens to "
              "the nodes, so DNS can point at it. The forwarding rule will receive the app's "
              "traffic on it.")
        .arg(t().region);
}

QString AddressStep::equivalentCommand() const
{
    return gcloud(
        QStringLiteral("addresses create %1 --region %2").arg(t().addressName, t().region));
}

StepResult AddressStep::judge(const GceAddress &a) const
{
    if (!a.addressType.isEmpty() && a.addressType != QLatin1String("EXTERNAL"))
        return StepResult::blocked(
            tr("An address named %1 already exists in %2, but it is %3, not external. Pier does "
               "not "
               "change what it did not make: choose another name or delete that address.")
                .arg(a.name, t().region, a.addressType.toLower()));
    return StepResult::done(
        tr("The address %1 (%2) exists; Pier uses it.").arg(a.name, a.address),
        {{QStringLiteral("address.ip"), a.address}, {QStringLiteral("address.link"), a.selfLink}});
}

void AddressStep::check(const QVariantMap &, StepCallback done)
{
    track(m_ctx->client()->getAddress(t().region, t().addressName), [this, done](GceReply *r) {
        if (isNotFound(r->error()))
            return done(
                StepResult::needed(tr("The address %1 does not exist yet.").arg(t().addressName)));
        if (r->error())
            return done(failure(r->error()));
        done(judge(r->address()));
    });
}

void AddressStep::apply(const QVariantMap &, StepCallback done)
{
    GceAddress a;
    a.name = t().addressName;
    a.description = tr("Pier: the app's external address");
    GceReply *reply = reportOperation(m_ctx->client()->insertAddress(t().region, a),
                                      tr("Reserving %1").arg(a.name));
    track(reply, [this, done](GceReply *r) {
        if (r->error() && !isAlreadyExists(r->error()))
            return done(failure(r->error()));
        track(m_ctx->client()->getAddress(t().region, t().addressName), [this, done](GceReply *g) {
            if (g->error())
                return done(failure(g->error()));
            StepResult res = judge(g->address());
            if (res.ok())
                res.message = tr("Reserved %1: %2.").arg(t().addressName, g->address().address);
            done(res);
        });
    });
}

void AddressStep::verify(const QVariantMap &, StepCallback done)
{
    track(m_ctx->client()->getAddress(t().region, t().addressName), [this, done](GceReply *r) {
        if (r->error())
            return done(failure(r->error()));
        const GceAddress a = r->address();
        if (a.address.isEmpty())
            return done(StepResult::blocked(tr("The address %1 has no IP yet.").arg(a.name)));
        StepResult res = judge(a);
        if (res.ok())
            res.message =
                tr("The address %1 is %2 (%3).").arg(a.name, a.address, a.status.toLower());
        done(res);
    });
}

void AddressStep::undo(const QVariantMap &, StepCallback done)
{
    track(reportOperation(m_ctx->client()->deleteAddress(t().region, t().addressName),
                          tr("Releasing %1").arg(t().addressName)),
          [this, done](GceReply *r) {
              if (r->error() && !isNotFound(r->error()))
                  return done(failure(r->error()));
              done(StepResult::done(tr("Released the address %1.").arg(t().addressName)));
          });
}

// ---- the target pool ----------------------------------------------------------------------

TargetPoolStep::TargetPoolStep(GceContext *c, QObject *parent)
    : GceStep(QStringLiteral("pool"), c, parent)
{
}

QString TargetPoolStep::title() const
{
    return tr("Create the target pool %1").arg(t().poolName);
}

QString TargetPoolStep::explanation() const
{
    return tr("The group of nodes that share the app's traffic: each new connection to the "
              "forwarding rule goes to one node of the pool, so the app stays reachable when one "
              "node is down.");
}

QString TargetPoolStep::equivalentCommand() const
{
    return gcloud(
        QStringLiteral("target-pools create %1 --region %2").arg(t().poolName, t().region));
}

StepResult TargetPoolStep::judge(const GceTargetPool &p) const
{
    if (!p.backupPool.isEmpty() ||
        (!p.sessionAffinity.isEmpty() && p.sessionAffinity != QLatin1String("NONE")))
        return StepResult::blocked(
            tr("A target pool named %1 already exists in %2 with a different spec (session "
               "affinity %3%4). Pier does not change what it did not make: choose another name "
               "or delete that pool.")
                .arg(p.name, t().region, p.sessionAffinity,
                     p.backupPool.isEmpty()
                         ? QString()
                         : tr(", backup pool %1").arg(lastSegment(p.backupPool))));
    return StepResult::done(tr("The target pool %1 exists; Pier uses it.").arg(p.name),
                            {{QStringLiteral("pool.link"), p.selfLink}});
}

void TargetPoolStep::check(const QVariantMap &, StepCallback done)
{
    track(m_ctx->client()->getTargetPool(t().region, t().poolName), [this, done](GceReply *r) {
        if (isNotFound(r->error()))
            return done(
                StepResult::needed(tr("The target pool %1 does not exist yet.").arg(t().poolName)));
        if (r->error())
            return done(failure(r->error()));
        done(judge(r->targetPool()));
    });
}

void TargetPoolStep::apply(const QVariantMap &, StepCallback done)
{
    GceTargetPool p;
    p.name = t().poolName;
    p.description = tr("Pier: the nodes that serve the app");
    GceReply *reply = reportOperation(m_ctx->client()->insertTargetPool(t().region, p),
                                      tr("Creating %1").arg(p.name));
    track(reply, [this, done](GceReply *r) {
        if (r->error() && !isAlreadyExists(r->error()))
            return done(failure(r->error()));
        track(m_ctx->client()->getTargetPool(t().region, t().poolName), [this, done](GceReply *g) {
            if (g->error())
                return done(failure(g->error()));
            StepResult res = judge(g->targetPool());
            if (res.ok()) {
                res.message = tr("Created the target pool %1.").arg(t().poolName);
                // Its undo deletes it, nodes and all: taking them out first is not needed.
                res.outputs.insert(QStringLiteral("pool.created"), true);
            }
            done(res);
        });
    });
}

void TargetPoolStep::verify(const QVariantMap &inputs, StepCallback done)
{
    Q_UNUSED(inputs)
    track(m_ctx->client()->getTargetPool(t().region, t().poolName), [this, done](GceReply *r) {
        if (r->error())
            return done(failure(r->error()));
        StepResult res = judge(r->targetPool());
        if (res.ok())
            res.message = tr("The target pool %1 is there.").arg(t().poolName);
        done(res);
    });
}

void TargetPoolStep::undo(const QVariantMap &, StepCallback done)
{
    track(reportOperation(m_ctx->client()->deleteTargetPool(t().region, t().poolName),
                          tr("Deleting the target pool %1").arg(t().poolName)),
          [this, done](GceReply *r) {
              if (r->error() && !isNotFound(r->error()))
                  return done(failure(r->error()));
              done(StepResult::done(tr("Deleted the target pool %1.").arg(t().poolName)));
          });
}

// ---- the health check ---------------------------------------------------------------------

HealthCheckStep::HealthCheckStep(GceContext *c, QObject *parent)
    : GceStep(QStringLiteral("health-check"), c, parent)
{
}

QString HealthCheckStep::title() const
{
    return tr("Check the nodes' health (%1)").arg(t().healthCheckName);
}

QString HealthCheckStep::explanation() const
{
    return tr("Beyond the tutorial: GCE asks every node of the pool for GET / on port %1 every few "
              "seconds and sends new connections only to the nodes that answer. Without it, a "
              "node whose port is closed still gets its share and those visitors time out.")
        .arg(t().port);
}

QString HealthCheckStep::equivalentCommand() const
{
    return gcloud(QStringLiteral("http-health-checks create %1 --port %2 --request-path /")
                      .arg(t().healthCheckName)
                      .arg(t().port)) +
           QLatin1Char('\n') +
           gcloud(QStringLiteral("target-pools add-health-checks %1 --http-health-check %2 "
                                 "--region %3")
                      .arg(t().poolName, t().healthCheckName, t().region));
}

void HealthCheckStep::inspect(std::function<void(const ApiError &)> done)
{
    GceClient *c = m_ctx->client();
    trackAll(
        {c->getHttpHealthCheck(t().healthCheckName), c->getTargetPool(t().region, t().poolName)},
        [this, done](QList<GceReply *> r) {
            const ApiError &hcError = r.at(0)->error();
            if (hcError && !isNotFound(hcError))
                return done(hcError);
            if (r.at(1)->error())
                return done(r.at(1)->error());
            m_exists = !hcError;
            m_seen = r.at(0)->healthCheck();
            m_sameSpec = m_exists && m_seen.port == t().port &&
                         (m_seen.requestPath.isEmpty() || m_seen.requestPath == QLatin1String("/"));
            m_attached = false;
            for (const QString &hc : r.at(1)->targetPool().healthChecks) {
                if (GceContext::sameResource(hc, m_ctx->healthCheckUrl()))
                    m_attached = true;
            }
            done({});
        });
}

void HealthCheckStep::check(const QVariantMap &, StepCallback done)
{
    inspect([this, done](const ApiError &e) {
        if (isNotFound(e))
            return done(
                StepResult::needed(tr("The pool %1 does not exist yet.").arg(t().poolName)));
        if (e)
            return done(failure(e));
        if (m_exists && !m_sameSpec)
            return done(StepResult::blocked(
                tr("An HTTP health check named %1 already exists, probing port %2 path %3 instead "
                   "of port %4 path /. Pier does not change what it did not make: delete it or "
                   "choose another name.")
                    .arg(t().healthCheckName)
                    .arg(m_seen.port)
                    .arg(m_seen.requestPath)
                    .arg(t().port)));
        if (m_exists && m_attached)
            return done(StepResult::done(tr("The pool %1 already has the health check %2.")
                                             .arg(t().poolName, t().healthCheckName),
                                         {{QStringLiteral("healthCheck.link"), m_seen.selfLink}}));
        done(StepResult::needed(
            m_exists ? tr("The health check exists; it is not on the pool yet.")
                     : tr("The health check %1 does not exist yet.").arg(t().healthCheckName)));
    });
}

void HealthCheckStep::apply(const QVariantMap &, StepCallback done)
{
    auto attach = [this, done](bool created) {
        if (m_attached)
            return done(
                StepResult::done(tr("Created the health check %1.").arg(t().healthCheckName),
                                 {{QStringLiteral("healthCheck.created"), created}}));
        emit progress(tr("Adding the health check to %1…").arg(t().poolName));
        track(m_ctx->client()->addHealthCheck(t().region, t().poolName, m_ctx->healthCheckUrl()),
              [this, done, created](GceReply *r) {
                  if (r->error())
                      return done(failure(r->error()));
                  done(StepResult::done(
                      tr("The pool %1 now sends traffic only to nodes that answer on port %2.")
                          .arg(t().poolName)
                          .arg(t().port),
                      {{QStringLiteral("healthCheck.created"), created},
                       {QStringLiteral("healthCheck.attached"), true}}));
              });
    };
    inspect([this, done, attach](const ApiError &e) {
        if (e)
            return done(failure(e));
        if (m_exists)
            return attach(false);
        GceHealthCheck h;
        h.name = t().healthCheckName;
        h.description = tr("Pier: is the app answering on this node?");
        h.port = t().port;
        h.requestPath = QStringLiteral("/");
        emit progress(tr("Creating the health check %1…").arg(h.name));
        track(m_ctx->client()->insertHttpHealthCheck(h), [done, attach](GceReply *r) {
            if (r->error() && !isAlreadyExists(r->error()))
                return done(failure(r->error()));
            attach(!r->error());
        });
    });
}

void HealthCheckStep::verify(const QVariantMap &, StepCallback done)
{
    inspect([this, done](const ApiError &e) {
        if (e)
            return done(failure(e));
        if (!m_exists || !m_attached)
            return done(StepResult::blocked(tr("The pool %1 does not have the health check %2.")
                                                .arg(t().poolName, t().healthCheckName)));
        done(StepResult::done(tr("The pool %1 checks its nodes' health.").arg(t().poolName),
                              {{QStringLiteral("healthCheck.link"), m_seen.selfLink}}));
    });
}

void HealthCheckStep::undo(const QVariantMap &inputs, StepCallback done)
{
    const bool attached = inputs.value(QStringLiteral("healthCheck.attached")).toBool();
    const bool created = inputs.value(QStringLiteral("healthCheck.created")).toBool();
    auto remove = [this, done, created] {
        if (!created)
            return done(
                StepResult::done(tr("Detached the health check %1.").arg(t().healthCheckName)));
        track(
            m_ctx->client()->deleteHttpHealthCheck(t().healthCheckName), [this, done](GceReply *r) {
                if (r->error() && !isNotFound(r->error()))
                    return done(failure(r->error()));
                done(StepResult::done(tr("Deleted the health check %1.").arg(t().healthCheckName)));
            });
    };
    if (!attached)
        return remove();
    track(m_ctx->client()->removeHealthCheck(t().region, t().poolName, m_ctx->healthCheckUrl()),
          [done, remove](GceReply *r) {
              if (r->error() && !isNotFound(r->error()))
                  return done(failure(r->error()));
              remove();
          });
}

// ---- the pool's instances -----------------------------------------------------------------

PoolInstancesStep::PoolInstancesStep(GceContext *c, QObject *parent)
    : GceStep(QStringLiteral("instances"), c, parent)
{
}

QString PoolInstancesStep::title() const
{
    return tr("Add the nodes to %1").arg(t().poolName);
}

QString PoolInstancesStep::explanation() const
{
    return tr("Puts the cluster's nodes (master and agents, as the tutorial does) in the pool. "
              "HAProxy on every node forwards the port to wherever Marathon runs the app, so any "
              "node can take a visitor.");
}

QString PoolInstancesStep::equivalentCommand() const
{
    QStringList names = m_ctx->nodeNames();
    if (names.isEmpty())
        names << QStringLiteral("<every instance in %1>").arg(t().zone);
    return gcloud(QStringLiteral("target-pools add-instances %1 --instances %2 --instances-zone %3 "
                                 "--region %4")
                      .arg(t().poolName, names.join(QLatin1Char(',')), t().zone, t().region));
}

void PoolInstancesStep::missing(
    std::function<void(const QList<GceInstance> &, const ApiError &)> done)
{
    m_ctx->nodes([this, done](const QList<GceInstance> &nodes, const ApiError &e) {
        if (e)
            return done({}, e);
        track(m_ctx->client()->getTargetPool(t().region, t().poolName), [nodes, done](GceReply *r) {
            if (r->error())
                return done({}, r->error());
            const QStringList members = r->targetPool().instances;
            QList<GceInstance> out;
            for (const GceInstance &n : nodes) {
                bool in = false;
                for (const QString &m : members)
                    in = in || GceContext::sameResource(m, n.selfLink);
                if (!in)
                    out << n;
            }
            done(out, {});
        });
    });
}

void PoolInstancesStep::check(const QVariantMap &inputs, StepCallback done)
{
    // What an interrupted run was adding stays Pier's to take out, whether it got there or not.
    const QStringList earlier =
        united(toStringList(inputs.value(QStringLiteral("instances.pending"))),
               toStringList(inputs.value(QStringLiteral("instances.added"))));
    missing([this, done, earlier](const QList<GceInstance> &out, const ApiError &e) {
        if (isNotFound(e))
            return done(
                StepResult::needed(tr("The pool %1 does not exist yet.").arg(t().poolName)));
        if (e)
            return done(failure(e));
        QStringList names;
        for (const GceInstance &i : out)
            names << i.name;
        if (out.isEmpty())
            return done(
                StepResult::done(tr("Every node is in the pool %1.").arg(t().poolName),
                                 {{QStringLiteral("instances.names"), m_ctx->nodeNames()}}));
        StepResult r = StepResult::needed(
            tr("Not in the pool yet: %1.").arg(names.join(QStringLiteral(", "))));
        r.outputs.insert(QStringLiteral("instances.pending"),
                         united(names, earlier)); // as tags.pending
        done(r);
    });
}

void PoolInstancesStep::apply(const QVariantMap &inputs, StepCallback done)
{
    // The nodes an interrupted run was adding (check's "pending") that are in the pool now were
    // added by Pier too.
    const QStringList addedBefore =
        united(toStringList(inputs.value(QStringLiteral("instances.added"))),
               toStringList(inputs.value(QStringLiteral("instances.pending"))));
    missing([this, done, addedBefore](const QList<GceInstance> &out, const ApiError &e) {
        if (e)
            return done(failure(e));
        if (out.isEmpty())
            return done(
                StepResult::done(tr("Every node is in the pool %1.").arg(t().poolName),
                                 {{QStringLiteral("instances.added"), addedBefore},
                                  {QStringLiteral("instances.names"), m_ctx->nodeNames()}}));
        QStringList urls, names = addedBefore;
        for (const GceInstance &i : out) {
            urls << i.selfLink;
            if (!names.contains(i.name))
                names << i.name;
        }
        GceReply *reply =
            reportOperation(m_ctx->client()->addInstances(t().region, t().poolName, urls),
                            tr("Adding %n node(s) to the pool", nullptr, int(urls.size())));
        track(reply, [this, done, names, out](GceReply *r) {
            if (r->error())
                return done(failure(r->error()));
            done(StepResult::done(
                tr("Added %n node(s) to the pool %1.", nullptr, int(out.size())).arg(t().poolName),
                {{QStringLiteral("instances.added"), names},
                 {QStringLiteral("instances.names"), m_ctx->nodeNames()}}));
        });
    });
}

void PoolInstancesStep::verify(const QVariantMap &, StepCallback done)
{
    missing([this, done](const QList<GceInstance> &out, const ApiError &e) {
        if (e)
            return done(failure(e));
        if (!out.isEmpty())
            return done(StepResult::blocked(
                tr("%n node(s) are still not in the pool.", nullptr, int(out.size()))));
        done(StepResult::done(tr("The pool %1 holds every node.").arg(t().poolName),
                              {{QStringLiteral("instances.names"), m_ctx->nodeNames()}}));
    });
}

void PoolInstancesStep::undo(const QVariantMap &inputs, StepCallback done)
{
    const QStringList added = toStringList(inputs.value(
        inputs.contains(QStringLiteral("instances.added")) ? QStringLiteral("instances.added")
                                                           : QStringLiteral("instances.pending")));
    if (added.isEmpty())
        return done(StepResult::done(tr("Pier added no node to the pool.")));
    if (inputs.value(QStringLiteral("pool.created")).toBool())
        return done(StepResult::done(
            tr("%1 leave the pool with it: Pier made the pool %2 and deletes it next.")
                .arg(added.join(QStringLiteral(", ")), t().poolName)));
    QStringList urls;
    for (const QString &name : added)
        urls << m_ctx->url(QStringLiteral("zones/%1/instances/%2").arg(t().zone, name));
    track(reportOperation(m_ctx->client()->removeInstances(t().region, t().poolName, urls),
                          tr("Taking the nodes out of %1").arg(t().poolName)),
          [this, done, added](GceReply *r) {
              if (r->error() && !isNotFound(r->error()))
                  return done(failure(r->error()));
              done(StepResult::done(tr("Took %1 out of the pool %2.")
                                        .arg(added.join(QStringLiteral(", ")), t().poolName)));
          });
}

// ---- the forwarding rule ------------------------------------------------------------------

ForwardingRuleStep::ForwardingRuleStep(GceContext *c, QObject *parent)
    : GceStep(QStringLiteral("rule"), c, parent)
{
}

QString ForwardingRuleStep::title() const
{
    return tr("Forward port %1 to the pool (%2)").arg(t().port).arg(t().ruleName);
}

QString ForwardingRuleStep::explanation() const
{
    return tr("Connects the external address to the pool: TCP connections to the address on port "
              "%1 go to one node of the pool, with the address as their destination, so the "
              "node's own firewall decides.")
        .arg(t().port);
}

QString ForwardingRuleStep::portRange() const
{
    return QStringLiteral("%1-%1").arg(t().port);
}

QString ForwardingRuleStep::equivalentCommand() const
{
    return gcloud(QStringLiteral("forwarding-rules create %1 --address %2 --port-range %3 "
                                 "--target-pool %4 --region %5")
                      .arg(t().ruleName, t().addressName)
                      .arg(t().port)
                      .arg(t().poolName, t().region));
}

void ForwardingRuleStep::addressIp(const QVariantMap &inputs,
                                   std::function<void(const QString &)> done)
{
    const QString ip = inputs.value(QStringLiteral("address.ip")).toString();
    if (!ip.isEmpty())
        return done(ip);
    track(m_ctx->client()->getAddress(t().region, t().addressName),
          [done](GceReply *r) { done(r->error() ? QString() : r->address().address); });
}

StepResult ForwardingRuleStep::judge(const GceForwardingRule &r, const QString &ip) const
{
    QStringList diff;
    if (!ip.isEmpty() && r.ipAddress != ip)
        diff << tr("address %1 instead of %2").arg(r.ipAddress, ip);
    if (!GceContext::sameResource(r.target, m_ctx->poolUrl()))
        diff << tr("target %1 instead of the pool %2").arg(lastSegment(r.target), t().poolName);
    QString range = r.portRange;
    if (!range.contains(QLatin1Char('-')))
        range = range + QLatin1Char('-') + range;
    if (range != portRange())
        diff << tr("ports %1 instead of %2").arg(r.portRange, QString::number(t().port));
    if (!r.ipProtocol.isEmpty() && r.ipProtocol != QLatin1String("TCP"))
        diff << tr("protocol %1 instead of TCP").arg(r.ipProtocol);
    if (!diff.isEmpty())
        return StepResult::blocked(
            tr("A forwarding rule named %1 already exists with a different spec (%2). Pier does "
               "not change what it did not make: choose another name or delete that rule.")
                .arg(r.name, diff.join(QStringLiteral("; "))));
    return StepResult::done(tr("http://%1:%2/ forwards to the pool %3.")
                                .arg(r.ipAddress)
                                .arg(t().port)
                                .arg(t().poolName),
                            {{QStringLiteral("rule.ip"), r.ipAddress},
                             {QStringLiteral("rule.link"), r.selfLink},
                             {QStringLiteral("rule.port"), t().port}});
}

void ForwardingRuleStep::check(const QVariantMap &inputs, StepCallback done)
{
    track(m_ctx->client()->getForwardingRule(t().region, t().ruleName),
          [this, done, inputs](GceReply *r) {
              if (isNotFound(r->error()))
                  return done(StepResult::needed(
                      tr("The forwarding rule %1 does not exist yet.").arg(t().ruleName)));
              if (r->error())
                  return done(failure(r->error()));
              const GceForwardingRule rule = r->forwardingRule();
              addressIp(inputs, [this, done, rule](const QString &ip) { done(judge(rule, ip)); });
          });
}

void ForwardingRuleStep::apply(const QVariantMap &inputs, StepCallback done)
{
    addressIp(inputs, [this, done](const QString &ip) {
        if (ip.isEmpty())
            return done(StepResult::blocked(
                tr("The address %1 is not reserved; reserve it first.").arg(t().addressName)));
        GceForwardingRule rule;
        rule.name = t().ruleName;
        rule.description = tr("Pier: the app's port to the pool");
        rule.ipAddress = ip;
        rule.ipProtocol = QStringLiteral("TCP");
        rule.portRange = portRange();
        rule.target = m_ctx->poolUrl();
        GceReply *reply = reportOperation(m_ctx->client()->insertForwardingRule(t().region, rule),
                                          tr("Creating the forwarding rule %1").arg(rule.name));
        track(reply, [this, done, ip](GceReply *r) {
            if (r->error() && !isAlreadyExists(r->error()))
                return done(failure(r->error()));
            track(m_ctx->client()->getForwardingRule(t().region, t().ruleName),
                  [this, done, ip](GceReply *g) {
                      if (g->error())
                          return done(failure(g->error()));
                      done(judge(g->forwardingRule(), ip));
                  });
        });
    });
}

void ForwardingRuleStep::verify(const QVariantMap &inputs, StepCallback done)
{
    check(inputs, [done](const StepResult &r) {
        if (r.status == StepResult::Status::Needed)
            return done(StepResult::blocked(r.message));
        done(r);
    });
}

void ForwardingRuleStep::undo(const QVariantMap &, StepCallback done)
{
    track(reportOperation(m_ctx->client()->deleteForwardingRule(t().region, t().ruleName),
                          tr("Deleting the forwarding rule %1").arg(t().ruleName)),
          [this, done](GceReply *r) {
              if (r->error() && !isNotFound(r->error()))
                  return done(failure(r->error()));
              done(StepResult::done(tr("Deleted the forwarding rule %1.").arg(t().ruleName)));
          });
}

// ---- the nodes' tags ----------------------------------------------------------------------

TagNodesStep::TagNodesStep(GceContext *c, QObject *parent)
    : GceStep(QStringLiteral("tags"), c, parent)
{
}

QString TagNodesStep::title() const
{
    return tr("Tag the nodes %1").arg(t().tag);
}

QString TagNodesStep::explanation() const
{
    return tr("A network tag on every node; the firewall rule opens the port only for instances "
              "with this tag, so other machines in the project stay closed.");
}

QString TagNodesStep::equivalentCommand() const
{
    QStringList names = m_ctx->nodeNames();
    if (names.isEmpty())
        names << QStringLiteral("<node>");
    QStringList lines;
    for (const QString &n : std::as_const(names))
        lines << gcloud(
            QStringLiteral("instances add-tags %1 --tags %2 --zone %3").arg(n, t().tag, t().zone));
    return lines.join(QLatin1Char('\n'));
}

void TagNodesStep::check(const QVariantMap &inputs, StepCallback done)
{
    // What an interrupted run was tagging stays Pier's to untag, whether it got there or not.
    const QStringList earlier = united(inputs.value(QStringLiteral("tags.pending")).toStringList(),
                                       inputs.value(QStringLiteral("tags.added")).toStringList());
    m_ctx->forgetNodes(); // tags change: read them fresh
    m_ctx->nodes([this, done, earlier](const QList<GceInstance> &nodes, const ApiError &e) {
        if (e)
            return done(failure(e));
        QStringList untagged;
        for (const GceInstance &n : nodes) {
            if (!n.tags.items.contains(t().tag))
                untagged << n.name;
        }
        if (untagged.isEmpty())
            return done(StepResult::done(tr("Every node has the tag %1.").arg(t().tag)));
        // "pending": what apply is about to tag, kept by a journal before apply runs, so a run
        // killed mid-apply can still be undone (tags.added is only known afterwards).
        StepResult r = StepResult::needed(
            tr("Not tagged %1 yet: %2.").arg(t().tag, untagged.join(QStringLiteral(", "))));
        r.outputs.insert(QStringLiteral("tags.pending"), united(untagged, earlier));
        done(r);
    });
}

void TagNodesStep::apply(const QVariantMap &inputs, StepCallback done)
{
    const QStringList pending = inputs.value(QStringLiteral("tags.pending")).toStringList();
    QStringList addedBefore = inputs.value(QStringLiteral("tags.added")).toStringList();
    m_ctx->nodes([this, done, addedBefore, pending](const QList<GceInstance> &nodes,
                                                    const ApiError &e) mutable {
        if (e)
            return done(failure(e));
        QList<GceReply *> replies;
        QStringList names;
        for (const GceInstance &n : nodes) {
            if (n.tags.items.contains(t().tag)) {
                // Tagged by an interrupted run of this step: still Pier's to remove.
                if (pending.contains(n.name) && !addedBefore.contains(n.name))
                    addedBefore << n.name;
                continue;
            }
            names << n.name;
            replies << reportOperation(m_ctx->client()->addTags(t().zone, n.name, {t().tag}),
                                       tr("Tagging %1").arg(n.name));
        }
        // One setTags per node, all at once: each is its own read-modify-write.
        trackAll(replies, [this, done, names, addedBefore](QList<GceReply *> r) {
            QStringList added = addedBefore;
            ApiError first;
            for (int i = 0; i < r.size(); ++i) {
                if (r.at(i)->error()) {
                    if (!first)
                        first = r.at(i)->error();
                } else if (r.at(i)->changed() && !added.contains(names.at(i))) {
                    added << names.at(i);
                }
            }
            m_ctx->forgetNodes();
            if (first) {
                // What was tagged is still Pier's to remove; the retry tags the rest.
                StepResult res = failure(first);
                res.outputs.insert(QStringLiteral("tags.added"), added);
                return done(res);
            }
            done(StepResult::done(
                tr("Tagged %1 with %2.").arg(names.join(QStringLiteral(", ")), t().tag),
                {{QStringLiteral("tags.added"), added}}));
        });
    });
}

void TagNodesStep::verify(const QVariantMap &inputs, StepCallback done)
{
    check(inputs, [done](const StepResult &r) {
        if (r.status == StepResult::Status::Needed)
            return done(StepResult::blocked(r.message));
        done(r);
    });
}

void TagNodesStep::undo(const QVariantMap &inputs, StepCallback done)
{
    // Without tags.added, apply was interrupted: the nodes it was about to tag were untagged
    // before Pier came, so removing the tag from them gives back what was there.
    const QStringList added =
        inputs
            .value(inputs.contains(QStringLiteral("tags.added")) ? QStringLiteral("tags.added")
                                                                 : QStringLiteral("tags.pending"))
            .toStringList();
    QList<GceReply *> replies;
    for (const QString &n : added)
        replies << m_ctx->client()->removeTags(t().zone, n, {t().tag});
    trackAll(replies, [this, done, added](QList<GceReply *> r) {
        m_ctx->forgetNodes();
        for (GceReply *x : r) {
            if (x->error() && !isNotFound(x->error()))
                return done(failure(x->error()));
        }
        done(StepResult::done(added.isEmpty()
                                  ? tr("Pier tagged no node.")
                                  : tr("Removed the tag %1 from %2.")
                                        .arg(t().tag, added.join(QStringLiteral(", ")))));
    });
}

// ---- the network --------------------------------------------------------------------------

FindNetworkStep::FindNetworkStep(GceContext *c, QObject *parent)
    : GceStep(QStringLiteral("network"), c, parent)
{
}

QString FindNetworkStep::title() const
{
    return tr("Find the cluster's network");
}

QString FindNetworkStep::explanation() const
{
    return tr("A firewall rule belongs to one VPC network; the cluster's is the one on the nodes' "
              "network interfaces (not necessarily \"default\").");
}

QString FindNetworkStep::equivalentCommand() const
{
    const QStringList names = m_ctx->nodeNames();
    return gcloud(QStringLiteral("networks list")) + QLatin1Char('\n') +
           gcloud(QStringLiteral("instances describe %1 --zone %2 "
                                 "--format='value(networkInterfaces[0].network)'")
                      .arg(names.value(0, QStringLiteral("<node>")), t().zone));
}

void FindNetworkStep::find(StepCallback done)
{
    if (!t().network.isEmpty()) {
        m_network = t().network;
        return done(
            StepResult::done(tr("The network is %1 (given).").arg(m_network),
                             {{QStringLiteral("network.name"), m_network},
                              {QStringLiteral("network.link"),
                               m_ctx->url(QStringLiteral("global/networks/") + m_network)}}));
    }
    m_ctx->nodes([this, done](const QList<GceInstance> &nodes, const ApiError &e) {
        if (e)
            return done(failure(e));
        QStringList networks;
        QString link;
        for (const GceInstance &n : nodes) {
            if (!n.network().isEmpty() && !networks.contains(lastSegment(n.network()))) {
                networks << lastSegment(n.network());
                link = n.network();
            }
        }
        if (networks.size() != 1)
            return done(StepResult::blocked(
                networks.isEmpty()
                    ? tr("The nodes have no network interface.")
                    : tr("The nodes are on several networks (%1); name one with --network.")
                          .arg(networks.join(QStringLiteral(", ")))));
        m_network = networks.first();
        done(StepResult::done(
            tr("The nodes are on the network %1.").arg(m_network),
            {{QStringLiteral("network.name"), m_network}, {QStringLiteral("network.link"), link}}));
    });
}

void FindNetworkStep::check(const QVariantMap &, StepCallback done)
{
    find(done);
}

void FindNetworkStep::apply(const QVariantMap &, StepCallback done)
{
    find(done); // nothing to make: finding is the whole step
}

void FindNetworkStep::verify(const QVariantMap &, StepCallback done)
{
    track(m_ctx->client()->getNetwork(m_network), [this, done](GceReply *r) {
        if (r->error())
            return done(failure(r->error()));
        done(StepResult::done(tr("The network %1 exists.").arg(m_network),
                              {{QStringLiteral("network.name"), m_network},
                               {QStringLiteral("network.link"), r->network().selfLink}}));
    });
}

void FindNetworkStep::undo(const QVariantMap &, StepCallback done)
{
    done(StepResult::done(tr("Nothing to undo: finding the network changes nothing.")));
}

// ---- the firewall rule --------------------------------------------------------------------

FirewallStep::FirewallStep(GceContext *c, QObject *parent)
    : GceStep(QStringLiteral("firewall"), c, parent)
{
}

QString FirewallStep::title() const
{
    return tr("Open port %1 in the firewall (%2)").arg(t().port).arg(t().firewallName);
}

QString FirewallStep::explanation() const
{
    return tr("GCE's firewall drops every connection from outside that no rule allows. This rule "
              "allows TCP port %1 from anywhere to the instances tagged %2.")
        .arg(t().port)
        .arg(t().tag);
}

QString FirewallStep::equivalentCommand() const
{
    const QString net = !t().network.isEmpty()     ? t().network
                        : !m_networkName.isEmpty() ? m_networkName
                                                   : QStringLiteral("<cluster network>");
    return gcloud(QStringLiteral("firewall-rules create %1 --allow tcp:%2 --network %3 "
                                 "--target-tags %4 --source-ranges 0.0.0.0/0")
                      .arg(t().firewallName)
                      .arg(t().port)
                      .arg(net, t().tag));
}

void FirewallStep::network(const QVariantMap &inputs,
                           std::function<void(const QString &, const ApiError &)> done)
{
    QString link = inputs.value(QStringLiteral("network.link")).toString();
    if (link.isEmpty() && !t().network.isEmpty())
        link = m_ctx->url(QStringLiteral("global/networks/") + t().network);
    if (!link.isEmpty()) {
        m_networkName = lastSegment(link);
        return done(link, {});
    }
    m_ctx->nodes([this, done](const QList<GceInstance> &nodes, const ApiError &e) {
        const QString l = e ? QString() : nodes.value(0).network();
        m_networkName = lastSegment(l);
        done(l, e);
    });
}

StepResult FirewallStep::judge(const GceFirewall &f, const QString &networkLink) const
{
    QStringList diff;
    if (!networkLink.isEmpty() && !GceContext::sameResource(f.network, networkLink))
        diff
            << tr("network %1 instead of %2").arg(lastSegment(f.network), lastSegment(networkLink));
    bool allows = false;
    for (const GceFirewallRule &a : f.allowed) {
        if (a.ipProtocol.compare(QLatin1String("tcp"), Qt::CaseInsensitive) == 0 &&
            (a.ports.contains(QString::number(t().port)) ||
             a.ports.contains(QStringLiteral("%1-%1").arg(t().port))))
            allows = true;
    }
    if (!allows)
        diff << tr("it does not allow tcp:%1").arg(t().port);
    if (!f.targetTags.isEmpty() && !f.targetTags.contains(t().tag))
        diff
            << tr("target tags %1 instead of %2").arg(f.targetTags.join(QLatin1Char(',')), t().tag);
    if (!f.sourceRanges.isEmpty() && !f.sourceRanges.contains(QStringLiteral("0.0.0.0/0")))
        diff << tr("sources %1 instead of anywhere").arg(f.sourceRanges.join(QLatin1Char(',')));
    if (f.disabled)
        diff << tr("it is disabled");
    if (!f.direction.isEmpty() && f.direction != QLatin1String("INGRESS"))
        diff << tr("direction %1").arg(f.direction);
    if (!diff.isEmpty())
        return StepResult::blocked(
            tr("A firewall rule named %1 already exists with a different spec (%2). Pier does "
               "not change what it did not make: choose another name or delete that rule.")
                .arg(f.name, diff.join(QStringLiteral("; "))));
    return StepResult::done(
        tr("The firewall allows tcp:%1 to the nodes tagged %2.").arg(t().port).arg(t().tag),
        {{QStringLiteral("firewall.link"), f.selfLink}});
}

void FirewallStep::check(const QVariantMap &inputs, StepCallback done)
{
    network(inputs, [this, done](const QString &link, const ApiError &e) {
        if (e)
            return done(failure(e));
        track(m_ctx->client()->getFirewall(t().firewallName), [this, done, link](GceReply *r) {
            if (isNotFound(r->error()))
                return done(StepResult::needed(
                    tr("The firewall rule %1 does not exist yet.").arg(t().firewallName)));
            if (r->error())
                return done(failure(r->error()));
            done(judge(r->firewall(), link));
        });
    });
}

void FirewallStep::apply(const QVariantMap &inputs, StepCallback done)
{
    network(inputs, [this, done](const QString &link, const ApiError &e) {
        if (e)
            return done(failure(e));
        GceFirewall f;
        f.name = t().firewallName;
        f.description = tr("Pier: the app's port from anywhere to the tagged nodes");
        f.network = link;
        f.direction = QStringLiteral("INGRESS");
        f.allowed = {{QStringLiteral("tcp"), {QString::number(t().port)}}};
        f.sourceRanges = {QStringLiteral("0.0.0.0/0")};
        f.targetTags = {t().tag};
        GceReply *reply = reportOperation(m_ctx->client()->insertFirewall(f),
                                          tr("Creating the firewall rule %1").arg(f.name));
        track(reply, [this, done, link](GceReply *r) {
            if (r->error() && !isAlreadyExists(r->error()))
                return done(failure(r->error()));
            track(m_ctx->client()->getFirewall(t().firewallName), [this, done, link](GceReply *g) {
                if (g->error())
                    return done(failure(g->error()));
                done(judge(g->firewall(), link));
            });
        });
    });
}

void FirewallStep::verify(const QVariantMap &inputs, StepCallback done)
{
    check(inputs, [done](const StepResult &r) {
        if (r.status == StepResult::Status::Needed)
            return done(StepResult::blocked(r.message));
        done(r);
    });
}

void FirewallStep::undo(const QVariantMap &, StepCallback done)
{
    track(reportOperation(m_ctx->client()->deleteFirewall(t().firewallName),
                          tr("Deleting the firewall rule %1").arg(t().firewallName)),
          [this, done](GceReply *r) {
              if (r->error() && !isNotFound(r->error()))
                  return done(failure(r->error()));
              done(StepResult::done(tr("Deleted the firewall rule %1.").arg(t().firewallName)));
          });
}

// ---- the plan -----------------------------------------------------------------------------

QList<Step *> makeGceSteps(GceContext *context)
{
    auto *address = new AddressStep(context);
    auto *pool = new TargetPoolStep(context);
    auto *instances = new PoolInstancesStep(context);
    instances->setDependsOn({pool->id()});
    auto *rule = new ForwardingRuleStep(context);
    rule->setDependsOn({address->id(), pool->id(), instances->id()});
    auto *tags = new TagNodesStep(context);
    auto *network = new FindNetworkStep(context);
    auto *firewall = new FirewallStep(context);
    firewall->setDependsOn({network->id()});
    QList<Step *> steps{address, pool};
    if (context->target().healthCheck) {
        auto *health = new HealthCheckStep(context);
        health->setDependsOn({pool->id()});
        steps << health;
    }
    steps << instances << rule << tags << network << firewall;
    return steps;
}

} // namespace pier::gce
