// The Live page driven as a user drives it, against the sandbox's Marathon over real HTTP: the
// table shows the apps and counts as they change, scaling from the view changes Marathon,
// destroying asks first and names the app, and a Marathon that goes away greys the view.
#include "marathon/livemodel.h"
#include "marathon/marathonclient.h"
#include "sandbox/marathonserver.h"
#include "sandbox/mesosserver.h"
#include "ui/liveappsmodel.h"
#include "ui/livechart.h"
#include "ui/liveview.h"
#include "ui/messagebox.h"

#include <QAbstractItemModel>
#include <QApplication>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTest>

using namespace pier::marathon;
using pier::sandbox::MarathonServer;
using pier::ui::LiveAppsModel;
using pier::ui::LiveView;
using pier::ui::MessageBox;

namespace {

AppDefinition appDef(const QString &id, int instances)
{
    return AppDefinition(QJsonObject{{QStringLiteral("id"), id},
                                     {QStringLiteral("cmd"), QStringLiteral("sleep 1000")},
                                     {QStringLiteral("cpus"), 0.1},
                                     {QStringLiteral("mem"), 32},
                                     {QStringLiteral("instances"), instances}});
}

MarathonReply *done(MarathonReply *r)
{
    if (!r->isFinished()) {
        QSignalSpy spy(r, &MarathonReply::finished);
        spy.wait(20000);
    }
    return r;
}

// The text a user reads in the apps table for an app and a column.
QString cell(QTableView *table, const QString &appId, int column)
{
    QAbstractItemModel *m = table->model();
    for (int row = 0; row < m->rowCount(); ++row) {
        if (m->index(row, LiveAppsModel::Id).data().toString() == appId)
            return m->index(row, column).data().toString();
    }
    return QStringLiteral("<no row>");
}

} // namespace

class TestLiveView : public QObject {
    Q_OBJECT

    std::unique_ptr<MarathonServer> m_server;
    std::unique_ptr<MarathonClient> m_client;
    std::unique_ptr<MarathonClient> m_user;
    std::unique_ptr<LiveModel> m_model;
    std::unique_ptr<LiveView> m_view;

    template<typename T> T *find(const char *name)
    {
        T *w = m_view->findChild<T *>(QLatin1String(name));
        if (!w)
            qFatal("no widget %s", name);
        return w;
    }

private slots:
    void init()
    {
        MessageBox::clearAnswers();
        m_server = std::make_unique<MarathonServer>();
        QVERIFY(m_server->listen());
        MarathonConfig c;
        c.urls = {m_server->url()};
        c.timeoutMs = 3000;
        c.maxRetries = 0;
        m_client = std::make_unique<MarathonClient>(c);
        m_user = std::make_unique<MarathonClient>(c);
        m_model = std::make_unique<LiveModel>(m_client.get());
        m_model->setPollInterval(500);
        m_model->stream()->setBackoff(100, 400);
        m_view = std::make_unique<LiveView>(m_model.get());
        m_view->resize(1100, 700);
        m_view->show();
        m_model->start();
        QTRY_VERIFY_WITH_TIMEOUT(m_model->isSynced(), 5000);
    }

    void cleanup()
    {
        m_view.reset();
        m_model.reset();
        m_client.reset();
        m_user.reset();
        m_server.reset();
    }

    void tableFollowsTheApps()
    {
        auto *table = find<QTableView>("liveApps");
        QVERIFY(!done(m_user->createApp(appDef(QStringLiteral("/web"), 2)))->error().isError());
        QVERIFY(
            !done(m_user->createApp(appDef(QStringLiteral("/shop/api"), 1)))->error().isError());
        QTRY_COMPARE_WITH_TIMEOUT(cell(table, QStringLiteral("/web"), LiveAppsModel::Running),
                                  QStringLiteral("2"), 3000);
        QCOMPARE(cell(table, QStringLiteral("/web"), LiveAppsModel::Instances),
                 QStringLiteral("2"));
        QTRY_COMPARE_WITH_TIMEOUT(cell(table, QStringLiteral("/shop/api"), LiveAppsModel::Running),
                                  QStringLiteral("1"), 3000);
        // Health in words, never colour alone.
        QVERIFY(cell(table, QStringLiteral("/web"), LiveAppsModel::Health)
                    .contains(QStringLiteral("2 of 2 running")));
        QTRY_COMPARE_WITH_TIMEOUT(cell(table, QStringLiteral("/web"), LiveAppsModel::Status),
                                  QStringLiteral("Running"), 3000);
        QVERIFY2(m_view->statusLine().startsWith(QStringLiteral("Live")),
                 qPrintable(m_view->statusLine()));

        // The filter narrows the table.
        QTest::keyClicks(find<QLineEdit>("liveFilter"), QStringLiteral("shop"));
        QCOMPARE(table->model()->rowCount(), 1);
        QCOMPARE(cell(table, QStringLiteral("/web"), LiveAppsModel::Id),
                 QStringLiteral("<no row>"));
        find<QLineEdit>("liveFilter")->clear();
        QCOMPARE(table->model()->rowCount(), 2);

        // The selected app's tasks: state in words, host:port as links.
        m_view->selectApp(QStringLiteral("/web"));
        auto *tasks = find<QTableWidget>("liveTasks");
        QTRY_COMPARE_WITH_TIMEOUT(tasks->rowCount(), 2, 3000);
        QTRY_COMPARE_WITH_TIMEOUT(tasks->item(0, 1)->text(), QStringLiteral("Running"), 3000);
        auto *link = qobject_cast<QLabel *>(tasks->cellWidget(0, 3));
        QVERIFY(link);
        // PIER_SCREENSHOT_DIR=...: a picture of the page as a user sees it, for the docs.
        if (qEnvironmentVariableIsSet("PIER_SCREENSHOT_DIR")) {
            tasks->selectRow(0);
            QTest::qWait(2500); // let the chart gather a few samples
            m_view->grab().save(qEnvironmentVariable("PIER_SCREENSHOT_DIR") +
                                QStringLiteral("/live.png"));
        }
        const MarathonTask first = m_model->app(QStringLiteral("/web")).tasks.first();
        QVERIFY2(
            link->text().contains(
                QStringLiteral("href=\"http://%1:%2/\"").arg(first.host).arg(first.ports.value(0))),
            qPrintable(link->text()));
    }

    void scaleFromTheView()
    {
        auto *table = find<QTableView>("liveApps");
        const QString id = QStringLiteral("/web");
        QVERIFY(!done(m_user->createApp(appDef(id, 1)))->error().isError());
        QTRY_COMPARE_WITH_TIMEOUT(cell(table, id, LiveAppsModel::Status), QStringLiteral("Running"),
                                  5000);
        // The server has the last word on the deployment lock the next action would meet.
        QTRY_VERIFY_WITH_TIMEOUT(m_server->deploymentIds().isEmpty(), 5000);
        m_view->selectApp(id);
        QCOMPARE(m_view->selectedApp(), id);
        auto *spin = find<QSpinBox>("liveInstances");
        QTRY_COMPARE_WITH_TIMEOUT(spin->value(), 1, 2000);
        // Step up twice with the keyboard, then Scale.
        spin->setFocus();
        QTest::keyClick(spin, Qt::Key_Up);
        QTest::keyClick(spin, Qt::Key_Up);
        QCOMPARE(spin->value(), 3);
        QTest::mouseClick(find<QPushButton>("liveScale"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(m_server->taskIds(id).size(), 3, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(cell(table, id, LiveAppsModel::Running), QStringLiteral("3"),
                                  5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_view->actionResult().contains(QStringLiteral("finished")), 5000);
        QVERIFY2(m_view->actionResult().startsWith(QStringLiteral("Scaled /web to 3")),
                 qPrintable(m_view->actionResult()));

        // Kill a task from the view: Marathon replaces it.
        auto *tasks = find<QTableWidget>("liveTasks");
        QTRY_COMPARE_WITH_TIMEOUT(tasks->rowCount(), 3, 3000);
        tasks->selectRow(0);
        const QString victim = tasks->item(0, 0)->data(Qt::UserRole).toString();
        QTest::mouseClick(find<QPushButton>("liveKill"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!m_server->taskIds(id).contains(victim), 3000);
        QTRY_COMPARE_WITH_TIMEOUT(m_server->taskIds(id).size(), 3, 5000);
    }

    void destroyAsksAndNamesTheApp()
    {
        auto *table = find<QTableView>("liveApps");
        const QString id = QStringLiteral("/shop/cart");
        QVERIFY(!done(m_user->createApp(appDef(id, 1)))->error().isError());
        QTRY_COMPARE_WITH_TIMEOUT(cell(table, id, LiveAppsModel::Status), QStringLiteral("Running"),
                                  5000);
        // The server has the last word on the deployment lock the next action would meet.
        QTRY_VERIFY_WITH_TIMEOUT(m_server->deploymentIds().isEmpty(), 5000);
        m_view->selectApp(id);
        const int asked = MessageBox::questionCount();
        MessageBox::setNextAnswer(MessageBox::Cancel);
        QTest::mouseClick(find<QPushButton>("liveDestroy"), Qt::LeftButton);
        QCOMPARE(MessageBox::questionCount(), asked + 1);
        QVERIFY2(MessageBox::lastQuestion().contains(id), qPrintable(MessageBox::lastQuestion()));
        QVERIFY(m_server->appJson(id).contains(QLatin1String("id"))); // still there

        MessageBox::setNextAnswer(MessageBox::Yes);
        QTest::mouseClick(find<QPushButton>("liveDestroy"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(m_server->appJson(id).isEmpty(), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(cell(table, id, LiveAppsModel::Id), QStringLiteral("<no row>"),
                                  5000);
    }

    void marathonAwayGreysAndSaysSo()
    {
        auto *table = find<QTableView>("liveApps");
        const QString id = QStringLiteral("/web");
        QVERIFY(!done(m_user->createApp(appDef(id, 1)))->error().isError());
        QTRY_COMPARE_WITH_TIMEOUT(cell(table, id, LiveAppsModel::Running), QStringLiteral("1"),
                                  3000);
        m_server.reset();
        QTRY_VERIFY_WITH_TIMEOUT(m_view->statusLine().startsWith(QStringLiteral("Reconnecting")),
                                 5000);
        QVERIFY(m_view->statusLine().contains(QStringLiteral("last update")));
        // The last known state stays, greyed.
        QCOMPARE(cell(table, id, LiveAppsModel::Running), QStringLiteral("1"));
        const QModelIndex index = table->model()->index(0, 0);
        QCOMPARE(index.data(Qt::ForegroundRole).value<QColor>(),
                 QApplication::palette().color(QPalette::Disabled, QPalette::Text));
    }

    // An app that fits on no agent gets its explanation without anyone asking, with the numbers
    // from Mesos; it goes away once the app no longer waits.
    void waitingAppIsExplainedByItself()
    {
        pier::sandbox::MesosServer mesos(m_server->cluster());
        QVERIFY(mesos.listen());
        m_view->setMesosUrl(mesos.url());
        auto *diagnosis = find<QLabel>("liveDiagnosis");
        const QString id = QStringLiteral("/huge");
        AppDefinition def = appDef(id, 1);
        QJsonObject o = def.json();
        o.insert(QStringLiteral("mem"), 20480);
        QVERIFY(!done(m_user->createApp(AppDefinition(o)))->error().isError());
        QTRY_VERIFY_WITH_TIMEOUT(m_model->hasApp(id), 3000);
        m_view->selectApp(id);
        QVERIFY(!diagnosis->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(diagnosis->isVisible() &&
                                     diagnosis->text().contains(QStringLiteral("20480 MiB")),
                                 15000);
        QVERIFY2(diagnosis->text().contains(QStringLiteral("15360 MiB free")),
                 qPrintable(diagnosis->text()));
        QVERIFY(!find<QPushButton>("liveResetDelay")->isVisible());

        // Scaled to what fits: no longer waiting, the explanation leaves.
        o.insert(QStringLiteral("mem"), 32);
        QVERIFY(!done(m_user->updateApp(AppDefinition(o), true))->error().isError());
        QTRY_VERIFY_WITH_TIMEOUT(!diagnosis->isVisible(), 10000);
    }

    // Tasks that keep failing: the button explains it with the failure and the backoff, and
    // "Reset the launch delay" makes Marathon launch again at once.
    void failingTasksOfferResetDelay()
    {
        const QString id = QStringLiteral("/crash");
        m_server->setFailing(id, QStringLiteral("Docker container exited with status 1"));
        QJsonObject o = appDef(id, 1).json();
        o.insert(QStringLiteral("backoffSeconds"), 60);
        QVERIFY(!done(m_user->createApp(AppDefinition(o)))->error().isError());
        QTRY_VERIFY_WITH_TIMEOUT(m_model->queueEntry(id).has_value() &&
                                     m_model->queueEntry(id)->delaySeconds > 0,
                                 10000);
        m_view->selectApp(id);
        auto *why = find<QPushButton>("liveWhy");
        QTRY_VERIFY(why->isEnabled());
        QTest::mouseClick(why, Qt::LeftButton);
        auto *diagnosis = find<QLabel>("liveDiagnosis");
        auto *reset = find<QPushButton>("liveResetDelay");
        QTRY_VERIFY_WITH_TIMEOUT(
            diagnosis->text().contains(QStringLiteral("Docker container exited with status 1")),
            10000);
        QTRY_VERIFY(reset->isVisible() && reset->isEnabled());
        const auto lastFailure = [this, &id] {
            std::unique_ptr<MarathonReply> a(
                done(m_user->getApp(id, {QStringLiteral("app.lastTaskFailure")})));
            return a->app().lastTaskFailure.value(QStringLiteral("timestamp")).toString();
        };
        const QString failedAt = lastFailure();
        QVERIFY(!failedAt.isEmpty());
        QTest::mouseClick(reset, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            m_view->actionResult().startsWith(QStringLiteral("Reset the launch delay of /crash")),
            5000);
        QVERIFY(!reset->isVisible());
        // With a 60 s backoff, a new launch (which fails again) within seconds is the reset's
        // doing.
        QTRY_VERIFY_WITH_TIMEOUT(lastFailure() != failedAt, 8000);
    }
};

QTEST_MAIN(TestLiveView)
#include "tst_liveview.moc"
