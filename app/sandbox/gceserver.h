#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <memory>

namespace pier::sandbox {

class HttpServer;

// What the sandbox's router needs to hear from the GCE emulator: called when a change becomes
// effective (its operation is DONE), with the resource as GET would return it. The default
// implementation ignores everything; the router overrides what it applies.
class GceObserver {
public:
    virtual ~GceObserver() = default;
    virtual void firewallChanged(const QJsonObject &firewall, bool removed)
    {
        Q_UNUSED(firewall)
        Q_UNUSED(removed)
    }
    virtual void addressChanged(const QJsonObject &address, bool removed)
    {
        Q_UNUSED(address)
        Q_UNUSED(removed)
    }
    virtual void forwardingRuleChanged(const QJsonObject &rule, bool removed)
    {
        Q_UNUSED(rule)
        Q_UNUSED(removed)
    }
    virtual void targetPoolChanged(const QJsonObject &pool, bool removed)
    {
        Q_UNUSED(pool)
        Q_UNUSED(removed)
    }
    virtual void healthCheckChanged(const QJsonObject &check, bool removed)
    {
        Q_UNUSED(check)
        Q_UNUSED(removed)
    }
    virtual void instanceTagsChanged(const QJsonObject &instance) { Q_UNUSED(instance) }
};

// The sandbox's Compute Engine v1: the subset Pier uses, on the real URL paths under a prefix
// (/compute/v1/projects/{project}/...), with bodies shaped as in the discovery document,
// operations that go PENDING → RUNNING → DONE, GCE's errors, and an OAuth token endpoint
// (POST /token) that checks service-account JWTs against a key pair it generates.
class GceServer : public QObject {
    Q_OBJECT
public:
    struct Instance {
        QString name;
        QString zone; // empty: the options' zone
        QString internalIp;
        QString externalIp; // natIP of "External NAT"; empty: none
        QStringList tags;
    };

    struct Options {
        QString prefix = QStringLiteral("/compute/v1");
        QString project = QStringLiteral("mesosphere-development");
        QString region = QStringLiteral("us-central1");
        QString zone = QStringLiteral("us-central1-a");
        QString network = QStringLiteral("mesosphere-development-5159");
        QString networkRange = QStringLiteral("198.18.0.0/24");
        QString gateway = QStringLiteral("198.18.0.1");
        int operationMs = 2000;     // PENDING → RUNNING → DONE takes this long
        int waitTimeoutMs = 120000; // operations' /wait answers by then even if not DONE
        int staticAddressQuota = 7; // STATIC_ADDRESSES per region
        // GCE answers an exceeded static-address quota with a 403 at once; true reports it as
        // a DONE operation with QUOTA_EXCEEDED instead (as GCE does for other quotas).
        bool quotaAsFailedOperation = false;
        QString externalPrefix = QStringLiteral("203.0.113."); // reserved addresses come from here
        int firstExternalHost = 100;
        bool requireAuth = true;
        int tokenLifetimeSec = 3600;
        QString refreshToken; // accepted for the refresh_token grant (authorized_user)
        QString serviceAccount = QStringLiteral("pier-sandbox@mesosphere-development.iam."
                                                "gserviceaccount.com");
        QList<Instance> instances = {
            {QStringLiteral("development-5159-d3d-1"),
             {},
             QStringLiteral("198.18.0.11"),
             QStringLiteral("203.0.113.11"),
             {}},
            {QStringLiteral("development-5159-d3d-2"),
             {},
             QStringLiteral("198.18.0.12"),
             QStringLiteral("203.0.113.12"),
             {}},
            {QStringLiteral("development-5159-d3d-3"),
             {},
             QStringLiteral("198.18.0.13"),
             QStringLiteral("203.0.113.13"),
             {}},
        };
    };

    explicit GceServer(QObject *parent = nullptr);
    GceServer(const Options &options, QObject *parent = nullptr);
    ~GceServer() override;

    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0);
    quint16 port() const;
    QUrl url() const;      // http://127.0.0.1:PORT
    QUrl endpoint() const; // http://127.0.0.1:PORT/compute/v1/ (GceConfig::endpoint)
    QUrl tokenUri() const; // http://127.0.0.1:PORT/token
    Options &options();
    HttpServer *httpServer() const;

    // A service-account JSON key whose token_uri is this server and whose private key matches
    // the public key the token endpoint checks. Written with 0600 permissions.
    QByteArray serviceAccountKeyJson() const;
    bool writeServiceAccountKey(const QString &path) const;
    QByteArray publicKeyPem() const;
    QString issueToken(); // a valid access token, for tests that skip the OAuth exchange

    void setObserver(GceObserver *observer); // not owned; nullptr: none

    // Faults for tests: the next `count` mutations whose path contains `pathContains` are
    // carried out, then the connection is closed without an answer (a reply lost on the way).
    void dropReplyAfterCommit(const QString &pathContains, int count = 1);
    // Changes an instance's tags behind the client's back (new fingerprint), e.g. to make the
    // client's next setTags stale.
    void setInstanceTags(const QString &instance, const QStringList &tags);
    // What getHealth says for an instance of a pool with a health check (default healthy).
    void setInstanceHealthy(const QString &instance, bool healthy);

    // The resource as GET returns it (empty when absent); `path` relative to the project:
    // "regions/us-central1/addresses/web".
    QJsonObject resource(const QString &path) const;
    QStringList resourcePaths(const QString &collectionPath) const; // "regions/r/addresses"
    int mutationCount() const; // mutations that changed something (not replays of a requestId)

signals:
    void resourceChanged(const QString &path, bool removed); // when its operation is DONE
    void requestServed(const QString &method, const QString &path, int status);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pier::sandbox
