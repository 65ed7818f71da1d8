#include "marathon/marathonclient.h"

#include "core/logging.h"
#include "core/networkproxy.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QSslError>
#include <QTimer>

#include <algorithm>
#include <initializer_list>

namespace pier::marathon {

namespace {

constexpr int kMaxRedirects = 3;
// Besides the unreserved characters, a path segment may hold these as they are (RFC 3986 pchar).
const QByteArray kPathSafe = QByteArrayLiteral(":@");
constexpr int kMaxBackoffMs = 5000;
constexpr int kMaxRetryAfterSeconds = 30; // longer waits are reported, not slept through

const QString kNetworkHint = QStringLiteral(
    "Is the URL in the profile right, is Marathon running there, and is the VPN up?");
const QString kNotMarathonHint = QStringLiteral(
    "The URL may not point at Marathon's API (a proxy's or another server's page?): check the "
    "URL in the profile.");

// "/v2/apps" + "/group/app" -> "/v2/apps/group/app": no empty segments, each one percent-encoded.
QString pathOf(std::initializer_list<QString> parts)
{
    QString path;
    for (const QString &part : parts) {
        const QStringList segments = part.split(QLatin1Char('/'), Qt::SkipEmptyParts);
        for (const QString &segment : segments) {
            path += QLatin1Char('/');
            path += QString::fromLatin1(QUrl::toPercentEncoding(segment, kPathSafe));
        }
    }
    return path;
}

QString hostPort(const QUrl &url)
{
    const int defaultPort = url.scheme() == QLatin1String("https") ? 443 : 80;
    return QStringLiteral("%1:%2").arg(url.host()).arg(url.port(defaultPort));
}

QUrl baseOnly(const QUrl &url)
{
    QUrl base = url.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo |
                             QUrl::StripTrailingSlash);
    if (base.path() == QLatin1String("/"))
        base.setPath(QString());
    return base;
}

bool sameBase(const QUrl &a, const QUrl &b)
{
    return baseOnly(a) == baseOnly(b);
}

QString methodName(int method)
{
    switch (method) {
    case 0:
        return QStringLiteral("GET");
    case 1:
        return QStringLiteral("POST");
    case 2:
        return QStringLiteral("PUT");
    case 3:
        return QStringLiteral("DELETE");
    }
    return {};
}

// What came back, for a message: the content type and the first bytes (an HTML page's title).
QString describeBody(const QByteArray &body, const QByteArray &contentType)
{
    const QString type =
        contentType.isEmpty()
            ? QStringLiteral("no content type")
            : QString::fromLatin1(contentType).section(QLatin1Char(';'), 0, 0).trimmed();
    QString text = QString::fromUtf8(body.left(2048));
    static const QRegularExpression title(QStringLiteral("<title[^>]*>([^<]*)</title>"),
                                          QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = title.match(text);
    QString sample = m.hasMatch()
                         ? QStringLiteral("a page titled \"%1\"").arg(m.captured(1).simplified())
                         : QStringLiteral("\"%1\"").arg(text.simplified().left(80));
    if (!m.hasMatch() && text.simplified().size() > 80)
        sample.insert(sample.size() - 1, QStringLiteral("..."));
    return QStringLiteral("%1 (%2, %3 bytes)").arg(sample, type).arg(body.size());
}

// 1.x "path" is a JSON pointer; 0.7 "attribute" is a property path ("container.docker.image",
// "ports[0]"). Both end up as a pointer.
QString pointerFromAttribute(const QString &attribute)
{
    QString a = attribute.trimmed();
    if (a.isEmpty())
        return QStringLiteral("/");
    if (a.startsWith(QLatin1Char('/'))) {
        // Marathon 1.x writes array indexes as "/portMappings(0)/..."; a pointer says "/0".
        static const QRegularExpression parenIndex(QStringLiteral("\\((\\d+)\\)"));
        a.replace(parenIndex, QStringLiteral("/\\1"));
        return a;
    }
    static const QRegularExpression index(QStringLiteral("\\[(\\d+)\\]"));
    a.replace(index, QStringLiteral(".\\1"));
    a.replace(QLatin1Char('.'), QLatin1Char('/'));
    return QLatin1Char('/') + a;
}

QList<FieldError> detailsFrom(const QJsonObject &obj)
{
    QList<FieldError> out;
    auto add = [&out](const QString &path, const QStringList &errors) {
        for (FieldError &e : out) {
            if (e.path == path) {
                e.errors << errors;
                return;
            }
        }
        out << FieldError{path, errors};
    };
    for (const char *key : {"details", "errors"}) {
        const QJsonArray items = obj.value(QLatin1String(key)).toArray();
        for (const QJsonValue &item : items) {
            if (item.isString()) {
                add(QStringLiteral("/"), {item.toString()});
                continue;
            }
            const QJsonObject o = item.toObject();
            if (o.isEmpty())
                continue;
            QString path;
            if (o.contains(QLatin1String("path")))
                path = pointerFromAttribute(o.value(QLatin1String("path")).toString());
            else
                path = pointerFromAttribute(o.value(QLatin1String("attribute")).toString());
            QStringList errors;
            const QJsonValue errs = o.value(QLatin1String("errors"));
            if (errs.isArray()) {
                const QJsonArray list = errs.toArray();
                for (const QJsonValue &v : list)
                    errors << (v.isString()
                                   ? v.toString()
                                   : QString::fromUtf8(QJsonDocument(v.toObject())
                                                           .toJson(QJsonDocument::Compact)));
            } else if (errs.isString()) {
                errors << errs.toString();
            }
            for (const char *single : {"error", "message"}) {
                const QString s = o.value(QLatin1String(single)).toString();
                if (!s.isEmpty())
                    errors << s;
            }
            add(path, errors);
        }
    }
    return out;
}

int retryAfterSeconds(const QByteArray &value)
{
    if (value.isEmpty())
        return -1;
    bool ok = false;
    const int seconds = value.trimmed().toInt(&ok);
    if (ok)
        return std::max(0, seconds);
    const QDateTime when =
        QDateTime::fromString(QString::fromLatin1(value.trimmed()), Qt::RFC2822Date);
    if (when.isValid())
        return int(std::max<qint64>(0, QDateTime::currentDateTimeUtc().secsTo(when)));
    return -1;
}

// The base URL (scheme, host, port, the configured path prefix) a leader URL stands for.
QUrl leaderBase(const QUrl &location, const QString &requestPath)
{
    QUrl base = baseOnly(location);
    QString path = base.path(QUrl::FullyEncoded);
    QString rel = requestPath;
    if (!rel.isEmpty() && path.endsWith(rel))
        path.chop(rel.size());
    else
        path.clear();
    base.setPath(path, QUrl::TolerantMode);
    return baseOnly(base);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Errors: the one place that turns an HTTP exchange into an ApiError.

ApiError marathonErrorFrom(int httpStatus, const QByteArray &body, const QString &transportError,
                           const QByteArray &contentType, bool expectJson)
{
    ApiError e;
    e.httpStatus = httpStatus;
    if (httpStatus <= 0) {
        e.kind = ApiError::Kind::Network;
        e.message = transportError.isEmpty() ? QStringLiteral("No HTTP reply from Marathon.")
                                             : transportError;
        e.hint = kNetworkHint;
        return e;
    }

    const QByteArray trimmed = body.trimmed();
    // A large successful reply (the full app list of a big cluster) is parsed by whoever reads
    // it, often off the GUI thread; here its framing is enough to tell JSON from a proxy's page.
    const bool success = httpStatus >= 200 && httpStatus < 300;
    const bool framedOnly = success && trimmed.size() > 256 * 1024;
    QJsonParseError parseError{};
    const QJsonDocument doc =
        framedOnly ? QJsonDocument() : QJsonDocument::fromJson(trimmed, &parseError);
    const bool isJson = framedOnly
                            ? ((trimmed.startsWith('{') && trimmed.endsWith('}')) ||
                               (trimmed.startsWith('[') && trimmed.endsWith(']')))
                            : !trimmed.isEmpty() && parseError.error == QJsonParseError::NoError;
    const QJsonObject obj = doc.object();
    const QString marathonMessage = obj.value(QLatin1String("message")).toString();
    const QString statusText = QStringLiteral("HTTP %1").arg(httpStatus);
    // Error replies that are not JSON: say what came back instead of Marathon's message.
    const QString foreign =
        (!trimmed.isEmpty() && !isJson) ? describeBody(body, contentType) : QString();
    auto messageOr = [&](const QString &fallback) {
        if (!marathonMessage.isEmpty())
            return marathonMessage;
        if (!foreign.isEmpty())
            return QStringLiteral("%1; the reply was %2.").arg(fallback.chopped(1), foreign);
        return fallback;
    };

    if (httpStatus >= 200 && httpStatus < 300) {
        if (expectJson && !foreign.isEmpty()) {
            e.kind = ApiError::Kind::BadReply;
            e.message = QStringLiteral("Expected JSON from Marathon (%1) but got %2.")
                            .arg(statusText, foreign);
            e.hint = kNotMarathonHint;
        }
        return e;
    }

    if (httpStatus == 401 || httpStatus == 403) {
        e.kind = ApiError::Kind::Auth;
        if (httpStatus == 401) {
            e.message =
                messageOr(QStringLiteral("Marathon did not accept the credentials (HTTP 401)."));
            e.hint = QStringLiteral(
                "Check the user name and password (or the DC/OS token) in the profile.");
        } else {
            e.message = messageOr(QStringLiteral(
                "Marathon does not allow this action with these credentials (HTTP 403)."));
            e.hint = QStringLiteral("The credentials were accepted but lack the permission: use an "
                                    "account that has it, or ask the cluster's administrator.");
        }
        return e;
    }

    if (httpStatus == 404) {
        if (!foreign.isEmpty()) {
            // Marathon answers 404 with a JSON message; a page means something else answered.
            e.kind = ApiError::Kind::BadReply;
            e.message =
                QStringLiteral("Not found (HTTP 404), and the reply was not Marathon's: %1.")
                    .arg(foreign);
            e.hint = kNotMarathonHint;
            return e;
        }
        e.kind = ApiError::Kind::NotFound;
        e.message = messageOr(QStringLiteral("Not found (HTTP 404)."));
        return e;
    }

    if (httpStatus == 409) {
        e.kind = ApiError::Kind::Conflict;
        e.message = messageOr(QStringLiteral("Marathon reported a conflict (HTTP 409)."));
        const QJsonArray deployments = obj.value(QLatin1String("deployments")).toArray();
        for (const QJsonValue &d : deployments) {
            const QString id =
                d.isString() ? d.toString() : d.toObject().value(QLatin1String("id")).toString();
            if (!id.isEmpty())
                e.deploymentIds << id;
        }
        if (!e.deploymentIds.isEmpty()) {
            e.reason = QStringLiteral("locked-by-deployment");
            e.hint =
                QStringLiteral("A deployment of this app is still running: wait for it to finish, "
                               "cancel it, or repeat the action with force to override it.");
        } else {
            e.reason = QStringLiteral("already-exists");
            e.hint = QStringLiteral("An app with this id already exists: update it instead of "
                                    "creating it, or choose another id.");
        }
        return e;
    }

    if (httpStatus == 400 || httpStatus == 422) {
        e.kind = ApiError::Kind::Invalid;
        e.message = messageOr(
            QStringLiteral("Marathon rejected the request as invalid (%1).").arg(statusText));
        e.details = detailsFrom(obj);
        e.hint = e.details.isEmpty() ? QString()
                                     : QStringLiteral("Fix the fields listed and send it again.");
        if (!foreign.isEmpty())
            e.hint = kNotMarathonHint;
        return e;
    }

    if (httpStatus >= 500 || httpStatus == 429) {
        e.kind = ApiError::Kind::Server;
        const QString what = httpStatus == 503
                                 ? QStringLiteral("Marathon is unavailable (HTTP 503).")
                                 : QStringLiteral("Marathon failed (%1).").arg(statusText);
        e.message = marathonMessage.isEmpty() ? messageOr(what)
                                              : QStringLiteral("%1 %2").arg(what, marathonMessage);
        if (httpStatus == 503)
            e.hint =
                QStringLiteral("Marathon may be starting or electing a leader; try again shortly.");
        else if (httpStatus == 502 || httpStatus == 504)
            e.hint = QStringLiteral(
                "A proxy in front of Marathon could not reach it; check that Marathon is running.");
        else
            e.hint = QStringLiteral("Marathon's log has the cause; try again later.");
        return e;
    }

    if (httpStatus >= 300 && httpStatus < 400) {
        e.kind = ApiError::Kind::BadReply;
        e.message = QStringLiteral("Marathon answered with a redirect (%1) that was not followed.")
                        .arg(statusText);
        e.hint = kNotMarathonHint;
        return e;
    }

    // Other statuses (405, 406, 415, 1xx...): Marathon does not send them for these calls.
    e.kind = isJson ? ApiError::Kind::Invalid : ApiError::Kind::BadReply;
    e.message = messageOr(QStringLiteral("Unexpected reply from Marathon (%1).").arg(statusText));
    e.details = detailsFrom(obj);
    e.hint = kNotMarathonHint;
    return e;
}

namespace {

// A request that got no HTTP reply at all.
ApiError transportErrorFrom(QNetworkReply::NetworkError code, const QString &errorString,
                            const QUrl &url, const QStringList &sslErrors)
{
    ApiError e;
    const QString where = hostPort(url);
    if (!sslErrors.isEmpty() || code == QNetworkReply::SslHandshakeFailedError) {
        e.kind = ApiError::Kind::Tls;
        e.reason = QStringLiteral("tls");
        e.message = QStringLiteral("The TLS connection to %1 was refused: %2")
                        .arg(where, sslErrors.isEmpty() ? errorString
                                                        : sslErrors.join(QStringLiteral("; ")));
        e.hint =
            QStringLiteral("Pier never ignores certificate errors. If the cluster uses its own "
                           "certificate authority, add the cluster's CA file (PEM) in the profile; "
                           "check also that the host name in the URL matches the certificate.");
        return e;
    }
    e.kind = ApiError::Kind::Network;
    switch (code) {
    case QNetworkReply::ConnectionRefusedError:
        e.reason = QStringLiteral("connection-refused");
        e.message = QStringLiteral("Cannot connect to %1: connection refused.").arg(where);
        e.hint =
            QStringLiteral(
                "Is Marathon running on %1, is the URL in the profile right, and is the VPN up?")
                .arg(where);
        break;
    case QNetworkReply::HostNotFoundError:
        e.reason = QStringLiteral("host-not-found");
        e.message = QStringLiteral("Cannot find the host %1 (%2).").arg(url.host(), errorString);
        e.hint = QStringLiteral("Check the URL in the profile; if the host is only known inside "
                                "the cluster's network, is the VPN up?");
        break;
    case QNetworkReply::RemoteHostClosedError:
        e.reason = QStringLiteral("connection-closed");
        e.message = QStringLiteral("%1 closed the connection without replying.").arg(where);
        e.hint = kNetworkHint;
        break;
    default:
        e.reason = QStringLiteral("network");
        e.message = QStringLiteral("Cannot talk to %1: %2").arg(where, errorString);
        e.hint =
            QStringLiteral(
                "Is there a route to %1 (is the VPN up?), and is the URL in the profile right?")
                .arg(where);
        break;
    }
    return e;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// MarathonReply

MarathonReply::~MarathonReply()
{
    dropNetwork();
}

void MarathonReply::dropNetwork()
{
    if (QNetworkReply *network = m_network.data()) {
        m_network = nullptr;
        QObject::disconnect(network, nullptr, this, nullptr);
        network->abort();
        network->deleteLater();
    }
}

void MarathonReply::complete(const ApiError &error)
{
    if (m_finished)
        return;
    if (m_timeout)
        m_timeout->stop();
    if (m_backoff)
        m_backoff->stop();
    m_error = error;
    m_finished = true;
    emit finished();
}

void MarathonReply::abort()
{
    if (m_finished)
        return;
    dropNetwork();
    complete(ApiError::cancelled());
}

QByteArray MarathonReply::header(const QByteArray &name) const
{
    for (const auto &h : m_headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    }
    return {};
}

QJsonValue MarathonReply::json() const
{
    const QJsonDocument doc = QJsonDocument::fromJson(m_body);
    if (doc.isObject())
        return doc.object();
    if (doc.isArray())
        return doc.array();
    return QJsonValue(QJsonValue::Undefined);
}

namespace {

// A list that Marathon wraps in {"key": [...]} (and some versions send bare).
QJsonArray listIn(const QJsonValue &v, const char *key)
{
    if (v.isArray())
        return v.toArray();
    return v.toObject().value(QLatin1String(key)).toArray();
}

} // namespace

QList<MarathonApp> MarathonReply::apps() const
{
    QList<MarathonApp> out;
    const QJsonArray list = listIn(json(), "apps");
    for (const QJsonValue &v : list) {
        if (v.isObject())
            out << MarathonApp::fromJson(v.toObject());
    }
    return out;
}

MarathonApp MarathonReply::app() const
{
    const QJsonObject o = json().toObject();
    const QJsonValue wrapped = o.value(QLatin1String("app"));
    return MarathonApp::fromJson(wrapped.isObject() ? wrapped.toObject() : o);
}

QList<MarathonTask> MarathonReply::tasks() const
{
    QList<MarathonTask> out;
    const QJsonArray list = listIn(json(), "tasks");
    for (const QJsonValue &v : list) {
        if (v.isObject())
            out << MarathonTask::fromJson(v.toObject());
    }
    return out;
}

QList<Deployment> MarathonReply::deployments() const
{
    QList<Deployment> out;
    const QJsonArray list = listIn(json(), "deployments");
    for (const QJsonValue &v : list) {
        if (v.isObject())
            out << Deployment::fromJson(v.toObject());
    }
    return out;
}

DeploymentResult MarathonReply::deploymentResult() const
{
    DeploymentResult r = DeploymentResult::fromJson(json().toObject());
    if (r.deploymentId.isEmpty())
        r.deploymentId = QString::fromLatin1(header(QByteArrayLiteral("Marathon-Deployment-Id")));
    return r;
}

QList<QueueEntry> MarathonReply::queue() const
{
    QList<QueueEntry> out;
    const QJsonArray list = listIn(json(), "queue");
    for (const QJsonValue &v : list) {
        if (v.isObject())
            out << QueueEntry::fromJson(v.toObject());
    }
    return out;
}

QStringList MarathonReply::versions() const
{
    QStringList out;
    const QJsonArray list = listIn(json(), "versions");
    for (const QJsonValue &v : list)
        out << v.toString();
    return out;
}

MarathonInfo MarathonReply::info() const
{
    return MarathonInfo::fromJson(json().toObject());
}

QString MarathonReply::leader() const
{
    return json().toObject().value(QLatin1String("leader")).toString();
}

// ---------------------------------------------------------------------------------------------
// MarathonClient

MarathonClient::MarathonClient(const MarathonConfig &config, QObject *parent)
    : MarathonClient(config, nullptr, parent)
{
}

MarathonClient::MarathonClient(const MarathonConfig &config, QNetworkAccessManager *nam,
                               QObject *parent)
    : QObject(parent), m_config(config), m_nam(nam)
{
    if (!m_nam)
        m_nam = new QNetworkAccessManager(this);
    loadCaFile();
    applyProxy();
}

MarathonClient::~MarathonClient()
{
    for (const QPointer<MarathonReply> &reply : std::as_const(m_inFlight)) {
        if (reply && !reply->isFinished()) {
            reply->dropNetwork();
            reply->complete(ApiError::cancelled());
        }
    }
}

void MarathonClient::setConfig(const MarathonConfig &config)
{
    const bool urlsChanged = config.urls != m_config.urls;
    // Connections are kept open with the TLS settings they were made with.
    if (config.caFile != m_config.caFile)
        m_nam->clearConnectionCache();
    m_config = config;
    if (urlsChanged) {
        m_leader.clear();
        m_unreachableLeaders.clear();
    }
    loadCaFile();
    applyProxy();
}

void MarathonClient::applyProxy()
{
    QString problem;
    if (!applySocksProxy(m_nam, m_config.socksProxy, &problem) && !m_configError.isError())
        m_configError = ApiError::local(
            problem, QStringLiteral("Fix the SOCKS5 proxy in the profile, --proxy or PIER_PROXY."));
}

void MarathonClient::loadCaFile()
{
    m_caCertificates.clear();
    m_configError = {};
    if (m_config.caFile.isEmpty())
        return;
    const QString hint = QStringLiteral("Fix the CA file in the profile (a PEM file with the "
                                        "cluster's CA certificate), or clear it "
                                        "to trust only the system's certificate authorities.");
    QFile file(m_config.caFile);
    if (!file.open(QIODevice::ReadOnly)) {
        m_configError = ApiError::local(QStringLiteral("Cannot read the CA file %1: %2")
                                            .arg(m_config.caFile, file.errorString()),
                                        hint);
        return;
    }
    m_caCertificates = QSslCertificate::fromData(file.readAll(), QSsl::Pem);
    if (m_caCertificates.isEmpty()) {
        m_configError = ApiError::local(
            QStringLiteral("The CA file %1 holds no PEM certificate.").arg(m_config.caFile), hint);
    }
}

QUrl MarathonClient::currentUrl() const
{
    if (m_leader.isValid())
        return m_leader;
    return m_config.urls.isEmpty() ? QUrl() : m_config.urls.first();
}

QList<QUrl> MarathonClient::candidates() const
{
    QList<QUrl> out;
    if (m_leader.isValid())
        out << m_leader;
    for (const QUrl &url : m_config.urls) {
        const bool known = std::any_of(out.cbegin(), out.cend(),
                                       [&url](const QUrl &u) { return sameBase(u, url); });
        if (!known && url.isValid())
            out << url;
    }
    return out;
}

void MarathonClient::noteLeader(const QUrl &base)
{
    if (!base.isValid() || base.host().isEmpty() || sameBase(base, m_leader))
        return;
    m_leader = baseOnly(base);
    qCDebug(lcMarathon).noquote() << "leader is now" << m_leader.toDisplayString();
    emit leaderChanged(m_leader);
}

MarathonReply *MarathonClient::send(Method method, const QString &path, const QUrlQuery &query,
                                    const QByteArray &body, bool idempotent, bool expectJson)
{
    auto *reply = new MarathonReply(this);
    m_inFlight.removeIf([](const QPointer<MarathonReply> &r) { return !r || r->isFinished(); });
    m_inFlight << reply;
    reply->m_method = int(method);
    reply->m_path = path;
    reply->m_query = query;
    reply->m_requestBody = body;
    reply->m_idempotent = idempotent;
    reply->m_expectJson = expectJson;
    reply->m_candidates = candidates();
    reply->m_timeout = new QTimer(reply);
    reply->m_timeout->setSingleShot(true);
    reply->m_backoff = new QTimer(reply);
    reply->m_backoff->setSingleShot(true);
    reply->m_backoff->setTimerType(Qt::PreciseTimer); // short waits; coarse ones fire 5% early
    connect(reply->m_timeout, &QTimer::timeout, reply, [reply] {
        reply->m_timedOut = true;
        if (reply->m_network)
            reply->m_network->abort(); // finished() follows at once
    });
    QPointer<MarathonClient> self(this);
    connect(reply->m_backoff, &QTimer::timeout, reply, [self, reply] {
        if (self)
            self->attempt(reply);
        else
            reply->complete(ApiError::cancelled());
    });

    ApiError early = m_configError;
    if (!early && reply->m_candidates.isEmpty())
        early = ApiError::local(
            QStringLiteral("No Marathon URL is configured."),
            QStringLiteral("Add Marathon's URL (http://HOST:8080) to the profile."));
    if (early) {
        // Reported from the event loop, so the caller can connect to finished() first.
        QTimer::singleShot(0, reply, [reply, early] { reply->complete(early); });
        return reply;
    }
    attempt(reply);
    return reply;
}

void MarathonClient::prepareRequest(QNetworkRequest &request) const
{
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    request.setRawHeader(QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json"));
    request.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("Pier/" PIER_VERSION));
    switch (m_config.auth) {
    case MarathonConfig::Auth::None:
        break;
    case MarathonConfig::Auth::Basic:
        request.setRawHeader(
            QByteArrayLiteral("Authorization"),
            "Basic " +
                (m_config.username + QLatin1Char(':') + m_config.password).toUtf8().toBase64());
        break;
    case MarathonConfig::Auth::Token:
        request.setRawHeader(QByteArrayLiteral("Authorization"),
                             "token=" + m_config.token.toUtf8());
        break;
    }
    if (request.url().scheme() == QLatin1String("https")) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        if (!m_caCertificates.isEmpty())
            ssl.addCaCertificates(m_caCertificates);
        request.setSslConfiguration(ssl);
    }
}

QNetworkRequest MarathonClient::authorizedRequest(const QString &path, const QUrlQuery &query) const
{
    QUrl url = currentUrl().adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment);
    QString basePath = url.path(QUrl::FullyEncoded);
    while (basePath.endsWith(QLatin1Char('/')))
        basePath.chop(1);
    url.setPath(basePath + path, QUrl::TolerantMode);
    if (!query.isEmpty())
        url.setQuery(query);
    QNetworkRequest request(url);
    prepareRequest(request);
    return request;
}

void MarathonClient::attempt(MarathonReply *reply)
{
    if (reply->m_finished)
        return;
    QUrl url;
    if (reply->m_redirect.isValid()) {
        url = reply->m_redirect;
    } else {
        const QUrl base = reply->m_candidates.value(reply->m_candidate);
        url = base.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment);
        QString basePath = url.path(QUrl::FullyEncoded);
        while (basePath.endsWith(QLatin1Char('/')))
            basePath.chop(1);
        url.setPath(basePath + reply->m_path, QUrl::TolerantMode);
        if (!reply->m_query.isEmpty())
            url.setQuery(reply->m_query);
    }

    QNetworkRequest request(url);
    prepareRequest(request);

    QNetworkReply *network = nullptr;
    const bool hasBody =
        reply->m_method == int(Method::Post) || reply->m_method == int(Method::Put);
    if (hasBody)
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json; charset=utf-8"));
    switch (Method(reply->m_method)) {
    case Method::Get:
        network = m_nam->get(request);
        break;
    case Method::Post:
        network = m_nam->post(request, reply->m_requestBody);
        break;
    case Method::Put:
        network = m_nam->put(request, reply->m_requestBody);
        break;
    case Method::Delete:
        network = m_nam->deleteResource(request);
        break;
    }

    ++reply->m_attempts;
    reply->m_timedOut = false;
    reply->m_sslErrors.clear();
    reply->m_clock.start();
    reply->m_network = network;
    connect(network, &QNetworkReply::sslErrors, reply, [reply](const QList<QSslError> &errors) {
        // Collected for the message; never ignored.
        for (const QSslError &e : errors) {
            if (!reply->m_sslErrors.contains(e.errorString()))
                reply->m_sslErrors << e.errorString();
        }
    });
    QPointer<MarathonClient> self(this);
    connect(network, &QNetworkReply::finished, reply, [self, reply, network] {
        if (self) {
            self->onNetworkFinished(reply, network);
        } else {
            reply->dropNetwork();
            reply->complete(ApiError::cancelled());
        }
    });
    reply->m_timeout->start(std::max(1, m_config.timeoutMs));
}

void MarathonClient::onNetworkFinished(MarathonReply *reply, QNetworkReply *network)
{
    reply->m_timeout->stop();
    if (reply->m_network == network)
        reply->m_network = nullptr;
    QObject::disconnect(network, nullptr, reply, nullptr);
    network->deleteLater();

    const QUrl url = network->url();
    const int status = network->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QNetworkReply::NetworkError code = network->error();
    const QByteArray body = network->isOpen() ? network->readAll() : QByteArray();
    reply->m_url = url;
    reply->m_status = status;
    reply->m_body = body;
    reply->m_headers = network->rawHeaderPairs();

    qCDebug(lcMarathon).noquote() << methodName(reply->m_method)
                                  << url.toDisplayString(QUrl::RemoveUserInfo) << status
                                  << (status == 0 ? network->errorString() : QString())
                                  << reply->m_clock.elapsed() << "ms";

    if (reply->m_timedOut) {
        ApiError e;
        e.kind = ApiError::Kind::Timeout;
        e.reason = QStringLiteral("timeout");
        e.message = QStringLiteral("No reply from %1 within %2 ms (%3 %4).")
                        .arg(hostPort(url))
                        .arg(m_config.timeoutMs)
                        .arg(methodName(reply->m_method), reply->m_path);
        e.hint =
            QStringLiteral("Marathon may be overloaded, or the network path to it is broken (is "
                           "the VPN up?). The timeout can be raised in the profile.");
        retryOrFinish(reply, e, false);
        return;
    }
    if (status == 0) {
        if (code == QNetworkReply::OperationCanceledError) {
            reply->complete(ApiError::cancelled());
            return;
        }
        const ApiError e =
            transportErrorFrom(code, network->errorString(), url, reply->m_sslErrors);
        if (e.kind == ApiError::Kind::Tls) {
            reply->complete(e); // retrying cannot fix a certificate
            return;
        }
        const bool nothingSent = code == QNetworkReply::ConnectionRefusedError ||
                                 code == QNetworkReply::HostNotFoundError;
        retryOrFinish(reply, e, nothingSent);
        return;
    }

    // A standby names the leader; later calls go there directly.
    const QByteArray leaderHeader =
        network->rawHeader(QByteArrayLiteral("X-Marathon-Leader")).trimmed();
    const QUrl answeringBase = reply->m_candidates.value(reply->m_candidate);
    if (!leaderHeader.isEmpty() &&
        (answeringBase.path().isEmpty() || answeringBase.path() == QLatin1String("/"))) {
        QUrl named = leaderHeader.contains("://")
                         ? QUrl::fromEncoded(leaderHeader)
                         : QUrl::fromEncoded(url.scheme().toLatin1() + "://" + leaderHeader);
        named = baseOnly(named);
        const bool unreachable =
            std::any_of(m_unreachableLeaders.cbegin(), m_unreachableLeaders.cend(),
                        [&named](const QUrl &u) { return sameBase(u, named); });
        QUrl answeringRoot = baseOnly(url);
        answeringRoot.setPath(QString());
        if (named.isValid() && !unreachable && !sameBase(named, answeringRoot))
            noteLeader(named);
    }

    if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        // Read raw: Qt's parsed LocationHeader drops relative references.
        const QUrl location =
            QUrl::fromEncoded(network->rawHeader(QByteArrayLiteral("Location")).trimmed());
        ApiError e;
        e.kind = ApiError::Kind::BadReply;
        e.httpStatus = status;
        e.hint = kNotMarathonHint;
        if (!location.isValid()) {
            e.message = QStringLiteral("Marathon redirected (HTTP %1) without saying where to.")
                            .arg(status);
            reply->complete(e);
            return;
        }
        const QUrl target = url.resolved(location);
        if (reply->m_hops >= kMaxRedirects) {
            e.message = QStringLiteral("Marathon redirected more than %1 times (last to %2): the "
                                       "instances may disagree about the leader.")
                            .arg(kMaxRedirects)
                            .arg(target.toDisplayString(QUrl::RemoveUserInfo));
            e.hint = QStringLiteral("Try again in a moment; if it persists, check the leader "
                                    "election of the Marathon instances.");
            reply->complete(e);
            return;
        }
        if (url.scheme() == QLatin1String("https") && target.scheme() != QLatin1String("https")) {
            e.kind = ApiError::Kind::Tls;
            e.message =
                QStringLiteral("Marathon redirected from https to %1; Pier does not send the "
                               "request (and its credentials) unencrypted.")
                    .arg(target.toDisplayString(QUrl::RemoveUserInfo));
            e.hint = QStringLiteral("Configure the Marathon instances to redirect to https, or use "
                                    "their https URLs in the profile.");
            reply->complete(e);
            return;
        }
        ++reply->m_hops;
        reply->m_redirect = target;
        noteLeader(leaderBase(target, reply->m_path));
        attempt(reply);
        return;
    }

    const QByteArray contentType =
        network->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    ApiError e = marathonErrorFrom(status, body, {}, contentType, reply->m_expectJson);
    if (e)
        e.retryAfterSeconds =
            retryAfterSeconds(network->rawHeader(QByteArrayLiteral("Retry-After")));
    retryOrFinish(reply, e, false);
}

void MarathonClient::retryOrFinish(MarathonReply *reply, const ApiError &error, bool nothingSent)
{
    if (!error) {
        reply->complete(error);
        return;
    }
    const QUrl failedBase = reply->m_redirect.isValid()
                                ? leaderBase(reply->m_redirect, reply->m_path)
                                : reply->m_candidates.value(reply->m_candidate);
    reply->m_redirect.clear();
    reply->m_hops = 0;

    if (error.kind == ApiError::Kind::Network && nothingSent) {
        // Unreachable: forget it as the leader, and try the next instance now (nothing was sent,
        // so this is safe for every method).
        if (m_leader.isValid() && sameBase(failedBase, m_leader)) {
            if (!m_config.urls.contains(m_leader))
                m_unreachableLeaders << m_leader;
            m_leader.clear();
        }
        if (reply->m_candidate + 1 < reply->m_candidates.size()) {
            ++reply->m_candidate;
            attempt(reply);
            return;
        }
    }

    const bool mayRepeat =
        reply->m_idempotent || (error.kind == ApiError::Kind::Network && nothingSent);
    if (error.isTransient() && mayRepeat && reply->m_retries < m_config.maxRetries &&
        error.retryAfterSeconds <= kMaxRetryAfterSeconds) {
        int delay = error.retryAfterSeconds >= 0
                        ? error.retryAfterSeconds * 1000
                        : int(std::min<qint64>(qint64(std::max(0, m_config.retryBaseDelayMs))
                                                   << std::min(reply->m_retries, 20),
                                               kMaxBackoffMs));
        ++reply->m_retries;
        reply->m_candidates = candidates();
        reply->m_candidate = 0;
        qCDebug(lcMarathon).noquote() << "retry" << reply->m_retries << "of" << m_config.maxRetries
                                      << "in" << delay << "ms after:" << error.message;
        reply->m_backoff->start(delay);
        return;
    }
    reply->complete(error);
}

// ---------------------------------------------------------------------------------------------
// Endpoints

namespace {

QUrlQuery forceQuery(bool force)
{
    QUrlQuery q;
    if (force)
        q.addQueryItem(QStringLiteral("force"), QStringLiteral("true"));
    return q;
}

QString boolText(bool b)
{
    return b ? QStringLiteral("true") : QStringLiteral("false");
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

MarathonReply *MarathonClient::ping()
{
    return send(Method::Get, pathOf({QStringLiteral("ping")}), {}, {}, true, false);
}

MarathonReply *MarathonClient::info()
{
    return send(Method::Get, pathOf({QStringLiteral("v2/info")}), {}, {}, true);
}

MarathonReply *MarathonClient::leader()
{
    return send(Method::Get, pathOf({QStringLiteral("v2/leader")}), {}, {}, true);
}

MarathonReply *MarathonClient::listApps(const QStringList &embed, const QString &idFilter)
{
    QUrlQuery q;
    if (!idFilter.isEmpty())
        q.addQueryItem(QStringLiteral("id"), idFilter);
    for (const QString &e : embed)
        q.addQueryItem(QStringLiteral("embed"), e);
    return send(Method::Get, pathOf({QStringLiteral("v2/apps")}), q, {}, true);
}

MarathonReply *MarathonClient::getApp(const QString &appId, const QStringList &embed)
{
    QUrlQuery q;
    for (const QString &e : embed)
        q.addQueryItem(QStringLiteral("embed"), e);
    return send(Method::Get, pathOf({QStringLiteral("v2/apps"), appId}), q, {}, true);
}

MarathonReply *MarathonClient::createApp(const AppDefinition &app)
{
    return send(Method::Post, pathOf({QStringLiteral("v2/apps")}), {}, app.toJson(false), false);
}

MarathonReply *MarathonClient::updateApp(const AppDefinition &app, bool force)
{
    return send(Method::Put, pathOf({QStringLiteral("v2/apps"), app.absoluteId()}),
                forceQuery(force), app.toJson(false), true);
}

MarathonReply *MarathonClient::deleteApp(const QString &appId, bool force)
{
    return send(Method::Delete, pathOf({QStringLiteral("v2/apps"), appId}), forceQuery(force), {},
                true);
}

MarathonReply *MarathonClient::scaleApp(const QString &appId, int instances, bool force)
{
    QJsonObject body;
    body.insert(QLatin1String("instances"), instances);
    return send(Method::Put, pathOf({QStringLiteral("v2/apps"), appId}), forceQuery(force),
                compact(body), true);
}

MarathonReply *MarathonClient::restartApp(const QString &appId, bool force)
{
    return send(Method::Post, pathOf({QStringLiteral("v2/apps"), appId, QStringLiteral("restart")}),
                forceQuery(force), {}, false);
}

MarathonReply *MarathonClient::listVersions(const QString &appId)
{
    return send(Method::Get, pathOf({QStringLiteral("v2/apps"), appId, QStringLiteral("versions")}),
                {}, {}, true);
}

MarathonReply *MarathonClient::getVersion(const QString &appId, const QString &version)
{
    return send(Method::Get,
                pathOf({QStringLiteral("v2/apps"), appId, QStringLiteral("versions"), version}), {},
                {}, true);
}

MarathonReply *MarathonClient::rollbackApp(const QString &appId, const QString &version, bool force)
{
    QJsonObject body;
    body.insert(QLatin1String("version"), version);
    return send(Method::Put, pathOf({QStringLiteral("v2/apps"), appId}), forceQuery(force),
                compact(body), true);
}

MarathonReply *MarathonClient::appTasks(const QString &appId)
{
    return send(Method::Get, pathOf({QStringLiteral("v2/apps"), appId, QStringLiteral("tasks")}),
                {}, {}, true);
}

MarathonReply *MarathonClient::allTasks()
{
    return send(Method::Get, pathOf({QStringLiteral("v2/tasks")}), {}, {}, true);
}

MarathonReply *MarathonClient::killAppTasks(const QString &appId, const QString &host, bool scale)
{
    QUrlQuery q;
    if (!host.isEmpty())
        q.addQueryItem(QStringLiteral("host"), host);
    q.addQueryItem(QStringLiteral("scale"), boolText(scale));
    return send(Method::Delete, pathOf({QStringLiteral("v2/apps"), appId, QStringLiteral("tasks")}),
                q, {}, true);
}

MarathonReply *MarathonClient::killTask(const QString &appId, const QString &taskId, bool scale)
{
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("scale"), boolText(scale));
    // The task id is one segment even if it held a slash.
    const QString path = pathOf({QStringLiteral("v2/apps"), appId, QStringLiteral("tasks")}) +
                         QLatin1Char('/') +
                         QString::fromLatin1(QUrl::toPercentEncoding(taskId, kPathSafe));
    return send(Method::Delete, path, q, {}, true);
}

MarathonReply *MarathonClient::killTasks(const QStringList &taskIds, bool scale)
{
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("scale"), boolText(scale));
    QJsonObject body;
    body.insert(QLatin1String("ids"), QJsonArray::fromStringList(taskIds));
    return send(Method::Post, pathOf({QStringLiteral("v2/tasks/delete")}), q, compact(body), false);
}

MarathonReply *MarathonClient::listDeployments()
{
    return send(Method::Get, pathOf({QStringLiteral("v2/deployments")}), {}, {}, true);
}

MarathonReply *MarathonClient::cancelDeployment(const QString &deploymentId, bool rollback)
{
    const QString path = pathOf({QStringLiteral("v2/deployments")}) + QLatin1Char('/') +
                         QString::fromLatin1(QUrl::toPercentEncoding(deploymentId, kPathSafe));
    return send(Method::Delete, path, forceQuery(!rollback), {}, true, rollback);
}

MarathonReply *MarathonClient::queue()
{
    return send(Method::Get, pathOf({QStringLiteral("v2/queue")}), {}, {}, true);
}

MarathonReply *MarathonClient::resetDelay(const QString &appId)
{
    return send(Method::Delete,
                pathOf({QStringLiteral("v2/queue"), appId, QStringLiteral("delay")}), {}, {}, true,
                false);
}

} // namespace pier::marathon
