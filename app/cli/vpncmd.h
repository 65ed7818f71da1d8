#pragma once

#include <QStringList>

class QCommandLineParser;

namespace pier::cli {

// `pier vpn check` and `pier vpn connect [--config FILE]`: whether Marathon and Mesos answer from
// here, and connecting the profile's OpenVPN when they do not. Exit 0 when they answer.
int cmdVpn(const QCommandLineParser &parser, const QStringList &args);

} // namespace pier::cli
