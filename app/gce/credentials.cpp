#include "gce/credentials.h"

#include "gce/jwt.h"
#include "secrets/secretstore.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>
#include <QUrlQuery>

namespace pier::gce {

namespace {

void later(QObject *context, std::function<void()> f)
{
    QTimer::singleShot(0, context, std::move(f));
}

QByteArray formEncode(const QList<QPair<QString, QString>> &fields)
{
    QByteArray out;
    for (const auto &[k, v] : fields) {
        if (!out.isEmpty())
            out += '&';
        out += QUrl::toPercentEncoding(k) + '=' + QUrl::toPercentEncoding(v);
    }
    return out;
}

} // namespace

StaticTokenSource::StaticTokenSource(const QString &token, QObject *parent)
    : AccessTokenSource(parent), m_token(token)
{
}

void StaticTokenSource::accessToken(Callback done)
{
    later(this, [this, done] { done(m_token, {}); });
}

// ---------------------------------------------------------------------------------------------

OAuthTokenSource::OAuthTokenSource(QObject *parent) : AccessTokenSource(parent) {}

void OAuthTokenSource::setNetworkAccessManager(QNetworkAccessManager *nam)
{
    m_nam = nam;
}

void OAuthTokenSource::accessToken(Callback done)
{
    if (!m_token.isEmpty() && m_expiry.isValid() && now().secsTo(m_expiry) > m_marginSec) {
        later(this, [this, done] { done(m_token, {}); });
        return;
    }
    m_waiting.append(std::move(done));
    if (!m_inFlight)
        exchange();
}

void OAuthTokenSource::invalidate()
{
    m_token.clear();
    m_expiry = {};
}

void OAuthTokenSource::exchange()
{
    ApiError error;
    const QByteArray body = grantBody(&error);
    if (error) {
        later(this, [this, error] { finishAll({}, error); });
        return;
    }
    if (!m_nam)
        m_nam = new QNetworkAccessManager(this);
    m_inFlight = true;
    ++m_exchanges;
    QNetworkRequest request(m_tokenUri);
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));
    request.setTransferTimeout(30000);
    QNetworkReply *reply = m_nam->post(request, body);
    const QDateTime sentAt = now();
    connect(reply, &QNetworkReply::finished, this, [this, reply, sentAt] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray data = reply->readAll();
        const QJsonObject json = QJsonDocument::fromJson(data).object();
        ApiError e;
        if (status == 0) {
            e.kind = ApiError::Kind::Network;
            e.message = QStringLiteral("Cannot reach the token endpoint %1: %2.")
                            .arg(m_tokenUri.toDisplayString(), reply->errorString());
            e.hint = QStringLiteral("Check the network connection.");
            finishAll({}, e);
            return;
        }
        const QString token = json.value(QLatin1String("access_token")).toString();
        if (status == 200 && !token.isEmpty()) {
            const int expiresIn = json.value(QLatin1String("expires_in")).toInt(3600);
            m_token = token;
            m_expiry = sentAt.addSecs(expiresIn);
            emit tokenRefreshed(m_expiry);
            finishAll(m_token, {});
            return;
        }
        const QString code = json.value(QLatin1String("error")).toString();
        const QString description = json.value(QLatin1String("error_description")).toString();
        e.kind = status >= 500 ? ApiError::Kind::Server : ApiError::Kind::Auth;
        e.httpStatus = status;
        e.reason = code;
        e.message =
            QStringLiteral("Google refused to issue an access token: %1")
                .arg(description.isEmpty() ? (code.isEmpty() ? QString::number(status) : code)
                                           : description);
        if (code == QLatin1String("invalid_grant")) {
            e.hint = invalidGrantHint();
            const qint64 skew =
                clockSkewSeconds(reply->rawHeader(QByteArrayLiteral("Date")), sentAt);
            if (qAbs(skew) > 60) {
                e.message +=
                    QStringLiteral(" This computer's clock is %1 seconds %2 the server's.")
                        .arg(qAbs(skew))
                        .arg(skew > 0 ? QStringLiteral("ahead of") : QStringLiteral("behind"));
                e.hint = QStringLiteral("Set the clock right (for example turn on network time: "
                                        "timedatectl set-ntp true) and retry.");
            }
        } else if (e.hint.isEmpty()) {
            e.hint = QStringLiteral("Check the credentials and retry.");
        }
        finishAll({}, e);
    });
}

void OAuthTokenSource::finishAll(const QString &token, const ApiError &error)
{
    m_inFlight = false;
    const QList<Callback> waiting = std::exchange(m_waiting, {});
    for (const Callback &cb : waiting)
        cb(token, error);
}

qint64 clockSkewSeconds(const QByteArray &dateHeader, const QDateTime &localNow)
{
    if (dateHeader.isEmpty())
        return 0;
    // RFC 7231 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
    const QString text = QString::fromLatin1(dateHeader).trimmed();
    QDateTime server =
        QLocale::c().toDateTime(text, QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
    if (server.isValid())
        server.setTimeSpec(Qt::UTC);
    else
        server = QDateTime::fromString(text, Qt::RFC2822Date);
    if (!server.isValid())
        return 0;
    return server.secsTo(localNow);
}

// ---------------------------------------------------------------------------------------------

ServiceAccountCredentials *ServiceAccountCredentials::fromJson(const QByteArray &keyJson,
                                                               ApiError *error, QObject *parent)
{
    const QJsonObject o = QJsonDocument::fromJson(keyJson).object();
    auto fail = [error](const QString &what) -> ServiceAccountCredentials * {
        if (error)
            *error = ApiError::local(
                QStringLiteral("This is not a usable service-account key: %1.").arg(what),
                QStringLiteral("Create a JSON key for the service account (Cloud Console: IAM & "
                               "Admin > Service Accounts > Keys > Add key > JSON) and choose "
                               "that file."));
        return nullptr;
    };
    if (o.isEmpty())
        return fail(QStringLiteral("it is not JSON"));
    if (o.value(QLatin1String("type")).toString() != QLatin1String("service_account"))
        return fail(QStringLiteral("its type is not service_account"));
    const QString key = o.value(QLatin1String("private_key")).toString();
    const QString email = o.value(QLatin1String("client_email")).toString();
    if (key.isEmpty() || email.isEmpty())
        return fail(QStringLiteral("private_key or client_email is missing"));
    QString uri = o.value(QLatin1String("token_uri")).toString();
    if (uri.isEmpty())
        uri = QStringLiteral("https://oauth2.googleapis.com/token");
    auto *c = new ServiceAccountCredentials(parent);
    c->m_privateKey = key.toUtf8();
    c->m_email = email;
    c->m_projectId = o.value(QLatin1String("project_id")).toString();
    c->m_keyId = o.value(QLatin1String("private_key_id")).toString();
    c->m_tokenUri = QUrl(uri);
    QString signError;
    if (c->makeAssertion(&signError).isEmpty()) {
        delete c;
        return fail(signError);
    }
    return c;
}

ServiceAccountCredentials *ServiceAccountCredentials::fromFile(const QString &path, ApiError *error,
                                                               QObject *parent)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = ApiError::local(
                QStringLiteral("Cannot read the key file %1: %2.").arg(path, f.errorString()),
                QStringLiteral("Choose the service account's JSON key file."));
        return nullptr;
    }
    return fromJson(f.readAll(), error, parent);
}

QString ServiceAccountCredentials::describe() const
{
    return QStringLiteral("service account %1").arg(m_email);
}

QByteArray ServiceAccountCredentials::makeAssertion(QString *error) const
{
    const qint64 iat = now().toSecsSinceEpoch();
    const QJsonObject claims{{QStringLiteral("iss"), m_email},
                             {QStringLiteral("scope"), QLatin1String(ComputeScope)},
                             {QStringLiteral("aud"), m_tokenUri.toString()},
                             {QStringLiteral("iat"), iat},
                             {QStringLiteral("exp"), iat + 3600}};
    return jwt::makeJwt(claims, m_privateKey, error);
}

QByteArray ServiceAccountCredentials::grantBody(ApiError *error) const
{
    QString signError;
    const QByteArray assertion = makeAssertion(&signError);
    if (assertion.isEmpty()) {
        *error = ApiError::local(
            QStringLiteral("Cannot sign with the service-account key: %1.").arg(signError),
            QStringLiteral("Choose a fresh JSON key for %1.").arg(m_email));
        return {};
    }
    return formEncode({{QStringLiteral("grant_type"),
                        QStringLiteral("urn:ietf:params:oauth:grant-type:jwt-bearer")},
                       {QStringLiteral("assertion"), QString::fromLatin1(assertion)}});
}

QString ServiceAccountCredentials::invalidGrantHint() const
{
    return QStringLiteral("The key of %1 was refused: it may have been deleted or rotated, or "
                          "the account disabled. Create a new JSON key (gcloud iam "
                          "service-accounts keys create key.json --iam-account %1) and choose "
                          "it; check also that this computer's clock is right.")
        .arg(m_email);
}

// ---------------------------------------------------------------------------------------------

AuthorizedUserCredentials *AuthorizedUserCredentials::fromJson(const QByteArray &json,
                                                               ApiError *error, QObject *parent)
{
    const QJsonObject o = QJsonDocument::fromJson(json).object();
    const QString refresh = o.value(QLatin1String("refresh_token")).toString();
    if (o.value(QLatin1String("type")).toString() != QLatin1String("authorized_user") ||
        refresh.isEmpty()) {
        if (error)
            *error = ApiError::local(
                QStringLiteral("The application-default credentials have no refresh token."),
                QStringLiteral("Run: gcloud auth application-default login"));
        return nullptr;
    }
    auto *c = new AuthorizedUserCredentials(parent);
    c->m_clientId = o.value(QLatin1String("client_id")).toString();
    c->m_clientSecret = o.value(QLatin1String("client_secret")).toString();
    c->m_refreshToken = refresh;
    QString uri = o.value(QLatin1String("token_uri")).toString();
    if (uri.isEmpty())
        uri = QStringLiteral("https://oauth2.googleapis.com/token");
    c->m_tokenUri = QUrl(uri);
    return c;
}

QByteArray AuthorizedUserCredentials::grantBody(ApiError *) const
{
    return formEncode({{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                       {QStringLiteral("client_id"), m_clientId},
                       {QStringLiteral("client_secret"), m_clientSecret},
                       {QStringLiteral("refresh_token"), m_refreshToken}});
}

QString AuthorizedUserCredentials::invalidGrantHint() const
{
    return QStringLiteral("The saved sign-in has expired or was revoked: run gcloud auth "
                          "application-default login again.");
}

// ---------------------------------------------------------------------------------------------

GcloudCredentials::GcloudCredentials(QObject *parent) : AccessTokenSource(parent) {}

void GcloudCredentials::accessToken(Callback done)
{
    if (!m_token.isEmpty() && m_fetched.secsTo(QDateTime::currentDateTimeUtc()) < m_cacheSec) {
        later(this, [this, done] { done(m_token, {}); });
        return;
    }
    auto *process = new QProcess(this);
    QStringList args{QStringLiteral("auth"), QStringLiteral("print-access-token")};
    if (!m_account.isEmpty())
        args << m_account;
    process->setProgram(m_program);
    process->setArguments(args);
    auto finished = std::make_shared<bool>(false);
    connect(process, &QProcess::errorOccurred, this,
            [this, process, done, finished](QProcess::ProcessError err) {
                if (err != QProcess::FailedToStart || *finished)
                    return;
                *finished = true;
                process->deleteLater();
                done({}, ApiError::local(
                             QStringLiteral("gcloud was not found (%1).").arg(m_program),
                             QStringLiteral("Install the Google Cloud CLI and run gcloud auth "
                                            "login, or choose a service-account key file "
                                            "instead.")));
            });
    connect(process, &QProcess::finished, this,
            [this, process, done, finished](int code, QProcess::ExitStatus status) {
                if (*finished)
                    return;
                *finished = true;
                process->deleteLater();
                const QString token = QString::fromUtf8(process->readAllStandardOutput()).trimmed();
                if (status != QProcess::NormalExit || code != 0 || token.isEmpty()) {
                    // gcloud's own words say what is wrong (not signed in, no account).
                    const QString why =
                        QString::fromUtf8(process->readAllStandardError()).trimmed().left(400);
                    ApiError e = ApiError::local(
                        QStringLiteral("gcloud could not print an access token%1")
                            .arg(why.isEmpty() ? QStringLiteral(".") : QStringLiteral(": ") + why),
                        QStringLiteral("Run gcloud auth login, then retry."));
                    e.kind = ApiError::Kind::Auth;
                    done({}, e);
                    return;
                }
                m_token = token;
                m_fetched = QDateTime::currentDateTimeUtc();
                done(m_token, {});
            });
    process->start();
}

// ---------------------------------------------------------------------------------------------

AccessTokenSource *credentialsFromJson(const QByteArray &json, ApiError *error, QObject *parent)
{
    const QString type =
        QJsonDocument::fromJson(json).object().value(QLatin1String("type")).toString();
    if (type == QLatin1String("authorized_user"))
        return AuthorizedUserCredentials::fromJson(json, error, parent);
    return ServiceAccountCredentials::fromJson(json, error, parent);
}

QString applicationDefaultCredentialsPath()
{
    const QString env = qEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS");
    if (!env.isEmpty())
        return env;
    return QDir::homePath() +
           QStringLiteral("/.config/gcloud/application_default_credentials.json");
}

AccessTokenSource *applicationDefaultCredentials(ApiError *error, QObject *parent)
{
    const QString path = applicationDefaultCredentialsPath();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = ApiError::local(
                QStringLiteral("No application-default credentials at %1.").arg(path),
                QStringLiteral("Run gcloud auth application-default login, or set "
                               "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file."));
        return nullptr;
    }
    return credentialsFromJson(f.readAll(), error, parent);
}

void credentialsFromKeychain(SecretStore *store, const QString &entry, QObject *parent,
                             std::function<void(AccessTokenSource *, const ApiError &)> done)
{
    store->read(entry, [parent, entry, done](const SecretStore::ReadResult &r) {
        if (r.error) {
            done(nullptr, r.error);
            return;
        }
        if (!r.found) {
            done(nullptr,
                 ApiError::local(QStringLiteral("No GCE key in the keychain under %1.").arg(entry),
                                 QStringLiteral("Choose the service-account key file again.")));
            return;
        }
        ApiError error;
        AccessTokenSource *source = credentialsFromJson(r.value.toUtf8(), &error, parent);
        done(source, error);
    });
}

} // namespace pier::gce
