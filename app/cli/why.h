#pragma once

#include <QStringList>

class QCommandLineParser;

namespace pier::cli {

// `pier why APP_ID [--json]`: why a deployment does not progress, from Marathon's and Mesos's
// state. Mesos's address: --mesos URL, else PIER_MESOS_URL, else Marathon's host on port 5050.
int cmdWhy(const QCommandLineParser &parser, const QStringList &args);

} // namespace pier::cli
