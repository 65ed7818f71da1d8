#pragma once

#include "core/apierror.h"
#include "marathon/appdefinition.h"
#include "marathon/marathontypes.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QSslCertificate>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QUrlQuery>

class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;
class QTimer;

namespace pier::marathon {

struct MarathonConfig {
    enum class Auth { None, Basic, Token };

    QList<QUrl> urls; // one or more Marathon instances; the leader is followed
    Auth auth = Auth::None;
    QString username;           // Basic
    QString password;           // Basic (from the keychain or the environment, never argv)
    QString token;              // DC/OS: "Authorization: token=<token>"
    QString caFile;             // extra CA certificates (PEM), added to the system ones
    QString socksProxy;         // "socks5://host:port" or "host:port"; empty: direct
    int timeoutMs = 15000;      // per attempt
    int maxRetries = 3;         // idempotent calls only
    int retryBaseDelayMs = 300; // doubled per retry, capped at 5 s, or Retry-After
};

// One call in flight. Emits finished() exactly once (also on error or abort), then may be
// deleted by the receiver with deleteLater(). Typed accessors parse the reply on demand.
class MarathonReply : public QObject {
    Q_OBJECT
public:
    explicit MarathonReply(QObject *parent = nullptr) : QObject(parent) {}
    ~MarathonReply() override; // aborts the request still in flight

    bool isFinished() const { return m_finished; }
    const ApiError &error() const { return m_error; }
    int httpStatus() const { return m_status; }
    const QByteArray &body() const { return m_body; }
    QJsonValue json() const;
    QUrl url() const { return m_url; }          // the URL that answered (after leader redirects)
    int attempts() const { return m_attempts; } // HTTP requests sent (redirects and retries too)
    QByteArray header(const QByteArray &name) const; // a header of the reply that answered

    QList<MarathonApp> apps() const;           // GET /v2/apps
    MarathonApp app() const;                   // GET /v2/apps/{id}, POST /v2/apps
    QList<MarathonTask> tasks() const;         // GET /v2/apps/{id}/tasks, /v2/tasks
    QList<Deployment> deployments() const;     // GET /v2/deployments
    DeploymentResult deploymentResult() const; // PUT/DELETE/scale/restart/rollback
    QList<QueueEntry> queue() const;           // GET /v2/queue
    QStringList versions() const;              // GET /v2/apps/{id}/versions
    MarathonInfo info() const;                 // GET /v2/info
    QString leader() const;                    // GET /v2/leader

    void abort(); // finishes with ApiError::Kind::Cancelled

signals:
    void finished();

private:
    friend class MarathonClient;
    void complete(const ApiError &error); // stops the timers, emits finished() once
    void dropNetwork();                   // aborts and forgets the request in flight

    bool m_finished = false;
    ApiError m_error;
    int m_status = 0;
    QByteArray m_body;
    QUrl m_url;
    int m_attempts = 0;
    QPointer<QNetworkReply> m_network;
    QList<QPair<QByteArray, QByteArray>> m_headers;

    // The call, as the client keeps it between attempts.
    int m_method = 0; // MarathonClient::Method
    QString m_path;   // encoded, "/v2/apps/group/app"
    QUrlQuery m_query;
    QByteArray m_requestBody;
    bool m_idempotent = false;
    bool m_expectJson = true;
    QList<QUrl> m_candidates; // base URLs to try in turn: the leader, then the configured ones
    int m_candidate = 0;
    QUrl m_redirect;   // set while following a redirect: the full URL to ask
    int m_hops = 0;    // redirects followed in this attempt
    int m_retries = 0; // retries done after transient errors
    bool m_timedOut = false;
    QStringList m_sslErrors;
    QElapsedTimer m_clock;       // per request, for the log
    QTimer *m_timeout = nullptr; // per attempt
    QTimer *m_backoff = nullptr; // between retries
};

// Marathon's v2 REST API, 0.7 through 1.10. All calls are asynchronous and return a reply
// owned by the caller (parented to the client until then).
class MarathonClient : public QObject {
    Q_OBJECT
public:
    explicit MarathonClient(const MarathonConfig &config, QObject *parent = nullptr);
    MarathonClient(const MarathonConfig &config, QNetworkAccessManager *nam,
                   QObject *parent = nullptr);
    ~MarathonClient() override; // calls still in flight finish as Cancelled

    const MarathonConfig &config() const { return m_config; }
    void setConfig(const MarathonConfig &config);
    QUrl currentUrl() const; // the leader last seen, else the first configured URL

    // Cluster
    MarathonReply *ping();   // GET /ping
    MarathonReply *info();   // GET /v2/info
    MarathonReply *leader(); // GET /v2/leader

    // Apps
    MarathonReply *listApps(const QStringList &embed = {}, const QString &idFilter = {});
    MarathonReply *getApp(const QString &appId, const QStringList &embed = {});
    MarathonReply *createApp(const AppDefinition &app); // POST /v2/apps (not retried)
    MarathonReply *updateApp(const AppDefinition &app, bool force = false); // PUT /v2/apps/{id}
    MarathonReply *deleteApp(const QString &appId, bool force = false);
    MarathonReply *scaleApp(const QString &appId, int instances, bool force = false);
    MarathonReply *suspendApp(const QString &appId, bool force = false)
    {
        return scaleApp(appId, 0, force);
    }
    MarathonReply *restartApp(const QString &appId, bool force = false);
    MarathonReply *listVersions(const QString &appId);
    MarathonReply *getVersion(const QString &appId, const QString &version);
    MarathonReply *rollbackApp(const QString &appId, const QString &version, bool force = false);

    // Tasks
    MarathonReply *appTasks(const QString &appId);
    MarathonReply *allTasks();
    MarathonReply *killAppTasks(const QString &appId, const QString &host = {}, bool scale = false);
    MarathonReply *killTask(const QString &appId, const QString &taskId, bool scale = false);
    MarathonReply *killTasks(const QStringList &taskIds,
                             bool scale = false); // POST /v2/tasks/delete

    // Deployments and the launch queue
    MarathonReply *listDeployments();
    MarathonReply *cancelDeployment(const QString &deploymentId, bool rollback = true);
    MarathonReply *queue();
    MarathonReply *resetDelay(const QString &appId);

    // For long-lived requests the call machinery does not fit (the /v2/events stream): a GET
    // request for `path` (encoded, "/v2/events") on the current leader, with the client's
    // headers, credentials and CA certificates, to send on networkAccessManager().
    QNetworkRequest authorizedRequest(const QString &path, const QUrlQuery &query = {}) const;
    QNetworkAccessManager *networkAccessManager() const { return m_nam; }

signals:
    void leaderChanged(const QUrl &leader);

private:
    enum class Method { Get, Post, Put, Delete };
    MarathonReply *send(Method method, const QString &path, const QUrlQuery &query,
                        const QByteArray &body, bool idempotent, bool expectJson = true);
    void attempt(MarathonReply *reply);
    void prepareRequest(QNetworkRequest &request) const; // headers, auth, TLS
    void onNetworkFinished(MarathonReply *reply, QNetworkReply *network);
    void retryOrFinish(MarathonReply *reply, const ApiError &error, bool nothingSent);
    void finish(MarathonReply *reply, const ApiError &error);
    void noteLeader(const QUrl &base);
    QList<QUrl> candidates() const;
    void loadCaFile();
    void applyProxy(); // after loadCaFile(): an invalid proxy fails every call, as a bad CA file

    MarathonConfig m_config;
    QNetworkAccessManager *m_nam = nullptr;
    QUrl m_leader;
    QList<QPointer<MarathonReply>> m_inFlight; // also those the caller took ownership of
    QList<QUrl> m_unreachableLeaders; // leaders named by X-Marathon-Leader we could not reach
    QList<QSslCertificate> m_caCertificates;
    ApiError m_configError; // a caFile that cannot be read: every call fails with it
};

// Builds the ApiError for a finished HTTP exchange (status and body; status 0 with a transport
// error for a request that got no HTTP reply); exposed for tests. `contentType` helps say what
// came back when it was not JSON; `expectJson` is false for calls whose success is not JSON.
ApiError marathonErrorFrom(int httpStatus, const QByteArray &body,
                           const QString &transportError = {}, const QByteArray &contentType = {},
                           bool expectJson = true);

} // namespace pier::marathon
