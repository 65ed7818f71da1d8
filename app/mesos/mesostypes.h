#pragma once

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QPair>
#include <QString>

namespace pier::mesos {

// Typed views of the Mesos master's v0 state (/master/state, /master/state.json). Parsers ignore
// unknown fields and tolerate missing ones: Mesos 0.21 has no slave `active`, no
// offered/unreserved resources; the ports come as "[31000-31002, 31005-32000]" strings.

struct Resources {
    double cpus = 0;
    double mem = 0;               // MiB
    double disk = 0;              // MiB
    QList<QPair<int, int>> ports; // inclusive ranges

    int portCount() const;
    bool hasPort(int port) const;
    QString portsText() const; // "[31000-32000]"
    bool isEmpty() const { return cpus == 0 && mem == 0 && disk == 0 && ports.isEmpty(); }

    // The flat v0 object ({"cpus": 4, "ports": "[31000-32000]"}), or the v1 list form
    // ([{"name": "cpus", "scalar": {"value": 4}}, {"name": "ports", "ranges": {...}}]).
    static Resources fromJson(const QJsonValue &v);
    static QList<QPair<int, int>> parseRanges(const QString &text);
};

// What is left of `total` once `used` is taken (ports: the ranges minus the used ports).
Resources subtract(const Resources &total, const Resources &used);

struct Task {
    QString id;
    QString name;
    QString frameworkId;
    QString agentId;
    QString state;
    Resources resources;
    double updatedAt = 0; // seconds since the epoch, from the last status
    QJsonObject json;

    static Task fromJson(const QJsonObject &o);
};

struct Agent {
    QString id;
    QString hostname;
    QString pid;        // "slave(1)@198.18.0.11:5051"
    QString address;    // from the pid
    bool active = true; // missing before 0.22: an agent the master lists is active
    Resources total;
    Resources used;
    Resources offered;
    QMap<QString, QString> attributes;
    QJsonObject json;

    Resources free() const { return subtract(total, used); }
    static Agent fromJson(const QJsonObject &o);
};

struct Framework {
    QString id;
    QString name;
    QString hostname;
    bool active = true;
    Resources used;
    QList<Task> tasks;
    QList<Task> completedTasks;
    QJsonObject json;

    static Framework fromJson(const QJsonObject &o);
};

struct MesosState {
    QString version;
    QString id;
    QString hostname;
    QString leader; // "master@198.18.0.2:5050"
    QString cluster;
    QList<Agent> agents;
    QList<Framework> frameworks;
    QJsonObject json;

    const Agent *agent(const QString &id) const;
    const Agent *agentByHostname(const QString &hostname) const; // or by address
    const Framework *framework(const QString &name) const;       // "marathon"
    // The task (of any framework) holding `port` on that agent, or nullptr.
    const Task *taskHoldingPort(const QString &agentId, int port) const;

    static MesosState fromJson(const QJsonObject &o);
};

} // namespace pier::mesos
