#include "cli/cli.h"

#include "cli/connection.h"
#include "cli/deploycmd.h"
#include "cli/gcecmd.h"
#include "cli/nodescmd.h"
#include "cli/profilecmd.h"
#include "cli/sandboxcmd.h"
#include "cli/sandboxnet.h"
#include "cli/vpncmd.h"
#include "cli/watch.h"
#include "cli/why.h"
#include "core/plan.h"
#include "marathon/appdefinition.h"
#include "marathon/launchstep.h"
#include "marathon/marathonclient.h"
#include "sandbox/marathonserver.h"
#include "sandbox/mesosserver.h"
#include "secrets/secretstore.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSocketNotifier>
#include <QTextStream>
#include <csignal>
#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace pier::cli {

namespace {

using marathon::MarathonClient;
using marathon::MarathonReply;

const QStringList kCommands = {
    QStringLiteral("validate"), QStringLiteral("apps"),    QStringLiteral("tasks"),
    QStringLiteral("launch"),   QStringLiteral("scale"),   QStringLiteral("restart"),
    QStringLiteral("destroy"),  QStringLiteral("sandbox"), QStringLiteral("login"),
    QStringLiteral("why"),      QStringLiteral("watch"),   QStringLiteral("profile"),
    QStringLiteral("gce"),      QStringLiteral("vpn"),     QStringLiteral("help"),
    QStringLiteral("nodes"),    QStringLiteral("ssh"),     QStringLiteral("firewall"),
    QStringLiteral("deploy"),   QStringLiteral("undeploy")};

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

const char *const kUsage = R"(Usage: pier [--profile NAME] [--marathon URL] open the Pier window
       pier COMMAND [options] [arguments]

Commands:
  validate FILE...               check app definitions as Marathon would; exit 0 valid, 1 invalid,
                                 2 unreadable or not JSON
  apps [--json]                  the apps on Marathon with their task counts
  tasks APP_ID [--json]          the tasks of one app
  launch FILE [--force] [--wait] create or update the app; --wait follows the deployment until
                                 every task runs (and is healthy); --force overrides a deployment lock
  scale APP_ID N                 set the number of instances
  restart APP_ID                 restart every task of the app
  destroy APP_ID                 remove the app and its tasks
  why APP_ID [--json] [--reset-delay]
                                 why a deployment does not progress: the resource, port or
                                 constraint no agent can meet (with numbers), or failing tasks;
                                 --reset-delay ends the launch backoff of failing tasks
  watch [APP_ID]                 print one line per task change (time, app, task, old → new state,
                                 health) until Ctrl+C; follows the event stream, or polls
  login [--user NAME]            save a Marathon password in the system keychain (read from stdin)
  profile list [--json]          the cluster profiles; * marks the active one
  profile show NAME              one profile's settings (its secrets stay in the keychain)
  profile import FILE            add a profile from a file written by export
  profile export NAME            print a profile without its secrets, to import elsewhere
  profile use NAME               make NAME the active profile
  profile delete NAME            delete a profile and its secrets
  vpn check                      whether Marathon and Mesos answer from here (directly, through the
                                 profile's SOCKS proxy or a VPN already up); exit 0 when they do
  vpn connect [--config FILE]    connect the profile's OpenVPN (or FILE), follow its states and
                                 prove Marathon and Mesos answer through it; exit 0 when they do
  vpn disconnect [--config FILE] stop the OpenVPN running for the profile's file (or FILE)
  sandbox up [--nodes N] [--preset P] [--backend nft|legacy] [--legacy] [--json]
                                 (root) the whole sandbox: its network (below), Marathon and
                                 Mesos on the master, a SOCKS5 proxy on 127.0.0.1 into it and
                                 the GCE API, in the background; makes the profile "sandbox"
                                 active. Without root, or with --port P: only the Marathon and
                                 Mesos APIs on 127.0.0.1 in the foreground until interrupted
  sandbox status [--json]        the sandbox's endpoints and whether they answer
  sandbox down                   stop it all and give back the profile active before
  sandbox logs [COMPONENT]       its logs: daemon, marathon, mesos, proxy, gce, sshd-NODE
  sandbox faults [--marathon-5xx P] [--marathon-timeout P] [--gce-5xx P] [--gce-timeout P]
                 [--ssh-drop P] [--timeouts both|held|lost] [--only 'METHOD /PATH']
                 [--seed N] [--json] | --off
                                 make the running sandbox fail a share P (0.2 or 20%) of
                                 Marathon's and the GCE API's requests with their own 5xx, or
                                 time out (held unanswered, or done and the reply lost), and cut
                                 SSH connections through the proxy mid-session; seeded, so a run
                                 can be repeated; replaces the faults set before; alone: show them
  sandbox net up [--nodes N] [--preset P] [--backend nft|legacy] [--json]
                                 (root) the sandbox's network: N nodes (default 4) in namespaces
                                 behind a GCE-like router, iptables preset mesosphere, reject, ufw
                                 or open, sshd with user jclouds on every node
  sandbox net status [--json]    the sandbox network's nodes, addresses and SSH key
  sandbox net down               stop it and remove everything it made
  gce plan --port P [--health-check]
                                 the GCE steps that make the app's port P reachable on an external
                                 address, as gcloud commands, with what exists; changes nothing
  gce apply --port P [--health-check]
                                 reserve the address, create the target pool with the nodes, the
                                 forwarding rule, tag the nodes and open the firewall (adopting
                                 what already exists); prints the external address
  gce status [--json]            what exists, what Pier made, the pool's health per node
  gce teardown                   remove everything Pier made on GCE, and nothing else
  nodes [--json]                 the cluster's nodes: the Mesos master and agents, and the
                                 profile's hand-added ones, with the address SSH uses
  ssh NODE -- COMMAND            run COMMAND on NODE over SSH (the profile's user, key, proxy);
                                 exits with its exit status
  firewall diagnose [--port P] [--from ADDR] [--node NAME] [--json]
                                 is a new TCP connection to port P (default 80) from outside
                                 accepted by each node's iptables, and by which rule
  firewall open [--port P] [--node NAME] [--only-to ADDR] [--persist] [--json]
                                 insert the smallest ACCEPT (before the rule that blocks) on each
                                 node, verified; --only-to: only to that address (the load
                                 balancer's); --persist: also save where the node restores rules
  firewall undo [--node NAME] [--json]
                                 remove every rule Pier added on each node
  deploy FILE [--port P] [--headless] [--script]
                                 the whole journey: connect, launch the app and wait until it runs,
                                 the GCE steps, open the port in every node's iptables, fetch the
                                 page from the external address; a line per step on stderr, the
                                 public URL on stdout; run again, it resumes and creates nothing
                                 twice; --script prints the equivalent shell commands instead
  undeploy [APP_ID]              remove what deploy made (the nodes' rules, the GCE resources, the
                                 app) in reverse order, and nothing else

Options:
  --marathon URL    Marathon's address; else $PIER_MARATHON_URL, else the profile's
  --profile NAME    the cluster profile to use instead of the active one
  --mesos URL       the Mesos master (for why); else $PIER_MESOS_URL, else Marathon's host
                    on port 5050
  --proxy URL       a SOCKS5 proxy into the cluster's network (socks5://HOST:PORT or
                    HOST:PORT); else $PIER_PROXY, else the profile's
  --timeout SECONDS how long --wait may take (default 300)
  --project ID --region R --zone Z --endpoint URL --key-file FILE
                    GCE settings for gce (else the profile's); --instances A,B,C the
                    cluster's nodes (else every instance of the zone); --network NAME
  -h, --help        this help;  -v, --version  the version

Credentials come from the keychain or the environment, never from arguments:
  PIER_MARATHON_USER + PIER_MARATHON_PASSWORD (HTTP basic), PIER_MARATHON_TOKEN (DC/OS),
  PIER_MARATHON_CA_FILE (extra CA certificates for HTTPS); GCE: PIER_GCE_TOKEN (an access
  token), a key file, gcloud or application-default credentials, as the profile says;
  PIER_VPN_USER + PIER_VPN_PASSWORD (the OpenVPN login).
)";

int usageError(const QString &message)
{
    err() << "pier: " << message << "\n"
          << "Try 'pier --help'.\n";
    err().flush();
    return 2;
}

int reportError(const ApiError &e)
{
    err() << "pier: " << e.toText() << "\n";
    err().flush();
    return 1;
}

// Runs a reply to completion in a local event loop.
MarathonReply *wait(MarathonReply *reply)
{
    if (!reply->isFinished()) {
        QEventLoop loop;
        QObject::connect(reply, &MarathonReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return reply;
}

struct Session {
    std::unique_ptr<MarathonClient> client;
    ApiError error;
};

Session connect(const QCommandLineParser &parser)
{
    Session s;
    const MarathonTarget target = resolveMarathon(parser.value(QStringLiteral("marathon")),
                                                  &s.error, parser.value(QStringLiteral("profile")),
                                                  parser.value(QStringLiteral("proxy")));
    if (!s.error.isError())
        s.client = std::make_unique<MarathonClient>(target.config);
    return s;
}

QJsonValue jsonOrNull(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}

void printJson(const QJsonArray &array)
{
    out() << QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Indented));
    out().flush();
}

QString pad(const QString &s, int width)
{
    return s.leftJustified(width);
}

// ---- validate -------------------------------------------------------------------------

int cmdValidate(const QStringList &files)
{
    if (files.isEmpty())
        return usageError(QStringLiteral("validate needs at least one FILE."));
    int worst = 0;
    for (const QString &path : files) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            err() << path << ": cannot read: " << file.errorString() << "\n";
            worst = 2;
            continue;
        }
        const QByteArray text = file.readAll();
        marathon::JsonParseError parseError;
        const marathon::AppDefinition app = marathon::AppDefinition::parse(text, &parseError);
        if (parseError.isError()) {
            err() << path << ':' << parseError.line << ':' << parseError.column << ": "
                  << parseError.message << "\n";
            worst = 2;
            continue;
        }
        const QList<marathon::ValidationIssue> issues = marathon::validateApp(app);
        for (const marathon::ValidationIssue &issue : issues)
            out() << path << ": " << issue.path << ": " << issue.message << "\n";
        if (!issues.isEmpty())
            worst = qMax(worst, 1);
    }
    out().flush();
    err().flush();
    return worst;
}

// ---- apps / tasks ---------------------------------------------------------------------

int cmdApps(const QCommandLineParser &parser)
{
    Session s = connect(parser);
    if (s.error)
        return reportError(s.error);
    MarathonReply *reply = wait(
        s.client->listApps({QStringLiteral("apps.deployments"), QStringLiteral("apps.counts")}));
    if (reply->error())
        return reportError(reply->error());
    const QList<marathon::MarathonApp> apps = reply->apps();
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const marathon::MarathonApp &a : apps) {
            array.append(QJsonObject{
                {QStringLiteral("id"), a.id},
                {QStringLiteral("instances"), a.instances},
                {QStringLiteral("tasksRunning"), a.tasksRunning},
                {QStringLiteral("tasksHealthy"), a.tasksHealthy},
                {QStringLiteral("tasksUnhealthy"), a.tasksUnhealthy},
                {QStringLiteral("tasksStaged"), a.tasksStaged},
                {QStringLiteral("deployments"), QJsonArray::fromStringList(a.deploymentIds)},
            });
        }
        printJson(array);
        return 0;
    }
    if (apps.isEmpty()) {
        out() << "No apps on " << s.client->currentUrl().toString() << ".\n";
        return 0;
    }
    out() << pad(QStringLiteral("ID"), 30) << pad(QStringLiteral("INSTANCES"), 11)
          << pad(QStringLiteral("RUNNING"), 9) << pad(QStringLiteral("HEALTHY"), 9)
          << pad(QStringLiteral("UNHEALTHY"), 11) << pad(QStringLiteral("STAGED"), 8)
          << "DEPLOYMENTS\n";
    for (const marathon::MarathonApp &a : apps) {
        out() << pad(a.id, 30) << pad(QString::number(a.instances), 11)
              << pad(QString::number(a.tasksRunning), 9) << pad(QString::number(a.tasksHealthy), 9)
              << pad(QString::number(a.tasksUnhealthy), 11)
              << pad(QString::number(a.tasksStaged), 8)
              << (a.deploymentIds.isEmpty() ? QStringLiteral("-")
                                            : a.deploymentIds.join(QLatin1Char(',')))
              << "\n";
    }
    out().flush();
    return 0;
}

int cmdTasks(const QCommandLineParser &parser, const QStringList &args)
{
    if (args.size() != 1)
        return usageError(QStringLiteral("tasks needs exactly one APP_ID."));
    Session s = connect(parser);
    if (s.error)
        return reportError(s.error);
    MarathonReply *reply = wait(s.client->appTasks(args.first()));
    if (reply->error())
        return reportError(reply->error());
    const QList<marathon::MarathonTask> tasks = reply->tasks();
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const marathon::MarathonTask &t : tasks) {
            QJsonArray ports;
            for (int p : t.ports)
                ports.append(p);
            const std::optional<bool> healthy = t.healthy();
            array.append(QJsonObject{
                {QStringLiteral("id"), t.id},
                {QStringLiteral("appId"), t.appId},
                {QStringLiteral("host"), t.host},
                {QStringLiteral("ports"), ports},
                {QStringLiteral("state"), jsonOrNull(t.state)},
                {QStringLiteral("healthy"),
                 healthy ? QJsonValue(*healthy) : QJsonValue(QJsonValue::Null)},
                {QStringLiteral("startedAt"),
                 t.startedAt.isValid() ? QJsonValue(t.startedAt.toUTC().toString(Qt::ISODateWithMs))
                                       : QJsonValue(QJsonValue::Null)},
            });
        }
        printJson(array);
        return 0;
    }
    if (tasks.isEmpty()) {
        out() << "No tasks for " << args.first() << ".\n";
        return 0;
    }
    for (const marathon::MarathonTask &t : tasks) {
        QStringList ports;
        for (int p : t.ports)
            ports << QString::number(p);
        const std::optional<bool> healthy = t.healthy();
        out() << pad(t.id, 48) << pad(t.host + QLatin1Char(':') + ports.join(QLatin1Char(',')), 24)
              << pad(t.effectiveState(), 16)
              << (healthy ? (*healthy ? QStringLiteral("healthy") : QStringLiteral("unhealthy"))
                          : QStringLiteral("-"))
              << "\n";
    }
    out().flush();
    return 0;
}

// ---- launch ---------------------------------------------------------------------------

int cmdLaunch(const QCommandLineParser &parser, const QStringList &args)
{
    if (args.size() != 1)
        return usageError(QStringLiteral("launch needs exactly one FILE."));
    QFile file(args.first());
    if (!file.open(QIODevice::ReadOnly)) {
        err() << args.first() << ": cannot read: " << file.errorString() << "\n";
        return 2;
    }
    marathon::JsonParseError parseError;
    const marathon::AppDefinition app = marathon::AppDefinition::parse(file.readAll(), &parseError);
    if (parseError.isError()) {
        err() << args.first() << ':' << parseError.line << ':' << parseError.column << ": "
              << parseError.message << "\n";
        return 2;
    }
    const QList<marathon::ValidationIssue> issues = marathon::validateApp(app);
    if (!issues.isEmpty()) {
        for (const marathon::ValidationIssue &issue : issues)
            err() << args.first() << ": " << issue.path << ": " << issue.message << "\n";
        err() << "pier: not launched: Marathon would reject this definition.\n";
        return 1;
    }

    Session s = connect(parser);
    if (s.error)
        return reportError(s.error);
    bool okTimeout = true;
    const int timeoutSeconds = parser.isSet(QStringLiteral("timeout"))
                                   ? parser.value(QStringLiteral("timeout")).toInt(&okTimeout)
                                   : 300;
    if (!okTimeout || timeoutSeconds <= 0)
        return usageError(QStringLiteral("--timeout needs a number of seconds."));

    PlanRunner runner;
    auto *step = new marathon::LaunchStep(s.client.get(), app);
    step->setForce(parser.isSet(QStringLiteral("force")));
    step->setWait(parser.isSet(QStringLiteral("wait")));
    step->setTimeoutMs(timeoutSeconds * 1000);
    runner.addStep(step);

    QString lastProgress;
    QObject::connect(&runner, &PlanRunner::stepProgress, [&](const QString &, const QString &text) {
        if (text != lastProgress)
            err() << "  " << text << "\n";
        lastProgress = text;
        err().flush();
    });
    QObject::connect(&runner, &PlanRunner::stepStateChanged,
                     [&](const QString &, PlanRunner::StepState, const QString &message) {
                         if (!message.isEmpty() && message != lastProgress)
                             err() << "  " << message << "\n";
                         lastProgress = message;
                         err().flush();
                     });
    QEventLoop loop;
    bool ok = false;
    QObject::connect(&runner, &PlanRunner::finished, [&](bool result) {
        ok = result;
        loop.quit();
    });
    runner.start();
    loop.exec();

    if (!ok) {
        const StepResult r = runner.lastResult(step->id());
        err() << "pier: launch failed: " << (r.error.isError() ? r.error.toText() : r.message)
              << "\n";
        if (r.error.kind == ApiError::Kind::Conflict && !r.error.deploymentIds.isEmpty())
            err() << "Run again with --force to override the deployment in progress.\n";
        err().flush();
        return 1;
    }
    const QVariantMap outputs = runner.outputs();
    out() << outputs.value(QStringLiteral("marathon.appId")).toString();
    if (outputs.contains(QStringLiteral("marathon.deploymentId")))
        out() << " deployment "
              << outputs.value(QStringLiteral("marathon.deploymentId")).toString();
    if (outputs.contains(QStringLiteral("marathon.version")))
        out() << " version " << outputs.value(QStringLiteral("marathon.version")).toString();
    out() << "\n";
    out().flush();
    return 0;
}

// ---- scale / restart / destroy --------------------------------------------------------

int reportDeployment(MarathonReply *reply, const QString &what)
{
    if (reply->error())
        return reportError(reply->error());
    const marathon::DeploymentResult r = reply->deploymentResult();
    out() << what;
    if (!r.deploymentId.isEmpty())
        out() << ": deployment " << r.deploymentId;
    out() << "\n";
    out().flush();
    return 0;
}

int cmdAppAction(const QString &command, const QCommandLineParser &parser, const QStringList &args)
{
    const bool isScale = command == QLatin1String("scale");
    if (args.size() != (isScale ? 2 : 1))
        return usageError(isScale ? QStringLiteral("scale needs APP_ID and N.")
                                  : command + QStringLiteral(" needs exactly one APP_ID."));
    int instances = 0;
    if (isScale) {
        bool ok = false;
        instances = args.at(1).toInt(&ok);
        if (!ok || instances < 0)
            return usageError(QStringLiteral("N must be a whole number, 0 or more."));
    }
    Session s = connect(parser);
    if (s.error)
        return reportError(s.error);
    const bool force = parser.isSet(QStringLiteral("force"));
    const QString id = args.first();
    if (isScale)
        return reportDeployment(wait(s.client->scaleApp(id, instances, force)),
                                QStringLiteral("%1 scaled to %2").arg(id).arg(instances));
    if (command == QLatin1String("restart"))
        return reportDeployment(wait(s.client->restartApp(id, force)),
                                QStringLiteral("%1 restarting").arg(id));
    return reportDeployment(wait(s.client->deleteApp(id, force)),
                            QStringLiteral("%1 destroyed").arg(id));
}

// ---- login ----------------------------------------------------------------------------

QString readSecretFromStdin(const QString &prompt)
{
    const bool tty = isatty(STDIN_FILENO);
    termios old{};
    if (tty) {
        err() << prompt;
        err().flush();
        tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    QTextStream in(stdin);
    const QString line = in.readLine();
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        err() << "\n";
    }
    return line;
}

int cmdLogin(const QCommandLineParser &parser)
{
    QString error;
    QString text = parser.value(QStringLiteral("marathon"));
    if (text.isEmpty())
        text = qEnvironmentVariable("PIER_MARATHON_URL");
    const QUrl url = normalizeMarathonUrl(text, &error);
    if (!url.isValid())
        return usageError(error +
                          QStringLiteral(" (login needs --marathon URL or PIER_MARATHON_URL)"));
    QString user = parser.value(QStringLiteral("user"));
    if (user.isEmpty())
        user = qEnvironmentVariable("PIER_MARATHON_USER");
    if (user.isEmpty())
        return usageError(QStringLiteral("login needs --user NAME or PIER_MARATHON_USER."));
    const QString password =
        readSecretFromStdin(QStringLiteral("Password for %1 at %2: ").arg(user, url.authority()));
    if (password.isEmpty())
        return usageError(QStringLiteral("no password given on standard input."));
    SecretStore store;
    if (const ApiError e = store.writeNow(marathonSecretKey(url, user), password); e.isError())
        return reportError(e);
    out() << "Saved the password for " << user << " at " << url.authority() << " in the keychain.\n"
          << "Use it with: PIER_MARATHON_USER=" << user << " pier --marathon " << url.toString()
          << " apps\n";
    out().flush();
    return 0;
}

// ---- sandbox --------------------------------------------------------------------------

int cmdSandbox(const QCommandLineParser &parser, const QStringList &args)
{
    if (args.value(0) == QLatin1String("net"))
        return cmdSandboxNet(parser, args.mid(1));
    // The whole sandbox needs root or an unprivileged user namespace; --port asks for the APIs
    // alone (what the window starts).
    const QString unavailable = fullSandboxUnavailable();
    if (args.value(0) != QLatin1String("up") ||
        (unavailable.isEmpty() && !parser.isSet(QStringLiteral("port"))))
        return cmdSandboxFull(parser, args);
    if (!parser.isSet(QStringLiteral("port")))
        err() << "pier: the full sandbox (nodes, SSH, the SOCKS5 proxy) is not available: "
              << unavailable << ".\nRunning only the Marathon and Mesos APIs on 127.0.0.1.\n";
    err().flush();
    bool ok = true;
    const int port = parser.isSet(QStringLiteral("port"))
                         ? parser.value(QStringLiteral("port")).toInt(&ok)
                         : 8080;
    if (!ok || port < 0 || port > 65535)
        return usageError(QStringLiteral("--port needs a port number (0 picks a free one)."));
    sandbox::MarathonServer::Options options;
    if (parser.isSet(QStringLiteral("legacy")))
        options.flavor = sandbox::MarathonServer::Flavor::Legacy;
    options.username = qEnvironmentVariable("PIER_SANDBOX_USER");
    options.password = qEnvironmentVariable("PIER_SANDBOX_PASSWORD");
    sandbox::MarathonServer server(options);
    if (!server.listen(QHostAddress::LocalHost, quint16(port))) {
        err() << "pier: the sandbox's Marathon cannot listen on 127.0.0.1:" << port << ": "
              << server.errorString()
              << "\nPick another port with --port, or --port 0 for any free one.\n";
        return 1;
    }
    // The Mesos master's API over the same cluster: 5050 beside the default 8080, else any free
    // port.
    sandbox::MesosServer::Options mesosOptions;
    if (parser.isSet(QStringLiteral("legacy")))
        mesosOptions.flavor = sandbox::MesosServer::Flavor::Legacy; // as on the 0.7-era clusters
    sandbox::MesosServer mesos(server.cluster(), mesosOptions);
    if (!(port == 8080 && mesos.listen(QHostAddress::LocalHost, 5050)) &&
        !mesos.listen(QHostAddress::LocalHost, 0)) {
        err() << "pier: the sandbox's Mesos master API cannot listen on 127.0.0.1: "
              << mesos.errorString() << "\n";
        return 1;
    }
    out() << "Marathon: " << server.url().toString() << "\n";
    out() << "Mesos: " << mesos.url().toString() << "\n";
    out() << "Sandbox up. Stop it with Ctrl+C.\n";
    out().flush();

    // Quit cleanly on SIGINT/SIGTERM through a self-pipe, so the event loop ends normally.
    static int pipeFds[2] = {-1, -1};
    if (::pipe(pipeFds) == 0) {
        auto handler = [](int) {
            const char c = 1;
            [[maybe_unused]] ssize_t n = ::write(pipeFds[1], &c, 1);
        };
        std::signal(SIGINT, handler);
        std::signal(SIGTERM, handler);
        auto *notifier = new QSocketNotifier(pipeFds[0], QSocketNotifier::Read, qApp);
        QObject::connect(notifier, &QSocketNotifier::activated, qApp, &QCoreApplication::quit);
    }
    const int code = QCoreApplication::exec();
    out() << "Sandbox stopped.\n";
    out().flush();
    return code;
}

} // namespace

bool isCliInvocation(const QStringList &args)
{
    // The window takes only `--marathon URL` and an optional app definition to open; anything
    // else (a subcommand, help, a typo) is the command line's, which can say what is wrong.
    for (int i = 1; i < args.size(); ++i) {
        const QString &a = args.at(i);
        if (a == QLatin1String("--marathon") || a == QLatin1String("--profile")) {
            ++i;
            continue;
        }
        if (a.startsWith(QLatin1String("--marathon=")) || a.startsWith(QLatin1String("--profile=")))
            continue;
        if (a == QLatin1String("-h") || a == QLatin1String("-v") ||
            a.startsWith(QLatin1String("--")))
            return true;
        if (a.startsWith(QLatin1Char('-'))) { // Qt's own options: -platform xcb, -style fusion
            if (i + 1 < args.size() && !args.at(i + 1).startsWith(QLatin1Char('-')))
                ++i;
            continue;
        }
        return kCommands.contains(a) || !QFileInfo(a).isFile();
    }
    return false;
}

int run(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsOptions);
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show help."));
    const QCommandLineOption version({QStringLiteral("v"), QStringLiteral("version")},
                                     QStringLiteral("Show the version."));
    parser.addOption(help);
    parser.addOption(version);
    parser.addOption(
        {QStringLiteral("marathon"), QStringLiteral("Marathon's address."), QStringLiteral("URL")});
    parser.addOption({QStringLiteral("profile"), QStringLiteral("The cluster profile to use."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("JSON output.")});
    parser.addOption({QStringLiteral("mesos"), QStringLiteral("The Mesos master's address."),
                      QStringLiteral("URL")});
    parser.addOption({QStringLiteral("force"), QStringLiteral("Override a deployment lock.")});
    parser.addOption(
        {QStringLiteral("reset-delay"), QStringLiteral("Reset the app's launch delay.")});
    parser.addOption({QStringLiteral("wait"), QStringLiteral("Follow the deployment to the end.")});
    parser.addOption(
        {QStringLiteral("timeout"), QStringLiteral("Seconds to wait."), QStringLiteral("SECONDS")});
    parser.addOption(
        {QStringLiteral("port"), QStringLiteral("Port for the sandbox."), QStringLiteral("PORT")});
    parser.addOption(
        {QStringLiteral("legacy"), QStringLiteral("Sandbox behaves as Marathon 0.7.")});
    parser.addOption(
        {QStringLiteral("nodes"), QStringLiteral("Sandbox network nodes."), QStringLiteral("N")});
    parser.addOption({QStringLiteral("preset"), QStringLiteral("Sandbox nodes' iptables preset."),
                      QStringLiteral("P")});
    parser.addOption({QStringLiteral("backend"),
                      QStringLiteral("Sandbox nodes' iptables back end."), QStringLiteral("B")});
    parser.addOption(
        {QStringLiteral("user"), QStringLiteral("Marathon user name."), QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("proxy"), QStringLiteral("SOCKS5 proxy into the cluster."),
                      QStringLiteral("URL")});
    addGceOptions(parser);
    parser.addOption({QStringLiteral("config"), QStringLiteral("The OpenVPN file (.ovpn)."),
                      QStringLiteral("FILE")});
    parser.addOption(
        {QStringLiteral("node"), QStringLiteral("Only this node."), QStringLiteral("NAME")});
    parser.addOption(
        {QStringLiteral("from"), QStringLiteral("The client's address."), QStringLiteral("ADDR")});
    parser.addOption({QStringLiteral("only-to"), QStringLiteral("Accept only to this address."),
                      QStringLiteral("ADDR")});
    parser.addOption({QStringLiteral("persist"), QStringLiteral("Save the rules on the node.")});
    parser.addOption({QStringLiteral("headless"), QStringLiteral("Deploy without the window.")});
    parser.addOption({QStringLiteral("script"), QStringLiteral("Print the deploy as a script.")});
    for (const char *knob :
         {"marathon-5xx", "marathon-timeout", "gce-5xx", "gce-timeout", "ssh-drop"})
        parser.addOption(
            {QLatin1String(knob), QStringLiteral("Sandbox fault share."), QStringLiteral("P")});
    parser.addOption(
        {QStringLiteral("seed"), QStringLiteral("Sandbox faults' seed."), QStringLiteral("N")});
    parser.addOption({QStringLiteral("off"), QStringLiteral("No sandbox faults.")});
    parser.addOption({QStringLiteral("timeouts"), QStringLiteral("Sandbox timeouts' kind."),
                      QStringLiteral("KIND")});
    parser.addOption({QStringLiteral("only"), QStringLiteral("Sandbox faults only on these."),
                      QStringLiteral("TEXT")});
    if (!parser.parse(args))
        return usageError(parser.errorText());
    if (parser.isSet(version)) {
        out() << "pier " << QStringLiteral(PIER_VERSION) << "\n";
        out().flush();
        return 0;
    }
    QStringList positional = parser.positionalArguments();
    const QString command = positional.isEmpty() ? QString() : positional.takeFirst();
    if (parser.isSet(help) || command.isEmpty() || command == QLatin1String("help")) {
        out() << kUsage;
        out().flush();
        return 0;
    }
    if (command == QLatin1String("validate"))
        return cmdValidate(positional);
    if (command == QLatin1String("apps"))
        return cmdApps(parser);
    if (command == QLatin1String("tasks"))
        return cmdTasks(parser, positional);
    if (command == QLatin1String("launch"))
        return cmdLaunch(parser, positional);
    if (command == QLatin1String("scale") || command == QLatin1String("restart") ||
        command == QLatin1String("destroy"))
        return cmdAppAction(command, parser, positional);
    if (command == QLatin1String("why"))
        return cmdWhy(parser, positional);
    if (command == QLatin1String("watch")) {
        if (positional.size() > 1)
            return usageError(QStringLiteral("watch takes at most one APP_ID."));
        Session s = connect(parser);
        if (s.error.isError())
            return reportError(s.error);
        return runWatch(s.client.get(), positional.value(0), out(), err());
    }
    if (command == QLatin1String("login"))
        return cmdLogin(parser);
    if (command == QLatin1String("profile"))
        return cmdProfile(parser, positional);
    if (command == QLatin1String("sandbox"))
        return cmdSandbox(parser, positional);
    if (command == QLatin1String("gce"))
        return cmdGce(parser, positional);
    if (command == QLatin1String("vpn"))
        return cmdVpn(parser, positional);
    if (command == QLatin1String("nodes"))
        return cmdNodes(parser, positional);
    if (command == QLatin1String("ssh"))
        return cmdSsh(parser, positional);
    if (command == QLatin1String("firewall"))
        return cmdFirewall(parser, positional);
    if (command == QLatin1String("deploy"))
        return cmdDeploy(parser, positional);
    if (command == QLatin1String("undeploy"))
        return cmdUndeploy(parser, positional);
    return usageError(QStringLiteral("unknown command \"%1\".").arg(command));
}

} // namespace pier::cli
