#pragma once

#include "cli/connection.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <memory>

class QAction;
class QComboBox;
class QProcess;
class QSystemTrayIcon;
class QWidget;

namespace pier::marathon {
class MarathonClient;
}

namespace pier::ui {

class LaunchController;
class MainWindow;
class Welcome;

// The window's cluster: which profile is active, and the Marathon client and launch controller
// for it. Adds a profile switcher to the status bar and a Profiles menu (new, edit, duplicate,
// delete, import, export); picking another profile re-points the window: a new client and a new
// launch controller, the old ones are dropped. With no profile and no --marathon, shows the
// welcome page instead of the editor.
class ProfileSwitcher : public QObject {
    Q_OBJECT
public:
    // `urlOption` and `profileOption` from the command line. As on the command line, --marathon
    // and PIER_MARATHON_URL win over profiles, until the user picks a profile here.
    ProfileSwitcher(MainWindow *window, const QString &urlOption = {},
                    const QString &profileOption = {}, QObject *parent = nullptr);
    ~ProfileSwitcher() override;

    marathon::MarathonClient *client() const { return m_client.get(); }
    LaunchController *launchController() const { return m_controller.get(); }
    QString currentProfile() const { return m_current; }
    Welcome *welcome() const { return m_welcome; }
    QComboBox *combo() const { return m_combo; }

    // Re-points the window at this profile; false (and says why in the status bar) while a
    // launch runs or when the profile cannot be used.
    bool switchTo(const QString &name);
    // Re-reads the profile list (after an edit, or a change by `pier profile` in a terminal).
    void reload();

    // The program `pier sandbox up` runs as (tests point it at the built pier).
    void setPierProgram(const QString &path) { m_pierProgram = path; }
    // The Welcome page's "Start the sandbox": runs `pier sandbox up --port 0`, makes the
    // "sandbox" profile from the address it prints, and switches to it.
    void startSandbox();
    // The New Profile dialog; true when one was saved (and switched to).
    bool createProfile();

    // How long a launch must take for a desktop notification when the window is in the back.
    void setNotifyAfterMs(int ms) { m_notifyAfterMs = ms; }

signals:
    // Before the old client goes: drop everything that holds a pointer to it.
    void clientAboutToChange();
    // After every switch; the client may be null (no Marathon configured).
    void clientChanged(pier::marathon::MarathonClient *client);

private:
    void connectTo(const cli::MarathonTarget &target, const ApiError &error);
    void createMenu();
    void showWelcome();
    void hideWelcome();
    void editProfile();
    void duplicateProfile();
    void deleteProfile();
    void importProfile();
    void exportProfile();
    void onLaunchFinished(bool ok, const QString &message);

    QPointer<MainWindow> m_window;
    std::unique_ptr<marathon::MarathonClient> m_client;
    std::unique_ptr<LaunchController> m_controller;
    QString m_current;
    QComboBox *m_combo = nullptr;
    QAction *m_editAction = nullptr;
    QAction *m_duplicateAction = nullptr;
    QAction *m_deleteAction = nullptr;
    QAction *m_exportAction = nullptr;
    Welcome *m_welcome = nullptr;
    QWidget *m_mainWidget = nullptr; // the window's own central widget while the welcome shows
    QProcess *m_sandbox = nullptr;
    QString m_pierProgram;
    QSystemTrayIcon *m_tray = nullptr;
    QElapsedTimer m_launchClock;
    int m_notifyAfterMs = 10000;
};

} // namespace pier::ui
