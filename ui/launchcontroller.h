#pragma once

#include "marathon/appdefinition.h"

#include <QObject>
#include <QPointer>

class QTimer;

namespace pier {
class PlanRunner;
}
namespace pier::marathon {
class MarathonClient;
}

namespace pier::ui {

class MainWindow;

// Joins the main window to the core: Launch runs the plan's "Launch on Marathon" step through
// the same PlanRunner and LaunchStep the command line uses, and reports back in the window's
// words. It also keeps the status bar's word on Marathon current.
class LaunchController : public QObject {
    Q_OBJECT
public:
    // client may be null: no Marathon configured; the window then says how to set one.
    LaunchController(MainWindow *window, marathon::MarathonClient *client,
                     QObject *parent = nullptr);

    void setPollIntervalMs(int ms) { m_pollMs = ms; }
    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    void refreshConnection();

private:
    void onLaunchRequested(const marathon::AppDefinition &definition, bool force);
    void runPlan(const marathon::AppDefinition &definition, bool force);
    void onPlanFinished(bool ok);

    QPointer<MainWindow> m_window;
    QPointer<marathon::MarathonClient> m_client;
    PlanRunner *m_runner = nullptr;
    QTimer *m_heartbeat = nullptr;
    int m_pollMs = 500;
    int m_timeoutMs = 10 * 60 * 1000;
};

} // namespace pier::ui
