#include "vpn/vpnsession.h"

#include "vpn/vpnlog.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <memory>
#include <unistd.h>
#include <utility>

namespace pier::vpn {

namespace {

QString findProgram(const QString &name)
{
    QString p = QStandardPaths::findExecutable(name);
    if (p.isEmpty())
        p = QStandardPaths::findExecutable(name,
                                           {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin"),
                                            QStringLiteral("/usr/local/sbin")});
    return p;
}

bool processAlive(qint64 pid)
{
    return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

// States that only come after the server answered.
bool serverAnswered(const QString &state)
{
    static const QStringList after = {QStringLiteral("AUTH"),       QStringLiteral("AUTH_PENDING"),
                                      QStringLiteral("GET_CONFIG"), QStringLiteral("ASSIGN_IP"),
                                      QStringLiteral("ADD_ROUTES"), QStringLiteral("CONNECTED")};
    return after.contains(state);
}

// "Starting OpenVPN with sudo -n."
QString howStarted(LaunchMethod m)
{
    return m == LaunchMethod::Direct ? launchMethodName(m)
                                     : QStringLiteral("with %1").arg(launchMethodName(m));
}

} // namespace

QString launchMethodName(LaunchMethod m)
{
    switch (m) {
    case LaunchMethod::Running:
        return QStringLiteral("already running");
    case LaunchMethod::Direct:
        return QStringLiteral("directly (as root)");
    case LaunchMethod::Pkexec:
        return QStringLiteral("pkexec");
    case LaunchMethod::Sudo:
        return QStringLiteral("sudo -n");
    case LaunchMethod::NetworkManager:
        return QStringLiteral("NetworkManager (nmcli)");
    case LaunchMethod::None:
        break;
    }
    return QStringLiteral("none");
}

QString VpnSession::Result::outcomeName(Outcome o)
{
    switch (o) {
    case Outcome::Connected:
        return QStringLiteral("connected");
    case Outcome::AuthFailed:
        return QStringLiteral("authentication-failed");
    case Outcome::ServerUnreachable:
        return QStringLiteral("server-unreachable");
    case Outcome::NotRunning:
        return QStringLiteral("not-running");
    case Outcome::StartFailed:
        return QStringLiteral("start-failed");
    case Outcome::Exited:
        return QStringLiteral("exited");
    case Outcome::TimedOut:
        return QStringLiteral("timed-out");
    case Outcome::NoCredentials:
        return QStringLiteral("no-credentials");
    case Outcome::Cancelled:
        break;
    }
    return QStringLiteral("cancelled");
}

enum Phase { Idle, Looking, Starting, Following, Probing, Stopping };
static const char *kPhase = "pierVpnPhase";

static Phase phaseOf(const QObject *o)
{
    return Phase(o->property(kPhase).toInt());
}

VpnSession::VpnSession(const Options &options, const OvpnConfig &config, QObject *parent)
    : QObject(parent), m_options(options), m_config(config)
{
    if (m_options.managementPort <= 0)
        m_options.managementPort = defaultManagementPort(options.configPath);
    m_mgmt = new ManagementClient(this);
    m_timer = new QTimer(this);
    m_timer->setInterval(250);
    setProperty(kPhase, Idle);

    connect(m_mgmt, &ManagementClient::connected, this, [this] {
        if (phaseOf(this) == Looking)
            attach(false);
        else if (phaseOf(this) == Starting)
            attach(true);
    });
    connect(m_mgmt, &ManagementClient::connectionFailed, this, [this](const QString &error) {
        if (phaseOf(this) != Looking)
            return; // while starting, the poll tries again
        if (!m_options.allowStart) {
            finish(Result::Outcome::NotRunning,
                   tr("No OpenVPN answers on its management interface %1 (%2).")
                       .arg(managementAddress(), error));
            return;
        }
        emit progress(tr("No OpenVPN is running for this profile; starting one."));
        tryNextMethod();
    });
    connect(m_mgmt, &ManagementClient::stateChanged, this, [this](const VpnState &s) {
        if (phaseOf(this) == Following)
            onState(s);
    });
    connect(m_mgmt, &ManagementClient::hold, this, [this](const QString &) {
        if (phaseOf(this) != Following)
            return;
        emit progress(tr("Releasing OpenVPN from its hold."));
        m_mgmt->command(QStringLiteral("hold release"));
    });
    connect(
        m_mgmt, &ManagementClient::passwordNeeded, this,
        [this](const QString &realm, bool passwordToo, const QString &) {
            if (phaseOf(this) != Following)
                return;
            if (!m_credentials) {
                finish(Result::Outcome::NoCredentials,
                       tr("OpenVPN asks for a user name and password, and Pier has none to give."));
                return;
            }
            // "Auth" is OpenVPN's name for the usual sign-in; other realms say what they want.
            emit progress(realm == QLatin1String("Auth")
                              ? tr("OpenVPN asks for the VPN user name and password.")
                              : tr("OpenVPN asks for the '%1' user name and password.").arg(realm));
            m_timer->stop(); // the user may take a while; the server timeout starts after
            m_credentials(realm, [this, realm, passwordToo,
                                  guard = QPointer<VpnSession>(this)](const Credentials &c) {
                if (!guard || m_finished)
                    return;
                if (!c.ok) {
                    finish(Result::Outcome::NoCredentials, c.error);
                    return;
                }
                m_mgmt->sendCredentials(realm, c.user, c.password, passwordToo);
                emit progress(tr("Sent the user name and password for %1.").arg(c.user));
                m_sinceStart.restart();
                m_timer->start();
            });
        });
    connect(m_mgmt, &ManagementClient::verificationFailed, this, [this](const QString &realm) {
        if (phaseOf(this) != Following)
            return;
        m_authFailed = true;
        finish(Result::Outcome::AuthFailed,
               tr("Authentication failed: the VPN server rejected the user name and password (%1).")
                   .arg(realm));
    });
    connect(m_mgmt, &ManagementClient::fatal, this, [this](const QString &text) {
        if (phaseOf(this) == Following)
            finish(Result::Outcome::Exited, tr("OpenVPN stopped with a fatal error: %1").arg(text));
    });
    connect(m_mgmt, &ManagementClient::logLine, this, &VpnSession::logLine);
    connect(m_mgmt, &ManagementClient::disconnected, this, [this] {
        if (phaseOf(this) == Following) {
            const QString tail = logTail();
            finish(m_authFailed ? Result::Outcome::AuthFailed : Result::Outcome::Exited,
                   tr("OpenVPN closed its management interface and stopped%1")
                       .arg(tail.isEmpty() ? QStringLiteral(".") : QStringLiteral(": ") + tail));
        }
    });
    connect(m_timer, &QTimer::timeout, this, [this] {
        if (m_finished)
            return;
        if (phaseOf(this) == Starting) {
            pollStarted();
            if (m_finished)
                return;
        } else if (phaseOf(this) == Following && !m_serverAnswered &&
                   (m_sinceStart.elapsed() > m_options.serverTimeoutMs ||
                    m_clock.elapsed() > m_options.connectTimeoutMs)) {
            // Silence from the server is the more precise verdict, even at the overall deadline.
            const OvpnConfig::Remote r = m_config.remotes.value(0);
            finish(
                Result::Outcome::ServerUnreachable,
                tr("The VPN server %1:%2 (%3) is unreachable: no answer within %4 s (OpenVPN "
                   "was %5). Check that the server runs and that this machine may reach it "
                   "(a firewall may block the port).")
                    .arg(r.host)
                    .arg(r.port)
                    .arg(m_config.protoOf(r).toUpper())
                    .arg(qMin(m_sinceStart.elapsed(), m_clock.elapsed()) / 1000)
                    .arg(m_result.state.name.isEmpty() ? tr("starting") : m_result.state.words()));
            return;
        }
        // After the server check: "unreachable" says more than "timed out".
        if (m_clock.isValid() && m_clock.elapsed() > m_options.connectTimeoutMs) {
            finish(Result::Outcome::TimedOut,
                   tr("OpenVPN did not connect within %1 s (last state: %2).")
                       .arg(m_options.connectTimeoutMs / 1000)
                       .arg(m_result.state.name.isEmpty() ? tr("none") : m_result.state.words()));
            return;
        }
    });
}

VpnSession::~VpnSession() = default;

int VpnSession::defaultManagementPort(const QString &configPath)
{
    const QByteArray h = QCryptographicHash::hash(QFileInfo(configPath).absoluteFilePath().toUtf8(),
                                                  QCryptographicHash::Sha1);
    return 27000 + int((quint8(h.at(0)) << 8 | quint8(h.at(1))) % 1000);
}

void VpnSession::connectManagement()
{
    if (managementIsUnix())
        m_mgmt->connectTo(m_config.managementUnixSocket, 0, true);
    else if (m_config.managementPort > 0)
        m_mgmt->connectTo(m_config.managementHost, m_config.managementPort);
    else
        m_mgmt->connectTo(m_options.managementHost, m_options.managementPort);
}

bool VpnSession::managementIsUnix() const
{
    return !m_config.managementUnixSocket.isEmpty();
}

QString VpnSession::managementAddress() const
{
    if (managementIsUnix())
        return m_config.managementUnixSocket;
    if (m_config.managementPort > 0)
        return QStringLiteral("%1:%2").arg(m_config.managementHost).arg(m_config.managementPort);
    return QStringLiteral("%1:%2").arg(m_options.managementHost).arg(m_options.managementPort);
}

QString VpnSession::openvpnProgram() const
{
    return m_options.openvpnProgram.isEmpty() ? findProgram(QStringLiteral("openvpn"))
                                              : m_options.openvpnProgram;
}

QStringList VpnSession::openvpnArguments() const
{
    const QFileInfo file(m_options.configPath);
    QStringList args{QStringLiteral("--config"), file.absoluteFilePath(), QStringLiteral("--cd"),
                     file.absolutePath()};
    if (!m_config.hasManagement())
        args << QStringLiteral("--management") << m_options.managementHost
             << QString::number(m_options.managementPort);
    args << QStringLiteral("--management-hold") << QStringLiteral("--management-query-passwords");
    return args;
}

QString VpnSession::equivalentCommand() const
{
    return QStringLiteral("sudo openvpn --config %1").arg(m_options.configPath);
}

void VpnSession::connectVpn(std::function<void(const Result &)> done)
{
    m_done = std::move(done);
    m_finished = false;
    m_result = {};
    m_attempts.clear();
    m_methods.clear();
    m_serverAnswered = false;
    m_authFailed = false;
    m_pid = 0;
    m_clock.start();
    m_result.managementAddress = managementAddress();
    setProperty(kPhase, Looking);
    emit progress(tr("Looking for a running OpenVPN on %1.").arg(managementAddress()));
    m_timer->start();
    connectManagement();
}

void VpnSession::attach(bool startedByPier)
{
    setProperty(kPhase, Following);
    m_result.startedByPier = startedByPier;
    m_result.method = startedByPier ? m_current : LaunchMethod::Running;
    m_sinceStart.start();
    emit progress(startedByPier ? tr("OpenVPN started %1; following it on %2.")
                                      .arg(howStarted(m_current), managementAddress())
                                : tr("Found a running OpenVPN on %1.").arg(managementAddress()));
    m_mgmt->command(QStringLiteral("state on"));
    m_mgmt->command(QStringLiteral("state"), [this](const ManagementClient::Reply &r) {
        if (m_finished || !r.ok || r.lines.isEmpty())
            return;
        const VpnState s = VpnState::parse(r.lines.last());
        if (!s.name.isEmpty() && m_result.state.name.isEmpty())
            onState(s);
    });
}

void VpnSession::onState(const VpnState &s)
{
    if (m_finished)
        return;
    m_result.state = s;
    emit stateChanged(s);
    emit progress(tr("OpenVPN: %1.").arg(s.words()));
    if (serverAnswered(s.name))
        m_serverAnswered = true;
    const bool authFailure = s.description.contains(QLatin1String("auth-failure"));
    if (s.name == QLatin1String("CONNECTED")) {
        QString text = tr("Connected to the VPN server %1:%2; this machine's tunnel address is %3.")
                           .arg(s.remoteIp, s.remotePort, s.localIp);
        if (s.description == QLatin1String("ROUTE_ERROR"))
            text += tr(" OpenVPN could not add every route (ROUTE_ERROR).");
        finish(Result::Outcome::Connected, text);
    } else if (authFailure || m_authFailed) {
        finish(Result::Outcome::AuthFailed,
               tr("Authentication failed: the VPN server rejected the user name and password."));
    } else if (s.name == QLatin1String("RECONNECTING") && !m_serverAnswered) {
        const OvpnConfig::Remote r = m_config.remotes.value(0);
        finish(Result::Outcome::ServerUnreachable,
               tr("The VPN server %1:%2 is unreachable (%3). Check that it runs and that this "
                  "machine may reach it.")
                   .arg(r.host)
                   .arg(r.port)
                   .arg(s.description));
    } else if (s.name == QLatin1String("EXITING")) {
        const QString tail = logTail();
        finish(Result::Outcome::Exited,
               tr("OpenVPN is exiting (%1)%2")
                   .arg(s.description,
                        tail.isEmpty() ? QStringLiteral(".") : QStringLiteral(": ") + tail));
    }
}

void VpnSession::tryNextMethod()
{
    if (m_methods.isEmpty() && m_attempts.isEmpty()) {
        m_methods = m_options.methods;
        if (m_methods.isEmpty()) {
            if (::geteuid() == 0)
                m_methods = {LaunchMethod::Direct};
            else
                m_methods = {LaunchMethod::Pkexec, LaunchMethod::Sudo,
                             LaunchMethod::NetworkManager};
        }
        if (::geteuid() != 0)
            m_attempts << tr("Pier does not run as root");
    }
    if (m_methods.isEmpty()) {
        finish(Result::Outcome::StartFailed,
               tr("Could not start OpenVPN: %1. Start it yourself (%2) or import the file into "
                  "NetworkManager, then run this again.")
                   .arg(m_attempts.join(QStringLiteral("; ")), equivalentCommand()));
        return;
    }
    m_current = m_methods.takeFirst();
    const QString openvpn = openvpnProgram();
    if (m_current != LaunchMethod::NetworkManager && openvpn.isEmpty()) {
        m_attempts
            << tr("%1: the openvpn program is not installed (Debian: apt-get install openvpn)")
                   .arg(launchMethodName(m_current));
        tryNextMethod();
        return;
    }
    switch (m_current) {
    case LaunchMethod::Direct:
        startDetached(m_current, openvpn, openvpnArguments());
        return;
    case LaunchMethod::Pkexec: {
        const QString pkexec = findProgram(QStringLiteral("pkexec"));
        if (pkexec.isEmpty()) {
            m_attempts << tr("pkexec is not installed");
        } else if (qEnvironmentVariableIsEmpty("DISPLAY") &&
                   qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")) {
            m_attempts << tr("pkexec: no graphical session to ask for the password");
        } else {
            m_startWaitMs = 120000; // the user types a password
            startDetached(m_current, pkexec, QStringList{openvpn} + openvpnArguments());
            return;
        }
        break;
    }
    case LaunchMethod::Sudo: {
        const QString sudo = findProgram(QStringLiteral("sudo"));
        if (sudo.isEmpty()) {
            m_attempts << tr("sudo is not installed");
        } else {
            startDetached(m_current, sudo,
                          QStringList{QStringLiteral("-n"), openvpn} + openvpnArguments());
            return;
        }
        break;
    }
    case LaunchMethod::NetworkManager:
        startNetworkManager();
        return;
    default:
        break;
    }
    tryNextMethod();
}

void VpnSession::startDetached(LaunchMethod method, const QString &program, const QStringList &args)
{
    m_current = method;
    m_logFile = QDir::temp().filePath(
        QStringLiteral("pier-openvpn-%1-%2.log").arg(::getuid()).arg(m_options.managementPort));
    QProcess p;
    p.setProgram(program);
    p.setArguments(args);
    p.setStandardInputFile(QProcess::nullDevice());
    p.setStandardOutputFile(m_logFile, QIODevice::Truncate);
    p.setStandardErrorFile(m_logFile, QIODevice::Append);
    emit progress(tr("Starting OpenVPN %1.").arg(howStarted(method)));
    emit logLine(QStringLiteral("%1 %2").arg(program, args.join(QLatin1Char(' '))));
    qint64 pid = 0;
    if (!p.startDetached(&pid)) {
        m_attempts << tr("%1: could not run %2").arg(launchMethodName(method), program);
        tryNextMethod();
        return;
    }
    m_pid = pid;
    if (method != LaunchMethod::Pkexec)
        m_startWaitMs = 15000;
    setProperty(kPhase, Starting);
    m_sinceStart.start();
}

void VpnSession::pollStarted()
{
    if (m_mgmt->isConnected())
        return;
    if (!processAlive(m_pid)) {
        const QString tail = logTail();
        m_attempts << tr("%1: it stopped at once (%2)")
                          .arg(launchMethodName(m_current),
                               tail.isEmpty() ? tr("no output") : tail);
        m_pid = 0;
        tryNextMethod();
        return;
    }
    if (m_sinceStart.elapsed() > m_startWaitMs) {
        ::kill(pid_t(m_pid), SIGTERM);
        m_attempts << tr("%1: OpenVPN did not open its management interface within %2 s")
                          .arg(launchMethodName(m_current))
                          .arg(m_startWaitMs / 1000);
        m_pid = 0;
        tryNextMethod();
        return;
    }
    connectManagement();
}

void VpnSession::startNetworkManager()
{
    const QString nmcli = findProgram(QStringLiteral("nmcli"));
    if (nmcli.isEmpty()) {
        m_attempts << tr("NetworkManager: nmcli is not installed");
        tryNextMethod();
        return;
    }
    setProperty(kPhase, Idle);
    emit progress(tr("Handing the file to NetworkManager (nmcli connection import)."));
    auto *import = new QProcess(this);
    connect(import, &QProcess::finished, this, [this, import, nmcli](int code) {
        import->deleteLater();
        const QString out = QString::fromLocal8Bit(import->readAllStandardOutput());
        const QString err = QString::fromLocal8Bit(import->readAllStandardError()).trimmed();
        const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("\\(([0-9a-fA-F-]{36})\\)")).match(out);
        if (code != 0 || !m.hasMatch()) {
            m_attempts << tr("NetworkManager: the import failed (%1; is network-manager-openvpn "
                             "installed?)")
                              .arg(err.isEmpty() ? out.trimmed() : err);
            tryNextMethod();
            return;
        }
        m_result.nmConnection = m.captured(1);
        emit progress(tr("NetworkManager has it as connection %1; bringing it up.")
                          .arg(m_result.nmConnection));
        auto *up = new QProcess(this);
        connect(up, &QProcess::finished, this, [this, up](int code) {
            up->deleteLater();
            const QString err = QString::fromLocal8Bit(up->readAllStandardError()).trimmed();
            m_result.method = LaunchMethod::NetworkManager;
            m_result.startedByPier = true;
            if (code == 0)
                finish(Result::Outcome::Connected, tr("NetworkManager brought the VPN up."));
            else
                finish(err.contains(QLatin1String("auth"), Qt::CaseInsensitive)
                           ? Result::Outcome::AuthFailed
                           : Result::Outcome::Exited,
                       tr("NetworkManager could not bring the VPN up: %1").arg(err));
        });
        up->start(nmcli,
                  {QStringLiteral("--wait"), QString::number(m_options.connectTimeoutMs / 1000),
                   QStringLiteral("connection"), QStringLiteral("up"), QStringLiteral("uuid"),
                   m_result.nmConnection});
    });
    import->start(nmcli, {QStringLiteral("connection"), QStringLiteral("import"),
                          QStringLiteral("type"), QStringLiteral("openvpn"), QStringLiteral("file"),
                          QFileInfo(m_options.configPath).absoluteFilePath()});
}

QString VpnSession::logTail() const
{
    if (m_logFile.isEmpty())
        return {};
    QFile f(m_logFile);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QStringList lines;
    for (const QByteArray &l : f.readAll().split('\n')) {
        QString s = QString::fromLocal8Bit(l).trimmed();
        // "2026-11-26 13:40:38 message": the time adds nothing to an error message
        s.remove(QRegularExpression(QStringLiteral("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ")));
        if (!s.isEmpty())
            lines << s;
    }
    return lines.mid(qMax(0, int(lines.size()) - 2)).join(QStringLiteral(" / "));
}

void VpnSession::finish(Result::Outcome outcome, const QString &message)
{
    if (m_finished)
        return;
    m_finished = true;
    m_timer->stop();
    m_result.outcome = outcome;
    m_result.message = message;
    const bool stopIt = outcome != Result::Outcome::Connected && m_result.startedByPier &&
                        m_result.method != LaunchMethod::NetworkManager;
    qCDebug(lcVpn) << "vpn:" << Result::outcomeName(outcome) << message;
    setProperty(kPhase, Stopping);
    auto complete = [this] {
        m_mgmt->disconnectFromServer(); // OpenVPN takes one management client at a time
        setProperty(kPhase, Idle);
        auto done = std::move(m_done);
        m_done = nullptr;
        if (done)
            done(m_result);
    };
    if (stopIt && m_mgmt->isConnected()) {
        // Nothing half-done: an OpenVPN Pier started for a connection that failed goes away.
        emit progress(tr("Stopping the OpenVPN Pier started."));
        m_mgmt->command(QStringLiteral("signal SIGTERM"),
                        [complete](const ManagementClient::Reply &) { complete(); });
        return;
    }
    if (outcome != Result::Outcome::Connected && m_pid > 0 && processAlive(m_pid) &&
        !m_mgmt->isConnected())
        ::kill(pid_t(m_pid), SIGTERM);
    complete();
}

void VpnSession::cancel()
{
    if (!m_finished)
        finish(Result::Outcome::Cancelled, tr("Cancelled."));
}

void VpnSession::probe(std::function<void(bool, const VpnState &, const QString &)> done)
{
    setProperty(kPhase, Probing);
    auto *ctx = new QObject(this);
    auto fired = std::make_shared<bool>(false);
    auto fire = [this, ctx, done, fired](bool found, const VpnState &s, const QString &error) {
        if (std::exchange(*fired, true))
            return;
        ctx->deleteLater();
        m_mgmt->disconnectFromServer();
        setProperty(kPhase, Idle);
        done(found, s, error);
    };
    connect(m_mgmt, &ManagementClient::connectionFailed, ctx,
            [fire](const QString &e) { fire(false, {}, e); });
    connect(m_mgmt, &ManagementClient::connected, ctx, [this, fire] {
        m_mgmt->command(QStringLiteral("state"), [fire](const ManagementClient::Reply &r) {
            fire(r.ok, r.lines.isEmpty() ? VpnState{} : VpnState::parse(r.lines.last()),
                 r.ok ? QString() : r.text);
        });
    });
    connectManagement();
}

void VpnSession::disconnectVpn(std::function<void(bool, const QString &)> done)
{
    if (!m_result.nmConnection.isEmpty()) {
        auto *down = new QProcess(this);
        connect(down, &QProcess::finished, this, [down, done](int code) {
            down->deleteLater();
            done(code == 0, code == 0
                                ? tr("NetworkManager took the VPN down.")
                                : QString::fromLocal8Bit(down->readAllStandardError()).trimmed());
        });
        down->start(findProgram(QStringLiteral("nmcli")),
                    {QStringLiteral("connection"), QStringLiteral("down"), QStringLiteral("uuid"),
                     m_result.nmConnection});
        return;
    }
    setProperty(kPhase, Stopping);
    auto *ctx = new QObject(this);
    auto fired = std::make_shared<bool>(false);
    auto fire = [this, ctx, done, fired](bool ok, const QString &message) {
        if (std::exchange(*fired, true))
            return;
        ctx->deleteLater();
        m_mgmt->disconnectFromServer();
        setProperty(kPhase, Idle);
        done(ok, message);
    };
    connect(m_mgmt, &ManagementClient::connectionFailed, ctx, [this, fire](const QString &) {
        fire(true, tr("No OpenVPN answers on %1: nothing to stop.").arg(managementAddress()));
    });
    connect(m_mgmt, &ManagementClient::disconnected, ctx,
            [fire] { fire(true, tr("OpenVPN stopped.")); });
    connect(m_mgmt, &ManagementClient::connected, ctx, [this, fire] {
        m_mgmt->command(QStringLiteral("signal SIGTERM"), [fire](const ManagementClient::Reply &r) {
            if (!r.ok)
                fire(false, tr("OpenVPN refused to stop: %1").arg(r.text));
            // else: it closes the session as it exits
        });
    });
    QTimer::singleShot(15000, ctx,
                       [fire] { fire(false, tr("OpenVPN did not stop within 15 s.")); });
    connectManagement();
}

} // namespace pier::vpn
