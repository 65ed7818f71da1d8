#pragma once

#include "core/apierror.h"
#include "core/profile.h"
#include "gce/gcesteps.h"

#include <QStringList>

class QCommandLineParser;
class QObject;

namespace pier::cli {

// What the command line (or a caller) gives instead of the profile's settings.
struct GceOverrides {
    QString project, region, zone, endpoint, keyFile, network;
    QStringList instances;
};

// Where Pier works on GCE and as whom, for the command line and the Network page alike.
struct GceSetup {
    gce::GceTarget target;
    gce::GceClient *client = nullptr; // parented to the caller's `parent`
    QString journalPath;              // what Pier made there: one journal per project and region
    QString who;                      // who the calls run as
};

// Project, region, zone, endpoint and credentials from the overrides, else the profile
// (credentials: PIER_GCE_TOKEN, a key file, the keychain's key, gcloud, application-default).
bool gceSetup(const Profile &profile, const GceOverrides &overrides, QObject *parent, GceSetup *out,
              ApiError *error);

// The options `pier gce ...` takes (--project, --region, --zone, --endpoint, --key-file,
// --health-check, --instances, --network), added to the command line's parser.
void addGceOptions(QCommandLineParser &parser);

// `pier gce plan|apply|status|teardown`: the tutorial's GCE steps (address, target pool, nodes,
// forwarding rule, tags, network, firewall) for the app's service port.
int cmdGce(const QCommandLineParser &parser, const QStringList &args);

} // namespace pier::cli
