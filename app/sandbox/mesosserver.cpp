#include "sandbox/mesosserver.h"

#include "core/logging.h"
#include "sandbox/agents.h"
#include "sandbox/httpserver.h"

#include <QJsonArray>
#include <QJsonObject>

using namespace Qt::Literals::StringLiterals;

namespace pier::sandbox {

namespace {

double seconds(const QDateTime &t)
{
    return t.isValid() ? double(t.toMSecsSinceEpoch()) / 1000.0 : 0.0;
}

QJsonObject resourcesJson(double cpus, double mem, double disk, const QList<PortRange> &ports)
{
    QJsonObject o{{u"cpus"_s, cpus}, {u"mem"_s, mem}, {u"disk"_s, disk}};
    if (!ports.isEmpty())
        o[u"ports"_s] = formatRanges(ports);
    return o;
}

QJsonObject taskJson(const AgentTask &t)
{
    return QJsonObject{
        {u"id"_s, t.id},
        {u"name"_s, t.name},
        {u"framework_id"_s, t.frameworkId},
        {u"executor_id"_s, u""_s},
        {u"slave_id"_s, t.agentId},
        {u"state"_s, t.state},
        {u"resources"_s, resourcesJson(t.cpus, t.mem, t.disk, rangesFromPorts(t.ports))},
        {u"statuses"_s,
         QJsonArray{QJsonObject{{u"state"_s, t.state}, {u"timestamp"_s, seconds(t.updatedAt)}}}},
    };
}

} // namespace

struct MesosServer::Private {
    MesosServer *q = nullptr;
    std::shared_ptr<AgentPool> cluster;
    Options options;
    HttpServer *http = nullptr;

    bool modern() const { return options.flavor == Flavor::Modern; }
    QString version() const { return modern() ? u"1.4.3"_s : u"0.21.1"_s; }
    QString selfHostPort() const { return u"%1:%2"_s.arg(q->url().host()).arg(http->port()); }
    QString leader() const
    {
        return options.leaderHostPort.isEmpty() ? selfHostPort() : options.leaderHostPort;
    }

    QJsonObject agentJson(const Agent &a) const
    {
        const double usedCpus = a.usedCpus();
        const double usedMem = a.usedMem();
        const double usedDisk = a.usedDisk();
        QJsonObject attributes;
        for (auto it = a.attributes.cbegin(); it != a.attributes.cend(); ++it)
            attributes.insert(it.key(), it.value());
        QJsonObject o{
            {u"id"_s, a.id},
            {u"pid"_s, u"slave(1)@%1:%2"_s.arg(a.address).arg(a.port)},
            {u"hostname"_s, a.hostname},
            {u"registered_time"_s, seconds(a.registeredAt)},
            {u"resources"_s, resourcesJson(a.cpus, a.mem, a.disk, a.ports)},
            {u"used_resources"_s,
             resourcesJson(usedCpus, usedMem, usedDisk, rangesFromPorts(a.usedPorts().values()))},
            {u"attributes"_s, attributes},
        };
        if (modern()) {
            // Marathon declines what it does not use at once: nothing stays offered.
            o[u"port"_s] = a.port;
            o[u"offered_resources"_s] = resourcesJson(0, 0, 0, {});
            o[u"reserved_resources"_s] = QJsonObject();
            o[u"unreserved_resources"_s] = resourcesJson(a.cpus, a.mem, a.disk, a.ports);
            o[u"active"_s] = a.active;
            o[u"deactivated"_s] = !a.active;
            o[u"version"_s] = version();
            o[u"capabilities"_s] = QJsonArray{u"MULTI_ROLE"_s, u"HIERARCHICAL_ROLE"_s};
        }
        return o;
    }

    QJsonObject frameworkJson(const AgentPool::Framework &f) const
    {
        QJsonArray tasks, completed;
        double cpus = 0, mem = 0, disk = 0;
        QList<int> ports;
        for (const Agent &a : cluster->agents()) {
            for (const AgentTask &t : a.tasks) {
                if (t.frameworkId != f.id)
                    continue;
                tasks.append(taskJson(t));
                cpus += t.cpus;
                mem += t.mem;
                disk += t.disk;
                ports += t.ports;
            }
        }
        for (const AgentTask &t : cluster->completedTasks()) {
            if (t.frameworkId == f.id)
                completed.append(taskJson(t));
        }
        const QJsonObject used = resourcesJson(cpus, mem, disk, rangesFromPorts(ports));
        QJsonObject o{
            {u"id"_s, f.id},
            {u"name"_s, f.name},
            {u"pid"_s, u"scheduler-%1@%2"_s.arg(f.id.left(8), selfHostPort())},
            {u"hostname"_s, f.hostname},
            {u"user"_s, u"root"_s},
            {u"webui_url"_s, f.webuiUrl},
            {u"active"_s, true},
            {u"checkpoint"_s, true},
            {u"failover_timeout"_s, 604800},
            {u"registered_time"_s, seconds(f.registeredAt)},
            {u"unregistered_time"_s, 0},
            {u"resources"_s, used},
            {u"used_resources"_s, used},
            {u"offered_resources"_s, resourcesJson(0, 0, 0, {})},
            {u"tasks"_s, tasks},
            {u"completed_tasks"_s, completed},
            {u"offers"_s, QJsonArray()},
            {u"executors"_s, QJsonArray()},
        };
        if (modern()) {
            o[u"role"_s] = u"*"_s;
            o[u"roles"_s] = QJsonArray{u"*"_s};
            o[u"capabilities"_s] = QJsonArray{u"PARTITION_AWARE"_s};
            o[u"reregistered_time"_s] = seconds(f.registeredAt);
            o[u"unreachable_tasks"_s] = QJsonArray();
        }
        return o;
    }

    QJsonObject state() const
    {
        const QDateTime started = cluster->startedAt();
        QJsonArray slaves, frameworks;
        int active = 0;
        for (const Agent &a : cluster->agents()) {
            slaves.append(agentJson(a));
            active += a.active ? 1 : 0;
        }
        for (const AgentPool::Framework &f : cluster->frameworks())
            frameworks.append(frameworkJson(f));
        const QString self = selfHostPort();
        QJsonObject o{
            {u"version"_s, version()},
            {u"build_date"_s, modern() ? u"2017-11-02 14:12:15"_s : u"2015-01-20 10:11:02"_s},
            {u"build_time"_s, modern() ? 1509631935 : 1421748662},
            {u"build_user"_s, u"root"_s},
            {u"start_time"_s, seconds(started)},
            {u"elected_time"_s, seconds(started)},
            {u"id"_s, cluster->masterId()},
            {u"pid"_s, u"master@"_s + self},
            {u"hostname"_s, cluster->masterHostname()},
            {u"activated_slaves"_s, active},
            {u"deactivated_slaves"_s, int(cluster->agents().size()) - active},
            {u"cluster"_s, cluster->options().name},
            {u"leader"_s, u"master@"_s + leader()},
            {u"flags"_s, QJsonObject{{u"port"_s, QString::number(http->port())},
                                     {u"cluster"_s, cluster->options().name},
                                     {u"allocation_interval"_s, u"1secs"_s},
                                     {u"hostname_lookup"_s, u"true"_s},
                                     {u"work_dir"_s, u"/var/lib/mesos"_s}}},
            {u"slaves"_s, slaves},
            {u"frameworks"_s, frameworks},
            {u"completed_frameworks"_s, QJsonArray()},
            {u"orphan_tasks"_s, QJsonArray()},
            {u"unregistered_frameworks"_s, QJsonArray()},
        };
        if (modern()) {
            o[u"git_sha"_s] = u"c844db9ac7c0cef59be87438c6781bfb71adcc42"_s;
            o[u"git_tag"_s] = u"1.4.3"_s;
        }
        return o;
    }

    void setupRoutes()
    {
        using S = HttpServer::SimpleHandler;
        // Mesos answers unknown paths with an empty 404.
        http->setErrorFormatter(
            [](int status, const HttpRequest &) { return HttpResponse(status); });
        auto stateRoute =
            S([this](const HttpRequest &) { return HttpResponse::json(200, state()); });
        http->route("GET", u"/master/state.json"_s, stateRoute);
        if (modern()) {
            http->route("GET", u"/master/state"_s, stateRoute);
            http->route("GET", u"/version"_s, S([this](const HttpRequest &) {
                            return HttpResponse::json(
                                200, QJsonObject{{u"version"_s, version()},
                                                 {u"build_date"_s, u"2017-11-02 14:12:15"_s},
                                                 {u"build_time"_s, 1509631935},
                                                 {u"build_user"_s, u"root"_s},
                                                 {u"git_sha"_s,
                                                  u"c844db9ac7c0cef59be87438c6781bfb71adcc42"_s},
                                                 {u"git_tag"_s, u"1.4.3"_s}});
                        }));
        }
        http->route("GET", u"/master/health"_s,
                    S([](const HttpRequest &) { return HttpResponse(200); }));
        http->route("GET", u"/master/redirect"_s, S([this](const HttpRequest &) {
                        HttpResponse r(307);
                        r.setHeader("Location", "//" + leader().toUtf8());
                        return r;
                    }));
    }
};

MesosServer::MesosServer(std::shared_ptr<AgentPool> cluster, QObject *parent)
    : MesosServer(std::move(cluster), Options(), parent)
{
}

MesosServer::MesosServer(std::shared_ptr<AgentPool> cluster, const Options &options,
                         QObject *parent)
    : QObject(parent), d(std::make_unique<Private>())
{
    d->q = this;
    d->cluster = cluster ? std::move(cluster) : std::make_shared<AgentPool>();
    d->options = options;
    d->http = new HttpServer(this);
    d->setupRoutes();
}

MesosServer::~MesosServer()
{
    d->http->close();
}

bool MesosServer::listenOnDescriptor(qintptr fd)
{
    if (!d->http->listenOnDescriptor(fd))
        return false;
    qCInfo(lcSandbox) << "Mesos" << d->version() << "master API on" << url();
    return true;
}

bool MesosServer::listen(const QHostAddress &address, quint16 port)
{
    if (!d->http->listen(address, port))
        return false;
    qCInfo(lcSandbox) << "Mesos" << d->version() << "master API on" << url();
    return true;
}

quint16 MesosServer::port() const
{
    return d->http->port();
}

QUrl MesosServer::url() const
{
    QUrl u;
    u.setScheme(u"http"_s);
    const QHostAddress a = d->http->address();
    u.setHost(a == QHostAddress::Any || a == QHostAddress::AnyIPv4 ? u"127.0.0.1"_s : a.toString());
    u.setPort(d->http->port());
    return u;
}

QString MesosServer::errorString() const
{
    return d->http->errorString();
}

QString MesosServer::version() const
{
    return d->version();
}

std::shared_ptr<AgentPool> MesosServer::cluster() const
{
    return d->cluster;
}

HttpServer *MesosServer::httpServer() const
{
    return d->http;
}

} // namespace pier::sandbox
