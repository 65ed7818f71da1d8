#include "cli/deploycmd.h"

#include "cli/connection.h"
#include "cli/gcecmd.h"
#include "cli/vpncmd.h"
#include "core/profilestore.h"
#include "deploy/deployplan.h"
#include "diagnosis/diagnosisjob.h"
#include "marathon/marathonclient.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QTextStream>
#include <memory>

namespace pier::cli {

namespace {

using deploy::DeployPlan;
using deploy::DeploySetup;

QTextStream &dout()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &derr()
{
    static QTextStream s(stderr);
    return s;
}

int fail(const QString &message, int code = 1)
{
    derr() << "pier: " << message << "\n";
    derr().flush();
    return code;
}

QUrl serviceUrl(const QString &text, int defaultPort)
{
    if (text.isEmpty())
        return {};
    QUrl url = QUrl::fromUserInput(
        text.contains(QLatin1String("://")) ? text : QStringLiteral("http://") + text);
    if (url.port() < 0)
        url.setPort(defaultPort);
    return url;
}

} // namespace

DeployJourney::DeployJourney() : owner(std::make_unique<QObject>()) {}
DeployJourney::~DeployJourney() = default;

bool prepareDeploy(const QCommandLineParser &p, const marathon::AppDefinition &app, int port,
                   DeployJourney *j, QString *error)
{
    DeploySetup &s = j->setup;
    const ProfileStore store;
    s.profileName = p.value(QStringLiteral("profile"));
    if (s.profileName.isEmpty())
        s.profileName = store.activeName();
    if (!s.profileName.isEmpty()) {
        ApiError e;
        if (!store.find(s.profileName, &s.profile, &e)) {
            *error = e.toText();
            return false;
        }
    }
    s.app = app;

    ApiError e;
    const MarathonTarget target = resolveMarathon(p.value(QStringLiteral("marathon")), &e,
                                                  s.profileName, p.value(QStringLiteral("proxy")));
    if (e) {
        *error = e.toText();
        return false;
    }
    // PIER_REQUEST_TIMEOUT: how long one call may go unanswered before it counts as lost
    // (a flaky network, the sandbox's faults); the defaults suit a healthy cluster.
    const int requestTimeoutMs = qEnvironmentVariableIntValue("PIER_REQUEST_TIMEOUT") * 1000;
    marathon::MarathonConfig marathonConfig = target.config;
    if (requestTimeoutMs > 0)
        marathonConfig.timeoutMs = requestTimeoutMs;
    j->marathon = std::make_unique<marathon::MarathonClient>(marathonConfig);
    s.marathon = j->marathon.get();
    if (s.profile.socksProxy.isEmpty())
        s.profile.socksProxy = target.config.socksProxy;

    GceOverrides o;
    for (const char *name : {"project", "region", "zone", "endpoint", "key-file", "network"}) {
        const QString v = p.value(QLatin1String(name)).trimmed();
        if (qstrcmp(name, "project") == 0)
            o.project = v;
        else if (qstrcmp(name, "region") == 0)
            o.region = v;
        else if (qstrcmp(name, "zone") == 0)
            o.zone = v;
        else if (qstrcmp(name, "endpoint") == 0)
            o.endpoint = v;
        else if (qstrcmp(name, "key-file") == 0)
            o.keyFile = v;
        else
            o.network = v;
    }
    for (const QString &n :
         p.value(QStringLiteral("instances")).split(QLatin1Char(','), Qt::SkipEmptyParts))
        o.instances << n.trimmed();
    GceSetup gce;
    if (!gceSetup(s.profile, o, j->owner.get(), &gce, &e)) {
        *error = e.toText();
        return false;
    }
    s.gce = gce.client;
    if (requestTimeoutMs > 0 && s.gce) {
        gce::GceConfig c = s.gce->config();
        c.timeoutMs = requestTimeoutMs;
        c.waitTimeoutMs = 4 * requestTimeoutMs; // an operation's /wait is held while it runs
        s.gce->setConfig(c);
    }
    s.target = gce.target;
    s.target.port = port;
    s.target.healthCheck = p.isSet(QStringLiteral("health-check"));

    // Marathon and Mesos as the reachability proof and node discovery see them.
    const QUrl marathonUrl = target.config.urls.value(0);
    QString mesos = p.value(QStringLiteral("mesos"));
    if (mesos.isEmpty())
        mesos = qEnvironmentVariable("PIER_MESOS_URL", s.profile.mesosUrl);
    s.mesosUrl = mesos.isEmpty() ? diagnosis::defaultMesosUrl(marathonUrl)
                                 : diagnosis::mesosUrlFromText(mesos);
    s.vpn.configPath = p.isSet(QStringLiteral("config")) ? p.value(QStringLiteral("config"))
                                                         : s.profile.vpnConfigFile;
    s.vpn.reach.marathon = marathonUrl;
    s.vpn.reach.mesos = serviceUrl(s.mesosUrl.toString(), 5050);
    s.vpn.reach.socksProxy = s.profile.socksProxy;
    if (p.isSet(QStringLiteral("timeout")))
        s.launchTimeoutMs = qMax(1, p.value(QStringLiteral("timeout")).toInt()) * 1000;
    s.journalPath = DeployPlan::journalPathFor(s.profileName, app.absoluteId());
    // As `pier vpn connect`: the environment, then the keychain; asked on the terminal only
    // when not --headless (a script has nobody to answer).
    const bool mayPrompt = !p.isSet(QStringLiteral("headless"));
    s.vpnCredentials = [profile = s.profileName, config = s.vpn.configPath, mayPrompt,
                        typed = j->typedVpn](const QString &,
                                             std::function<void(const vpn::Credentials &)> reply) {
        reply(vpnCredentials(profile, config, mayPrompt, typed.get()));
    };
    return true;
}

bool prepareDeploy(const QString &profile, const marathon::AppDefinition &app, int port,
                   DeployJourney *j, QString *error)
{
    // The options prepareDeploy() reads, none set but the profile: the profile decides the rest.
    // Headless: a caller without a terminal (the window, a benchmark) asks in its own way.
    QCommandLineParser p;
    for (const char *name : {"profile", "marathon", "proxy", "mesos", "config", "timeout"})
        p.addOption({QLatin1String(name), QString(), QStringLiteral("VALUE")});
    p.addOption({QStringLiteral("headless"), QString()});
    addGceOptions(p);
    QStringList args{QStringLiteral("pier"), QStringLiteral("--headless")};
    if (!profile.isEmpty())
        args << QStringLiteral("--profile") << profile;
    if (!p.parse(args)) {
        *error = p.errorText();
        return false;
    }
    return prepareDeploy(p, app, port, j, error);
}

namespace {

// Runs the plan (or its teardown) with one line per step change on stderr.
bool run(DeployPlan *plan, bool teardown, QString *failedStep, QString *failure)
{
    QElapsedTimer clock;
    clock.start();
    auto stamp = [&] { return QStringLiteral("[%1s] ").arg(clock.elapsed() / 1000.0, 5, 'f', 1); };
    QObject::connect(plan, &DeployPlan::stepStateChanged, plan,
                     [&](const QString &, const QString &title, PlanRunner::StepState state,
                         const QString &message) {
                         if (state == PlanRunner::StepState::Pending)
                             return;
                         derr() << stamp() << title << ": " << PlanRunner::stateName(state);
                         if (!message.isEmpty())
                             derr() << " — " << message;
                         derr() << "\n";
                         derr().flush();
                     });
    QString lastProgress;
    QObject::connect(plan, &DeployPlan::stepProgress, plan,
                     [&](const QString &id, const QString &text) {
                         if (text == lastProgress)
                             return;
                         lastProgress = text;
                         // Named as in the state lines, so a reader (or a script) can follow one
                         // step through the interleaved lines of the steps running beside it.
                         const Step *s = plan->runner()->step(id);
                         derr() << stamp() << "  " << (s ? s->title() : id) << ": " << text << "\n";
                         derr().flush();
                     });
    bool ok = false;
    QEventLoop loop;
    QObject::connect(plan, &DeployPlan::finished, &loop, [&](bool success) {
        ok = success;
        loop.quit();
    });
    if (teardown)
        plan->teardown();
    else
        plan->start();
    loop.exec();
    if (!ok) {
        // The first step that failed (in plan order) is the one to name.
        for (Step *s : plan->steps()) {
            const PlanRunner::StepState st = plan->runner()->state(s->id());
            if (st == PlanRunner::StepState::Failed || st == PlanRunner::StepState::Cancelled) {
                const StepResult r = plan->runner()->lastResult(s->id());
                *failedStep = s->title();
                *failure = r.error.isError() ? r.error.toText() : r.message;
                break;
            }
        }
    }
    return ok;
}

} // namespace

int cmdDeploy(const QCommandLineParser &parser, const QStringList &args)
{
    if (args.size() != 1)
        return fail(QStringLiteral("deploy needs exactly one FILE (an app definition).\nTry "
                                   "'pier --help'."),
                    2);
    QFile file(args.first());
    if (!file.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("%1: cannot read: %2").arg(args.first(), file.errorString()), 2);
    marathon::JsonParseError parseError;
    const marathon::AppDefinition app = marathon::AppDefinition::parse(file.readAll(), &parseError);
    if (parseError.isError())
        return fail(QStringLiteral("%1:%2:%3: %4")
                        .arg(args.first())
                        .arg(parseError.line)
                        .arg(parseError.column)
                        .arg(parseError.message),
                    2);
    const QList<marathon::ValidationIssue> issues = marathon::validateApp(app);
    if (!issues.isEmpty()) {
        for (const marathon::ValidationIssue &issue : issues)
            derr() << args.first() << ": " << issue.path << ": " << issue.message << "\n";
        return fail(QStringLiteral("not deployed: Marathon would reject this definition."));
    }
    int port = DeployPlan::servicePort(app);
    if (parser.isSet(QStringLiteral("port"))) {
        bool ok = false;
        port = parser.value(QStringLiteral("port")).toInt(&ok);
        if (!ok || port < 1 || port > 65535)
            return fail(QStringLiteral("--port needs a port number from 1 to 65535."), 2);
    }
    DeployJourney j;
    QString error;
    if (!prepareDeploy(parser, app, port, &j, &error))
        return fail(error);
    DeployPlan plan(j.setup);
    if (!plan.loadJournal(&error))
        return fail(error);
    // Credentials typed for the VPN are kept once it came up with them (verifying follows apply).
    QObject::connect(
        &plan, &DeployPlan::stepStateChanged, &plan,
        [typed = j.typedVpn](const QString &id, const QString &, PlanRunner::StepState state,
                             const QString &) {
            if (id == QLatin1String("vpn.connect") &&
                (state == PlanRunner::StepState::Verifying || state == PlanRunner::StepState::Done))
                typed->save();
        });
    if (parser.isSet(QStringLiteral("script"))) {
        dout() << plan.script();
        dout().flush();
        return 0;
    }
    derr() << (plan.hasEarlierRun() ? "Resuming the deployment of " : "Deploying ")
           << app.absoluteId() << " on port " << port << " (profile "
           << (j.setup.profileName.isEmpty() ? QStringLiteral("none") : j.setup.profileName)
           << ", journal " << j.setup.journalPath << ")\n";
    derr().flush();
    QString failedStep, failure;
    if (!run(&plan, false, &failedStep, &failure)) {
        derr() << "pier: deploy failed at \"" << failedStep << "\": " << failure << "\n"
               << "Run `pier deploy " << args.first()
               << "` again to continue where it stopped, or `pier undeploy " << app.absoluteId()
               << "` to remove what Pier made.\n";
        derr().flush();
        return 1;
    }
    dout() << plan.url() << "\n";
    dout().flush();
    return 0;
}

int cmdUndeploy(const QCommandLineParser &parser, const QStringList &args)
{
    if (args.size() > 1)
        return fail(QStringLiteral("undeploy takes at most one APP_ID.\nTry 'pier --help'."), 2);
    const ProfileStore store;
    QString profile = parser.value(QStringLiteral("profile"));
    if (profile.isEmpty())
        profile = store.activeName();
    QString journalPath;
    if (!args.isEmpty()) {
        QString id = args.first();
        if (!id.startsWith(QLatin1Char('/')))
            id.prepend(QLatin1Char('/'));
        journalPath = DeployPlan::journalPathFor(profile, id);
        if (!QFileInfo::exists(journalPath)) {
            dout() << "Nothing to undeploy: Pier has no record of deploying " << id
                   << " with profile " << (profile.isEmpty() ? QStringLiteral("(none)") : profile)
                   << ".\n";
            dout().flush();
            return 0;
        }
    } else {
        const QStringList journals = DeployPlan::journalsOf(profile);
        if (journals.isEmpty()) {
            dout() << "Nothing to undeploy: Pier has deployed nothing with profile "
                   << (profile.isEmpty() ? QStringLiteral("(none)") : profile) << ".\n";
            dout().flush();
            return 0;
        }
        if (journals.size() > 1) {
            QStringList ids;
            for (const QString &path : journals) {
                marathon::AppDefinition app;
                int port = 0;
                if (DeployPlan::loadMeta(path, &app, &port, nullptr))
                    ids << app.absoluteId();
            }
            return fail(QStringLiteral("several deployments with this profile (%1): name the one "
                                       "to remove, e.g. pier undeploy %2")
                            .arg(ids.join(QStringLiteral(", ")), ids.value(0)),
                        2);
        }
        journalPath = journals.first();
    }
    marathon::AppDefinition app;
    int port = 80;
    QString error;
    if (!DeployPlan::loadMeta(journalPath, &app, &port, &error))
        return fail(error);
    DeployJourney j;
    if (!prepareDeploy(parser, app, port, &j, &error))
        return fail(error);
    j.setup.journalPath = journalPath;
    DeployPlan plan(j.setup);
    if (!plan.loadJournal(&error))
        return fail(error);
    derr() << "Removing what Pier made for " << app.absoluteId() << " (port " << port << ")\n";
    derr().flush();
    QString failedStep, failure;
    if (!run(&plan, true, &failedStep, &failure)) {
        derr() << "pier: undeploy stopped at \"" << failedStep << "\": " << failure << "\n"
               << "Nothing after it was removed; run `pier undeploy " << app.absoluteId()
               << "` again.\n";
        derr().flush();
        return 1;
    }
    dout() << "Removed " << app.absoluteId()
           << " and everything Pier made for it (the nodes' rules, the GCE resources, the app); "
              "nothing else was touched.\n";
    dout().flush();
    return 0;
}

} // namespace pier::cli
