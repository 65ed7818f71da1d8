#pragma once

#include "core/apierror.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

// Typed Compute Engine v1 resources. Parsers take what they know and ignore the rest (old and new
// API revisions add and drop output-only fields); a missing field stays empty.
namespace pier::gce {

// The last path segment of a resource URL ("…/zones/us-central1-a" → "us-central1-a").
QString lastSegment(const QString &url);

struct GceErrorItem {
    QString code;   // operation errors: RESOURCE_ALREADY_EXISTS, QUOTA_EXCEEDED, ...
    QString reason; // HTTP errors: alreadyExists, quotaExceeded, ...
    QString domain;
    QString message;
    QString location;
};

struct GceOperation {
    QString id, name, kind, operationType, status; // PENDING, RUNNING, DONE
    QString targetLink, targetId, selfLink, region, zone, user;
    QString insertTime, startTime, endTime, statusMessage;
    int progress = 0;
    int httpErrorStatusCode = 0;
    QString httpErrorMessage;
    QList<GceErrorItem> errors; // set on a DONE operation that failed
    bool isDone() const { return status == QLatin1String("DONE"); }
    bool hasError() const { return !errors.isEmpty(); }
    // "region", "zone" or "global": where the operation lives, for operations get/wait.
    QString scope() const;
    QString scopeName() const { return lastSegment(zone.isEmpty() ? region : zone); }
};

struct GceAddress {
    QString id, name, description, address, status, region, selfLink, addressType, networkTier;
    QStringList users;
    QString creationTimestamp;
};

struct GceTargetPool {
    QString id, name, description, region, selfLink, sessionAffinity, backupPool;
    QStringList instances;    // instance URLs
    QStringList healthChecks; // httpHealthCheck URLs
    QString creationTimestamp;
};

struct GceForwardingRule {
    QString id, name, description, region, selfLink, ipAddress, ipProtocol, portRange, target;
    QString loadBalancingScheme, creationTimestamp;
};

struct GceAccessConfig {
    QString name, type, natIP;
};

struct GceNetworkInterface {
    QString name, network, subnetwork, networkIP;
    QList<GceAccessConfig> accessConfigs;
};

struct GceTags {
    QStringList items;
    QString fingerprint;
};

struct GceInstance {
    QString id, name, zone, status, selfLink, machineType, creationTimestamp;
    QList<GceNetworkInterface> networkInterfaces;
    GceTags tags;
    QString internalIp() const; // first interface's networkIP
    QString externalIp() const; // first interface's first natIP
    QString network() const;    // first interface's network URL
};

struct GceNetwork {
    QString id, name, description, selfLink, ipv4Range, gatewayIPv4, creationTimestamp;
    bool autoCreateSubnetworks = false;
    QStringList subnetworks;
};

struct GceFirewallRule {
    QString ipProtocol;
    QStringList ports;
};

struct GceFirewall {
    QString id, name, description, network, selfLink, direction, creationTimestamp;
    int priority = 1000;
    bool disabled = false;
    QList<GceFirewallRule> allowed, denied;
    QStringList sourceRanges, sourceTags, targetTags, destinationRanges;
};

struct GceHealthCheck {
    QString id, name, description, host, requestPath, selfLink, creationTimestamp;
    int port = 80;
    int checkIntervalSec = 5, timeoutSec = 5, healthyThreshold = 2, unhealthyThreshold = 2;
};

struct GceHealthStatus {
    QString instance, ipAddress, healthState; // HEALTHY / UNHEALTHY
    int port = 0;
};

struct GceRegion {
    struct Quota {
        QString metric;
        double limit = 0, usage = 0;
    };
    QString id, name, status, selfLink, description;
    QStringList zones;
    QList<Quota> quotas;
};

struct GceZone {
    QString id, name, status, region, selfLink, description;
};

GceOperation parseOperation(const QJsonObject &o);
GceAddress parseAddress(const QJsonObject &o);
GceTargetPool parseTargetPool(const QJsonObject &o);
GceForwardingRule parseForwardingRule(const QJsonObject &o);
GceInstance parseInstance(const QJsonObject &o);
GceNetwork parseNetwork(const QJsonObject &o);
GceFirewall parseFirewall(const QJsonObject &o);
GceHealthCheck parseHealthCheck(const QJsonObject &o);
QList<GceHealthStatus> parseHealth(const QJsonObject &targetPoolInstanceHealth);
GceRegion parseRegion(const QJsonObject &o);
GceZone parseZone(const QJsonObject &o);

// Bodies for inserts (only the fields Pier sets).
QJsonObject toJson(const GceAddress &a);
QJsonObject toJson(const GceTargetPool &p);
QJsonObject toJson(const GceForwardingRule &r);
QJsonObject toJson(const GceFirewall &f);
QJsonObject toJson(const GceHealthCheck &h);

// The one place a GCE reply becomes an ApiError. An HTTP error body
// ({"error":{"code","message","errors":[{"reason",...}]}}) and a DONE operation's `error` end in
// the same shape: `reason` in the HTTP spelling (alreadyExists, quotaExceeded, ...), a message and
// a hint saying what to do. `project` names the project in hints.
ApiError gceErrorFrom(int httpStatus, const QByteArray &body, const QString &project = {},
                      const QString &transportError = {});
ApiError operationError(const GceOperation &op, const QString &project = {});
// RESOURCE_ALREADY_EXISTS → alreadyExists, QUOTA_EXCEEDED → quotaExceeded, ...
QString reasonFromOperationCode(const QString &code);
// Fills `hint` (and sharpens `message`) for a GCE reason.
void addGceHint(ApiError &error, const QString &project);

} // namespace pier::gce
