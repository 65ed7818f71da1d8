#pragma once

#include "core/apierror.h"
#include "marathon/appdefinition.h"
#include "marathon/marathontypes.h"

#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

class QNetworkAccessManager;
class QNetworkReply;

namespace pier::marathon {

struct MarathonConfig {
    enum class Auth { None, Basic, Token };

    QList<QUrl> urls;             // one or more Marathon instances; the leader is followed
    Auth auth = Auth::None;
    QString username;             // Basic
    QString password;             // Basic (from the keychain or the environment, never argv)
    QString token;                // DC/OS: "Authorization: token=<token>"
    QString caFile;               // extra CA certificates (PEM), added to the system ones
    int timeoutMs = 15000;        // per attempt
    int maxRetries = 3;           // idempotent calls only
    int retryBaseDelayMs = 300;   // doubled per retry, capped at 5 s, or Retry-After
};

// One call in flight. Emits finished() exactly once (also on error or abort), then may be
// deleted by the receiver with deleteLater(). Typed accessors parse the reply on demand.
class MarathonReply : public QObject {
    Q_OBJECT
public:
    explicit MarathonReply(QObject *parent = nullptr) : QObject(parent) {}

    bool isFinished() const { return m_finished; }
    const ApiError &error() const { return m_error; }
    int httpStatus() const { return m_status; }
    const QByteArray &body() const { return m_body; }
    QJsonValue json() const;
    QUrl url() const { return m_url; }          // the URL that answered (after leader redirects)
    int attempts() const { return m_attempts; }

    QList<MarathonApp> apps() const;            // GET /v2/apps
    MarathonApp app() const;                    // GET /v2/apps/{id}, POST /v2/apps
    QList<MarathonTask> tasks() const;          // GET /v2/apps/{id}/tasks, /v2/tasks
    QList<Deployment> deployments() const;      // GET /v2/deployments
    DeploymentResult deploymentResult() const;  // PUT/DELETE/scale/restart/rollback
    QList<QueueEntry> queue() const;            // GET /v2/queue
    QStringList versions() const;               // GET /v2/apps/{id}/versions
    MarathonInfo info() const;                  // GET /v2/info
    QString leader() const;                     // GET /v2/leader

    void abort();  // finishes with ApiError::Kind::Cancelled

signals:
    void finished();

private:
    friend class MarathonClient;
    bool m_finished = false;
    ApiError m_error;
    int m_status = 0;
    QByteArray m_body;
    QUrl m_url;
    int m_attempts = 0;
    QPointer<QNetworkReply> m_network;
};

// Marathon's v2 REST API, 0.7 through 1.10. All calls are asynchronous and return a reply
// owned by the caller (parented to the client until then).
class MarathonClient : public QObject {
    Q_OBJECT
public:
    explicit MarathonClient(const MarathonConfig &config, QObject *parent = nullptr);
    MarathonClient(const MarathonConfig &config, QNetworkAccessManager *nam, QObject *parent = nullptr);

    const MarathonConfig &config() const { return m_config; }
    void setConfig(const MarathonConfig &config);
    QUrl currentUrl() const;   // the leader last seen, else the first configured URL

    // Cluster
    MarathonReply *ping();                                  // GET /ping
    MarathonReply *info();                                  // GET /v2/info
    MarathonReply *leader();                                // GET /v2/leader

    // Apps
    MarathonReply *listApps(const QStringList &embed = {}, const QString &idFilter = {});
    MarathonReply *getApp(const QString &appId, const QStringList &embed = {});
    MarathonReply *createApp(const AppDefinition &app);     // POST /v2/apps (not retried)
    MarathonReply *updateApp(const AppDefinition &app, bool force = false);  // PUT /v2/apps/{id}
    MarathonReply *deleteApp(const QString &appId, bool force = false);
    MarathonReply *scaleApp(const QString &appId, int instances, bool force = false);
    MarathonReply *suspendApp(const QString &appId, bool force = false) { return scaleApp(appId, 0, force); }
    MarathonReply *restartApp(const QString &appId, bool force = false);
    MarathonReply *listVersions(const QString &appId);
    MarathonReply *getVersion(const QString &appId, const QString &version);
    MarathonReply *rollbackApp(const QString &appId, const QString &version, bool force = false);

    // Tasks
    MarathonReply *appTasks(const QString &appId);
    MarathonReply *allTasks();
    MarathonReply *killAppTasks(const QString &appId, const QString &host = {}, bool scale = false);
    MarathonReply *killTask(const QString &appId, const QString &taskId, bool scale = false);
    MarathonReply *killTasks(const QStringList &taskIds, bool scale = false);  // POST /v2/tasks/delete

    // Deployments and the launch queue
    MarathonReply *listDeployments();
    MarathonReply *cancelDeployment(const QString &deploymentId, bool rollback = true);
    MarathonReply *queue();
    MarathonReply *resetDelay(const QString &appId);

signals:
    void leaderChanged(const QUrl &leader);

private:
    enum class Method { Get, Post, Put, Delete };
    MarathonReply *send(Method method, const QString &path, const QUrlQuery &query,
                        const QByteArray &body, bool idempotent);
    void attempt(MarathonReply *reply);

    MarathonConfig m_config;
    QNetworkAccessManager *m_nam = nullptr;
    QUrl m_leader;
};

// Builds the ApiError for a finished HTTP exchange; exposed for tests.
ApiError marathonErrorFrom(int httpStatus, const QByteArray &body, const QString &transportError = {});

} // namespace pier::marathon
