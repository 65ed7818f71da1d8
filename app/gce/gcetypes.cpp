#include "gce/gcetypes.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace pier::gce {

namespace {

QString str(const QJsonObject &o, const char *key)
{
    const QJsonValue v = o.value(QLatin1String(key));
    // ids and some numbers arrive as strings ("id": "1234"), others as numbers; take both.
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 17);
    return v.toString();
}

int integer(const QJsonObject &o, const char *key, int fallback = 0)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isDouble())
        return v.toInt(fallback);
    if (v.isString()) {
        bool ok = false;
        const int n = v.toString().toInt(&ok);
        return ok ? n : fallback;
    }
    return fallback;
}

QStringList strings(const QJsonObject &o, const char *key)
{
    QStringList out;
    const QJsonArray a = o.value(QLatin1String(key)).toArray();
    for (const QJsonValue &v : a) {
        if (v.isString())
            out << v.toString();
    }
    return out;
}

QJsonArray array(const QStringList &list)
{
    return QJsonArray::fromStringList(list);
}

void putIf(QJsonObject &o, const char *key, const QString &value)
{
    if (!value.isEmpty())
        o.insert(QLatin1String(key), value);
}

QList<GceFirewallRule> rules(const QJsonObject &o, const char *key)
{
    QList<GceFirewallRule> out;
    const QJsonArray a = o.value(QLatin1String(key)).toArray();
    for (const QJsonValue &v : a) {
        const QJsonObject r = v.toObject();
        out.append({r.value(QLatin1String("IPProtocol")).toString(), strings(r, "ports")});
    }
    return out;
}

QJsonArray rulesJson(const QList<GceFirewallRule> &list)
{
    QJsonArray a;
    for (const GceFirewallRule &r : list) {
        QJsonObject o{{QStringLiteral("IPProtocol"), r.ipProtocol}};
        if (!r.ports.isEmpty())
            o.insert(QStringLiteral("ports"), array(r.ports));
        a.append(o);
    }
    return a;
}

} // namespace

QString lastSegment(const QString &url)
{
    const qsizetype slash = url.lastIndexOf(QLatin1Char('/'));
    return slash < 0 ? url : url.mid(slash + 1);
}

QString GceOperation::scope() const
{
    if (!zone.isEmpty())
        return QStringLiteral("zone");
    if (!region.isEmpty())
        return QStringLiteral("region");
    return QStringLiteral("global");
}

GceOperation parseOperation(const QJsonObject &o)
{
    GceOperation op;
    op.id = str(o, "id");
    op.name = str(o, "name");
    op.kind = str(o, "kind");
    op.operationType = str(o, "operationType");
    op.status = str(o, "status");
    op.targetLink = str(o, "targetLink");
    op.targetId = str(o, "targetId");
    op.selfLink = str(o, "selfLink");
    op.region = str(o, "region");
    op.zone = str(o, "zone");
    op.user = str(o, "user");
    op.insertTime = str(o, "insertTime");
    op.startTime = str(o, "startTime");
    op.endTime = str(o, "endTime");
    op.statusMessage = str(o, "statusMessage");
    op.progress = integer(o, "progress");
    op.httpErrorStatusCode = integer(o, "httpErrorStatusCode");
    op.httpErrorMessage = str(o, "httpErrorMessage");
    const QJsonArray errors =
        o.value(QLatin1String("error")).toObject().value(QLatin1String("errors")).toArray();
    for (const QJsonValue &v : errors) {
        const QJsonObject e = v.toObject();
        GceErrorItem item;
        item.code = str(e, "code");
        item.message = str(e, "message");
        item.location = str(e, "location");
        item.reason = reasonFromOperationCode(item.code);
        op.errors.append(item);
    }
    return op;
}

GceAddress parseAddress(const QJsonObject &o)
{
    GceAddress a;
    a.id = str(o, "id");
    a.name = str(o, "name");
    a.description = str(o, "description");
    a.address = str(o, "address");
    a.status = str(o, "status");
    a.region = str(o, "region");
    a.selfLink = str(o, "selfLink");
    a.addressType = str(o, "addressType");
    a.networkTier = str(o, "networkTier");
    a.users = strings(o, "users");
    a.creationTimestamp = str(o, "creationTimestamp");
    return a;
}

GceTargetPool parseTargetPool(const QJsonObject &o)
{
    GceTargetPool p;
    p.id = str(o, "id");
    p.name = str(o, "name");
    p.description = str(o, "description");
    p.region = str(o, "region");
    p.selfLink = str(o, "selfLink");
    p.sessionAffinity = str(o, "sessionAffinity");
    p.backupPool = str(o, "backupPool");
    p.instances = strings(o, "instances");
    p.healthChecks = strings(o, "healthChecks");
    p.creationTimestamp = str(o, "creationTimestamp");
    return p;
}

GceForwardingRule parseForwardingRule(const QJsonObject &o)
{
    GceForwardingRule r;
    r.id = str(o, "id");
    r.name = str(o, "name");
    r.description = str(o, "description");
    r.region = str(o, "region");
    r.selfLink = str(o, "selfLink");
    r.ipAddress = str(o, "IPAddress");
    r.ipProtocol = str(o, "IPProtocol");
    r.portRange = str(o, "portRange");
    r.target = str(o, "target");
    r.loadBalancingScheme = str(o, "loadBalancingScheme");
    r.creationTimestamp = str(o, "creationTimestamp");
    return r;
}

QString GceInstance::internalIp() const
{
    return networkInterfaces.isEmpty() ? QString() : networkInterfaces.first().networkIP;
}

QString GceInstance::externalIp() const
{
    if (networkInterfaces.isEmpty() || networkInterfaces.first().accessConfigs.isEmpty())
        return {};
    return networkInterfaces.first().accessConfigs.first().natIP;
}

QString GceInstance::network() const
{
    return networkInterfaces.isEmpty() ? QString() : networkInterfaces.first().network;
}

GceInstance parseInstance(const QJsonObject &o)
{
    GceInstance i;
    i.id = str(o, "id");
    i.name = str(o, "name");
    i.zone = str(o, "zone");
    i.status = str(o, "status");
    i.selfLink = str(o, "selfLink");
    i.machineType = str(o, "machineType");
    i.creationTimestamp = str(o, "creationTimestamp");
    const QJsonArray nics = o.value(QLatin1String("networkInterfaces")).toArray();
    for (const QJsonValue &v : nics) {
        const QJsonObject n = v.toObject();
        GceNetworkInterface nic;
        nic.name = str(n, "name");
        nic.network = str(n, "network");
        nic.subnetwork = str(n, "subnetwork");
        nic.networkIP = str(n, "networkIP");
        const QJsonArray acs = n.value(QLatin1String("accessConfigs")).toArray();
        for (const QJsonValue &a : acs) {
            const QJsonObject ac = a.toObject();
            nic.accessConfigs.append({str(ac, "name"), str(ac, "type"), str(ac, "natIP")});
        }
        i.networkInterfaces.append(nic);
    }
    const QJsonObject tags = o.value(QLatin1String("tags")).toObject();
    i.tags.items = strings(tags, "items");
    i.tags.fingerprint = str(tags, "fingerprint");
    return i;
}

GceNetwork parseNetwork(const QJsonObject &o)
{
    GceNetwork n;
    n.id = str(o, "id");
    n.name = str(o, "name");
    n.description = str(o, "description");
    n.selfLink = str(o, "selfLink");
    n.ipv4Range = str(o, "IPv4Range");
    n.gatewayIPv4 = str(o, "gatewayIPv4");
    n.creationTimestamp = str(o, "creationTimestamp");
    n.autoCreateSubnetworks = o.value(QLatin1String("autoCreateSubnetworks")).toBool();
    n.subnetworks = strings(o, "subnetworks");
    return n;
}

GceFirewall parseFirewall(const QJsonObject &o)
{
    GceFirewall f;
    f.id = str(o, "id");
    f.name = str(o, "name");
    f.description = str(o, "description");
    f.network = str(o, "network");
    f.selfLink = str(o, "selfLink");
    f.direction = str(o, "direction");
    f.creationTimestamp = str(o, "creationTimestamp");
    f.priority = integer(o, "priority", 1000);
    f.disabled = o.value(QLatin1String("disabled")).toBool();
    f.allowed = rules(o, "allowed");
    f.denied = rules(o, "denied");
    f.sourceRanges = strings(o, "sourceRanges");
    f.sourceTags = strings(o, "sourceTags");
    f.targetTags = strings(o, "targetTags");
    f.destinationRanges = strings(o, "destinationRanges");
    return f;
}

GceHealthCheck parseHealthCheck(const QJsonObject &o)
{
    GceHealthCheck h;
    h.id = str(o, "id");
    h.name = str(o, "name");
    h.description = str(o, "description");
    h.host = str(o, "host");
    h.requestPath = str(o, "requestPath");
    h.selfLink = str(o, "selfLink");
    h.creationTimestamp = str(o, "creationTimestamp");
    h.port = integer(o, "port", 80);
    h.checkIntervalSec = integer(o, "checkIntervalSec", 5);
    h.timeoutSec = integer(o, "timeoutSec", 5);
    h.healthyThreshold = integer(o, "healthyThreshold", 2);
    h.unhealthyThreshold = integer(o, "unhealthyThreshold", 2);
    return h;
}

QList<GceHealthStatus> parseHealth(const QJsonObject &o)
{
    QList<GceHealthStatus> out;
    const QJsonArray a = o.value(QLatin1String("healthStatus")).toArray();
    for (const QJsonValue &v : a) {
        const QJsonObject h = v.toObject();
        out.append(
            {str(h, "instance"), str(h, "ipAddress"), str(h, "healthState"), integer(h, "port")});
    }
    return out;
}

GceRegion parseRegion(const QJsonObject &o)
{
    GceRegion r;
    r.id = str(o, "id");
    r.name = str(o, "name");
    r.status = str(o, "status");
    r.selfLink = str(o, "selfLink");
    r.description = str(o, "description");
    r.zones = strings(o, "zones");
    const QJsonArray q = o.value(QLatin1String("quotas")).toArray();
    for (const QJsonValue &v : q) {
        const QJsonObject quota = v.toObject();
        r.quotas.append({str(quota, "metric"), quota.value(QLatin1String("limit")).toDouble(),
                         quota.value(QLatin1String("usage")).toDouble()});
    }
    return r;
}

GceZone parseZone(const QJsonObject &o)
{
    return {str(o, "id"),     str(o, "name"),     str(o, "status"),
            str(o, "region"), str(o, "selfLink"), str(o, "description")};
}

QJsonObject toJson(const GceAddress &a)
{
    QJsonObject o{{QStringLiteral("name"), a.name}};
    putIf(o, "description", a.description);
    putIf(o, "address", a.address);
    putIf(o, "addressType", a.addressType);
    putIf(o, "networkTier", a.networkTier);
    return o;
}

QJsonObject toJson(const GceTargetPool &p)
{
    QJsonObject o{{QStringLiteral("name"), p.name}};
    putIf(o, "description", p.description);
    putIf(o, "sessionAffinity", p.sessionAffinity);
    if (!p.instances.isEmpty())
        o.insert(QStringLiteral("instances"), array(p.instances));
    if (!p.healthChecks.isEmpty())
        o.insert(QStringLiteral("healthChecks"), array(p.healthChecks));
    return o;
}

QJsonObject toJson(const GceForwardingRule &r)
{
    QJsonObject o{{QStringLiteral("name"), r.name}};
    putIf(o, "description", r.description);
    putIf(o, "IPAddress", r.ipAddress);
    putIf(o, "IPProtocol", r.ipProtocol);
    putIf(o, "portRange", r.portRange);
    putIf(o, "target", r.target);
    putIf(o, "loadBalancingScheme", r.loadBalancingScheme);
    return o;
}

QJsonObject toJson(const GceFirewall &f)
{
    QJsonObject o{{QStringLiteral("name"), f.name}};
    putIf(o, "description", f.description);
    putIf(o, "network", f.network);
    putIf(o, "direction", f.direction);
    o.insert(QStringLiteral("priority"), f.priority);
    if (!f.allowed.isEmpty())
        o.insert(QStringLiteral("allowed"), rulesJson(f.allowed));
    if (!f.denied.isEmpty())
        o.insert(QStringLiteral("denied"), rulesJson(f.denied));
    if (!f.sourceRanges.isEmpty())
        o.insert(QStringLiteral("sourceRanges"), array(f.sourceRanges));
    if (!f.sourceTags.isEmpty())
        o.insert(QStringLiteral("sourceTags"), array(f.sourceTags));
    if (!f.targetTags.isEmpty())
        o.insert(QStringLiteral("targetTags"), array(f.targetTags));
    return o;
}

QJsonObject toJson(const GceHealthCheck &h)
{
    QJsonObject o{{QStringLiteral("name"), h.name},
                  {QStringLiteral("port"), h.port},
                  {QStringLiteral("checkIntervalSec"), h.checkIntervalSec},
                  {QStringLiteral("timeoutSec"), h.timeoutSec},
                  {QStringLiteral("healthyThreshold"), h.healthyThreshold},
                  {QStringLiteral("unhealthyThreshold"), h.unhealthyThreshold}};
    putIf(o, "description", h.description);
    putIf(o, "host", h.host);
    putIf(o, "requestPath", h.requestPath);
    return o;
}

QString reasonFromOperationCode(const QString &code)
{
    static const QHash<QString, QString> known{
        {QStringLiteral("RESOURCE_ALREADY_EXISTS"), QStringLiteral("alreadyExists")},
        {QStringLiteral("ALREADY_EXISTS"), QStringLiteral("alreadyExists")},
        {QStringLiteral("RESOURCE_NOT_FOUND"), QStringLiteral("notFound")},
        {QStringLiteral("NOT_FOUND"), QStringLiteral("notFound")},
        {QStringLiteral("QUOTA_EXCEEDED"), QStringLiteral("quotaExceeded")},
        {QStringLiteral("RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"),
         QStringLiteral("resourceInUseByAnotherResource")},
        {QStringLiteral("RESOURCE_NOT_READY"), QStringLiteral("resourceNotReady")},
        {QStringLiteral("CONDITION_NOT_MET"), QStringLiteral("conditionNotMet")},
        {QStringLiteral("RATE_LIMIT_EXCEEDED"), QStringLiteral("rateLimitExceeded")},
        {QStringLiteral("PERMISSION_DENIED"), QStringLiteral("forbidden")},
        {QStringLiteral("FORBIDDEN"), QStringLiteral("forbidden")},
    };
    if (known.contains(code))
        return known.value(code);
    // Any other UPPER_SNAKE code in the HTTP errors' lowerCamel spelling.
    QString out;
    bool upper = false;
    for (const QChar c : code) {
        if (c == QLatin1Char('_')) {
            upper = true;
            continue;
        }
        out += upper ? c.toUpper() : c.toLower();
        upper = false;
    }
    return out;
}

namespace {

ApiError::Kind kindFor(int status, const QString &reason)
{
    if (reason == QLatin1String("rateLimitExceeded") ||
        reason == QLatin1String("userRateLimitExceeded"))
        return ApiError::Kind::Server; // transient: retried with backoff
    switch (status) {
    case 401:
    case 403:
        return ApiError::Kind::Auth;
    case 404:
        return ApiError::Kind::NotFound;
    case 409:
        return ApiError::Kind::Conflict;
    case 429:
        return ApiError::Kind::Server;
    default:
        break;
    }
    if (status >= 500)
        return ApiError::Kind::Server;
    if (status >= 400)
        return ApiError::Kind::Invalid;
    return ApiError::Kind::BadReply;
}

} // namespace

void addGceHint(ApiError &e, const QString &project)
{
    const QString p = project.isEmpty() ? QStringLiteral("your project") : project;
    const QString r = e.reason;
    if (r == QLatin1String("alreadyExists")) {
        e.hint = QStringLiteral("A resource with this name exists already: choose another name, "
                                "or use the existing one if it is the one you want.");
    } else if (r == QLatin1String("notFound")) {
        e.hint = QStringLiteral("Check the name, the project (%1), the region and the zone; the "
                                "resource may have been deleted.")
                     .arg(p);
    } else if (r == QLatin1String("quotaExceeded")) {
        e.hint = QStringLiteral("Release resources you no longer use (for addresses: gcloud "
                                "compute addresses list --project %1), or ask for a higher quota "
                                "in the Cloud Console under IAM & Admin > Quotas.")
                     .arg(p);
    } else if (r == QLatin1String("accessNotConfigured")) {
        e.message = QStringLiteral("The Compute Engine API is not enabled for project %1.").arg(p) +
                    (e.message.isEmpty() ? QString() : QLatin1Char(' ') + e.message);
        e.hint = QStringLiteral("Enable the Compute Engine API for project %1: gcloud services "
                                "enable compute.googleapis.com --project %1 (or in the Cloud "
                                "Console under APIs & Services), wait a minute and retry.")
                     .arg(p);
    } else if (r == QLatin1String("forbidden") || r == QLatin1String("insufficientPermissions")) {
        static const QRegularExpression permission(
            QStringLiteral("'?(compute\\.[A-Za-z]+\\.[A-Za-z]+)'?"));
        const QRegularExpressionMatch m = permission.match(e.message);
        if (m.hasMatch()) {
            e.hint = QStringLiteral("The account lacks the permission %1 on project %2: grant it "
                                    "a role that includes it (for example Compute Network Admin, "
                                    "roles/compute.networkAdmin), or use another account.")
                         .arg(m.captured(1), p);
        } else {
            e.hint = QStringLiteral("The account is not allowed to do this in project %1: grant "
                                    "it a role such as Compute Network Admin, or use another "
                                    "account.")
                         .arg(p);
        }
    } else if (r == QLatin1String("conditionNotMet")) {
        e.hint = QStringLiteral("The resource changed since it was read (its fingerprint is "
                                "stale): read it again and retry.");
    } else if (r == QLatin1String("resourceInUseByAnotherResource")) {
        e.hint = QStringLiteral("Something still uses it: delete that first (the forwarding rule "
                                "before its target pool, the pool before its health check).");
    } else if (r == QLatin1String("resourceNotReady")) {
        e.hint = QStringLiteral("The resource is busy with another operation: wait a moment and "
                                "retry.");
    } else if (r == QLatin1String("rateLimitExceeded") ||
               r == QLatin1String("userRateLimitExceeded")) {
        e.hint = QStringLiteral("Too many requests to the Compute Engine API: wait a minute; Pier "
                                "retries with backoff.");
    } else if (e.httpStatus == 401 || r == QLatin1String("authError")) {
        e.hint = QStringLiteral("The access token was refused: sign in again (gcloud auth login), "
                                "or check the service-account key.");
    } else if (e.kind == ApiError::Kind::Server) {
        e.hint = QStringLiteral("Compute Engine had a problem: retry in a minute.");
    }
}

ApiError gceErrorFrom(int httpStatus, const QByteArray &body, const QString &project,
                      const QString &transportError)
{
    ApiError e;
    e.httpStatus = httpStatus;
    if (httpStatus == 0) {
        e.kind = ApiError::Kind::Network;
        e.message = QStringLiteral("Cannot reach Compute Engine: %1.").arg(transportError);
        e.hint = QStringLiteral("Check the network connection and the API endpoint.");
        return e;
    }
    if (httpStatus >= 200 && httpStatus < 300)
        return e;
    const QJsonObject error =
        QJsonDocument::fromJson(body).object().value(QLatin1String("error")).toObject();
    const QJsonArray errors = error.value(QLatin1String("errors")).toArray();
    const QJsonObject first = errors.isEmpty() ? QJsonObject() : errors.first().toObject();
    e.reason = first.value(QLatin1String("reason")).toString();
    e.message = error.value(QLatin1String("message")).toString();
    if (e.message.isEmpty())
        e.message = first.value(QLatin1String("message")).toString();
    if (e.message.isEmpty()) {
        e.message = QStringLiteral("Compute Engine answered HTTP %1%2")
                        .arg(httpStatus)
                        .arg(body.isEmpty() ? QStringLiteral(".")
                                            : QStringLiteral(": ") +
                                                  QString::fromUtf8(body.left(200)).trimmed());
    }
    e.kind = kindFor(httpStatus, e.reason);
    addGceHint(e, project);
    return e;
}

ApiError operationError(const GceOperation &op, const QString &project)
{
    ApiError e;
    if (!op.hasError())
        return e;
    const GceErrorItem &first = op.errors.first();
    e.reason = first.reason;
    e.httpStatus = op.httpErrorStatusCode;
    QStringList messages;
    for (const GceErrorItem &item : op.errors)
        messages << (item.message.isEmpty() ? item.code : item.message);
    e.message = messages.join(QLatin1Char(' '));
    e.kind = kindFor(op.httpErrorStatusCode ? op.httpErrorStatusCode : 400, e.reason);
    if (e.reason == QLatin1String("alreadyExists"))
        e.kind = ApiError::Kind::Conflict;
    else if (e.reason == QLatin1String("notFound"))
        e.kind = ApiError::Kind::NotFound;
    addGceHint(e, project);
    return e;
}

} // namespace pier::gce
