// The deployment wizard clicked through on a real `pier sandbox up`, as a newcomer would: the
// main window, the tutorial's nginx.json, Deploy…, then every page with mouse clicks on its real
// buttons, waiting for each page's verdict, a screenshot of each (PNG in the build dir). At the
// end the Verify page shows 200 and "Welcome to nginx!", which curl confirms through the
// sandbox's proxy; Tear Down then leaves no app on Marathon and nothing Pier made on the
// sandbox's GCE. Needs root (SKIPs without), curl.
#include "cluster/clustertestutil.h"
#include "common/pierprocess.h"
#include "core/plan.h"
#include "deploy/deployplan.h"
#include "ui/commandlog.h"
#include "ui/deploywizard.h"
#include "ui/mainwindow.h"
#include "ui/messagebox.h"

#include <QAbstractButton>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QTemporaryDir>
#include <QToolBar>
#include <QToolButton>
#include <QtTest>

using namespace pier;
using namespace pier::sandbox;
using namespace pier::sandbox::testutil;
using pier::ui::DeployStepPage;
using pier::ui::DeployWizard;

namespace {

const QString kNginx = QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json");

void click(QAbstractButton *b)
{
    QVERIFY2(b && b->isVisible() && b->isEnabled(),
             qPrintable(b ? QStringLiteral("%1 is not clickable").arg(b->objectName())
                          : QStringLiteral("no such button")));
    QTest::mouseClick(b, Qt::LeftButton, {}, b->rect().center());
}

} // namespace

class TestDeployWizard : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void clickThroughEveryPageThenTearDown();
    void cleanupTestCase();

private:
    QMap<QString, QString> env() const { return {{QStringLiteral("PIER_SANDBOX_ID"), m_id}}; }
    test::PierRun pier(const QStringList &args, int timeoutMs = 120000)
    {
        return test::runPier(args, m_config.path(), env(), timeoutMs);
    }
    QStringList gceResources()
    {
        const auto r =
            pier({QStringLiteral("gce"), QStringLiteral("status"), QStringLiteral("--json")});
        if (r.exitCode != 0)
            return {QStringLiteral("ERROR: ") + r.err};
        QStringList out;
        const QJsonArray steps = QJsonDocument::fromJson(r.out.toUtf8())
                                     .object()
                                     .value(QStringLiteral("steps"))
                                     .toArray();
        for (const QJsonValue &s : steps) {
            const QString id = s[QStringLiteral("id")].toString();
            if (id != QLatin1String("network") &&
                s[QStringLiteral("state")].toString() == QLatin1String("done"))
                out << id;
        }
        return out;
    }
    QStringList marathonApps()
    {
        const auto r = pier({QStringLiteral("apps"), QStringLiteral("--json")});
        QStringList ids;
        for (const QJsonValue &a : QJsonDocument::fromJson(r.out.toUtf8()).array())
            ids << a[QStringLiteral("id")].toString();
        return ids;
    }
    QString shoot(QWidget *w, int n, const QString &name)
    {
        QApplication::processEvents();
        const QString path = QDir(m_shots).filePath(
            QStringLiteral("wizard-%1-%2.png").arg(n, 2, 10, QLatin1Char('0')).arg(name));
        // 256 colours: a window's greys and two accents fit, at a fraction of the size.
        const QImage image = w->grab().toImage().convertToFormat(
            QImage::Format_Indexed8, Qt::ThresholdDither | Qt::AvoidDither);
        if (!image.save(path))
            return {};
        qInfo("screenshot: %s", qPrintable(path));
        return path;
    }

    QString m_id;
    QTemporaryDir m_config;
    QString m_proxy;
    QString m_shots;
};

void TestDeployWizard::initTestCase()
{
    const QString missing = Cluster::missingPrerequisites();
    if (!missing.isEmpty())
        QSKIP(qPrintable(missing));
    if (findProgram(QStringLiteral("curl")).isEmpty())
        QSKIP("curl is needed (package curl)");
    QVERIFY(m_config.isValid());
    m_id = uniqueId("wiz");
    // The window in this process reads the same profiles the sandbox writes.
    qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
    qputenv("PIER_SANDBOX_ID", m_id.toLocal8Bit());
    QCoreApplication::setOrganizationName(QStringLiteral("Pier"));
    QCoreApplication::setApplicationName(QStringLiteral("Pier"));
    const auto r = test::runPier(
        {QStringLiteral("sandbox"), QStringLiteral("up"), QStringLiteral("--json")},
        m_config.path(),
        {{QStringLiteral("PIER_SANDBOX_ID"), m_id},
         {QStringLiteral("PIER_SANDBOX_HAPROXY_INTERVAL_MS"), QStringLiteral("1000")}},
        240000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject up = QJsonDocument::fromJson(r.out.toUtf8()).object();
    m_proxy = up.value(QStringLiteral("proxy")).toString().mid(9); // socks5://
    QVERIFY2(m_proxy.startsWith(QLatin1String("127.0.0.1:")), qPrintable(m_proxy));
    m_shots = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("wizard-shots"));
    QDir().mkpath(m_shots);
}

// The window with the tutorial's file open, Deploy… clicked on its toolbar: the editor's
// definition goes to the wizard on the Deploy page.
std::unique_ptr<ui::MainWindow> openAndDeploy()
{
    auto window = std::make_unique<ui::MainWindow>();
    window->resize(1280, 860);
    window->show();
    if (!QTest::qWaitForWindowExposed(window.get()) || !window->openFile(kNginx))
        return nullptr;
    for (auto *tb : window->findChildren<QToolButton *>()) {
        if (tb->defaultAction() &&
            tb->defaultAction()->objectName() == QLatin1String("deployAction")) {
            click(tb);
            return window;
        }
    }
    return nullptr;
}

void TestDeployWizard::clickThroughEveryPageThenTearDown()
{
    QElapsedTimer clock;
    clock.start();
    std::unique_ptr<ui::MainWindow> window = openAndDeploy();
    QVERIFY(window);
    QCOMPARE(window->page(), ui::MainWindow::Page::Deploy);
    DeployWizard *wizard = window->deployWizard();
    QVERIFY2(wizard->plan(), qPrintable(wizard->setupError()));
    QCOMPARE(wizard->app().absoluteId(), QStringLiteral("/nginx"));
    const int questionsBefore = ui::MessageBox::questionCount();

    const QStringList names{
        QStringLiteral("connect"),  QStringLiteral("app"),   QStringLiteral("launch"),
        QStringLiteral("address"),  QStringLiteral("pool"),  QStringLiteral("rule"),
        QStringLiteral("firewall"), QStringLiteral("nodes"), QStringLiteral("verify")};
    QStringList shots;
    auto *next = wizard->button(QWizard::NextButton);
    for (int id = DeployWizard::ConnectPage; id <= DeployWizard::VerifyPage; ++id) {
        QCOMPARE(wizard->currentId(), id);
        QElapsedTimer pageClock;
        pageClock.start();
        if (DeployStepPage *page = wizard->stepPage(DeployWizard::PageId(id))) {
            // The check's verdict first: done steps pass by themselves.
            QTRY_VERIFY_WITH_TIMEOUT(!wizard->isBusy(), 240000);
            if (!page->isDone()) {
                click(page->findChild<QAbstractButton *>(QStringLiteral("runButton")));
                QVERIFY(wizard->isBusy());
                QTRY_VERIFY_WITH_TIMEOUT(!wizard->isBusy(), 300000);
            }
            QVERIFY2(page->isDone(),
                     qPrintable(page->verdict() + QLatin1Char('\n') + page->log()->text()));
            QVERIFY2(page->verdict().startsWith(QLatin1String("Done")),
                     qPrintable(page->verdict()));
        } else {
            QTRY_VERIFY(wizard->currentPage()->isComplete());
            const QString summary =
                wizard->findChild<QLabel *>(QStringLiteral("appSummary"))->text();
            QVERIFY2(summary.contains(QLatin1String("library/nginx")), qPrintable(summary));
        }
        qInfo("page %d (%s): %lld ms", id + 1, qPrintable(names[id]), pageClock.elapsed());
        shots << shoot(window.get(), id + 1, names[id]);
        QVERIFY(!shots.last().isEmpty());
        if (id == DeployWizard::PoolPage) {
            // Closing the window mid-way keeps the journal; a new window offers to resume and
            // shows the pages already done as done.
            QCOMPARE(ui::MessageBox::questionCount(), questionsBefore);
            const QString journal = wizard->plan()->journal().path();
            QVERIFY(window->close());
            window.reset();
            QVERIFY(QFile::exists(journal));
            ui::MessageBox::setNextAnswer(ui::MessageBox::Yes); // Resume
            window = openAndDeploy();
            QVERIFY(window);
            QCOMPARE(ui::MessageBox::questionCount(), questionsBefore + 1);
            QVERIFY2(ui::MessageBox::lastQuestion().contains(QLatin1String("before")),
                     qPrintable(ui::MessageBox::lastQuestion()));
            wizard = window->deployWizard();
            QCOMPARE(wizard->currentId(), int(DeployWizard::RulePage));
            for (auto done : {DeployWizard::ConnectPage, DeployWizard::LaunchPage,
                              DeployWizard::AddressPage, DeployWizard::PoolPage})
                QVERIFY(wizard->stepPage(done)->isDone());
            next = wizard->button(QWizard::NextButton);
            continue;
        }
        if (id != DeployWizard::VerifyPage) {
            QVERIFY(next->isEnabled());
            click(next);
        }
    }
    qInfo("click-through: %lld ms", clock.elapsed());

    // The Verify page: the status and the title a visitor gets.
    const QString status = wizard->findChild<QLabel *>(QStringLiteral("pageStatus"))->text();
    const QString title = wizard->findChild<QLabel *>(QStringLiteral("pageTitle"))->text();
    QVERIFY2(status.startsWith(QLatin1String("200")), qPrintable(status));
    QCOMPARE(title, QStringLiteral("Welcome to nginx!"));
    const QString url = wizard->findChild<QLineEdit *>(QStringLiteral("publicUrl"))->text();
    QVERIFY2(url.startsWith(QLatin1String("http://203.0.113.")), qPrintable(url));
    // Independently, as a visitor through the sandbox's internet side.
    const Run curl = run(QStringLiteral("curl"),
                         {QStringLiteral("-s"), QStringLiteral("-m"), QStringLiteral("10"),
                          QStringLiteral("--socks5-hostname"), m_proxy, url});
    QVERIFY2(curl.out.contains("<title>Welcome to nginx!</title>"), curl.err.constData());
    QCOMPARE(marathonApps(), QStringList{QStringLiteral("/nginx")});
    QCOMPARE(gceResources().size(), 6);

    // The script of the same journey.
    const QString script = QDir(m_shots).filePath(QStringLiteral("deploy-nginx.sh"));
    wizard->setScriptTarget(script);
    click(wizard->button(QWizard::CustomButton3));
    QFile f(script);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    QVERIFY(text.contains("gcloud compute forwarding-rules create pier-http"));
    // Its node lines work as printed: the first one's ssh, with the same options, reads the
    // rule the journey added (through the sandbox's proxy, with its key and known_hosts).
    QByteArray sshLine;
    for (const QByteArray &line : text.split('\n'))
        if (line.startsWith("ssh ") && line.contains("iptables -I INPUT")) {
            sshLine = line;
            break;
        }
    QVERIFY2(!sshLine.isEmpty(), text.constData());
    const QByteArray login = sshLine.left(sshLine.indexOf(" \"sudo iptables"));
    QProcess sh;
    sh.start(QStringLiteral("sh"),
             {QStringLiteral("-c"),
              QString::fromUtf8(login + " -o BatchMode=yes 'sudo iptables -S INPUT'")});
    QVERIFY(sh.waitForFinished(30000));
    const QByteArray rules = sh.readAllStandardOutput();
    QVERIFY2(sh.exitCode() == 0 && rules.contains("pier: open tcp/80"),
             (login + "\n" + rules + sh.readAllStandardError()).constData());

    // Tear down from the wizard: confirmed, with progress, then nothing left.
    clock.restart();
    ui::MessageBox::setNextAnswer(ui::MessageBox::Yes);
    click(wizard->button(QWizard::CustomButton2));
    QVERIFY(wizard->isBusy());
    QTRY_VERIFY_WITH_TIMEOUT(!wizard->isBusy(), 240000);
    qInfo("teardown: %lld ms", clock.elapsed());
    QVERIFY2(wizard->statusText().startsWith(QLatin1String("Torn down")),
             qPrintable(wizard->statusText()));
    shots << shoot(window.get(), 10, QStringLiteral("torn-down"));
    QCOMPARE(marathonApps(), QStringList());
    QCOMPARE(gceResources(), QStringList());
    QVERIFY(!QFile::exists(wizard->plan()->journal().path()));

    // The operator's shortcut: everything at once, as `pier deploy` does, to the Verify page.
    clock.restart();
    click(wizard->button(QWizard::CustomButton1));
    QVERIFY(wizard->isBusy());
    QTRY_VERIFY_WITH_TIMEOUT(!wizard->isBusy(), 300000);
    qInfo("run all remaining steps: %lld ms", clock.elapsed());
    QCOMPARE(wizard->currentId(), int(DeployWizard::VerifyPage));
    QVERIFY2(wizard->findChild<QLabel *>(QStringLiteral("pageStatus"))
                 ->text()
                 .startsWith(QLatin1String("200")),
             qPrintable(wizard->statusText()));
    // A new reservation: possibly another address.
    const QString url2 = wizard->findChild<QLineEdit *>(QStringLiteral("publicUrl"))->text();
    QVERIFY2(run(QStringLiteral("curl"),
                 {QStringLiteral("-s"), QStringLiteral("-m"), QStringLiteral("10"),
                  QStringLiteral("--socks5-hostname"), m_proxy, url2})
                 .out.contains("<title>Welcome to nginx!</title>"),
             qPrintable(url2));
    QCOMPARE(gceResources().size(), 6);
    ui::MessageBox::setNextAnswer(ui::MessageBox::Yes);
    click(wizard->button(QWizard::CustomButton2));
    QTRY_VERIFY_WITH_TIMEOUT(!wizard->isBusy(), 240000);
    QCOMPARE(marathonApps(), QStringList());
    QCOMPARE(gceResources(), QStringList());
}

void TestDeployWizard::cleanupTestCase()
{
    if (m_id.isEmpty())
        return;
    const auto r =
        test::runPier({QStringLiteral("sandbox"), QStringLiteral("down")}, m_config.path(), env());
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(!Cluster(m_id).hasLeftovers());
}

QTEST_MAIN(TestDeployWizard)
#include "tst_deploywizard.moc"
