#include "mesos/mesosclient.h"

#include "core/networkproxy.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

Q_LOGGING_CATEGORY(lcMesos, "pier.mesos", QtInfoMsg)

namespace pier::mesos {

namespace {

const QString kNetworkHint =
    QStringLiteral("Check that the Mesos master's address is right (port 5050) and reachable: "
                   "on the tutorial's clusters it listens only on the private network, so the VPN "
                   "or proxy must be up.");

} // namespace

ApiError mesosErrorFrom(int httpStatus, const QByteArray &body, const QString &transportError,
                        bool expectJson)
{
    ApiError e;
    e.httpStatus = httpStatus;
    if (httpStatus <= 0) {
        e.kind = ApiError::Kind::Network;
        e.message = transportError.isEmpty()
                        ? QStringLiteral("No HTTP reply from the Mesos master.")
                        : QStringLiteral("Mesos master: %1").arg(transportError);
        e.hint = kNetworkHint;
        return e;
    }
    const QString text = QString::fromUtf8(body.trimmed().left(200));
    if (httpStatus >= 200 && httpStatus < 300) {
        if (expectJson) {
            QJsonParseError pe{};
            const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
            if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
                e.kind = ApiError::Kind::BadReply;
                e.message = QStringLiteral("Expected JSON from the Mesos master (HTTP %1) but got "
                                           "something else.")
                                .arg(httpStatus);
                e.hint = QStringLiteral("Check that the address is the Mesos master's (port 5050), "
                                        "not another service or a proxy's page.");
            }
        }
        return e;
    }
    // Mesos answers errors with a short plain-text body (or none).
    const QString said = text.isEmpty() ? QString() : QStringLiteral(": %1").arg(text);
    if (httpStatus == 401 || httpStatus == 403) {
        e.kind = ApiError::Kind::Auth;
        e.message = QStringLiteral("The Mesos master refused access (HTTP %1)%2.")
                        .arg(httpStatus)
                        .arg(said);
        e.hint = QStringLiteral("This master wants HTTP authentication; Pier reads it without "
                                "credentials, so ask for read access or use an open endpoint.");
    } else if (httpStatus == 404) {
        e.kind = ApiError::Kind::NotFound;
        e.message = QStringLiteral("Not found on the Mesos master (HTTP 404)%1.").arg(said);
        e.hint = QStringLiteral("Check that the address is the Mesos master's.");
    } else if (httpStatus == 307 || httpStatus == 503) {
        e.kind = ApiError::Kind::Server;
        e.message = QStringLiteral("This Mesos master is not the leader or not ready (HTTP %1)%2.")
                        .arg(httpStatus)
                        .arg(said);
        e.hint = QStringLiteral("Try again in a moment, or use the leading master's address.");
    } else if (httpStatus >= 500) {
        e.kind = ApiError::Kind::Server;
        e.message =
            QStringLiteral("The Mesos master failed (HTTP %1)%2.").arg(httpStatus).arg(said);
        e.hint = QStringLiteral("Try again; if it persists, look at the master's log.");
    } else {
        e.kind = ApiError::Kind::BadReply;
        e.message = QStringLiteral("Unexpected answer from the Mesos master (HTTP %1)%2.")
                        .arg(httpStatus)
                        .arg(said);
    }
    return e;
}

MesosReply::~MesosReply()
{
    if (m_network) {
        m_network->disconnect(this);
        m_network->abort();
        m_network->deleteLater();
    }
}

QJsonValue MesosReply::json() const
{
    const QJsonDocument doc = QJsonDocument::fromJson(m_body);
    return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
}

MesosState MesosReply::state() const
{
    return MesosState::fromJson(json().toObject());
}

QString MesosReply::version() const
{
    return json().toObject().value(QLatin1String("version")).toString();
}

void MesosReply::abort()
{
    if (m_finished)
        return;
    if (m_network) {
        m_network->disconnect(this);
        m_network->abort();
        m_network->deleteLater();
        m_network.clear();
    }
    complete(ApiError::cancelled());
}

void MesosReply::complete(const ApiError &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    if (m_timeout)
        m_timeout->stop();
    emit finished();
}

MesosClient::MesosClient(const MesosConfig &config, QObject *parent)
    : MesosClient(config, nullptr, parent)
{
}

MesosClient::MesosClient(const MesosConfig &config, QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent), m_config(config), m_nam(nam ? nam : new QNetworkAccessManager(this))
{
    // An invalid proxy leaves it direct; the Marathon call before says what is wrong with it.
    applySocksProxy(m_nam, m_config.socksProxy);
}

MesosClient::~MesosClient()
{
    const QList<MesosReply *> replies = findChildren<MesosReply *>(Qt::FindDirectChildrenOnly);
    for (MesosReply *r : replies)
        r->abort();
}

MesosReply *MesosClient::state()
{
    return send({QStringLiteral("/master/state"), QStringLiteral("/master/state.json")}, true);
}

MesosReply *MesosClient::health()
{
    return send({QStringLiteral("/master/health")}, false);
}

MesosReply *MesosClient::version()
{
    return send({QStringLiteral("/version")}, true);
}

MesosReply *MesosClient::send(const QStringList &paths, bool expectJson)
{
    auto *reply = new MesosReply(this);
    reply->m_paths = paths;
    reply->m_timeout = new QTimer(reply);
    reply->m_timeout->setSingleShot(true);
    connect(reply->m_timeout, &QTimer::timeout, reply, [reply] {
        reply->m_timedOut = true;
        if (reply->m_network)
            reply->m_network->abort();
    });
    // Started from the event loop, so a caller can connect to finished() first.
    QTimer::singleShot(0, reply, [this, reply, expectJson] { attempt(reply, expectJson); });
    return reply;
}

void MesosClient::attempt(MesosReply *reply, bool expectJson)
{
    if (reply->m_finished)
        return;
    if (!m_config.url.isValid() || m_config.url.host().isEmpty()) {
        reply->complete(
            ApiError::local(QStringLiteral("No Mesos master address is set."),
                            QStringLiteral("Give one with --mesos URL or PIER_MESOS_URL.")));
        return;
    }
    QUrl url = m_config.url;
    QString base = url.path();
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    url.setPath(base + reply->m_paths.first());
    reply->m_url = url;
    QNetworkRequest request(url);
    request.setRawHeader("Accept", "application/json");
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::NoLessSafeRedirectPolicy);
    qCDebug(lcMesos).noquote() << "GET" << url.toString();
    QNetworkReply *network = m_nam->get(request);
    reply->m_network = network;
    reply->m_timedOut = false;
    reply->m_timeout->start(std::max(1, m_config.timeoutMs));
    connect(network, &QNetworkReply::finished, reply, [this, reply, network, expectJson] {
        network->deleteLater();
        reply->m_network.clear();
        reply->m_timeout->stop();
        const int status = network->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        reply->m_status = status;
        reply->m_body = network->readAll();
        if (reply->m_timedOut) {
            ApiError e;
            e.kind = ApiError::Kind::Timeout;
            e.message = QStringLiteral("The Mesos master at %1 did not answer within %2 s.")
                            .arg(m_config.url.toString())
                            .arg(m_config.timeoutMs / 1000.0);
            e.hint = kNetworkHint;
            reply->complete(e);
            return;
        }
        const QString transport = status == 0 && network->error() != QNetworkReply::NoError
                                      ? network->errorString()
                                      : QString();
        ApiError e = mesosErrorFrom(status, reply->m_body, transport, expectJson);
        if (e.kind == ApiError::Kind::NotFound && reply->m_paths.size() > 1) {
            // Mesos before 0.25 has only /master/state.json.
            qCDebug(lcMesos) << "404, trying" << reply->m_paths.at(1);
            reply->m_paths.removeFirst();
            attempt(reply, expectJson);
            return;
        }
        reply->complete(e);
    });
}

} // namespace pier::mesos
