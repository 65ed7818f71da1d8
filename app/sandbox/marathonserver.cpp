#include "sandbox/marathonserver.h"

#include "core/logging.h"
#include "marathon/appdefinition.h"
#include "sandbox/agents.h"
#include "sandbox/httpserver.h"
#include "sandbox/taskrunner.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QUuid>
#include <cmath>
#include <limits>
#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace pier::sandbox {

namespace {

using Flavor = MarathonServer::Flavor;

// Ports Marathon hands out: service ports from local_port_min, host ports from the agents' range.
constexpr int kServicePortMin = 10000;
constexpr int kServicePortMax = 20000;

QString isoTime(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}

QString nowIso()
{
    return isoTime(QDateTime::currentDateTimeUtc());
}

QString uuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

QString normalizeId(QString id)
{
    id = id.trimmed();
    if (!id.startsWith(u'/'))
        id.prepend(u'/');
    while (id.size() > 1 && id.endsWith(u'/'))
        id.chop(1);
    return id;
}

QJsonObject message(const QString &text)
{
    return QJsonObject{{u"message"_s, text}};
}

HttpResponse jsonReply(int status, const QJsonValue &body)
{
    return HttpResponse::json(status, body);
}

HttpResponse appNotFound(const QString &appId)
{
    return jsonReply(404, message(u"App '%1' does not exist"_s.arg(appId)));
}

QJsonArray intArray(const QList<int> &values)
{
    QJsonArray a;
    for (int v : values)
        a.append(v);
    return a;
}

// Fields a client may send but that Marathon computes itself.
const QStringList &readOnlyAppFields()
{
    static const QStringList fields = {
        u"version"_s,         u"versionInfo"_s,    u"tasksStaged"_s,           u"tasksRunning"_s,
        u"tasksHealthy"_s,    u"tasksUnhealthy"_s, u"deployments"_s,           u"tasks"_s,
        u"lastTaskFailure"_s, u"taskStats"_s,      u"readinessCheckResults"_s,
    };
    return fields;
}

QJsonObject withoutReadOnly(QJsonObject o)
{
    for (const QString &f : readOnlyAppFields())
        o.remove(f);
    return o;
}

// Marathon's 400 for a body whose fields have the wrong JSON type ("Invalid JSON" with the
// JSON-pointer of the field and play-json's error key).
QJsonArray typeErrors(const QJsonObject &app)
{
    enum Kind { String, Number, Object, Array, Bool };
    static const QList<QPair<QString, Kind>> fields = {
        {u"id"_s, String},
        {u"cmd"_s, String},
        {u"user"_s, String},
        {u"executor"_s, String},
        {u"args"_s, Array},
        {u"instances"_s, Number},
        {u"cpus"_s, Number},
        {u"mem"_s, Number},
        {u"disk"_s, Number},
        {u"gpus"_s, Number},
        {u"backoffSeconds"_s, Number},
        {u"backoffFactor"_s, Number},
        {u"maxLaunchDelaySeconds"_s, Number},
        {u"env"_s, Object},
        {u"labels"_s, Object},
        {u"constraints"_s, Array},
        {u"container"_s, Object},
        {u"healthChecks"_s, Array},
        {u"ports"_s, Array},
        {u"portDefinitions"_s, Array},
        {u"networks"_s, Array},
        {u"upgradeStrategy"_s, Object},
        {u"uris"_s, Array},
        {u"fetch"_s, Array},
        {u"dependencies"_s, Array},
        {u"requirePorts"_s, Bool},
        {u"secrets"_s, Object},
    };
    QJsonArray details;
    for (const auto &[name, kind] : fields) {
        const QJsonValue v = app.value(name);
        if (v.isUndefined() || v.isNull())
            continue;
        bool ok = true;
        QString key;
        switch (kind) {
        case String:
            ok = v.isString();
            key = u"error.expected.jsstring"_s;
            break;
        case Number:
            ok = v.isDouble();
            key = u"error.expected.jsnumber"_s;
            break;
        case Object:
            ok = v.isObject();
            key = u"error.expected.jsobject"_s;
            break;
        case Array:
            ok = v.isArray();
            key = u"error.expected.jsarray"_s;
            break;
        case Bool:
            ok = v.isBool();
            key = u"error.expected.jsboolean"_s;
            break;
        }
        if (!ok)
            details.append(QJsonObject{{u"path"_s, u"/"_s + name}, {u"errors"_s, QJsonArray{key}}});
    }
    return details;
}

struct HealthState {
    bool alive = false;
    bool checked = false; // a result exists (a real probe ran, or the simulated one passed)
    int consecutiveFailures = 0;
    QString firstSuccess;
    QString lastSuccess;
    QString lastFailure;
    QString lastFailureCause;
};

struct Task {
    QString id;
    QString instanceId;
    QString appId;
    QString host;
    QString slaveId;
    QString state;      // TASK_STAGING, TASK_RUNNING
    QString version;    // the app's version when launched
    QString generation; // the app's config/restart generation when launched
    QList<int> ports;
    QList<int> servicePorts;
    QString stagedAt;
    QString startedAt;
    int healthChecks = 0;
    HealthState health;
    qint64 sequence = 0; // launch order: scale-down kills the youngest
};

// How Marathon's offer matching went for an app's current launch attempt (GET /v2/queue's
// processedOffersSummary).
struct OfferStats {
    int processed = 0;
    int unused = 0;
    QString lastUnusedAt;
    QString lastUsedAt;
    QHash<QString, Rejection> lastByAgent;   // the last offer of each agent
    QHash<Rejection, int> declinedInAttempt; // every offer since the launch attempt started
    QHash<Rejection, int> processedInAttempt;
};

struct App {
    QJsonObject def;             // canonical definition, with version (+ versionInfo)
    QList<QJsonObject> versions; // every stored version, oldest first
    QString generation;          // changes on config change and restart
    QList<Task> tasks;
    QJsonObject lastTaskFailure;
    int consecutiveFailures = 0;
    QDateTime delayUntil; // backoff: no launch before
    QString queuedSince;
    OfferStats offers;
};

struct Deployment {
    QString id;
    QString version;
    QString appId;
    QStringList actions; // one action per step
    int currentStep = 1;
    QJsonObject original; // the app before; empty when the deployment created it
    bool stop = false;    // StopApplication: the app is gone
    bool completing = false;
};

} // namespace

struct MarathonServer::Private {
    MarathonServer *q = nullptr;
    Options options;
    HttpServer *http = nullptr;
    QUrl leaderUrl; // set: this instance is a standby

    QMap<QString, App> apps;
    QHash<QString, QString> failing; // app id -> message its new tasks fail with
    QList<Deployment> deployments;
    QSet<int> servicePorts;
    std::shared_ptr<AgentPool> cluster;
    QTimer offerTimer; // while launches wait: Mesos offers again
    int agentCursor = 0;
    qint64 taskSequence = 0;
    QDateTime lastVersion;

    struct Subscriber {
        QPointer<HttpStream> stream;
        QStringList eventTypes; // empty: all
    };
    QList<Subscriber> subscribers;
    bool shuttingDown = false;
    QTimer keepAlive;

    bool modern() const { return options.flavor == Flavor::Modern; }
    QString frameworkId() const
    {
        return options.frameworkId.isEmpty() ? u"5b1a3e1c-6e5c-4a5e-9d4e-2c7c1c0f0a11-0000"_s
                                             : options.frameworkId;
    }
    QString leaderHostPort() const
    {
        if (leaderUrl.isValid())
            return u"%1:%2"_s.arg(leaderUrl.host()).arg(leaderUrl.port(80));
        return u"%1:%2"_s.arg(http->address().toString()).arg(http->port());
    }

    // ---- versions, ports -------------------------------------------------------------------
    QString newVersion()
    {
        QDateTime t = QDateTime::currentDateTimeUtc();
        if (lastVersion.isValid() && t <= lastVersion)
            t = lastVersion.addMSecs(1);
        lastVersion = t;
        return isoTime(t);
    }

    int allocateServicePort()
    {
        for (int p = kServicePortMin; p <= kServicePortMax; ++p) {
            if (!servicePorts.contains(p)) {
                servicePorts.insert(p);
                return p;
            }
        }
        return 0;
    }

    void releaseServicePorts(const QJsonObject &def)
    {
        for (int p : servicePortsOf(def))
            servicePorts.remove(p);
    }

    // The service ports an app definition holds, in order (portMappings or port definitions).
    QList<int> servicePortsOf(const QJsonObject &def) const
    {
        QList<int> out;
        const QJsonObject container = def.value(u"container"_s).toObject();
        QJsonArray mappings = container.value(u"portMappings"_s).toArray();
        if (mappings.isEmpty())
            mappings = container.value(u"docker"_s).toObject().value(u"portMappings"_s).toArray();
        if (!mappings.isEmpty()) {
            for (const QJsonValue &m : std::as_const(mappings))
                out.append(m.toObject().value(u"servicePort"_s).toInt());
            return out;
        }
        if (def.contains(u"portDefinitions"_s)) {
            const QJsonArray defs = def.value(u"portDefinitions"_s).toArray();
            for (const QJsonValue &p : defs)
                out.append(p.toObject().value(u"port"_s).toInt());
            return out;
        }
        const QJsonArray ports = def.value(u"ports"_s).toArray();
        for (const QJsonValue &p : ports)
            out.append(p.toInt());
        return out;
    }

    bool isContainerNetworked(const QJsonObject &def) const
    {
        if (def.contains(u"networks"_s)) {
            const QString mode =
                def.value(u"networks"_s).toArray().first().toObject().value(u"mode"_s).toString();
            return mode.startsWith(u"container"_s);
        }
        const QString network = def.value(u"container"_s)
                                    .toObject()
                                    .value(u"docker"_s)
                                    .toObject()
                                    .value(u"network"_s)
                                    .toString();
        return network == u"BRIDGE"_s || network == u"USER"_s;
    }

    // A service port: the one asked for, the one the previous version had at this index, or a new
    // one.
    int servicePortFor(int asked, const QList<int> &previous, int index)
    {
        if (asked > 0) {
            servicePorts.insert(asked);
            return asked;
        }
        if (index < previous.size() && previous[index] > 0) {
            servicePorts.insert(previous[index]);
            return previous[index];
        }
        return allocateServicePort();
    }

    // ---- canonical form ----------------------------------------------------------------------

    static QJsonObject fillHealthCheck(QJsonObject hc, bool modern)
    {
        if (!hc.contains(u"protocol"_s))
            hc[u"protocol"_s] = u"HTTP"_s;
        const QString protocol = hc.value(u"protocol"_s).toString();
        auto fill = [&hc](const QString &key, const QJsonValue &v) {
            if (!hc.contains(key) || hc.value(key).isNull())
                hc[key] = v;
        };
        if (modern) {
            fill(u"gracePeriodSeconds"_s, 300);
            fill(u"intervalSeconds"_s, 60);
            fill(u"timeoutSeconds"_s, 20);
            fill(u"maxConsecutiveFailures"_s, 3);
            fill(u"delaySeconds"_s, 15);
            if (protocol.contains(u"HTTP"_s)) {
                fill(u"path"_s, u"/"_s);
                fill(u"ipProtocol"_s, u"IPv4"_s);
            }
            if (protocol == u"HTTP"_s || protocol == u"HTTPS"_s)
                fill(u"ignoreHttp1xx"_s, false);
            if (protocol != u"COMMAND"_s && !hc.contains(u"port"_s))
                fill(u"portIndex"_s, 0);
        } else {
            // Marathon 0.7 defaults (its REST reference: grace 15, interval 10, timeout 20).
            fill(u"gracePeriodSeconds"_s, 15);
            fill(u"intervalSeconds"_s, 10);
            fill(u"timeoutSeconds"_s, 20);
            fill(u"maxConsecutiveFailures"_s, 3);
            fill(u"path"_s, protocol == u"HTTP"_s ? QJsonValue(u"/"_s) : QJsonValue());
            fill(u"portIndex"_s, 0);
            fill(u"command"_s, QJsonValue());
        }
        return hc;
    }

    // The app as Marathon 1.5+ stores and shows it: networks + container.portMappings (or
    // portDefinitions for host networking), every default filled in.
    QJsonObject canonicalModern(QJsonObject in, const QJsonObject &previous)
    {
        QJsonObject o = withoutReadOnly(in);
        const QList<int> previousPorts = servicePortsOf(previous);
        o[u"id"_s] = normalizeId(o.value(u"id"_s).toString());

        auto fill = [&o](const QString &key, const QJsonValue &v) {
            if (!o.contains(key) || o.value(key).isNull())
                o[key] = v;
        };
        fill(u"backoffFactor"_s, 1.15);
        fill(u"backoffSeconds"_s, 1);
        fill(u"cpus"_s, 1);
        fill(u"disk"_s, 0);
        fill(u"executor"_s, u""_s);
        fill(u"instances"_s, 1);
        fill(u"labels"_s, QJsonObject());
        fill(u"maxLaunchDelaySeconds"_s, 300); // 3600 up to 1.7, 300 from 1.8 on
        fill(u"mem"_s, 128);
        fill(u"gpus"_s, 0);
        fill(u"requirePorts"_s, false);
        fill(u"killSelection"_s, u"YOUNGEST_FIRST"_s);
        fill(u"unreachableStrategy"_s,
             QJsonObject{{u"inactiveAfterSeconds"_s, 0}, {u"expungeAfterSeconds"_s, 0}});
        fill(u"constraints"_s, QJsonArray());
        fill(u"dependencies"_s, QJsonArray());
        fill(u"env"_s, QJsonObject());
        fill(u"secrets"_s, QJsonObject());
        fill(u"role"_s, u"*"_s);
        for (const QString &nullable : {u"cmd"_s, u"args"_s, u"user"_s, u"container"_s}) {
            if (o.value(nullable).isNull())
                o.remove(nullable);
        }

        QJsonObject us = o.value(u"upgradeStrategy"_s).toObject();
        if (!us.contains(u"minimumHealthCapacity"_s))
            us[u"minimumHealthCapacity"_s] = 1;
        if (!us.contains(u"maximumOverCapacity"_s))
            us[u"maximumOverCapacity"_s] = 1;
        o[u"upgradeStrategy"_s] = us;

        // uris (pre-1.x) become fetch entries.
        if (o.contains(u"uris"_s)) {
            QJsonArray fetch = o.value(u"fetch"_s).toArray();
            const QJsonArray uris = o.value(u"uris"_s).toArray();
            for (const QJsonValue &u : uris) {
                const QString uri = u.toString();
                const bool archive = uri.endsWith(u".tgz"_s) || uri.endsWith(u".tar.gz"_s) ||
                                     uri.endsWith(u".zip"_s) || uri.endsWith(u".tar"_s);
                fetch.append(QJsonObject{{u"uri"_s, uri},
                                         {u"extract"_s, archive},
                                         {u"executable"_s, false},
                                         {u"cache"_s, false}});
            }
            o[u"fetch"_s] = fetch;
            o.remove(u"uris"_s);
        }
        fill(u"fetch"_s, QJsonArray());

        QJsonArray checks;
        const QJsonArray inChecks = o.value(u"healthChecks"_s).toArray();
        for (const QJsonValue &hc : inChecks)
            checks.append(fillHealthCheck(hc.toObject(), true));
        o[u"healthChecks"_s] = checks;

        // Networking: translate the legacy docker.network / docker.portMappings / ports forms.
        QJsonObject container = o.value(u"container"_s).toObject();
        QJsonObject docker = container.value(u"docker"_s).toObject();
        QString mode;
        QJsonArray mappings = container.value(u"portMappings"_s).toArray();
        if (docker.contains(u"network"_s)) {
            const QString network = docker.value(u"network"_s).toString();
            if (network == u"BRIDGE"_s)
                mode = u"container/bridge"_s;
            else if (network == u"USER"_s)
                mode = u"container"_s;
            else
                mode = u"host"_s;
            docker.remove(u"network"_s);
        }
        if (docker.contains(u"portMappings"_s)) {
            if (mappings.isEmpty())
                mappings = docker.value(u"portMappings"_s).toArray();
            docker.remove(u"portMappings"_s);
        }
        QJsonArray networks = o.value(u"networks"_s).toArray();
        if (networks.isEmpty()) {
            networks.append(QJsonObject{{u"mode"_s, mode.isEmpty() ? u"host"_s : mode}});
        } else {
            for (qsizetype i = 0; i < networks.size(); ++i) {
                QJsonObject n = networks[i].toObject();
                if (!n.contains(u"mode"_s))
                    n[u"mode"_s] = u"container"_s;
                networks[i] = n;
            }
        }
        o[u"networks"_s] = networks;
        mode = networks.first().toObject().value(u"mode"_s).toString();

        if (mode == u"host"_s) {
            QJsonArray defs = o.value(u"portDefinitions"_s).toArray();
            if (!o.contains(u"portDefinitions"_s)) {
                if (o.contains(u"ports"_s)) {
                    const QJsonArray ports = o.value(u"ports"_s).toArray();
                    for (const QJsonValue &p : ports)
                        defs.append(QJsonObject{{u"port"_s, p.toInt()}});
                } else {
                    defs.append(QJsonObject{{u"port"_s, 0}, {u"name"_s, u"default"_s}});
                }
            }
            for (qsizetype i = 0; i < defs.size(); ++i) {
                QJsonObject pd = defs[i].toObject();
                pd[u"port"_s] = servicePortFor(pd.value(u"port"_s).toInt(), previousPorts, int(i));
                if (!pd.contains(u"protocol"_s))
                    pd[u"protocol"_s] = u"tcp"_s;
                if (!pd.contains(u"labels"_s))
                    pd[u"labels"_s] = QJsonObject();
                defs[i] = pd;
            }
            o[u"portDefinitions"_s] = defs;
            container.remove(u"portMappings"_s);
        } else {
            if (mappings.isEmpty() && mode == u"container/bridge"_s) {
                mappings.append(QJsonObject{
                    {u"containerPort"_s, 0}, {u"hostPort"_s, 0}, {u"name"_s, u"default"_s}});
            }
            for (qsizetype i = 0; i < mappings.size(); ++i) {
                QJsonObject m = mappings[i].toObject();
                if (!m.contains(u"containerPort"_s))
                    m[u"containerPort"_s] = 0;
                if (!m.contains(u"hostPort"_s) && mode == u"container/bridge"_s)
                    m[u"hostPort"_s] = 0;
                if (!m.contains(u"protocol"_s))
                    m[u"protocol"_s] = u"tcp"_s;
                if (!m.contains(u"labels"_s))
                    m[u"labels"_s] = QJsonObject();
                m[u"servicePort"_s] =
                    servicePortFor(m.value(u"servicePort"_s).toInt(), previousPorts, int(i));
                mappings[i] = m;
            }
            container[u"portMappings"_s] = mappings;
            o[u"portDefinitions"_s] = QJsonArray();
        }
        o.remove(u"ports"_s);

        if (o.contains(u"container"_s) || !docker.isEmpty()) {
            if (!container.contains(u"type"_s))
                container[u"type"_s] = u"DOCKER"_s;
            if (!container.contains(u"volumes"_s))
                container[u"volumes"_s] = QJsonArray();
            if (container.value(u"type"_s).toString() == u"DOCKER"_s) {
                if (!docker.contains(u"forcePullImage"_s))
                    docker[u"forcePullImage"_s] = false;
                if (!docker.contains(u"privileged"_s))
                    docker[u"privileged"_s] = false;
                if (!docker.contains(u"parameters"_s))
                    docker[u"parameters"_s] = QJsonArray();
            }
            if (!docker.isEmpty())
                container[u"docker"_s] = docker;
            o[u"container"_s] = container;
        }
        return o;
    }

    // The app as Marathon 0.7.6 shows it (the tutorial's reply): ports, docker.network and
    // docker.portMappings, null for what is not set, storeUrls, maxLaunchDelaySeconds 3600.
    QJsonObject canonicalLegacy(QJsonObject in, const QJsonObject &previous)
    {
        QJsonObject o = withoutReadOnly(in);
        const QList<int> previousPorts = servicePortsOf(previous);
        o[u"id"_s] = normalizeId(o.value(u"id"_s).toString());
        auto fill = [&o](const QString &key, const QJsonValue &v) {
            if (!o.contains(key))
                o[key] = v;
        };
        fill(u"cmd"_s, QJsonValue());
        fill(u"args"_s, QJsonValue());
        fill(u"user"_s, QJsonValue());
        fill(u"env"_s, QJsonObject());
        fill(u"instances"_s, 1);
        fill(u"cpus"_s, 1);
        fill(u"mem"_s, 128);
        fill(u"disk"_s, 0);
        fill(u"executor"_s, u""_s);
        fill(u"constraints"_s, QJsonArray());
        fill(u"uris"_s, QJsonArray());
        fill(u"storeUrls"_s, QJsonArray());
        fill(u"requirePorts"_s, false);
        fill(u"backoffSeconds"_s, 1);
        fill(u"backoffFactor"_s, 1.15);
        fill(u"maxLaunchDelaySeconds"_s, 3600);
        fill(u"container"_s, QJsonValue());
        fill(u"dependencies"_s, QJsonArray());
        fill(u"labels"_s, QJsonObject());
        QJsonObject us = o.value(u"upgradeStrategy"_s).toObject();
        if (!us.contains(u"minimumHealthCapacity"_s))
            us[u"minimumHealthCapacity"_s] = 1;
        if (!us.contains(u"maximumOverCapacity"_s))
            us[u"maximumOverCapacity"_s] = 1;
        o[u"upgradeStrategy"_s] = us;

        QJsonArray checks;
        const QJsonArray inChecks = o.value(u"healthChecks"_s).toArray();
        for (const QJsonValue &hc : inChecks)
            checks.append(fillHealthCheck(hc.toObject(), false));
        o[u"healthChecks"_s] = checks;

        // Modern input forms are translated back (0.7 knew only these).
        QJsonObject container = o.value(u"container"_s).toObject();
        QJsonObject docker = container.value(u"docker"_s).toObject();
        const QJsonArray networks = o.value(u"networks"_s).toArray();
        if (!networks.isEmpty() && !docker.contains(u"network"_s) && !docker.isEmpty()) {
            const QString mode = networks.first().toObject().value(u"mode"_s).toString();
            docker[u"network"_s] = mode == u"container/bridge"_s ? u"BRIDGE"_s
                                   : mode == u"container"_s      ? u"USER"_s
                                                                 : u"HOST"_s;
        }
        if (container.contains(u"portMappings"_s) && !docker.contains(u"portMappings"_s))
            docker[u"portMappings"_s] = container.value(u"portMappings"_s);
        container.remove(u"portMappings"_s);
        o.remove(u"networks"_s);
        if (o.contains(u"portDefinitions"_s) && !o.contains(u"ports"_s)) {
            QJsonArray ports;
            const QJsonArray defs = o.value(u"portDefinitions"_s).toArray();
            for (const QJsonValue &pd : defs)
                ports.append(pd.toObject().value(u"port"_s).toInt());
            o[u"ports"_s] = ports;
        }
        o.remove(u"portDefinitions"_s);

        QJsonArray ports;
        const QString network = docker.value(u"network"_s).toString();
        if (docker.contains(u"portMappings"_s) &&
            (network == u"BRIDGE"_s || network == u"USER"_s)) {
            QJsonArray mappings = docker.value(u"portMappings"_s).toArray();
            for (qsizetype i = 0; i < mappings.size(); ++i) {
                QJsonObject m = mappings[i].toObject();
                if (!m.contains(u"containerPort"_s))
                    m[u"containerPort"_s] = 0;
                if (!m.contains(u"hostPort"_s))
                    m[u"hostPort"_s] = 0;
                m[u"servicePort"_s] =
                    servicePortFor(m.value(u"servicePort"_s).toInt(), previousPorts, int(i));
                if (!m.contains(u"protocol"_s))
                    m[u"protocol"_s] = u"tcp"_s;
                mappings[i] = m;
                ports.append(m.value(u"servicePort"_s));
            }
            docker[u"portMappings"_s] = mappings;
        } else {
            QJsonArray asked = o.value(u"ports"_s).toArray();
            if (!o.contains(u"ports"_s))
                asked.append(0);
            for (qsizetype i = 0; i < asked.size(); ++i)
                ports.append(servicePortFor(asked[i].toInt(), previousPorts, int(i)));
        }
        o[u"ports"_s] = ports;

        if (!container.isEmpty() || !docker.isEmpty()) {
            if (!container.contains(u"type"_s))
                container[u"type"_s] = u"DOCKER"_s;
            if (!container.contains(u"volumes"_s))
                container[u"volumes"_s] = QJsonArray();
            if (!docker.isEmpty()) {
                if (!docker.contains(u"privileged"_s))
                    docker[u"privileged"_s] = false;
                if (!docker.contains(u"parameters"_s))
                    docker[u"parameters"_s] = QJsonArray();
                container[u"docker"_s] = docker;
            }
            o[u"container"_s] = container;
        }
        return o;
    }

    QJsonObject canonical(const QJsonObject &in, const QJsonObject &previous)
    {
        return modern() ? canonicalModern(in, previous) : canonicalLegacy(in, previous);
    }

    // ---- JSON views
    // ------------------------------------------------------------------------------

    QJsonObject healthResultJson(const Task &t) const
    {
        QJsonObject h{
            {u"alive"_s, t.health.alive},
            {u"consecutiveFailures"_s, t.health.consecutiveFailures},
            {u"firstSuccess"_s,
             t.health.firstSuccess.isEmpty() ? QJsonValue() : QJsonValue(t.health.firstSuccess)},
            {u"lastFailure"_s,
             t.health.lastFailure.isEmpty() ? QJsonValue() : QJsonValue(t.health.lastFailure)},
            {u"lastSuccess"_s,
             t.health.lastSuccess.isEmpty() ? QJsonValue() : QJsonValue(t.health.lastSuccess)}};
        if (modern()) {
            h[u"lastFailureCause"_s] = t.health.lastFailureCause.isEmpty()
                                           ? QJsonValue()
                                           : QJsonValue(t.health.lastFailureCause);
            h[u"instanceId"_s] = t.instanceId;
        } else {
            h[u"taskId"_s] = t.id;
        }
        return h;
    }

    QJsonObject taskJson(const Task &t) const
    {
        QJsonObject o{{u"appId"_s, t.appId},
                      {u"host"_s, t.host},
                      {u"id"_s, t.id},
                      {u"ports"_s, intArray(t.ports)},
                      {u"servicePorts"_s, intArray(t.servicePorts)},
                      {u"stagedAt"_s, t.stagedAt},
                      {u"version"_s, t.version}};
        o[u"startedAt"_s] = t.startedAt.isEmpty() ? QJsonValue() : QJsonValue(t.startedAt);
        if (t.healthChecks > 0) {
            QJsonArray results;
            // Marathon shows a result once a check ran.
            if (t.state == u"TASK_RUNNING"_s && (t.health.checked || !options.runner)) {
                for (int i = 0; i < t.healthChecks; ++i)
                    results.append(healthResultJson(t));
            }
            o[u"healthCheckResults"_s] = results;
        }
        if (modern()) {
            o[u"state"_s] = t.state;
            o[u"slaveId"_s] = t.slaveId;
            o[u"ipAddresses"_s] =
                QJsonArray{QJsonObject{{u"ipAddress"_s, t.host}, {u"protocol"_s, u"IPv4"_s}}};
            o[u"localVolumes"_s] = QJsonArray();
            o[u"role"_s] = u"*"_s;
            if (t.startedAt.isEmpty())
                o.remove(u"startedAt"_s);
        }
        return o;
    }

    QList<const Deployment *> deploymentsFor(const QString &appId) const
    {
        QList<const Deployment *> out;
        for (const Deployment &d : deployments) {
            if (d.appId == appId)
                out.append(&d);
        }
        return out;
    }

    bool taskHealthy(const Task &t) const
    {
        return t.state == u"TASK_RUNNING"_s && (t.healthChecks == 0 || t.health.alive);
    }

    // The app as GET /v2/apps shows it, with the embedded parts asked for.
    QJsonObject appInfo(const App &app, const QSet<QString> &embed) const
    {
        QJsonObject o = app.def;
        int staged = 0, running = 0, healthy = 0, unhealthy = 0;
        for (const Task &t : app.tasks) {
            if (t.state == u"TASK_STAGING"_s)
                ++staged;
            else if (t.state == u"TASK_RUNNING"_s)
                ++running;
            if (t.healthChecks > 0 && t.state == u"TASK_RUNNING"_s && t.health.alive)
                ++healthy;
            if (t.healthChecks > 0 && t.state == u"TASK_RUNNING"_s && t.health.checked &&
                !t.health.alive)
                ++unhealthy;
        }
        if (embed.contains(u"counts"_s)) {
            o[u"tasksStaged"_s] = staged;
            o[u"tasksRunning"_s] = running;
            o[u"tasksHealthy"_s] = healthy;
            o[u"tasksUnhealthy"_s] = unhealthy;
        }
        if (embed.contains(u"deployments"_s)) {
            QJsonArray ids;
            for (const Deployment *d : deploymentsFor(app.def.value(u"id"_s).toString()))
                ids.append(QJsonObject{{u"id"_s, d->id}});
            o[u"deployments"_s] = ids;
        }
        if (embed.contains(u"tasks"_s)) {
            QJsonArray tasks;
            for (const Task &t : app.tasks)
                tasks.append(taskJson(t));
            o[u"tasks"_s] = tasks;
        }
        if (embed.contains(u"lastTaskFailure"_s) && !app.lastTaskFailure.isEmpty())
            o[u"lastTaskFailure"_s] = app.lastTaskFailure;
        if (embed.contains(u"readiness"_s))
            o[u"readinessCheckResults"_s] = QJsonArray();
        return o;
    }

    // "app.tasks" / "apps.tasks" ... to the set of parts; defaults as Marathon applies them.
    QSet<QString> resolveEmbed(const HttpRequest &r, bool single) const
    {
        QSet<QString> out{u"counts"_s, u"deployments"_s};
        const QStringList values = r.queryValues(u"embed"_s);
        if (single && values.isEmpty())
            out.insert(u"tasks"_s); // a single app comes with its tasks unless embeds are given
        for (const QString &v : values) {
            const QString part = v.section(u'.', 1);
            if (part == u"failures"_s) {
                out.insert(u"lastTaskFailure"_s);
                out.insert(u"tasks"_s);
            } else if (part == u"count"_s) {
                out.insert(u"counts"_s);
            } else if (!part.isEmpty()) {
                out.insert(part);
            }
        }
        return out;
    }

    QJsonObject deploymentJson(const Deployment &d) const
    {
        QJsonArray steps;
        for (const QString &a : d.actions) {
            const QJsonObject action{{u"action"_s, a}, {u"app"_s, d.appId}};
            if (modern())
                steps.append(QJsonObject{{u"actions"_s, QJsonArray{action}}});
            else
                steps.append(QJsonArray{action});
        }
        QJsonArray current;
        if (!d.actions.isEmpty()) {
            QJsonObject action{{u"action"_s, d.actions.value(d.currentStep - 1)},
                               {u"app"_s, d.appId}};
            if (modern())
                action[u"readinessCheckResults"_s] = QJsonArray();
            current.append(action);
        }
        QJsonObject o{{u"id"_s, d.id},
                      {u"version"_s, d.version},
                      {u"affectedApps"_s, QJsonArray{d.appId}},
                      {u"steps"_s, steps},
                      {u"currentActions"_s, current},
                      {u"currentStep"_s, d.actions.isEmpty() ? 0 : d.currentStep},
                      {u"totalSteps"_s, int(d.actions.size())}};
        if (modern())
            o[u"affectedPods"_s] = QJsonArray();
        return o;
    }

    // The plan as events carry it: {id, steps:[{actions:[{action, app}]}], version}.
    QJsonObject planJson(const Deployment &d) const
    {
        QJsonArray steps;
        for (const QString &a : d.actions) {
            steps.append(QJsonObject{
                {u"actions"_s, QJsonArray{QJsonObject{{u"action"_s, a}, {u"app"_s, d.appId}}}}});
        }
        return QJsonObject{{u"id"_s, d.id}, {u"steps"_s, steps}, {u"version"_s, d.version}};
    }

    QJsonObject currentStepJson(const Deployment &d) const
    {
        QJsonArray actions;
        if (!d.actions.isEmpty()) {
            actions.append(QJsonObject{{u"action"_s, d.actions.value(d.currentStep - 1)},
                                       {u"app"_s, d.appId}});
        }
        return QJsonObject{{u"actions"_s, actions}};
    }

    // ---- events
    // ----------------------------------------------------------------------------------

    void publish(const QString &type, QJsonObject event)
    {
        event[u"eventType"_s] = type;
        if (!event.contains(u"timestamp"_s))
            event[u"timestamp"_s] = nowIso();
        emit q->eventPublished(type, event);
        if (!modern())
            return;
        const QByteArray frame = "event: " + type.toUtf8() +
                                 "\ndata: " + QJsonDocument(event).toJson(QJsonDocument::Compact) +
                                 "\n\n";
        for (const Subscriber &s : std::as_const(subscribers)) {
            if (!s.stream || !s.stream->isOpen())
                continue;
            if (!s.eventTypes.isEmpty() && !s.eventTypes.contains(type))
                continue;
            s.stream->write(frame);
        }
    }

    void publishStatus(const Task &t, const QString &status, const QString &msg = {})
    {
        publish(u"status_update_event"_s,
                QJsonObject{{u"slaveId"_s, t.slaveId},
                            {u"taskId"_s, t.id},
                            {u"taskStatus"_s, status},
                            {u"message"_s, msg},
                            {u"appId"_s, t.appId},
                            {u"host"_s, t.host},
                            {u"ipAddresses"_s, QJsonArray{QJsonObject{{u"ipAddress"_s, t.host},
                                                                      {u"protocol"_s, u"IPv4"_s}}}},
                            {u"ports"_s, intArray(t.ports)},
                            {u"version"_s, t.version}});
    }

    // ---- deployments
    // -----------------------------------------------------------------------------

    Deployment *findDeployment(const QString &id)
    {
        for (Deployment &d : deployments) {
            if (d.id == id)
                return &d;
        }
        return nullptr;
    }

    // A change to an app with a deployment in progress: 409 unless forced, in which case the
    // running deployments are cancelled first, as Marathon does. Empty when the change may go on.
    std::optional<HttpResponse> takeLock(const QString &appId, bool force, const QString &why)
    {
        if (deploymentsFor(appId).isEmpty())
            return std::nullopt;
        if (!force)
            return lockedResponse(appId);
        cancelDeploymentsOf(appId, why);
        return std::nullopt;
    }

    HttpResponse lockedResponse(const QString &appId) const
    {
        QJsonArray ids;
        QString first;
        for (const Deployment *d : deploymentsFor(appId)) {
            ids.append(QJsonObject{{u"id"_s, d->id}});
            if (first.isEmpty())
                first = d->id;
        }
        return jsonReply(
            409, QJsonObject{{u"message"_s, u"App is locked by one or more deployments. Override "
                                            u"with the option '?force=true'. View details at "
                                            u"'/v2/deployments/%1'."_s.arg(first)},
                             {u"deployments"_s, ids}});
    }

    // Cancels the app's running deployments (force=true), without rollback.
    void cancelDeploymentsOf(const QString &appId, const QString &reason)
    {
        for (qsizetype i = deployments.size() - 1; i >= 0; --i) {
            if (deployments[i].appId != appId)
                continue;
            const Deployment d = deployments.takeAt(i);
            publish(u"deployment_failed"_s,
                    QJsonObject{{u"id"_s, d.id}, {u"plan"_s, planJson(d)}, {u"reason"_s, reason}});
        }
    }

    QString startDeployment(const QString &appId, const QStringList &actions,
                            const QJsonObject &original, bool stop, const QString &version)
    {
        Deployment d;
        d.id = uuid();
        d.version = version;
        d.appId = appId;
        d.actions = actions;
        d.original = original;
        d.stop = stop;
        deployments.append(d);
        qCDebug(lcSandbox) << "deployment" << d.id << actions << appId;
        publish(u"deployment_info"_s,
                QJsonObject{{u"plan"_s, planJson(d)}, {u"currentStep"_s, currentStepJson(d)}});
        // Every step but the last is done at once (starting an app, resolving artifacts).
        Deployment *live = findDeployment(d.id);
        while (live && live->currentStep < live->actions.size()) {
            publish(u"deployment_step_success"_s,
                    QJsonObject{{u"plan"_s, planJson(*live)},
                                {u"currentStep"_s, currentStepJson(*live)}});
            ++live->currentStep;
            publish(u"deployment_info"_s, QJsonObject{{u"plan"_s, planJson(*live)},
                                                      {u"currentStep"_s, currentStepJson(*live)}});
        }
        QTimer::singleShot(0, q, [this] { checkDeployments(); });
        return d.id;
    }

    bool deploymentDone(const Deployment &d) const
    {
        // The app left the list at the DELETE and its tasks were killed: the stop is done
        // (deploymentStepMs later), also when the same id was created again meanwhile — else
        // that new app would wait forever behind a stop deployment that never ends.
        if (d.stop)
            return true;
        const auto it = apps.constFind(d.appId);
        if (it == apps.constEnd())
            return true;
        const App &app = *it;
        const int instances = app.def.value(u"instances"_s).toInt();
        int current = 0;
        for (const Task &t : app.tasks) {
            if (t.generation != app.generation)
                return false; // old tasks still to replace
            if (!taskHealthy(t))
                return false;
            ++current;
        }
        return current == instances;
    }

    void checkDeployments()
    {
        for (Deployment &d : deployments) {
            if (d.completing || !deploymentDone(d))
                continue;
            d.completing = true;
            const QString id = d.id;
            QTimer::singleShot(options.deploymentStepMs, q, [this, id] {
                Deployment *live = findDeployment(id);
                if (!live)
                    return;
                live->completing = false;
                if (!deploymentDone(*live))
                    return; // something changed meanwhile; checked again on the next change
                const Deployment done = *live;
                deployments.removeIf([&id](const Deployment &x) { return x.id == id; });
                if (!done.actions.isEmpty()) {
                    publish(u"deployment_step_success"_s,
                            QJsonObject{{u"plan"_s, planJson(done)},
                                        {u"currentStep"_s, currentStepJson(done)}});
                }
                publish(u"deployment_success"_s,
                        QJsonObject{{u"id"_s, done.id}, {u"plan"_s, planJson(done)}});
                qCDebug(lcSandbox) << "deployment done" << done.id;
            });
        }
    }

    // ---- tasks
    // -----------------------------------------------------------------------------------

    // What one instance asks of an agent, and for each of the task's host ports either the fixed
    // number asked for or 0 (any free port of the agent's range).
    TaskRequest requestFor(const App &app, QList<int> *portSlots) const
    {
        TaskRequest r;
        r.appId = app.def.value(u"id"_s).toString();
        r.cpus = app.def.value(u"cpus"_s).toDouble(1);
        r.mem = app.def.value(u"mem"_s).toDouble(128);
        r.disk = app.def.value(u"disk"_s).toDouble(0);
        const QJsonArray constraints = app.def.value(u"constraints"_s).toArray();
        for (const QJsonValue &c : constraints) {
            QStringList parts;
            const QJsonArray items = c.toArray();
            for (const QJsonValue &v : items)
                parts.append(v.isDouble() ? QString::number(v.toDouble()) : v.toString());
            r.constraints.append(parts);
        }
        const QJsonObject container = app.def.value(u"container"_s).toObject();
        QJsonArray mappings = container.value(u"portMappings"_s).toArray();
        if (mappings.isEmpty())
            mappings = container.value(u"docker"_s).toObject().value(u"portMappings"_s).toArray();
        const bool requirePorts = app.def.value(u"requirePorts"_s).toBool();
        const QList<int> service = servicePortsOf(app.def);
        for (qsizetype i = 0; i < service.size(); ++i) {
            if (!mappings.isEmpty()) {
                const QJsonObject m = mappings.at(i).toObject();
                if (!m.contains(u"hostPort"_s) && isContainerNetworked(app.def) &&
                    networkMode(app.def) == u"container"_s)
                    continue; // a user network without a host port: nothing on the agent
                portSlots->append(std::max(0, m.value(u"hostPort"_s).toInt()));
            } else {
                portSlots->append(requirePorts && service.at(i) > 0 ? service.at(i) : 0);
            }
        }
        for (int p : std::as_const(*portSlots)) {
            if (p > 0)
                r.fixedPorts.append(p);
            else
                ++r.anyPorts;
        }
        return r;
    }

    QString networkMode(const QJsonObject &def) const
    {
        if (def.contains(u"networks"_s))
            return def.value(u"networks"_s)
                .toArray()
                .first()
                .toObject()
                .value(u"mode"_s)
                .toString();
        const QString network = def.value(u"container"_s)
                                    .toObject()
                                    .value(u"docker"_s)
                                    .toObject()
                                    .value(u"network"_s)
                                    .toString();
        return network == u"USER"_s     ? u"container"_s
               : network == u"BRIDGE"_s ? u"container/bridge"_s
                                        : u"host"_s;
    }

    // Offers every agent for one instance, as Mesos's offers would come in; false (and the app
    // stays queued) when none fits.
    bool launchTask(App &app)
    {
        const QString appId = app.def.value(u"id"_s).toString();
        QList<int> portSlots;
        const TaskRequest request = requestFor(app, &portSlots);
        QList<Agent> &agents = cluster->agents();
        const int agentCount = int(agents.size());
        int chosen = -1;
        const QString now = nowIso();
        for (int i = 0; i < agentCount; ++i) {
            const int index = (agentCursor + i) % agentCount;
            const Rejection why = cluster->check(request, index);
            app.offers.lastByAgent.insert(agents.at(index).id, why);
            ++app.offers.processed;
            for (Rejection step : rejectionFunnel()) {
                ++app.offers.processedInAttempt[step];
                if (step == why) {
                    ++app.offers.declinedInAttempt[step];
                    break;
                }
            }
            if (why == Rejection::None) {
                chosen = index;
                app.offers.lastUsedAt = now;
                break;
            }
            ++app.offers.unused;
            app.offers.lastUnusedAt = now;
        }
        if (chosen < 0) {
            qCDebug(lcSandbox) << "no agent fits a task of" << appId;
            return false;
        }
        agentCursor = chosen + 1;
        const Agent &agent = agents.at(chosen);

        Task t;
        const QString base = appId.mid(1).replace(u'/', u'_');
        const QString u = uuid();
        if (modern()) {
            t.instanceId = base + u".instance-"_s + u;
            t.id = t.instanceId + u"._app.1"_s;
        } else {
            t.id = base + u'.' + u;
        }
        t.appId = appId;
        t.host = agent.hostname;
        t.slaveId = agent.id;
        t.state = u"TASK_STAGING"_s;
        t.version = app.def.value(u"version"_s).toString();
        t.generation = app.generation;
        t.stagedAt = nowIso();
        t.sequence = ++taskSequence;
        t.healthChecks = int(app.def.value(u"healthChecks"_s).toArray().size());
        t.servicePorts = servicePortsOf(app.def);
        // The fixed ports as asked, the others from the agent's range (as Mesos offers them).
        const QList<int> chosenPorts = cluster->choosePorts(request, chosen);
        qsizetype nextAny = request.fixedPorts.size();
        for (int slot : std::as_const(portSlots))
            t.ports.append(slot > 0 ? slot : chosenPorts.value(nextAny++));
        app.tasks.append(t);

        AgentTask held;
        held.id = t.id;
        QStringList segments = appId.mid(1).split(u'/');
        std::reverse(segments.begin(), segments.end());
        held.name = segments.join(u'.'); // Marathon names Mesos tasks as its ids read as hosts
        held.frameworkId = frameworkId();
        held.appId = appId;
        held.state = t.state;
        held.cpus = request.cpus;
        held.mem = request.mem;
        held.disk = request.disk;
        held.ports = t.ports;
        cluster->addTask(chosen, held);

        qCDebug(lcSandbox) << "task staged" << t.id << "on" << t.host;
        publishStatus(t, t.state);

        const QString taskId = t.id;
        if (options.runner) {
            QString error;
            if (!options.runner->launch(launchFor(app, t), &error)) {
                qCWarning(lcSandbox) << error;
                QTimer::singleShot(
                    0, q, [this, appId, taskId, error] { taskFailed(appId, taskId, error); });
            }
            return true;
        }
        QTimer::singleShot(options.stagingMs, q,
                           [this, appId, taskId] { taskStarted(appId, taskId); });
        return true;
    }

    // What the agent is asked to run for task T of APP.
    TaskLaunch launchFor(const App &app, const Task &t) const
    {
        const QJsonObject container = app.def.value(u"container"_s).toObject();
        TaskLaunch l;
        l.taskId = t.id;
        l.appId = t.appId;
        l.version = t.version;
        l.host = t.host;
        l.image = container.value(u"docker"_s).toObject().value(u"image"_s).toString();
        l.cmd = app.def.value(u"cmd"_s).toString();
        l.ports = t.ports;
        l.env = app.def.value(u"env"_s).toObject();
        l.healthChecks = app.def.value(u"healthChecks"_s).toArray();
        return l;
    }

    App *appOfTask(const QString &taskId, Task **task)
    {
        for (App &app : apps) {
            if (Task *t = findTask(app, taskId)) {
                *task = t;
                return &app;
            }
        }
        return nullptr;
    }

    // The runner's news about a task's process.
    void runnerRunning(const QString &taskId)
    {
        Task *t = nullptr;
        if (App *app = appOfTask(taskId, &t))
            taskStarted(app->def.value(u"id"_s).toString(), taskId);
    }

    void runnerExited(const QString &taskId, const QString &message)
    {
        Task *t = nullptr;
        if (App *app = appOfTask(taskId, &t))
            taskFailed(app->def.value(u"id"_s).toString(), taskId, message);
    }

    void runnerHealth(const QString &taskId, bool alive, int failures, const QString &cause)
    {
        Task *t = nullptr;
        App *app = appOfTask(taskId, &t);
        if (!app || t->state != u"TASK_RUNNING"_s)
            return;
        const QString now = nowIso();
        const bool changed = !t->health.checked || t->health.alive != alive;
        t->health.checked = true;
        t->health.alive = alive;
        t->health.consecutiveFailures = failures;
        if (alive) {
            if (t->health.firstSuccess.isEmpty())
                t->health.firstSuccess = now;
            t->health.lastSuccess = now;
        } else {
            t->health.lastFailure = now;
            t->health.lastFailureCause = cause;
        }
        if (changed) {
            publish(u"health_status_changed_event"_s,
                    QJsonObject{{u"appId"_s, t->appId},
                                {u"instanceId"_s, t->instanceId.isEmpty() ? t->id : t->instanceId},
                                {u"version"_s, t->version},
                                {u"alive"_s, alive}});
        }
        reconcile(t->appId);
    }

    // Too many failed health checks: Marathon kills the task and launches a replacement.
    void runnerUnhealthy(const QString &taskId, const QString &cause)
    {
        Task *t = nullptr;
        App *app = appOfTask(taskId, &t);
        if (!app)
            return;
        QJsonObject e{{u"appId"_s, t->appId}, {u"taskId"_s, t->id}, {u"version"_s, t->version},
                      {u"reason"_s, cause},   {u"host"_s, t->host}, {u"slaveId"_s, t->slaveId}};
        if (modern())
            e[u"instanceId"_s] = t->instanceId;
        const QString appId = t->appId;
        killTask(*app, taskId);
        publish(modern() ? u"unhealthy_instance_kill_event"_s : u"unhealthy_task_kill_event"_s, e);
        reconcile(appId);
    }

    // Resources came free or time passed: waiting launches get new offers.
    void offerAgain()
    {
        const QStringList ids = apps.keys();
        for (const QString &id : ids) {
            const auto it = apps.constFind(id);
            if (it != apps.constEnd() && instancesToLaunch(*it) > 0)
                reconcile(id);
        }
    }

    void updateOfferTimer()
    {
        bool waiting = false;
        for (const App &app : std::as_const(apps))
            waiting = waiting || instancesToLaunch(app) > 0;
        if (waiting && !offerTimer.isActive() && options.offerIntervalMs > 0)
            offerTimer.start(options.offerIntervalMs);
        else if (!waiting)
            offerTimer.stop();
    }

    Task *findTask(App &app, const QString &taskId)
    {
        for (Task &t : app.tasks) {
            if (t.id == taskId)
                return &t;
        }
        return nullptr;
    }

    void taskStarted(const QString &appId, const QString &taskId)
    {
        auto it = apps.find(appId);
        if (it == apps.end())
            return;
        App &app = *it;
        Task *t = findTask(app, taskId);
        if (!t || t->state != u"TASK_STAGING"_s)
            return;
        const QString failMessage = failing.value(appId);
        if (!failMessage.isEmpty()) {
            if (options.runner)
                options.runner->kill(taskId);
            taskFailed(appId, taskId, failMessage);
            return;
        }
        t->state = u"TASK_RUNNING"_s;
        t->startedAt = nowIso();
        cluster->setTaskState(taskId, t->state);
        app.consecutiveFailures = 0;
        publishStatus(*t, t->state);
        if (t->healthChecks > 0 && !options.runner) {
            QTimer::singleShot(options.healthyAfterMs, q,
                               [this, appId, taskId] { taskHealthy(appId, taskId); });
        }
        reconcile(appId);
    }

    // The task ended on its own (or never started): TASK_FAILED, and a relaunch after backoff.
    void taskFailed(const QString &appId, const QString &taskId, const QString &failMessage)
    {
        auto it = apps.find(appId);
        if (it == apps.end())
            return;
        App &app = *it;
        Task *t = findTask(app, taskId);
        if (!t)
            return;
        {
            const Task failed = *t;
            app.tasks.removeIf([&taskId](const Task &x) { return x.id == taskId; });
            cluster->removeTask(failed.id, u"TASK_FAILED"_s);
            app.lastTaskFailure =
                QJsonObject{{u"appId"_s, appId},           {u"host"_s, failed.host},
                            {u"message"_s, failMessage},   {u"state"_s, u"TASK_FAILED"_s},
                            {u"taskId"_s, failed.id},      {u"timestamp"_s, nowIso()},
                            {u"version"_s, failed.version}};
            if (modern())
                app.lastTaskFailure[u"slaveId"_s] = failed.slaveId;
            publishStatus(failed, u"TASK_FAILED"_s, failMessage);
            // Backoff: backoffSeconds * backoffFactor^(n-1), at most maxLaunchDelaySeconds.
            ++app.consecutiveFailures;
            const double backoff = app.def.value(u"backoffSeconds"_s).toDouble(1);
            const double factor = app.def.value(u"backoffFactor"_s).toDouble(1.15);
            const double maxDelay = app.def.value(u"maxLaunchDelaySeconds"_s).toDouble(3600);
            const double seconds =
                std::min(maxDelay, backoff * std::pow(factor, app.consecutiveFailures - 1));
            app.delayUntil = QDateTime::currentDateTimeUtc().addMSecs(qint64(seconds * 1000));
            QTimer::singleShot(qint64(seconds * 1000) + 1, q, [this, appId] { reconcile(appId); });
            // Freed resources: other waiting apps get offers at once.
            QTimer::singleShot(0, q, [this] { offerAgain(); });
            reconcile(appId);
        }
    }

    void taskHealthy(const QString &appId, const QString &taskId)
    {
        auto it = apps.find(appId);
        if (it == apps.end())
            return;
        Task *t = findTask(*it, taskId);
        if (!t || t->state != u"TASK_RUNNING"_s || t->health.alive)
            return;
        t->health.alive = true;
        t->health.checked = true;
        t->health.firstSuccess = t->health.lastSuccess = nowIso();
        QJsonObject e{{u"appId"_s, appId},
                      {u"instanceId"_s, t->instanceId.isEmpty() ? t->id : t->instanceId},
                      {u"version"_s, t->version},
                      {u"alive"_s, true}};
        publish(u"health_status_changed_event"_s, e);
        reconcile(appId);
    }

    // Kills a task at once (Mesos would go through TASK_KILLING).
    void killTask(App &app, const QString &taskId)
    {
        Task *t = findTask(app, taskId);
        if (!t)
            return;
        const Task killed = *t;
        if (options.runner)
            options.runner->kill(taskId); // SIGTERM, SIGKILL after the grace period
        app.tasks.removeIf([&taskId](const Task &x) { return x.id == taskId; });
        cluster->removeTask(taskId, u"TASK_KILLED"_s);
        // Freed resources: what waits gets offers at once, as Mesos re-offers them.
        QTimer::singleShot(0, q, [this] { offerAgain(); });
        if (modern())
            publishStatus(killed, u"TASK_KILLING"_s);
        publishStatus(killed, u"TASK_KILLED"_s);
    }

    int instancesToLaunch(const App &app) const
    {
        int current = 0;
        for (const Task &t : app.tasks)
            current += t.generation == app.generation ? 1 : 0;
        return std::max(0, app.def.value(u"instances"_s).toInt() - current);
    }

    // Drives an app towards its definition: launch what is missing (unless backed off), kill the
    // youngest surplus, replace old tasks once the new ones are up.
    void reconcile(const QString &appId)
    {
        auto it = apps.find(appId);
        if (it == apps.end()) {
            updateOfferTimer();
            checkDeployments();
            return;
        }
        App &app = *it;
        const int target = app.def.value(u"instances"_s).toInt();

        QList<Task> current, old;
        for (const Task &t : std::as_const(app.tasks))
            (t.generation == app.generation ? current : old).append(t);

        if (current.size() > target) {
            std::sort(current.begin(), current.end(),
                      [](const Task &a, const Task &b) { return a.sequence > b.sequence; });
            for (qsizetype i = 0; i < current.size() - target; ++i)
                killTask(app, current[i].id);
        }

        // A rolling upgrade (upgradeStrategy): old tasks count as healthy and go as new ones
        // become healthy, never leaving fewer than minimumHealthCapacity * instances healthy,
        // and at most (1 + maximumOverCapacity) * instances tasks run at once.
        int room = std::numeric_limits<int>::max();
        if (!old.isEmpty()) {
            const QJsonObject strategy = app.def.value(u"upgradeStrategy"_s).toObject();
            const double minHealth = strategy.value(u"minimumHealthCapacity"_s).toDouble(1);
            const double maxOver = strategy.value(u"maximumOverCapacity"_s).toDouble(1);
            const int minHealthy = int(std::ceil(target * minHealth - 1e-9));
            const int maxCapacity = int(std::floor(target * (1 + maxOver) + 1e-9));
            int ready = 0, fresh = 0;
            for (const Task &t : std::as_const(app.tasks)) {
                if (t.generation == app.generation) {
                    ++fresh;
                    ready += taskHealthy(t) ? 1 : 0;
                }
            }
            qsizetype keepOld = std::clamp<qsizetype>(minHealthy - ready, 0, old.size());
            // Full and nothing new on its way: one old task makes room, as Marathon does.
            if (keepOld == old.size() && keepOld > 0 && app.tasks.size() >= maxCapacity &&
                fresh == ready)
                --keepOld;
            std::sort(old.begin(), old.end(),
                      [](const Task &a, const Task &b) { return a.sequence < b.sequence; });
            while (old.size() > keepOld)
                killTask(app, old.takeFirst().id);
            room = std::max(0, maxCapacity - int(app.tasks.size()));
        }

        const bool delayed =
            app.delayUntil.isValid() && app.delayUntil > QDateTime::currentDateTimeUtc();
        const int missing = std::min(instancesToLaunch(app), room);
        if (missing > 0) {
            if (app.queuedSince.isEmpty())
                app.queuedSince = nowIso();
            if (!delayed) {
                for (int i = 0; i < missing; ++i) {
                    if (!launchTask(app))
                        break;
                }
            }
        }
        if (instancesToLaunch(app) == 0) {
            app.queuedSince.clear();
            app.offers = OfferStats(); // the next launch attempt starts its own summary
        }
        updateOfferTimer();
        checkDeployments();
    }

    // ---- app changes
    // -----------------------------------------------------------------------------

    QString storeVersion(App &app, QJsonObject def, bool configChange, const QJsonObject &previous)
    {
        const QString version = newVersion();
        def[u"version"_s] = version;
        if (modern()) {
            QJsonObject vi = previous.value(u"versionInfo"_s).toObject();
            vi[u"lastScalingAt"_s] = version;
            if (configChange || !vi.contains(u"lastConfigChangeAt"_s))
                vi[u"lastConfigChangeAt"_s] = version;
            def[u"versionInfo"_s] = vi;
        }
        app.def = def;
        app.versions.append(def);
        if (configChange)
            app.generation = version;
        return version;
    }

    static bool sameExceptScale(QJsonObject a, QJsonObject b)
    {
        for (const QString &k : {u"instances"_s, u"version"_s, u"versionInfo"_s}) {
            a.remove(k);
            b.remove(k);
        }
        return a == b;
    }

    HttpResponse invalid(const QList<marathon::ValidationIssue> &issues) const
    {
        if (modern()) {
            QMap<QString, QJsonArray> byPath;
            for (const auto &i : issues)
                byPath[i.path].append(i.message);
            QJsonArray details;
            for (auto it = byPath.cbegin(); it != byPath.cend(); ++it)
                details.append(QJsonObject{{u"path"_s, it.key()}, {u"errors"_s, it.value()}});
            return jsonReply(422, QJsonObject{{u"message"_s, u"Object is not valid"_s},
                                              {u"details"_s, details}});
        }
        // Marathon before 0.10 validated with Java bean validation.
        QJsonArray errors;
        for (const auto &i : issues) {
            QString attribute = i.path.mid(1);
            attribute.replace(u'/', u'.');
            errors.append(QJsonObject{{u"attribute"_s, attribute}, {u"error"_s, i.message}});
        }
        return jsonReply(
            422, QJsonObject{{u"message"_s, u"Bean is not valid"_s}, {u"errors"_s, errors}});
    }

    // Parses a JSON object body; on failure the 400 reply.
    bool parseBody(const HttpRequest &r, QJsonObject *out, HttpResponse *error) const
    {
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(r.body, &pe);
        if (pe.error != QJsonParseError::NoError) {
            *error = jsonReply(
                400,
                QJsonObject{{u"message"_s, u"Invalid JSON"_s},
                            {u"details"_s,
                             QJsonArray{QJsonObject{
                                 {u"path"_s, u"/"_s},
                                 {u"errors"_s, QJsonArray{u"%1 at offset %2"_s.arg(pe.errorString())
                                                              .arg(pe.offset)}}}}}});
            return false;
        }
        if (!doc.isObject()) {
            *error = jsonReply(
                400, QJsonObject{{u"message"_s, u"Invalid JSON"_s},
                                 {u"details"_s,
                                  QJsonArray{QJsonObject{
                                      {u"path"_s, u"/"_s},
                                      {u"errors"_s, QJsonArray{u"error.expected.jsobject"_s}}}}}});
            return false;
        }
        *out = doc.object();
        return true;
    }

    bool checkApp(const QJsonObject &app, HttpResponse *error) const
    {
        const QJsonArray types = typeErrors(app);
        if (!types.isEmpty()) {
            *error = jsonReply(
                400, QJsonObject{{u"message"_s, u"Invalid JSON"_s}, {u"details"_s, types}});
            return false;
        }
        const QList<marathon::ValidationIssue> issues = marathon::validateApp(app);
        if (!issues.isEmpty()) {
            *error = invalid(issues);
            return false;
        }
        return true;
    }

    HttpResponse deploymentResult(int status, const QString &deploymentId,
                                  const QString &version) const
    {
        HttpResponse r = jsonReply(
            status, QJsonObject{{u"deploymentId"_s, deploymentId}, {u"version"_s, version}});
        if (modern())
            r.setHeader("Marathon-Deployment-Id", deploymentId.toLatin1());
        return r;
    }

    QString appUrl(const QString &appId) const
    {
        return q->url().toString() + u"/v2/apps"_s + appId;
    }

    void apiPostEvent(const HttpRequest &r, const QJsonObject &def)
    {
        publish(u"api_post_event"_s, QJsonObject{{u"clientIp"_s, r.peerAddress.toString()},
                                                 {u"uri"_s, r.path},
                                                 {u"appDefinition"_s, def}});
    }

    // Creates an app (POST, or PUT of an unknown id). Returns the new deployment's id.
    QString createApp(const QJsonObject &input, QString *version)
    {
        App app;
        const QJsonObject def = canonical(input, {});
        const QString appId = def.value(u"id"_s).toString();
        *version = storeVersion(app, def, true, {});
        apps.insert(appId, app);
        const QString id = startDeployment(appId, {u"StartApplication"_s, u"ScaleApplication"_s},
                                           {}, false, *version);
        // Tasks come later, when Mesos offers fit: the creating call shows none yet.
        QTimer::singleShot(0, q, [this, appId] { reconcile(appId); });
        return id;
    }

    // Applies a new definition to an existing app. Returns the deployment id.
    QString updateApp(const QString &appId, const QJsonObject &input, QString *version)
    {
        App &app = apps[appId];
        const QJsonObject previous = app.def;
        QJsonObject def = canonical(input, previous);
        def[u"id"_s] = appId;
        QJsonObject oldComparable = previous;
        const bool scaleOnly = sameExceptScale(def, oldComparable);
        const bool unchanged =
            scaleOnly && def.value(u"instances"_s) == previous.value(u"instances"_s);
        releaseServicePorts(previous);
        for (int p : servicePortsOf(def))
            servicePorts.insert(p);
        *version = storeVersion(app, def, !scaleOnly, previous);
        QStringList actions;
        if (!unchanged)
            actions.append(scaleOnly ? u"ScaleApplication"_s : u"RestartApplication"_s);
        const QString id = startDeployment(appId, actions, previous, false, *version);
        reconcile(appId);
        return id;
    }

    QString restartApp(const QString &appId, QString *version)
    {
        App &app = apps[appId];
        const QJsonObject previous = app.def;
        *version = storeVersion(app, previous, false, previous);
        app.generation = *version; // every task is replaced, the config stays
        const QString id =
            startDeployment(appId, {u"RestartApplication"_s}, previous, false, *version);
        reconcile(appId);
        return id;
    }

    QString deleteApp(const QString &appId, QString *version)
    {
        App app = apps.take(appId);
        *version = newVersion();
        const QString id = startDeployment(appId, {u"StopApplication"_s}, app.def, true, *version);
        const QList<Task> tasks = app.tasks;
        for (const Task &t : tasks)
            killTask(app, t.id);
        releaseServicePorts(app.def);
        publish(u"app_terminated_event"_s, QJsonObject{{u"appId"_s, appId}});
        checkDeployments();
        return id;
    }

    QString scaleBy(const QString &appId, int delta, QString *version)
    {
        App &app = apps[appId];
        QJsonObject def = app.def;
        def[u"instances"_s] = std::max(0, def.value(u"instances"_s).toInt() + delta);
        const QJsonObject previous = app.def;
        *version = storeVersion(app, def, false, previous);
        const QString id =
            startDeployment(appId, {u"ScaleApplication"_s}, previous, false, *version);
        reconcile(appId);
        return id;
    }

    // ---- routes
    // ----------------------------------------------------------------------------------

    void setupRoutes();
    bool authorize(const HttpRequest &r, const HttpReply &reply);
    bool redirectToLeader(const HttpRequest &r, const HttpReply &reply);

    HttpResponse getApps(const HttpRequest &r);
    HttpResponse postApp(const HttpRequest &r);
    HttpResponse getApp(const HttpRequest &r);
    HttpResponse putApp(const HttpRequest &r);
    HttpResponse deleteAppRoute(const HttpRequest &r);
    HttpResponse restartRoute(const HttpRequest &r);
    HttpResponse appTasks(const HttpRequest &r);
    HttpResponse killAppTasks(const HttpRequest &r);
    HttpResponse killAppTask(const HttpRequest &r);
    HttpResponse versions(const HttpRequest &r);
    HttpResponse version(const HttpRequest &r);
    HttpResponse allTasks(const HttpRequest &r);
    HttpResponse deleteTasks(const HttpRequest &r);
    HttpResponse getDeployments(const HttpRequest &r);
    HttpResponse deleteDeployment(const HttpRequest &r);
    HttpResponse queue(const HttpRequest &r);
    HttpResponse resetDelay(const HttpRequest &r);
    HttpResponse info(const HttpRequest &r);
    void events(const HttpRequest &r, const HttpReply &reply);
};

// =============================================================================================
// Routes

bool MarathonServer::Private::authorize(const HttpRequest &r, const HttpReply &reply)
{
    if (options.username.isEmpty() || r.path == u"/ping"_s)
        return false;
    const QByteArray header = r.header("Authorization");
    if (header.startsWith("Basic ")) {
        const QByteArray decoded = QByteArray::fromBase64(header.mid(6).trimmed());
        const qsizetype colon = decoded.indexOf(':');
        if (colon >= 0 && QString::fromUtf8(decoded.left(colon)) == options.username &&
            QString::fromUtf8(decoded.mid(colon + 1)) == options.password)
            return false;
    }
    HttpResponse resp = jsonReply(401, message(u"Invalid username or password."_s));
    resp.setHeader("WWW-Authenticate", "Basic realm=\"Mesosphere\"");
    reply.send(resp);
    return true;
}

bool MarathonServer::Private::redirectToLeader(const HttpRequest &r, const HttpReply &reply)
{
    if (!leaderUrl.isValid() || !r.path.startsWith(u"/v2/"_s))
        return false;
    QByteArray location =
        leaderUrl.toString(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::StripTrailingSlash)
            .toUtf8();
    location +=
        r.target.startsWith('/')
            ? r.target
            : QUrl::fromEncoded(r.target).toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority);
    HttpResponse resp = jsonReply(307, message(u"Redirecting to the leader"_s));
    resp.setHeader("Location", location);
    resp.setHeader("X-Marathon-Leader", leaderUrl.toString(QUrl::StripTrailingSlash).toUtf8());
    reply.send(resp);
    return true;
}

void MarathonServer::Private::setupRoutes()
{
    http->addFilter(
        [this](const HttpRequest &r, const HttpReply &reply) { return authorize(r, reply); });
    http->addFilter([this](const HttpRequest &r, const HttpReply &reply) {
        return redirectToLeader(r, reply);
    });
    http->setErrorFormatter([](int status, const HttpRequest &) {
        // Marathon (Jersey) maps its own 404/405 to {"message": "HTTP 404 Not Found"}.
        return jsonReply(status, message(u"HTTP %1 %2"_s.arg(status).arg(
                                     QString::fromLatin1(HttpResponse::reasonPhrase(status)))));
    });

    using S = HttpServer::SimpleHandler;
    auto bind = [this](HttpResponse (Private::*fn)(const HttpRequest &)) {
        return S([this, fn](const HttpRequest &r) { return (this->*fn)(r); });
    };

    // /ping: "pong" (1.x); the 0.7 metrics servlet printed a line.
    http->route("GET", u"/ping"_s, S([this](const HttpRequest &) {
                    return HttpResponse::text(200, modern() ? "pong" : "pong\n");
                }));
    http->route("GET", u"/v2/info"_s, bind(&Private::info));
    // /v2/leader exists in both: Marathon added it with HA leader proxying (0.6), 0.7 documents it.
    http->route("GET", u"/v2/leader"_s, S([this](const HttpRequest &) {
                    return jsonReply(200, QJsonObject{{u"leader"_s, leaderHostPort()}});
                }));

    http->route("GET", u"/v2/apps"_s, bind(&Private::getApps));
    http->route("POST", u"/v2/apps"_s, bind(&Private::postApp));
    http->route("POST", u"/v2/apps/{id*}/restart"_s, bind(&Private::restartRoute));
    http->route("GET", u"/v2/apps/{id*}/tasks"_s, bind(&Private::appTasks));
    http->route("DELETE", u"/v2/apps/{id*}/tasks"_s, bind(&Private::killAppTasks));
    http->route("DELETE", u"/v2/apps/{id*}/tasks/{taskId}"_s, bind(&Private::killAppTask));
    http->route("GET", u"/v2/apps/{id*}/versions"_s, bind(&Private::versions));
    http->route("GET", u"/v2/apps/{id*}/versions/{version}"_s, bind(&Private::version));
    http->route("GET", u"/v2/apps/{id*}"_s, bind(&Private::getApp));
    http->route("PUT", u"/v2/apps/{id*}"_s, bind(&Private::putApp));
    http->route("DELETE", u"/v2/apps/{id*}"_s, bind(&Private::deleteAppRoute));

    http->route("GET", u"/v2/tasks"_s, bind(&Private::allTasks));
    http->route("POST", u"/v2/tasks/delete"_s, bind(&Private::deleteTasks));
    http->route("GET", u"/v2/deployments"_s, bind(&Private::getDeployments));
    http->route("DELETE", u"/v2/deployments/{id}"_s, bind(&Private::deleteDeployment));
    http->route("GET", u"/v2/queue"_s, bind(&Private::queue));
    http->route("DELETE", u"/v2/queue/{id*}/delay"_s, bind(&Private::resetDelay));
    // The event stream came with Marathon 0.9; 0.7 only had HTTP callback subscriptions.
    http->route("GET", u"/v2/events"_s,
                HttpServer::Handler(
                    [this](const HttpRequest &r, const HttpReply &reply) { events(r, reply); }));
}

HttpResponse MarathonServer::Private::info(const HttpRequest &)
{
    const quint16 port = leaderUrl.isValid() ? quint16(leaderUrl.port(8080)) : http->port();
    QJsonObject config{{u"checkpoint"_s, true},
                       {u"executor"_s, u"//cmd"_s},
                       {u"failover_timeout"_s, 604800},
                       {u"ha"_s, true},
                       {u"hostname"_s, http->address().toString()},
                       {u"local_port_max"_s, kServicePortMax},
                       {u"local_port_min"_s, kServicePortMin},
                       {u"master"_s, u"zk://127.0.0.1:2181/mesos"_s},
                       {u"mesos_role"_s, QJsonValue()},
                       {u"mesos_user"_s, u"root"_s},
                       {u"reconciliation_initial_delay"_s, 15000},
                       {u"reconciliation_interval"_s, 300000},
                       {u"task_launch_timeout"_s, 300000}};
    QJsonObject o{{u"name"_s, u"marathon"_s},
                  {u"version"_s, modern() ? u"1.10.26"_s : u"0.7.6"_s},
                  {u"leader"_s, leaderHostPort()},
                  {u"frameworkId"_s, frameworkId()},
                  {u"zookeeper_config"_s, QJsonObject{{u"zk"_s, u"zk://127.0.0.1:2181/marathon"_s},
                                                      {u"zk_timeout"_s, 10000},
                                                      {u"zk_session_timeout"_s, 10000},
                                                      {u"zk_max_versions"_s, 25}}}};
    QJsonObject httpConfig{{u"http_port"_s, port}, {u"https_port"_s, 8443}};
    if (modern()) {
        o[u"buildref"_s] = u"unknown"_s;
        o[u"elected"_s] = !leaderUrl.isValid();
        config[u"framework_name"_s] = u"marathon"_s;
        config[u"mesos_leader_ui_url"_s] = u"http://127.0.0.1:5050/"_s;
        config[u"webui_url"_s] = QJsonValue();
        config[u"features"_s] = QJsonArray();
        config[u"mesos_role"_s] = u"*"_s;
        config[u"task_launch_timeout"_s] = 300000;
    } else {
        o[u"event_subscriber"_s] = QJsonValue();
        httpConfig[u"assets_path"_s] = QJsonValue();
        config[u"task_launch_timeout"_s] = 60000;
    }
    o[u"marathon_config"_s] = config;
    o[u"http_config"_s] = httpConfig;
    return jsonReply(200, o);
}

HttpResponse MarathonServer::Private::getApps(const HttpRequest &r)
{
    const QSet<QString> embed = resolveEmbed(r, false);
    const QString idFilter = r.queryValue(u"id"_s);
    const QString cmdFilter = r.queryValue(u"cmd"_s);
    QJsonArray list;
    for (const App &app : std::as_const(apps)) {
        if (!idFilter.isEmpty() && !app.def.value(u"id"_s).toString().contains(idFilter))
            continue;
        if (!cmdFilter.isEmpty() && !app.def.value(u"cmd"_s).toString().contains(cmdFilter))
            continue;
        list.append(appInfo(app, embed));
    }
    return jsonReply(200, QJsonObject{{u"apps"_s, list}});
}

HttpResponse MarathonServer::Private::getApp(const HttpRequest &r)
{
    const QString appId = normalizeId(r.pathParam(u"id"_s));
    if (appId.endsWith(u"/*"_s)) {
        // "/v2/apps/group/*": every app below the group, under the key "*".
        const QString group = appId.chopped(1);
        QJsonArray list;
        const QSet<QString> embed = resolveEmbed(r, false);
        for (const App &app : std::as_const(apps)) {
            if (app.def.value(u"id"_s).toString().startsWith(group))
                list.append(appInfo(app, embed));
        }
        return jsonReply(200, QJsonObject{{u"*"_s, list}});
    }
    const auto it = apps.constFind(appId);
    if (it == apps.constEnd())
        return appNotFound(appId);
    return jsonReply(200, QJsonObject{{u"app"_s, appInfo(*it, resolveEmbed(r, true))}});
}

HttpResponse MarathonServer::Private::postApp(const HttpRequest &r)
{
    QJsonObject input;
    HttpResponse error;
    if (!parseBody(r, &input, &error) || !checkApp(input, &error))
        return error;
    const QString appId = normalizeId(input.value(u"id"_s).toString());
    if (apps.contains(appId))
        return jsonReply(409, message(u"An app with id [%1] already exists."_s.arg(appId)));
    QString version;
    const QString deploymentId = createApp(input, &version);
    const App &app = apps[appId];
    apiPostEvent(r, app.def);

    HttpResponse resp;
    if (modern()) {
        resp = jsonReply(201, appInfo(app, {u"counts"_s, u"deployments"_s, u"tasks"_s}));
        resp.setHeader("Marathon-Deployment-Id", deploymentId.toLatin1());
    } else {
        resp = jsonReply(201, app.def); // 0.7 answered with the stored definition only
    }
    resp.setHeader("Location", appUrl(appId).toUtf8());
    return resp;
}

HttpResponse MarathonServer::Private::putApp(const HttpRequest &r)
{
    const QString appId = normalizeId(r.pathParam(u"id"_s));
    QJsonObject body;
    HttpResponse error;
    if (!parseBody(r, &body, &error))
        return error;
    const bool exists = apps.contains(appId);
    const bool force = r.queryFlag(u"force"_s);

    // Rollback to a stored version: {"version": "..."}.
    if (exists && body.contains(u"version"_s) && body.size() <= 2 &&
        (body.size() == 1 || body.contains(u"id"_s))) {
        const QString wanted = body.value(u"version"_s).toString();
        const App &app = apps[appId];
        QJsonObject found;
        for (const QJsonObject &v : app.versions) {
            if (v.value(u"version"_s).toString() == wanted)
                found = v;
        }
        if (found.isEmpty()) {
            return jsonReply(
                404, message(u"App '%1' does not exist in version %2"_s.arg(appId, wanted)));
        }
        if (auto locked = takeLock(appId, force, u"Canceled by a forced update"_s))
            return *locked;
        QString version;
        const QString id = updateApp(appId, withoutReadOnly(found), &version);
        return deploymentResult(200, id, version);
    }

    if (!exists && !modern())
        return appNotFound(appId); // 0.7 did not create on PUT

    QJsonObject input;
    if (exists && r.queryValue(u"partialUpdate"_s) != u"false"_s) {
        input = withoutReadOnly(apps[appId].def);
        // A body in the other network form replaces the stored one instead of mixing with it.
        const QJsonObject docker =
            body.value(u"container"_s).toObject().value(u"docker"_s).toObject();
        const bool legacyForm = docker.contains(u"network"_s) ||
                                docker.contains(u"portMappings"_s) || body.contains(u"ports"_s);
        const bool modernForm = body.contains(u"networks"_s) ||
                                body.contains(u"portDefinitions"_s) ||
                                body.value(u"container"_s).toObject().contains(u"portMappings"_s);
        if (legacyForm) {
            input.remove(u"networks"_s);
            input.remove(u"portDefinitions"_s);
        }
        if (modernForm)
            input.remove(u"ports"_s);
        for (auto it = body.constBegin(); it != body.constEnd(); ++it)
            input[it.key()] = it.value();
    } else {
        input = body;
    }
    input[u"id"_s] = appId;
    if (!checkApp(input, &error))
        return error;

    if (auto locked = takeLock(appId, force, u"Canceled by a forced update"_s))
        return *locked;
    QString version;
    if (!exists) {
        const QString id = createApp(input, &version);
        apiPostEvent(r, apps[appId].def);
        HttpResponse resp = deploymentResult(201, id, version);
        resp.setHeader("Location", appUrl(appId).toUtf8());
        return resp;
    }
    const QString id = updateApp(appId, input, &version);
    apiPostEvent(r, apps[appId].def);
    return deploymentResult(200, id, version);
}

HttpResponse MarathonServer::Private::deleteAppRoute(const HttpRequest &r)
{
    const QString appId = normalizeId(r.pathParam(u"id"_s));
    if (!apps.contains(appId))
        return appNotFound(appId);
    if (auto locked = takeLock(appId, r.queryFlag(u"force"_s), u"Canceled by a forced delete"_s))
        return *locked;
    QString version;
    const QString id = deleteApp(appId, &version);
    return deploymentResult(200, id, version);
}

HttpResponse MarathonServer::Private::restartRoute(const HttpRequest &r)
{
    const QString appId = normalizeId(r.pathParam(u"id"_s));
    if (!apps.contains(appId))
        return appNotFound(appId);
    if (auto locked = takeLock(appId, r.queryFlag(u"force"_s), u"Canceled by a forced restart"_s))
        return *locked;
    QString version;
    const QString id = restartApp(appId, &version);
    return deploymentResult(200, id, version);
}

HttpResponse MarathonServer::Private::appTasks(const HttpRequest &r)
{
    const QString appId = normalizeId(r.pathParam(u"id"_s));
    const auto it = apps.constFind(appId);
    if (it == apps.constEnd())
        return appNotFound(appId);
    if (r.header("Accept").startsWith("text/plain")) {
        QByteArray text;
        const QList<int> sp = servicePortsOf(it->def);
        const QString name = appId.mid(1).replace(u'/', u'_');
        for (int port : sp.isEmpty() ? QList<int>{0} : sp) {
            text += name.toUtf8() + '\t' + QByteArray::number(port);
            for (const Task &t : it->tasks)
                text += '\t' + t.host.toUtf8() + ':' + QByteArray::number(t.ports.value(0));
            text += '\n';
        }
        return HttpResponse::text(200, text);
    }
    QJsonArray tasks;
    for (const Task &t : it->tasks)
        tasks.append(taskJson(t));
    return jsonReply(200, QJsonObject{{u"tasks"_s, tasks}});
}

HttpResponse MarathonServer::Private::killAppTasks(const HttpRequest &r)
{
    const QString appId = normalizeId(r.pathParam(u"id"_s));
    if (!apps.contains(appId))
        return appNotFound(appId);
    const QString host = r.queryValue(u"host"_s);
    const bool scale = r.queryFlag(u"scale"_s);
    if (scale) {
        if (auto locked = takeLock(appId, r.queryFlag(u"force"_s), u"Canceled by a forced scale"_s))
            return *locked;
    }
    App &app = apps[appId];
    QJsonArray killed;
    QStringList ids;
    for (const Task &t : std::as_const(app.tasks)) {
        if (host.isEmpty() || t.host == host) {
            killed.append(taskJson(t));
            ids.append(t.id);
        }
    }
    for (const QString &id : std::as_const(ids))
        killTask(app, id);
    if (scale) {
        QString version;
        const QString deploymentId = scaleBy(appId, -int(ids.size()), &version);
        return deploymentResult(200, deploymentId, version);
    }
    reconcile(appId); // replacements
    return jsonReply(200, QJsonObject{{u"tasks"_s, killed}});
}

HttpResponse MarathonServer::Private::killAppTask(const HttpRequest &r)
{
    const QString appId = normalizeId(r.pathParam(u"id"_s));
    if (!apps.contains(appId))
        return appNotFound(appId);
    const QString taskId = r.pathParam(u"taskId"_s);
    App &app = apps[appId];
    const Task *t = findTask(app, taskId);
    if (!t)
        return jsonReply(404, message(u"Task '%1' does not exist"_s.arg(taskId)));
    const bool scale = r.queryFlag(u"scale"_s);
    if (scale) {
        if (auto locked = takeLock(appId, r.queryFlag(u"force"_s), u"Canceled by a forced scale"_s))
            return *locked;
    }
    const QJsonObject json = taskJson(*t);
    killTask(app, taskId);
    if (scale) {
        QString version;
        const QString deploymentId = scaleBy(appId, -1, &version);
        return deploymentResult(200, deploymentId, version);
    }
    reconcile(appId);
    return jsonReply(200, QJsonObject{{u"task"_s, json}});
}

HttpResponse MarathonServer::Private::versions(const HttpRequest &r)
{
    const QString appId = normalizeId(r.pathParam(u"id"_s));
    const auto it = apps.constFind(appId);
    if (it == apps.constEnd())
        return appNotFound(appId);
    QJsonArray list;
    for (qsizetype i = it->versions.size() - 1; i >= 0; --i)
        list.append(it->versions[i].value(u"version"_s));
    return jsonReply(200, QJsonObject{{u"versions"_s, list}});
}

HttpResponse MarathonServer::Private::version(const HttpRequest &r)
{
    const QString appId = normalizeId(r.pathParam(u"id"_s));
    const auto it = apps.constFind(appId);
    if (it == apps.constEnd())
        return appNotFound(appId);
    const QString wanted = r.pathParam(u"version"_s);
    for (const QJsonObject &v : it->versions) {
        if (v.value(u"version"_s).toString() == wanted)
            return jsonReply(200, v);
    }
    return jsonReply(404, message(u"App '%1' does not exist in version %2"_s.arg(appId, wanted)));
}

HttpResponse MarathonServer::Private::allTasks(const HttpRequest &r)
{
    QStringList wanted = r.queryValues(u"status"_s) + r.queryValues(u"status[]"_s);
    QJsonArray tasks;
    QByteArray text;
    for (const App &app : std::as_const(apps)) {
        for (const Task &t : app.tasks) {
            const QString condition = t.state == u"TASK_RUNNING"_s ? u"running"_s : u"staging"_s;
            if (!wanted.isEmpty() && !wanted.contains(condition))
                continue;
            tasks.append(taskJson(t));
        }
    }
    if (r.header("Accept").startsWith("text/plain")) {
        for (const App &app : std::as_const(apps)) {
            const QString name = app.def.value(u"id"_s).toString().mid(1).replace(u'/', u'_');
            const QList<int> sp = servicePortsOf(app.def);
            for (int i = 0; i < sp.size(); ++i) {
                text += name.toUtf8() + '\t' + QByteArray::number(sp[i]);
                for (const Task &t : app.tasks)
                    text += '\t' + t.host.toUtf8() + ':' + QByteArray::number(t.ports.value(i));
                text += '\n';
            }
        }
        return HttpResponse::text(200, text);
    }
    return jsonReply(200, QJsonObject{{u"tasks"_s, tasks}});
}

HttpResponse MarathonServer::Private::deleteTasks(const HttpRequest &r)
{
    QJsonObject body;
    HttpResponse error;
    if (!parseBody(r, &body, &error))
        return error;
    const QJsonArray ids = body.value(u"ids"_s).toArray();
    QMap<QString, QStringList> byApp;
    for (const QJsonValue &v : ids) {
        const QString id = v.toString();
        QString owner;
        for (auto it = apps.begin(); it != apps.end() && owner.isEmpty(); ++it) {
            if (findTask(*it, id))
                owner = it.key();
        }
        if (owner.isEmpty())
            return jsonReply(400, message(u"Invalid task id %1"_s.arg(id)));
        byApp[owner].append(id);
    }
    const bool scale = r.queryFlag(u"scale"_s);
    if (scale && !r.queryFlag(u"force"_s)) {
        for (auto it = byApp.cbegin(); it != byApp.cend(); ++it) {
            if (!deploymentsFor(it.key()).isEmpty())
                return lockedResponse(it.key());
        }
    }
    QJsonArray killed;
    QString deploymentId, version;
    for (auto it = byApp.cbegin(); it != byApp.cend(); ++it) {
        App &app = apps[it.key()];
        for (const QString &id : it.value()) {
            killed.append(taskJson(*findTask(app, id)));
            killTask(app, id);
        }
        if (scale) {
            cancelDeploymentsOf(it.key(), u"Canceled by a forced scale"_s);
            QString v;
            const QString d = scaleBy(it.key(), -int(it.value().size()), &v);
            if (deploymentId.isEmpty()) {
                deploymentId = d;
                version = v;
            }
        } else {
            reconcile(it.key());
        }
    }
    if (scale)
        return deploymentResult(200, deploymentId, version);
    return jsonReply(200, QJsonObject{{u"tasks"_s, killed}});
}

HttpResponse MarathonServer::Private::getDeployments(const HttpRequest &)
{
    QJsonArray list;
    for (const Deployment &d : std::as_const(deployments))
        list.append(deploymentJson(d));
    return jsonReply(200, list);
}

HttpResponse MarathonServer::Private::deleteDeployment(const HttpRequest &r)
{
    const QString id = r.pathParam(u"id"_s);
    Deployment *found = findDeployment(id);
    if (!found)
        return jsonReply(404, message(u"DeploymentPlan %1 does not exist"_s.arg(id)));
    const Deployment d = *found;
    deployments.removeIf([&id](const Deployment &x) { return x.id == id; });
    publish(u"deployment_failed"_s,
            QJsonObject{{u"id"_s, d.id},
                        {u"plan"_s, planJson(d)},
                        {u"reason"_s, u"The deployment has been canceled"_s}});
    if (r.queryFlag(u"force"_s))
        return HttpResponse(202);

    // Rollback: a new deployment that restores the app as it was before.
    QString version;
    QString rollbackId;
    if (d.stop) {
        // Undo a delete: the app comes back.
        rollbackId = createApp(withoutReadOnly(d.original), &version);
    } else if (d.original.isEmpty()) {
        // The deployment created the app: rolling back removes it.
        if (apps.contains(d.appId))
            rollbackId = deleteApp(d.appId, &version);
    } else if (apps.contains(d.appId)) {
        rollbackId = updateApp(d.appId, withoutReadOnly(d.original), &version);
    }
    if (rollbackId.isEmpty())
        return HttpResponse(202);
    return deploymentResult(200, rollbackId, version);
}

// Marathon 1.10's funnel: each reason step counts the offers that reached it and those it
// declined; "last offers" takes only the last offer of each agent.
static QJsonObject offersSummaryJson(const OfferStats &s)
{
    QJsonObject o{{u"processedOffersCount"_s, s.processed}, {u"unusedOffersCount"_s, s.unused}};
    if (!s.lastUnusedAt.isEmpty())
        o[u"lastUnusedOfferAt"_s] = s.lastUnusedAt;
    if (!s.lastUsedAt.isEmpty())
        o[u"lastUsedOfferAt"_s] = s.lastUsedAt;
    if (s.processed == 0)
        return o;
    QJsonArray last, attempt;
    const QList<Rejection> lastReasons = s.lastByAgent.values();
    int reaching = int(lastReasons.size());
    for (Rejection step : rejectionFunnel()) {
        const int declined = int(lastReasons.count(step));
        last.append(QJsonObject{{u"reason"_s, rejectionName(step)},
                                {u"declined"_s, declined},
                                {u"processed"_s, reaching}});
        reaching -= declined;
        attempt.append(QJsonObject{{u"reason"_s, rejectionName(step)},
                                   {u"declined"_s, s.declinedInAttempt.value(step)},
                                   {u"processed"_s, s.processedInAttempt.value(step)}});
    }
    o[u"rejectSummaryLastOffers"_s] = last;
    o[u"rejectSummaryLaunchAttempt"_s] = attempt;
    return o;
}

HttpResponse MarathonServer::Private::queue(const HttpRequest &)
{
    QJsonArray list;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const App &app : std::as_const(apps)) {
        const int count = instancesToLaunch(app);
        if (count <= 0)
            continue;
        QJsonObject item{{u"app"_s, app.def}, {u"count"_s, count}};
        if (modern()) {
            const qint64 leftMs =
                app.delayUntil.isValid() ? std::max<qint64>(0, now.msecsTo(app.delayUntil)) : 0;
            const qint64 leftSeconds = (leftMs + 999) / 1000;
            item[u"delay"_s] =
                QJsonObject{{u"timeLeftSeconds"_s, leftSeconds}, {u"overdue"_s, leftMs == 0}};
            item[u"role"_s] = u"*"_s;
            item[u"since"_s] = app.queuedSince.isEmpty() ? nowIso() : app.queuedSince;
            item[u"processedOffersSummary"_s] = offersSummaryJson(app.offers);
        }
        list.append(item);
    }
    return jsonReply(200, QJsonObject{{u"queue"_s, list}});
}

HttpResponse MarathonServer::Private::resetDelay(const HttpRequest &r)
{
    const QString appId = normalizeId(r.pathParam(u"id"_s));
    auto it = apps.find(appId);
    if (!modern() || it == apps.end() || instancesToLaunch(*it) == 0)
        return jsonReply(404, message(u"Application %1 not found in tasks queue."_s.arg(appId)));
    it->delayUntil = QDateTime();
    it->consecutiveFailures = 0;
    reconcile(appId);
    return HttpResponse(204);
}

void MarathonServer::Private::events(const HttpRequest &r, const HttpReply &reply)
{
    if (!modern()) {
        reply.send(jsonReply(404, message(u"HTTP 404 Not Found"_s)));
        return;
    }
    // As Jetty's EventSourceServlet: only for clients that accept text/event-stream.
    if (!r.header("Accept").contains("text/event-stream")) {
        reply.send(HttpResponse(405,
                                "<html><body><h2>HTTP ERROR: 405</h2><p>Problem accessing "
                                "/v2/events. Reason:<pre>    HTTP method GET is not supported by "
                                "this URL</pre></p></body></html>\n",
                                "text/html;charset=ISO-8859-1"));
        return;
    }
    HttpStream *stream = reply.openStream(
        200, {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}});
    if (!stream)
        return;
    Subscriber s;
    s.stream = stream;
    for (const QString &v : r.queryValues(u"event_type"_s))
        s.eventTypes += v.split(u',', Qt::SkipEmptyParts);
    subscribers.append(s);
    const QString remote = r.peerAddress.toString();
    QObject::connect(stream, &HttpStream::closed, q, [this, remote] {
        subscribers.removeIf([](const Subscriber &x) { return !x.stream || !x.stream->isOpen(); });
        if (!shuttingDown)
            publish(u"event_stream_detached"_s, QJsonObject{{u"remoteAddress"_s, remote}});
    });
    publish(u"event_stream_attached"_s,
            QJsonObject{{u"remoteAddress"_s, r.peerAddress.toString()}});
}

// =============================================================================================
// MarathonServer

MarathonServer::MarathonServer(QObject *parent) : MarathonServer(Options(), parent) {}

MarathonServer::MarathonServer(const Options &options, QObject *parent)
    : QObject(parent), d(std::make_unique<Private>())
{
    d->q = this;
    d->options = options;
    d->cluster = options.cluster;
    if (!d->cluster) {
        d->cluster = AgentPool::fromHostnames(options.agents.isEmpty() ? QStringList{u"127.0.0.1"_s}
                                                                       : options.agents);
    }
    connect(&d->offerTimer, &QTimer::timeout, this, [this] { d->offerAgain(); });
    if (TaskRunner *runner = options.runner.get()) {
        connect(runner, &TaskRunner::running, this,
                [this](const QString &taskId) { d->runnerRunning(taskId); });
        connect(runner, &TaskRunner::exited, this,
                [this](const QString &taskId, const QString &message) {
                    d->runnerExited(taskId, message);
                });
        connect(runner, &TaskRunner::healthChanged, this,
                [this](const QString &taskId, bool alive, int failures, const QString &cause) {
                    d->runnerHealth(taskId, alive, failures, cause);
                });
        connect(runner, &TaskRunner::unhealthy, this,
                [this](const QString &taskId, const QString &cause) {
                    d->runnerUnhealthy(taskId, cause);
                });
    }
    d->http = new HttpServer(this);
    d->setupRoutes();
    connect(d->http, &HttpServer::responseSent, this, &MarathonServer::requestServed);
    connect(&d->keepAlive, &QTimer::timeout, this, [this] {
        for (const auto &s : std::as_const(d->subscribers)) {
            if (s.stream && s.stream->isOpen())
                s.stream->write(":\n\n"); // an SSE comment keeps proxies from timing out
        }
    });
}

MarathonServer::~MarathonServer()
{
    d->shuttingDown = true;
    d->keepAlive.stop();
    d->offerTimer.stop();
    d->subscribers.clear();
    d->http->close();
    if (d->options.runner) {
        d->options.runner->disconnect(this);
        d->options.runner->stopAll();
    }
}

bool MarathonServer::listenOnDescriptor(qintptr fd)
{
    // The same start as listen() once the socket is there: a port-0 listen() is replaced by it.
    if (!d->http->listenOnDescriptor(fd))
        return false;
    return listen(QHostAddress(), 0);
}

bool MarathonServer::listen(const QHostAddress &address, quint16 port)
{
    if (!d->http->isListening() && !d->http->listen(address, port))
        return false;
    if (d->options.eventKeepAliveMs > 0)
        d->keepAlive.start(d->options.eventKeepAliveMs);
    d->cluster->registerFramework({d->frameworkId(), u"marathon"_s, d->cluster->masterHostname(),
                                   url().toString(), QDateTime::currentDateTimeUtc()});
    qCInfo(lcSandbox) << "Marathon" << (d->modern() ? "1.10.26" : "0.7.6") << "API on" << url();
    return true;
}

quint16 MarathonServer::port() const
{
    return d->http->port();
}

QUrl MarathonServer::url() const
{
    QUrl u;
    u.setScheme(u"http"_s);
    const QHostAddress a = d->http->address();
    u.setHost(a == QHostAddress::Any || a == QHostAddress::AnyIPv4 ? u"127.0.0.1"_s : a.toString());
    u.setPort(d->http->port());
    return u;
}

QString MarathonServer::errorString() const
{
    return d->http->errorString();
}

MarathonServer::Options &MarathonServer::options()
{
    return d->options;
}

void MarathonServer::setLeaderUrl(const QUrl &leader)
{
    d->leaderUrl = leader;
}

void MarathonServer::injectFault(const QString &pathPrefix, int status, const QByteArray &body,
                                 int count)
{
    const HttpServer::FaultKind kind = status > 0    ? HttpServer::FaultKind::Respond
                                       : status == 0 ? HttpServer::FaultKind::NoAnswer
                                                     : HttpServer::FaultKind::Close;
    d->http->injectFault(pathPrefix, kind, std::max(status, 0), body, count);
}

void MarathonServer::clearFaults()
{
    d->http->clearFaults();
}

void MarathonServer::setFailing(const QString &appId, const QString &message)
{
    // Also for an app that does not exist yet: it fails from its first task on.
    const QString id = normalizeId(appId);
    if (!message.isEmpty()) {
        d->failing.insert(id, message);
        return;
    }
    d->failing.remove(id);
    auto it = d->apps.find(id);
    if (it != d->apps.end()) {
        it->delayUntil = QDateTime();
        it->consecutiveFailures = 0;
        d->reconcile(id);
    }
}

int MarathonServer::requestCount() const
{
    return d->http->requestCount();
}

QJsonObject MarathonServer::appJson(const QString &appId) const
{
    const auto it = d->apps.constFind(normalizeId(appId));
    if (it == d->apps.constEnd())
        return {};
    return d->appInfo(*it, {u"counts"_s, u"deployments"_s, u"tasks"_s});
}

QStringList MarathonServer::deploymentIds() const
{
    QStringList ids;
    for (const auto &dep : std::as_const(d->deployments))
        ids.append(dep.id);
    return ids;
}

QStringList MarathonServer::taskIds(const QString &appId) const
{
    QStringList ids;
    const auto it = d->apps.constFind(normalizeId(appId));
    if (it != d->apps.constEnd()) {
        for (const auto &t : it->tasks)
            ids.append(t.id);
    }
    return ids;
}

int MarathonServer::eventSubscriberCount() const
{
    int n = 0;
    for (const auto &s : std::as_const(d->subscribers))
        n += s.stream && s.stream->isOpen() ? 1 : 0;
    return n;
}

HttpServer *MarathonServer::httpServer() const
{
    return d->http;
}

std::shared_ptr<AgentPool> MarathonServer::cluster() const
{
    return d->cluster;
}

} // namespace pier::sandbox
