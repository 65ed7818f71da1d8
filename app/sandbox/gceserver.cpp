#include "sandbox/gceserver.h"

#include "core/logging.h"
#include "gce/jwt.h"
#include "sandbox/httpserver.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QPointer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSaveFile>
#include <QTimer>
#include <QUrlQuery>
#include <QUuid>
#include <functional>

namespace pier::sandbox {

namespace {

const QString kJwtBearer = QStringLiteral("urn:ietf:params:oauth:grant-type:jwt-bearer");

QString timestamp()
{
    // GCE writes its timestamps in Pacific time with milliseconds.
    return QDateTime::currentDateTimeUtc().toOffsetFromUtc(-8 * 3600).toString(Qt::ISODateWithMs);
}

QString newId()
{
    // 19 decimal digits, as GCE's uint64 ids (sent as strings).
    return QString::number(QRandomGenerator::global()->bounded(Q_INT64_C(1000000000000000000),
                                                               Q_INT64_C(9000000000000000000)));
}

QString newFingerprint()
{
    const quint64 v = QRandomGenerator::global()->generate64();
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(&v), 8).toBase64());
}

HttpResponse gceError(int status, const QString &reason, const QString &message,
                      const QString &domain = QStringLiteral("global"),
                      const QJsonObject &extra = {})
{
    QJsonObject item{{QStringLiteral("message"), message},
                     {QStringLiteral("domain"), domain},
                     {QStringLiteral("reason"), reason}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        item.insert(it.key(), it.value());
    QJsonObject error{{QStringLiteral("code"), status},
                      {QStringLiteral("message"), message},
                      {QStringLiteral("errors"), QJsonArray{item}}};
    return HttpResponse::json(status, QJsonObject{{QStringLiteral("error"), error}});
}

HttpResponse oauthError(const QString &error, const QString &description, int status = 400)
{
    return HttpResponse::json(status,
                              QJsonObject{{QStringLiteral("error"), error},
                                          {QStringLiteral("error_description"), description}});
}

QString lastSegment(const QString &url)
{
    return url.mid(url.lastIndexOf(QLatin1Char('/')) + 1);
}

struct Collection {
    const char *name;     // URL segment
    const char *kind;     // compute#address
    const char *listKind; // compute#addressList
};

const Collection kCollections[] = {
    {"addresses", "compute#address", "compute#addressList"},
    {"targetPools", "compute#targetPool", "compute#targetPoolList"},
    {"forwardingRules", "compute#forwardingRule", "compute#forwardingRuleList"},
    {"firewalls", "compute#firewall", "compute#firewallList"},
    {"httpHealthChecks", "compute#httpHealthCheck", "compute#httpHealthCheckList"},
    {"networks", "compute#network", "compute#networkList"},
    {"instances", "compute#instance", "compute#instanceList"},
};

const Collection *collection(const QString &name)
{
    for (const Collection &c : kCollections) {
        if (name == QLatin1String(c.name))
            return &c;
    }
    return nullptr;
}

} // namespace

struct GceServer::Private {
    GceServer *q = nullptr;
    Options options;
    HttpServer *http = nullptr;
    gce::jwt::KeyPair keys;
    QString keyId;
    GceObserver *observer = nullptr;
    QMap<QString, QJsonObject> resources; // "regions/r/addresses/n" → body
    QHash<QString, qint64> tokens;        // access token → expiry (ms since epoch)

    struct Operation {
        QJsonObject json;
        QString path; // "regions/r/operations/name"
        QElapsedTimer clock;
        bool done = false;
        QJsonObject error; // set: the operation fails
        int httpErrorStatusCode = 0;
        QString httpErrorMessage;
        std::function<void()> onDone;
        QList<HttpReply> waiters;
    };
    QHash<QString, std::shared_ptr<Operation>> operations; // by path
    QHash<QString, QString> byRequestId;                   // requestId → operation path
    QHash<QString, int> dropFaults;                        // path part → count
    QHash<QString, bool> healthy;
    int mutations = 0;
    quint32 nextExternal = 0;

    QString base() const
    {
        return q->url().toString() + options.prefix + QStringLiteral("/projects/") +
               options.project + QLatin1Char('/');
    }
    QString link(const QString &path) const { return base() + path; }

    // --- operations ---------------------------------------------------------------------------
    QString status(const Operation &op) const
    {
        if (op.done)
            return QStringLiteral("DONE");
        return op.clock.elapsed() < options.operationMs * 3 / 10 ? QStringLiteral("PENDING")
                                                                 : QStringLiteral("RUNNING");
    }

    QJsonObject operationJson(const Operation &op) const
    {
        QJsonObject o = op.json;
        const QString s = status(op);
        o.insert(QStringLiteral("status"), s);
        o.insert(QStringLiteral("progress"),
                 op.done ? 100 : (s == QLatin1String("RUNNING") ? 50 : 0));
        if (s != QLatin1String("PENDING"))
            o.insert(QStringLiteral("startTime"), o.value(QStringLiteral("insertTime")));
        if (op.done && !op.error.isEmpty()) {
            o.insert(QStringLiteral("error"), op.error);
            o.insert(QStringLiteral("httpErrorStatusCode"), op.httpErrorStatusCode);
            o.insert(QStringLiteral("httpErrorMessage"), op.httpErrorMessage);
        }
        return o;
    }

    // scope: "regions/r", "zones/z" or "global".
    std::shared_ptr<Operation> startOperation(const QString &scope, const QString &type,
                                              const QString &targetPath, const QString &targetId,
                                              const QString &requestId,
                                              std::function<void()> onDone)
    {
        auto op = std::make_shared<Operation>();
        const QString name = QStringLiteral("operation-%1-%2")
                                 .arg(QDateTime::currentMSecsSinceEpoch())
                                 .arg(QUuid::createUuid().toString(QUuid::Id128).left(24));
        op->path = scope + QStringLiteral("/operations/") + name;
        QJsonObject o{{QStringLiteral("kind"), QStringLiteral("compute#operation")},
                      {QStringLiteral("id"), newId()},
                      {QStringLiteral("name"), name},
                      {QStringLiteral("operationType"), type},
                      {QStringLiteral("targetLink"), link(targetPath)},
                      {QStringLiteral("user"), options.serviceAccount},
                      {QStringLiteral("insertTime"), timestamp()},
                      {QStringLiteral("selfLink"), link(op->path)}};
        if (!targetId.isEmpty())
            o.insert(QStringLiteral("targetId"), targetId);
        if (scope.startsWith(QLatin1String("regions/")))
            o.insert(QStringLiteral("region"), link(scope));
        else if (scope.startsWith(QLatin1String("zones/")))
            o.insert(QStringLiteral("zone"), link(scope));
        op->json = o;
        op->onDone = std::move(onDone);
        op->clock.start();
        operations.insert(op->path, op);
        if (!requestId.isEmpty())
            byRequestId.insert(requestId, op->path);
        std::weak_ptr<Operation> weak = op;
        QTimer::singleShot(options.operationMs, q, [this, weak] {
            if (auto o = weak.lock())
                finish(*o);
        });
        return op;
    }

    void finish(Operation &op)
    {
        if (op.done)
            return;
        op.done = true;
        op.json.insert(QStringLiteral("endTime"), timestamp());
        if (op.onDone && op.error.isEmpty())
            op.onDone();
        const QJsonObject body = operationJson(op);
        const QList<HttpReply> waiters = std::exchange(op.waiters, {});
        for (const HttpReply &w : waiters)
            w.send(HttpResponse::json(200, body));
    }

    // The answer to a mutation: the operation, unless a test asked to lose it after the commit.
    void answer(const HttpRequest &req, const HttpReply &reply, const Operation &op)
    {
        for (auto it = dropFaults.begin(); it != dropFaults.end(); ++it) {
            if (it.value() != 0 && req.path.contains(it.key())) {
                if (it.value() > 0)
                    --it.value();
                reply.closeConnection();
                return;
            }
        }
        reply.send(HttpResponse::json(200, operationJson(op)));
    }

    void notify(const QString &path, bool removed, const QJsonObject &body)
    {
        emit q->resourceChanged(path, removed);
        if (!observer)
            return;
        if (path.contains(QLatin1String("/firewalls/")))
            observer->firewallChanged(body, removed);
        else if (path.contains(QLatin1String("/addresses/")))
            observer->addressChanged(body, removed);
        else if (path.contains(QLatin1String("/forwardingRules/")))
            observer->forwardingRuleChanged(body, removed);
        else if (path.contains(QLatin1String("/targetPools/")))
            observer->targetPoolChanged(body, removed);
        else if (path.contains(QLatin1String("/httpHealthChecks/")))
            observer->healthCheckChanged(body, removed);
        else if (path.contains(QLatin1String("/instances/")))
            observer->instanceTagsChanged(body);
    }

    // A mutation that changes state now and tells the observer when its operation is DONE.
    void commit(const HttpRequest &req, const HttpReply &reply, const QString &scope,
                const QString &type, const QString &path, std::function<void()> change,
                bool removed = false)
    {
        ++mutations;
        const QJsonObject before = resources.value(path);
        change();
        const QJsonObject body = removed ? before : resources.value(path);
        const QString id = body.value(QStringLiteral("id")).toString();
        auto op =
            startOperation(scope, type, path, id, req.queryValue(QStringLiteral("requestId")),
                           [this, path, removed, before] {
                               // A removed resource is reported as it last was.
                               notify(path, removed, removed ? before : resources.value(path));
                           });
        answer(req, reply, *op);
    }

    HttpResponse notFound(const QString &path) const
    {
        return gceError(404, QStringLiteral("notFound"),
                        QStringLiteral("The resource 'projects/%1/%2' was not found")
                            .arg(options.project, path));
    }

    // --- seeding ------------------------------------------------------------------------------
    void seed()
    {
        const QString regionPath = QStringLiteral("regions/") + options.region;
        auto addNetwork = [this](const QString &name, const QString &range,
                                 const QString &gateway) {
            const QString path = QStringLiteral("global/networks/") + name;
            resources.insert(
                path, QJsonObject{{QStringLiteral("kind"), QStringLiteral("compute#network")},
                                  {QStringLiteral("id"), newId()},
                                  {QStringLiteral("creationTimestamp"), timestamp()},
                                  {QStringLiteral("name"), name},
                                  {QStringLiteral("IPv4Range"), range},
                                  {QStringLiteral("gatewayIPv4"), gateway},
                                  {QStringLiteral("selfLink"), link(path)}});
        };
        addNetwork(options.network, options.networkRange, options.gateway);
        if (options.network != QLatin1String("default"))
            addNetwork(QStringLiteral("default"), QStringLiteral("198.19.0.0/24"),
                       QStringLiteral("198.19.0.1"));
        for (const Instance &i : options.instances) {
            const QString zone = i.zone.isEmpty() ? options.zone : i.zone;
            const QString path = QStringLiteral("zones/%1/instances/%2").arg(zone, i.name);
            QJsonObject nic{{QStringLiteral("kind"), QStringLiteral("compute#networkInterface")},
                            {QStringLiteral("name"), QStringLiteral("nic0")},
                            {QStringLiteral("network"),
                             link(QStringLiteral("global/networks/") + options.network)},
                            {QStringLiteral("networkIP"), i.internalIp},
                            {QStringLiteral("fingerprint"), newFingerprint()}};
            if (!i.externalIp.isEmpty()) {
                nic.insert(QStringLiteral("accessConfigs"),
                           QJsonArray{QJsonObject{
                               {QStringLiteral("kind"), QStringLiteral("compute#accessConfig")},
                               {QStringLiteral("type"), QStringLiteral("ONE_TO_ONE_NAT")},
                               {QStringLiteral("name"), QStringLiteral("External NAT")},
                               {QStringLiteral("natIP"), i.externalIp},
                               {QStringLiteral("networkTier"), QStringLiteral("PREMIUM")}}});
            }
            QJsonObject tags{{QStringLiteral("fingerprint"), newFingerprint()}};
            if (!i.tags.isEmpty())
                tags.insert(QStringLiteral("items"), QJsonArray::fromStringList(i.tags));
            resources.insert(
                path,
                QJsonObject{{QStringLiteral("kind"), QStringLiteral("compute#instance")},
                            {QStringLiteral("id"), newId()},
                            {QStringLiteral("creationTimestamp"), timestamp()},
                            {QStringLiteral("name"), i.name},
                            {QStringLiteral("tags"), tags},
                            {QStringLiteral("machineType"),
                             link(QStringLiteral("zones/%1/machineTypes/n1-standard-2").arg(zone))},
                            {QStringLiteral("status"), QStringLiteral("RUNNING")},
                            {QStringLiteral("zone"), link(QStringLiteral("zones/") + zone)},
                            {QStringLiteral("canIpForward"), false},
                            {QStringLiteral("networkInterfaces"), QJsonArray{nic}},
                            {QStringLiteral("selfLink"), link(path)}});
        }
        Q_UNUSED(regionPath)
    }

    QStringList zones() const
    {
        QStringList out{options.zone};
        for (const Instance &i : options.instances) {
            if (!i.zone.isEmpty() && !out.contains(i.zone))
                out << i.zone;
        }
        return out;
    }

    int staticAddressCount(const QString &region) const
    {
        return int(q->resourcePaths(QStringLiteral("regions/%1/addresses").arg(region)).size());
    }

    // --- handlers -----------------------------------------------------------------------------
    void handle(const HttpRequest &req, const HttpReply &reply);
    bool authorized(const HttpRequest &req) const;
    HttpResponse token(const HttpRequest &req);
    void insert(const HttpRequest &req, const HttpReply &reply, const QString &scope,
                const Collection &c);
    void remove(const HttpRequest &req, const HttpReply &reply, const QString &scope,
                const Collection &c, const QString &name);
    void poolAction(const HttpRequest &req, const HttpReply &reply, const QString &region,
                    const QString &pool, const QString &action);
    void setTags(const HttpRequest &req, const HttpReply &reply, const QString &zone,
                 const QString &name);
    void operation(const HttpRequest &req, const HttpReply &reply, const QString &scope,
                   const QString &name, bool wait);
    HttpResponse list(const QString &scope, const Collection &c) const;
    HttpResponse aggregatedInstances() const;
    HttpResponse region(const QString &name) const;
    HttpResponse zone(const QString &name) const;
};

bool GceServer::Private::authorized(const HttpRequest &req) const
{
    if (!options.requireAuth)
        return true;
    const QByteArray auth = req.header("Authorization");
    if (!auth.startsWith("Bearer "))
        return false;
    const QString token = QString::fromLatin1(auth.mid(7).trimmed());
    return tokens.value(token, 0) > QDateTime::currentMSecsSinceEpoch();
}

HttpResponse GceServer::Private::token(const HttpRequest &req)
{
    const QUrlQuery form(QString::fromUtf8(req.body));
    const QString grant = form.queryItemValue(QStringLiteral("grant_type"), QUrl::FullyDecoded);
    auto issue = [this] {
        const QString t = q->issueToken();
        return HttpResponse::json(
            200, QJsonObject{{QStringLiteral("access_token"), t},
                             {QStringLiteral("expires_in"), options.tokenLifetimeSec},
                             {QStringLiteral("token_type"), QStringLiteral("Bearer")}});
    };
    if (grant == QLatin1String("refresh_token")) {
        const QString refresh =
            form.queryItemValue(QStringLiteral("refresh_token"), QUrl::FullyDecoded);
        if (options.refreshToken.isEmpty() || refresh != options.refreshToken)
            return oauthError(QStringLiteral("invalid_grant"), QStringLiteral("Bad Request"));
        return issue();
    }
    if (grant != kJwtBearer)
        return oauthError(QStringLiteral("unsupported_grant_type"),
                          QStringLiteral("Invalid grant_type: ") + grant);
    const gce::jwt::Decoded jwt = gce::jwt::decode(
        form.queryItemValue(QStringLiteral("assertion"), QUrl::FullyDecoded).toLatin1());
    if (!jwt.ok || jwt.header.value(QStringLiteral("alg")).toString() != QLatin1String("RS256"))
        return oauthError(QStringLiteral("invalid_grant"), QStringLiteral("Invalid JWT."));
    if (!gce::jwt::verifyRs256(keys.publicPem, jwt.signedPart, jwt.signature))
        return oauthError(QStringLiteral("invalid_grant"),
                          QStringLiteral("Invalid JWT Signature."));
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const qint64 iat = qint64(jwt.claims.value(QStringLiteral("iat")).toDouble());
    const qint64 exp = qint64(jwt.claims.value(QStringLiteral("exp")).toDouble());
    if (iat > now + 300 || exp < now || exp - iat > 3600) {
        return oauthError(QStringLiteral("invalid_grant"),
                          QStringLiteral("Invalid JWT: Token must be a short-lived token (60 "
                                         "minutes) and in a reasonable timeframe. Check your iat "
                                         "and exp values in the JWT claim."));
    }
    if (jwt.claims.value(QStringLiteral("aud")).toString() != q->tokenUri().toString())
        return oauthError(QStringLiteral("invalid_grant"),
                          QStringLiteral("Invalid JWT: Failed audience check."));
    if (jwt.claims.value(QStringLiteral("iss")).toString() != options.serviceAccount)
        return oauthError(QStringLiteral("invalid_grant"),
                          QStringLiteral("Invalid grant: account not found"));
    if (!jwt.claims.value(QStringLiteral("scope")).toString().contains(QLatin1String("compute")))
        return oauthError(QStringLiteral("invalid_scope"),
                          QStringLiteral("Invalid OAuth scope or ID token audience provided."));
    return issue();
}

HttpResponse GceServer::Private::list(const QString &scope, const Collection &c) const
{
    const QString collectionPath = scope + QLatin1Char('/') + QLatin1String(c.name);
    QJsonArray items;
    for (const QString &p : q->resourcePaths(collectionPath))
        items.append(resources.value(p));
    QJsonObject o{{QStringLiteral("kind"), QLatin1String(c.listKind)},
                  {QStringLiteral("id"),
                   QStringLiteral("projects/%1/%2").arg(options.project, collectionPath)},
                  {QStringLiteral("selfLink"), link(collectionPath)}};
    if (!items.isEmpty()) // GCE leaves `items` out of an empty list
        o.insert(QStringLiteral("items"), items);
    return HttpResponse::json(200, o);
}

HttpResponse GceServer::Private::aggregatedInstances() const
{
    QJsonObject items;
    for (const QString &zone : zones()) {
        QJsonArray instances;
        for (const QString &p : q->resourcePaths(QStringLiteral("zones/%1/instances").arg(zone)))
            instances.append(resources.value(p));
        if (!instances.isEmpty())
            items.insert(QStringLiteral("zones/") + zone,
                         QJsonObject{{QStringLiteral("instances"), instances}});
    }
    return HttpResponse::json(
        200,
        QJsonObject{{QStringLiteral("kind"), QStringLiteral("compute#instanceAggregatedList")},
                    {QStringLiteral("id"),
                     QStringLiteral("projects/%1/aggregated/instances").arg(options.project)},
                    {QStringLiteral("items"), items},
                    {QStringLiteral("selfLink"), link(QStringLiteral("aggregated/instances"))}});
}

HttpResponse GceServer::Private::region(const QString &name) const
{
    if (name != options.region)
        return notFound(QStringLiteral("regions/") + name);
    QJsonArray zoneLinks;
    for (const QString &z : zones())
        zoneLinks.append(link(QStringLiteral("zones/") + z));
    auto quota = [](const char *metric, double limit, double usage) {
        return QJsonObject{{QStringLiteral("metric"), QLatin1String(metric)},
                           {QStringLiteral("limit"), limit},
                           {QStringLiteral("usage"), usage}};
    };
    const QJsonArray quotas{
        quota("STATIC_ADDRESSES", options.staticAddressQuota, staticAddressCount(name)),
        quota("IN_USE_ADDRESSES", 23, options.instances.size()),
        quota("FORWARDING_RULES", 15,
              q->resourcePaths(QStringLiteral("regions/%1/forwardingRules").arg(name)).size()),
        quota("TARGET_POOLS", 50,
              q->resourcePaths(QStringLiteral("regions/%1/targetPools").arg(name)).size())};
    return HttpResponse::json(
        200, QJsonObject{{QStringLiteral("kind"), QStringLiteral("compute#region")},
                         {QStringLiteral("id"), QStringLiteral("1000")},
                         {QStringLiteral("creationTimestamp"), timestamp()},
                         {QStringLiteral("name"), name},
                         {QStringLiteral("description"), name},
                         {QStringLiteral("status"), QStringLiteral("UP")},
                         {QStringLiteral("zones"), zoneLinks},
                         {QStringLiteral("quotas"), quotas},
                         {QStringLiteral("selfLink"), link(QStringLiteral("regions/") + name)}});
}

HttpResponse GceServer::Private::zone(const QString &name) const
{
    if (!zones().contains(name))
        return notFound(QStringLiteral("zones/") + name);
    return HttpResponse::json(
        200,
        QJsonObject{{QStringLiteral("kind"), QStringLiteral("compute#zone")},
                    {QStringLiteral("id"), QStringLiteral("2000")},
                    {QStringLiteral("creationTimestamp"), timestamp()},
                    {QStringLiteral("name"), name},
                    {QStringLiteral("description"), name},
                    {QStringLiteral("status"), QStringLiteral("UP")},
                    {QStringLiteral("region"), link(QStringLiteral("regions/") + options.region)},
                    {QStringLiteral("selfLink"), link(QStringLiteral("zones/") + name)}});
}

void GceServer::Private::insert(const HttpRequest &req, const HttpReply &reply,
                                const QString &scope, const Collection &c)
{
    // A requestId seen before: the same logical call again; answer with its operation.
    const QString requestId = req.queryValue(QStringLiteral("requestId"));
    if (!requestId.isEmpty() && byRequestId.contains(requestId)) {
        if (auto op = operations.value(byRequestId.value(requestId))) {
            answer(req, reply, *op);
            return;
        }
    }
    const QJsonObject in = QJsonDocument::fromJson(req.body).object();
    const QString name = in.value(QStringLiteral("name")).toString();
    static const QRegularExpression valid(QStringLiteral("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"));
    if (!valid.match(name).hasMatch()) {
        reply.send(
            gceError(400, QStringLiteral("invalid"),
                     QStringLiteral("Invalid value for field 'resource.name': '%1'. Must be "
                                    "a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'")
                         .arg(name)));
        return;
    }
    const QString path = scope + QLatin1Char('/') + QLatin1String(c.name) + QLatin1Char('/') + name;
    if (resources.contains(path)) {
        reply.send(gceError(409, QStringLiteral("alreadyExists"),
                            QStringLiteral("The resource 'projects/%1/%2' already exists")
                                .arg(options.project, path)));
        return;
    }
    QJsonObject o{{QStringLiteral("kind"), QLatin1String(c.kind)},
                  {QStringLiteral("id"), newId()},
                  {QStringLiteral("creationTimestamp"), timestamp()},
                  {QStringLiteral("name"), name},
                  {QStringLiteral("selfLink"), link(path)}};
    const QString description = in.value(QStringLiteral("description")).toString();
    if (!description.isEmpty())
        o.insert(QStringLiteral("description"), description);
    if (scope.startsWith(QLatin1String("regions/")))
        o.insert(QStringLiteral("region"), link(scope));
    const QString region = lastSegment(scope);
    const QString collectionName = QLatin1String(c.name);
    auto copy = [&](const char *key) {
        const QJsonValue v = in.value(QLatin1String(key));
        if (!v.isUndefined() && !v.isNull())
            o.insert(QLatin1String(key), v);
    };
    // Resolves a reference given as a URL or a relative path to a resource path, or empty.
    auto resolve = [this](const QString &ref) -> QString {
        const qsizetype at =
            ref.indexOf(QStringLiteral("projects/") + options.project + QLatin1Char('/'));
        const QString rel = at >= 0 ? ref.mid(at + 10 + options.project.size()) : ref;
        return resources.contains(rel) ? rel : QString();
    };

    if (collectionName == QLatin1String("addresses")) {
        if (staticAddressCount(region) >= options.staticAddressQuota) {
            const QString message = QStringLiteral("Quota 'STATIC_ADDRESSES' exceeded.  Limit: "
                                                   "%1.0 in region %2.")
                                        .arg(options.staticAddressQuota)
                                        .arg(region);
            if (!options.quotaAsFailedOperation) {
                reply.send(gceError(403, QStringLiteral("quotaExceeded"), message,
                                    QStringLiteral("usageLimits")));
                return;
            }
            auto op = startOperation(scope, QStringLiteral("insert"), path, {}, requestId, {});
            op->error = QJsonObject{
                {QStringLiteral("errors"),
                 QJsonArray{QJsonObject{
                     {QStringLiteral("code"), QStringLiteral("QUOTA_EXCEEDED")},
                     {QStringLiteral("message"), message},
                     {QStringLiteral("errorDetails"),
                      QJsonArray{QJsonObject{
                          {QStringLiteral("quotaInfo"),
                           QJsonObject{
                               {QStringLiteral("metricName"),
                                QStringLiteral("compute.googleapis.com/static_addresses")},
                               {QStringLiteral("limitName"),
                                QStringLiteral("STATIC-ADDRESSES-per-project-region")},
                               {QStringLiteral("dimensions"),
                                QJsonObject{{QStringLiteral("region"), region}}},
                               {QStringLiteral("limit"), options.staticAddressQuota}}}}}}}}}};
            op->httpErrorStatusCode = 403;
            op->httpErrorMessage = QStringLiteral("FORBIDDEN");
            answer(req, reply, *op);
            return;
        }
        QString address = in.value(QStringLiteral("address")).toString();
        if (address.isEmpty())
            address = options.externalPrefix +
                      QString::number(options.firstExternalHost + int(nextExternal++));
        o.insert(QStringLiteral("address"), address);
        o.insert(QStringLiteral("status"), QStringLiteral("RESERVED"));
        o.insert(QStringLiteral("addressType"), QStringLiteral("EXTERNAL"));
        o.insert(QStringLiteral("networkTier"), QStringLiteral("PREMIUM"));
    } else if (collectionName == QLatin1String("targetPools")) {
        copy("instances");
        copy("healthChecks");
        o.insert(QStringLiteral("sessionAffinity"),
                 in.value(QStringLiteral("sessionAffinity")).toString(QStringLiteral("NONE")));
    } else if (collectionName == QLatin1String("forwardingRules")) {
        const QString target = in.value(QStringLiteral("target")).toString();
        const QString targetPath = resolve(target);
        if (targetPath.isEmpty()) {
            reply.send(notFound(target.isEmpty()
                                    ? QStringLiteral("target")
                                    : target.mid(target.indexOf(QLatin1String("regions/")))));
            return;
        }
        QString ip = in.value(QStringLiteral("IPAddress")).toString();
        QString addressPath;
        for (const QString &p :
             q->resourcePaths(QStringLiteral("regions/%1/addresses").arg(region))) {
            if (resources.value(p).value(QStringLiteral("address")).toString() == ip ||
                link(p) == ip)
                addressPath = p;
        }
        if (!addressPath.isEmpty())
            ip = resources.value(addressPath).value(QStringLiteral("address")).toString();
        if (ip.isEmpty()) // ephemeral
            ip = options.externalPrefix +
                 QString::number(options.firstExternalHost + int(nextExternal++));
        o.insert(QStringLiteral("IPAddress"), ip);
        o.insert(QStringLiteral("IPProtocol"),
                 in.value(QStringLiteral("IPProtocol")).toString(QStringLiteral("TCP")));
        o.insert(QStringLiteral("portRange"),
                 in.value(QStringLiteral("portRange")).toString(QStringLiteral("1-65535")));
        o.insert(QStringLiteral("target"), link(targetPath));
        o.insert(QStringLiteral("loadBalancingScheme"), QStringLiteral("EXTERNAL"));
        o.insert(QStringLiteral("networkTier"), QStringLiteral("PREMIUM"));
        o.insert(QStringLiteral("fingerprint"), newFingerprint());
        if (!addressPath.isEmpty()) {
            const QString userLink = link(path);
            commit(req, reply, scope, QStringLiteral("insert"), path,
                   [this, path, o, addressPath, userLink] {
                       resources.insert(path, o);
                       QJsonObject a = resources.value(addressPath);
                       a.insert(QStringLiteral("status"), QStringLiteral("IN_USE"));
                       a.insert(QStringLiteral("users"), QJsonArray{userLink});
                       resources.insert(addressPath, a);
                   });
            return;
        }
    } else if (collectionName == QLatin1String("firewalls")) {
        QString network =
            in.value(QStringLiteral("network")).toString(QStringLiteral("global/networks/default"));
        const QString networkPath = resolve(network);
        if (networkPath.isEmpty()) {
            reply.send(notFound(network.mid(network.indexOf(QLatin1String("global/")))));
            return;
        }
        o.insert(QStringLiteral("network"), link(networkPath));
        copy("allowed");
        copy("denied");
        copy("sourceTags");
        copy("targetTags");
        copy("destinationRanges");
        if (in.contains(QStringLiteral("sourceRanges")))
            copy("sourceRanges");
        else if (!in.contains(QStringLiteral("sourceTags")))
            o.insert(QStringLiteral("sourceRanges"), QJsonArray{QStringLiteral("0.0.0.0/0")});
        o.insert(QStringLiteral("priority"), in.value(QStringLiteral("priority")).toInt(1000));
        o.insert(QStringLiteral("direction"),
                 in.value(QStringLiteral("direction")).toString(QStringLiteral("INGRESS")));
        o.insert(QStringLiteral("disabled"), in.value(QStringLiteral("disabled")).toBool());
    } else if (collectionName == QLatin1String("httpHealthChecks")) {
        o.insert(QStringLiteral("port"), in.value(QStringLiteral("port")).toInt(80));
        o.insert(QStringLiteral("requestPath"),
                 in.value(QStringLiteral("requestPath")).toString(QStringLiteral("/")));
        copy("host");
        o.insert(QStringLiteral("checkIntervalSec"),
                 in.value(QStringLiteral("checkIntervalSec")).toInt(5));
        o.insert(QStringLiteral("timeoutSec"), in.value(QStringLiteral("timeoutSec")).toInt(5));
        o.insert(QStringLiteral("unhealthyThreshold"),
                 in.value(QStringLiteral("unhealthyThreshold")).toInt(2));
        o.insert(QStringLiteral("healthyThreshold"),
                 in.value(QStringLiteral("healthyThreshold")).toInt(2));
    } else {
        reply.send(
            gceError(405, QStringLiteral("badRequest"), QStringLiteral("Method not allowed")));
        return;
    }
    commit(req, reply, scope, QStringLiteral("insert"), path,
           [this, path, o] { resources.insert(path, o); });
}

void GceServer::Private::remove(const HttpRequest &req, const HttpReply &reply,
                                const QString &scope, const Collection &c, const QString &name)
{
    const QString requestId = req.queryValue(QStringLiteral("requestId"));
    if (!requestId.isEmpty() && byRequestId.contains(requestId)) {
        if (auto op = operations.value(byRequestId.value(requestId))) {
            answer(req, reply, *op);
            return;
        }
    }
    const QString path = scope + QLatin1Char('/') + QLatin1String(c.name) + QLatin1Char('/') + name;
    if (!resources.contains(path)) {
        reply.send(notFound(path));
        return;
    }
    const QString self = link(path);
    auto inUse = [&](const QString &by) {
        reply.send(gceError(400, QStringLiteral("resourceInUseByAnotherResource"),
                            QStringLiteral("The %1 resource 'projects/%2/%3' is already being "
                                           "used by 'projects/%2/%4'")
                                .arg(QString::fromLatin1(c.kind).mid(8), options.project, path,
                                     by.mid(by.indexOf(QLatin1String("projects/")) + 10 +
                                            options.project.size()))));
    };
    const QString collectionName = QLatin1String(c.name);
    if (collectionName == QLatin1String("instances") ||
        collectionName == QLatin1String("networks")) {
        reply.send(gceError(405, QStringLiteral("badRequest"),
                            QStringLiteral("Not supported by the sandbox")));
        return;
    }
    for (auto it = resources.cbegin(); it != resources.cend(); ++it) {
        const QJsonObject &r = it.value();
        if (collectionName == QLatin1String("targetPools") &&
            it.key().contains(QLatin1String("/forwardingRules/")) &&
            r.value(QStringLiteral("target")).toString() == self) {
            inUse(r.value(QStringLiteral("selfLink")).toString());
            return;
        }
        if (collectionName == QLatin1String("httpHealthChecks") &&
            it.key().contains(QLatin1String("/targetPools/")) &&
            r.value(QStringLiteral("healthChecks")).toArray().contains(self)) {
            inUse(r.value(QStringLiteral("selfLink")).toString());
            return;
        }
    }
    if (collectionName == QLatin1String("addresses")) {
        const QJsonArray users = resources.value(path).value(QStringLiteral("users")).toArray();
        if (!users.isEmpty()) {
            inUse(users.first().toString());
            return;
        }
    }
    commit(
        req, reply, scope, QStringLiteral("delete"), path,
        [this, path, self] {
            const QJsonObject gone = resources.take(path);
            // A deleted forwarding rule frees its reserved address.
            if (path.contains(QLatin1String("/forwardingRules/"))) {
                for (auto it = resources.begin(); it != resources.end(); ++it) {
                    if (!it.key().contains(QLatin1String("/addresses/")))
                        continue;
                    if (it.value().value(QStringLiteral("users")).toArray().contains(self)) {
                        it.value().remove(QStringLiteral("users"));
                        it.value().insert(QStringLiteral("status"), QStringLiteral("RESERVED"));
                    }
                }
            }
            Q_UNUSED(gone)
        },
        true);
}

void GceServer::Private::poolAction(const HttpRequest &req, const HttpReply &reply,
                                    const QString &region, const QString &pool,
                                    const QString &action)
{
    const QString path = QStringLiteral("regions/%1/targetPools/%2").arg(region, pool);
    if (!resources.contains(path)) {
        reply.send(notFound(path));
        return;
    }
    const QJsonObject in = QJsonDocument::fromJson(req.body).object();
    auto toPath = [this](const QString &ref) {
        const QString marker = QStringLiteral("projects/") + options.project + QLatin1Char('/');
        const qsizetype at = ref.indexOf(marker);
        return at >= 0 ? ref.mid(at + marker.size()) : ref;
    };
    if (action == QLatin1String("getHealth")) {
        const QString instance = in.value(QStringLiteral("instance")).toString();
        const QJsonObject p = resources.value(path);
        const QString instancePath = toPath(instance);
        if (!p.value(QStringLiteral("instances")).toArray().contains(link(instancePath))) {
            reply.send(gceError(400, QStringLiteral("invalid"),
                                QStringLiteral("Invalid value for field 'resource.instance': "
                                               "'%1'. The instance is not in the target pool.")
                                    .arg(instance)));
            return;
        }
        const QJsonObject inst = resources.value(instancePath);
        const bool checked = !p.value(QStringLiteral("healthChecks")).toArray().isEmpty();
        const bool ok =
            !checked || healthy.value(inst.value(QStringLiteral("name")).toString(), true);
        QJsonArray statuses;
        // One entry per forwarding rule that points at the pool, as GCE reports it.
        for (auto it = resources.cbegin(); it != resources.cend(); ++it) {
            if (!it.key().contains(QLatin1String("/forwardingRules/")) ||
                it.value().value(QStringLiteral("target")).toString() != link(path))
                continue;
            statuses.append(QJsonObject{
                {QStringLiteral("instance"), link(instancePath)},
                {QStringLiteral("ipAddress"), it.value().value(QStringLiteral("IPAddress"))},
                {QStringLiteral("healthState"),
                 ok ? QStringLiteral("HEALTHY") : QStringLiteral("UNHEALTHY")}});
        }
        QJsonObject body{
            {QStringLiteral("kind"), QStringLiteral("compute#targetPoolInstanceHealth")}};
        if (!statuses.isEmpty())
            body.insert(QStringLiteral("healthStatus"), statuses);
        reply.send(HttpResponse::json(200, body));
        return;
    }
    const QString requestId = req.queryValue(QStringLiteral("requestId"));
    if (!requestId.isEmpty() && byRequestId.contains(requestId)) {
        if (auto op = operations.value(byRequestId.value(requestId))) {
            answer(req, reply, *op);
            return;
        }
    }
    const QString scope = QStringLiteral("regions/") + region;
    if (action == QLatin1String("addHealthCheck") || action == QLatin1String("removeHealthCheck")) {
        const bool add = action == QLatin1String("addHealthCheck");
        QStringList checks;
        for (const QJsonValue &v : in.value(QStringLiteral("healthChecks")).toArray()) {
            const QString hc = toPath(v.toObject().value(QStringLiteral("healthCheck")).toString());
            if (!resources.contains(hc)) {
                reply.send(notFound(hc));
                return;
            }
            checks << link(hc);
        }
        commit(req, reply, scope, action, path, [this, path, checks, add] {
            QJsonObject p = resources.value(path);
            QJsonArray a = p.value(QStringLiteral("healthChecks")).toArray();
            for (const QString &c : checks) {
                if (add && !a.contains(c))
                    a.append(c);
                for (qsizetype k = a.size() - 1; !add && k >= 0; --k) {
                    if (a.at(k).toString() == c)
                        a.removeAt(k);
                }
            }
            if (a.isEmpty())
                p.remove(QStringLiteral("healthChecks"));
            else
                p.insert(QStringLiteral("healthChecks"), a);
            resources.insert(path, p);
        });
        return;
    }
    QStringList instances, missing;
    for (const QJsonValue &v : in.value(QStringLiteral("instances")).toArray()) {
        const QString ip = toPath(v.toObject().value(QStringLiteral("instance")).toString());
        if (resources.contains(ip) && ip.contains(QLatin1String("/instances/")))
            instances << link(ip);
        else
            missing << ip;
    }
    const bool add = action == QLatin1String("addInstance");
    if (!missing.isEmpty()) {
        // An instance that does not exist fails the operation, not the request.
        auto op = startOperation(scope, action, path,
                                 resources.value(path).value(QStringLiteral("id")).toString(),
                                 requestId, {});
        op->error = QJsonObject{
            {QStringLiteral("errors"),
             QJsonArray{QJsonObject{{QStringLiteral("code"), QStringLiteral("RESOURCE_NOT_FOUND")},
                                    {QStringLiteral("message"),
                                     QStringLiteral("The resource 'projects/%1/%2' was not found")
                                         .arg(options.project, missing.first())}}}}};
        op->httpErrorStatusCode = 404;
        op->httpErrorMessage = QStringLiteral("NOT FOUND");
        answer(req, reply, *op);
        return;
    }
    commit(req, reply, scope, action, path, [this, path, instances, add] {
        QJsonObject p = resources.value(path);
        QJsonArray a = p.value(QStringLiteral("instances")).toArray();
        for (const QString &i : instances) {
            if (add && !a.contains(i))
                a.append(i);
            if (!add) {
                for (qsizetype k = a.size() - 1; k >= 0; --k) {
                    if (a.at(k).toString() == i)
                        a.removeAt(k);
                }
            }
        }
        if (a.isEmpty())
            p.remove(QStringLiteral("instances"));
        else
            p.insert(QStringLiteral("instances"), a);
        resources.insert(path, p);
    });
}

void GceServer::Private::setTags(const HttpRequest &req, const HttpReply &reply,
                                 const QString &zone, const QString &name)
{
    const QString requestId = req.queryValue(QStringLiteral("requestId"));
    if (!requestId.isEmpty() && byRequestId.contains(requestId)) {
        if (auto op = operations.value(byRequestId.value(requestId))) {
            answer(req, reply, *op);
            return;
        }
    }
    const QString path = QStringLiteral("zones/%1/instances/%2").arg(zone, name);
    if (!resources.contains(path)) {
        reply.send(notFound(path));
        return;
    }
    const QJsonObject in = QJsonDocument::fromJson(req.body).object();
    const QString current = resources.value(path)
                                .value(QStringLiteral("tags"))
                                .toObject()
                                .value(QStringLiteral("fingerprint"))
                                .toString();
    if (in.value(QStringLiteral("fingerprint")).toString() != current) {
        reply.send(
            gceError(412, QStringLiteral("conditionNotMet"), QStringLiteral("Invalid fingerprint."),
                     QStringLiteral("global"),
                     QJsonObject{{QStringLiteral("location"), QStringLiteral("If-Match")},
                                 {QStringLiteral("locationType"), QStringLiteral("header")}}));
        return;
    }
    const QJsonArray items = in.value(QStringLiteral("items")).toArray();
    commit(req, reply, QStringLiteral("zones/") + zone, QStringLiteral("setTags"), path,
           [this, path, items] {
               QJsonObject i = resources.value(path);
               QJsonObject tags{{QStringLiteral("fingerprint"), newFingerprint()}};
               if (!items.isEmpty())
                   tags.insert(QStringLiteral("items"), items);
               i.insert(QStringLiteral("tags"), tags);
               resources.insert(path, i);
           });
}

void GceServer::Private::operation(const HttpRequest &, const HttpReply &reply,
                                   const QString &scope, const QString &name, bool wait)
{
    const QString path = scope + QStringLiteral("/operations/") + name;
    auto op = operations.value(path);
    if (!op) {
        reply.send(notFound(path));
        return;
    }
    if (!wait || op->done) {
        reply.send(HttpResponse::json(200, operationJson(*op)));
        return;
    }
    // /wait holds the request until DONE or until its deadline, then answers the state.
    op->waiters.append(reply);
    std::weak_ptr<Operation> weak = op;
    QTimer::singleShot(options.waitTimeoutMs, q, [this, weak, reply] {
        if (auto o = weak.lock()) {
            if (reply.isValid())
                reply.send(HttpResponse::json(200, operationJson(*o)));
        }
    });
}

void GceServer::Private::handle(const HttpRequest &req, const HttpReply &reply)
{
    if (!authorized(req)) {
        reply.send(
            gceError(401, QStringLiteral("authError"),
                     QStringLiteral("Request had invalid authentication credentials. "
                                    "Expected OAuth 2 access token, login cookie or other "
                                    "valid authentication credential."),
                     QStringLiteral("global"),
                     QJsonObject{{QStringLiteral("location"), QStringLiteral("Authorization")},
                                 {QStringLiteral("locationType"), QStringLiteral("header")}}));
        return;
    }
    const QString project = req.pathParam(QStringLiteral("project"));
    if (project != options.project) {
        reply.send(
            gceError(404, QStringLiteral("notFound"),
                     QStringLiteral("The resource 'projects/%1' was not found").arg(project)));
        return;
    }
    const QStringList s = req.pathParam(QStringLiteral("rest")).split(QLatin1Char('/'));
    const QByteArray m = req.method;
    const bool get = m == "GET", post = m == "POST", del = m == "DELETE";
    const qsizetype n = s.size();
    auto bad = [&] {
        reply.send(gceError(404, QStringLiteral("notFound"),
                            QStringLiteral("The requested URL was not found on this server.")));
    };
    if (n >= 2 && (s[0] == QLatin1String("regions") || s[0] == QLatin1String("zones"))) {
        const bool isRegion = s[0] == QLatin1String("regions");
        const QString scope = s[0] + QLatin1Char('/') + s[1];
        if (n == 2 && get) {
            reply.send(isRegion ? region(s[1]) : zone(s[1]));
            return;
        }
        if (isRegion ? s[1] != options.region : !zones().contains(s[1])) {
            reply.send(notFound(scope));
            return;
        }
        if (n >= 4 && s[2] == QLatin1String("operations")) {
            const bool wait = n == 5 && s[4] == QLatin1String("wait") && post;
            if ((n == 4 && get) || wait)
                operation(req, reply, scope, s[3], wait);
            else
                bad();
            return;
        }
        const Collection *c = collection(s[2]);
        const bool allowed =
            c && (isRegion ? QStringList{QStringLiteral("addresses"), QStringLiteral("targetPools"),
                                         QStringLiteral("forwardingRules")}
                                 .contains(s[2])
                           : s[2] == QLatin1String("instances"));
        if (!allowed) {
            bad();
            return;
        }
        if (n == 3 && get) {
            reply.send(list(scope, *c));
        } else if (n == 3 && post && isRegion) {
            insert(req, reply, scope, *c);
        } else if (n == 4 && get) {
            const QString path = scope + QLatin1Char('/') + s[2] + QLatin1Char('/') + s[3];
            reply.send(resources.contains(path) ? HttpResponse::json(200, resources.value(path))
                                                : notFound(path));
        } else if (n == 4 && del && isRegion) {
            remove(req, reply, scope, *c, s[3]);
        } else if (n == 5 && post && s[2] == QLatin1String("targetPools")) {
            poolAction(req, reply, s[1], s[3], s[4]);
        } else if (n == 5 && post && s[2] == QLatin1String("instances") &&
                   s[4] == QLatin1String("setTags")) {
            setTags(req, reply, s[1], s[3]);
        } else {
            bad();
        }
        return;
    }
    if (n == 2 && s[0] == QLatin1String("aggregated") && s[1] == QLatin1String("instances") &&
        get) {
        reply.send(aggregatedInstances());
        return;
    }
    if (n >= 2 && s[0] == QLatin1String("global")) {
        if (n >= 3 && s[1] == QLatin1String("operations")) {
            const bool wait = n == 4 && s[3] == QLatin1String("wait") && post;
            if ((n == 3 && get) || wait)
                operation(req, reply, QStringLiteral("global"), s[2], wait);
            else
                bad();
            return;
        }
        const Collection *c = collection(s[1]);
        if (!c || !QStringList{QStringLiteral("networks"), QStringLiteral("firewalls"),
                               QStringLiteral("httpHealthChecks")}
                       .contains(s[1])) {
            bad();
            return;
        }
        const bool readOnly = s[1] == QLatin1String("networks");
        if (n == 2 && get) {
            reply.send(list(QStringLiteral("global"), *c));
        } else if (n == 2 && post && !readOnly) {
            insert(req, reply, QStringLiteral("global"), *c);
        } else if (n == 3 && get) {
            const QString path = QStringLiteral("global/") + s[1] + QLatin1Char('/') + s[2];
            reply.send(resources.contains(path) ? HttpResponse::json(200, resources.value(path))
                                                : notFound(path));
        } else if (n == 3 && del && !readOnly) {
            remove(req, reply, QStringLiteral("global"), *c, s[2]);
        } else {
            bad();
        }
        return;
    }
    bad();
}

// ---------------------------------------------------------------------------------------------

GceServer::GceServer(QObject *parent) : GceServer(Options(), parent) {}

GceServer::GceServer(const Options &options, QObject *parent)
    : QObject(parent), d(std::make_unique<Private>())
{
    d->q = this;
    d->options = options;
    d->http = new HttpServer(this);
    d->keys = gce::jwt::generateRsaKeyPair();
    d->keyId = QUuid::createUuid().toString(QUuid::Id128);
    connect(d->http, &HttpServer::responseSent, this, &GceServer::requestServed);
}

GceServer::~GceServer() = default;

bool GceServer::listen(const QHostAddress &address, quint16 port)
{
    if (!d->http->listen(address, port))
        return false;
    d->http->route("POST", QStringLiteral("/token"),
                   HttpServer::SimpleHandler([this](const HttpRequest &r) { return d->token(r); }));
    d->http->route("*", d->options.prefix + QStringLiteral("/projects/{project}/{rest*}"),
                   HttpServer::Handler([this](const HttpRequest &r, const HttpReply &reply) {
                       d->handle(r, reply);
                   }));
    d->seed();
    return true;
}

quint16 GceServer::port() const
{
    return d->http->port();
}

QUrl GceServer::url() const
{
    QUrl u;
    u.setScheme(QStringLiteral("http"));
    u.setHost(d->http->address().toString());
    u.setPort(d->http->port());
    return u;
}

QUrl GceServer::endpoint() const
{
    return QUrl(url().toString() + d->options.prefix + QLatin1Char('/'));
}

QUrl GceServer::tokenUri() const
{
    return QUrl(url().toString() + QStringLiteral("/token"));
}

GceServer::Options &GceServer::options()
{
    return d->options;
}

HttpServer *GceServer::httpServer() const
{
    return d->http;
}

QByteArray GceServer::serviceAccountKeyJson() const
{
    const QJsonObject key{{QStringLiteral("type"), QStringLiteral("service_account")},
                          {QStringLiteral("project_id"), d->options.project},
                          {QStringLiteral("private_key_id"), d->keyId},
                          {QStringLiteral("private_key"), QString::fromLatin1(d->keys.privatePem)},
                          {QStringLiteral("client_email"), d->options.serviceAccount},
                          {QStringLiteral("client_id"), QStringLiteral("100000000000000000001")},
                          {QStringLiteral("auth_uri"), url().toString() + QStringLiteral("/auth")},
                          {QStringLiteral("token_uri"), tokenUri().toString()}};
    return QJsonDocument(key).toJson();
}

bool GceServer::writeServiceAccountKey(const QString &path) const
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    f.write(serviceAccountKeyJson());
    return f.commit();
}

QByteArray GceServer::publicKeyPem() const
{
    return d->keys.publicPem;
}

QString GceServer::issueToken()
{
    const QString t = QStringLiteral("ya29.sandbox-") + QUuid::createUuid().toString(QUuid::Id128);
    d->tokens.insert(t, QDateTime::currentMSecsSinceEpoch() +
                            qint64(d->options.tokenLifetimeSec) * 1000);
    return t;
}

void GceServer::setObserver(GceObserver *observer)
{
    d->observer = observer;
}

void GceServer::dropReplyAfterCommit(const QString &pathContains, int count)
{
    d->dropFaults.insert(pathContains, count);
}

void GceServer::setInstanceTags(const QString &instance, const QStringList &tags)
{
    for (auto it = d->resources.begin(); it != d->resources.end(); ++it) {
        if (!it.key().contains(QLatin1String("/instances/")) || lastSegment(it.key()) != instance)
            continue;
        QJsonObject t{{QStringLiteral("fingerprint"), newFingerprint()}};
        if (!tags.isEmpty())
            t.insert(QStringLiteral("items"), QJsonArray::fromStringList(tags));
        it.value().insert(QStringLiteral("tags"), t);
        d->notify(it.key(), false, it.value());
    }
}

void GceServer::setInstanceHealthy(const QString &instance, bool healthy)
{
    d->healthy.insert(instance, healthy);
}

QJsonObject GceServer::resource(const QString &path) const
{
    return d->resources.value(path);
}

QStringList GceServer::resourcePaths(const QString &collectionPath) const
{
    QStringList out;
    const QString prefix = collectionPath + QLatin1Char('/');
    for (auto it = d->resources.lowerBound(prefix); it != d->resources.cend(); ++it) {
        if (!it.key().startsWith(prefix))
            break;
        if (!it.key().mid(prefix.size()).contains(QLatin1Char('/')))
            out << it.key();
    }
    return out;
}

int GceServer::mutationCount() const
{
    return d->mutations;
}

} // namespace pier::sandbox
