#pragma once

#include "vpn/vpnsession.h"

#include <QStringList>

class QCommandLineParser;

namespace pier::cli {

// `pier vpn check` and `pier vpn connect [--config FILE]`: whether Marathon and Mesos answer from
// here, and connecting the profile's OpenVPN when they do not. Exit 0 when they answer.
int cmdVpn(const QCommandLineParser &parser, const QStringList &args);

// The VPN's user name and password: PIER_VPN_USER + PIER_VPN_PASSWORD, else the keychain (kept
// per profile, or per .ovpn file without one), else, when MAY_PROMPT and on a terminal, asked
// there (and kept in the keychain). Never from arguments.
vpn::Credentials vpnCredentials(const QString &profile, const QString &configPath,
                                bool mayPrompt = true);

} // namespace pier::cli
