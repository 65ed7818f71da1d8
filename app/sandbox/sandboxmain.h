#pragma once

#include <QStringList>

namespace pier::sandbox {

// `pier sandbox up`: serves the Marathon API until SIGINT or SIGTERM; returns the exit code.
//   --port N             port to listen on (default 8080; 0 picks a free one)
//   --listen ADDRESS     address to listen on (default 127.0.0.1)
//   --flavor modern|legacy   Marathon 1.10 or 0.7.6 shapes (default modern)
//   --user NAME:PASSWORD     require HTTP basic auth
// Prints "Marathon API: http://127.0.0.1:8080" on stdout once listening. Needs a
// QCoreApplication (or a subclass) to exist; it runs its event loop.
int runMarathonServer(const QStringList &args);

} // namespace pier::sandbox
