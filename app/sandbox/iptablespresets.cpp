#include "sandbox/iptablespresets.h"

#include "sandbox/netns.h"

#include <QFileInfo>

namespace pier::sandbox {

QString presetName(IptablesPreset preset)
{
    switch (preset) {
    case IptablesPreset::Mesosphere:
        return QStringLiteral("mesosphere");
    case IptablesPreset::Reject:
        return QStringLiteral("reject");
    case IptablesPreset::Ufw:
        return QStringLiteral("ufw");
    case IptablesPreset::Open:
        break;
    }
    return QStringLiteral("open");
}

QStringList presetNames()
{
    return {QStringLiteral("mesosphere"), QStringLiteral("reject"), QStringLiteral("ufw"),
            QStringLiteral("open")};
}

std::optional<IptablesPreset> parsePreset(const QString &name)
{
    for (IptablesPreset p : {IptablesPreset::Mesosphere, IptablesPreset::Reject,
                             IptablesPreset::Ufw, IptablesPreset::Open}) {
        if (presetName(p) == name)
            return p;
    }
    return std::nullopt;
}

QString backendName(IptablesBackend backend)
{
    return backend == IptablesBackend::Legacy ? QStringLiteral("legacy") : QStringLiteral("nft");
}

std::optional<IptablesBackend> parseBackend(const QString &name)
{
    if (name == QLatin1String("nft") || name == QLatin1String("nf_tables"))
        return IptablesBackend::Nft;
    if (name == QLatin1String("legacy"))
        return IptablesBackend::Legacy;
    return std::nullopt;
}

QString iptablesTool(IptablesBackend backend, const QString &tool)
{
    // iptables-restore -> iptables-legacy-restore / iptables-nft-restore
    const QString suffix =
        backend == IptablesBackend::Legacy ? QStringLiteral("-legacy") : QStringLiteral("-nft");
    const QString name = tool.startsWith(QLatin1String("iptables-"))
                             ? QStringLiteral("iptables") + suffix + tool.mid(8)
                             : tool + suffix;
    return findProgram(name);
}

bool backendAvailable(IptablesBackend backend)
{
    return QFileInfo(iptablesTool(backend, QStringLiteral("iptables-restore"))).isExecutable();
}

QByteArray presetRules(IptablesPreset preset, const QString &internalCidr)
{
    const QString net = internalCidr;
    QString r = QStringLiteral("*filter\n");
    switch (preset) {
    case IptablesPreset::Mesosphere:
        r += QStringLiteral(":INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                            "-A INPUT -i lo -j ACCEPT\n"
                            "-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n"
                            "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                            "-A INPUT -s %1 -j ACCEPT\n")
                 .arg(net);
        break;
    case IptablesPreset::Reject:
        r += QStringLiteral(":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                            "-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n"
                            "-A INPUT -p icmp -j ACCEPT\n"
                            "-A INPUT -i lo -j ACCEPT\n"
                            "-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n"
                            "-A INPUT -s %1 -j ACCEPT\n"
                            "-A INPUT -j REJECT --reject-with icmp-host-prohibited\n"
                            "-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n")
                 .arg(net);
        break;
    case IptablesPreset::Ufw:
        // The shape `ufw enable` leaves behind with "ufw allow 22/tcp" and "ufw allow from NET":
        // built-in chains only jump, the ACCEPTs live in ufw-user-input, the policy drops the rest.
        r +=
            QStringLiteral(
                ":INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                ":ufw-after-forward - [0:0]\n:ufw-after-input - [0:0]\n:ufw-after-logging-forward "
                "- [0:0]\n"
                ":ufw-after-logging-input - [0:0]\n:ufw-after-logging-output - "
                "[0:0]\n:ufw-after-output - [0:0]\n"
                ":ufw-before-forward - [0:0]\n:ufw-before-input - "
                "[0:0]\n:ufw-before-logging-forward - [0:0]\n"
                ":ufw-before-logging-input - [0:0]\n:ufw-before-logging-output - "
                "[0:0]\n:ufw-before-output - [0:0]\n"
                ":ufw-not-local - [0:0]\n:ufw-reject-forward - [0:0]\n:ufw-reject-input - [0:0]\n"
                ":ufw-reject-output - [0:0]\n:ufw-track-forward - [0:0]\n:ufw-track-input - [0:0]\n"
                ":ufw-track-output - [0:0]\n:ufw-user-forward - [0:0]\n:ufw-user-input - [0:0]\n"
                ":ufw-user-limit - [0:0]\n:ufw-user-limit-accept - [0:0]\n:ufw-user-output - "
                "[0:0]\n"
                "-A INPUT -j ufw-before-logging-input\n"
                "-A INPUT -j ufw-before-input\n"
                "-A INPUT -j ufw-after-input\n"
                "-A INPUT -j ufw-after-logging-input\n"
                "-A INPUT -j ufw-reject-input\n"
                "-A INPUT -j ufw-track-input\n"
                "-A FORWARD -j ufw-before-logging-forward\n"
                "-A FORWARD -j ufw-before-forward\n"
                "-A FORWARD -j ufw-after-forward\n"
                "-A FORWARD -j ufw-after-logging-forward\n"
                "-A FORWARD -j ufw-reject-forward\n"
                "-A FORWARD -j ufw-track-forward\n"
                "-A OUTPUT -j ufw-before-logging-output\n"
                "-A OUTPUT -j ufw-before-output\n"
                "-A OUTPUT -j ufw-after-output\n"
                "-A OUTPUT -j ufw-after-logging-output\n"
                "-A OUTPUT -j ufw-reject-output\n"
                "-A OUTPUT -j ufw-track-output\n"
                "-A ufw-before-input -i lo -j ACCEPT\n"
                "-A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                "-A ufw-before-input -m conntrack --ctstate INVALID -j DROP\n"
                "-A ufw-before-input -p icmp -m icmp --icmp-type 3 -j ACCEPT\n"
                "-A ufw-before-input -p icmp -m icmp --icmp-type 11 -j ACCEPT\n"
                "-A ufw-before-input -p icmp -m icmp --icmp-type 8 -j ACCEPT\n"
                "-A ufw-before-input -j ufw-not-local\n"
                "-A ufw-before-input -j ufw-user-input\n"
                "-A ufw-before-output -o lo -j ACCEPT\n"
                "-A ufw-before-output -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                "-A ufw-before-output -j ufw-user-output\n"
                "-A ufw-not-local -m addrtype --dst-type LOCAL -j RETURN\n"
                "-A ufw-not-local -m addrtype --dst-type MULTICAST -j RETURN\n"
                "-A ufw-not-local -m addrtype --dst-type BROADCAST -j RETURN\n"
                "-A ufw-not-local -j DROP\n"
                "-A ufw-track-output -p tcp -m conntrack --ctstate NEW -j ACCEPT\n"
                "-A ufw-track-output -p udp -m conntrack --ctstate NEW -j ACCEPT\n"
                "-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT\n"
                "-A ufw-user-input -s %1 -j ACCEPT\n"
                "-A ufw-user-limit -j REJECT --reject-with icmp-port-unreachable\n"
                "-A ufw-user-limit-accept -j ACCEPT\n")
                .arg(net);
        break;
    case IptablesPreset::Open:
        r += QStringLiteral(":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        break;
    }
    r += QStringLiteral("COMMIT\n");
    return r.toLatin1();
}

} // namespace pier::sandbox
