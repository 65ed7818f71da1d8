#pragma once

// What really runs a sandbox Marathon's tasks: each task is a process inside its agent's network
// and mount namespaces, listening on the task's host ports on 0.0.0.0 there. An nginx image runs
// the real nginx serving Debian's default page; any other image (or a bare `cmd`) runs
// pier-task-server, which names the app, task and image. The runner tells when a task listens
// (TASK_RUNNING), when its process ends on its own (TASK_FAILED), and probes its health checks
// for real from the master's (or the agent's) namespace. MarathonServer drives it through its
// Options::runner; see marathonserver.h.

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace pier::sandbox {

class AgentPool;
struct ClusterStatus;

// One agent the runner can start tasks on, by the hostname Marathon reports for it.
struct RunnerAgent {
    QString hostname;  // as in the agents.h AgentPool (and task.host)
    QString address;   // internal address, health checks aim at it
    QString netns;     // ip netns name
    QString mntnsFile; // the node's mount namespace (empty: the host's)
};

// What Marathon asks the agent to run for one task.
struct TaskLaunch {
    QString taskId;
    QString appId; // "/nginx"
    QString version;
    QString host;  // the agent's hostname
    QString image; // docker image; empty for a command-only app
    QString cmd;
    QList<int> ports;        // host ports, PORT0...
    QJsonObject env;         // the app's env
    QJsonArray healthChecks; // Marathon's canonical health check objects
};

class TaskRunner : public QObject {
    Q_OBJECT
public:
    struct Options {
        QList<RunnerAgent> agents;
        QString clusterName;    // for placementCluster()
        QString masterAddress;  // for placementCluster()
        QString masterHostname; // for placementCluster(): the master node's name
        QString stateDir;       // tasks' files go to STATE_DIR/tasks/TASK_ID (visible in the nodes)
        QString probeNetns;     // where health checks run from (the master's); empty: the agent's
        QString taskServer;     // empty: found next to the running binary (see findTaskServer)
        int killGraceMs = 3000; // SIGTERM, then SIGKILL after this
        int listenTimeoutMs = 20000; // a task that does not listen by then has failed
    };

    explicit TaskRunner(const Options &options, QObject *parent = nullptr);
    ~TaskRunner() override; // stops every process it started

    // A runner for the agents of a `pier sandbox net` cluster, tasks' files under its state dir,
    // health checks from its master's namespace.
    static std::shared_ptr<TaskRunner> forCluster(const ClusterStatus &status);
    // A new agents.h AgentPool (what Marathon places tasks on, and Mesos reports) with exactly
    // the runner's agents: their hostnames and internal addresses.
    std::shared_ptr<AgentPool> placementCluster() const;

    // pier-task-server next to the running binary (or in ../lib/pier); empty if not found.
    static QString findTaskServer();
    // True for nginx, library/nginx:1.7.9, docker.io/library/nginx:latest, nginx@sha256:...
    static bool isNginxImage(const QString &image);

    const Options &options() const { return m_options; }

    // Starts the task's process; false (and *error) when it cannot even start. Later: exactly one
    // of running() or exited() unless kill() comes first.
    bool launch(const TaskLaunch &task, QString *error);
    // Stops the task's process (SIGTERM to its process group, SIGKILL after the grace period).
    // No exited() for it: Marathon asked for it.
    void kill(const QString &taskId);
    // Stops every task now, waiting up to the grace period before SIGKILL.
    void stopAll();

    qint64 pid(const QString &taskId) const; // -1 when not running
    QStringList taskIds() const;
    QString taskDir(const QString &taskId) const;

signals:
    void running(const QString &taskId);                        // it listens on all its ports
    void exited(const QString &taskId, const QString &message); // ended on its own
    // The task's health checks all pass (alive) or one does not; consecutive failures so far.
    void healthChanged(const QString &taskId, bool alive, int consecutiveFailures,
                       const QString &cause);
    // More consecutive failures than maxConsecutiveFailures: Marathon kills it.
    void unhealthy(const QString &taskId, const QString &cause);

private:
    struct Proc;
    struct Check;
    void checkListening(const QString &taskId);
    void finished(const QString &taskId, int exitCode, bool crashed);
    void startHealthChecks(Proc &p);
    void runCheck(const QString &taskId, int index);
    void checkResult(const QString &taskId, int index, bool ok, const QString &cause);
    const RunnerAgent *agent(const QString &hostname) const;

    Options m_options;
    QHash<QString, std::shared_ptr<Proc>> m_procs;
    struct Mailbox;
    std::shared_ptr<Mailbox> m_mailbox; // probe threads report back through it while we live
};

} // namespace pier::sandbox
