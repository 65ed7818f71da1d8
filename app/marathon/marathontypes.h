#pragma once

#include "marathon/appdefinition.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace pier::marathon {

// Typed views of Marathon's replies. Parsers ignore unknown fields and tolerate missing ones:
// Marathon 0.7 tasks have no `state` and no `healthCheckResults`; 1.10 has `instanceId`, etc.
// `json` keeps the object as received for anything a view wants beyond these fields.

struct HealthCheckResult {
    bool alive = false;
    int consecutiveFailures = 0;
    QString lastSuccess;
    QString lastFailure;
    QString lastFailureCause;
    QString taskId;
};

struct MarathonTask {
    QString id;
    QString appId;
    QString host;
    QString state; // TASK_RUNNING, ...; empty when Marathon does not say (0.7)
    QString version;
    QString slaveId;
    QList<int> ports;
    QList<int> servicePorts;
    QDateTime stagedAt;
    QDateTime startedAt;
    QList<HealthCheckResult> healthCheckResults;
    QJsonObject json;

    // true/false when health results say so, nullopt when there are none to judge by.
    std::optional<bool> healthy() const;
    // The state to show: `state` if given, else derived from startedAt (0.7: running once started).
    QString effectiveState() const;

    static MarathonTask fromJson(const QJsonObject &o);
};

struct MarathonApp {
    QString id;
    QString version;
    int instances = 0;
    int tasksRunning = 0;
    int tasksStaged = 0;
    int tasksHealthy = 0;
    int tasksUnhealthy = 0;
    QStringList deploymentIds;
    QList<MarathonTask> tasks; // when embedded
    QJsonObject lastTaskFailure;
    AppDefinition definition; // the app as Marathon returned it
    QJsonObject json;

    static MarathonApp fromJson(const QJsonObject &o);
};

struct Deployment {
    QString id;
    QString version;
    QStringList affectedApps;
    int currentStep = 0;
    int totalSteps = 0;
    QList<QJsonObject> currentActions; // {"action": "StartApplication", "app": "/nginx", ...}
    QJsonObject json;

    static Deployment fromJson(const QJsonObject &o);
};

// What a deploying call (POST/PUT/DELETE/scale/restart) answers: the deployment and version.
struct DeploymentResult {
    QString deploymentId;
    QString version;
    QString appId; // filled when the reply is an app (POST /v2/apps)

    bool isEmpty() const { return deploymentId.isEmpty() && version.isEmpty(); }
    // {"deploymentId", "version"} (PUT/DELETE), or an app with "deployments": [{"id"}] (POST).
    static DeploymentResult fromJson(const QJsonObject &o);
};

struct QueueEntry {
    QString appId;
    int count = 0;
    bool overdue = false;
    int delaySeconds = 0; // timeLeftSeconds of the launch delay
    QJsonObject json;

    static QueueEntry fromJson(const QJsonObject &o);
};

struct MarathonInfo {
    QString name;
    QString version;
    QString frameworkId;
    QString leader;
    bool eventStream = true; // /v2/events present (false before 0.9)
    QJsonObject json;

    static MarathonInfo fromJson(const QJsonObject &o);
};

// Marathon's timestamps: ISO 8601 in UTC with milliseconds ("2015-02-17T19:32:03.648Z").
// Parsing also accepts them without milliseconds or with an offset; invalid when empty.
QDateTime parseMarathonDate(const QString &text);
QString formatMarathonDate(const QDateTime &time);

} // namespace pier::marathon
