#pragma once

#include <QStringList>

namespace pier::cli {

// True when these arguments ask for a command-line subcommand rather than the GUI.
bool isCliInvocation(const QStringList &args);

// Runs `pier <subcommand> ...`; returns the process exit code. Needs a QCoreApplication.
int run(const QStringList &args);

} // namespace pier::cli
