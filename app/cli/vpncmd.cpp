#include "cli/vpncmd.h"

#include "core/profilestore.h"
#include "secrets/secretstore.h"
#include "vpn/vpnstep.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QFileInfo>
#include <QTextStream>

#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace pier::cli {

namespace {

QTextStream &vout()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &verr()
{
    static QTextStream s(stderr);
    return s;
}

void say(const QString &line)
{
    vout() << line << "\n";
    vout().flush();
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

QString prompt(const QString &question, bool secret)
{
    verr() << question;
    verr().flush();
    termios old{};
    const bool quiet = secret && ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (quiet) {
        termios t = old;
        t.c_lflag &= ~tcflag_t(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
    QTextStream in(stdin);
    const QString line = in.readLine();
    if (quiet) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
        verr() << "\n";
        verr().flush();
    }
    return line;
}

} // namespace

void TypedVpnCredentials::save()
{
    if (!pending)
        return;
    SecretStore store;
    store.writeNow(key + QStringLiteral("-user"), user);
    store.writeNow(key + QStringLiteral("-password"), password);
    pending = false;
    password.clear();
}

vpn::Credentials vpnCredentials(const QString &profile, const QString &configPath, bool mayPrompt,
                                TypedVpnCredentials *typed)
{
    vpn::Credentials c;
    c.user = qEnvironmentVariable("PIER_VPN_USER");
    c.password = qEnvironmentVariable("PIER_VPN_PASSWORD");
    if (!c.user.isEmpty() && qEnvironmentVariableIsSet("PIER_VPN_PASSWORD")) {
        c.ok = true;
        return c;
    }
    const QString base =
        profile.isEmpty() ? QStringLiteral("vpn/%1").arg(QFileInfo(configPath).absoluteFilePath())
                          : QStringLiteral("profile/%1/vpn").arg(profile);
    SecretStore store;
    const SecretStore::ReadResult user = store.readNow(base + QStringLiteral("-user"));
    const SecretStore::ReadResult password = store.readNow(base + QStringLiteral("-password"));
    if (user.found && password.found) {
        c = {true, user.value, password.value, {}};
        return c;
    }
    if (mayPrompt && ::isatty(STDIN_FILENO)) {
        c.user = prompt(QStringLiteral("VPN user name: "), false);
        c.password = prompt(QStringLiteral("VPN password: "), true);
        c.ok = !c.user.isEmpty();
        if (c.ok && !user.error && typed)
            *typed = {base, c.user, c.password, true};
        if (!c.ok)
            c.error = QStringLiteral("No VPN user name was given.");
        return c;
    }
    c.error = QStringLiteral("OpenVPN asks for a user name and password and there are none: set "
                             "PIER_VPN_USER and PIER_VPN_PASSWORD, or run `pier vpn connect` on a "
                             "terminal once (it saves them in the keychain as %1-user/-password).")
                  .arg(base);
    return c;
}

namespace {

StepResult runVerb(vpn::VpnStep &step,
                   void (vpn::VpnStep::*verb)(const QVariantMap &, StepCallback))
{
    StepResult result;
    bool finished = false;
    QEventLoop loop;
    (step.*verb)({}, [&](const StepResult &r) {
        result = r;
        finished = true;
        loop.quit();
    });
    if (!finished)
        loop.exec();
    return result;
}

int verdictExit(const vpn::ReachabilityVerdict &v)
{
    say(v.ok() ? QStringLiteral("Verdict: reachable. %1").arg(v.message)
               : QStringLiteral("Verdict: not reachable (%1). %2")
                     .arg(vpn::ReachabilityVerdict::kindName(v.kind), v.message));
    return v.ok() ? 0 : 1;
}

} // namespace

int cmdVpn(const QCommandLineParser &parser, const QStringList &args)
{
    const QString sub = args.value(0);
    if (args.size() != 1 || (sub != QLatin1String("check") && sub != QLatin1String("connect") &&
                             sub != QLatin1String("disconnect"))) {
        verr() << "pier: vpn takes \"check\", \"connect\" or \"disconnect\".\nTry 'pier --help'.\n";
        verr().flush();
        return 2;
    }
    Profile profile;
    QString profileName = parser.value(QStringLiteral("profile"));
    ProfileStore store;
    if (profileName.isEmpty())
        profileName = store.activeName();
    if (!profileName.isEmpty()) {
        ApiError e;
        if (!store.find(profileName, &profile, &e)) {
            if (parser.isSet(QStringLiteral("profile"))) {
                verr() << "pier: "
                       << (e ? e.toText() : QStringLiteral("no profile named %1").arg(profileName))
                       << "\n";
                verr().flush();
                return 1;
            }
            profileName.clear();
        }
    }
    vpn::VpnStep::Options o;
    o.configPath = parser.isSet(QStringLiteral("config")) ? parser.value(QStringLiteral("config"))
                                                          : profile.vpnConfigFile;
    QString marathon = parser.value(QStringLiteral("marathon"));
    if (marathon.isEmpty())
        marathon = qEnvironmentVariable("PIER_MARATHON_URL", profile.marathonUrl);
    QString mesos = parser.value(QStringLiteral("mesos"));
    if (mesos.isEmpty())
        mesos = qEnvironmentVariable("PIER_MESOS_URL", profile.mesosUrl);
    o.reach.marathon = serviceUrl(marathon, 8080);
    o.reach.mesos = serviceUrl(mesos, 5050);
    if (!o.reach.mesos.isValid() && o.reach.marathon.isValid()) {
        o.reach.mesos = o.reach.marathon;
        o.reach.mesos.setPort(5050);
    }
    o.reach.socksProxy = profile.socksProxy;
    if (parser.isSet(QStringLiteral("timeout")))
        o.session.connectTimeoutMs =
            qMax(1, parser.value(QStringLiteral("timeout")).toInt()) * 1000;
    o.session.serverTimeoutMs = qMin(o.session.serverTimeoutMs, o.session.connectTimeoutMs);

    if (sub == QLatin1String("disconnect")) {
        if (o.configPath.isEmpty()) {
            verr() << "pier: no VPN file: give --config FILE or set one in the profile.\n";
            verr().flush();
            return 1;
        }
        o.session.configPath = o.configPath;
        vpn::VpnSession session(o.session, vpn::OvpnConfig::load(o.configPath));
        bool ok = false;
        QEventLoop loop;
        session.disconnectVpn([&](bool stopped, const QString &message) {
            ok = stopped;
            say(message);
            loop.quit();
        });
        loop.exec();
        return ok ? 0 : 1;
    }
    vpn::VpnStep step(o);
    TypedVpnCredentials typed;
    step.setCredentialsProvider(
        [&](const QString &, std::function<void(const vpn::Credentials &)> reply) {
            reply(vpnCredentials(profileName, o.configPath, true, &typed));
        });
    QObject::connect(&step, &Step::progress,
                     [](const QString &text) { say(QStringLiteral("  ") + text); });
    QObject::connect(&step, &Step::logLine,
                     [](const QString &text) { say(QStringLiteral("    ") + text); });

    if (!o.configPath.isEmpty()) {
        say(QStringLiteral("VPN file %1:").arg(o.configPath));
        for (const QString &line : step.config().summary())
            say(QStringLiteral("  ") + line);
    }
    say(QStringLiteral("Checking whether Marathon (%1) and Mesos (%2) answer from here%3…")
            .arg(o.reach.marathon.toString(), o.reach.mesos.toString(),
                 o.reach.socksProxy.isEmpty()
                     ? QString()
                     : QStringLiteral(" through the SOCKS proxy %1").arg(o.reach.socksProxy)));
    const StepResult checked = runVerb(step, &vpn::VpnStep::check);
    if (sub == QLatin1String("check") || checked.status == StepResult::Status::Done ||
        checked.status == StepResult::Status::Blocked) {
        if (checked.status == StepResult::Status::Done)
            say(QStringLiteral("Verdict: reachable. %1").arg(checked.message));
        else if (sub == QLatin1String("check") && checked.status == StepResult::Status::Needed)
            say(QStringLiteral("Verdict: not reachable (%1). %2 Connect with: pier vpn connect")
                    .arg(vpn::ReachabilityVerdict::kindName(step.lastVerdict().kind),
                         step.lastVerdict().message));
        else
            say(QStringLiteral("Verdict: not reachable. %1").arg(checked.message));
        return checked.status == StepResult::Status::Done ? 0 : 1;
    }
    say(QStringLiteral("Connecting the VPN (%1)…").arg(step.equivalentCommand()));
    const StepResult applied = runVerb(step, &vpn::VpnStep::apply);
    if (!applied.ok()) {
        const QString reason = applied.error.reason;
        const QString verdict =
            reason == QLatin1String("vpn-authentication-failed")
                ? QStringLiteral("authentication failed")
            : reason == QLatin1String("vpn-server-unreachable")
                ? QStringLiteral("VPN server unreachable")
                : QString(reason).remove(0, 4).replace(QLatin1Char('-'), QLatin1Char(' '));
        say(QStringLiteral("Verdict: %1. %2").arg(verdict, applied.error.toText()));
        return 1;
    }
    typed.save(); // the VPN took them: worth keeping
    say(QStringLiteral("  %1").arg(applied.message));
    say(QStringLiteral("Proving Marathon and Mesos answer through it…"));
    const StepResult verified = runVerb(step, &vpn::VpnStep::verify);
    const int code = verdictExit(step.lastVerdict());
    if (!verified.ok() && step.lastConnection().startedByPier)
        say(QStringLiteral("The VPN stays connected so you can look at it; stop it with: pier vpn "
                           "disconnect%1")
                .arg(parser.isSet(QStringLiteral("config"))
                         ? QStringLiteral(" --config ") + o.configPath
                         : QString()));
    return code;
}

} // namespace pier::cli
