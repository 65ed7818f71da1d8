#pragma once

#include <QStringList>

class QCommandLineParser;

namespace pier::cli {

// The options `pier gce ...` takes (--project, --region, --zone, --endpoint, --key-file,
// --health-check, --instances, --network), added to the command line's parser.
void addGceOptions(QCommandLineParser &parser);

// `pier gce plan|apply|status|teardown`: the tutorial's GCE steps (address, target pool, nodes,
// forwarding rule, tags, network, firewall) for the app's service port.
int cmdGce(const QCommandLineParser &parser, const QStringList &args);

} // namespace pier::cli
