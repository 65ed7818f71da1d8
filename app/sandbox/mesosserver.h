#pragma once

#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QUrl>
#include <memory>

namespace pier::sandbox {

class AgentPool;
class HttpServer;

// The Mesos master's HTTP API (v0 JSON endpoints) over the sandbox's simulated AgentPool, the same
// one its MarathonServer places tasks on: /master/state, /master/state.json, /master/health,
// /master/redirect and /version, in the shapes of the Mesos versions Pier meets.
class MesosServer : public QObject {
    Q_OBJECT
public:
    enum class Flavor {
        Modern, // Mesos 1.4: /master/state and /master/state.json, /version, slave `active`
        Legacy, // Mesos 0.21 as on the Mesosphere-for-GCE clusters: only /master/state.json,
                // no /version, no `active`, no offered/unreserved resources
    };

    struct Options {
        Flavor flavor = Flavor::Modern;
        QString leaderHostPort; // empty: this server's own address (it is the leader)
    };

    explicit MesosServer(std::shared_ptr<AgentPool> cluster, QObject *parent = nullptr);
    MesosServer(std::shared_ptr<AgentPool> cluster, const Options &options,
                QObject *parent = nullptr);
    ~MesosServer() override;

    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0);
    // Serves on a socket that already listens (HttpServer::listenOnDescriptor).
    bool listenOnDescriptor(qintptr fd);
    quint16 port() const;
    QUrl url() const; // http://127.0.0.1:PORT
    QString errorString() const;
    QString version() const; // "1.4.3" or "0.21.1"

    std::shared_ptr<AgentPool> cluster() const;
    HttpServer *httpServer() const; // for more routes or injected faults

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pier::sandbox
