#pragma once

#include "core/plan.h"
#include "core/profile.h"
#include "gce/gcesteps.h"
#include "marathon/appdefinition.h"
#include "vpn/vpnstep.h"

#include <QObject>
#include <QUrl>

namespace pier::marathon {
class MarathonClient;
}

namespace pier::deploy {

// Everything one journey works with. The clients are made by the caller (the CLI, the wizard)
// from the profile and are not owned.
struct DeploySetup {
    QString profileName;
    Profile profile; // SSH to the nodes, the SOCKS proxy
    marathon::AppDefinition app;
    marathon::MarathonClient *marathon = nullptr;
    gce::GceClient *gce = nullptr;
    gce::GceTarget target; // target.port: the app's service port
    vpn::VpnStep::Options vpn;
    // Asked when OpenVPN wants a user name and password; empty: PIER_VPN_USER/PASSWORD only.
    vpn::CredentialsProvider vpnCredentials;
    QUrl mesosUrl;       // node discovery
    QString journalPath; // see journalPathFor()
    int launchTimeoutMs = 5 * 60 * 1000;
    int pageTimeoutMs = 3 * 60 * 1000;
};

// The whole journey as one plan (DESIGN.md §3): connect → launch the app → the GCE steps
// (address, pool, nodes, forwarding rule, tags, network, firewall) → the port on every node's
// iptables → fetch the page from the external address. The GCE steps run beside the launch; the
// journal is saved as the plan runs, so running it again resumes and creates nothing twice.
// Teardown goes backwards: the nodes' rules, the GCE resources, the app — only what Pier made.
// A view (the CLI's progress lines, a wizard) connects to the signals.
class DeployPlan : public QObject {
    Q_OBJECT
public:
    explicit DeployPlan(const DeploySetup &setup, QObject *parent = nullptr);

    // Loads the journal of an earlier run (resume / teardown). False with *error if damaged.
    bool loadJournal(QString *error);
    bool hasEarlierRun() const; // the journal records something Pier made or finished
    const PlanJournal &journal() const { return m_journal; }

    PlanRunner *runner() const { return m_runner; }
    QList<Step *> steps() const { return m_runner->steps(); }

    void start();    // the journey; finished() when it ends
    void teardown(); // undo what the journal says Pier made; finished() when it ends
    void cancel();

    QString url() const; // the public URL once the page answered (else the expected one)
    int port() const { return m_setup.target.port; }
    QString appId() const { return m_setup.app.absoluteId(); }

    // The journey as a shell script of the equivalent commands (curl, gcloud, ssh).
    QString script() const;

    // Where the journal of PROFILE's journey for APP_ID is kept, under Pier's config directory.
    static QString journalPathFor(const QString &profile, const QString &appId);
    // The journals of PROFILE's journeys (one per app), for `pier undeploy` without an app id.
    static QStringList journalsOf(const QString &profile);
    // The app's first service port, else 80.
    static int servicePort(const marathon::AppDefinition &app);

    // What undeploy needs besides the journal (the app's definition, the port), kept beside it.
    bool saveMeta(QString *error) const;
    static bool loadMeta(const QString &journalPath, marathon::AppDefinition *app, int *port,
                         QString *error);

signals:
    void stepStateChanged(const QString &stepId, const QString &title,
                          pier::PlanRunner::StepState state, const QString &message);
    void stepProgress(const QString &stepId, const QString &text);
    void logLine(const QString &stepId, const QString &line);
    void finished(bool ok);

private:
    DeploySetup m_setup;
    PlanJournal m_journal;
    PlanRunner *m_runner = nullptr;
    gce::GceContext *m_gce = nullptr;
    bool m_tearingDown = false;
};

} // namespace pier::deploy
