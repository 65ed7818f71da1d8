#pragma once

#include <QCommandLineParser>
#include <QStringList>

namespace pier::sandbox {
class Cluster;
}

namespace pier::cli {

// Stops the sandbox's daemon if it runs (SIGTERM, then SIGKILL); false if it would not stop.
bool stopSandboxDaemon(const sandbox::Cluster &cluster, QString *error);

// Empty when this process can run the full sandbox (root, the tools); else why not and what to do.
QString fullSandboxUnavailable();

// `pier sandbox up|status|down|logs|serve` for the full sandbox: the network (sandboxnet), then a
// background daemon serving Marathon, Mesos, the SOCKS5 proxy and the GCE API
// (app/sandbox/sandboxdaemon.h), and the active profile "sandbox". ARGS start with the action.
// The sandbox id comes from $PIER_SANDBOX_ID (default "pier"), its state dir from
// $PIER_SANDBOX_DIR.
int cmdSandboxFull(const QCommandLineParser &parser, const QStringList &args);

} // namespace pier::cli
