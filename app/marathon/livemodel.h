#pragma once

#include "core/apierror.h"
#include "marathon/eventstream.h"
#include "marathon/marathontypes.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QString>
#include <QThreadPool>
#include <QTimer>
#include <optional>

namespace pier::marathon {

class MarathonClient;
class MarathonReply;

// A task's change as a person reads it: "/nginx nginx.1234 TASK_STAGING -> TASK_RUNNING".
struct TaskChange {
    QString appId;
    QString taskId;
    QString host;
    QString oldState; // empty: the task is new
    QString newState; // TASK_KILLED, TASK_FAILED, ... or "TASK_GONE" when it left unexplained
    QString oldHealth;
    QString newHealth; // "healthy", "unhealthy", or empty (no health checks, or not known yet)
    QString message;   // why it ended, when Marathon said
    QDateTime time;    // when Pier saw it (UTC)
};

// Health of a task in words: "healthy", "unhealthy" or empty when nothing says.
QString taskHealthText(const MarathonTask &task);
// Counts of an app computed from its tasks (more current than Marathon's counts).
struct AppCounts {
    int running = 0;
    int staged = 0;
    int healthy = 0;
    int unhealthy = 0;
};
AppCounts countsOf(const MarathonApp &app);

// The cluster as Marathon sees it, kept current: apps with their tasks, deployments, the launch
// queue. Events from /v2/events are treated as invalidations (they may come in any order, and
// be lost): the affected apps are fetched again, coalesced over a short debounce. After a gap in
// the stream (reconnect) everything is fetched again. Without a stream (Marathon 0.7, a proxy
// that drops it, a stream that is down) the model polls.
class LiveModel : public QObject {
    Q_OBJECT
public:
    enum class Mode {
        Idle,    // not started
        Stream,  // the event stream is up: changes come as they happen
        Polling, // no stream (unsupported or lost): fetched every pollInterval
    };
    Q_ENUM(Mode)

    explicit LiveModel(MarathonClient *client, QObject *parent = nullptr);
    ~LiveModel() override;

    MarathonClient *client() const { return m_client; }
    MarathonEventStream *stream() const { return m_stream; }

    void start();
    void stop();
    void refresh(); // a full resync now (also what the refresh button does)

    // Settings (ms): debounce of invalidations, polling interval without a stream, and after
    // how long a connected but silent stream is checked by a full fetch (a proxy that passes
    // the connection and filters the events).
    void setDebounce(int ms) { m_debounceMs = ms; }
    void setPollInterval(int ms);
    void setSilentResync(int ms) { m_silentResyncMs = ms; }

    Mode mode() const { return m_mode; }
    bool isSynced() const { return m_synced; } // a first full view has arrived
    // True when the data may be out of date: the connection is lost and fetching fails.
    bool isStale() const { return m_stale; }
    QDateTime lastUpdate() const { return m_lastUpdate; } // the last successful fetch (UTC)
    ApiError lastError() const { return m_lastError; }
    // One sentence for a status line: "Live (event stream)", "Polling every 3 s: ...", ...
    QString statusText() const;

    QStringList appIds() const { return m_apps.keys(); }
    bool hasApp(const QString &appId) const { return m_apps.contains(appId); }
    MarathonApp app(const QString &appId) const { return m_apps.value(appId); }
    QList<MarathonApp> apps() const { return m_apps.values(); }
    QList<Deployment> deployments() const { return m_deployments; }
    QList<Deployment> deploymentsFor(const QString &appId) const;
    QList<QueueEntry> queue() const { return m_queue; }
    std::optional<QueueEntry> queueEntry(const QString &appId) const;
    int taskCount() const;

    // Counters for measurements: body bytes of fetched replies, fetches made, full resyncs.
    qint64 bytesFetched() const { return m_bytesFetched; }
    int fetchCount() const { return m_fetches; }
    int resyncCount() const { return m_resyncs; }

signals:
    void synced(); // after each full fetch
    void appAdded(const QString &appId);
    void appChanged(const QString &appId);
    void appRemoved(const QString &appId);
    void taskChanged(const pier::marathon::TaskChange &change);
    void deploymentsChanged();
    void queueChanged();
    void statusChanged(); // mode, stale, last update, error
    void eventReceived(const pier::marathon::MarathonEvent &event);

private:
    void onEvent(const MarathonEvent &event);
    void onStreamState(MarathonEventStream::State state);
    void invalidateApp(const QString &appId);
    void invalidateDeployments();
    void invalidateAll();
    void schedule();
    void flush();
    void onPollTick();
    void batchDone();
    void applyFullList(const QList<MarathonApp> &list, bool ok, const QString &error);
    void fetchFailed(const ApiError &error);
    void fetchSucceeded();
    void updateMode();
    void applyApp(const MarathonApp &app, bool emitAdded = true);
    void removeApp(const QString &appId);
    void applyDeployments(const QList<Deployment> &deployments);
    void applyQueue(const QList<QueueEntry> &queue);
    MarathonReply *track(MarathonReply *reply);
    void setStale(bool stale);

    QPointer<MarathonClient> m_client;
    MarathonEventStream *m_stream = nullptr;
    QMap<QString, MarathonApp> m_apps;
    QList<Deployment> m_deployments;
    QList<QueueEntry> m_queue;
    // Ends of tasks the stream told about (TASK_KILLED + message), for the change that follows.
    struct Ending {
        QString state;
        QString message;
    };
    QHash<QString, Ending> m_endings;
    QSet<QString> m_reportedFailures; // lastTaskFailure task ids already reported

    QSet<QString> m_pendingApps;
    bool m_pendingDeployments = false;
    bool m_pendingQueue = false;
    bool m_pendingAll = false;
    int m_inFlight = 0;
    bool m_batchFailed = false;
    ApiError m_batchError;
    QList<QPointer<MarathonReply>> m_replies;

    QThreadPool m_pool; // parses big replies off the GUI thread
    QTimer m_debounce;
    QTimer m_poll;
    int m_debounceMs = 100;
    int m_pollMs = 3000;
    int m_silentResyncMs = 60000;
    QElapsedTimer m_sinceEvent;
    QElapsedTimer m_sinceFetch;

    Mode m_mode = Mode::Idle;
    bool m_started = false;
    bool m_synced = false;
    bool m_stale = false;
    QDateTime m_lastUpdate;
    ApiError m_lastError;
    qint64 m_bytesFetched = 0;
    int m_fetches = 0;
    int m_resyncs = 0;
};

} // namespace pier::marathon
