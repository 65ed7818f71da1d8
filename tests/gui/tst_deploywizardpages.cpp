// The deployment wizard without a cluster (no root needed): what a newcomer sees when Pier
// cannot start, when the definition has problems, and when Marathon does not answer — the
// failure says why, Next waits, Skip is offered only where it is safe and says why not
// elsewhere; the script export. Marathon is a closed port on 127.0.0.1; GCE never answers
// and is never reached (nothing runs past the first page).
#include "core/profilestore.h"
#include "deploy/deployplan.h"
#include "ui/appeditor.h"
#include "ui/commandlog.h"
#include "ui/deploywizard.h"
#include "ui/mainwindow.h"

#include <QAbstractButton>
#include <QFile>
#include <QLabel>
#include <QTemporaryDir>
#include <QtTest>

using namespace pier;
using pier::ui::DeployStepPage;
using pier::ui::DeployWizard;

namespace {

const QString kNginx = QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json");

void click(QAbstractButton *b)
{
    QVERIFY2(b && b->isVisible() && b->isEnabled(),
             qPrintable(b ? b->objectName() + QStringLiteral(" is not clickable")
                          : QStringLiteral("no such button")));
    QTest::mouseClick(b, Qt::LeftButton, {}, b->rect().center());
}

} // namespace

class TestDeployWizardPages : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
        qunsetenv("PIER_MARATHON_URL");
        qunsetenv("PIER_SANDBOX_ID");
        QCoreApplication::setOrganizationName(QStringLiteral("Pier"));
        QCoreApplication::setApplicationName(QStringLiteral("Pier"));
    }

    void withoutAClusterItSaysWhatIsMissing()
    {
        ui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.openFile(kNginx));
        QTest::keyClick(&window, Qt::Key_F8); // Deploy…
        QCOMPARE(window.page(), ui::MainWindow::Page::Deploy);
        DeployWizard *w = window.deployWizard();
        QVERIFY(!w->plan());
        QVERIFY2(w->setupError().contains(QLatin1String("Marathon")), qPrintable(w->setupError()));
        DeployStepPage *connect = w->stepPage(DeployWizard::ConnectPage);
        QVERIFY2(connect->verdict().contains(w->setupError()), qPrintable(connect->verdict()));
        QVERIFY(!w->button(QWizard::NextButton)->isEnabled());
        QVERIFY(!w->button(QWizard::CustomButton1)->isEnabled());
        QVERIFY(!connect->findChild<QAbstractButton *>(QStringLiteral("runButton"))->isEnabled());
    }

    void definitionWithProblemsIsListedAndNotDeployed()
    {
        makeProfile();
        ui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.openFile(kNginx));
        marathon::AppDefinition bad = window.editor()->definition();
        bad.setInstances(-1);
        window.editor()->setDefinition(bad);
        QTest::keyClick(&window, Qt::Key_F8);
        DeployWizard *w = window.deployWizard();
        QVERIFY(!w->plan());
        QVERIFY2(w->setupError().contains(QLatin1String("Apps page")), qPrintable(w->setupError()));
        const QString issues = w->findChild<QLabel *>(QStringLiteral("appIssues"))->text();
        QVERIFY2(issues.contains(QLatin1String("/instances")), qPrintable(issues));
    }

    void unreachableMarathonFailsWithReasonAndSkipIsOnlyWhereSafe()
    {
        makeProfile();
        ui::MainWindow window;
        window.resize(1200, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.openFile(kNginx));
        QTest::keyClick(&window, Qt::Key_F8);
        DeployWizard *w = window.deployWizard();
        QVERIFY2(w->plan(), qPrintable(w->setupError()));
        DeployStepPage *connect = w->stepPage(DeployWizard::ConnectPage);
        // The check runs by itself and fails: the page says so, Next waits.
        QTRY_VERIFY_WITH_TIMEOUT(!w->isBusy(), 60000);
        QVERIFY2(!connect->isDone(), qPrintable(connect->verdict()));
        QVERIFY2(connect->verdict().contains(QLatin1String("did not finish")) ||
                     connect->verdict().contains(QLatin1String("To do")),
                 qPrintable(connect->verdict()));
        QVERIFY(!w->button(QWizard::NextButton)->isEnabled());
        auto *run = connect->findChild<QAbstractButton *>(QStringLiteral("runButton"));
        click(run);
        QTRY_VERIFY_WITH_TIMEOUT(!w->isBusy(), 60000);
        QCOMPARE(w->runner()->state(QStringLiteral("vpn.connect")), PlanRunner::StepState::Failed);
        QVERIFY2(run->text().contains(QLatin1String("Retry")), qPrintable(run->text()));
        QVERIFY2(connect->log()->text().contains(QLatin1String("failed")),
                 qPrintable(connect->log()->text()));
        // A failure blocks only what depends on it: Next goes on, and says so.
        QVERIFY2(connect->verdict().contains(QLatin1String("go on with Next")),
                 qPrintable(connect->verdict()));
        QVERIFY(w->button(QWizard::NextButton)->isEnabled());

        // Reaching the cluster another way is the user's call: Skip is offered here.
        QVERIFY(connect->findChild<QAbstractButton *>(QStringLiteral("skipButton"))->isEnabled());
        click(w->button(QWizard::NextButton));
        QCOMPARE(w->currentId(), int(DeployWizard::AppPage));
        click(w->button(QWizard::NextButton));
        QCOMPARE(w->currentId(), int(DeployWizard::LaunchPage));
        // The launch needs the connection: the page says so instead of failing again.
        DeployStepPage *launch = w->stepPage(DeployWizard::LaunchPage);
        QTRY_VERIFY_WITH_TIMEOUT(!w->isBusy(), 60000);
        QVERIFY2(launch->verdict().contains(QLatin1String("needs first: Connect to the private")),
                 qPrintable(launch->verdict()));
        // And what follows needs the launch: no Skip, and the page says why.
        QVERIFY(!launch->findChild<QAbstractButton *>(QStringLiteral("skipButton"))->isEnabled());
        const QString why = launch->findChild<QLabel *>(QStringLiteral("buttonsWhy"))->text();
        QVERIFY2(why.contains(QLatin1String("must run on Marathon")), qPrintable(why));

        // Back on the first page, Skip treats the connection as done; the launch can then run.
        click(w->button(QWizard::BackButton));
        click(w->button(QWizard::BackButton));
        QCOMPARE(w->currentId(), int(DeployWizard::ConnectPage));
        click(connect->findChild<QAbstractButton *>(QStringLiteral("skipButton")));
        QVERIFY(connect->isDone());

        // The journey as a script, without running it.
        const QString script = m_config.filePath(QStringLiteral("deploy.sh"));
        w->setScriptTarget(script);
        click(w->button(QWizard::CustomButton3));
        QFile f(script);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY(text.startsWith("#!/bin/sh"));
        QVERIFY(text.contains("curl -XPOST"));
        QVERIFY(text.contains("gcloud compute addresses create pier-address"));
    }

private:
    void makeProfile()
    {
        Profile p;
        p.name = QStringLiteral("offline");
        p.marathonUrl = QStringLiteral("http://127.0.0.1:1"); // nothing listens
        p.mesosUrl = QStringLiteral("http://127.0.0.1:1");
        p.gceProject = QStringLiteral("demo");
        p.gceRegion = QStringLiteral("us-central1");
        p.gceZone = QStringLiteral("us-central1-a");
        p.gceEndpoint = QStringLiteral("http://127.0.0.1:1/compute/v1/");
        ProfileStore store;
        ApiError e;
        QVERIFY2(store.upsert(p, &e), qPrintable(e.message));
        QVERIFY2(store.setActive(p.name, &e), qPrintable(e.message));
        qputenv("PIER_GCE_TOKEN", "offline-test");
    }

    QTemporaryDir m_config;
};

QTEST_MAIN(TestDeployWizardPages)
#include "tst_deploywizardpages.moc"
