#include "marathon/launchstep.h"

#include "core/logging.h"
#include "marathon/marathonclient.h"

#include <QRegularExpression>
#include <QTimer>

namespace pier::marathon {

LaunchStep::LaunchStep(MarathonClient *client, const AppDefinition &app, QObject *parent)
    : Step(QStringLiteral("marathon.launch"), parent), m_client(client), m_app(app)
{
    m_pollTimer = new QTimer(this);
    m_pollTimer->setSingleShot(true);
    connect(m_pollTimer, &QTimer::timeout, this, &LaunchStep::poll);
}

QString LaunchStep::title() const
{
    return tr("Launch %1 on Marathon").arg(m_app.absoluteId());
}

QString LaunchStep::explanation() const
{
    return tr("Marathon runs the app definition on the cluster: it picks agents with enough CPU "
              "and "
              "memory, starts the container there and keeps the number of instances you asked for. "
              "Pier sends the definition, then follows the deployment until every task runs%1.")
        .arg(m_app.healthChecks().isEmpty() ? QString() : tr(" and passes its health checks"));
}

QString LaunchStep::equivalentCommand() const
{
    const QString base =
        m_client ? m_client->currentUrl().toString(QUrl::RemoveUserInfo | QUrl::StripTrailingSlash)
                 : QStringLiteral("http://<marathon>:8080");
    const QString file =
        QStringLiteral("%1.json").arg(m_app.absoluteId().section(QLatin1Char('/'), -1));
    // Through the client's SOCKS proxy when it has one, as Pier sends it.
    QString proxy;
    if (m_client && !m_client->config().socksProxy.isEmpty())
        proxy = QStringLiteral("--socks5-hostname %1 ")
                    .arg(QString(m_client->config().socksProxy)
                             .remove(QRegularExpression(QStringLiteral("^socks5h?://"))));
    if (m_exists)
        return QStringLiteral(
                   "curl -XPUT -d @%1 -H 'Content-Type: application/json' %2'%3/v2/apps%4%5'")
            .arg(file, proxy, base, m_app.absoluteId(),
                 m_force ? QStringLiteral("?force=true") : QString());
    return QStringLiteral("curl -XPOST -d @%1 -H 'Content-Type: application/json' %2%3/v2/apps")
        .arg(file, proxy, base);
}

bool LaunchStep::isDeployed(const MarathonApp &app, const AppDefinition &wanted)
{
    if (!app.deploymentIds.isEmpty())
        return false;
    const int want = wanted.instances();
    if (app.tasksRunning < want)
        return false;
    if (!wanted.healthChecks().isEmpty() && app.tasksHealthy < want)
        return false;
    return true;
}

QString LaunchStep::describe(const MarathonApp &app, const AppDefinition &wanted)
{
    const int want = wanted.instances();
    QString text = tr("%1 of %2 tasks running").arg(app.tasksRunning).arg(want);
    if (!wanted.healthChecks().isEmpty())
        text += tr(", %1 healthy").arg(app.tasksHealthy);
    if (app.tasksStaged > 0)
        text += tr(", %1 staging").arg(app.tasksStaged);
    if (!app.deploymentIds.isEmpty())
        text += tr("; deployment %1 in progress").arg(app.deploymentIds.first().left(8));
    return text;
}

QVariantMap LaunchStep::outputs() const
{
    QVariantMap out{{QStringLiteral("marathon.appId"), m_app.absoluteId()}};
    if (!m_version.isEmpty())
        out.insert(QStringLiteral("marathon.version"), m_version);
    if (!m_deploymentId.isEmpty())
        out.insert(QStringLiteral("marathon.deploymentId"), m_deploymentId);
    return out;
}

void LaunchStep::track(MarathonReply *reply)
{
    m_reply = reply;
}

void LaunchStep::finish(const StepResult &result)
{
    m_pollTimer->stop();
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->deleteLater();
        m_reply = nullptr;
    }
    StepCallback done = std::move(m_done);
    m_done = nullptr;
    if (done)
        done(result);
}

void LaunchStep::check(const QVariantMap &, StepCallback done)
{
    m_done = std::move(done);
    if (!m_client) {
        finish(StepResult::blocked(tr("No Marathon is configured.")));
        return;
    }
    MarathonReply *reply =
        m_client->getApp(m_app.absoluteId(), {QStringLiteral("app.lastTaskFailure")});
    track(reply);
    connect(reply, &MarathonReply::finished, this, [this, reply] {
        m_reply = nullptr;
        reply->deleteLater();
        const ApiError &e = reply->error();
        if (e.kind == ApiError::Kind::NotFound) {
            m_exists = false;
            finish(StepResult::needed(tr("%1 is not on Marathon yet.").arg(m_app.absoluteId())));
            return;
        }
        if (e.isError()) {
            finish(StepResult::failed(e));
            return;
        }
        m_exists = true;
        m_lastSeen = reply->app();
        emit appSeen(m_lastSeen);
        m_version = m_lastSeen.version;
        m_sameSpec = sameDeployedSpec(m_app.json(), m_lastSeen.definition.json());
        if (m_sameSpec && isDeployed(m_lastSeen, m_app)) {
            finish(StepResult::done(
                tr("Already running with this definition: %1.").arg(describe(m_lastSeen, m_app)),
                outputs()));
        } else if (m_sameSpec) {
            finish(
                StepResult::needed(tr("Marathon has this definition but it is not running yet: %1.")
                                       .arg(describe(m_lastSeen, m_app))));
        } else {
            finish(StepResult::needed(
                tr("%1 runs a different definition on Marathon; it will be updated.")
                    .arg(m_app.absoluteId())));
        }
    });
}

void LaunchStep::apply(const QVariantMap &, StepCallback done)
{
    m_done = std::move(done);
    if (!m_client) {
        finish(StepResult::failed(ApiError::local(tr("No Marathon is configured."))));
        return;
    }
    m_startedAt = QDateTime::currentDateTimeUtc();
    if (m_exists && m_sameSpec) {
        // Nothing to send: the definition is there, only its deployment is still running.
        emit progress(
            tr("Waiting for the running deployment: %1.").arg(describe(m_lastSeen, m_app)));
        if (m_wait)
            waitFor(Goal::Deployed, m_lastSeen.deploymentIds.value(0));
        else
            finish(StepResult::done(tr("A deployment is already in progress."), outputs()));
        return;
    }
    const bool create = !m_exists;
    emit logLine(
        create ? tr("Sending the definition to Marathon (POST /v2/apps)…")
               : tr("Updating the app on Marathon (PUT /v2/apps%1)…").arg(m_app.absoluteId()));
    emit logLine(equivalentCommand());
    MarathonReply *reply =
        create ? m_client->createApp(m_app) : m_client->updateApp(m_app, m_force);
    track(reply);
    connect(reply, &MarathonReply::finished, this, [this, reply, create] {
        m_reply = nullptr;
        reply->deleteLater();
        const ApiError &e = reply->error();
        if (create && (e.isTransient() ||
                       (e.kind == ApiError::Kind::Conflict && e.deploymentIds.isEmpty()))) {
            // No answer may still mean done (the reply lost on the way), and "already exists"
            // may be our own earlier POST: Marathon's docs say to GET before sending again.
            adoptOrUpdate(e);
            return;
        }
        if (e.isError()) {
            finish(StepResult::failed(e));
            return;
        }
        const DeploymentResult result = reply->deploymentResult();
        m_deploymentId = result.deploymentId;
        if (!result.version.isEmpty())
            m_version = result.version;
        m_exists = true;
        m_sameSpec = true; // Marathon now holds this definition: a retried apply only waits
        // The first progress line: from here on Marathon holds the app and deploys it.
        emit progress(
            tr("Marathon accepted it: deployment %1, version %2.").arg(m_deploymentId, m_version));
        if (m_wait)
            waitFor(Goal::Deployed, m_deploymentId);
        else
            finish(StepResult::done(tr("Deployment %1 started.").arg(m_deploymentId), outputs()));
    });
}

void LaunchStep::adoptOrUpdate(const ApiError &postError)
{
    const bool conflict = postError.kind == ApiError::Kind::Conflict;
    if (!conflict)
        emit logLine(tr("No answer to the POST (%1); asking Marathon whether it made the app.")
                         .arg(postError.message));
    MarathonReply *reply = m_client->getApp(m_app.absoluteId());
    track(reply);
    connect(reply, &MarathonReply::finished, this, [this, reply, postError, conflict] {
        m_reply = nullptr;
        reply->deleteLater();
        const ApiError &e = reply->error();
        if (!e.isError()) {
            const MarathonApp app = reply->app();
            m_exists = true;
            m_lastSeen = app;
            emit appSeen(app);
            if (sameDeployedSpec(m_app.json(), app.definition.json())) {
                // Ours: follow its deployment instead of sending it again.
                m_sameSpec = true;
                if (!app.version.isEmpty())
                    m_version = app.version;
                m_deploymentId = app.deploymentIds.value(0);
                // Said where the step is shown: the user saw an error-free step that lost a reply.
                emit progress(tr("Marathon has %1 with this definition (version %2): the POST "
                                 "was carried out and its reply lost; following its deployment.")
                                  .arg(m_app.absoluteId(), m_version));
                if (m_wait)
                    waitFor(Goal::Deployed, m_deploymentId);
                else
                    finish(StepResult::done(tr("On Marathon: %1.").arg(describe(app, m_app)),
                                            outputs()));
                return;
            }
            // Another definition under this id: update it (PUT), as check() would have said.
            StepCallback done = std::move(m_done);
            apply({}, done);
            return;
        }
        if (e.kind != ApiError::Kind::NotFound) {
            // Unknown either way; a retried apply asks again.
            finish(StepResult::failed(conflict ? e : postError));
            return;
        }
        if (!conflict) // not made: the POST can be sent again (the runner retries it)
            emit logLine(tr("Marathon does not have %1: the POST was not carried out.")
                             .arg(m_app.absoluteId()));
        finish(StepResult::failed(postError));
    });
}

void LaunchStep::waitFor(Goal goal, const QString &deploymentId)
{
    m_goal = goal;
    if (!deploymentId.isEmpty())
        m_deploymentId = deploymentId;
    m_pollFailures = 0;
    m_waitClock.start();
    poll();
}

void LaunchStep::poll()
{
    if (!m_done || !m_client)
        return;
    MarathonReply *reply =
        m_client->getApp(m_app.absoluteId(), {QStringLiteral("app.lastTaskFailure")});
    track(reply);
    connect(reply, &MarathonReply::finished, this, [this, reply] {
        m_reply = nullptr;
        reply->deleteLater();
        const ApiError &e = reply->error();
        const qint64 waited = m_waitClock.elapsed();
        const bool timedOut = waited > m_timeoutMs;

        if (m_goal == Goal::Gone) {
            if (e.kind == ApiError::Kind::NotFound) {
                finish(StepResult::done(tr("%1 is destroyed.").arg(m_app.absoluteId())));
                return;
            }
        } else if (!e.isError()) {
            m_pollFailures = 0;
            m_lastSeen = reply->app();
            emit appSeen(m_lastSeen);
            if (!m_lastSeen.version.isEmpty())
                m_version = m_lastSeen.version;
            if (isDeployed(m_lastSeen, m_app)) {
                finish(StepResult::done(tr("Running: %1.").arg(describe(m_lastSeen, m_app)),
                                        outputs()));
                return;
            }
            QString text = tr("Deploying: %1.").arg(describe(m_lastSeen, m_app));
            const QJsonObject failure = m_lastSeen.lastTaskFailure;
            const QDateTime failedAt = QDateTime::fromString(
                failure.value(QStringLiteral("timestamp")).toString(), Qt::ISODateWithMs);
            if (!failure.isEmpty() &&
                (!failedAt.isValid() || failedAt >= m_startedAt.addSecs(-1))) {
                text += QLatin1Char(' ') +
                        tr("Last task failure on %1: %2")
                            .arg(failure.value(QStringLiteral("host")).toString(),
                                 failure.value(QStringLiteral("message")).toString());
            }
            emit progress(text);
        }

        if (e.isError() && m_goal == Goal::Deployed) {
            // A lost poll is not a lost deployment: keep following it through a short outage.
            if (!e.isTransient() || ++m_pollFailures > 3) {
                finish(StepResult::failed(e));
                return;
            }
            emit progress(tr("Marathon did not answer (%1); still waiting.").arg(e.message));
        } else if (e.isError() && m_goal == Goal::Gone && !e.isTransient()) {
            finish(StepResult::failed(e));
            return;
        }

        if (timedOut) {
            ApiError err;
            // Not Timeout: Marathon answered; waiting longer is the user's call, not a retry's.
            err.kind = ApiError::Kind::Stalled;
            err.message = m_goal == Goal::Deployed ? tr("%1 is still not running after %2 s: %3.")
                                                         .arg(m_app.absoluteId())
                                                         .arg(waited / 1000)
                                                         .arg(describe(m_lastSeen, m_app))
                                                   : tr("%1 is still on Marathon after %2 s.")
                                                         .arg(m_app.absoluteId())
                                                         .arg(waited / 1000);
            err.hint = tr("Look at the app's tasks and the last task failure; a deployment waits "
                          "when no agent "
                          "has the CPU, memory or ports it asks for.");
            finish(StepResult::failed(err));
            return;
        }
        m_pollTimer->start(m_pollMs);
    });
}

void LaunchStep::verify(const QVariantMap &, StepCallback done)
{
    m_done = std::move(done);
    if (!m_client) {
        finish(StepResult::failed(ApiError::local(tr("No Marathon is configured."))));
        return;
    }
    MarathonReply *reply = m_client->getApp(m_app.absoluteId());
    track(reply);
    connect(reply, &MarathonReply::finished, this, [this, reply] {
        m_reply = nullptr;
        reply->deleteLater();
        if (reply->error().isError()) {
            finish(StepResult::failed(reply->error()));
            return;
        }
        m_lastSeen = reply->app();
        emit appSeen(m_lastSeen);
        if (isDeployed(m_lastSeen, m_app)) {
            finish(
                StepResult::done(tr("Running: %1.").arg(describe(m_lastSeen, m_app)), outputs()));
            return;
        }
        if (!m_wait) {
            finish(StepResult::done(
                tr("On Marathon, deploying: %1.").arg(describe(m_lastSeen, m_app)), outputs()));
            return;
        }
        ApiError err;
        err.kind = ApiError::Kind::Invalid;
        err.message = tr("%1 is on Marathon but not running as asked: %2.")
                          .arg(m_app.absoluteId(), describe(m_lastSeen, m_app));
        finish(StepResult::failed(err));
    });
}

void LaunchStep::undo(const QVariantMap &, StepCallback done)
{
    m_done = std::move(done);
    if (!m_client) {
        finish(StepResult::failed(ApiError::local(tr("No Marathon is configured."))));
        return;
    }
    emit progress(tr("Destroying %1 on Marathon…").arg(m_app.absoluteId()));
    // force: a teardown must not wait behind the app's own stuck deployment.
    MarathonReply *reply = m_client->deleteApp(m_app.absoluteId(), true);
    track(reply);
    connect(reply, &MarathonReply::finished, this, [this, reply] {
        m_reply = nullptr;
        reply->deleteLater();
        const ApiError &e = reply->error();
        if (e.kind == ApiError::Kind::NotFound) {
            finish(StepResult::done(tr("%1 was already gone.").arg(m_app.absoluteId())));
            return;
        }
        if (e.isError()) {
            finish(StepResult::failed(e));
            return;
        }
        m_exists = false;
        waitFor(Goal::Gone, reply->deploymentResult().deploymentId);
    });
}

void LaunchStep::cancel()
{
    if (!m_done)
        return;
    if (m_reply)
        m_reply->abort();
    finish(StepResult::cancelled());
}

} // namespace pier::marathon
