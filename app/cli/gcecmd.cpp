#include "cli/gcecmd.h"

#include "core/plan.h"
#include "core/profilestore.h"
#include "gce/credentials.h"
#include "gce/gceclient.h"
#include "gce/gcesteps.h"
#include "secrets/secretstore.h"

#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <memory>

namespace pier::cli {

namespace {

using namespace pier::gce;

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

int usage(const QString &message)
{
    err() << "pier: " << message << "\nTry 'pier --help'.\n";
    err().flush();
    return 2;
}

int fail(const ApiError &e)
{
    err() << "pier: " << e.toText() << "\n";
    err().flush();
    return 1;
}

// Everything one `pier gce` command works with; `owner` holds the Qt objects.
struct GceSession {
    std::unique_ptr<QObject> owner = std::make_unique<QObject>();
    GceTarget target;
    GceClient *client = nullptr;
    GceContext *context = nullptr;
    PlanJournal journal;
    QString who; // who the calls run as
};

QString option(const QCommandLineParser &p, const char *name)
{
    return p.value(QLatin1String(name)).trimmed();
}

AccessTokenSource *tokenSource(const QString &keyFileOverride, const Profile &profile,
                               QObject *parent, QString *project, ApiError *error)
{
    if (const QString token = qEnvironmentVariable("PIER_GCE_TOKEN"); !token.isEmpty())
        return new StaticTokenSource(token, parent);
    QString keyFile = keyFileOverride;
    if (keyFile.isEmpty() && profile.gceCredentials == Profile::GceCredentials::ServiceAccountKey)
        keyFile = profile.gceKeyFile;
    auto fromKey = [&](ServiceAccountCredentials *sa) -> AccessTokenSource * {
        if (sa && project->isEmpty())
            *project = sa->projectId();
        return sa;
    };
    if (!keyFile.isEmpty())
        return fromKey(ServiceAccountCredentials::fromFile(keyFile, error, parent));
    switch (profile.gceCredentials) {
    case Profile::GceCredentials::ServiceAccountKey: {
        SecretStore store;
        const SecretStore::ReadResult r =
            store.readNow(Profile::secretKey(profile.name, Profile::Secret::GceServiceAccountKey));
        if (r.error) {
            *error = r.error;
            return nullptr;
        }
        if (!r.found) {
            *error = ApiError::local(
                QStringLiteral("The profile \"%1\" uses a service-account key, but none is saved "
                               "in the keychain.")
                    .arg(profile.name),
                QStringLiteral("Choose the key in the profile editor, or pass --key-file FILE."));
            return nullptr;
        }
        AccessTokenSource *source = credentialsFromJson(r.value.toUtf8(), error, parent);
        fromKey(qobject_cast<ServiceAccountCredentials *>(source));
        return source;
    }
    case Profile::GceCredentials::Gcloud:
        return new GcloudCredentials(parent);
    case Profile::GceCredentials::ApplicationDefault:
        return applicationDefaultCredentials(error, parent);
    case Profile::GceCredentials::None:
        break;
    }
    if (QFileInfo::exists(applicationDefaultCredentialsPath()))
        return applicationDefaultCredentials(error, parent);
    *error = ApiError::local(
        QStringLiteral("No Google Cloud credentials are set."),
        QStringLiteral("Pass --key-file with a service account's JSON key, choose credentials in "
                       "the profile, or run `gcloud auth application-default login`."));
    return nullptr;
}

bool openSession(const QCommandLineParser &p, GceSession *s, ApiError *error)
{
    const ProfileStore store;
    Profile profile;
    const QString profileName = p.value(QStringLiteral("profile"));
    if (!profileName.isEmpty()) {
        if (!store.find(profileName, &profile, error))
            return false;
    } else if (!store.activeName().isEmpty() && !store.find(store.activeName(), &profile, error)) {
        return false;
    }
    GceOverrides o;
    o.project = option(p, "project");
    o.region = option(p, "region");
    o.zone = option(p, "zone");
    o.endpoint = option(p, "endpoint");
    o.keyFile = option(p, "key-file");
    o.network = option(p, "network");
    for (const QString &n : option(p, "instances").split(QLatin1Char(','), Qt::SkipEmptyParts))
        o.instances << n.trimmed();
    GceSetup setup;
    if (!gceSetup(profile, o, s->owner.get(), &setup, error))
        return false;
    s->target = setup.target;
    s->client = setup.client;
    s->who = setup.who;
    s->journal = PlanJournal(setup.journalPath);
    QString journalError;
    if (!s->journal.load(&journalError)) {
        *error = ApiError::local(journalError);
        return false;
    }
    return true;
}

bool readPort(const QCommandLineParser &p, const GceSession &s, int *port, bool required)
{
    const QString text = option(p, "port");
    if (text.isEmpty()) {
        const int saved = s.journal.entry(QStringLiteral("rule"))
                              .outputs.value(QStringLiteral("rule.port"))
                              .toInt();
        *port = saved > 0 ? saved : 80;
        return !required;
    }
    bool ok = false;
    *port = text.toInt(&ok);
    return ok && *port > 0 && *port < 65536;
}

void makeContext(GceSession *s)
{
    s->context = new GceContext(s->client, s->target, s->owner.get());
}

QString commandBlock(const QString &command)
{
    QStringList lines = command.split(QLatin1Char('\n'));
    for (QString &l : lines)
        l = QStringLiteral("   $ ") + l;
    return lines.join(QLatin1Char('\n'));
}

// check() of every step, one after another, outputs passed along; changes nothing.
QHash<QString, StepResult> checkAll(GceSession *s, const QList<Step *> &steps)
{
    QHash<QString, StepResult> results;
    QVariantMap outputs;
    for (const Step *st : steps)
        outputs.insert(s->journal.entry(st->id()).outputs);
    for (Step *st : steps) {
        QEventLoop loop;
        StepResult result;
        st->check(outputs, [&](const StepResult &r) {
            result = r;
            loop.quit();
        });
        loop.exec();
        outputs.insert(result.outputs);
        results.insert(st->id(), result);
    }
    return results;
}

QString describeCheck(const StepResult &r, bool createdByPier)
{
    switch (r.status) {
    case StepResult::Status::Done:
        return createdByPier ? QStringLiteral("present (made by Pier)") : QStringLiteral("present");
    case StepResult::Status::Needed:
        return QStringLiteral("to do");
    case StepResult::Status::Blocked:
        return QStringLiteral("CONFLICT");
    default:
        return QStringLiteral("ERROR");
    }
}

int cmdPlan(const QCommandLineParser &p, GceSession *s)
{
    if (!readPort(p, *s, &s->target.port, true))
        return usage(QStringLiteral("gce plan needs --port P, the app's service port."));
    s->target.healthCheck = p.isSet(QStringLiteral("health-check"));
    makeContext(s);
    const QList<Step *> steps = makeGceSteps(s->context);
    for (Step *st : steps)
        st->setParent(s->owner.get());
    const QHash<QString, StepResult> results = checkAll(s, steps);
    const GceTarget &t = s->target;
    out() << QStringLiteral("GCE plan for port %1 in project %2, region %3, zone %4 (nothing is "
                            "changed; the commands below do the same by hand):\n\n")
                 .arg(t.port)
                 .arg(t.project, t.region, t.zone);
    int conflicts = 0, n = 0;
    for (Step *st : steps) {
        const StepResult r = results.value(st->id());
        const bool mine = s->journal.entry(st->id()).applied;
        conflicts +=
            r.status == StepResult::Status::Blocked || r.status == StepResult::Status::Failed;
        out() << ++n << ". " << st->title() << " — " << describeCheck(r, mine) << "\n";
        if (!r.message.isEmpty())
            out() << "   " << r.message << "\n";
        out() << commandBlock(st->equivalentCommand()) << "\n";
    }
    out().flush();
    if (conflicts)
        err() << "pier: " << conflicts
              << " step(s) cannot be done as planned; see CONFLICT and ERROR above.\n";
    err().flush();
    return conflicts ? 1 : 0;
}

int runPlan(GceSession *s, PlanRunner *runner, bool undo)
{
    QElapsedTimer clock;
    clock.start();
    QObject::connect(runner, &PlanRunner::stepStateChanged, runner,
                     [&](const QString &id, PlanRunner::StepState state, const QString &message) {
                         if (state == PlanRunner::StepState::Pending)
                             return;
                         Step *st = runner->step(id);
                         err() << QStringLiteral("[%1s] ").arg(clock.elapsed() / 1000.0, 5, 'f', 1)
                               << (st ? st->title() : id) << ": " << PlanRunner::stateName(state);
                         if (!message.isEmpty())
                             err() << " — " << message;
                         err() << "\n";
                         err().flush();
                     });
    QObject::connect(runner, &PlanRunner::stepProgress, runner,
                     [&](const QString &id, const QString &text) {
                         err() << QStringLiteral("[%1s] ").arg(clock.elapsed() / 1000.0, 5, 'f', 1)
                               << id << ": " << text << "\n";
                         err().flush();
                     });
    bool ok = false;
    QEventLoop loop;
    QObject::connect(runner, &PlanRunner::finished, &loop, [&](bool success) {
        ok = success;
        loop.quit();
    });
    runner->setJournal(&s->journal);
    runner->setMaxParallel(8);
    if (undo)
        runner->undoAll();
    else
        runner->start();
    loop.exec();
    return ok ? 0 : 1;
}

int cmdApply(const QCommandLineParser &p, GceSession *s)
{
    if (!readPort(p, *s, &s->target.port, true))
        return usage(QStringLiteral("gce apply needs --port P, the app's service port."));
    s->target.healthCheck = p.isSet(QStringLiteral("health-check"));
    makeContext(s);
    auto *runner = new PlanRunner(s->owner.get());
    for (Step *st : makeGceSteps(s->context))
        runner->addStep(st);
    err() << "Setting up GCE for port " << s->target.port << " in " << s->target.project << "/"
          << s->target.region << " as " << s->who << "\n";
    err().flush();
    const int rc = runPlan(s, runner, false);
    if (rc != 0) {
        err() << "pier: the GCE setup did not finish; what failed is above. Run `pier gce apply` "
                 "again to continue, or `pier gce teardown` to remove what Pier made.\n";
        err().flush();
        return rc;
    }
    const QString ip = runner->outputs().value(QStringLiteral("rule.ip")).toString();
    out() << QStringLiteral("http://%1%2/\n")
                 .arg(ip,
                      s->target.port == 80 ? QString() : QStringLiteral(":%1").arg(s->target.port));
    out().flush();
    return 0;
}

QList<Step *> stepsForExisting(const QCommandLineParser &p, GceSession *s)
{
    s->target.healthCheck = p.isSet(QStringLiteral("health-check")) ||
                            s->journal.stepIds().contains(QStringLiteral("health-check"));
    makeContext(s);
    return makeGceSteps(s->context);
}

int cmdStatus(const QCommandLineParser &p, GceSession *s)
{
    if (!readPort(p, *s, &s->target.port, false) && !option(p, "port").isEmpty())
        return usage(QStringLiteral("--port needs a port number."));
    const QList<Step *> steps = stepsForExisting(p, s);
    for (Step *st : steps)
        st->setParent(s->owner.get());
    const QHash<QString, StepResult> results = checkAll(s, steps);
    QVariantMap outputs;
    for (const StepResult &r : results)
        outputs.insert(r.outputs);
    const QString ip = outputs.value(QStringLiteral("rule.ip")).toString();

    // The pool's view of each node, when there is a pool with a forwarding rule.
    QJsonArray health;
    if (results.value(QStringLiteral("pool")).ok()) {
        QEventLoop loop;
        GceReply *pool = s->client->getTargetPool(s->target.region, s->target.poolName);
        QObject::connect(pool, &GceReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        for (const QString &inst : pool->targetPool().instances) {
            GceReply *h = s->client->getHealth(s->target.region, s->target.poolName, inst);
            QEventLoop wait;
            QObject::connect(h, &GceReply::finished, &wait, &QEventLoop::quit);
            wait.exec();
            QString state = h->error() ? QStringLiteral("UNKNOWN") : QString();
            for (const GceHealthStatus &hs : h->health())
                state = hs.healthState;
            health.append(QJsonObject{
                {QStringLiteral("instance"), lastSegment(inst)},
                {QStringLiteral("state"), state.isEmpty() ? QStringLiteral("NO RULE") : state}});
            h->deleteLater();
        }
        pool->deleteLater();
    }

    if (p.isSet(QStringLiteral("json"))) {
        QJsonArray stepsJson;
        for (Step *st : steps) {
            const StepResult r = results.value(st->id());
            stepsJson.append(
                QJsonObject{{QStringLiteral("id"), st->id()},
                            {QStringLiteral("title"), st->title()},
                            {QStringLiteral("state"), StepResult::statusName(r.status)},
                            {QStringLiteral("message"), r.message},
                            {QStringLiteral("created_by_pier"), s->journal.entry(st->id()).applied},
                            {QStringLiteral("command"), st->equivalentCommand()}});
        }
        const QJsonObject o{
            {QStringLiteral("project"), s->target.project},
            {QStringLiteral("region"), s->target.region},
            {QStringLiteral("zone"), s->target.zone},
            {QStringLiteral("port"), s->target.port},
            {QStringLiteral("address"), ip.isEmpty() ? QJsonValue() : QJsonValue(ip)},
            {QStringLiteral("url"),
             ip.isEmpty()
                 ? QJsonValue()
                 : QJsonValue(QStringLiteral("http://%1:%2/").arg(ip).arg(s->target.port))},
            {QStringLiteral("steps"), stepsJson},
            {QStringLiteral("health"), health}};
        out() << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
        out().flush();
        return 0;
    }
    out() << QStringLiteral("GCE in project %1, region %2, zone %3, port %4:\n")
                 .arg(s->target.project, s->target.region, s->target.zone)
                 .arg(s->target.port);
    for (Step *st : steps) {
        const StepResult r = results.value(st->id());
        out() << "  " << st->title().leftJustified(44) << " "
              << describeCheck(r, s->journal.entry(st->id()).applied) << "\n";
        if (r.status != StepResult::Status::Done && !r.message.isEmpty())
            out() << "      " << r.message << "\n";
    }
    for (const QJsonValue &v : std::as_const(health))
        out() << "  node " << v[QStringLiteral("instance")].toString() << ": "
              << v[QStringLiteral("state")].toString() << "\n";
    out()
        << (ip.isEmpty()
                ? QStringLiteral("No forwarding rule: the app has no external address.\n")
                : QStringLiteral("External address: http://%1:%2/\n").arg(ip).arg(s->target.port));
    out().flush();
    return 0;
}

int cmdTeardown(const QCommandLineParser &p, GceSession *s)
{
    bool any = false;
    for (const QString &id : s->journal.stepIds())
        any = any || s->journal.entry(id).applied;
    if (!any) {
        out() << "Nothing to tear down: Pier made nothing in " << s->target.project << "/"
              << s->target.region << " (journal " << s->journal.path() << ").\n";
        out().flush();
        return 0;
    }
    readPort(p, *s, &s->target.port, false);
    auto *runner = new PlanRunner(s->owner.get());
    for (Step *st : stepsForExisting(p, s))
        runner->addStep(st);
    const int rc = runPlan(s, runner, true);
    if (rc != 0) {
        err() << "pier: teardown stopped; what failed is above. Run `pier gce teardown` again.\n";
        err().flush();
        return rc;
    }
    out() << "Removed everything Pier made in " << s->target.project << "/" << s->target.region
          << "; nothing else was touched.\n";
    out().flush();
    return 0;
}

} // namespace

bool gceSetup(const Profile &profile, const GceOverrides &o, QObject *parent, GceSetup *out,
              ApiError *error)
{
    GceTarget &t = out->target;
    t.project = o.project.isEmpty() ? profile.gceProject : o.project;
    AccessTokenSource *tokens = tokenSource(o.keyFile, profile, parent, &t.project, error);
    if (!tokens)
        return false;
    out->who = tokens->describe();
    t.zone = o.zone.isEmpty() ? profile.gceZone : o.zone;
    t.region = o.region.isEmpty() ? profile.gceRegion : o.region;
    if (t.region.isEmpty() && t.zone.count(QLatin1Char('-')) >= 2)
        t.region = t.zone.left(t.zone.lastIndexOf(QLatin1Char('-'))); // us-central1-a → us-central1
    QStringList missing;
    if (t.project.isEmpty())
        missing << QStringLiteral("--project");
    if (t.region.isEmpty())
        missing << QStringLiteral("--region");
    if (t.zone.isEmpty())
        missing << QStringLiteral("--zone");
    if (!missing.isEmpty()) {
        *error = ApiError::local(
            QStringLiteral("The GCE %1 is not known.").arg(missing.join(QStringLiteral(", "))),
            QStringLiteral("Set it in the profile (%1) or pass %2.")
                .arg(profile.name.isEmpty() ? QStringLiteral("none is active") : profile.name,
                     missing.join(QStringLiteral(" "))));
        return false;
    }
    if (!profile.addressName.isEmpty())
        t.addressName = profile.addressName;
    if (!profile.targetPoolName.isEmpty())
        t.poolName = profile.targetPoolName;
    if (!profile.forwardingRuleName.isEmpty())
        t.ruleName = profile.forwardingRuleName;
    if (!profile.firewallRuleName.isEmpty())
        t.firewallName = profile.firewallRuleName;
    if (!profile.networkTag.isEmpty())
        t.tag = profile.networkTag;
    t.network = o.network;
    t.instances = o.instances;

    GceConfig config;
    QString endpoint = o.endpoint.isEmpty() ? profile.gceEndpoint : o.endpoint;
    if (!endpoint.isEmpty()) {
        if (!endpoint.endsWith(QLatin1Char('/')))
            endpoint += QLatin1Char('/');
        config.endpoint = QUrl(endpoint);
        if (!config.endpoint.isValid() || config.endpoint.scheme().isEmpty()) {
            *error = ApiError::local(QStringLiteral("\"%1\" is not a URL.").arg(endpoint),
                                     QStringLiteral("Give the endpoint as "
                                                    "https://compute.googleapis.com/compute/v1/."));
            return false;
        }
    }
    config.project = t.project;
    out->client = new GceClient(config, parent);
    if (auto *oauth = qobject_cast<OAuthTokenSource *>(tokens))
        oauth->setNetworkAccessManager(out->client->networkAccessManager());
    out->client->setTokenSource(tokens);
    // One journal per project and region: what Pier made there, for status and teardown.
    out->journalPath = QDir(ProfileStore::defaultDirectory())
                           .filePath(QStringLiteral("gce/%1-%2.json").arg(t.project, t.region));
    return true;
}

void addGceOptions(QCommandLineParser &parser)
{
    parser.addOption(
        {QStringLiteral("project"), QStringLiteral("GCE project."), QStringLiteral("ID")});
    parser.addOption(
        {QStringLiteral("region"), QStringLiteral("GCE region."), QStringLiteral("REGION")});
    parser.addOption({QStringLiteral("zone"), QStringLiteral("GCE zone."), QStringLiteral("ZONE")});
    parser.addOption({QStringLiteral("endpoint"), QStringLiteral("Compute Engine API endpoint."),
                      QStringLiteral("URL")});
    parser.addOption({QStringLiteral("key-file"), QStringLiteral("Service-account JSON key file."),
                      QStringLiteral("FILE")});
    parser.addOption(
        {QStringLiteral("health-check"), QStringLiteral("Add an HTTP health check to the pool.")});
    parser.addOption({QStringLiteral("instances"),
                      QStringLiteral("The cluster's nodes (comma-separated)."),
                      QStringLiteral("NAMES")});
    parser.addOption({QStringLiteral("network"), QStringLiteral("The cluster's VPC network."),
                      QStringLiteral("NAME")});
}

int cmdGce(const QCommandLineParser &parser, const QStringList &args)
{
    const QString sub = args.value(0);
    static const QStringList known = {QStringLiteral("plan"), QStringLiteral("apply"),
                                      QStringLiteral("status"), QStringLiteral("teardown")};
    if (args.size() != 1 || !known.contains(sub))
        return usage(QStringLiteral("gce knows: plan, apply, status, teardown."));
    GceSession s;
    ApiError error;
    if (!openSession(parser, &s, &error))
        return fail(error);
    if (sub == QLatin1String("plan"))
        return cmdPlan(parser, &s);
    if (sub == QLatin1String("apply"))
        return cmdApply(parser, &s);
    if (sub == QLatin1String("status"))
        return cmdStatus(parser, &s);
    return cmdTeardown(parser, &s);
}

} // namespace pier::cli
