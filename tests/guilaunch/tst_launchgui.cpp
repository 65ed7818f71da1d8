// Launch from the window, as a user does it: the tutorial's nginx.json, the Launch button, and the
// status under the editor, against the sandbox's Marathon over real HTTP.
#include "marathon/marathonclient.h"
#include "sandbox/marathonserver.h"
#include "ui/appeditor.h"
#include "ui/launchcontroller.h"
#include "ui/mainwindow.h"
#include "ui/messagebox.h"

#include <QDoubleSpinBox>
#include <QLabel>
#include <QPushButton>
#include <QStandardPaths>
#include <QTest>

using namespace pier;
using pier::sandbox::MarathonServer;
using pier::ui::MainWindow;
using pier::ui::MessageBox;

namespace {

MarathonServer::Options fast()
{
    MarathonServer::Options o;
    o.stagingMs = 50;
    o.deploymentStepMs = 50;
    o.healthyAfterMs = 50;
    return o;
}

struct Fixture {
    MarathonServer server{fast()};
    std::unique_ptr<marathon::MarathonClient> client;
    MainWindow window;
    std::unique_ptr<ui::LaunchController> controller;

    bool start()
    {
        if (!server.listen())
            return false;
        marathon::MarathonConfig c;
        c.urls = {server.url()};
        c.timeoutMs = 5000;
        client = std::make_unique<marathon::MarathonClient>(c);
        controller = std::make_unique<ui::LaunchController>(&window, client.get());
        controller->setPollIntervalMs(50);
        window.editor()->newFromTemplate();
        window.show();
        return QTest::qWaitForWindowExposed(&window);
    }
    QString status() const
    {
        return window.findChild<QLabel *>(QStringLiteral("launchStatus"))->text();
    }
    void clickLaunch()
    {
        QTest::mouseClick(window.findChild<QPushButton *>(QStringLiteral("launchButton")),
                          Qt::LeftButton);
    }
};

} // namespace

class TestLaunchGui : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init() { MessageBox::clearAnswers(); }

    void statusBarSaysMarathonAnswers()
    {
        Fixture f;
        QVERIFY(f.start());
        auto *label = f.window.findChild<QLabel *>(QStringLiteral("connectionLabel"));
        QTRY_VERIFY_WITH_TIMEOUT(label->text().contains(QStringLiteral("1.10.26")), 10000);
    }

    void launchEndsInRunning()
    {
        Fixture f;
        QVERIFY(f.start());
        f.clickLaunch();
        QTRY_VERIFY_WITH_TIMEOUT(!f.window.isLaunching(), 20000);
        QVERIFY2(f.status().contains(QStringLiteral("Running")), qPrintable(f.status()));
        QVERIFY2(f.status().contains(QStringLiteral("1 of 1 tasks running")),
                 qPrintable(f.status()));
        QCOMPARE(f.server.appJson(QStringLiteral("/nginx"))
                     .value(QStringLiteral("tasksRunning"))
                     .toInt(),
                 1);
    }

    void updateShowsTheDiffAndCanBeDeclined()
    {
        Fixture f;
        QVERIFY(f.start());
        f.clickLaunch();
        QTRY_VERIFY_WITH_TIMEOUT(!f.window.isLaunching(), 20000);

        auto *mem = f.window.findChild<QDoubleSpinBox *>(QStringLiteral("memSpin"));
        QVERIFY(mem);
        mem->setValue(512);
        const int asked = MessageBox::questionCount();
        MessageBox::setNextAnswer(MessageBox::No); // "Update /nginx?" -> no
        f.clickLaunch();
        QTRY_VERIFY_WITH_TIMEOUT(!f.window.isLaunching(), 20000);
        QCOMPARE(MessageBox::questionCount(), asked + 1);
        QVERIFY2(f.status().contains(QStringLiteral("Not updated")), qPrintable(f.status()));
        QCOMPARE(f.server.appJson(QStringLiteral("/nginx")).value(QStringLiteral("mem")).toDouble(),
                 256.0);
        QCOMPARE(f.window.editor()->definition().mem(), 512.0); // the user's edit is kept

        MessageBox::setNextAnswer(MessageBox::Yes);
        f.clickLaunch();
        QTRY_VERIFY_WITH_TIMEOUT(!f.window.isLaunching(), 20000);
        QVERIFY2(f.status().contains(QStringLiteral("Running")), qPrintable(f.status()));
        QCOMPARE(f.server.appJson(QStringLiteral("/nginx")).value(QStringLiteral("mem")).toDouble(),
                 512.0);
    }

    void lockedDeploymentAsksToForce()
    {
        Fixture f;
        QVERIFY(f.start());
        f.server.options().deploymentStepMs = 60000; // the first deployment never ends by itself
        f.clickLaunch();
        // The first launch waits for its deployment; cancel it, leaving Marathon busy.
        QTRY_VERIFY_WITH_TIMEOUT(!f.server.appJson(QStringLiteral("/nginx")).isEmpty(), 10000);
        QTest::mouseClick(f.window.findChild<QPushButton *>(QStringLiteral("cancelLaunchButton")),
                          Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!f.window.isLaunching(), 10000);

        f.server.options().deploymentStepMs = 50;
        f.window.findChild<QDoubleSpinBox *>(QStringLiteral("memSpin"))->setValue(300);
        MessageBox::setNextAnswer(MessageBox::Yes); // update? yes
        MessageBox::setNextAnswer(MessageBox::Yes); // locked by a deployment: force? yes
        f.clickLaunch();
        QTRY_VERIFY_WITH_TIMEOUT(MessageBox::lastQuestion().contains(QStringLiteral("deployment")),
                                 10000);
        QTRY_VERIFY_WITH_TIMEOUT(
            f.server.appJson(QStringLiteral("/nginx")).value(QStringLiteral("mem")).toDouble() ==
                300.0,
            20000);
        QTRY_VERIFY_WITH_TIMEOUT(!f.window.isLaunching(), 20000);
        QVERIFY2(f.status().contains(QStringLiteral("Running")), qPrintable(f.status()));
    }

    void unreachableMarathonKeepsTheText()
    {
        Fixture f;
        QVERIFY(f.start());
        const QString text = f.window.editor()->jsonText();
        f.server.injectFault(QStringLiteral("/v2"), -1, {}, 1000); // every call dropped
        f.clickLaunch();
        QTRY_VERIFY_WITH_TIMEOUT(!f.window.isLaunching(), 30000);
        QVERIFY2(!f.status().contains(QStringLiteral("Running")), qPrintable(f.status()));
        QCOMPARE(f.window.editor()->jsonText(), text);
    }
};

QTEST_MAIN(TestLaunchGui)
#include "tst_launchgui.moc"
