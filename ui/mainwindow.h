#pragma once

#include "core/apierror.h"
#include "marathon/appdefinition.h"

#include <QJsonObject>
#include <QMainWindow>
#include <QStringList>

class QAction;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QStackedWidget;

namespace pier::ui {

class AppEditor;
class DeployWizard;

// The one main window: a sidebar of pages (Apps, Deploy, Live, Nodes, Network, Log), the app
// editor with its launch progress, and a status bar saying where Pier is connected.
// It never talks to the network itself: Launch emits launchRequested() and the core reports
// back through the set*/show* slots.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class Page { Apps, Deploy, Live, Nodes, Network, Log };
    Q_ENUM(Page)
    enum class Tone { Neutral, Ok, Problem };

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    AppEditor *editor() const { return m_editor; }
    DeployWizard *deployWizard() const { return m_deployWizard; }
    // The Deploy action: the editor's definition to the wizard, on the Deploy page.
    void deploy();
    Page page() const;
    void setPage(Page page);
    // Replaces a page's placeholder with the real view (the window takes ownership).
    void setPageWidget(Page page, QWidget *widget);

    // Files without dialogs (the actions use these after asking for a path). Errors are shown
    // to the user and also returned.
    bool openFile(const QString &path);
    bool saveFile(const QString &path);
    // When there are unsaved changes, asks Save / Discard / Cancel; true when it is fine to go on.
    bool maybeSave();

    // 409 "locked by a deployment": asks whether to force. Answers come pre-set in tests
    // through MessageBox::setNextAnswer(Yes/No).
    bool askForce(const QStringList &deploymentIds);
    // Before updating an app that runs already: shows the diff against the running version
    // (both with Marathon's defaults) and asks to go ahead.
    bool confirmUpdate(const QJsonObject &runningApp);
    // The unified diff confirmUpdate() shows: running app -> this definition.
    QString updateDiff(const QJsonObject &runningApp) const;
    bool isLaunching() const { return m_launching; }

    // What the status bar says about Marathon, e.g. ("http://10.0.0.2:8080", "connected, v1.10").
    void setConnectionState(const QString &url, const QString &state, Tone tone = Tone::Neutral);

public slots:
    // The Launch action: checks the definition and emits launchRequested(definition, false).
    void launch();
    // Progress in words, e.g. "Deployment 3f2… in progress: 0/1 tasks running"; with a total,
    // the bar shows done/total.
    void setLaunchProgress(const QString &text, int done = -1, int total = -1);
    // The end of a launch; on failure `message` says what happened and what to do. The
    // definition in the editor is kept as it is either way.
    void setLaunchFinished(bool ok, const QString &message);
    // A 409: asks whether to force; emits launchRequested(definition, true) or ends the launch.
    void launchLocked(const QStringList &deploymentIds);
    // A 422: the errors land on the editor's fields and the launch ends with `message`.
    void showServerErrors(const QList<pier::FieldError> &errors, const QString &message = {});
    void showChangesSinceSaved();
    void validate();

signals:
    void launchRequested(const pier::marathon::AppDefinition &definition, bool force);
    void launchCancelRequested();
    // After setLaunchFinished(): for a desktop notification when the window is in the background.
    void launchFinished(bool ok, const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void createActions();
    QWidget *createAppsPage();
    QWidget *createPlaceholder(const QString &title, const QString &text);
    void newFromTemplate();
    void open();
    bool save();
    bool saveAs();
    void updateTitle();
    void showLaunchState(Tone tone, const QString &text, bool busy);
    void showFileError(const QString &title, const QString &message);
    QString lastDirectory() const;
    void rememberDirectory(const QString &path);

    AppEditor *m_editor = nullptr;
    DeployWizard *m_deployWizard = nullptr;
    QAction *m_deployAction = nullptr;
    QListWidget *m_sidebar = nullptr;
    QStackedWidget *m_pages = nullptr;
    QLabel *m_connection = nullptr;

    QWidget *m_launchPanel = nullptr;
    QLabel *m_launchIcon = nullptr;
    QLabel *m_launchStatus = nullptr;
    QProgressBar *m_launchBusy = nullptr;
    QPushButton *m_launchButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
    bool m_launching = false;
    QString m_marathonUrl;

    QAction *m_newAction = nullptr;
    QAction *m_openAction = nullptr;
    QAction *m_saveAction = nullptr;
    QAction *m_saveAsAction = nullptr;
    QAction *m_validateAction = nullptr;
    QAction *m_launchAction = nullptr;
    QAction *m_diffAction = nullptr;
    QAction *m_quitAction = nullptr;
};

} // namespace pier::ui
