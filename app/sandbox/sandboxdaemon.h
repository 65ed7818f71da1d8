#pragma once

// The sandbox's background daemon (`pier sandbox serve`, started by `pier sandbox up`): on top of
// a running sandbox network (cluster.h) it serves Marathon (:8080) and the Mesos master API
// (:5050) on the master's internal address inside the master's network namespace, a SOCKS5 proxy
// on the desktop's 127.0.0.1 that reaches internal addresses over the VPN and external ones over
// the internet, and the GCE emulator on 127.0.0.1. It writes what it serves to STATE/daemon.json
// once everything listens, logs to STATE/logs/, and ends on SIGTERM or when the network is gone.
//
// The caller passes the network's layout in; the task runner and HAProxy read the rest from
// the network's state file.

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace pier::sandbox {

struct DaemonNode {
    QString name;
    QString role; // "master" or "agent"
    QString address;
    QString externalAddress;
    QString netns;
    QStringList tags;
};

struct DaemonConfig {
    QString id;
    QString stateDir;
    QString stateFile; // the network's state.json: when it goes, the daemon ends
    QString clusterName;
    QString vpnNetns;
    QString internetNetns;
    QString internalRange = QStringLiteral("198.18.0.0/24");
    QString externalRange = QStringLiteral("203.0.113.0/24");
    QList<DaemonNode> nodes; // the master first
    bool legacy = false;     // Marathon 0.7.6 and Mesos 0.21 shapes
    int proxyPort = 0;       // 0: any free port
};

// What a running daemon serves, as STATE/daemon.json holds it.
struct DaemonInfo {
    qint64 pid = -1;
    QString marathonUrl; // http://198.18.0.2:8080
    QString mesosUrl;    // http://198.18.0.2:5050
    QString proxyUrl;    // socks5://127.0.0.1:PORT
    QString gceEndpoint;
    QString gceProject;
    QString gceRegion;
    QString gceZone;
    QString gceKeyFile;

    QJsonObject toJson() const;
    static DaemonInfo fromJson(const QJsonObject &o);
};

QString daemonInfoFile(const QString &stateDir); // STATE/daemon.json
QString daemonPidFile(const QString &stateDir);  // STATE/daemon.pid
QString sandboxLogDir(const QString &stateDir);  // STATE/logs

// Runs the daemon in this process until SIGTERM/SIGINT or the network's state file goes.
// Needs a QCoreApplication. Returns the exit code.
int runSandboxDaemon(const DaemonConfig &config);

} // namespace pier::sandbox
