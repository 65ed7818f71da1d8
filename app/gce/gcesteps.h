#pragma once

#include "core/plan.h"
#include "gce/credentials.h" // before gceclient.h: its QPointer needs the full type
#include "gce/gceclient.h"
#include "gce/gcetypes.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <functional>

// The tutorial's seven GCE steps (reserve an address, create a target pool, add the nodes, create
// the forwarding rule, tag the nodes, find the network, open the firewall) as plan steps, plus an
// optional HTTP health check on the pool. Each step adopts a resource that already exists with the
// same spec, refuses one with a different spec, and undoes only what it made.
namespace pier::gce {

// What the steps make, and where.
struct GceTarget {
    QString project, region, zone;
    int port = 80;            // the app's service port: forwarding rule and firewall
    bool healthCheck = false; // an HTTP health check on the pool (GET / on the port)
    QStringList instances;    // the cluster's nodes; empty: every instance of the zone
    QString addressName = QStringLiteral("pier-address");
    QString poolName = QStringLiteral("pier-pool");
    QString ruleName = QStringLiteral("pier-http");
    QString firewallName = QStringLiteral("pier-allow-http");
    QString tag = QStringLiteral("http-server");
    QString healthCheckName = QStringLiteral("pier-http-check");
    QString network; // empty: found from the nodes' interfaces
};

// Shared by the steps of one plan: the client, the target, and the zone's instances, read once
// (concurrent requests wait for the same read).
class GceContext : public QObject {
    Q_OBJECT
public:
    using NodesCallback = std::function<void(const QList<GceInstance> &, const ApiError &)>;
    GceContext(GceClient *client, const GceTarget &target, QObject *parent = nullptr);

    GceClient *client() const { return m_client; }
    const GceTarget &target() const { return m_target; }

    void nodes(NodesCallback done);               // the cluster's instances
    void forgetNodes() { m_nodesLoaded = false; } // read them again next time
    bool nodesKnown() const { return m_nodesLoaded; }
    QList<GceInstance> knownNodes() const { return m_nodes; }
    QStringList nodeNames() const; // known, else the target's list

    QString url(const QString &path) const; // project-relative path → URL
    QString addressUrl() const;
    QString poolUrl() const;
    QString healthCheckUrl() const;

    // The same resource, whatever host and API version its URL names.
    static bool sameResource(const QString &a, const QString &b);

private:
    QPointer<GceClient> m_client;
    GceTarget m_target;
    bool m_nodesLoaded = false;
    bool m_nodesLoading = false;
    QList<GceInstance> m_nodes;
    QList<NodesCallback> m_waiting;
};

// Common plumbing: replies in flight, cancel, deleting replies when done.
class GceStep : public Step {
    Q_OBJECT
public:
    GceStep(const QString &id, GceContext *context, QObject *parent = nullptr);
    void cancel() override;
    GceContext *context() const { return m_ctx; }

protected:
    using ReplyHandler = std::function<void(GceReply *)>;
    // Runs `handler` when the reply finishes (not if the step was cancelled meanwhile).
    void track(GceReply *reply, ReplyHandler handler);
    // Several replies at once; `handler` gets them all when the last one finishes.
    void trackAll(const QList<GceReply *> &replies, std::function<void(QList<GceReply *>)> handler);
    // Reports the state of REPLY's operation as progress ("WHAT: operation pending").
    GceReply *reportOperation(GceReply *reply, const QString &what);
    static bool isNotFound(const ApiError &e);
    static bool isAlreadyExists(const ApiError &e);
    const GceTarget &t() const { return m_ctx->target(); }
    QString gcloud(const QString &args) const; // "gcloud compute ARGS --project P"

    GceContext *m_ctx;
    QList<QPointer<GceReply>> m_inFlight;
    int m_generation = 0;
};

class AddressStep : public GceStep {
    Q_OBJECT
public:
    explicit AddressStep(GceContext *c, QObject *parent = nullptr);
    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;
    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;

private:
    StepResult judge(const GceAddress &a) const;
};

class TargetPoolStep : public GceStep {
    Q_OBJECT
public:
    explicit TargetPoolStep(GceContext *c, QObject *parent = nullptr);
    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;
    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;

private:
    StepResult judge(const GceTargetPool &p) const;
};

// Creates the HTTP health check if missing and attaches it to the pool; undo detaches and deletes
// only what it attached and created.
class HealthCheckStep : public GceStep {
    Q_OBJECT
public:
    explicit HealthCheckStep(GceContext *c, QObject *parent = nullptr);
    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;
    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;

private:
    void inspect(std::function<void(const ApiError &)> done);
    bool m_exists = false, m_sameSpec = false, m_attached = false;
    GceHealthCheck m_seen;
};

class PoolInstancesStep : public GceStep {
    Q_OBJECT
public:
    explicit PoolInstancesStep(GceContext *c, QObject *parent = nullptr);
    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;
    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;

private:
    void missing(std::function<void(const QList<GceInstance> &, const ApiError &)> done);
};

class ForwardingRuleStep : public GceStep {
    Q_OBJECT
public:
    explicit ForwardingRuleStep(GceContext *c, QObject *parent = nullptr);
    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;
    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;

private:
    void addressIp(const QVariantMap &inputs, std::function<void(const QString &)> done);
    StepResult judge(const GceForwardingRule &r, const QString &ip) const;
    QString portRange() const;
};

class TagNodesStep : public GceStep {
    Q_OBJECT
public:
    explicit TagNodesStep(GceContext *c, QObject *parent = nullptr);
    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;
    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;
};

// Read-only: the network the nodes are on (the tutorial's `instances describe | grep network`).
class FindNetworkStep : public GceStep {
    Q_OBJECT
public:
    explicit FindNetworkStep(GceContext *c, QObject *parent = nullptr);
    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;
    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;

private:
    void find(StepCallback done);
    QString m_network; // the name, once found
};

class FirewallStep : public GceStep {
    Q_OBJECT
public:
    explicit FirewallStep(GceContext *c, QObject *parent = nullptr);
    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;
    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;

private:
    void network(const QVariantMap &inputs,
                 std::function<void(const QString &link, const ApiError &)> done);
    StepResult judge(const GceFirewall &f, const QString &networkLink) const;
    QString m_networkName;
};

// The steps in dependency order (so the runner's reverse order tears down dependents first):
// address ‖ pool → (health check) ‖ instances → rule; tags ‖ network → firewall alongside.
QList<Step *> makeGceSteps(GceContext *context);

} // namespace pier::gce
