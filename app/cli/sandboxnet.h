#pragma once

#include <QCommandLineParser>
#include <QStringList>

namespace pier::sandbox {
struct ClusterOptions;
}

namespace pier::cli {

// --nodes, --preset and --backend into OPTIONS; false (and *error says why) when one is wrong.
bool parseNetOptions(const QCommandLineParser &parser, sandbox::ClusterOptions *options,
                     QString *error);

// `pier sandbox net up|status|down`: the sandbox's network of namespaces (app/sandbox/cluster.h).
// ARGS are the words after "net". The sandbox id comes from $PIER_SANDBOX_ID (default "pier"), its
// state directory from $PIER_SANDBOX_DIR.
int cmdSandboxNet(const QCommandLineParser &parser, const QStringList &args);

} // namespace pier::cli
