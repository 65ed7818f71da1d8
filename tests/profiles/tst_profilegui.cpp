// The window and profiles: the welcome page without any profile, the sandbox started from it,
// the profile editor (save, Test Connection), and switching profiles re-pointing the window.
#include "core/profilestore.h"
#include "sandbox/marathonserver.h"
#include "ui/appeditor.h"
#include "ui/launchcontroller.h"
#include "ui/mainwindow.h"
#include "ui/profileeditor.h"
#include "ui/profileswitcher.h"
#include "ui/welcome.h"

#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QtTest>

using namespace pier;
using pier::sandbox::MarathonServer;

class TestProfileGui : public QObject {
    Q_OBJECT
    QTemporaryDir m_config;

    // PIER_SCREENSHOT_DIR set: saves what the user sees (resources/screenshots come from here).
    static void screenshot(QWidget *w, const QString &name)
    {
        const QString dir = qEnvironmentVariable("PIER_SCREENSHOT_DIR");
        if (dir.isEmpty())
            return;
        QTest::qWait(300); // let the window settle (fonts, layout) before the picture only
        QVERIFY(w->grab().save(dir + QLatin1Char('/') + name));
    }

    static QString statusText(ui::MainWindow &w)
    {
        auto *label = w.findChild<QLabel *>(QStringLiteral("connectionLabel"));
        return label ? label->text() : QString();
    }

    void addProfile(const QString &name, const QUrl &url)
    {
        Profile p;
        p.name = name;
        p.marathonUrl = url.toString();
        ApiError e;
        QVERIFY2(ProfileStore().upsert(p, &e), qPrintable(e.toText()));
    }

private slots:
    void initTestCase()
    {
        // Never the user's config; and no Marathon from the environment.
        qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8());
        qunsetenv("PIER_MARATHON_URL");
        QCoreApplication::setOrganizationName(QStringLiteral("Pier"));
        QCoreApplication::setApplicationName(QStringLiteral("Pier"));
    }

    void init() { QFile::remove(ProfileStore().filePath()); }

    void welcomeWithoutProfileThenSandbox()
    {
        ui::MainWindow window;
        ui::ProfileSwitcher profiles(&window);
        profiles.setPierProgram(QStringLiteral(PIER_BINARY));
        window.show();
        auto *welcome = qobject_cast<ui::Welcome *>(window.centralWidget());
        QVERIFY2(welcome, "no welcome page without a profile");
        QCOMPARE(profiles.welcome(), welcome);
        QVERIFY(welcome->findChild<QPushButton *>(QStringLiteral("createProfile")));
        QVERIFY(!profiles.client());
        window.resize(960, 640);
        screenshot(&window, QStringLiteral("welcome.png"));

        auto *start = welcome->findChild<QPushButton *>(QStringLiteral("startSandbox"));
        QVERIFY(start);
        QTest::mouseClick(start, Qt::LeftButton);
        // The sandbox prints its address; the "sandbox" profile is made, active, and used.
        QTRY_VERIFY_WITH_TIMEOUT(profiles.currentProfile() == QLatin1String("sandbox"), 30000);
        QVERIFY(!profiles.welcome());
        QVERIFY(window.editor()->isVisible());
        QCOMPARE(ProfileStore().activeName(), QStringLiteral("sandbox"));
        Profile sandbox;
        QVERIFY(ProfileStore().find(QStringLiteral("sandbox"), &sandbox));
        QVERIFY2(sandbox.marathonUrl.startsWith(QLatin1String("http://127.0.0.1:")),
                 qPrintable(sandbox.marathonUrl));
        QTRY_VERIFY_WITH_TIMEOUT(statusText(window).contains(sandbox.marathonUrl) &&
                                     statusText(window).contains(QLatin1String("connected")),
                                 20000);
    }

    void switchingProfilesRepointsTheWindow()
    {
        MarathonServer a, b;
        QVERIFY(a.listen() && b.listen());
        addProfile(QStringLiteral("alpha"), a.url());
        addProfile(QStringLiteral("beta"), b.url());
        ApiError e;
        QVERIFY(ProfileStore().setActive(QStringLiteral("alpha"), &e));

        ui::MainWindow window;
        ui::ProfileSwitcher profiles(&window);
        window.show();
        QVERIFY(!profiles.welcome());
        QCOMPARE(profiles.currentProfile(), QStringLiteral("alpha"));
        QTRY_VERIFY_WITH_TIMEOUT(statusText(window).contains(a.url().toString()) &&
                                     statusText(window).contains(QLatin1String("connected")),
                                 15000);

        QSignalSpy changed(&profiles, &ui::ProfileSwitcher::clientChanged);
        QComboBox *combo = profiles.combo();
        const int beta = combo->findData(QStringLiteral("beta"));
        QVERIFY(beta >= 0);
        combo->setCurrentIndex(beta);
        emit combo->activated(beta); // as when the user picks it
        QCOMPARE(changed.count(), 1);
        QCOMPARE(profiles.currentProfile(), QStringLiteral("beta"));
        QCOMPARE(profiles.client()->currentUrl(), b.url());
        QTRY_VERIFY_WITH_TIMEOUT(statusText(window).contains(b.url().toString()) &&
                                     statusText(window).contains(QLatin1String("connected")),
                                 15000);
        QCOMPARE(ProfileStore().activeName(), QStringLiteral("beta"));

        QVERIFY(profiles.switchTo(QStringLiteral("alpha")));
        QTRY_VERIFY(statusText(window).contains(a.url().toString()));
    }

    void commandLineWinsUntilAProfileIsPicked()
    {
        MarathonServer a, c;
        QVERIFY(a.listen() && c.listen());
        addProfile(QStringLiteral("alpha"), a.url());
        ApiError e;
        QVERIFY(ProfileStore().setActive(QStringLiteral("alpha"), &e));
        ui::MainWindow window;
        ui::ProfileSwitcher profiles(&window, c.url().toString());
        QCOMPARE(profiles.client()->currentUrl(), c.url());
        QCOMPARE(profiles.currentProfile(), QString());
        QCOMPARE(profiles.combo()->currentText(), QStringLiteral("Command line"));
        QVERIFY(profiles.switchTo(QStringLiteral("alpha")));
        QCOMPARE(profiles.client()->currentUrl(), a.url());
    }

    void editorSavesAndTestsTheConnection()
    {
        MarathonServer a;
        QVERIFY(a.listen());
        ui::ProfileEditor editor(Profile{}, {});
        editor.findChild<QLineEdit *>(QStringLiteral("name"))->setText(QStringLiteral("lab"));
        editor.findChild<QLineEdit *>(QStringLiteral("marathonUrl"))->setText(a.url().toString());
        editor.findChild<QLineEdit *>(QStringLiteral("sshUser"))
            ->setText(QStringLiteral("jclouds"));
        editor.findChild<QLineEdit *>(QStringLiteral("mesosUrl"))
            ->setText(QStringLiteral("http://10.240.0.2:5050"));
        editor.findChild<QLineEdit *>(QStringLiteral("sshKeyFile"))
            ->setText(QStringLiteral("~/.ssh/id_ed25519"));
        editor.findChild<QLineEdit *>(QStringLiteral("vpnConfigFile"))
            ->setText(QStringLiteral("~/cluster.ovpn"));
        QSignalSpy tested(&editor, &ui::ProfileEditor::testFinished);
        QTest::mouseClick(editor.findChild<QPushButton *>(QStringLiteral("testConnection")),
                          Qt::LeftButton);
        QVERIFY(tested.wait(15000));
        QCOMPARE(tested.at(0).at(0).toBool(), true);
        QVERIFY2(editor.testResult().contains(QLatin1String("Connected")),
                 qPrintable(editor.testResult()));
        editor.findChild<QComboBox *>(QStringLiteral("auth"))->setCurrentIndex(1);
        editor.findChild<QLineEdit *>(QStringLiteral("authUser"))->setText(QStringLiteral("ops"));
        editor.show();
        editor.findChild<QLineEdit *>(QStringLiteral("name"))->setFocus();
        screenshot(&editor, QStringLiteral("profile-editor.png"));
        QVERIFY(editor.save());
        Profile saved;
        QVERIFY(ProfileStore().find(QStringLiteral("lab"), &saved));
        QCOMPARE(saved.marathonUrl, a.url().toString());
        QCOMPARE(saved.sshUser, QStringLiteral("jclouds"));

        // A bad address is refused with a reason, and nothing is saved.
        ui::ProfileEditor bad(Profile{}, {});
        bad.findChild<QLineEdit *>(QStringLiteral("name"))->setText(QStringLiteral("bad"));
        bad.findChild<QLineEdit *>(QStringLiteral("marathonUrl"))
            ->setText(QStringLiteral("ftp://x"));
        QVERIFY(!bad.save());
        QVERIFY(!bad.findChild<QLabel *>(QStringLiteral("problem"))->text().isEmpty());
        QVERIFY(!ProfileStore().contains(QStringLiteral("bad")));
    }
};

QTEST_MAIN(TestProfileGui)
#include "tst_profilegui.moc"
