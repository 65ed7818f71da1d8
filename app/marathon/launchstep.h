#pragma once

#include "core/plan.h"
#include "marathon/appdefinition.h"
#include "marathon/marathontypes.h"

#include <QElapsedTimer>
#include <QPointer>

class QTimer;

namespace pier::marathon {

class MarathonClient;
class MarathonReply;

// "Launch on Marathon", the first step of every journey:
//  check  - is this definition already running on Marathon?
//  apply  - POST it (new app) or PUT it (changed app), then follow the deployment
//  verify - no deployment left, the tasks running, their health checks passing if any
//  undo   - destroy the app and wait until Marathon no longer knows it
// Outputs: marathon.appId, marathon.version, marathon.deploymentId.
class LaunchStep : public Step {
    Q_OBJECT
public:
    LaunchStep(MarathonClient *client, const AppDefinition &app, QObject *parent = nullptr);

    void setForce(bool force) { m_force = force; }  // override a deployment lock (409)
    void setWait(bool wait) { m_wait = wait; }      // follow the deployment to the end
    void setTimeoutMs(int ms) { m_timeoutMs = ms; } // for the whole wait
    void setPollIntervalMs(int ms) { m_pollMs = ms; }

    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;

    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;
    void cancel() override;

    // The state of the app as last seen, for views that want more than the progress text.
    const MarathonApp &lastSeen() const { return m_lastSeen; }

    // One line that says how far an app is: "1 of 2 tasks running, 1 healthy; deployment 3f2a in
    // progress".
    static QString describe(const MarathonApp &app, const AppDefinition &wanted);
    static bool isDeployed(const MarathonApp &app, const AppDefinition &wanted);

signals:
    void appSeen(const pier::marathon::MarathonApp &app);

private:
    enum class Goal { Deployed, Gone };
    void track(MarathonReply *reply);
    void finish(const StepResult &result);
    void waitFor(Goal goal, const QString &deploymentId);
    // After a POST without an answer or "already exists": adopt the app when Marathon has this
    // definition, PUT when it has another, else fail with POST_ERROR.
    void adoptOrUpdate(const ApiError &postError);
    void poll();
    QVariantMap outputs() const;

    QPointer<MarathonClient> m_client;
    AppDefinition m_app;
    bool m_force = false;
    bool m_wait = true;
    int m_timeoutMs = 5 * 60 * 1000;
    int m_pollMs = 500;

    bool m_exists = false;
    bool m_sameSpec = false;
    MarathonApp m_lastSeen;
    QString m_version;
    QString m_deploymentId;

    StepCallback m_done;
    QPointer<MarathonReply> m_reply;
    QTimer *m_pollTimer = nullptr;
    QElapsedTimer m_waitClock;
    Goal m_goal = Goal::Deployed;
    int m_pollFailures = 0;
    QDateTime m_startedAt;
};

} // namespace pier::marathon
