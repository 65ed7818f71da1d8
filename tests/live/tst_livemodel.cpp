// The live model against the sandbox's Marathon over real HTTP: every change a user makes or
// Marathon does shows in the model within a second of Marathon's event, with the event stream
// and by polling (Marathon 0.7 has no stream), and a lost stream or a restarted Marathon ends
// in the true state again.
#include "marathon/livemodel.h"
#include "marathon/marathonclient.h"
#include "sandbox/httpserver.h"
#include "sandbox/marathonserver.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>

using namespace pier::marathon;
using pier::sandbox::MarathonServer;

namespace {

AppDefinition appDef(const QString &id, int instances, bool healthCheck = false)
{
    QJsonObject o{{QStringLiteral("id"), id},
                  {QStringLiteral("cmd"), QStringLiteral("python3 -m http.server $PORT0")},
                  {QStringLiteral("cpus"), 0.1},
                  {QStringLiteral("mem"), 32},
                  {QStringLiteral("instances"), instances}};
    if (healthCheck) {
        o.insert(QStringLiteral("healthChecks"),
                 QJsonArray{QJsonObject{{QStringLiteral("protocol"), QStringLiteral("HTTP")},
                                        {QStringLiteral("path"), QStringLiteral("/")},
                                        {QStringLiteral("portIndex"), 0}}});
    }
    return AppDefinition(o);
}

MarathonReply *done(MarathonReply *r)
{
    if (!r->isFinished()) {
        QSignalSpy spy(r, &MarathonReply::finished);
        spy.wait(20000);
    }
    return r;
}

// Pairs what the server published with what the model reported, to measure the delay.
struct Latency {
    QElapsedTimer clock;
    QHash<QString, qint64> published; // "taskId state" -> ms
    QHash<QString, qint64> seen;
    QHash<QString, TaskChange> changes;

    void attach(MarathonServer *server, LiveModel *model, QObject *context)
    {
        clock.start();
        QObject::connect(server, &MarathonServer::eventPublished, context,
                         [this](const QString &type, const QJsonObject &e) {
                             if (type == QLatin1String("status_update_event")) {
                                 published.insert(
                                     e.value(QLatin1String("taskId")).toString() +
                                         QLatin1Char(' ') +
                                         e.value(QLatin1String("taskStatus")).toString(),
                                     clock.elapsed());
                             } else if (type == QLatin1String("health_status_changed_event")) {
                                 published.insert(e.value(QLatin1String("instanceId")).toString() +
                                                      QStringLiteral(" health ") +
                                                      (e.value(QLatin1String("alive")).toBool()
                                                           ? QStringLiteral("healthy")
                                                           : QStringLiteral("unhealthy")),
                                                  clock.elapsed());
                             }
                         });
        QObject::connect(model, &LiveModel::taskChanged, context, [this](const TaskChange &c) {
            const QString key = c.taskId + QLatin1Char(' ') + c.newState;
            seen.insert(key, clock.elapsed());
            changes.insert(key, c);
            if (c.newHealth != c.oldHealth && !c.newHealth.isEmpty()) {
                // Modern task ids are "<instanceId>._app.1".
                const QString instance = c.taskId.section(QStringLiteral("._app."), 0, 0);
                seen.insert(instance + QStringLiteral(" health ") + c.newHealth, clock.elapsed());
            }
        });
    }

    // Each of these published changes was seen within `limitMs`.
    QString check(const QStringList &states, qint64 limitMs = 1000) const
    {
        int checked = 0;
        for (auto it = published.begin(); it != published.end(); ++it) {
            const QString state = it.key().section(QLatin1Char(' '), -1);
            if (!states.contains(state))
                continue;
            ++checked;
            if (!seen.contains(it.key()))
                return QStringLiteral("never seen: %1").arg(it.key());
            const qint64 delay = seen.value(it.key()) - it.value();
            if (delay > limitMs)
                return QStringLiteral("%1 seen after %2 ms").arg(it.key()).arg(delay);
        }
        return checked ? QString() : QStringLiteral("nothing published");
    }
};

QStringList modelTaskIds(const LiveModel &model, const QString &appId)
{
    QStringList ids;
    const QList<MarathonTask> tasks = model.app(appId).tasks;
    for (const MarathonTask &t : tasks)
        ids << t.id;
    ids.sort();
    return ids;
}

QStringList serverTaskIds(const MarathonServer &server, const QString &appId)
{
    QStringList ids = server.taskIds(appId);
    ids.sort();
    return ids;
}

int running(const LiveModel &model, const QString &appId)
{
    return countsOf(model.app(appId)).running;
}

} // namespace

class TestLiveModel : public QObject {
    Q_OBJECT

    std::unique_ptr<MarathonServer> m_server;
    std::unique_ptr<MarathonClient> m_client; // the model's
    std::unique_ptr<MarathonClient> m_user;   // another user acting on Marathon
    std::unique_ptr<LiveModel> m_model;

    void start(MarathonServer::Flavor flavor, int pollMs = 3000, quint16 port = 0)
    {
        MarathonServer::Options o;
        o.flavor = flavor;
        m_server = std::make_unique<MarathonServer>(o);
        QVERIFY(m_server->listen(QHostAddress::LocalHost, port));
        MarathonConfig c;
        c.urls = {m_server->url()};
        c.timeoutMs = 3000;
        c.maxRetries = 0;
        m_client = std::make_unique<MarathonClient>(c);
        m_user = std::make_unique<MarathonClient>(c);
        m_model = std::make_unique<LiveModel>(m_client.get());
        m_model->setPollInterval(pollMs);
        m_model->stream()->setBackoff(100, 400);
        m_model->start();
        QTRY_VERIFY_WITH_TIMEOUT(m_model->isSynced(), 5000);
    }

private slots:
    void cleanup()
    {
        m_model.reset();
        m_client.reset();
        m_user.reset();
        m_server.reset();
    }

    void modes_data()
    {
        QTest::addColumn<bool>("legacy");
        QTest::addRow("event stream") << false;
        QTest::addRow("polling (0.7)") << true;
    }

    // Launch, scale 1 -> 5 -> 0, kill a task: each change within a second.
    void modes()
    {
        QFETCH(bool, legacy);
        start(legacy ? MarathonServer::Flavor::Legacy : MarathonServer::Flavor::Modern, 300);
        if (legacy) {
            QTRY_COMPARE_WITH_TIMEOUT(m_model->stream()->state(),
                                      MarathonEventStream::State::Unsupported, 5000);
            QCOMPARE(m_model->mode(), LiveModel::Mode::Polling);
            QVERIFY2(m_model->statusText().contains(QStringLiteral("no event stream")),
                     qPrintable(m_model->statusText()));
        } else {
            QTRY_COMPARE_WITH_TIMEOUT(m_model->mode(), LiveModel::Mode::Stream, 5000);
        }
        Latency latency;
        latency.attach(m_server.get(), m_model.get(), this);
        QSignalSpy added(m_model.get(), &LiveModel::appAdded);
        const QString id = QStringLiteral("/web");
        QVERIFY(!done(m_user->createApp(appDef(id, 1)))->error().isError());
        QVERIFY(added.wait(2000));
        QCOMPARE(added.first().first().toString(), id);
        QTRY_COMPARE_WITH_TIMEOUT(running(*m_model, id), 1, 3000);
        // The launch's deployment ends (the model shows it go), so scaling is not locked.
        QTRY_VERIFY_WITH_TIMEOUT(m_model->deploymentsFor(id).isEmpty(), 5000);
        // A poll can show the deployment gone a moment before the server drops it (its list
        // and the app come from two requests): the server has the last word on the lock.
        QTRY_VERIFY_WITH_TIMEOUT(m_server->deploymentIds().isEmpty(), 5000);

        QVERIFY(!done(m_user->scaleApp(id, 5))->error().isError());
        QTRY_COMPARE_WITH_TIMEOUT(running(*m_model, id), 5, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_model->deploymentsFor(id).isEmpty(), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_server->deploymentIds().isEmpty(), 5000);
        QCOMPARE(modelTaskIds(*m_model, id), serverTaskIds(*m_server, id));

        // Kill one task: it ends as killed, and Marathon starts a replacement.
        const QString victim = m_server->taskIds(id).first();
        QVERIFY(!done(m_user->killTask(id, victim))->error().isError());
        QTRY_VERIFY_WITH_TIMEOUT(!modelTaskIds(*m_model, id).contains(victim), 2000);
        QTRY_COMPARE_WITH_TIMEOUT(running(*m_model, id), 5, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_model->deploymentsFor(id).isEmpty(), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_server->deploymentIds().isEmpty(), 5000);
        if (!legacy) {
            QCOMPARE(latency.changes.value(victim + QStringLiteral(" TASK_KILLED")).oldState,
                     QStringLiteral("TASK_RUNNING"));
        }

        QVERIFY(!done(m_user->scaleApp(id, 0))->error().isError());
        QTRY_COMPARE_WITH_TIMEOUT(m_model->app(id).tasks.size(), 0, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_model->deploymentsFor(id).isEmpty(), 5000);

        // Polling cannot see states shorter than its interval; what it shows, it shows in time.
        const QStringList states =
            legacy ? QStringList{}
                   : QStringList{QStringLiteral("TASK_STAGING"), QStringLiteral("TASK_RUNNING"),
                                 QStringLiteral("TASK_KILLED")};
        if (!legacy) {
            const QString problem = latency.check(states);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        } else {
            // Every running task the server had was seen running, within poll + a second.
            for (auto it = latency.published.begin(); it != latency.published.end(); ++it) {
                if (!it.key().endsWith(QLatin1String(" TASK_RUNNING")))
                    continue;
                QVERIFY2(latency.seen.contains(it.key()), qPrintable(it.key()));
                QVERIFY2(latency.seen.value(it.key()) - it.value() < 1300, qPrintable(it.key()));
            }
        }

        // Destroying the app removes it.
        QSignalSpy removed(m_model.get(), &LiveModel::appRemoved);
        QVERIFY(!done(m_user->deleteApp(id))->error().isError());
        QVERIFY(removed.wait(3000));
        QVERIFY(!m_model->hasApp(id));
    }

    void healthAndDeployments()
    {
        start(MarathonServer::Flavor::Modern);
        Latency latency;
        latency.attach(m_server.get(), m_model.get(), this);
        QSignalSpy deployments(m_model.get(), &LiveModel::deploymentsChanged);
        const QString id = QStringLiteral("/shop/api");
        QVERIFY(!done(m_user->createApp(appDef(id, 2, true)))->error().isError());
        // The deployment shows while it runs, then goes.
        QTRY_COMPARE_WITH_TIMEOUT(m_model->deploymentsFor(id).size(), 1, 2000);
        QTRY_COMPARE_WITH_TIMEOUT(countsOf(m_model->app(id)).healthy, 2, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_model->deploymentsFor(id).isEmpty(), 5000);
        const QString problem = latency.check({QStringLiteral("healthy")});
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void failingTaskRelaunches_data()
    {
        QTest::addColumn<bool>("legacy");
        QTest::addRow("event stream") << false;
        QTest::addRow("polling (0.7)") << true;
    }

    void failingTaskRelaunches()
    {
        QFETCH(bool, legacy);
        start(legacy ? MarathonServer::Flavor::Legacy : MarathonServer::Flavor::Modern, 300);
        const QString id = QStringLiteral("/crashy");
        const QString why = QStringLiteral("Command exited with status 1: port 8080 in use");
        m_server->setFailing(id, why);
        QList<TaskChange> failures;
        connect(m_model.get(), &LiveModel::taskChanged, this, [&failures](const TaskChange &c) {
            if (c.newState == QLatin1String("TASK_FAILED"))
                failures << c;
        });
        QElapsedTimer clock;
        clock.start();
        QVERIFY(!done(m_user->createApp(appDef(id, 1)))->error().isError());
        // Each failure is reported with Marathon's message, and the task is relaunched.
        QTRY_VERIFY_WITH_TIMEOUT(failures.size() >= 2, 10000);
        QCOMPARE(failures.first().message, why);
        QVERIFY(failures.first().taskId != failures.at(1).taskId);
        QCOMPARE(m_model->app(id).lastTaskFailure.value(QLatin1String("message")).toString(), why);
        // Once it stops failing it runs.
        m_server->setFailing(id, QString());
        QTRY_COMPARE_WITH_TIMEOUT(running(*m_model, id), 1, 10000);
    }

    // The stream drops and stays away while the app changes: the model ends in the true state.
    void droppedStreamResyncs()
    {
        start(MarathonServer::Flavor::Modern, 60000); // no polling help: the resync must do it
        QTRY_COMPARE_WITH_TIMEOUT(m_model->mode(), LiveModel::Mode::Stream, 5000);
        const QString id = QStringLiteral("/web");
        QVERIFY(!done(m_user->createApp(appDef(id, 2)))->error().isError());
        QTRY_COMPARE_WITH_TIMEOUT(running(*m_model, id), 2, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_model->deploymentsFor(id).isEmpty(), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_server->deploymentIds().isEmpty(), 5000);

        m_server->injectFault(QStringLiteral("/v2/events"), 503, {}, 3);
        m_server->httpServer()->closeAllStreams();
        QTRY_VERIFY_WITH_TIMEOUT(m_model->mode() == LiveModel::Mode::Polling, 3000);
        QVERIFY(!done(m_user->scaleApp(id, 4))->error().isError());
        QTRY_COMPARE_WITH_TIMEOUT(m_server->taskIds(id).size(), 4, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_model->mode(), LiveModel::Mode::Stream, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(running(*m_model, id), 4, 5000);
        QCOMPARE(modelTaskIds(*m_model, id), serverTaskIds(*m_server, id));
        QVERIFY(m_model->resyncCount() >= 2);
    }

    // Marathon goes away: the model keeps the last state, says it is stale and since when;
    // a Marathon that comes back on the same address (with another state) is followed again.
    void marathonRestarts()
    {
        start(MarathonServer::Flavor::Modern, 300);
        const QString id = QStringLiteral("/web");
        QVERIFY(!done(m_user->createApp(appDef(id, 1)))->error().isError());
        QTRY_COMPARE_WITH_TIMEOUT(running(*m_model, id), 1, 5000);
        const quint16 port = m_server->port();
        const QDateTime before = m_model->lastUpdate();
        m_server.reset();
        QTRY_VERIFY_WITH_TIMEOUT(m_model->isStale(), 5000);
        QVERIFY(m_model->hasApp(id)); // the last known state stays
        QVERIFY2(m_model->statusText().startsWith(QStringLiteral("Reconnecting, last update")),
                 qPrintable(m_model->statusText()));
        QVERIFY(m_model->lastUpdate() >= before);

        MarathonServer::Options o;
        m_server = std::make_unique<MarathonServer>(o);
        QVERIFY(m_server->listen(QHostAddress::LocalHost, port));
        QVERIFY(!done(m_user->createApp(appDef(QStringLiteral("/other"), 1)))->error().isError());
        QTRY_VERIFY_WITH_TIMEOUT(!m_model->isStale(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!m_model->hasApp(id), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(running(*m_model, QStringLiteral("/other")), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_model->mode(), LiveModel::Mode::Stream, 10000);
    }

    // A stream mangled on the way (garbage lines, events that are not JSON, frames cut at odd
    // places) is read for what it holds: the rest is skipped and the model stays right.
    void garbageOnTheStreamIsSkipped()
    {
        MarathonServer::Options o;
        m_server = std::make_unique<MarathonServer>(o);
        QVERIFY(m_server->listen());
        QPointer<pier::sandbox::HttpStream> stream;
        m_server->httpServer()->addFilter(
            [&stream](const pier::sandbox::HttpRequest &r, const pier::sandbox::HttpReply &reply) {
                if (r.path != QLatin1String("/v2/events"))
                    return false;
                stream = reply.openStream(200, {{"Content-Type", "text/event-stream"}});
                return true;
            });
        connect(m_server.get(), &MarathonServer::eventPublished, this,
                [&stream](const QString &type, const QJsonObject &e) {
                    if (!stream)
                        return;
                    const QByteArray frame =
                        "event: " + type.toUtf8() +
                        "\r\ndata: " + QJsonDocument(e).toJson(QJsonDocument::Compact) + "\r\n\r\n";
                    stream->write("<html>proxy says hi</html>\n: comment\n");
                    stream->write("event: status_update_event\ndata: {not json\n\n");
                    const qsizetype half = frame.size() / 2;
                    stream->write(frame.left(half));
                    stream->write(frame.mid(half));
                });
        MarathonConfig c;
        c.urls = {m_server->url()};
        m_client = std::make_unique<MarathonClient>(c);
        m_user = std::make_unique<MarathonClient>(c);
        m_model = std::make_unique<LiveModel>(m_client.get());
        m_model->setPollInterval(60000);
        m_model->start();
        QTRY_COMPARE_WITH_TIMEOUT(m_model->mode(), LiveModel::Mode::Stream, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_model->isSynced(), 5000);
        // The start and the stream's connection each ask for a full fetch; they may coalesce.
        if (m_model->resyncCount() < 2) {
            QSignalSpy synced(m_model.get(), &LiveModel::synced);
            synced.wait(1000);
        }
        const int resyncs = m_model->resyncCount();
        Latency latency;
        latency.attach(m_server.get(), m_model.get(), this);
        const QString id = QStringLiteral("/web");
        QVERIFY(!done(m_user->createApp(appDef(id, 3)))->error().isError());
        QTRY_COMPARE_WITH_TIMEOUT(running(*m_model, id), 3, 5000);
        QVERIFY(m_model->stream()->skippedEvents() > 0);
        QCOMPARE(m_model->mode(), LiveModel::Mode::Stream);
        QCOMPARE(m_model->resyncCount(), resyncs); // events did it, not a resync
        const QString problem =
            latency.check({QStringLiteral("TASK_STAGING"), QStringLiteral("TASK_RUNNING")});
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
};

QTEST_GUILESS_MAIN(TestLiveModel)
#include "tst_livemodel.moc"
