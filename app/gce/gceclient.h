#pragma once

#include "core/apierror.h"
#include "gce/gcetypes.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>
#include <QUrlQuery>
#include <functional>

Q_DECLARE_LOGGING_CATEGORY(lcGce)

class QNetworkAccessManager;
class QNetworkReply;

namespace pier::gce {

class AccessTokenSource;

struct GceConfig {
    QUrl endpoint = QUrl(QStringLiteral("https://compute.googleapis.com/compute/v1/"));
    QString project;
    int timeoutMs = 30000;      // per request (operations' /wait: waitTimeoutMs)
    int waitTimeoutMs = 150000; // GCE holds /wait up to about two minutes
    int maxRetries = 4;         // transient errors (network, 5xx, rate limits)
    int retryBaseDelayMs = 500; // doubled per retry, capped at 8 s
    int pollIntervalMs = 1000;  // when polling operations get instead of /wait
    int setTagsAttempts = 5;    // 412 conditionNotMet → re-read and retry, this often
    // Only for an endpoint inside the private network: GCE's public API is reached directly.
    QString socksProxy; // "socks5://host:port" or "host:port"; empty: direct
};

// One logical call. Emits finished() exactly once. For a mutation, finished() comes after its
// Operation is DONE; error() is set for a refused request and for a DONE operation that failed.
class GceReply : public QObject {
    Q_OBJECT
public:
    explicit GceReply(QObject *parent = nullptr) : QObject(parent) {}
    ~GceReply() override;

    bool isFinished() const { return m_finished; }
    const ApiError &error() const { return m_error; }
    int httpStatus() const { return m_status; }
    QJsonObject json() const { return m_json; }       // the last body (a resource, a list, the op)
    QString requestId() const { return m_requestId; } // of the mutation (the last one sent)
    int attempts() const { return m_attempts; }       // HTTP requests sent for this call
    bool changed() const { return m_changed; } // setTags: false when the tags were already so

    GceOperation operation() const { return m_operation; } // mutations: the DONE operation
    GceAddress address() const { return parseAddress(m_json); }
    GceTargetPool targetPool() const { return parseTargetPool(m_json); }
    GceForwardingRule forwardingRule() const { return parseForwardingRule(m_json); }
    GceInstance instance() const { return parseInstance(m_json); }
    GceNetwork network() const { return parseNetwork(m_json); }
    GceFirewall firewall() const { return parseFirewall(m_json); }
    GceHealthCheck healthCheck() const { return parseHealthCheck(m_json); }
    GceRegion region() const { return parseRegion(m_json); }
    GceZone zone() const { return parseZone(m_json); }
    QList<GceHealthStatus> health() const { return parseHealth(m_json); }
    QList<GceAddress> addresses() const;
    QList<GceInstance> instances() const; // list and aggregatedList (every zone)
    QList<GceNetwork> networks() const;
    QList<GceFirewall> firewalls() const;
    QJsonArray items() const { return m_items; } // list items, all pages

    void abort(); // finishes with Cancelled

signals:
    void finished();
    void operationProgress(const pier::gce::GceOperation &op); // PENDING, RUNNING as seen

private:
    friend class GceClient;
    void complete(const ApiError &error);

    bool m_finished = false;
    ApiError m_error;
    int m_status = 0;
    QJsonObject m_json;
    QJsonArray m_items;
    QString m_requestId;
    int m_attempts = 0;
    bool m_changed = true;
    GceOperation m_operation;
    QPointer<QNetworkReply> m_network;
};

// Compute Engine v1, only what the journey needs. Asynchronous; replies are parented to the
// client until the caller takes them. Every mutation carries a requestId that is reused when
// the same call is retried, so a retry after a lost reply cannot create twice.
class GceClient : public QObject {
    Q_OBJECT
public:
    explicit GceClient(const GceConfig &config, QObject *parent = nullptr);
    GceClient(const GceConfig &config, QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~GceClient() override;

    const GceConfig &config() const { return m_config; }
    void setConfig(const GceConfig &config) { m_config = config; }
    void setTokenSource(AccessTokenSource *source) { m_tokens = source; }
    AccessTokenSource *tokenSource() const { return m_tokens; }
    QNetworkAccessManager *networkAccessManager() const { return m_nam; }
    // The URL of a resource path under the project ("regions/r/addresses/a").
    QUrl projectUrl(const QString &path) const;

    GceReply *getRegion(const QString &region);
    GceReply *getZone(const QString &zone);

    GceReply *insertAddress(const QString &region, const GceAddress &address);
    GceReply *getAddress(const QString &region, const QString &name);
    GceReply *listAddresses(const QString &region, const QString &filter = {});
    GceReply *deleteAddress(const QString &region, const QString &name);

    GceReply *insertTargetPool(const QString &region, const GceTargetPool &pool);
    GceReply *getTargetPool(const QString &region, const QString &name);
    GceReply *addInstances(const QString &region, const QString &pool,
                           const QStringList &instanceUrls);
    GceReply *removeInstances(const QString &region, const QString &pool,
                              const QStringList &instanceUrls);
    GceReply *addHealthCheck(const QString &region, const QString &pool,
                             const QString &healthCheckUrl);
    GceReply *removeHealthCheck(const QString &region, const QString &pool,
                                const QString &healthCheckUrl);
    GceReply *getHealth(const QString &region, const QString &pool, const QString &instanceUrl);
    GceReply *deleteTargetPool(const QString &region, const QString &name);

    GceReply *insertForwardingRule(const QString &region, const GceForwardingRule &rule);
    GceReply *getForwardingRule(const QString &region, const QString &name);
    GceReply *deleteForwardingRule(const QString &region, const QString &name);

    GceReply *getInstance(const QString &zone, const QString &name);
    GceReply *listInstances(const QString &zone, const QString &filter = {});
    GceReply *aggregatedListInstances(const QString &filter = {});
    // Read-modify-write: reads the instance, applies `modify` to its tags, sends them with the
    // fingerprint; on 412 conditionNotMet reads again and retries (config.setTagsAttempts).
    GceReply *setTags(const QString &zone, const QString &instance,
                      std::function<QStringList(const QStringList &current)> modify);
    GceReply *addTags(const QString &zone, const QString &instance, const QStringList &tags);
    GceReply *removeTags(const QString &zone, const QString &instance, const QStringList &tags);

    GceReply *listNetworks();
    GceReply *getNetwork(const QString &name);

    GceReply *insertFirewall(const GceFirewall &firewall);
    GceReply *getFirewall(const QString &name);
    GceReply *listFirewalls(const QString &filter = {});
    GceReply *deleteFirewall(const QString &name);

    GceReply *insertHttpHealthCheck(const GceHealthCheck &check);
    GceReply *getHttpHealthCheck(const QString &name);
    GceReply *deleteHttpHealthCheck(const QString &name);

    // scope: "region"/"zone" with its name, or "global" (scopeName empty).
    GceReply *getOperation(const QString &scope, const QString &scopeName, const QString &name);
    GceReply *waitOperation(const QString &scope, const QString &scopeName, const QString &name);

    static QString newRequestId(); // a UUID without braces

private:
    using HttpDone = std::function<void(const ApiError &, int status, const QByteArray &body)>;
    struct Http {
        QByteArray verb;
        QUrl url;
        QByteArray body;
        bool retryable = true;
        int timeoutMs = 0;
    };
    GceReply *newReply();
    GceReply *get(const QString &path, const QUrlQuery &query = {});
    GceReply *mutate(const QByteArray &verb, const QString &path, const QJsonObject &body);
    void sendMutation(GceReply *reply, const QByteArray &verb, const QUrl &url,
                      const QByteArray &body, std::function<void(const ApiError &)> done);
    void fetchPages(GceReply *reply, const QUrl &url, const QString &pageToken);
    void follow(GceReply *reply, const GceOperation &op, bool useWait,
                std::function<void(const ApiError &)> done);
    void send(GceReply *reply, const Http &http, HttpDone done, int retry = 0,
              bool refreshedToken = false);
    void sendWithToken(GceReply *reply, const Http &http, const QString &token, HttpDone done,
                       int retry, bool refreshedToken);
    void setTagsAttempt(GceReply *reply, const QString &zone, const QString &instance,
                        std::function<QStringList(const QStringList &)> modify, int attempt);
    QUrl operationUrl(const GceOperation &op, bool wait) const;

    GceConfig m_config;
    QNetworkAccessManager *m_nam = nullptr;
    QPointer<AccessTokenSource> m_tokens;
};

} // namespace pier::gce
