#include "vpn/vpnstep.h"

#include <QFileInfo>
#include <QRegularExpression>

namespace pier::vpn {

namespace {

ApiError vpnError(const QString &reason, const QString &message, const QString &hint = {})
{
    ApiError e = ApiError::local(message, hint);
    e.reason = reason;
    return e;
}

} // namespace

VpnStep::VpnStep(const Options &options, QObject *parent)
    : Step(QStringLiteral("vpn.connect"), parent), m_options(options)
{
    m_options.session.configPath = options.configPath;
    if (!options.configPath.isEmpty())
        m_config = OvpnConfig::load(options.configPath);
}

QString VpnStep::title() const
{
    return tr("Connect to the private network");
}

QString VpnStep::explanation() const
{
    QString text = tr("Marathon and Mesos listen on the cluster's private network, which is not "
                      "reachable from the internet. Pier first checks whether they answer already "
                      "(through a bastion, a SOCKS proxy, or because this machine is inside the "
                      "network); if they do, there is nothing to do.");
    if (!m_options.configPath.isEmpty())
        text += QLatin1Char(' ') + tr("Otherwise it connects the VPN described in %1, which: %2")
                                       .arg(QFileInfo(m_options.configPath).fileName(),
                                            m_config.summary().join(QLatin1Char(' ')));
    return text;
}

QString VpnStep::equivalentCommand() const
{
    if (m_options.configPath.isEmpty()) {
        // Through the proxy when the profile has one, as Pier itself goes.
        const QString proxy = QString(m_options.reach.socksProxy)
                                  .remove(QRegularExpression(QStringLiteral("^socks5h?://")));
        return proxy.isEmpty()
                   ? QStringLiteral("curl %1/ping").arg(m_options.reach.marathon.toString())
                   : QStringLiteral("curl --socks5-hostname %1 %2/ping")
                         .arg(proxy, m_options.reach.marathon.toString());
    }
    return QStringLiteral("sudo openvpn --config %1").arg(m_options.configPath);
}

QVariantMap VpnStep::outputs() const
{
    return {{QStringLiteral("vpn.reachableWithoutVpn"), m_reachableWithoutVpn},
            {QStringLiteral("vpn.startedByPier"), m_startedByPier},
            {QStringLiteral("vpn.management"), m_connection.managementAddress},
            {QStringLiteral("vpn.method"), launchMethodName(m_connection.method)}};
}

void VpnStep::finish(const StepResult &r)
{
    auto done = std::move(m_done);
    m_done = nullptr;
    if (done)
        done(r);
}

void VpnStep::prove(std::function<void(const ReachabilityVerdict &)> done)
{
    if (m_check)
        m_check->deleteLater();
    m_check = new ReachabilityCheck(m_options.reach, this);
    m_check->start([this, done](const ReachabilityVerdict &v) {
        m_verdict = v;
        for (const ServiceProbe &p : v.probes)
            emit logLine(p.describe());
        done(v);
    });
}

void VpnStep::check(const QVariantMap &, StepCallback done)
{
    m_done = std::move(done);
    emit progress(tr("Trying Marathon and Mesos directly."));
    prove([this](const ReachabilityVerdict &v) {
        if (v.ok()) {
            const bool viaTunnel =
                !upTunnelDevices().isEmpty() && routeTo(v.probes.value(0).host()).viaTunnel();
            m_reachableWithoutVpn = !viaTunnel;
            finish(StepResult::done(
                viaTunnel ? tr("Already reachable through a VPN that is up: %1").arg(v.message)
                          : tr("Already reachable without a VPN: %1").arg(v.message),
                outputs()));
            return;
        }
        if (v.kind == ReachabilityVerdict::Kind::NotConfigured) {
            finish(StepResult::blocked(v.message));
            return;
        }
        if (m_options.configPath.isEmpty()) {
            finish(StepResult::blocked(tr("%1 The profile has no VPN file (.ovpn) to connect with: "
                                          "add one, or a SOCKS proxy.")
                                           .arg(v.message)));
            return;
        }
        if (!m_config.problems.isEmpty()) {
            finish(
                StepResult::blocked(tr("%1 The VPN file %2 has problems: %3")
                                        .arg(v.message, m_options.configPath,
                                             m_config.problemLines().join(QStringLiteral("; ")))));
            return;
        }
        finish(StepResult::needed(tr("%1 Pier will connect the VPN.").arg(v.message)));
    });
}

void VpnStep::apply(const QVariantMap &, StepCallback done)
{
    m_done = std::move(done);
    if (m_options.configPath.isEmpty() || !m_config.problems.isEmpty()) {
        finish(StepResult::failed(
            vpnError(QStringLiteral("vpn-config"),
                     m_options.configPath.isEmpty()
                         ? tr("No VPN file (.ovpn) is set in the profile.")
                         : tr("The VPN file %1 has problems: %2")
                               .arg(m_options.configPath,
                                    m_config.problemLines().join(QStringLiteral("; "))))));
        return;
    }
    for (const QString &line : m_config.summary())
        emit logLine(line);
    if (m_session)
        m_session->deleteLater();
    m_session = new VpnSession(m_options.session, m_config, this);
    m_session->setCredentialsProvider(m_credentials);
    connect(m_session, &VpnSession::progress, this, &Step::progress);
    connect(m_session, &VpnSession::logLine, this, &Step::logLine);
    connect(m_session, &VpnSession::stateChanged, this, &VpnStep::stateChanged);
    m_session->connectVpn([this](const VpnSession::Result &r) {
        m_connection = r;
        using O = VpnSession::Result::Outcome;
        if (r.ok()) {
            m_startedByPier = r.startedByPier;
            finish(StepResult::done(r.message, outputs()));
            return;
        }
        if (r.outcome == O::Cancelled) {
            finish(StepResult::cancelled());
            return;
        }
        ApiError e = vpnError(QStringLiteral("vpn-") + VpnSession::Result::outcomeName(r.outcome),
                              r.message);
        if (r.outcome == O::AuthFailed) {
            e.kind = ApiError::Kind::Auth;
            e.hint = tr("Check the VPN user name and password (your VPN administrator has them), "
                        "then run the step again: the window asks for them again; `pier` takes "
                        "them from PIER_VPN_USER and PIER_VPN_PASSWORD, or the keychain.");
        } else if (r.outcome == O::ServerUnreachable) {
            e.hint = tr("Is this machine on a network that may reach the VPN server?");
        }
        finish(StepResult::failed(e));
    });
}

void VpnStep::verify(const QVariantMap &, StepCallback done)
{
    m_done = std::move(done);
    emit progress(tr("Proving Marathon and Mesos answer."));
    prove([this](const ReachabilityVerdict &v) {
        if (v.ok()) {
            // Say which way they answered: through the VPN just connected, or as they were.
            const bool viaVpn = m_connection.ok() && !m_connection.state.localIp.isEmpty();
            finish(StepResult::done(
                viaVpn
                    ? tr("Connected through the VPN (server %1, this machine's tunnel "
                         "address %2): %3")
                          .arg(m_connection.state.remoteIp, m_connection.state.localIp, v.message)
                    : v.message,
                outputs()));
            return;
        }
        finish(StepResult::failed(
            vpnError(QStringLiteral("vpn-") + ReachabilityVerdict::kindName(v.kind), v.message)));
    });
}

void VpnStep::undo(const QVariantMap &, StepCallback done)
{
    m_done = std::move(done);
    if (!m_startedByPier || !m_session) {
        finish(StepResult::done(tr("Pier did not start a VPN; nothing to stop.")));
        return;
    }
    emit progress(
        tr("Stopping the VPN Pier started (signal SIGTERM over its management interface)."));
    m_session->disconnectVpn([this](bool ok, const QString &message) {
        if (ok) {
            m_startedByPier = false;
            finish(StepResult::done(message));
        } else {
            finish(StepResult::failed(vpnError(QStringLiteral("vpn-stop"), message)));
        }
    });
}

void VpnStep::cancel()
{
    if (m_check)
        m_check->cancel();
    if (m_session)
        m_session->cancel();
    if (m_done)
        finish(StepResult::cancelled());
}

} // namespace pier::vpn
