#include "ui/profileswitcher.h"

#include "core/profilestore.h"
#include "marathon/marathonclient.h"
#include "secrets/secretstore.h"
#include "ui/launchcontroller.h"
#include "ui/mainwindow.h"
#include "ui/messagebox.h"
#include "ui/profileeditor.h"
#include "ui/welcome.h"

#include <QAction>
#include <QComboBox>
#include <QCoreApplication>
#include <QFile>
#include <QFileDialog>
#include <QMenu>
#include <QMenuBar>
#include <QProcess>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTimer>
#include <QToolBar>

namespace pier::ui {

namespace {

const QString kSandboxProfile = QStringLiteral("sandbox");

} // namespace

ProfileSwitcher::ProfileSwitcher(MainWindow *window, const QString &urlOption,
                                 const QString &profileOption, QObject *parent)
    : QObject(parent), m_window(window), m_pierProgram(QCoreApplication::applicationFilePath())
{
    m_combo = new QComboBox(window);
    m_combo->setObjectName(QStringLiteral("profileCombo"));
    m_combo->setToolTip(tr("The cluster profile this window works on (Ctrl+Shift+P)"));
    m_combo->setAccessibleName(tr("Cluster profile"));
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    window->statusBar()->insertPermanentWidget(0, m_combo);
    connect(m_combo, &QComboBox::activated, this, [this](int index) {
        const QString name = m_combo->itemData(index).toString();
        if (!name.isEmpty() && name != m_current && !switchTo(name))
            reload(); // back to the one still in use
    });
    createMenu();
    connect(window, &MainWindow::launchRequested, this, [this] { m_launchClock.start(); });
    connect(window, &MainWindow::launchFinished, this, &ProfileSwitcher::onLaunchFinished);

    // The start, as on the command line: --marathon, then PIER_MARATHON_URL, then --profile or
    // the active profile. With none of these, the welcome page.
    const ProfileStore store;
    const bool overridden =
        !urlOption.isEmpty() || !qEnvironmentVariable("PIER_MARATHON_URL").isEmpty();
    if (!overridden && profileOption.isEmpty() && store.names().isEmpty()) {
        reload();
        connectTo({}, {});
        showWelcome();
        return;
    }
    ApiError error;
    const cli::MarathonTarget target = cli::resolveMarathon(urlOption, &error, profileOption);
    m_current = target.profile;
    reload();
    connectTo(target, error);
}

ProfileSwitcher::~ProfileSwitcher()
{
    m_controller.reset();
    m_client.reset();
    if (m_sandbox && m_sandbox->state() != QProcess::NotRunning) {
        m_sandbox->terminate(); // the sandbox stops cleanly on SIGTERM
        if (!m_sandbox->waitForFinished(5000))
            m_sandbox->kill();
    }
}

void ProfileSwitcher::createMenu()
{
    QMenu *menu = m_window->menuBar()->addMenu(tr("&Profiles"));
    menu->setObjectName(QStringLiteral("profilesMenu"));
    QAction *choose = menu->addAction(tr("&Switch Profile"), this, [this] {
        m_combo->setFocus();
        m_combo->showPopup();
    });
    choose->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    menu->addSeparator();
    QAction *create = menu->addAction(tr("&New Profile\u2026"), this, [this] { createProfile(); });
    create->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N));
    m_editAction = menu->addAction(tr("&Edit Profile\u2026"), this, &ProfileSwitcher::editProfile);
    m_editAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    m_duplicateAction =
        menu->addAction(tr("D&uplicate Profile"), this, &ProfileSwitcher::duplicateProfile);
    m_deleteAction =
        menu->addAction(tr("&Delete Profile\u2026"), this, &ProfileSwitcher::deleteProfile);
    menu->addSeparator();
    menu->addAction(tr("&Import Profile\u2026"), this, &ProfileSwitcher::importProfile);
    m_exportAction =
        menu->addAction(tr("E&xport Profile\u2026"), this, &ProfileSwitcher::exportProfile);
    for (QAction *a : menu->actions())
        m_window->addAction(a); // shortcuts work while the menu bar is hidden too
}

void ProfileSwitcher::reload()
{
    m_combo->clear();
    const QStringList names = ProfileStore().names();
    if (m_current.isEmpty())
        m_combo->addItem(names.isEmpty() ? tr("No profile") : tr("Command line"), QString());
    for (const QString &name : names)
        m_combo->addItem(tr("Profile: %1").arg(name), name);
    m_combo->setCurrentIndex(qMax(0, m_combo->findData(m_current)));
    m_combo->setEnabled(!names.isEmpty());
    const bool has = !m_current.isEmpty();
    m_editAction->setEnabled(has);
    m_duplicateAction->setEnabled(has);
    m_deleteAction->setEnabled(has);
    m_exportAction->setEnabled(has);
}

bool ProfileSwitcher::switchTo(const QString &name)
{
    if (m_window && m_window->isLaunching()) {
        m_window->statusBar()->showMessage(tr("A launch is running on this cluster: wait for it to "
                                              "finish, or cancel it, before switching."),
                                           8000);
        return false;
    }
    ProfileStore store;
    Profile profile;
    ApiError error;
    if (!store.find(name, &profile, &error)) {
        m_window->statusBar()->showMessage(error.toText(), 8000);
        return false;
    }
    store.setActive(name, &error); // the next start (and `pier` without --profile) uses it too
    const cli::MarathonTarget target = cli::marathonForProfile(profile, &error);
    m_current = name;
    hideWelcome();
    reload();
    connectTo(target, error);
    return true;
}

void ProfileSwitcher::connectTo(const cli::MarathonTarget &target, const ApiError &error)
{
    emit clientAboutToChange();
    // The controller first: it holds a pointer to the client.
    m_controller.reset();
    m_client.reset();
    if (!error.isError() && !target.config.urls.isEmpty())
        m_client = std::make_unique<marathon::MarathonClient>(target.config);
    m_controller = std::make_unique<LaunchController>(m_window, m_client.get());
    if (error.isError() && !error.message.startsWith(QLatin1String("No Marathon address"))) {
        const QString where = target.config.urls.isEmpty()
                                  ? tr("Marathon")
                                  : target.config.urls.constFirst().toString();
        m_window->setConnectionState(where, error.toText(), MainWindow::Tone::Problem);
    }
    emit clientChanged(m_client.get());
}

void ProfileSwitcher::showWelcome()
{
    if (m_welcome)
        return;
    m_welcome = new Welcome;
    connect(m_welcome, &Welcome::startSandboxRequested, this, &ProfileSwitcher::startSandbox);
    connect(m_welcome, &Welcome::createProfileRequested, this, [this] { createProfile(); });
    m_mainWidget = m_window->takeCentralWidget();
    m_window->setCentralWidget(m_welcome);
    // The editor's tools make no sense before there is a cluster; they come back with it.
    for (QToolBar *bar : m_window->findChildren<QToolBar *>(QString(), Qt::FindDirectChildrenOnly))
        bar->setVisible(false);
    m_welcome->setFocus();
}

void ProfileSwitcher::hideWelcome()
{
    if (!m_welcome)
        return;
    m_window->takeCentralWidget();
    m_welcome->deleteLater();
    m_welcome = nullptr;
    m_window->setCentralWidget(m_mainWidget);
    m_mainWidget->show();
    m_mainWidget = nullptr;
    for (QToolBar *bar : m_window->findChildren<QToolBar *>(QString(), Qt::FindDirectChildrenOnly))
        bar->setVisible(true);
}

bool ProfileSwitcher::createProfile()
{
    Profile fresh;
    if (ProfileStore().names().isEmpty())
        fresh.name = tr("my-cluster");
    ProfileEditor editor(fresh, {}, m_window);
    if (editor.exec() != QDialog::Accepted)
        return false;
    switchTo(editor.profile().name);
    return true;
}

void ProfileSwitcher::editProfile()
{
    Profile profile;
    if (!ProfileStore().find(m_current, &profile))
        return;
    ProfileEditor editor(profile, m_current, m_window);
    if (editor.exec() != QDialog::Accepted)
        return;
    m_current.clear(); // re-point even when only the address changed
    switchTo(editor.profile().name);
}

void ProfileSwitcher::duplicateProfile()
{
    ProfileStore store;
    ApiError error;
    QString created;
    if (!store.duplicate(m_current, {}, &error, &created)) {
        m_window->statusBar()->showMessage(error.toText(), 8000);
        return;
    }
    reload();
    // Secrets are not copied: the copy is usually meant for other credentials.
    m_window->statusBar()->showMessage(tr("Made the profile \u201c%1\u201d; its passwords are not "
                                          "copied, enter them with Edit Profile.")
                                           .arg(created),
                                       8000);
}

void ProfileSwitcher::deleteProfile()
{
    const QString name = m_current;
    MessageBox::Question q;
    q.icon = QMessageBox::Warning;
    q.title = tr("Delete Profile");
    q.text = tr("Delete the profile \u201c%1\u201d and its passwords in the keychain?").arg(name);
    q.informativeText =
        tr("Nothing on the cluster changes. You can import the profile again if you exported it.");
    q.buttons = {MessageBox::Yes, MessageBox::Cancel};
    q.buttonText = {{MessageBox::Yes, tr("Delete \u201c%1\u201d").arg(name)}};
    q.defaultButton = MessageBox::Cancel;
    if (MessageBox::ask(m_window, q) != MessageBox::Yes)
        return;
    ProfileStore store;
    ApiError error;
    if (!store.remove(name, &error)) {
        m_window->statusBar()->showMessage(error.toText(), 8000);
        return;
    }
    SecretStore keychain;
    for (const Profile::Secret s : Profile::allSecrets())
        keychain.removeNow(Profile::secretKey(name, s));
    const QStringList left = store.names();
    if (!left.isEmpty()) {
        m_current.clear();
        switchTo(left.constFirst());
        return;
    }
    m_current.clear();
    reload();
    connectTo({}, {});
    showWelcome();
}

void ProfileSwitcher::importProfile()
{
    const QString path = QFileDialog::getOpenFileName(m_window, tr("Import Profile"), {},
                                                      tr("Pier profiles (*.json)"));
    if (path.isEmpty())
        return;
    QFile file(path);
    ApiError error;
    QString name;
    if (!file.open(QIODevice::ReadOnly)) {
        m_window->statusBar()->showMessage(tr("Cannot read %1: %2").arg(path, file.errorString()),
                                           8000);
        return;
    }
    if (!ProfileStore().importProfile(file.readAll(), &error, &name)) {
        m_window->statusBar()->showMessage(error.toText(), 8000);
        return;
    }
    switchTo(name);
}

void ProfileSwitcher::exportProfile()
{
    const QString path = QFileDialog::getSaveFileName(m_window, tr("Export Profile"),
                                                      m_current + QStringLiteral(".json"),
                                                      tr("Pier profiles (*.json)"));
    if (path.isEmpty())
        return;
    ApiError error;
    const QByteArray data = ProfileStore().exportProfile(m_current, &error);
    QFile file(path);
    if (error || !file.open(QIODevice::WriteOnly) || file.write(data) != data.size()) {
        m_window->statusBar()->showMessage(
            error ? error.toText() : tr("Cannot write %1: %2").arg(path, file.errorString()), 8000);
        return;
    }
    m_window->statusBar()->showMessage(
        tr("Exported \u201c%1\u201d to %2, without its passwords.").arg(m_current, path), 8000);
}

void ProfileSwitcher::startSandbox()
{
    if (m_sandbox && m_sandbox->state() != QProcess::NotRunning)
        return;
    delete m_sandbox;
    m_sandbox = new QProcess(this);
    m_sandbox->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    if (m_welcome)
        m_welcome->setBusy(tr("Starting the sandbox\u2026"));
    auto buffer = std::make_shared<QByteArray>();
    connect(m_sandbox, &QProcess::readyReadStandardOutput, this, [this, buffer] {
        *buffer += m_sandbox->readAllStandardOutput();
        // "Marathon: http://127.0.0.1:PORT" says the sandbox is up.
        for (qsizetype nl = buffer->indexOf('\n'); nl >= 0; nl = buffer->indexOf('\n')) {
            const QString lineText = QString::fromUtf8(buffer->left(nl)).trimmed();
            buffer->remove(0, nl + 1);
            if (lineText.startsWith(QLatin1String("Mesos: ")) && !m_current.isEmpty()) {
                // The sandbox's Mesos master, when it says where (after Marathon's line).
                Profile profile;
                ProfileStore store;
                ApiError error;
                if (store.find(kSandboxProfile, &profile)) {
                    profile.mesosUrl = lineText.mid(7).trimmed();
                    store.upsert(profile, &error);
                }
                continue;
            }
            if (!lineText.startsWith(QLatin1String("Marathon: ")))
                continue;
            Profile profile;
            ProfileStore store;
            store.find(kSandboxProfile,
                       &profile); // keep what the user set; only the address changes
            profile.name = kSandboxProfile;
            profile.marathonUrl = lineText.mid(10).trimmed();
            ApiError error;
            if (!store.upsert(profile, &error)) {
                if (m_welcome)
                    m_welcome->setProblem(error.toText());
                return;
            }
            m_current.clear();
            switchTo(kSandboxProfile);
            m_window->statusBar()->showMessage(
                tr("The sandbox runs at %1 until Pier closes.").arg(profile.marathonUrl), 8000);
        }
    });
    connect(m_sandbox, &QProcess::finished, this, [this](int code) {
        const QString text =
            tr("The sandbox stopped (exit code %1). Start it again, or run `pier sandbox up` in a "
               "terminal to see why.")
                .arg(code);
        if (m_welcome)
            m_welcome->setProblem(text);
        else if (m_window)
            m_window->statusBar()->showMessage(text, 10000);
    });
    connect(m_sandbox, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart && m_welcome)
            m_welcome->setProblem(
                tr("Cannot start %1: %2").arg(m_pierProgram, m_sandbox->errorString()));
    });
    m_sandbox->start(m_pierProgram, {QStringLiteral("sandbox"), QStringLiteral("up"),
                                     QStringLiteral("--port"), QStringLiteral("0")});
}

void ProfileSwitcher::onLaunchFinished(bool ok, const QString &message)
{
    // Only for long launches that finish while the user looks elsewhere.
    if (!m_window || m_window->isActiveWindow() || !m_launchClock.isValid() ||
        m_launchClock.elapsed() < m_notifyAfterMs)
        return;
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    if (!m_tray) {
        m_tray = new QSystemTrayIcon(m_window->windowIcon(), this);
        m_tray->setToolTip(tr("Pier"));
    }
    m_tray->show();
    m_tray->showMessage(ok ? tr("Launch finished") : tr("Launch failed"), message,
                        ok ? QSystemTrayIcon::Information : QSystemTrayIcon::Warning, 10000);
    QTimer::singleShot(15000, m_tray, &QSystemTrayIcon::hide);
}

} // namespace pier::ui
