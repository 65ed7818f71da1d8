#pragma once

#include "core/apierror.h"
#include "core/profile.h"
#include "marathon/marathonclient.h"

#include <QString>

namespace pier::cli {

// Where Marathon is and how to log in, for the CLI and the GUI alike:
//   the address from --marathon, else PIER_MARATHON_URL, else the profile (--profile NAME, else
//   the active profile; its credentials come from the keychain), else the saved setting;
//   credentials from PIER_MARATHON_USER + PIER_MARATHON_PASSWORD (or the keychain entry
//   for that user and address), or PIER_MARATHON_TOKEN; a CA file from PIER_MARATHON_CA_FILE;
//   a SOCKS5 proxy from --proxy, else PIER_PROXY, else the profile that gave the address.
// Credentials are never taken from command-line arguments (they would show in `ps`).
struct MarathonTarget {
    marathon::MarathonConfig config;
    QString source;  // "--marathon", "PIER_MARATHON_URL", "profile NAME", "settings"
    QString profile; // the profile that gave the address, if one did
};

// `profileName` empty: the active profile. A named profile that does not exist is an error.
MarathonTarget resolveMarathon(const QString &urlOption, ApiError *error,
                               const QString &profileName = {}, const QString &proxyOption = {});

// Exactly this profile's Marathon (the environment does not override it): what the window uses
// when the user picks a profile. Credentials from the keychain.
MarathonTarget marathonForProfile(const Profile &profile, ApiError *error);

// The keychain key for a Marathon password: one per user and address.
QString marathonSecretKey(const QUrl &url, const QString &user);

// Accepts "host:port", "http://host:port", "https://host"; fills in http:// and :8080.
QUrl normalizeMarathonUrl(const QString &text, QString *error);

} // namespace pier::cli
