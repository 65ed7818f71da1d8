#pragma once

#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QUrl>
#include <memory>

namespace pier::sandbox {

class AgentPool;
class HttpServer;
class TaskRunner;

// A server that behaves like Marathon's v2 REST API over real HTTP/1.1 on a TCP port, as
// ../shared/specs/marathon describes it: same URLs, defaults filled in, 200/201/404/409/422
// bodies, deployments that take time and lock the app, tasks that go staging -> running,
// health results, versions, the /v2/events SSE stream, basic auth when asked.
// Tasks are placed on the agents of a simulated AgentPool (agents.h) only where they fit: cpus,
// mem, disk, the host ports they ask for and their constraints. A task that fits nowhere stays
// in the launch queue (GET /v2/queue says why in processedOffersSummary) and its deployment does
// not finish, as on a real cluster. Share the AgentPool with a MesosServer for the master's view.
class MarathonServer : public QObject {
    Q_OBJECT
public:
    enum class Flavor {
        Modern, // Marathon 1.10 shapes: networks, container.portMappings, task state, instanceId
        Legacy, // Marathon 0.7.6 shapes: ports, docker.network/portMappings, tasks without state
    };

    struct Options {
        Flavor flavor = Flavor::Modern;
        QString username; // non-empty: HTTP basic auth required on every call but /ping
        QString password;
        int stagingMs = 300;        // a new task stays TASK_STAGING this long
        int deploymentStepMs = 300; // a deployment finishes this long after its tasks run
        int healthyAfterMs = 300;   // health checks pass this long after a task runs
        // The agents' hostnames (tasks report them as `host`), used when `cluster` is not set:
        // each has 4 cpus, 15 GiB memory, 40 GiB disk and ports [31000-32000]. A name that is
        // an IP address is also the agent's address; others get 198.18.0.11, .12, ...
        QStringList agents = {QStringLiteral("development-5159-d3d-1"),
                              QStringLiteral("development-5159-d3d-2"),
                              QStringLiteral("development-5159-d3d-3")};
        std::shared_ptr<AgentPool> cluster; // set: place tasks on this (shared) cluster
        int offerIntervalMs = 1000;         // waiting launches are retried this often (offers)
        int eventKeepAliveMs = 15000; // an SSE comment line this often on /v2/events (0: never)
        QString frameworkId;          // empty: a fixed made-up id
        // Set: tasks really run (taskrunner.h) on the cluster's agents, which must be the
        // runner's; a task is TASK_RUNNING once its process listens, its end is TASK_FAILED,
        // health checks are probed for real, and stagingMs/healthyAfterMs no longer apply.
        // The server's destruction stops every process of the runner.
        std::shared_ptr<TaskRunner> runner;
    };

    explicit MarathonServer(QObject *parent = nullptr);
    MarathonServer(const Options &options, QObject *parent = nullptr);
    ~MarathonServer() override;

    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0);
    // Serves on a socket that already listens (HttpServer::listenOnDescriptor).
    bool listenOnDescriptor(qintptr fd);
    quint16 port() const;
    QUrl url() const; // http://127.0.0.1:PORT
    QString errorString() const;

    Options &options();

    // Leader following: a non-leader answers every /v2 call with 307 to the leader's URL
    // (X-Marathon-Leader header set), as a Marathon standby does.
    void setLeaderUrl(const QUrl &leader);

    // Faults for tests: the next `count` requests (any path matching `pathPrefix`) get this
    // status with this body, or no reply at all when status == 0 (the client must time out),
    // or a connection closed at once when status == -1.
    void injectFault(const QString &pathPrefix, int status, const QByteArray &body = {},
                     int count = 1);
    void clearFaults();

    // Make every new task of this app fail (TASK_FAILED after staging, with this message),
    // for "tasks keep failing" scenarios.
    void setFailing(const QString &appId, const QString &message);

    int requestCount() const;                        // for tests of retry behaviour
    QJsonObject appJson(const QString &appId) const; // as GET /v2/apps/{id} would return it

    // For the sandbox and tests: the ids of running deployments, the ids of an app's tasks, the
    // number of clients attached to /v2/events, and the HTTP layer (for more routes or faults).
    QStringList deploymentIds() const;
    QStringList taskIds(const QString &appId) const;
    int eventSubscriberCount() const;
    HttpServer *httpServer() const;
    // The cluster the tasks are placed on (the one from the options, or the server's own).
    std::shared_ptr<AgentPool> cluster() const;

signals:
    void requestServed(const QString &method, const QString &path, int status);
    // Every event as it goes out on /v2/events (also when nobody is attached).
    void eventPublished(const QString &eventType, const QJsonObject &event);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pier::sandbox
