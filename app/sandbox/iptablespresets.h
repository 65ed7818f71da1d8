#pragma once

// The iptables rule sets the sandbox's nodes start with, modelled on real machines, so the
// diagnosis of "port 80 is blocked on the node" can be tested against each of them.

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

namespace pier::sandbox {

enum class IptablesPreset {
    Mesosphere, // as on Mesosphere's GCE images: INPUT policy DROP; lo, established, ssh, internal
    Reject,     // RHEL/CentOS style: policy ACCEPT, a trailing "-j REJECT --reject-with
                // icmp-host-prohibited"
    Ufw,  // Ubuntu's ufw: INPUT policy DROP, decisions in ufw-before-input / ufw-user-input chains
    Open, // nothing filtered: port 80 is already open
};

enum class IptablesBackend {
    Nft,    // iptables-nft, Debian's default since 10
    Legacy, // iptables-legacy (x_tables)
};

QString presetName(IptablesPreset preset);
std::optional<IptablesPreset> parsePreset(const QString &name);
QStringList presetNames();

QString backendName(IptablesBackend backend);
std::optional<IptablesBackend> parseBackend(const QString &name);

// The tool for BACKEND: tool is "iptables", "iptables-save" or "iptables-restore".
QString iptablesTool(IptablesBackend backend, const QString &tool);
// True when the tools of BACKEND are installed (the kernel side is checked when rules load).
bool backendAvailable(IptablesBackend backend);

// The filter table of PRESET in iptables-save form, accepting INTERNAL_CIDR as the internal
// network.
QByteArray presetRules(IptablesPreset preset, const QString &internalCidr);

} // namespace pier::sandbox
