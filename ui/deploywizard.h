#pragma once

#include "core/plan.h"
#include "marathon/appdefinition.h"

#include <QHash>
#include <QPointer>
#include <QSet>
#include <QWizard>
#include <QWizardPage>
#include <functional>
#include <memory>

class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QScrollArea;
class QDialog;
class QGridLayout;
class QVBoxLayout;

namespace pier::cli {
struct DeployJourney;
}
namespace pier::deploy {
class DeployPlan;
}
namespace pier::vpn {
struct Credentials;
}

namespace pier::ui {

class CommandLog;
class DeployWizard;

// One page of the journey: what its steps do in plain words, the command a person would type,
// the check's verdict, progress and log, and Run / Skip / Undo. The steps run through the
// wizard's one plan, so what they need from earlier pages comes along.
class DeployStepPage : public QWizardPage {
    Q_OBJECT
public:
    DeployStepPage(DeployWizard *wizard, const QString &title, const QStringList &stepIds);

    QStringList stepIds() const { return m_ids; }
    // The steps of this page that exist in the plan (the health check is optional).
    QStringList presentIds() const;
    void planChanged();  // a new plan (or none): texts and state from it
    bool isDone() const; // every step of the page is done
    // Next: when done, and also after a failure, which blocks only what depends on it.
    bool isComplete() const override;
    void initializePage() override;
    QVBoxLayout *extraLayout() const { return m_extra; } // for page-specific widgets
    CommandLog *log() const { return m_log; }
    QString verdict() const; // the words in the verdict line (tests read it)
    bool isChecking() const { return m_checking > 0; }
    bool nothingToUndo(const QString &id) const { return m_nothingToUndo.contains(id); }

    // The page's verbs, as its buttons do them.
    void runSteps();
    void skipSteps();
    void undoSteps();
    void precheck(); // check() each step whose inputs are there; all done → run (passes by itself)

    void onStepState(const QString &id, PlanRunner::StepState state, const QString &message);
    void onStepProgress(const QString &id, const QString &text);
    void onLogLine(const QString &id, const QString &line);
    void updateButtons();
    void settle(); // after a run: the verdict in view, focus where the next key press goes

signals:
    void stepLine(const QString &id, const QString &line); // for page-specific views

private:
    QString skipRefusal() const; // empty when Skip is safe
    QString undoRefusal() const; // empty when there is something to undo, and it is safe
    void showVerdict();
    void refreshCommands();

    DeployWizard *m_wizard;
    QStringList m_ids;
    QScrollArea *m_scroll = nullptr;
    QLabel *m_intro = nullptr;
    QPlainTextEdit *m_commands = nullptr;
    QVBoxLayout *m_rows = nullptr;
    QHash<QString, QLabel *> m_rowLabels;
    QLabel *m_verdict = nullptr;
    QLabel *m_progressText = nullptr;
    QProgressBar *m_busy = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_skip = nullptr;
    QPushButton *m_undo = nullptr;
    QPushButton *m_stop = nullptr;
    QLabel *m_why = nullptr;
    QVBoxLayout *m_extra = nullptr;
    CommandLog *m_log = nullptr;
    int m_checking = 0;
    int m_checkGeneration = 0;
    QHash<QString, StepResult> m_checked;  // precheck verdicts
    QHash<QString, bool> m_appliedThisRun; // apply ran: not "already done"
    QHash<QString, QString> m_messages;    // last message per step
    QSet<QString> m_nothingToUndo;         // skipped by an undo: Pier had made nothing
};

// The deployment wizard (DESIGN.md §8, issue 7): a QWizard over one DeployPlan, from the
// private network to the page answering on the public address. Lives in the window's Deploy
// page; the Apps editor's "Deploy…" hands it the definition. The plan's journal (per profile
// and app) is saved as it runs: closing mid-way loses nothing, and opening the wizard again
// for the same app offers to resume.
class DeployWizard : public QWizard {
    Q_OBJECT
public:
    enum PageId {
        ConnectPage,
        AppPage,
        LaunchPage,
        AddressPage,
        PoolPage,
        RulePage,
        FirewallPage,
        NodesPage,
        VerifyPage
    };
    Q_ENUM(PageId)

    explicit DeployWizard(QWidget *parent = nullptr);
    ~DeployWizard() override;

    // The profile the journey runs with (empty: the active one). Rebuilds the plan when idle.
    void setProfileName(const QString &name);
    QString profileName() const { return m_profile; }
    // The app to deploy. A different definition (when nothing runs) makes a new plan; a
    // journal of an earlier run for it offers to resume.
    void setApp(const marathon::AppDefinition &app);
    marathon::AppDefinition app() const { return m_app; }
    bool hasApp() const { return m_hasApp; }

    deploy::DeployPlan *plan() const { return m_plan; }
    PlanRunner *runner() const;
    QString setupError() const { return m_setupError; }
    bool isBusy() const; // a run, a check or a teardown in flight
    bool isUndoing() const { return m_work == Work::Undo || m_work == Work::Teardown; }
    DeployStepPage *stepPage(PageId id) const;

    void runAllRemaining(); // the rest, as `pier deploy` does (in parallel)
    void stop();            // cancels the run in flight; the journal keeps what it made
    void tearDown();        // asks first, naming what goes
    void exportScript();    // asks where
    bool exportScriptTo(const QString &path, QString *error = nullptr) const;
    QString statusText() const;
    // Files chosen without a dialog (tests).
    void setScriptTarget(const QString &path) { m_scriptTarget = path; }
    // Tests: what the next VPN user-name-and-password dialog answers (used once).
    static void setNextVpnAnswer(const vpn::Credentials &answer);

    // For pages: start / track plan work.
    void startRun(const QStringList &ids);
    void startUndo(const QStringList &ids);
    bool checksHeld() const { return m_holdChecks; } // after a teardown: show, do not check
    bool pageDone(int id) const;
    void checkStarted();
    void checkFinished();

signals:
    void editAppRequested(); // "Edit in the Apps page"
    void busyChanged(bool busy);
    void planRebuilt();
    void runFinished(bool ok); // a page's run, run-all or teardown ended

protected:
    void reject() override; // embedded in the window: nothing to close; cancels work in flight

private:
    enum class Work { None, Run, RunAll, Undo, Teardown };
    void rebuild();
    void askVpnCredentials(const QString &realm,
                           std::function<void(const vpn::Credentials &)> reply);
    void showVpnSignIn(const QString &realm, const QString &keychainBase,
                       const ApiError &keychainError,
                       std::function<void(const vpn::Credentials &)> reply);
    void onVpnOutcome(PlanRunner::StepState state, const QString &message);
    void setStatus(const QString &text);
    void updateOverview();
    void updateCustomButtons();
    void onFinished(bool ok);
    QWidget *createAppPage();
    QWidget *createNodesExtras(DeployStepPage *page);
    QWidget *createVerifyExtras(DeployStepPage *page);
    void refreshAppPage();
    void refreshVerify();
    void nodeLine(const QString &line, bool progress);
    void nodesFinished();
    QString pageName(int id) const;

    QString m_profile;
    marathon::AppDefinition m_app;
    bool m_hasApp = false;
    std::unique_ptr<cli::DeployJourney> m_journey;
    deploy::DeployPlan *m_plan = nullptr;
    QString m_setupError;
    Work m_work = Work::None;
    int m_checks = 0;
    bool m_holdChecks = false;
    QString m_scriptTarget;
    QHash<int, DeployStepPage *> m_stepPages;
    // The VPN sign-in: its dialog while open; what to remember once the server accepts it;
    // whether the server rejected the last answer (then the keychain's is not offered again).
    QPointer<QDialog> m_vpnDialog;
    struct PendingVpnSecret {
        QString base, user, password;
    };
    PendingVpnSecret m_pendingVpnSecret;
    bool m_vpnRejected = false;

    QListWidget *m_overview = nullptr;
    QLabel *m_status = nullptr;
    // App page
    QWizardPage *m_appPage = nullptr;
    QLabel *m_appSummary = nullptr;
    QLabel *m_appIssues = nullptr;
    QLabel *m_appJournal = nullptr;
    // Nodes page: a pane per node
    QGridLayout *m_nodeGrid = nullptr;
    struct NodePane {
        QLabel *state = nullptr;
        QPlainTextEdit *log = nullptr;
    };
    QHash<QString, NodePane> m_nodePanes;
    QLabel *m_nodesNone = nullptr;
    // Verify page
    QLabel *m_pageStatus = nullptr;
    QLabel *m_pageTitle = nullptr;
    QLineEdit *m_url = nullptr;
    QPushButton *m_copyUrl = nullptr;
    QPushButton *m_openUrl = nullptr;
};

} // namespace pier::ui
