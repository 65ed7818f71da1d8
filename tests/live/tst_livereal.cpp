// The live model and the Live page against the sandbox's Marathon running REAL task processes in
// the agents' namespaces: a health check fails because the task's server stops answering (the
// process is SIGSTOPped), the unhealthy task is replaced, a killed process fails and is
// relaunched, and scaling 1 → 5 → 0 starts and stops real processes. Each change must be on the
// page within a second of Marathon's event. Needs root (SKIPs without).
#include "../cluster/clustertestutil.h"
#include "marathon/livemodel.h"
#include "marathon/marathonclient.h"
#include "sandbox/marathonserver.h"
#include "sandbox/taskrunner.h"
#include "ui/liveview.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTableWidget>
#include <QtTest>

#include <csignal>

using namespace pier;
using namespace pier::marathon;
using namespace pier::sandbox;
using namespace pier::sandbox::testutil;
using namespace Qt::Literals::StringLiterals;

namespace {

MarathonReply *done(MarathonReply *r)
{
    if (!r->isFinished()) {
        QSignalSpy spy(r, &MarathonReply::finished);
        spy.wait(20000);
    }
    return r;
}

} // namespace

class TestLiveReal : public QObject {
    Q_OBJECT

    std::unique_ptr<Cluster> m_cluster;
    ClusterStatus m_status;
    std::shared_ptr<TaskRunner> m_runner;
    std::unique_ptr<MarathonServer> m_server;
    std::unique_ptr<MarathonClient> m_client;
    std::unique_ptr<MarathonClient> m_user;
    std::unique_ptr<LiveModel> m_model;
    std::unique_ptr<ui::LiveView> m_view;
    // When the server published each event (ms on m_clock), by type.
    QElapsedTimer m_clock;
    QList<QPair<QString, QPair<qint64, QJsonObject>>> m_events;

    // Waits until COND holds on the page (checked on every model signal and every 20 ms) and
    // returns the time it first held, on m_clock; -1 on timeout.
    qint64 whenTrue(const std::function<bool()> &cond, int timeoutMs)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            if (cond())
                return m_clock.elapsed();
            QTest::qWait(20);
        }
        return -1;
    }

    qint64 lastEvent(const QString &type, const std::function<bool(const QJsonObject &)> &match)
    {
        for (auto it = m_events.crbegin(); it != m_events.crend(); ++it) {
            if (it->first == type && match(it->second.second))
                return it->second.first;
        }
        return -1;
    }

    MarathonTask task(const QString &appId, const QString &taskId)
    {
        for (const MarathonTask &t : m_model->app(appId).tasks) {
            if (t.id == taskId)
                return t;
        }
        return {};
    }

    // The Health column of the Live page's task table for TASK_ID.
    QString healthCell(const QString &taskId)
    {
        auto *tasks = m_view->findChild<QTableWidget *>(u"liveTasks"_s);
        for (int row = 0; row < tasks->rowCount(); ++row) {
            if (tasks->item(row, 0) && tasks->item(row, 0)->data(Qt::UserRole).toString() == taskId)
                return tasks->item(row, 2)->text();
        }
        return {};
    }

private slots:
    void initTestCase()
    {
        const QString missing = Cluster::missingPrerequisites();
        if (!missing.isEmpty())
            QSKIP(qPrintable(missing));
        qputenv("PIER_TASK_SERVER", QFileInfo(QStringLiteral(PIER_BINARY))
                                        .dir()
                                        .filePath(u"pier-task-server"_s)
                                        .toLocal8Bit());
        QVERIFY2(!TaskRunner::findTaskServer().isEmpty(), "pier-task-server is not built");
        m_cluster = std::make_unique<Cluster>(uniqueId("lr"));
        QString error;
        ClusterOptions options;
        options.agents = 2;
        QCOMPARE(m_cluster->up(options, &error), Cluster::UpResult::Started);
        const auto s = m_cluster->status(&error);
        QVERIFY2(s, qPrintable(error));
        m_status = *s;

        m_runner = TaskRunner::forCluster(m_status);
        MarathonServer::Options mo;
        mo.cluster = m_runner->placementCluster();
        mo.runner = m_runner;
        mo.deploymentStepMs = 50;
        mo.offerIntervalMs = 200;
        m_server = std::make_unique<MarathonServer>(mo);
        QVERIFY(m_server->listen()); // the test's own loopback: the model connects directly
        m_clock.start();
        connect(m_server.get(), &MarathonServer::eventPublished, this,
                [this](const QString &type, const QJsonObject &e) {
                    m_events.append({type, {m_clock.elapsed(), e}});
                });

        MarathonConfig c;
        c.urls = {m_server->url()};
        m_client = std::make_unique<MarathonClient>(c);
        m_user = std::make_unique<MarathonClient>(c);
        m_model = std::make_unique<LiveModel>(m_client.get());
        m_view = std::make_unique<ui::LiveView>(m_model.get());
        m_view->resize(1100, 700);
        m_view->show();
        m_model->start();
        QTRY_VERIFY_WITH_TIMEOUT(m_model->isSynced(), 5000);
        QCOMPARE(m_model->mode(), LiveModel::Mode::Stream);
    }

    void healthCheckFailsWhenTheServerStops()
    {
        const QString id = u"/checked"_s;
        QJsonObject def{
            {u"id"_s, id},
            {u"cmd"_s, u"serve"_s},
            {u"cpus"_s, 0.1},
            {u"mem"_s, 32},
            {u"instances"_s, 1},
            {u"healthChecks"_s, QJsonArray{QJsonObject{{u"protocol"_s, u"HTTP"_s},
                                                       {u"path"_s, u"/health"_s},
                                                       {u"portIndex"_s, 0},
                                                       {u"gracePeriodSeconds"_s, 5},
                                                       {u"intervalSeconds"_s, 1},
                                                       {u"timeoutSeconds"_s, 1},
                                                       {u"maxConsecutiveFailures"_s, 3}}}}};
        QVERIFY(!done(m_user->createApp(AppDefinition(def)))->error().isError());
        QTRY_VERIFY_WITH_TIMEOUT(m_model->hasApp(id) && m_model->app(id).tasksHealthy == 1, 15000);
        m_view->selectApp(id);
        const QString taskId = m_model->app(id).tasks.value(0).id;
        QTRY_COMPARE_WITH_TIMEOUT(healthCell(taskId), u"Healthy"_s, 2000);
        const qint64 pid = m_runner->pid(taskId);
        QVERIFY(pid > 0);

        // The server still listens but no longer answers: the check fails for real.
        QCOMPARE(::kill(pid_t(pid), SIGSTOP), 0);
        const qint64 shown = whenTrue(
            [&] {
                return taskHealthText(task(id, taskId)) == u"unhealthy"_s &&
                       healthCell(taskId) == u"Unhealthy"_s;
            },
            10000);
        QVERIFY(shown >= 0);
        const qint64 event = lastEvent(u"health_status_changed_event"_s, [&](const QJsonObject &e) {
            return !e.value(u"alive"_s).toBool(true);
        });
        QVERIFY(event >= 0);
        qInfo("FIGURE health_failure_event_to_page_ms=%lld", shown - event);
        QVERIFY2(shown - event <= 1000, qPrintable(QString::number(shown - event)));

        // Marathon kills it after maxConsecutiveFailures; the replacement shows up healthy.
        const qint64 replaced = whenTrue(
            [&] {
                const MarathonApp a = m_model->app(id);
                return a.tasks.size() == 1 && a.tasks.first().id != taskId && a.tasksHealthy == 1;
            },
            20000);
        QVERIFY(replaced >= 0);
        QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(u"/proc/%1"_s.arg(pid)), 10000);
    }

    void killedProcessFailsAndIsRelaunched()
    {
        const QString id = u"/checked"_s;
        const QString taskId = m_model->app(id).tasks.value(0).id;
        const qint64 pid = m_runner->pid(taskId);
        QVERIFY(pid > 0);
        QCOMPARE(::kill(pid_t(pid), SIGKILL), 0);
        // The page loses the task within a second of TASK_FAILED, then shows its replacement.
        const qint64 gone = whenTrue([&] { return task(id, taskId).id.isEmpty(); }, 10000);
        QVERIFY(gone >= 0);
        const qint64 failed = lastEvent(u"status_update_event"_s, [&](const QJsonObject &e) {
            return e.value(u"taskId"_s).toString() == taskId &&
                   e.value(u"taskStatus"_s).toString() == u"TASK_FAILED"_s;
        });
        QVERIFY(failed >= 0);
        qInfo("FIGURE task_failed_event_to_page_ms=%lld", gone - failed);
        QVERIFY2(gone - failed <= 1000, qPrintable(QString::number(gone - failed)));
        QVERIFY(!m_model->app(id).lastTaskFailure.isEmpty());
        const qint64 back = whenTrue(
            [&] {
                const MarathonApp a = m_model->app(id);
                return a.tasksRunning == 1 && a.tasks.value(0).id != taskId;
            },
            20000);
        QVERIFY(back >= 0);
    }

    void scalingStartsAndStopsRealProcesses()
    {
        const QString id = u"/checked"_s;
        QVERIFY(!done(m_user->scaleApp(id, 5, true))->error().isError());
        QVERIFY(whenTrue([&] { return m_model->app(id).tasksRunning == 5; }, 20000) >= 0);
        int live = 0;
        for (const MarathonTask &t : m_model->app(id).tasks)
            live += m_runner->pid(t.id) > 0 ? 1 : 0;
        QCOMPARE(live, 5);
        const QList<MarathonTask> five = m_model->app(id).tasks;
        QVERIFY(!done(m_user->scaleApp(id, 0, true))->error().isError());
        QVERIFY(whenTrue([&] { return m_model->app(id).tasks.isEmpty(); }, 20000) >= 0);
        for (const MarathonTask &t : five)
            QTRY_COMPARE_WITH_TIMEOUT(m_runner->pid(t.id), qint64(-1), 10000);
    }

    void cleanupTestCase()
    {
        m_view.reset();
        m_model.reset();
        m_client.reset();
        m_user.reset();
        m_server.reset(); // stops every task process
        m_runner.reset();
        if (m_cluster) {
            QString error;
            QVERIFY2(m_cluster->down(&error), qPrintable(error));
        }
    }
};

QTEST_MAIN(TestLiveReal)
#include "tst_livereal.moc"
