#include "ui/launchcontroller.h"

#include "core/plan.h"
#include "marathon/launchstep.h"
#include "marathon/marathonclient.h"
#include "ui/mainwindow.h"

#include <QTimer>

namespace pier::ui {

using marathon::LaunchStep;
using marathon::MarathonReply;

LaunchController::LaunchController(MainWindow *window, marathon::MarathonClient *client,
                                   QObject *parent)
    : QObject(parent), m_window(window), m_client(client)
{
    connect(window, &MainWindow::launchRequested, this, &LaunchController::onLaunchRequested);
    connect(window, &MainWindow::launchCancelRequested, this, [this] {
        if (m_runner)
            m_runner->cancel();
    });
    // The status bar keeps saying whether Marathon answers, without a refresh button.
    m_heartbeat = new QTimer(this);
    m_heartbeat->setInterval(15000);
    connect(m_heartbeat, &QTimer::timeout, this, &LaunchController::refreshConnection);
    m_heartbeat->start();
    refreshConnection();
}

void LaunchController::refreshConnection()
{
    if (!m_window)
        return;
    if (!m_client) {
        m_window->setConnectionState(
            {}, tr("none yet; pick or create a cluster profile in the Profiles menu"),
            MainWindow::Tone::Problem);
        return;
    }
    const QString url = m_client->currentUrl().toString();
    MarathonReply *reply = m_client->info();
    connect(reply, &MarathonReply::finished, this, [this, reply, url] {
        reply->deleteLater();
        if (!m_window)
            return;
        if (reply->error().isError()) {
            m_window->setConnectionState(url, tr("not answering: %1").arg(reply->error().message),
                                         MainWindow::Tone::Problem);
            return;
        }
        const marathon::MarathonInfo info = reply->info();
        m_window->setConnectionState(m_client->currentUrl().toString(),
                                     tr("connected, Marathon %1").arg(info.version),
                                     MainWindow::Tone::Ok);
    });
}

void LaunchController::onLaunchRequested(const marathon::AppDefinition &definition, bool force)
{
    if (!m_client) {
        m_window->setLaunchFinished(
            false, tr("No Marathon is set. Start Pier with --marathon URL (or set "
                      "PIER_MARATHON_URL), e.g. http://<master>:8080 over the VPN."));
        return;
    }
    if (force) {
        runPlan(definition, true);
        return;
    }
    // Before changing an app that runs already, show what would change.
    m_window->setLaunchProgress(tr("Asking Marathon about %1…").arg(definition.absoluteId()));
    MarathonReply *reply = m_client->getApp(definition.absoluteId());
    connect(reply, &MarathonReply::finished, this, [this, reply, definition] {
        reply->deleteLater();
        if (!m_window)
            return;
        const ApiError &e = reply->error();
        if (e.isError() && e.kind != ApiError::Kind::NotFound) {
            m_window->setLaunchFinished(false, e.toText());
            return;
        }
        if (!e.isError()) {
            const QJsonObject running = reply->app().definition.json();
            if (!marathon::sameDeployedSpec(definition.json(), running) &&
                !m_window->confirmUpdate(running)) {
                m_window->setLaunchFinished(
                    false,
                    tr("Not updated: %1 keeps running as it was.").arg(definition.absoluteId()));
                return;
            }
        }
        runPlan(definition, false);
    });
}

void LaunchController::runPlan(const marathon::AppDefinition &definition, bool force)
{
    if (m_runner) {
        m_runner->disconnect(this);
        m_runner->deleteLater();
    }
    m_runner = new PlanRunner(this);
    // Launching is one call plus a wait; a retry of the whole step would repeat a POST the
    // user did not ask for twice. The client already retries idempotent calls.
    m_runner->setRetryPolicy(0, 0);
    auto *step = new LaunchStep(m_client, definition);
    step->setForce(force);
    step->setWait(true);
    step->setPollIntervalMs(m_pollMs);
    step->setTimeoutMs(m_timeoutMs);
    m_runner->addStep(step);

    connect(step, &LaunchStep::appSeen, this, [this, step](const marathon::MarathonApp &app) {
        if (m_window)
            m_window->setLaunchProgress(
                tr("Deploying: %1.")
                    .arg(LaunchStep::describe(app, marathon::AppDefinition(app.definition))),
                app.tasksRunning, qMax(app.instances, 1));
        Q_UNUSED(step)
    });
    connect(m_runner, &PlanRunner::stepProgress, this,
            [this](const QString &, const QString &text) {
                if (m_window)
                    m_window->setLaunchProgress(text);
            });
    connect(m_runner, &PlanRunner::finished, this, &LaunchController::onPlanFinished);
    m_runner->start();
}

void LaunchController::onPlanFinished(bool ok)
{
    if (!m_window || !m_runner)
        return;
    const StepResult r = m_runner->lastResult(QStringLiteral("marathon.launch"));
    if (ok) {
        m_window->setLaunchFinished(true, r.message);
        refreshConnection();
        return;
    }
    const ApiError &e = r.error;
    if (e.kind == ApiError::Kind::Conflict && !e.deploymentIds.isEmpty()) {
        m_window->launchLocked(e.deploymentIds);
        return;
    }
    if (e.kind == ApiError::Kind::Invalid && !e.details.isEmpty()) {
        m_window->showServerErrors(e.details,
                                   tr("Marathon rejected the definition: %1").arg(e.message));
        return;
    }
    m_window->setLaunchFinished(false, e.isError() ? e.toText() : r.message);
}

} // namespace pier::ui
