#include "marathon/marathontypes.h"

#include <QJsonArray>
#include <QJsonValue>

namespace pier::marathon {

namespace {

QList<int> intList(const QJsonValue &v)
{
    QList<int> out;
    const QJsonArray array = v.toArray();
    out.reserve(array.size());
    for (const QJsonValue &item : array) {
        if (item.isDouble())
            out << item.toInt();
    }
    return out;
}

QStringList stringList(const QJsonValue &v)
{
    QStringList out;
    const QJsonArray array = v.toArray();
    for (const QJsonValue &item : array) {
        if (item.isString())
            out << item.toString();
    }
    return out;
}

// An integer that older or newer servers may send as a number or a numeric string.
int intOf(const QJsonValue &v, int fallback = 0)
{
    if (v.isDouble())
        return v.toInt(fallback);
    if (v.isString()) {
        bool ok = false;
        const int n = v.toString().toInt(&ok);
        return ok ? n : fallback;
    }
    return fallback;
}

HealthCheckResult healthFromJson(const QJsonObject &o)
{
    HealthCheckResult h;
    h.alive = o.value(QLatin1String("alive")).toBool();
    h.consecutiveFailures = intOf(o.value(QLatin1String("consecutiveFailures")));
    h.lastSuccess = o.value(QLatin1String("lastSuccess")).toString();
    h.lastFailure = o.value(QLatin1String("lastFailure")).toString();
    h.lastFailureCause = o.value(QLatin1String("lastFailureCause")).toString();
    h.taskId = o.value(QLatin1String("taskId")).toString();
    if (h.taskId.isEmpty())
        h.taskId = o.value(QLatin1String("instanceId")).toString();
    return h;
}

} // namespace

QDateTime parseMarathonDate(const QString &text)
{
    if (text.isEmpty())
        return {};
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(text, Qt::ISODate);
    if (t.isValid())
        t = t.toUTC();
    return t;
}

QString formatMarathonDate(const QDateTime &time)
{
    if (!time.isValid())
        return {};
    return time.toUTC().toString(Qt::ISODateWithMs);
}

std::optional<bool> MarathonTask::healthy() const
{
    if (healthCheckResults.isEmpty())
        return std::nullopt;
    for (const HealthCheckResult &r : healthCheckResults) {
        if (!r.alive)
            return false;
    }
    return true;
}

QString MarathonTask::effectiveState() const
{
    if (!state.isEmpty())
        return state;
    return startedAt.isValid() ? QStringLiteral("TASK_RUNNING") : QStringLiteral("TASK_STAGING");
}

MarathonTask MarathonTask::fromJson(const QJsonObject &o)
{
    MarathonTask t;
    t.json = o;
    t.id = o.value(QLatin1String("id")).toString();
    t.appId = o.value(QLatin1String("appId")).toString();
    t.host = o.value(QLatin1String("host")).toString();
    t.state = o.value(QLatin1String("state")).toString();
    t.version = o.value(QLatin1String("version")).toString();
    t.slaveId = o.value(QLatin1String("slaveId")).toString();
    if (t.slaveId.isEmpty())
        t.slaveId = o.value(QLatin1String("agentId")).toString();
    t.ports = intList(o.value(QLatin1String("ports")));
    t.servicePorts = intList(o.value(QLatin1String("servicePorts")));
    t.stagedAt = parseMarathonDate(o.value(QLatin1String("stagedAt")).toString());
    t.startedAt = parseMarathonDate(o.value(QLatin1String("startedAt")).toString());
    const QJsonArray results = o.value(QLatin1String("healthCheckResults")).toArray();
    for (const QJsonValue &r : results) {
        if (r.isObject())
            t.healthCheckResults << healthFromJson(r.toObject());
    }
    return t;
}

MarathonApp MarathonApp::fromJson(const QJsonObject &o)
{
    MarathonApp a;
    a.json = o;
    a.id = o.value(QLatin1String("id")).toString();
    a.version = o.value(QLatin1String("version")).toString();
    a.instances = intOf(o.value(QLatin1String("instances")));

    // Counts at the top level (0.7 through 1.10); some replies only carry them in taskStats.
    const QJsonObject counts = o.value(QLatin1String("taskStats"))
                                   .toObject()
                                   .value(QLatin1String("totalSummary"))
                                   .toObject()
                                   .value(QLatin1String("stats"))
                                   .toObject()
                                   .value(QLatin1String("counts"))
                                   .toObject();
    auto count = [&](const char *topLevel, const char *inCounts) {
        const QJsonValue v = o.value(QLatin1String(topLevel));
        if (!v.isUndefined() && !v.isNull())
            return intOf(v);
        return intOf(counts.value(QLatin1String(inCounts)));
    };
    a.tasksRunning = count("tasksRunning", "running");
    a.tasksStaged = count("tasksStaged", "staged");
    a.tasksHealthy = count("tasksHealthy", "healthy");
    a.tasksUnhealthy = count("tasksUnhealthy", "unhealthy");

    const QJsonArray deployments = o.value(QLatin1String("deployments")).toArray();
    for (const QJsonValue &d : deployments) {
        const QString id =
            d.isString() ? d.toString() : d.toObject().value(QLatin1String("id")).toString();
        if (!id.isEmpty())
            a.deploymentIds << id;
    }
    const QJsonArray tasks = o.value(QLatin1String("tasks")).toArray();
    for (const QJsonValue &t : tasks) {
        if (t.isObject())
            a.tasks << MarathonTask::fromJson(t.toObject());
    }
    a.lastTaskFailure = o.value(QLatin1String("lastTaskFailure")).toObject();

    // The definition without what Marathon adds about the running app.
    QJsonObject definition = o;
    for (const char *key :
         {"tasks", "deployments", "tasksRunning", "tasksStaged", "tasksHealthy", "tasksUnhealthy",
          "lastTaskFailure", "taskStats", "readinessCheckResults", "counts"}) {
        definition.remove(QLatin1String(key));
    }
    a.definition = AppDefinition(definition);
    return a;
}

Deployment Deployment::fromJson(const QJsonObject &o)
{
    Deployment d;
    d.json = o;
    d.id = o.value(QLatin1String("id")).toString();
    d.version = o.value(QLatin1String("version")).toString();
    d.affectedApps = stringList(o.value(QLatin1String("affectedApps")));
    d.currentStep = intOf(o.value(QLatin1String("currentStep")));
    d.totalSteps = intOf(o.value(QLatin1String("totalSteps")));
    if (d.totalSteps == 0)
        d.totalSteps = int(o.value(QLatin1String("steps")).toArray().size());
    const QJsonArray actions = o.value(QLatin1String("currentActions")).toArray();
    for (const QJsonValue &a : actions) {
        if (a.isObject())
            d.currentActions << a.toObject();
    }
    return d;
}

DeploymentResult DeploymentResult::fromJson(const QJsonObject &o)
{
    DeploymentResult r;
    r.deploymentId = o.value(QLatin1String("deploymentId")).toString();
    r.version = o.value(QLatin1String("version")).toString();
    if (r.deploymentId.isEmpty()) {
        const QJsonArray deployments = o.value(QLatin1String("deployments")).toArray();
        if (!deployments.isEmpty()) {
            const QJsonValue first = deployments.first();
            r.deploymentId = first.isString()
                                 ? first.toString()
                                 : first.toObject().value(QLatin1String("id")).toString();
        }
    }
    if (o.contains(QLatin1String("deployments")) || o.contains(QLatin1String("instances")))
        r.appId = o.value(QLatin1String("id")).toString();
    return r;
}

QueueEntry QueueEntry::fromJson(const QJsonObject &o)
{
    QueueEntry q;
    q.json = o;
    q.appId = o.value(QLatin1String("app")).toObject().value(QLatin1String("id")).toString();
    if (q.appId.isEmpty())
        q.appId = o.value(QLatin1String("pod")).toObject().value(QLatin1String("id")).toString();
    q.count = intOf(o.value(QLatin1String("count")));
    const QJsonObject delay = o.value(QLatin1String("delay")).toObject();
    q.overdue = delay.value(QLatin1String("overdue")).toBool();
    q.delaySeconds = intOf(delay.value(QLatin1String("timeLeftSeconds")));
    return q;
}

MarathonInfo MarathonInfo::fromJson(const QJsonObject &o)
{
    MarathonInfo i;
    i.json = o;
    i.name = o.value(QLatin1String("name")).toString();
    i.version = o.value(QLatin1String("version")).toString();
    i.frameworkId = o.value(QLatin1String("frameworkId")).toString();
    i.leader = o.value(QLatin1String("leader")).toString();
    // The event stream (/v2/events) arrived in 0.9; versions look like "0.7.6" or "1.5.0-SNAPSHOT".
    const QStringList parts = i.version.split(QLatin1Char('.'));
    if (parts.size() >= 2) {
        bool okMajor = false;
        bool okMinor = false;
        const int major = parts.at(0).toInt(&okMajor);
        QString minorText = parts.at(1);
        while (!minorText.isEmpty() && !minorText.back().isDigit())
            minorText.chop(1);
        const int minor = minorText.toInt(&okMinor);
        if (okMajor && okMinor)
            i.eventStream = major > 0 || minor >= 9;
    }
    return i;
}

} // namespace pier::marathon
