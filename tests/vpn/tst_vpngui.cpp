// The Deploy wizard's Connect page against a real OpenVPN that asks for a password (issue 7):
// the server, the "private network" with Marathon's and Mesos's stand-ins, and the client's
// namespace from vpntestnet.h. This process's main thread enters the client's namespace, so the
// window, the OpenVPN it starts and the reachability proof all live there as on a user's laptop
// behind the VPN; the host's namespace is never touched. No credentials in the environment or the
// (private, empty) keychain: the page asks through its "VPN sign-in" dialog, typed into as a user
// would. Cancel stops the step and leaves no OpenVPN; a wrong password says "authentication
// failed" and what to do; Retry with the right one connects and proves Marathon and Mesos answer;
// Undo stops the VPN. "Remember" stores only a password the server accepted, and the next run
// signs in from the keychain without asking. Screenshots of each case go to the build dir
// (vpngui-shots/). Root only; SKIPs without.
#include "vpntestnet.h"

#include "core/profilestore.h"
#include "deploy/deployplan.h"
#include "secrets/secretstore.h"
#include "ui/commandlog.h"
#include "ui/deploywizard.h"
#include "ui/mainwindow.h"
#include "ui/messagebox.h"

#include <QAbstractButton>
#include <QApplication>
#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QElapsedTimer>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

using namespace pier;
using pier::test::VpnTestNet;
using pier::ui::DeployStepPage;
using pier::ui::DeployWizard;

namespace {

const QString kKeyBase = QStringLiteral("profile/behind-vpn/vpn");
const QString kNginx = QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json");

void click(QAbstractButton *b)
{
    QVERIFY2(b && b->isVisible() && b->isEnabled(),
             qPrintable(b ? b->objectName() + QStringLiteral(" is not clickable")
                          : QStringLiteral("no such button")));
    QTest::mouseClick(b, Qt::LeftButton, {}, b->rect().center());
}

// The sign-in dialog once it is on screen, or null.
QDialog *signInDialog()
{
    for (QWidget *w : QApplication::topLevelWidgets()) {
        if (w->objectName() == QLatin1String("vpnSignIn") && w->isVisible())
            return qobject_cast<QDialog *>(w);
    }
    return nullptr;
}

} // namespace

class TestVpnGui : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void cancelInTheDialogStopsAndLeavesNothing();
    void wrongPasswordThenRetryConnectsAndProves();
    void rememberedOnlyOnceTheVpnAcceptsIt();

private:
    QDialog *waitForSignIn();
    void signIn(QDialog *dialog, const QString &user, const QString &password,
                bool remember = false);
    QString shoot(QWidget *w, const QString &name);
    QString openvpnLeft() const;
    // What the page says about the step: its row (the reason) and the verdict under it.
    QString shown() const
    {
        return m_page->findChild<QLabel *>(QStringLiteral("stepRow_vpn.connect"))->text() +
               QLatin1Char('\n') + m_page->verdict();
    }

    std::unique_ptr<VpnTestNet> m_net;
    QTemporaryDir m_config;
    QString m_shots;
    int m_hostNs = -1;
    std::unique_ptr<ui::MainWindow> m_window;
    DeployWizard *m_wizard = nullptr;
    DeployStepPage *m_page = nullptr;
    int m_shot = 0;
    bool m_keychain = false; // a keychain answers (the D-Bus socket is a path: any namespace)
};

void TestVpnGui::initTestCase()
{
    const QString missing = VpnTestNet::missing();
    if (!missing.isEmpty())
        QSKIP(qPrintable(missing));
    QVERIFY(m_config.isValid());
    // Nothing to sign in with but the dialog: no variables, and the keychain (a private, empty
    // one under with-keyring.sh) holds nothing for this profile.
    for (const char *name : {"PIER_VPN_USER", "PIER_VPN_PASSWORD", "PIER_MARATHON_URL",
                             "PIER_MESOS_URL", "PIER_SANDBOX_ID"})
        qunsetenv(name);
    m_keychain = !SecretStore().readNow(kKeyBase + QStringLiteral("-user")).error.isError();
    qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
    qputenv("PIER_GCE_TOKEN", "offline-test"); // GCE is never reached: nothing runs past page 1
    QCoreApplication::setOrganizationName(QStringLiteral("Pier"));
    QCoreApplication::setApplicationName(QStringLiteral("Pier"));

    m_net = std::make_unique<VpnTestNet>(QStringLiteral("vgui"));
    const QString e = m_net->setUp();
    QVERIFY2(e.isEmpty(), qPrintable(e));
    QVERIFY(m_net->startServer(true));
    qputenv("TMPDIR", m_net->dir().toLocal8Bit()); // where Pier keeps OpenVPN's log

    // Into the client's namespace (this thread, hence what it starts and the threads it makes).
    m_hostNs = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    QVERIFY(m_hostNs >= 0);
    const int client = ::open(sandbox::netnsPath(m_net->clientNs()).toLocal8Bit().constData(),
                              O_RDONLY | O_CLOEXEC);
    QVERIFY(client >= 0);
    QVERIFY2(::setns(client, CLONE_NEWNET) == 0, strerror(errno));
    ::close(client);

    Profile p;
    p.name = QStringLiteral("behind-vpn");
    p.marathonUrl = QStringLiteral("http://%1:8080").arg(VpnTestNet::kPrivateAddress);
    p.mesosUrl = QStringLiteral("http://%1:5050").arg(VpnTestNet::kPrivateAddress);
    p.vpnConfigFile = m_net->ovpn();
    p.gceProject = QStringLiteral("demo");
    p.gceRegion = QStringLiteral("us-central1");
    p.gceZone = QStringLiteral("us-central1-a");
    p.gceEndpoint = QStringLiteral("http://127.0.0.1:1/compute/v1/");
    ProfileStore store;
    ApiError pe;
    QVERIFY2(store.upsert(p, &pe), qPrintable(pe.message));
    QVERIFY2(store.setActive(p.name, &pe), qPrintable(pe.message));

    m_shots = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("vpngui-shots"));
    QDir().mkpath(m_shots);

    m_window = std::make_unique<ui::MainWindow>();
    m_window->resize(1280, 860);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QVERIFY(m_window->openFile(kNginx));
    QTest::keyClick(m_window.get(), Qt::Key_F8); // Deploy…
    m_wizard = m_window->deployWizard();
    QVERIFY2(m_wizard->plan(), qPrintable(m_wizard->setupError()));
    m_page = m_wizard->stepPage(DeployWizard::ConnectPage);
    // The page's own check: nothing answers before the VPN (no route from this namespace).
    QTRY_VERIFY_WITH_TIMEOUT(!m_wizard->isBusy(), 30000);
    QVERIFY2(!m_page->isDone(), qPrintable(m_page->verdict()));
}

void TestVpnGui::cleanupTestCase()
{
    m_window.reset();
    if (m_hostNs >= 0) {
        ::setns(m_hostNs, CLONE_NEWNET);
        ::close(m_hostNs);
    }
    if (m_net) {
        const QString client = m_net->clientNs(), server = m_net->serverNs();
        m_net->tearDown();
        QVERIFY(!sandbox::namedNetworkNamespaces().contains(client));
        QVERIFY(!sandbox::namedNetworkNamespaces().contains(server));
    }
}

QDialog *TestVpnGui::waitForSignIn()
{
    QElapsedTimer t;
    t.start();
    while (!signInDialog() && t.elapsed() < 30000 && m_wizard->isBusy())
        QTest::qWait(50);
    return signInDialog();
}

void TestVpnGui::signIn(QDialog *dialog, const QString &user, const QString &password,
                        bool remember)
{
    if (remember)
        dialog->findChild<QCheckBox *>(QStringLiteral("vpnRemember"))->setChecked(true);
    auto *userEdit = dialog->findChild<QLineEdit *>(QStringLiteral("vpnUser"));
    auto *passwordEdit = dialog->findChild<QLineEdit *>(QStringLiteral("vpnPassword"));
    QVERIFY(userEdit && passwordEdit);
    QCOMPARE(passwordEdit->echoMode(), QLineEdit::Password);
    QTest::keyClicks(userEdit, user);
    QTest::keyClicks(passwordEdit, password);
    auto *buttons = dialog->findChild<QDialogButtonBox *>();
    click(buttons->button(QDialogButtonBox::Ok));
}

QString TestVpnGui::shoot(QWidget *w, const QString &name)
{
    QApplication::processEvents();
    const QString path = QDir(m_shots).filePath(
        QStringLiteral("vpngui-%1-%2.png").arg(++m_shot, 2, 10, QLatin1Char('0')).arg(name));
    const QImage image = w->grab().toImage().convertToFormat(QImage::Format_Indexed8,
                                                             Qt::ThresholdDither | Qt::AvoidDither);
    if (!image.save(path))
        return {};
    qInfo("screenshot: %s", qPrintable(path));
    return path;
}

// "" when no process of this test runs in the client's namespace (ours excepted), else which.
QString TestVpnGui::openvpnLeft() const
{
    QStringList left;
    for (qint64 pid : m_net->pidsIn(m_net->clientNs())) {
        QFile cmd(QStringLiteral("/proc/%1/cmdline").arg(pid));
        cmd.open(QIODevice::ReadOnly);
        left << QStringLiteral("%1 %2").arg(pid).arg(QString::fromLocal8Bit(cmd.readAll()));
    }
    if (!m_net->clientTunnels().isEmpty())
        left << QStringLiteral("tun devices: ") + m_net->clientTunnels().join(QLatin1Char(' '));
    return left.join(QStringLiteral("; "));
}

void TestVpnGui::cancelInTheDialogStopsAndLeavesNothing()
{
    auto *run = m_page->findChild<QAbstractButton *>(QStringLiteral("runButton"));
    click(run);
    QDialog *dialog = waitForSignIn();
    QVERIFY2(dialog, qPrintable(m_page->log()->text()));
    // It says which VPN asks: the file and its server.
    const QString text = dialog->findChild<QLabel *>(QStringLiteral("vpnSignInText"))->text();
    QVERIFY2(text.contains(QLatin1String("pier-test.ovpn")), qPrintable(text));
    QVERIFY2(text.contains(VpnTestNet::kServerAddress + QStringLiteral(":1194")), qPrintable(text));
    // Remembering is offered only with a keychain (without one the dialog says why).
    QCOMPARE(dialog->findChild<QCheckBox *>(QStringLiteral("vpnRemember"))->isEnabled(),
             m_keychain);
    // Sign In waits for a user name.
    QVERIFY(!dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->isEnabled());
    // OpenVPN runs, waiting for the answer.
    QVERIFY2(!m_net->pidsIn(m_net->clientNs()).isEmpty(), "no OpenVPN is waiting for the password");
    shoot(m_window.get(), QStringLiteral("asking"));
    shoot(dialog, QStringLiteral("dialog"));

    click(dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Cancel));
    QTRY_VERIFY_WITH_TIMEOUT(!m_wizard->isBusy(), 30000);
    QCOMPARE(m_wizard->runner()->state(QStringLiteral("vpn.connect")),
             PlanRunner::StepState::Failed);
    QVERIFY2(shown().contains(QLatin1String("VPN sign-in cancelled")), qPrintable(shown()));
    QVERIFY2(shown().contains(QLatin1String("was stopped")), qPrintable(shown()));
    QVERIFY2(run->text().contains(QLatin1String("Retry")), qPrintable(run->text()));
    QTRY_VERIFY2_WITH_TIMEOUT(openvpnLeft().isEmpty(), qPrintable(openvpnLeft()), 10000);
    shoot(m_window.get(), QStringLiteral("cancelled"));
}

void TestVpnGui::wrongPasswordThenRetryConnectsAndProves()
{
    auto *run = m_page->findChild<QAbstractButton *>(QStringLiteral("runButton"));
    click(run);
    QDialog *dialog = waitForSignIn();
    QVERIFY2(dialog, qPrintable(m_page->log()->text()));
    signIn(dialog, QStringLiteral("pier"), QStringLiteral("wrong-password"));
    QTRY_VERIFY_WITH_TIMEOUT(!m_wizard->isBusy(), 60000);
    QCOMPARE(m_wizard->runner()->state(QStringLiteral("vpn.connect")),
             PlanRunner::StepState::Failed);
    QString verdict = shown();
    QVERIFY2(verdict.contains(QLatin1String("uthentication failed")), qPrintable(verdict));
    QVERIFY2(verdict.contains(QLatin1String("your VPN administrator")), qPrintable(verdict));
    QVERIFY2(openvpnLeft().isEmpty() ||
                 QTest::qWaitFor([&] { return openvpnLeft().isEmpty(); }, 10000),
             qPrintable(openvpnLeft()));
    shoot(m_window.get(), QStringLiteral("rejected"));

    // Retry: asked again (saying the last answer was rejected), the right password connects.
    QVERIFY2(run->text().contains(QLatin1String("Retry")), qPrintable(run->text()));
    QElapsedTimer t;
    t.start();
    click(run);
    dialog = waitForSignIn();
    QVERIFY2(dialog, qPrintable(m_page->log()->text()));
    const QString text = dialog->findChild<QLabel *>(QStringLiteral("vpnSignInText"))->text();
    QVERIFY2(text.contains(QLatin1String("rejected")), qPrintable(text));
    shoot(dialog, QStringLiteral("dialog-again"));
    const qint64 asked = t.elapsed();
    const int before = m_net->requests();
    signIn(dialog, QStringLiteral("pier"), QStringLiteral("right-password"));
    t.restart();
    QTRY_VERIFY_WITH_TIMEOUT(!m_wizard->isBusy(), 90000);
    qInfo("Retry to the sign-in dialog: %lld ms; Sign In to the verdict: %lld ms", asked,
          t.elapsed());
    verdict = shown();
    const QString log = m_page->log()->text();
    QVERIFY2(m_wizard->runner()->state(QStringLiteral("vpn.connect")) ==
                 PlanRunner::StepState::Done,
             qPrintable(verdict + QLatin1Char('\n') + log.right(3000)));
    QVERIFY(m_page->isDone());
    QVERIFY2(
        log.contains(
            QStringLiteral("Connected to the VPN server %1:1194").arg(VpnTestNet::kServerAddress)),
        qPrintable(log.right(3000)));
    // The verdict: through the VPN, with the proof.
    QVERIFY2(verdict.contains(QLatin1String("Connected through the VPN")), qPrintable(verdict));
    QVERIFY2(verdict.contains(
                 QStringLiteral("Marathon at %1:8080 answered").arg(VpnTestNet::kPrivateAddress)),
             qPrintable(verdict));
    QVERIFY2(log.contains(QStringLiteral("Marathon at %1:8080 answered /ping with HTTP 200")
                              .arg(VpnTestNet::kPrivateAddress)),
             qPrintable(log));
    QVERIFY2(log.contains(QStringLiteral("Mesos at %1:5050 answered /version with HTTP 200")
                              .arg(VpnTestNet::kPrivateAddress)),
             qPrintable(log));
    QVERIFY(m_net->requests() >= before + 2); // through the tunnel to the responders
    QCOMPARE(m_net->clientTunnels().size(), 1);
    // Secrets never in what the page shows.
    for (const QString &shown :
         {verdict, log, m_page->findChild<QLabel *>(QStringLiteral("progressText"))->text()}) {
        QVERIFY(!shown.contains(QLatin1String("right-password")));
        QVERIFY(!shown.contains(QLatin1String("wrong-password")));
    }
    QVERIFY(m_wizard->button(QWizard::NextButton)->isEnabled());
    shoot(m_window.get(), QStringLiteral("connected"));

    // Undo stops the VPN Pier started: nothing of it left.
    ui::MessageBox::setNextAnswer(ui::MessageBox::Yes); // "Undo this step?"
    click(m_page->findChild<QAbstractButton *>(QStringLiteral("undoButton")));
    QTRY_VERIFY_WITH_TIMEOUT(!m_wizard->isBusy(), 30000);
    QTRY_VERIFY2_WITH_TIMEOUT(openvpnLeft().isEmpty(), qPrintable(openvpnLeft()), 10000);
    // The journey's status line says what just happened, not the run before it.
    QVERIFY2(m_wizard->statusText().startsWith(QLatin1String("Undone")),
             qPrintable(m_wizard->statusText()));
    shoot(m_window.get(), QStringLiteral("undone"));
}

// "Remember" keeps the password only once the server took it; the next run then signs in from
// the keychain (read without blocking the window) and asks nothing.
void TestVpnGui::rememberedOnlyOnceTheVpnAcceptsIt()
{
    if (!m_keychain)
        QSKIP("no keychain here (run under tests/secrets/with-keyring.sh)");
    auto *run = m_page->findChild<QAbstractButton *>(QStringLiteral("runButton"));
    click(run);
    QDialog *dialog = waitForSignIn();
    QVERIFY2(dialog, qPrintable(m_page->log()->text()));
    signIn(dialog, QStringLiteral("pier"), QStringLiteral("wrong-password"), true);
    QTRY_VERIFY_WITH_TIMEOUT(!m_wizard->isBusy(), 60000);
    QVERIFY2(shown().contains(QLatin1String("uthentication failed")), qPrintable(shown()));
    QTest::qWait(500); // a write would have landed by now
    SecretStore store;
    QVERIFY(!store.readNow(kKeyBase + QStringLiteral("-password")).found);

    click(run);
    dialog = waitForSignIn();
    QVERIFY2(dialog, qPrintable(m_page->log()->text()));
    signIn(dialog, QStringLiteral("pier"), QStringLiteral("right-password"), true);
    QTRY_VERIFY_WITH_TIMEOUT(!m_wizard->isBusy(), 90000);
    QCOMPARE(m_wizard->runner()->state(QStringLiteral("vpn.connect")), PlanRunner::StepState::Done);
    QTRY_COMPARE_WITH_TIMEOUT(store.readNow(kKeyBase + QStringLiteral("-password")).value,
                              QStringLiteral("right-password"), 10000);
    QCOMPARE(store.readNow(kKeyBase + QStringLiteral("-user")).value, QStringLiteral("pier"));

    ui::MessageBox::setNextAnswer(ui::MessageBox::Yes); // "Undo this step?"
    click(m_page->findChild<QAbstractButton *>(QStringLiteral("undoButton")));
    QTRY_VERIFY_WITH_TIMEOUT(!m_wizard->isBusy(), 30000);
    QTRY_VERIFY2_WITH_TIMEOUT(openvpnLeft().isEmpty(), qPrintable(openvpnLeft()), 10000);

    // Again: from the keychain, no dialog.
    QElapsedTimer t;
    t.start();
    click(run);
    bool asked = false;
    while (m_wizard->isBusy() && t.elapsed() < 90000) {
        if (QDialog *d = signInDialog()) {
            asked = true;
            d->reject();
        }
        QTest::qWait(50);
    }
    QVERIFY2(!asked, "the sign-in dialog asked although the keychain has the password");
    QCOMPARE(m_wizard->runner()->state(QStringLiteral("vpn.connect")), PlanRunner::StepState::Done);
    qInfo("Run with the keychain's password to the verdict: %lld ms", t.elapsed());
    shoot(m_window.get(), QStringLiteral("from-keychain"));
    ui::MessageBox::setNextAnswer(ui::MessageBox::Yes);
    click(m_page->findChild<QAbstractButton *>(QStringLiteral("undoButton")));
    QTRY_VERIFY_WITH_TIMEOUT(!m_wizard->isBusy(), 30000);
    QTRY_VERIFY2_WITH_TIMEOUT(openvpnLeft().isEmpty(), qPrintable(openvpnLeft()), 10000);
}

QTEST_MAIN(TestVpnGui)
#include "tst_vpngui.moc"
