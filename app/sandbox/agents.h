#pragma once

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QList>
#include <QMap>
#include <QSet>
#include <QString>
#include <QStringList>
#include <memory>

namespace pier::sandbox {

// The sandbox's one simulated cluster: agents with their resources and what runs on them.
// The Marathon API places tasks here, the Mesos master API reports it: one cluster, two APIs.

struct PortRange {
    int begin = 0;
    int end = 0;
    bool operator==(const PortRange &o) const { return begin == o.begin && end == o.end; }
};

// Ranges in Mesos's text form: "[31000-31002, 31005-31005]".
QString formatRanges(const QList<PortRange> &ranges);
QList<PortRange> rangesFromPorts(QList<int> ports);

// A task as Mesos sees it (resources held on an agent).
struct AgentTask {
    QString id;
    QString name;
    QString frameworkId;
    QString agentId;
    QString appId; // Marathon's app id, for constraints
    QString state; // TASK_STAGING, TASK_RUNNING, TASK_FAILED, TASK_KILLED
    double cpus = 0;
    double mem = 0;
    double disk = 0;
    QList<int> ports;
    QDateTime stagedAt;
    QDateTime updatedAt;
};

struct Agent {
    QString id;       // "<master id>-S<n>"
    QString hostname; // "development-5159-d3d-1"
    QString address;  // internal address, "198.18.0.11"
    int port = 5051;
    double cpus = 4;
    double mem = 15360;  // MiB
    double disk = 40960; // MiB
    QList<PortRange> ports = {{31000, 32000}};
    QMap<QString, QString> attributes;
    bool active = true;
    QDateTime registeredAt;

    QList<AgentTask> tasks; // what holds resources there now

    double usedCpus() const;
    double usedMem() const;
    double usedDisk() const;
    QSet<int> usedPorts() const;
    bool offersPort(int port) const; // in the agent's ranges
    int freePortCount() const;
};

// What one instance of an app asks for.
struct TaskRequest {
    QString appId;
    double cpus = 1;
    double mem = 128;
    double disk = 0;
    QList<int> fixedPorts; // host ports asked for by number (hostPort, requirePorts)
    int anyPorts = 0;      // host ports Mesos may choose
    QList<QStringList> constraints;
};

// Marathon's offer-matching reasons (NoOfferMatchReason), in the order it checks them.
enum class Rejection {
    None,
    UnfulfilledRole,
    UnfulfilledConstraint,
    NoCorrespondingReservationFound,
    AgentMaintenance,
    InsufficientCpus,
    InsufficientMemory,
    InsufficientDisk,
    InsufficientGpus,
    InsufficientPorts,
    DeclinedScarceResources,
};
QString rejectionName(Rejection r);
QList<Rejection> rejectionFunnel(); // every reason but None, in check order

class AgentPool {
public:
    struct Options {
        QString name = QStringLiteral("development-5159-d3d");
        QString masterId = QStringLiteral("5b1a3e1c-6e5c-4a5e-9d4e-2c7c1c0f0a11");
        QString masterAddress = QStringLiteral("198.18.0.2");
        // The master's own host name, as Mesos reports it (on GCE: its instance's name); empty:
        // the cluster's name.
        QString masterHostname;
        QStringList hostnames; // empty: name-1 .. name-N
        int count = 3;
        double cpus = 4;
        double mem = 15360;
        double disk = 40960;
        QList<PortRange> ports = {{31000, 32000}};
    };

    AgentPool();
    explicit AgentPool(const Options &options);

    // Agents named as given; a name that is an IP address is also the agent's address.
    static std::shared_ptr<AgentPool> fromHostnames(const QStringList &hostnames);

    const Options &options() const { return m_options; }
    QString masterHostname() const
    {
        return m_options.masterHostname.isEmpty() ? m_options.name : m_options.masterHostname;
    }
    QString masterId() const { return m_options.masterId; }
    QDateTime startedAt() const { return m_started; }

    QList<Agent> &agents() { return m_agents; }
    const QList<Agent> &agents() const { return m_agents; }
    Agent *agent(const QString &id);

    // Why this agent cannot take one instance (None: it can). Constraints are judged against the
    // app's tasks on every agent, as Marathon does.
    Rejection check(const TaskRequest &request, int agentIndex) const;

    // Ports for one instance on this agent: the fixed ones plus `anyPorts` free ones from the
    // agent's ranges, starting at a rotating cursor as Mesos's offers would vary.
    QList<int> choosePorts(const TaskRequest &request, int agentIndex);

    void addTask(int agentIndex, const AgentTask &task);
    void setTaskState(const QString &taskId, const QString &state);
    // Frees the task's resources; it goes to the completed list with its final state.
    void removeTask(const QString &taskId, const QString &finalState);
    const QList<AgentTask> &completedTasks() const { return m_completed; }

    // Frameworks registered with the master (Marathon registers itself).
    struct Framework {
        QString id;
        QString name;
        QString hostname;
        QString webuiUrl;
        QDateTime registeredAt;
    };
    void registerFramework(const Framework &framework);
    const QList<Framework> &frameworks() const { return m_frameworks; }

private:
    Options m_options;
    QDateTime m_started;
    QList<Agent> m_agents;
    QList<AgentTask> m_completed;
    QList<Framework> m_frameworks;
    QHash<QString, int> m_portCursor;
};

} // namespace pier::sandbox
