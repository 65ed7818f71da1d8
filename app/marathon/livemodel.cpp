#include "marathon/livemodel.h"

#include "core/logging.h"
#include "marathon/marathonclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>
#include <functional>
#include <memory>

namespace pier::marathon {

namespace {

// Beyond this many apps to fetch one by one, one list of all is cheaper.
// (Each app's reply is small and parsed on its own, so a burst never blocks the GUI thread long;
// the list of all is parsed off the GUI thread.)
constexpr int kMaxSingleFetches = 300;
// Under a burst, invalidations are gathered over a longer window.
constexpr int kBusyDebounceMs = 400;

const QStringList kAppsEmbed = {QStringLiteral("apps.tasks"), QStringLiteral("apps.deployments"),
                                QStringLiteral("apps.lastTaskFailure"),
                                QStringLiteral("apps.counts")};
const QStringList kAppEmbed = {QStringLiteral("app.tasks"), QStringLiteral("app.deployments"),
                               QStringLiteral("app.lastTaskFailure"), QStringLiteral("app.counts")};

bool isTerminal(const QString &state)
{
    static const QStringList terminal = {
        QStringLiteral("TASK_FINISHED"), QStringLiteral("TASK_FAILED"),
        QStringLiteral("TASK_KILLED"),   QStringLiteral("TASK_LOST"),
        QStringLiteral("TASK_ERROR"),    QStringLiteral("TASK_DROPPED"),
        QStringLiteral("TASK_GONE"),     QStringLiteral("TASK_GONE_BY_OPERATOR")};
    return terminal.contains(state);
}

// The apps a deployment event's plan names, in 1.x ({steps:[{actions:[{app}]}]}) and 0.x
// ({steps:[{app}]} or [[{app}]]) shapes.
QStringList appsOfPlan(const QJsonObject &plan)
{
    QStringList out;
    auto addAction = [&out](const QJsonObject &a) {
        const QString app = a.value(QLatin1String("app")).toString();
        if (!app.isEmpty() && !out.contains(app))
            out << app;
    };
    const QJsonArray steps = plan.value(QLatin1String("steps")).toArray();
    for (const QJsonValue &step : steps) {
        if (step.isArray()) {
            const QJsonArray actions = step.toArray();
            for (const QJsonValue &a : actions)
                addAction(a.toObject());
            continue;
        }
        const QJsonObject s = step.toObject();
        addAction(s);
        const QJsonArray actions = s.value(QLatin1String("actions")).toArray();
        for (const QJsonValue &a : actions)
            addAction(a.toObject());
    }
    return out;
}

} // namespace

QString taskHealthText(const MarathonTask &task)
{
    const std::optional<bool> healthy = task.healthy();
    if (!healthy)
        return {};
    return *healthy ? QStringLiteral("healthy") : QStringLiteral("unhealthy");
}

AppCounts countsOf(const MarathonApp &app)
{
    AppCounts c;
    if (app.tasks.isEmpty() && !app.json.contains(QLatin1String("tasks"))) {
        c.running = app.tasksRunning;
        c.staged = app.tasksStaged;
        c.healthy = app.tasksHealthy;
        c.unhealthy = app.tasksUnhealthy;
        return c;
    }
    for (const MarathonTask &t : app.tasks) {
        const QString state = t.effectiveState();
        if (state == QLatin1String("TASK_RUNNING"))
            ++c.running;
        else if (state == QLatin1String("TASK_STAGING") || state == QLatin1String("TASK_STARTING"))
            ++c.staged;
        const std::optional<bool> healthy = t.healthy();
        if (healthy && *healthy)
            ++c.healthy;
        else if (healthy && !*healthy)
            ++c.unhealthy;
    }
    return c;
}

LiveModel::LiveModel(MarathonClient *client, QObject *parent)
    : QObject(parent), m_client(client), m_stream(new MarathonEventStream(client, this))
{
    m_debounce.setSingleShot(true);
    connect(&m_debounce, &QTimer::timeout, this, &LiveModel::flush);
    connect(&m_poll, &QTimer::timeout, this, &LiveModel::onPollTick);
    connect(m_stream, &MarathonEventStream::event, this, &LiveModel::onEvent);
    connect(m_stream, &MarathonEventStream::stateChanged, this, &LiveModel::onStreamState);
    connect(m_stream, &MarathonEventStream::connected, this, [this] {
        // What happened while the stream was away was missed: fetch everything.
        invalidateAll();
    });
}

LiveModel::~LiveModel()
{
    m_pool.waitForDone(); // its results are posted to this object, dropped once it is gone
    for (const QPointer<MarathonReply> &r : std::as_const(m_replies)) {
        if (r) {
            r->disconnect(this);
            r->deleteLater();
        }
    }
}

void LiveModel::setPollInterval(int ms)
{
    m_pollMs = std::max(100, ms);
    if (m_poll.isActive())
        m_poll.start(m_pollMs);
}

void LiveModel::start()
{
    if (m_started || !m_client)
        return;
    m_started = true;
    m_sinceEvent.start();
    m_stream->start();
    m_poll.start(m_pollMs);
    invalidateAll();
    updateMode();
}

void LiveModel::stop()
{
    m_started = false;
    m_poll.stop();
    m_debounce.stop();
    m_stream->stop();
    updateMode();
}

void LiveModel::refresh()
{
    invalidateAll();
}

QList<Deployment> LiveModel::deploymentsFor(const QString &appId) const
{
    QList<Deployment> out;
    for (const Deployment &d : m_deployments) {
        if (d.affectedApps.contains(appId))
            out << d;
    }
    return out;
}

std::optional<QueueEntry> LiveModel::queueEntry(const QString &appId) const
{
    for (const QueueEntry &q : m_queue) {
        if (q.appId == appId)
            return q;
    }
    return std::nullopt;
}

int LiveModel::taskCount() const
{
    int n = 0;
    for (const MarathonApp &a : m_apps)
        n += int(a.tasks.size());
    return n;
}

QString LiveModel::statusText() const
{
    const int pollSeconds = std::max(1, (m_pollMs + 500) / 1000);
    auto ago = [this] {
        if (!m_lastUpdate.isValid())
            return QStringLiteral("no data yet");
        const qint64 s = std::max<qint64>(0, m_lastUpdate.secsTo(QDateTime::currentDateTimeUtc()));
        return QStringLiteral("last update %1 s ago").arg(s);
    };
    if (m_mode == Mode::Idle)
        return QStringLiteral("Not following Marathon.");
    if (m_stale) {
        const QString why = m_lastError.isError() ? m_lastError.message : m_stream->lastError();
        return QStringLiteral("Reconnecting, %1. %2").arg(ago(), why).trimmed();
    }
    if (m_mode == Mode::Stream)
        return QStringLiteral("Live: following Marathon's event stream.");
    if (m_stream->state() == MarathonEventStream::State::Unsupported)
        return QStringLiteral("Polling every %1 s: this Marathon has no event stream.")
            .arg(pollSeconds);
    return QStringLiteral("Polling every %1 s while the event stream reconnects (%2).")
        .arg(pollSeconds)
        .arg(m_stream->lastError().isEmpty() ? QStringLiteral("connecting")
                                             : m_stream->lastError());
}

// ---- events -----------------------------------------------------------------------------------

void LiveModel::onEvent(const MarathonEvent &event)
{
    m_sinceEvent.start();
    emit eventReceived(event);
    const QString type = event.eventType;
    const QJsonObject &o = event.json;
    if (type == QLatin1String("status_update_event")) {
        const QString state = o.value(QLatin1String("taskStatus")).toString();
        const QString taskId = o.value(QLatin1String("taskId")).toString();
        if (isTerminal(state) && !taskId.isEmpty())
            m_endings.insert(taskId, {state, o.value(QLatin1String("message")).toString()});
        invalidateApp(event.appId());
        if (isTerminal(state) || state == QLatin1String("TASK_STAGING"))
            m_pendingQueue = true;
        return;
    }
    if (type.startsWith(QLatin1String("deployment_"))) {
        QStringList apps = appsOfPlan(o.value(QLatin1String("plan")).toObject());
        const QString id =
            o.value(QLatin1String("id")).toString().isEmpty()
                ? o.value(QLatin1String("plan")).toObject().value(QLatin1String("id")).toString()
                : o.value(QLatin1String("id")).toString();
        for (const Deployment &d : std::as_const(m_deployments)) {
            if (d.id == id)
                apps << d.affectedApps;
        }
        for (const QString &a : std::as_const(apps))
            invalidateApp(a);
        invalidateDeployments();
        return;
    }
    if (type == QLatin1String("group_change_success") ||
        type == QLatin1String("group_change_failed")) {
        invalidateAll();
        return;
    }
    if (type == QLatin1String("event_stream_attached") ||
        type == QLatin1String("event_stream_detached") ||
        type == QLatin1String("subscribe_event") || type == QLatin1String("unsubscribe_event") ||
        type == QLatin1String("framework_message_event") || type.startsWith(QLatin1String("pod_")))
        return; // nothing an app view shows
    const QString appId = event.appId();
    if (!appId.isEmpty()) {
        // Health, instances, kills, health check changes, terminations, API posts.
        invalidateApp(appId);
        if (type == QLatin1String("app_terminated_event") ||
            type == QLatin1String("api_post_event"))
            invalidateDeployments();
        return;
    }
    qCDebug(lcMarathon) << "live model: ignored event" << type;
}

void LiveModel::onStreamState(MarathonEventStream::State state)
{
    if (state == MarathonEventStream::State::Reconnecting && m_started) {
        // Events are being missed: the data is stale until a fetch succeeds.
        setStale(true);
        invalidateAll();
    }
    updateMode();
}

void LiveModel::invalidateApp(const QString &appId)
{
    if (appId.isEmpty())
        return;
    m_pendingApps.insert(appId);
    schedule();
}

void LiveModel::invalidateDeployments()
{
    m_pendingDeployments = true;
    m_pendingQueue = true;
    schedule();
}

void LiveModel::invalidateAll()
{
    m_pendingAll = true;
    schedule();
}

void LiveModel::schedule()
{
    if (!m_started)
        return;
    // Not restarted by later events: a burst is coalesced, and the first change shows within
    // one debounce.
    if (!m_debounce.isActive() && m_inFlight == 0)
        m_debounce.start(m_pendingAll && !m_synced   ? 0
                         : m_pendingApps.size() > 20 ? std::max(m_debounceMs, kBusyDebounceMs)
                                                     : m_debounceMs);
}

void LiveModel::onPollTick()
{
    if (m_inFlight > 0)
        return;
    if (m_stream->state() == MarathonEventStream::State::Connected) {
        if (m_silentResyncMs > 0 && m_sinceEvent.elapsed() >= m_silentResyncMs &&
            m_sinceFetch.isValid() && m_sinceFetch.elapsed() >= m_silentResyncMs) {
            qCDebug(lcMarathon) << "live model: the stream is silent; checking with a full fetch";
            invalidateAll();
        }
        return;
    }
    invalidateAll();
}

MarathonReply *LiveModel::track(MarathonReply *reply)
{
    ++m_inFlight;
    ++m_fetches;
    m_replies.append(reply);
    return reply;
}

void LiveModel::flush()
{
    if (!m_client || !m_started || m_inFlight > 0)
        return;
    m_replies.removeIf([](const QPointer<MarathonReply> &r) { return r.isNull(); });
    m_batchFailed = false;
    const bool full = m_pendingAll || m_pendingApps.size() > kMaxSingleFetches;
    const QSet<QString> apps = m_pendingApps;
    const bool deployments = full || m_pendingDeployments;
    const bool queue = full || m_pendingQueue;
    m_pendingAll = false;
    m_pendingApps.clear();
    m_pendingDeployments = false;
    m_pendingQueue = false;
    m_sinceFetch.start();

    if (full) {
        ++m_resyncs;
        MarathonReply *r = track(m_client->listApps(kAppsEmbed));
        connect(r, &MarathonReply::finished, this, [this, r] {
            r->deleteLater();
            if (r->error().isError()) {
                fetchFailed(r->error());
                batchDone();
                return;
            }
            m_bytesFetched += r->body().size();
            // Megabytes of JSON on a big cluster: parsed in a worker, applied here.
            const QByteArray body = r->body();
            m_pool.start([this, body] {
                QJsonParseError error;
                const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
                QList<MarathonApp> list;
                const QJsonArray apps = doc.object().value(QLatin1String("apps")).toArray();
                list.reserve(apps.size());
                for (const QJsonValue &a : apps)
                    list.append(MarathonApp::fromJson(a.toObject()));
                const bool ok = error.error == QJsonParseError::NoError && doc.isObject();
                QMetaObject::invokeMethod(
                    this, [this, list, ok, error] { applyFullList(list, ok, error.errorString()); },
                    Qt::QueuedConnection);
            });
        });
    } else {
        for (const QString &id : apps) {
            MarathonReply *r = track(m_client->getApp(id, kAppEmbed));
            connect(r, &MarathonReply::finished, this, [this, r, id] {
                r->deleteLater();
                m_bytesFetched += r->body().size();
                if (r->httpStatus() == 404) {
                    removeApp(id);
                    fetchSucceeded();
                } else if (r->error().isError()) {
                    fetchFailed(r->error());
                } else {
                    applyApp(r->app());
                    fetchSucceeded();
                }
                batchDone();
            });
        }
    }
    if (deployments) {
        MarathonReply *r = track(m_client->listDeployments());
        connect(r, &MarathonReply::finished, this, [this, r] {
            r->deleteLater();
            if (r->error().isError()) {
                fetchFailed(r->error());
            } else {
                m_bytesFetched += r->body().size();
                applyDeployments(r->deployments());
                fetchSucceeded();
            }
            batchDone();
        });
    }
    if (queue) {
        MarathonReply *r = track(m_client->queue());
        connect(r, &MarathonReply::finished, this, [this, r] {
            r->deleteLater();
            if (r->error().isError()) {
                // Marathon 0.7 has a queue too; a failure here is not worth a stale view.
                qCDebug(lcMarathon) << "live model: queue:" << r->error().message;
            } else {
                m_bytesFetched += r->body().size();
                applyQueue(r->queue());
            }
            batchDone();
        });
    }
    if (m_inFlight == 0)
        batchDone();
}

void LiveModel::applyFullList(const QList<MarathonApp> &list, bool ok, const QString &error)
{
    if (!ok) {
        ApiError e;
        e.kind = ApiError::Kind::BadReply;
        e.message = QStringLiteral("Marathon's list of apps is not JSON (%1).").arg(error);
        fetchFailed(e);
        batchDone();
        return;
    }
    // Applied in slices, so the GUI thread keeps answering on a cluster of thousands of tasks.
    auto pending = std::make_shared<QList<MarathonApp>>(list);
    auto seen = std::make_shared<QSet<QString>>();
    auto step = std::make_shared<std::function<void(qsizetype)>>();
    *step = [this, pending, seen, step](qsizetype from) {
        constexpr qsizetype kSlice = 25;
        const qsizetype to = std::min(pending->size(), from + kSlice);
        for (qsizetype i = from; i < to; ++i) {
            seen->insert(pending->at(i).id);
            applyApp(pending->at(i));
        }
        if (to < pending->size()) {
            QTimer::singleShot(0, this, [step, to] { (*step)(to); });
            return;
        }
        const QStringList known = m_apps.keys();
        for (const QString &id : known) {
            if (!seen->contains(id))
                removeApp(id);
        }
        fetchSucceeded();
        m_synced = true;
        emit synced();
        batchDone();
        *step = nullptr; // breaks the cycle
    };
    (*step)(0);
}

void LiveModel::batchDone()
{
    if (m_inFlight > 0)
        --m_inFlight;
    if (m_inFlight > 0)
        return;
    if (m_batchFailed) {
        // Try again on the next poll tick rather than hammering a Marathon that is away.
        m_pendingAll = true;
        return;
    }
    if (m_pendingAll || !m_pendingApps.isEmpty() || m_pendingDeployments || m_pendingQueue)
        schedule();
}

void LiveModel::fetchFailed(const ApiError &error)
{
    m_batchFailed = true;
    m_lastError = error;
    qCDebug(lcMarathon) << "live model: fetch failed:" << error.message;
    setStale(true);
    emit statusChanged();
}

void LiveModel::fetchSucceeded()
{
    m_lastUpdate = QDateTime::currentDateTimeUtc();
    m_lastError = ApiError();
    setStale(false);
    emit statusChanged();
}

void LiveModel::setStale(bool stale)
{
    if (m_stale == stale)
        return;
    m_stale = stale;
    emit statusChanged();
}

void LiveModel::updateMode()
{
    Mode mode = Mode::Idle;
    if (m_started) {
        mode = m_stream->state() == MarathonEventStream::State::Connected ? Mode::Stream
                                                                          : Mode::Polling;
    }
    if (mode != m_mode) {
        m_mode = mode;
        qCDebug(lcMarathon) << "live model:" << mode;
    }
    emit statusChanged();
}

// ---- applying fetched state ------------------------------------------------------------------

void LiveModel::applyApp(const MarathonApp &app, bool emitAdded)
{
    Q_UNUSED(emitAdded);
    if (app.id.isEmpty())
        return;
    const bool known = m_apps.contains(app.id);
    const MarathonApp old = m_apps.value(app.id);
    m_apps.insert(app.id, app);
    if (known && old.json == app.json)
        return; // nothing changed: no signals, no work for the views
    const QDateTime now = QDateTime::currentDateTimeUtc();

    // The last failure names a task that may have come and gone between two looks.
    const QString failedId = app.lastTaskFailure.value(QLatin1String("taskId")).toString();
    if (!failedId.isEmpty() && !m_endings.contains(failedId) &&
        !m_reportedFailures.contains(failedId)) {
        m_endings.insert(failedId,
                         {app.lastTaskFailure.value(QLatin1String("state")).toString(),
                          app.lastTaskFailure.value(QLatin1String("message")).toString()});
    }

    QHash<QString, const MarathonTask *> before;
    for (const MarathonTask &t : old.tasks)
        before.insert(t.id, &t);
    QSet<QString> now_ids;
    for (const MarathonTask &t : app.tasks) {
        now_ids.insert(t.id);
        const MarathonTask *was = before.value(t.id);
        const QString state = t.effectiveState();
        const QString health = taskHealthText(t);
        if (was && was->effectiveState() == state && taskHealthText(*was) == health)
            continue;
        TaskChange c;
        c.appId = app.id;
        c.taskId = t.id;
        c.host = t.host;
        c.oldState = was ? was->effectiveState() : QString();
        c.newState = state;
        c.oldHealth = was ? taskHealthText(*was) : QString();
        c.newHealth = health;
        c.time = now;
        emit taskChanged(c);
    }
    for (const MarathonTask &t : old.tasks) {
        if (now_ids.contains(t.id))
            continue;
        const Ending end = m_endings.take(t.id);
        TaskChange c;
        c.appId = app.id;
        c.taskId = t.id;
        c.host = t.host;
        c.oldState = t.effectiveState();
        c.newState = end.state.isEmpty() ? QStringLiteral("TASK_GONE") : end.state;
        c.message = end.message;
        c.oldHealth = taskHealthText(t);
        c.time = now;
        m_reportedFailures.insert(t.id);
        emit taskChanged(c);
    }
    // A failed task never seen running (it failed between two looks, or the view is polling).
    if (!failedId.isEmpty() && known && !m_reportedFailures.contains(failedId) &&
        !now_ids.contains(failedId)) {
        const Ending end = m_endings.take(failedId);
        TaskChange c;
        c.appId = app.id;
        c.taskId = failedId;
        c.host = app.lastTaskFailure.value(QLatin1String("host")).toString();
        c.newState = end.state.isEmpty() ? QStringLiteral("TASK_FAILED") : end.state;
        c.message = end.message;
        c.time = now;
        emit taskChanged(c);
    }
    if (!failedId.isEmpty())
        m_reportedFailures.insert(failedId);
    // Endings of tasks that were never seen are of no further use.
    if (m_endings.size() > 10000)
        m_endings.clear();

    if (!known)
        emit appAdded(app.id);
    else
        emit appChanged(app.id);
}

void LiveModel::removeApp(const QString &appId)
{
    if (!m_apps.contains(appId))
        return;
    MarathonApp gone = m_apps.value(appId);
    gone.tasks.clear();
    gone.lastTaskFailure = QJsonObject();
    // Report the tasks' ends first, through the same diff.
    applyApp(gone);
    m_apps.remove(appId);
    emit appRemoved(appId);
}

void LiveModel::applyDeployments(const QList<Deployment> &deployments)
{
    QStringList before, after;
    for (const Deployment &d : std::as_const(m_deployments))
        before << d.id + QString::number(d.currentStep);
    for (const Deployment &d : deployments)
        after << d.id + QString::number(d.currentStep);
    m_deployments = deployments;
    if (before != after)
        emit deploymentsChanged();
}

void LiveModel::applyQueue(const QList<QueueEntry> &queue)
{
    bool changed = queue.size() != m_queue.size();
    for (qsizetype i = 0; !changed && i < queue.size(); ++i) {
        changed = queue[i].appId != m_queue[i].appId || queue[i].count != m_queue[i].count ||
                  queue[i].delaySeconds != m_queue[i].delaySeconds;
    }
    m_queue = queue;
    if (changed)
        emit queueChanged();
}

} // namespace pier::marathon
