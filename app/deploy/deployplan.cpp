#include "deploy/deployplan.h"

#include "core/profilestore.h"
#include "deploy/nodesfirewallstep.h"
#include "deploy/pagestep.h"
#include "marathon/launchstep.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace pier::deploy {

namespace {

QString metaPath(const QString &journalPath)
{
    QString p = journalPath;
    if (p.endsWith(QLatin1String(".json")))
        p.chop(5);
    return p + QStringLiteral(".meta");
}

QString safeName(QString s)
{
    if (s.startsWith(QLatin1Char('/')))
        s.remove(0, 1);
    for (QChar &c : s) {
        if (!c.isLetterOrNumber() && c != QLatin1Char('-') && c != QLatin1Char('.'))
            c = QLatin1Char('_');
    }
    return s.isEmpty() ? QStringLiteral("_") : s;
}

} // namespace

DeployPlan::DeployPlan(const DeploySetup &setup, QObject *parent)
    : QObject(parent), m_setup(setup), m_journal(setup.journalPath)
{
    m_runner = new PlanRunner(this);
    m_runner->setMaxParallel(8);
    m_runner->setJournal(&m_journal);

    auto *vpn = new vpn::VpnStep(setup.vpn);
    if (setup.vpnCredentials)
        vpn->setCredentialsProvider(setup.vpnCredentials);
    else
        vpn->setCredentialsProvider([](const QString &,
                                       std::function<void(const vpn::Credentials &)> reply) {
            // Headless: the environment only (the window asks, the CLI's vpn command prompts).
            vpn::Credentials c;
            c.user = qEnvironmentVariable("PIER_VPN_USER");
            c.password = qEnvironmentVariable("PIER_VPN_PASSWORD");
            c.ok = !c.user.isEmpty();
            if (!c.ok)
                c.error = QStringLiteral("OpenVPN asks for a user name and password: set "
                                         "PIER_VPN_USER and PIER_VPN_PASSWORD, or connect first "
                                         "with `pier vpn connect`.");
            reply(c);
        });
    auto *launch = new marathon::LaunchStep(setup.marathon, setup.app);
    launch->setWait(true);
    launch->setTimeoutMs(setup.launchTimeoutMs);
    launch->setDependsOn({vpn->id()});

    m_gce = new gce::GceContext(setup.gce, setup.target, this);
    const QList<Step *> gceSteps = gce::makeGceSteps(m_gce);

    auto *nodes = new NodesFirewallStep(setup.profile, setup.mesosUrl, quint16(setup.target.port));
    nodes->setDependsOn({vpn->id()});

    auto *page = new PageStep(setup.target.port, setup.profile.socksProxy);
    page->setTimeoutMs(setup.pageTimeoutMs);
    QStringList all{launch->id(), nodes->id()};
    for (Step *s : gceSteps)
        all << s->id();
    page->setDependsOn(all);

    // Added in dependency order: the runner's teardown goes backwards (rules, GCE, app).
    m_runner->addStep(vpn);
    m_runner->addStep(launch);
    for (Step *s : gceSteps)
        m_runner->addStep(s);
    m_runner->addStep(nodes);
    m_runner->addStep(page);

    for (Step *s : m_runner->steps()) {
        connect(s, &Step::logLine, this,
                [this, id = s->id()](const QString &line) { emit logLine(id, line); });
    }
    connect(m_runner, &PlanRunner::stepProgress, this, &DeployPlan::stepProgress);
    connect(m_runner, &PlanRunner::stepStateChanged, this,
            [this](const QString &id, PlanRunner::StepState state, const QString &message) {
                // Mark the step as ours before apply() runs: a crash mid-apply must still let
                // teardown remove what it may have made (check() then adopts it on resume).
                if (state == PlanRunner::StepState::Applying) {
                    PlanJournal::Entry e = m_journal.entry(id);
                    e.applied = true;
                    // What check() found to do ("tags.pending"): what undo removes if apply
                    // never gets to say what it made.
                    e.outputs.insert(m_runner->lastResult(id).outputs);
                    e.updated = QDateTime::currentDateTimeUtc();
                    m_journal.setEntry(id, e);
                    m_journal.save();
                }
                Step *s = m_runner->step(id);
                emit stepStateChanged(id, s ? s->title() : id, state, message);
            });
    connect(m_runner, &PlanRunner::finished, this, [this](bool ok) {
        if (ok && m_tearingDown) {
            // Everything Pier made is gone: nothing left to resume or tear down.
            QFile::remove(m_journal.path());
            QFile::remove(metaPath(m_journal.path()));
        }
        m_tearingDown = false;
        emit finished(ok);
    });
}

bool DeployPlan::loadJournal(QString *error)
{
    return m_journal.load(error);
}

bool DeployPlan::hasEarlierRun() const
{
    for (const QString &id : m_journal.stepIds()) {
        const PlanJournal::Entry e = m_journal.entry(id);
        if (e.applied || e.state == PlanJournal::State::Done)
            return true;
    }
    return false;
}

void DeployPlan::start()
{
    m_tearingDown = false;
    saveMeta(nullptr);
    m_runner->start();
}

void DeployPlan::teardown()
{
    m_tearingDown = true;
    m_runner->undoAll();
}

void DeployPlan::cancel()
{
    m_runner->cancel();
}

QString DeployPlan::url() const
{
    const QVariantMap out = m_runner->outputs();
    const QString page = out.value(QStringLiteral("page.url")).toString();
    if (!page.isEmpty())
        return page;
    const QString ip = out.value(QStringLiteral("rule.ip")).toString();
    return ip.isEmpty() ? QString() : PageStep::urlFor(ip, m_setup.target.port);
}

QString DeployPlan::script() const
{
    QStringList lines{
        QStringLiteral("#!/bin/sh"),
        QStringLiteral("# The Pier journey for %1 on port %2, as commands a person would type.")
            .arg(appId())
            .arg(port()),
        QStringLiteral("# Profile: %1. GCE: project %2, region %3, zone %4.")
            .arg(m_setup.profileName.isEmpty() ? QStringLiteral("(none)") : m_setup.profileName,
                 m_setup.target.project, m_setup.target.region, m_setup.target.zone),
        QStringLiteral("set -e"),
    };
    if (!m_setup.profile.socksProxy.isEmpty())
        lines << QStringLiteral("# Cluster addresses are reached through the SOCKS5 proxy %1; the "
                                "curl and ssh lines below go through it.")
                     .arg(m_setup.profile.socksProxy);
    int n = 0;
    for (Step *s : m_runner->steps()) {
        lines << QString() << QStringLiteral("# %1. %2").arg(++n).arg(s->title());
        const QString cmd = s->equivalentCommand();
        lines << (cmd.isEmpty() ? QStringLiteral(": # nothing to type") : cmd);
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QString DeployPlan::journalPathFor(const QString &profile, const QString &appId)
{
    return QDir(ProfileStore::defaultDirectory())
        .filePath(QStringLiteral("deploy/%1--%2.json")
                      .arg(safeName(profile.isEmpty() ? QStringLiteral("default") : profile),
                           safeName(appId)));
}

QStringList DeployPlan::journalsOf(const QString &profile)
{
    const QDir dir(QDir(ProfileStore::defaultDirectory()).filePath(QStringLiteral("deploy")));
    const QString prefix =
        safeName(profile.isEmpty() ? QStringLiteral("default") : profile) + QStringLiteral("--");
    QStringList out;
    for (const QString &f : dir.entryList({prefix + QStringLiteral("*.json")}, QDir::Files))
        out << dir.filePath(f);
    return out;
}

int DeployPlan::servicePort(const marathon::AppDefinition &app)
{
    for (const marathon::PortMapping &p : app.portMappings()) {
        if (p.servicePort > 0)
            return p.servicePort;
    }
    return 80;
}

bool DeployPlan::saveMeta(QString *error) const
{
    const QString path = metaPath(m_journal.path());
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile f(path);
    const QJsonObject o{{QStringLiteral("app"), m_setup.app.json()},
                        {QStringLiteral("port"), m_setup.target.port},
                        {QStringLiteral("profile"), m_setup.profileName}};
    if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(o).toJson()) < 0 || !f.commit()) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

bool DeployPlan::loadMeta(const QString &journalPath, marathon::AppDefinition *app, int *port,
                          QString *error)
{
    const QString path = metaPath(journalPath);
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = tr("Cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    *app = marathon::AppDefinition(o.value(QStringLiteral("app")).toObject());
    *port = o.value(QStringLiteral("port")).toInt(80);
    if (app->id().isEmpty()) {
        if (error)
            *error = tr("%1 is damaged: no app id.").arg(path);
        return false;
    }
    return true;
}

} // namespace pier::deploy
