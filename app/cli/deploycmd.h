#pragma once

#include "cli/vpncmd.h"
#include "deploy/deployplan.h"

#include <QStringList>
#include <memory>

class QCommandLineParser;

namespace pier::cli {

// The clients and settings of one journey, from the profile and the command line (--profile,
// --marathon, --proxy, --mesos, --config, --timeout, --health-check and the GCE options).
struct DeployJourney {
    DeployJourney();
    ~DeployJourney();
    std::unique_ptr<QObject> owner; // holds the GCE client
    std::unique_ptr<marathon::MarathonClient> marathon;
    deploy::DeploySetup setup;
    // VPN credentials typed at the terminal, saved once the VPN step accepted them.
    std::shared_ptr<TypedVpnCredentials> typedVpn = std::make_shared<TypedVpnCredentials>();
};
bool prepareDeploy(const QCommandLineParser &parser, const marathon::AppDefinition &app, int port,
                   DeployJourney *journey, QString *error);
// The same from a profile alone (the window): PROFILE, else the active one.
bool prepareDeploy(const QString &profile, const marathon::AppDefinition &app, int port,
                   DeployJourney *journey, QString *error);

// `pier deploy FILE [--port P] [--headless] [--script]`: the whole journey (connect, launch, GCE,
// the nodes' iptables, fetch the page) with a progress line per step on stderr and the public
// URL on stdout; resumes from its journal when run again. --script prints the equivalent shell
// commands instead and changes nothing.
int cmdDeploy(const QCommandLineParser &parser, const QStringList &args);

// `pier undeploy [APP_ID]`: tear down what `pier deploy` made for the profile (the nodes' rules,
// the GCE resources, the app), and nothing else.
int cmdUndeploy(const QCommandLineParser &parser, const QStringList &args);

} // namespace pier::cli
