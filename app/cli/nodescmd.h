#pragma once

#include <QCommandLineParser>
#include <QStringList>

namespace pier::cli {

// pier nodes [--json]
int cmdNodes(const QCommandLineParser &parser, const QStringList &args);
// pier ssh NODE -- COMMAND...
int cmdSsh(const QCommandLineParser &parser, const QStringList &args);
// pier firewall diagnose|open|undo [--port P] [--node NAME] [--from ADDR] [--only-to ADDR]
//                                  [--persist] [--json]
int cmdFirewall(const QCommandLineParser &parser, const QStringList &args);

} // namespace pier::cli
