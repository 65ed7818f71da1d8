#pragma once

#include "marathon/marathontypes.h"
#include "mesos/mesostypes.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace pier::diagnosis {

// Everything "why is it waiting?" looks at: Marathon's app (with tasks, lastTaskFailure and
// deployments embedded), its launch-queue entry, the deployments, and Mesos's state when the
// master answered (without it, the diagnosis works from Marathon's offer summary alone).
struct DiagnosisInput {
    marathon::MarathonApp app;
    std::optional<marathon::QueueEntry> queue;
    QList<marathon::Deployment> deployments; // all of them; those affecting the app are used
    std::optional<mesos::MesosState> mesos;
    QString mesosError; // why `mesos` is missing, said in the text
    QDateTime now;      // invalid: the current time
};

// One agent judged for one more instance of the app.
struct AgentFinding {
    QString agentId;
    QString hostname;
    QStringList missing; // "constraint", "cpus", "mem", "disk", "ports", "inactive"; empty: fits
    double freeCpus = 0, totalCpus = 0;
    double freeMem = 0, totalMem = 0;
    double freeDisk = 0, totalDisk = 0;
    int freePorts = 0, totalPorts = 0;
    QList<int> takenPorts; // the requested host ports this agent cannot give
    QString text;          // "development-5159-d3d-2: 2048 of 15360 MiB memory free (needs 4096)"

    bool fits() const { return missing.isEmpty(); }
};

struct Action {
    QString id;          // "reset-delay"
    QString label;       // "Reset the launch delay"
    QString description; // what it does
};

struct Diagnosis {
    enum class Kind {
        NothingWaiting, // every instance runs, no deployment
        Resources,      // no agent has enough cpus, memory or disk for one instance
        Ports,          // the requested host ports are taken (or not offered) on every agent
        Constraint,     // a placement constraint cannot be met on any agent
        TasksFailing,   // tasks start and fail; Marathon backs off
        NoAgents,       // Mesos has no (active) agent
        Progressing,    // waiting, but nothing blocks it: tasks staging, health checks pending
    };

    Kind kind = Kind::NothingWaiting;
    QString appId;
    QString summary;     // one or two sentences with the numbers
    QStringList details; // further lines: per-agent numbers, the failure, the delay, notes
    QList<AgentFinding> agents;
    QList<Action> actions;
    QString missing; // the blocking resource or constraint: "mem", "ports", "hostname:UNIQUE"
    QString closestAgent;

    QString text() const; // summary, then the details indented
    QJsonObject toJson() const;
    static QString kindName(Kind kind); // "resources", "ports", ...
};

Diagnosis diagnose(const DiagnosisInput &input);

} // namespace pier::diagnosis
