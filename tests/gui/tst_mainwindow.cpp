// The main window as a user meets it: pages, title, unsaved-changes prompt, launch feedback.
#include "ui/appeditor.h"
#include "ui/jsondiffdialog.h"
#include "ui/mainwindow.h"
#include "ui/messagebox.h"

#include <QAction>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

using namespace pier::ui;
using pier::marathon::AppDefinition;

namespace {
struct LaunchRequest {
    AppDefinition definition;
    bool force = false;
};
} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void sidebarSwitchesPages();
    void titleShowsFileAndModifiedMarker();
    void actionsHaveShortcuts();
    void closeAsksAboutUnsavedChanges_data();
    void closeAsksAboutUnsavedChanges();
    void closeWithoutChangesDoesNotAsk();
    void geometryIsRemembered();
    void statusBarShowsMarathon();
    void launchShowsProgressAndResult();
    void launchRefusesSyntaxErrors();
    void launchWithProblemsAsksFirst();
    void lockedLaunchAsksToForce();
    void rejectedLaunchMarksFieldsAndKeepsText();
    void updateShowsDiffAndAsks();
    void answersQueueUp();
    void updateDiffShowsOnlyRealChanges();
    void diffDialogMarksChanges();

private:
    template<typename T> T *child(const char *name)
    {
        T *w = m_window->findChild<T *>(QString::fromLatin1(name));
        if (!w)
            qFatal("no child %s", name);
        return w;
    }
    void typeId(const QString &id);

    MainWindow *m_window = nullptr;
    QList<LaunchRequest> m_requests;
};

void TestMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings(QStringLiteral("Pier"), QStringLiteral("Pier")).clear();
}

void TestMainWindow::init()
{
    MessageBox::clearAnswers();
    m_window = new MainWindow;
    m_requests.clear();
    connect(m_window, &MainWindow::launchRequested, this,
            [this](const AppDefinition &def, bool force) {
                m_requests.append({def, force});
            });
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
}

void TestMainWindow::cleanup()
{
    if (m_window) {
        m_window->editor()->setModified(false); // no prompt when the test is over
        m_window->close();
        delete m_window;
        m_window = nullptr;
    }
}

void TestMainWindow::typeId(const QString &id)
{
    auto *edit = child<QLineEdit>("idEdit");
    edit->setFocus();
    edit->selectAll();
    QTest::keyClicks(edit, id);
}

void TestMainWindow::sidebarSwitchesPages()
{
    auto *sidebar = child<QListWidget>("sidebar");
    auto *pages = child<QStackedWidget>("pages");
    QStringList names;
    for (int i = 0; i < sidebar->count(); ++i)
        names << sidebar->item(i)->text();
    QCOMPARE(names, QStringList({QStringLiteral("Apps"), QStringLiteral("Deploy"),
                                 QStringLiteral("Live"), QStringLiteral("Nodes"),
                                 QStringLiteral("Network"), QStringLiteral("Log")}));
    QCOMPARE(m_window->page(), MainWindow::Page::Apps);
    QVERIFY(child<AppEditor>("appEditor")->isVisible());

    for (int i = 1; i < sidebar->count(); ++i) {
        const QRect rect = sidebar->visualItemRect(sidebar->item(i));
        QTest::mouseClick(sidebar->viewport(), Qt::LeftButton, {}, rect.center());
        QCOMPARE(pages->currentIndex(), i);
        // A friendly word on what the page will hold, not a developer's note.
        const auto labels = pages->currentWidget()->findChildren<QLabel *>();
        QString text;
        for (const QLabel *l : labels)
            text += l->text() + QLatin1Char(' ');
        QVERIFY2(text.contains(names[i]), qPrintable(text));
        QVERIFY(text.size() > 80);
        QVERIFY(!text.contains(QStringLiteral("TODO"), Qt::CaseInsensitive));
        QVERIFY(!child<AppEditor>("appEditor")->isVisible());
    }
    // Ctrl+1 goes back to the editor.
    QTest::keySequence(m_window, QKeySequence(Qt::CTRL | Qt::Key_1));
    QCOMPARE(m_window->page(), MainWindow::Page::Apps);
}

void TestMainWindow::titleShowsFileAndModifiedMarker()
{
    QVERIFY(m_window->windowTitle().startsWith(QStringLiteral("Untitled[*]")));
    QVERIFY(!m_window->isWindowModified());
    typeId(QStringLiteral("blog"));
    QVERIFY(m_window->isWindowModified());

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("blog.json"));
    QVERIFY(m_window->saveFile(path));
    QVERIFY(m_window->windowTitle().startsWith(QStringLiteral("blog.json[*]")));
    QVERIFY(!m_window->isWindowModified());
    QVERIFY(QFile::exists(path));

    // Open it in a fresh window: same definition, same title.
    MainWindow other;
    QVERIFY(other.openFile(path));
    QVERIFY(other.windowTitle().startsWith(QStringLiteral("blog.json[*]")));
    QCOMPARE(other.editor()->definition().id(), QStringLiteral("blog"));
}

void TestMainWindow::actionsHaveShortcuts()
{
    const QList<QPair<const char *, QKeySequence>> expected{
        {"newAction", QKeySequence::New},
        {"openAction", QKeySequence::Open},
        {"saveAction", QKeySequence::Save},
        {"saveAsAction", QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S)},
        {"validateAction", QKeySequence(Qt::Key_F7)},
        {"launchAction", QKeySequence(Qt::CTRL | Qt::Key_R)},
        {"quitAction", QKeySequence(Qt::CTRL | Qt::Key_Q)}};
    for (const auto &[name, keys] : expected) {
        auto *action = child<QAction>(name);
        QVERIFY2(!action->shortcut().isEmpty(), name);
        QCOMPARE(action->shortcut(), keys);
    }
    QCOMPARE(child<QAction>("launchAction")->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_R));
    QCOMPARE(child<QAction>("validateAction")->shortcut(), QKeySequence(Qt::Key_F7));

    // F7 validates: the status bar says what was found.
    QTest::keyClick(m_window, Qt::Key_F7);
    QVERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("No problems")));
}

void TestMainWindow::closeAsksAboutUnsavedChanges_data()
{
    QTest::addColumn<int>("answer");
    QTest::addColumn<bool>("closed");
    QTest::newRow("cancel keeps the window") << int(MessageBox::Cancel) << false;
    QTest::newRow("discard closes") << int(MessageBox::Discard) << true;
}

void TestMainWindow::closeAsksAboutUnsavedChanges()
{
    QFETCH(int, answer);
    QFETCH(bool, closed);
    typeId(QStringLiteral("unsaved"));
    const int asked = MessageBox::questionCount();
    MessageBox::setNextAnswer(MessageBox::Button(answer));
    QCOMPARE(m_window->close(), closed);
    QCOMPARE(MessageBox::questionCount(), asked + 1);
    QVERIFY(MessageBox::lastQuestion().contains(QStringLiteral("not saved")));
    QCOMPARE(m_window->isVisible(), !closed);
    if (!closed) {
        // Nothing was lost.
        QCOMPARE(m_window->editor()->definition().id(), QStringLiteral("unsaved"));
        QVERIFY(m_window->isWindowModified());
    }
}

void TestMainWindow::closeWithoutChangesDoesNotAsk()
{
    const int asked = MessageBox::questionCount();
    QVERIFY(m_window->close());
    QCOMPARE(MessageBox::questionCount(), asked);
}

void TestMainWindow::geometryIsRemembered()
{
    m_window->resize(1000, 700);
    QVERIFY(m_window->close());
    QSettings settings(QStringLiteral("Pier"), QStringLiteral("Pier"));
    QVERIFY(!settings.value(QStringLiteral("mainWindow/geometry")).toByteArray().isEmpty());
    MainWindow again;
    QCOMPARE(again.size(), QSize(1000, 700));
}

void TestMainWindow::statusBarShowsMarathon()
{
    auto *label = child<QLabel>("connectionLabel");
    QVERIFY(label->isVisible());
    m_window->setConnectionState(QStringLiteral("http://10.0.0.2:8080"),
                                 QStringLiteral("connected, Marathon 1.10"), MainWindow::Tone::Ok);
    QVERIFY(label->text().contains(QStringLiteral("http://10.0.0.2:8080")));
    QVERIFY(label->text().contains(QStringLiteral("connected, Marathon 1.10")));
}

void TestMainWindow::launchShowsProgressAndResult()
{
    m_window->setConnectionState(QStringLiteral("http://10.0.0.2:8080"),
                                 QStringLiteral("connected"));
    auto *status = child<QLabel>("launchStatus");
    auto *progress = child<QProgressBar>("launchProgress");
    auto *launchAction = child<QAction>("launchAction");

    QTest::mouseClick(child<QPushButton>("launchButton"), Qt::LeftButton);
    QCOMPARE(m_requests.size(), 1);
    QCOMPARE(m_requests[0].definition.id(), QStringLiteral("nginx"));
    QVERIFY(!m_requests[0].force);
    QVERIFY(m_window->isLaunching());
    QVERIFY(status->text().contains(QStringLiteral("Launching /nginx on http://10.0.0.2:8080")));
    QVERIFY(progress->isVisible());
    QVERIFY(!launchAction->isEnabled());
    QVERIFY(child<QPushButton>("cancelLaunchButton")->isVisible());

    // A second launch while one runs does nothing.
    launchAction->trigger();
    QCOMPARE(m_requests.size(), 1);

    m_window->setLaunchProgress(QStringLiteral("Deployment 3f2a in progress: 0/1 tasks running"), 0,
                                1);
    QCOMPARE(status->text(), QStringLiteral("Deployment 3f2a in progress: 0/1 tasks running"));
    QCOMPARE(progress->maximum(), 1);
    QCOMPARE(progress->value(), 0);

    m_window->setLaunchFinished(true, QStringLiteral("Running: 1/1 tasks healthy"));
    QCOMPARE(status->text(), QStringLiteral("Running: 1/1 tasks healthy"));
    QVERIFY(!progress->isVisible());
    QVERIFY(launchAction->isEnabled());
    QVERIFY(!m_window->isLaunching());
    QCOMPARE(child<QLabel>("launchIcon")->accessibleName(), QStringLiteral("Succeeded"));

    // Ctrl+R launches again.
    QTest::keySequence(m_window, QKeySequence(Qt::CTRL | Qt::Key_R));
    QCOMPARE(m_requests.size(), 2);
}

void TestMainWindow::launchRefusesSyntaxErrors()
{
    auto *json = child<QPlainTextEdit>("jsonEdit");
    json->setFocus();
    json->moveCursor(QTextCursor::End);
    QTest::keyClicks(json, QStringLiteral("}"));
    child<QAction>("launchAction")->trigger();
    QVERIFY(m_requests.isEmpty());
    QVERIFY(child<QLabel>("launchStatus")->text().contains(QStringLiteral("syntax error at line")));
    QCOMPARE(child<QLabel>("launchIcon")->accessibleName(), QStringLiteral("Problem"));
}

void TestMainWindow::launchWithProblemsAsksFirst()
{
    typeId(QStringLiteral("Bad_ID"));
    MessageBox::setNextAnswer(MessageBox::No);
    child<QAction>("launchAction")->trigger();
    QVERIFY(m_requests.isEmpty());
    QVERIFY(MessageBox::lastQuestion().contains(QStringLiteral("problem")));
    QVERIFY(child<QLabel>("launchStatus")->text().contains(QStringLiteral("Not launched")));

    MessageBox::setNextAnswer(MessageBox::Yes);
    child<QAction>("launchAction")->trigger();
    QCOMPARE(m_requests.size(), 1);
    QCOMPARE(m_requests[0].definition.id(), QStringLiteral("Bad_ID"));
}

void TestMainWindow::lockedLaunchAsksToForce()
{
    child<QAction>("launchAction")->trigger();
    QCOMPARE(m_requests.size(), 1);

    MessageBox::setNextAnswer(MessageBox::No);
    m_window->launchLocked({QStringLiteral("3f2a-77")});
    QCOMPARE(m_requests.size(), 1);
    QVERIFY(MessageBox::lastQuestion().contains(QStringLiteral("3f2a-77")));
    QVERIFY(child<QLabel>("launchStatus")->text().contains(QStringLiteral("3f2a-77")));
    QVERIFY(!m_window->isLaunching());

    child<QAction>("launchAction")->trigger();
    MessageBox::setNextAnswer(MessageBox::Yes);
    m_window->launchLocked({QStringLiteral("3f2a-77")});
    QCOMPARE(m_requests.size(), 3);
    QVERIFY(m_requests.last().force);
    QVERIFY(m_window->isLaunching());
}

void TestMainWindow::rejectedLaunchMarksFieldsAndKeepsText()
{
    typeId(QStringLiteral("shop"));
    const QString text = child<QPlainTextEdit>("jsonEdit")->toPlainText();
    child<QAction>("launchAction")->trigger();
    QCOMPARE(m_requests.size(), 1);

    m_window->showServerErrors(
        {{QStringLiteral("/cpus"), {QStringLiteral("got 0.2, expected 1")}}});
    auto *cpus = child<QDoubleSpinBox>("cpusSpin");
    QVERIFY(cpus->property("pierIssue").toString().contains(QStringLiteral("got 0.2, expected 1")));
    QVERIFY(child<QLabel>("launchStatus")->text().contains(QStringLiteral("rejected")));
    QVERIFY(!m_window->isLaunching());
    QCOMPARE(child<QPlainTextEdit>("jsonEdit")->toPlainText(), text);
    QCOMPARE(m_window->editor()->definition().id(), QStringLiteral("shop"));

    m_window->setLaunchFinished(false, QStringLiteral("Marathon did not answer: check the VPN."));
    QCOMPARE(child<QPlainTextEdit>("jsonEdit")->toPlainText(), text);
}

void TestMainWindow::updateShowsDiffAndAsks()
{
    QJsonObject running = m_window->editor()->definition().json();
    running.insert(QStringLiteral("cpus"), 0.1);
    running.insert(QStringLiteral("version"), QStringLiteral("2015-02-17T19:32:03.648Z"));
    running.insert(QStringLiteral("tasksRunning"), 1);
    const int asked = MessageBox::questionCount();
    MessageBox::setNextAnswer(MessageBox::Yes);
    QVERIFY(m_window->confirmUpdate(running));
    QCOMPARE(MessageBox::questionCount(), asked + 1);
    QVERIFY(MessageBox::lastQuestion().contains(QStringLiteral("Update /nginx")));
    MessageBox::setNextAnswer(MessageBox::No);
    QVERIFY(!m_window->confirmUpdate(running));
}

void TestMainWindow::answersQueueUp()
{
    // "Update?" then "Force?": both answered ahead of time, in order.
    MessageBox::setNextAnswer(MessageBox::Yes);
    MessageBox::setNextAnswer(MessageBox::No);
    QJsonObject running = m_window->editor()->definition().json();
    running.insert(QStringLiteral("cpus"), 0.1);
    QVERIFY(m_window->confirmUpdate(running));
    QVERIFY(!m_window->askForce({QStringLiteral("d1")}));
    QCOMPARE(MessageBox::takeNextAnswer(), MessageBox::NoButton);
}

void TestMainWindow::updateDiffShowsOnlyRealChanges()
{
    // Marathon answers in the 1.5+ form with its own bookkeeping; the editor holds the
    // tutorial's legacy form. Only the changed value may show.
    const AppDefinition local = m_window->editor()->definition();
    QJsonObject running = local.canonicalForm();
    running.insert(QStringLiteral("cpus"), 0.1);
    running.insert(QStringLiteral("version"), QStringLiteral("2015-02-17T19:32:03.648Z"));
    running.insert(QStringLiteral("tasksRunning"), 1);
    running.insert(QStringLiteral("id"), QStringLiteral("/nginx"));
    const QString diff = m_window->updateDiff(running);
    QVERIFY2(diff.contains(QStringLiteral("\n-  \"cpus\": 0.1,\n+  \"cpus\": 0.2,\n")),
             qPrintable(diff));
    int changed = 0;
    for (const QString &line : diff.split(QLatin1Char('\n'))) {
        if ((line.startsWith(QLatin1Char('+')) || line.startsWith(QLatin1Char('-'))) &&
            !line.startsWith(QLatin1String("+++")) && !line.startsWith(QLatin1String("---")))
            ++changed;
    }
    QCOMPARE(changed, 2);
    QVERIFY(m_window->updateDiff(local.json()).isEmpty());
}

void TestMainWindow::diffDialogMarksChanges()
{
    JsonDiffDialog dialog;
    dialog.setTexts(QStringLiteral("{\n  \"cpus\": 0.1,\n  \"mem\": 256\n}\n"),
                    QStringLiteral("{\n  \"cpus\": 0.2,\n  \"mem\": 256\n}\n"),
                    QStringLiteral("on Marathon"), QStringLiteral("this definition"));
    const QString shown =
        dialog.findChild<QPlainTextEdit *>(QStringLiteral("diffView"))->toPlainText();
    // Markers in the text itself, so the change reads without the colours.
    QVERIFY(shown.contains(QStringLiteral("\n-  \"cpus\": 0.1,\n+  \"cpus\": 0.2,\n")));
    QVERIFY(shown.startsWith(QStringLiteral("--- on Marathon\n+++ this definition\n")));
    QCOMPARE(dialog.findChild<QLabel *>(QStringLiteral("diffSummary"))->text(),
             QStringLiteral("Lines added (+): 1. Lines removed (-): 1."));

    dialog.setTexts(QStringLiteral("{}\n"), QStringLiteral("{}\n"), QStringLiteral("a"),
                    QStringLiteral("b"));
    QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("diffSummary"))
                ->text()
                .startsWith(QStringLiteral("No differences")));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
