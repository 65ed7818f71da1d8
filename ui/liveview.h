#pragma once

#include "marathon/livemodel.h"

#include <QDateTime>
#include <QPointer>
#include <QString>
#include <QUrl>
#include <QWidget>
#include <functional>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;
class QTableWidget;
class QTimer;

namespace pier::mesos {
class MesosClient;
}
namespace pier::diagnosis {
class DiagnosisJob;
}

namespace pier::ui {

class LiveAppsModel;
class LiveChart;

// The Live page: the apps with their counts and health, the selected app's tasks and
// deployments, a chart of the last minutes, and actions on them (scale, restart, suspend,
// destroy, kill, roll back, cancel a deployment) whose progress and result show in place.
// It follows a LiveModel; the actions go through the model's MarathonClient.
class LiveView : public QWidget {
    Q_OBJECT
public:
    explicit LiveView(marathon::LiveModel *model, QWidget *parent = nullptr);
    ~LiveView() override;

    marathon::LiveModel *model() const { return m_model; }
    QString selectedApp() const;
    void selectApp(const QString &appId);

    // For tests and the status bar: the line that says how current the view is, and the
    // result of the last action ("Scaled /web to 3: deployment 1a2b3c4d finished.").
    QString statusLine() const;
    QString actionResult() const;

    // "Why is it waiting?": the Mesos master the diagnosis asks (default: Marathon's host on
    // port 5050). The view runs it by itself when the selected app has waited a while, and on
    // the button; the text stays until the app stops waiting or another app is selected.
    void setMesosUrl(const QUrl &url);
    void diagnose();
    QString diagnosisText() const;

private:
    void buildUi();
    void updateStatus();
    void onSelectionChanged();
    void refreshTasks();
    void refreshDeployments();
    void refreshActions();
    void sampleChart();
    void loadVersions(const QString &appId);

    // Runs an action: shows "<doing>…" in place, asks before overriding a deployment lock
    // (409), and ends in "<done>" or what went wrong and what to do.
    void runAction(const QString &appId, const QString &doing, const QString &done,
                   const std::function<marathon::MarathonReply *(bool force)> &call);
    void setActionText(const QString &text, int accent);

    void scale();
    void restart();
    void suspend();
    void destroy();
    void killSelectedTask(bool scale);
    void rollback();
    void cancelDeployment(bool rollback);
    void resetDelay();
    bool selectedAppWaits() const;
    void watchWaiting();

    QPointer<marathon::LiveModel> m_model;
    marathon::MarathonClient *m_client = nullptr;
    LiveAppsModel *m_apps = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;

    QLabel *m_status = nullptr;
    QLineEdit *m_filter = nullptr;
    QPushButton *m_refresh = nullptr;
    QTableView *m_table = nullptr;
    QLabel *m_appTitle = nullptr;
    QSpinBox *m_instances = nullptr;
    QPushButton *m_scale = nullptr;
    QPushButton *m_restart = nullptr;
    QPushButton *m_suspend = nullptr;
    QPushButton *m_destroy = nullptr;
    QComboBox *m_versions = nullptr;
    QPushButton *m_rollback = nullptr;
    QLabel *m_action = nullptr;
    QTableWidget *m_tasks = nullptr;
    QPushButton *m_kill = nullptr;
    QPushButton *m_killScale = nullptr;
    QLabel *m_failure = nullptr;
    QTableWidget *m_deployments = nullptr;
    QPushButton *m_cancelRollback = nullptr;
    QPushButton *m_cancelKeep = nullptr;
    LiveChart *m_chart = nullptr;
    QTimer *m_ticker = nullptr;

    QString m_selected;
    QString m_versionsFor;
    bool m_busy = false;
    QString m_watchDeployment; // the deployment the last action started, followed to its end
    QString m_watchDone;
    bool m_tasksDirty = false;

    QPushButton *m_why = nullptr;
    QPushButton *m_resetDelay = nullptr;
    QLabel *m_diagnosis = nullptr;
    QUrl m_mesosUrl;
    std::unique_ptr<mesos::MesosClient> m_mesos;
    QPointer<diagnosis::DiagnosisJob> m_job;
    QString m_diagnosedApp;
    QDateTime m_waitingSince;
    QDateTime m_lastDiagnosis;
};

} // namespace pier::ui
