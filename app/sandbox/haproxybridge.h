#pragma once

// HAProxy on the sandbox's nodes, fed as the Mesosphere images feed it: haproxy-marathon-bridge
// asks Marathon for GET /v2/tasks (text/plain) every minute (cron), writes /etc/haproxy/haproxy.cfg
// with a `listen APP-SERVICEPORT` per app and service port (bound on 0.0.0.0:SERVICEPORT, mode
// tcp, balance leastconn, a `server` per task) and reloads haproxy (-sf) only when it changed.
// Here the real /usr/sbin/haproxy runs in each node's network and mount namespaces, and the
// config goes to the node's own /etc/haproxy (its overlay), never the host's.

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QUrl>

#include <memory>

namespace pier::sandbox {

struct ClusterStatus;

struct BridgeNode {
    QString name;
    QString netns;
    QString mntnsFile;
};

class HaproxyBridge : public QObject {
    Q_OBJECT
public:
    struct Options {
        QList<BridgeNode> nodes;
        QUrl marathon;      // http://198.18.0.2:8080
        QString fetchNetns; // where Marathon is asked from (empty: this process's namespace)
        // Task hosts to addresses for the `server` lines: Marathon reports agents by hostname,
        // which on GCE its DNS resolves; the sandbox has no DNS.
        QHash<QString, QString> hostAddresses;
        QString stateDir;           // haproxy's pid files: STATE_DIR/haproxy/NODE.pid
        int intervalMs = 60000;     // the cron job runs every minute
        int fetchTimeoutMs = 10000; // curl -m 10
    };

    explicit HaproxyBridge(const Options &options, QObject *parent = nullptr);
    ~HaproxyBridge() override; // stops every haproxy it started

    // A bridge on every node of a `pier sandbox net` cluster (master and agents), asking the
    // Marathon at MARATHON from the master's namespace.
    static std::unique_ptr<HaproxyBridge>
    forCluster(const ClusterStatus &status, const QUrl &marathon, QObject *parent = nullptr);

    // haproxy-marathon-bridge's config for Marathon's text/plain task list.
    static QByteArray config(const QByteArray &tasksText,
                             const QHash<QString, QString> &hostAddresses = {});

    const Options &options() const { return m_options; }
    void setIntervalMs(int ms) { m_options.intervalMs = ms; } // before start()
    void start();      // refreshes now, then every intervalMs
    void refreshNow(); // asks Marathon now (async); refreshed() tells how it went
    void stop();       // no more refreshes; every haproxy stopped

    QByteArray currentConfig() const { return m_config; }
    qint64 pid(const QString &node) const;    // the node's haproxy, -1 if none
    int reloads() const { return m_reloads; } // haproxy starts and reloads so far

signals:
    // After each refresh: whether the config changed (and haproxy was reloaded), or what failed.
    void refreshed(bool changed, const QString &error);

private:
    struct Mailbox;
    void fetched(const QByteArray &text, const QString &error);
    bool apply(const BridgeNode &node, const QByteArray &config, bool changed, QString *error);
    QString pidFile(const BridgeNode &node) const;

    Options m_options;
    QTimer m_timer;
    QByteArray m_config;
    bool m_fetching = false;
    int m_reloads = 0;
    QHash<QString, QList<qint64>> m_pids; // per node, every haproxy pid it had (old ones drain)
    std::shared_ptr<Mailbox> m_mailbox;
};

} // namespace pier::sandbox
