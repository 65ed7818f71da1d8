#pragma once

#include "core/apierror.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>
#include <functional>

class QNetworkAccessManager;

namespace pier {
class SecretStore;
}

namespace pier::gce {

// Where GceClient gets its OAuth access tokens. Tokens are never logged and never written to
// settings; a key's material lives in the file the user chose or in the keychain.
class AccessTokenSource : public QObject {
    Q_OBJECT
public:
    using Callback = std::function<void(const QString &token, const ApiError &error)>;
    using QObject::QObject;

    // Calls `done` once, later (never from inside this call), with a valid token or an error.
    virtual void accessToken(Callback done) = 0;
    // The API refused the token (401): forget it, so the next call gets a fresh one.
    virtual void invalidate() {}
    // Who the calls run as, for the status bar and errors ("service account a@b", "gcloud").
    virtual QString describe() const = 0;
};

// A fixed token (PIER_GCE_TOKEN, tests).
class StaticTokenSource : public AccessTokenSource {
    Q_OBJECT
public:
    explicit StaticTokenSource(const QString &token, QObject *parent = nullptr);
    void accessToken(Callback done) override;
    QString describe() const override { return QStringLiteral("a fixed access token"); }

private:
    QString m_token;
};

// OAuth 2 token exchange shared by service accounts (JWT bearer grant) and authorized users
// (refresh-token grant): one exchange at a time, the token cached and refreshed
// `refreshMarginSec` before it expires.
class OAuthTokenSource : public AccessTokenSource {
    Q_OBJECT
public:
    explicit OAuthTokenSource(QObject *parent = nullptr);

    void accessToken(Callback done) override;
    void invalidate() override;

    void setNetworkAccessManager(QNetworkAccessManager *nam);
    void setRefreshMarginSec(int seconds) { m_marginSec = seconds; }
    // For tests of clock trouble: the local clock the JWT's iat/exp and expiry checks use.
    void setClock(std::function<QDateTime()> now) { m_now = std::move(now); }
    QDateTime now() const { return m_now ? m_now() : QDateTime::currentDateTimeUtc(); }

    QUrl tokenUri() const { return m_tokenUri; }
    QDateTime expiry() const { return m_expiry; } // of the cached token (invalid: none)
    int exchangeCount() const { return m_exchanges; }

signals:
    void tokenRefreshed(const QDateTime &expiry);

protected:
    // The form body for the token endpoint, or an error (a key that cannot sign).
    virtual QByteArray grantBody(ApiError *error) const = 0;
    // invalid_grant's hint: what the user should do about the key or the refresh token.
    virtual QString invalidGrantHint() const = 0;
    QUrl m_tokenUri;

private:
    void exchange();
    void finishAll(const QString &token, const ApiError &error);

    QNetworkAccessManager *m_nam = nullptr;
    std::function<QDateTime()> m_now;
    QString m_token;
    QDateTime m_expiry;
    int m_marginSec = 300;
    int m_exchanges = 0;
    bool m_inFlight = false;
    QList<Callback> m_waiting;
};

// A service-account JSON key ({"type":"service_account","private_key","client_email",
// "token_uri",...}): a JWT signed RS256 with the key, exchanged at token_uri.
class ServiceAccountCredentials : public OAuthTokenSource {
    Q_OBJECT
public:
    static constexpr const char *ComputeScope = "https://www.googleapis.com/auth/compute";

    // nullptr and `error` set when the JSON is not a usable service-account key.
    static ServiceAccountCredentials *fromJson(const QByteArray &keyJson, ApiError *error,
                                               QObject *parent = nullptr);
    static ServiceAccountCredentials *fromFile(const QString &path, ApiError *error,
                                               QObject *parent = nullptr);

    QString clientEmail() const { return m_email; }
    QString projectId() const { return m_projectId; }
    QString describe() const override;

    // The signed assertion for now (exposed for tests).
    QByteArray makeAssertion(QString *error = nullptr) const;

protected:
    QByteArray grantBody(ApiError *error) const override;
    QString invalidGrantHint() const override;

private:
    explicit ServiceAccountCredentials(QObject *parent) : OAuthTokenSource(parent) {}
    QString m_email, m_projectId, m_keyId;
    QByteArray m_privateKey;
};

// application_default_credentials.json written by `gcloud auth application-default login`
// ({"type":"authorized_user","client_id","client_secret","refresh_token"}).
class AuthorizedUserCredentials : public OAuthTokenSource {
    Q_OBJECT
public:
    static AuthorizedUserCredentials *fromJson(const QByteArray &json, ApiError *error,
                                               QObject *parent = nullptr);
    QString describe() const override { return QStringLiteral("application-default user"); }

protected:
    QByteArray grantBody(ApiError *error) const override;
    QString invalidGrantHint() const override;

private:
    explicit AuthorizedUserCredentials(QObject *parent) : OAuthTokenSource(parent) {}
    QString m_clientId, m_clientSecret, m_refreshToken;
};

// The user's gcloud: `gcloud auth print-access-token`, cached for a few minutes.
class GcloudCredentials : public AccessTokenSource {
    Q_OBJECT
public:
    explicit GcloudCredentials(QObject *parent = nullptr);
    void setProgram(const QString &program) { m_program = program; } // default "gcloud"
    void setAccount(const QString &account) { m_account = account; }
    void accessToken(Callback done) override;
    void invalidate() override { m_token.clear(); }
    QString describe() const override { return QStringLiteral("gcloud"); }
    void setCacheSeconds(int seconds) { m_cacheSec = seconds; }

private:
    QString m_program = QStringLiteral("gcloud");
    QString m_account;
    QString m_token;
    QDateTime m_fetched;
    int m_cacheSec = 300; // gcloud's tokens live an hour; ask again well before
};

// Builds a token source from key JSON: service_account or authorized_user.
AccessTokenSource *credentialsFromJson(const QByteArray &json, ApiError *error,
                                       QObject *parent = nullptr);
// Application-default credentials: $GOOGLE_APPLICATION_CREDENTIALS, else
// ~/.config/gcloud/application_default_credentials.json.
QString applicationDefaultCredentialsPath();
AccessTokenSource *applicationDefaultCredentials(ApiError *error, QObject *parent = nullptr);
// Key JSON saved in the keychain under `entry` (never in settings).
void credentialsFromKeychain(SecretStore *store, const QString &entry, QObject *parent,
                             std::function<void(AccessTokenSource *, const ApiError &)> done);

// For invalid_grant: the local clock's offset from the server's Date header, in seconds
// (0 when the header is missing or unreadable).
qint64 clockSkewSeconds(const QByteArray &dateHeader, const QDateTime &localNow);

} // namespace pier::gce
