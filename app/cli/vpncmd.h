#pragma once

#include "vpn/vpnsession.h"

#include <QStringList>

class QCommandLineParser;

namespace pier::cli {

// `pier vpn check` and `pier vpn connect [--config FILE]`: whether Marathon and Mesos answer from
// here, and connecting the profile's OpenVPN when they do not. Exit 0 when they answer.
int cmdVpn(const QCommandLineParser &parser, const QStringList &args);

// A user name and password typed at the terminal: kept in the keychain only once the VPN has
// accepted them (save() after the connection came up), so a mistyped password is never stored.
struct TypedVpnCredentials {
    QString key; // the keychain entries' base name
    QString user;
    QString password;
    bool pending = false;
    void save(); // once; then forgets the password
};

// The VPN's user name and password: PIER_VPN_USER + PIER_VPN_PASSWORD, else the keychain (kept
// per profile, or per .ovpn file without one), else, when MAY_PROMPT and on a terminal, asked
// there (handed to TYPED for saving once accepted; not kept without it). Never from arguments.
vpn::Credentials vpnCredentials(const QString &profile, const QString &configPath,
                                bool mayPrompt = true, TypedVpnCredentials *typed = nullptr);

} // namespace pier::cli
