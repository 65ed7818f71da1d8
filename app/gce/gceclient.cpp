#include "gce/gceclient.h"

#include "core/networkproxy.h"
#include "gce/credentials.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrlQuery>
#include <QUuid>
#include <memory>

Q_LOGGING_CATEGORY(lcGce, "pier.gce", QtInfoMsg)

namespace pier::gce {

namespace {

QList<QJsonObject> objects(const QJsonArray &a)
{
    QList<QJsonObject> out;
    for (const QJsonValue &v : a)
        out << v.toObject();
    return out;
}

} // namespace

GceReply::~GceReply()
{
    if (m_network)
        m_network->abort();
}

void GceReply::abort()
{
    if (m_finished)
        return;
    if (m_network)
        m_network->abort();
    complete(ApiError::cancelled());
}

void GceReply::complete(const ApiError &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    emit finished();
}

QList<GceAddress> GceReply::addresses() const
{
    QList<GceAddress> out;
    for (const QJsonObject &o : objects(m_items))
        out << parseAddress(o);
    return out;
}

QList<GceInstance> GceReply::instances() const
{
    QList<GceInstance> out;
    for (const QJsonObject &o : objects(m_items))
        out << parseInstance(o);
    return out;
}

QList<GceNetwork> GceReply::networks() const
{
    QList<GceNetwork> out;
    for (const QJsonObject &o : objects(m_items))
        out << parseNetwork(o);
    return out;
}

QList<GceFirewall> GceReply::firewalls() const
{
    QList<GceFirewall> out;
    for (const QJsonObject &o : objects(m_items))
        out << parseFirewall(o);
    return out;
}

// ---------------------------------------------------------------------------------------------

GceClient::GceClient(const GceConfig &config, QObject *parent) : GceClient(config, nullptr, parent)
{
}

GceClient::GceClient(const GceConfig &config, QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent), m_config(config), m_nam(nam ? nam : new QNetworkAccessManager(this))
{
    if (!m_config.socksProxy.isEmpty())
        applySocksProxy(m_nam, m_config.socksProxy);
}

GceClient::~GceClient()
{
    const QList<GceReply *> replies = findChildren<GceReply *>(Qt::FindDirectChildrenOnly);
    for (GceReply *r : replies)
        r->abort();
}

QString GceClient::newRequestId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

QUrl GceClient::projectUrl(const QString &path) const
{
    QString base = m_config.endpoint.toString();
    if (!base.endsWith(QLatin1Char('/')))
        base += QLatin1Char('/');
    return QUrl(base + QStringLiteral("projects/") +
                QString::fromUtf8(QUrl::toPercentEncoding(m_config.project)) + QLatin1Char('/') +
                path);
}

GceReply *GceClient::newReply()
{
    return new GceReply(this);
}

void GceClient::send(GceReply *reply, const Http &http, HttpDone done, int retry,
                     bool refreshedToken)
{
    QPointer<GceReply> guard(reply);
    if (!m_tokens) {
        sendWithToken(reply, http, {}, std::move(done), retry, refreshedToken);
        return;
    }
    m_tokens->accessToken([this, guard, http, done, retry, refreshedToken](const QString &token,
                                                                           const ApiError &error) {
        if (!guard || guard->isFinished())
            return;
        if (error) {
            done(error, 0, {});
            return;
        }
        sendWithToken(guard, http, token, done, retry, refreshedToken);
    });
}

void GceClient::sendWithToken(GceReply *reply, const Http &http, const QString &token,
                              HttpDone done, int retry, bool refreshedToken)
{
    QNetworkRequest request(http.url);
    request.setRawHeader(QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json"));
    if (!http.body.isEmpty() || http.verb == "POST")
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
    if (!token.isEmpty())
        request.setRawHeader(QByteArrayLiteral("Authorization"), "Bearer " + token.toLatin1());
    request.setTransferTimeout(http.timeoutMs > 0 ? http.timeoutMs : m_config.timeoutMs);
    QNetworkReply *net = nullptr;
    if (http.verb == "GET")
        net = m_nam->get(request);
    else if (http.verb == "DELETE")
        net = m_nam->deleteResource(request);
    else
        net = m_nam->post(request, http.body);
    ++reply->m_attempts;
    reply->m_network = net;
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    QPointer<GceReply> guard(reply);
    connect(net, &QNetworkReply::finished, this,
            [this, guard, net, http, token, done, retry, refreshedToken, clock] {
                net->deleteLater();
                if (!guard || guard->isFinished())
                    return;
                const int status = net->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                const QByteArray body = net->readAll();
                // The URL is logged without the token; the query holds only requestId/filters.
                qCDebug(lcGce).noquote() << http.verb << http.url.toDisplayString() << status
                                         << clock->elapsed() << "ms";
                ApiError error;
                if (status == 0) {
                    error = gceErrorFrom(0, {}, m_config.project, net->errorString());
                    if (net->error() == QNetworkReply::OperationCanceledError ||
                        net->error() == QNetworkReply::TimeoutError) {
                        error.kind = ApiError::Kind::Timeout;
                        error.message = QStringLiteral("Compute Engine did not answer in time.");
                    }
                } else {
                    error = gceErrorFrom(status, body, m_config.project);
                }
                if (status == 401 && m_tokens && !refreshedToken) {
                    // An expired or revoked token: get a fresh one once.
                    m_tokens->invalidate();
                    send(guard, http, done, retry, true);
                    return;
                }
                if (error && error.isTransient() && http.retryable && retry < m_config.maxRetries) {
                    const int delay = qMin(8000, m_config.retryBaseDelayMs * (1 << retry));
                    qCDebug(lcGce) << "retrying in" << delay << "ms:" << error.message;
                    QTimer::singleShot(delay, guard, [this, guard, http, done, retry] {
                        if (guard && !guard->isFinished())
                            send(guard, http, done, retry + 1);
                    });
                    return;
                }
                guard->m_status = status;
                done(error, status, body);
            });
}

GceReply *GceClient::get(const QString &path, const QUrlQuery &query)
{
    GceReply *reply = newReply();
    QUrl url = projectUrl(path);
    url.setQuery(query);
    // Lists follow nextPageToken; a single resource has none and ends at once.
    QTimer::singleShot(0, reply, [this, reply, url] { fetchPages(reply, url, {}); });
    return reply;
}

void GceClient::fetchPages(GceReply *reply, const QUrl &base, const QString &pageToken)
{
    QUrl url = base;
    if (!pageToken.isEmpty()) {
        QUrlQuery q(url);
        q.addQueryItem(QStringLiteral("pageToken"), pageToken);
        url.setQuery(q);
    }
    send(reply, {"GET", url, {}, true, 0},
         [this, reply, base](const ApiError &error, int, const QByteArray &body) {
             if (error) {
                 reply->complete(error);
                 return;
             }
             const QJsonDocument doc = QJsonDocument::fromJson(body);
             if (!doc.isObject()) {
                 ApiError e;
                 e.kind = ApiError::Kind::BadReply;
                 e.message = QStringLiteral("Compute Engine's answer is not JSON.");
                 reply->complete(e);
                 return;
             }
             reply->m_json = doc.object();
             const QJsonValue items = reply->m_json.value(QLatin1String("items"));
             if (items.isArray()) {
                 for (const QJsonValue &v : items.toArray())
                     reply->m_items.append(v);
             } else if (items.isObject()) {
                 // aggregatedList: {"zones/us-central1-a": {"instances": [...]}, ...}
                 const QJsonObject scopes = items.toObject();
                 for (auto it = scopes.begin(); it != scopes.end(); ++it) {
                     const QJsonObject scoped = it.value().toObject();
                     for (auto s = scoped.begin(); s != scoped.end(); ++s) {
                         if (s.value().isArray()) {
                             for (const QJsonValue &v : s.value().toArray())
                                 reply->m_items.append(v);
                         }
                     }
                 }
             }
             const QString next = reply->m_json.value(QLatin1String("nextPageToken")).toString();
             if (!next.isEmpty()) {
                 fetchPages(reply, base, next);
                 return;
             }
             reply->complete({});
         });
}

GceReply *GceClient::mutate(const QByteArray &verb, const QString &path, const QJsonObject &body)
{
    GceReply *reply = newReply();
    const QUrl url = projectUrl(path);
    const QByteArray data =
        verb == "DELETE" ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact);
    QTimer::singleShot(0, reply, [this, reply, verb, url, data] {
        sendMutation(reply, verb, url, data, [reply](const ApiError &e) { reply->complete(e); });
    });
    return reply;
}

void GceClient::sendMutation(GceReply *reply, const QByteArray &verb, const QUrl &base,
                             const QByteArray &body, std::function<void(const ApiError &)> done)
{
    // One requestId per logical call: every retry of this request sends the same one, so GCE
    // answers a retry with the first attempt's operation instead of acting twice.
    reply->m_requestId = newRequestId();
    QUrl url = base;
    QUrlQuery q(url);
    q.addQueryItem(QStringLiteral("requestId"), reply->m_requestId);
    url.setQuery(q);
    send(reply, {verb, url, body, true, 0},
         [this, reply, done](const ApiError &error, int, const QByteArray &data) {
             if (error) {
                 done(error);
                 return;
             }
             const QJsonObject json = QJsonDocument::fromJson(data).object();
             reply->m_json = json;
             const GceOperation op = parseOperation(json);
             if (op.name.isEmpty()) {
                 ApiError e;
                 e.kind = ApiError::Kind::BadReply;
                 e.message = QStringLiteral("Compute Engine did not answer with an operation.");
                 done(e);
                 return;
             }
             auto started = std::make_shared<QElapsedTimer>();
             started->start();
             follow(reply, op, true, [reply, done, started](const ApiError &e) {
                 qCDebug(lcGce) << "operation" << reply->m_operation.name << "done after"
                                << started->elapsed() << "ms";
                 done(e);
             });
         });
}

QUrl GceClient::operationUrl(const GceOperation &op, bool wait) const
{
    const QString scope = op.scope();
    QString path;
    if (scope == QLatin1String("zone"))
        path = QStringLiteral("zones/%1/operations/%2").arg(op.scopeName(), op.name);
    else if (scope == QLatin1String("region"))
        path = QStringLiteral("regions/%1/operations/%2").arg(op.scopeName(), op.name);
    else
        path = QStringLiteral("global/operations/%1").arg(op.name);
    if (wait)
        path += QStringLiteral("/wait");
    return projectUrl(path);
}

void GceClient::follow(GceReply *reply, const GceOperation &op, bool useWait,
                       std::function<void(const ApiError &)> done)
{
    reply->m_operation = op;
    if (op.isDone()) {
        done(operationError(op, m_config.project));
        return;
    }
    emit reply->operationProgress(op);
    // A POST to .../wait returns when the operation is DONE or after about two minutes; where
    // it is not offered (405/501, or a bare 404), poll operations get instead.
    const Http http = useWait
                          ? Http{"POST", operationUrl(op, true), {}, true, m_config.waitTimeoutMs}
                          : Http{"GET", operationUrl(op, false), {}, true, 0};
    auto issue = [this, reply, http, op, useWait, done] {
        send(reply, http,
             [this, reply, op, useWait, done](const ApiError &error, int status,
                                              const QByteArray &body) {
                 if (error) {
                     if (useWait && (status == 405 || status == 501 ||
                                     (status == 404 && error.reason.isEmpty()))) {
                         follow(reply, op, false, done);
                         return;
                     }
                     done(error);
                     return;
                 }
                 GceOperation next = parseOperation(QJsonDocument::fromJson(body).object());
                 if (next.name.isEmpty())
                     next = op;
                 follow(reply, next, useWait, done);
             });
    };
    if (useWait)
        issue();
    else
        QTimer::singleShot(m_config.pollIntervalMs, reply, issue);
}

// --- the calls ---------------------------------------------------------------------------------

GceReply *GceClient::getRegion(const QString &region)
{
    return get(QStringLiteral("regions/") + region);
}

GceReply *GceClient::getZone(const QString &zone)
{
    return get(QStringLiteral("zones/") + zone);
}

namespace {
QUrlQuery filterQuery(const QString &filter)
{
    QUrlQuery q;
    if (!filter.isEmpty())
        q.addQueryItem(QStringLiteral("filter"), filter);
    return q;
}
} // namespace

GceReply *GceClient::insertAddress(const QString &region, const GceAddress &address)
{
    return mutate("POST", QStringLiteral("regions/%1/addresses").arg(region), toJson(address));
}

GceReply *GceClient::getAddress(const QString &region, const QString &name)
{
    return get(QStringLiteral("regions/%1/addresses/%2").arg(region, name));
}

GceReply *GceClient::listAddresses(const QString &region, const QString &filter)
{
    return get(QStringLiteral("regions/%1/addresses").arg(region), filterQuery(filter));
}

GceReply *GceClient::deleteAddress(const QString &region, const QString &name)
{
    return mutate("DELETE", QStringLiteral("regions/%1/addresses/%2").arg(region, name), {});
}

GceReply *GceClient::insertTargetPool(const QString &region, const GceTargetPool &pool)
{
    return mutate("POST", QStringLiteral("regions/%1/targetPools").arg(region), toJson(pool));
}

GceReply *GceClient::getTargetPool(const QString &region, const QString &name)
{
    return get(QStringLiteral("regions/%1/targetPools/%2").arg(region, name));
}

namespace {
QJsonObject instanceRefs(const QStringList &urls)
{
    QJsonArray a;
    for (const QString &u : urls)
        a.append(QJsonObject{{QStringLiteral("instance"), u}});
    return {{QStringLiteral("instances"), a}};
}
} // namespace

GceReply *GceClient::addInstances(const QString &region, const QString &pool,
                                  const QStringList &instanceUrls)
{
    return mutate("POST", QStringLiteral("regions/%1/targetPools/%2/addInstance").arg(region, pool),
                  instanceRefs(instanceUrls));
}

GceReply *GceClient::removeInstances(const QString &region, const QString &pool,
                                     const QStringList &instanceUrls)
{
    return mutate("POST",
                  QStringLiteral("regions/%1/targetPools/%2/removeInstance").arg(region, pool),
                  instanceRefs(instanceUrls));
}

GceReply *GceClient::addHealthCheck(const QString &region, const QString &pool,
                                    const QString &healthCheckUrl)
{
    const QJsonObject body{
        {QStringLiteral("healthChecks"),
         QJsonArray{QJsonObject{{QStringLiteral("healthCheck"), healthCheckUrl}}}}};
    return mutate(
        "POST", QStringLiteral("regions/%1/targetPools/%2/addHealthCheck").arg(region, pool), body);
}

GceReply *GceClient::removeHealthCheck(const QString &region, const QString &pool,
                                       const QString &healthCheckUrl)
{
    const QJsonObject body{
        {QStringLiteral("healthChecks"),
         QJsonArray{QJsonObject{{QStringLiteral("healthCheck"), healthCheckUrl}}}}};
    return mutate("POST",
                  QStringLiteral("regions/%1/targetPools/%2/removeHealthCheck").arg(region, pool),
                  body);
}

GceReply *GceClient::getHealth(const QString &region, const QString &pool,
                               const QString &instanceUrl)
{
    // getHealth is a POST that changes nothing: no requestId, no operation.
    GceReply *reply = newReply();
    const QUrl url =
        projectUrl(QStringLiteral("regions/%1/targetPools/%2/getHealth").arg(region, pool));
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("instance"), instanceUrl}})
                                .toJson(QJsonDocument::Compact);
    QTimer::singleShot(0, reply, [this, reply, url, body] {
        send(reply, {"POST", url, body, true, 0},
             [reply](const ApiError &e, int, const QByteArray &data) {
                 reply->m_json = QJsonDocument::fromJson(data).object();
                 reply->complete(e);
             });
    });
    return reply;
}

GceReply *GceClient::deleteTargetPool(const QString &region, const QString &name)
{
    return mutate("DELETE", QStringLiteral("regions/%1/targetPools/%2").arg(region, name), {});
}

GceReply *GceClient::insertForwardingRule(const QString &region, const GceForwardingRule &rule)
{
    return mutate("POST", QStringLiteral("regions/%1/forwardingRules").arg(region), toJson(rule));
}

GceReply *GceClient::getForwardingRule(const QString &region, const QString &name)
{
    return get(QStringLiteral("regions/%1/forwardingRules/%2").arg(region, name));
}

GceReply *GceClient::deleteForwardingRule(const QString &region, const QString &name)
{
    return mutate("DELETE", QStringLiteral("regions/%1/forwardingRules/%2").arg(region, name), {});
}

GceReply *GceClient::getInstance(const QString &zone, const QString &name)
{
    return get(QStringLiteral("zones/%1/instances/%2").arg(zone, name));
}

GceReply *GceClient::listInstances(const QString &zone, const QString &filter)
{
    return get(QStringLiteral("zones/%1/instances").arg(zone), filterQuery(filter));
}

GceReply *GceClient::aggregatedListInstances(const QString &filter)
{
    return get(QStringLiteral("aggregated/instances"), filterQuery(filter));
}

GceReply *GceClient::setTags(const QString &zone, const QString &instance,
                             std::function<QStringList(const QStringList &)> modify)
{
    GceReply *reply = newReply();
    QTimer::singleShot(0, reply, [this, reply, zone, instance, modify] {
        setTagsAttempt(reply, zone, instance, modify, 1);
    });
    return reply;
}

void GceClient::setTagsAttempt(GceReply *reply, const QString &zone, const QString &instance,
                               std::function<QStringList(const QStringList &)> modify, int attempt)
{
    const QUrl instanceUrl =
        projectUrl(QStringLiteral("zones/%1/instances/%2").arg(zone, instance));
    send(reply, {"GET", instanceUrl, {}, true, 0},
         [=, this](const ApiError &error, int, const QByteArray &body) {
             if (error) {
                 reply->complete(error);
                 return;
             }
             const GceInstance current = parseInstance(QJsonDocument::fromJson(body).object());
             const QStringList wanted = modify(current.tags.items);
             if (QSet<QString>(wanted.begin(), wanted.end()) ==
                 QSet<QString>(current.tags.items.begin(), current.tags.items.end())) {
                 reply->m_changed = false; // already so: nothing to send
                 reply->m_json = QJsonDocument::fromJson(body).object();
                 reply->complete({});
                 return;
             }
             const QJsonObject tags{{QStringLiteral("items"), QJsonArray::fromStringList(wanted)},
                                    {QStringLiteral("fingerprint"), current.tags.fingerprint}};
             sendMutation(
                 reply, "POST",
                 projectUrl(QStringLiteral("zones/%1/instances/%2/setTags").arg(zone, instance)),
                 QJsonDocument(tags).toJson(QJsonDocument::Compact), [=, this](const ApiError &e) {
                     if (e.reason == QLatin1String("conditionNotMet") &&
                         attempt < m_config.setTagsAttempts) {
                         // Someone changed the tags since we read them: read again.
                         qCDebug(lcGce)
                             << "stale tags fingerprint on" << instance << "- reading again";
                         setTagsAttempt(reply, zone, instance, modify, attempt + 1);
                         return;
                     }
                     reply->complete(e);
                 });
         });
}

GceReply *GceClient::addTags(const QString &zone, const QString &instance, const QStringList &tags)
{
    return setTags(zone, instance, [tags](const QStringList &current) {
        QStringList out = current;
        for (const QString &t : tags) {
            if (!out.contains(t))
                out << t;
        }
        return out;
    });
}

GceReply *GceClient::removeTags(const QString &zone, const QString &instance,
                                const QStringList &tags)
{
    return setTags(zone, instance, [tags](const QStringList &current) {
        QStringList out;
        for (const QString &t : current) {
            if (!tags.contains(t))
                out << t;
        }
        return out;
    });
}

GceReply *GceClient::listNetworks()
{
    return get(QStringLiteral("global/networks"));
}

GceReply *GceClient::getNetwork(const QString &name)
{
    return get(QStringLiteral("global/networks/") + name);
}

GceReply *GceClient::insertFirewall(const GceFirewall &firewall)
{
    return mutate("POST", QStringLiteral("global/firewalls"), toJson(firewall));
}

GceReply *GceClient::getFirewall(const QString &name)
{
    return get(QStringLiteral("global/firewalls/") + name);
}

GceReply *GceClient::listFirewalls(const QString &filter)
{
    return get(QStringLiteral("global/firewalls"), filterQuery(filter));
}

GceReply *GceClient::deleteFirewall(const QString &name)
{
    return mutate("DELETE", QStringLiteral("global/firewalls/") + name, {});
}

GceReply *GceClient::insertHttpHealthCheck(const GceHealthCheck &check)
{
    return mutate("POST", QStringLiteral("global/httpHealthChecks"), toJson(check));
}

GceReply *GceClient::getHttpHealthCheck(const QString &name)
{
    return get(QStringLiteral("global/httpHealthChecks/") + name);
}

GceReply *GceClient::deleteHttpHealthCheck(const QString &name)
{
    return mutate("DELETE", QStringLiteral("global/httpHealthChecks/") + name, {});
}

namespace {
QString operationPath(const QString &scope, const QString &scopeName, const QString &name)
{
    if (scope == QLatin1String("zone"))
        return QStringLiteral("zones/%1/operations/%2").arg(scopeName, name);
    if (scope == QLatin1String("region"))
        return QStringLiteral("regions/%1/operations/%2").arg(scopeName, name);
    return QStringLiteral("global/operations/") + name;
}
} // namespace

GceReply *GceClient::getOperation(const QString &scope, const QString &scopeName,
                                  const QString &name)
{
    GceReply *reply = get(operationPath(scope, scopeName, name));
    connect(reply, &GceReply::finished, reply,
            [reply] { reply->m_operation = parseOperation(reply->m_json); });
    return reply;
}

GceReply *GceClient::waitOperation(const QString &scope, const QString &scopeName,
                                   const QString &name)
{
    GceReply *reply = newReply();
    const QUrl url = projectUrl(operationPath(scope, scopeName, name) + QStringLiteral("/wait"));
    QTimer::singleShot(0, reply, [this, reply, url] {
        send(reply, {"POST", url, {}, true, m_config.waitTimeoutMs},
             [reply](const ApiError &e, int, const QByteArray &data) {
                 reply->m_json = QJsonDocument::fromJson(data).object();
                 reply->m_operation = parseOperation(reply->m_json);
                 reply->complete(e);
             });
    });
    return reply;
}

} // namespace pier::gce
