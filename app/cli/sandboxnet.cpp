#include "cli/sandboxnet.h"

#include "cli/sandboxcmd.h"
#include "sandbox/cluster.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <cstdio>

namespace pier::cli {

namespace {

using sandbox::Cluster;
using sandbox::ClusterStatus;

QTextStream &sout()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &serr()
{
    static QTextStream s(stderr);
    return s;
}

int fail(const QString &message, int code = 1)
{
    serr() << "pier: " << message << "\n";
    serr().flush();
    return code;
}

void printStatus(const ClusterStatus &s, bool json, const QString &headline, qint64 elapsedMs)
{
    if (json) {
        QJsonObject o = s.toJson();
        if (elapsedMs >= 0)
            o.insert(QStringLiteral("up_ms"), elapsedMs);
        sout() << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
        sout().flush();
        return;
    }
    sout() << headline << "\n\n";
    auto pad = [](const QString &t, int w) { return t.leftJustified(w); };
    int width = 6;
    for (const sandbox::ClusterNode &n : s.nodes)
        width = std::max(width, int(n.name.size()) + 2);
    sout() << pad(QStringLiteral("NAME"), width) << pad(QStringLiteral("ROLE"), 8)
           << pad(QStringLiteral("ADDRESS"), 14) << pad(QStringLiteral("EXTERNAL"), 16)
           << "NAMESPACE\n";
    for (const sandbox::ClusterNode &n : s.nodes)
        sout() << pad(n.name, width) << pad(n.role, 8) << pad(n.address, 14)
               << pad(n.externalAddress, 16) << n.netns << "\n";
    const QString first = s.nodes.isEmpty() ? QString() : s.nodes.first().address;
    const QString firstExt = s.nodes.isEmpty() ? QString() : s.nodes.first().externalAddress;
    sout() << "\nOver the VPN (internal addresses):\n  ip netns exec " << s.vpnNetns << " ssh -i "
           << s.sshKeyFile << " -o UserKnownHostsFile=" << s.knownHostsFile << " " << s.sshUser
           << "@" << first << "\n"
           << "From the internet (external addresses; the VPC firewall allows tcp:22):\n  ip netns "
              "exec "
           << s.internetNetns << " ssh -i " << s.sshKeyFile
           << " -o UserKnownHostsFile=" << s.knownHostsFile << " " << s.sshUser << "@" << firstExt
           << "\n"
           << "Stop it with: pier sandbox net down\n";
    sout().flush();
}

Cluster makeCluster()
{
    const QString id = qEnvironmentVariable("PIER_SANDBOX_ID", QStringLiteral("pier"));
    return Cluster(id, qEnvironmentVariable("PIER_SANDBOX_DIR"));
}

} // namespace

bool parseNetOptions(const QCommandLineParser &parser, sandbox::ClusterOptions *options,
                     QString *error)
{
    if (parser.isSet(QStringLiteral("nodes"))) {
        bool ok = false;
        const int nodes = parser.value(QStringLiteral("nodes")).toInt(&ok);
        if (!ok || nodes < 1 || nodes > 100) {
            *error =
                QStringLiteral("--nodes takes a number from 1 to 100 (a master and N-1 agents).");
            return false;
        }
        options->agents = nodes - 1;
    }
    if (parser.isSet(QStringLiteral("preset"))) {
        const auto preset = sandbox::parsePreset(parser.value(QStringLiteral("preset")));
        if (!preset) {
            *error = QStringLiteral("--preset takes one of: %1.")
                         .arg(sandbox::presetNames().join(QStringLiteral(", ")));
            return false;
        }
        options->preset = *preset;
    }
    if (parser.isSet(QStringLiteral("backend"))) {
        const auto backend = sandbox::parseBackend(parser.value(QStringLiteral("backend")));
        if (!backend) {
            *error = QStringLiteral("--backend takes nft or legacy.");
            return false;
        }
        options->backend = *backend;
    }
    return true;
}

int cmdSandboxNet(const QCommandLineParser &parser, const QStringList &args)
{
    const QString action = args.value(0);
    const bool json = parser.isSet(QStringLiteral("json"));
    Cluster cluster = makeCluster();
    if (!Cluster::isValidId(cluster.id()))
        return fail(
            QStringLiteral("PIER_SANDBOX_ID \"%1\" may only have lower-case letters and digits.")
                .arg(cluster.id()),
            2);

    if (action == QLatin1String("up")) {
        sandbox::ClusterOptions options;
        if (QString error; !parseNetOptions(parser, &options, &error))
            return fail(error, 2);
        QElapsedTimer timer;
        timer.start();
        QString error;
        switch (cluster.up(options, &error)) {
        case Cluster::UpResult::Failed:
            return fail(error);
        case Cluster::UpResult::AlreadyUp: {
            const auto s = cluster.status();
            if (!s)
                return fail(QStringLiteral(
                                "the sandbox network \"%1\" went away while starting; try again.")
                                .arg(cluster.id()));
            printStatus(*s, json,
                        QStringLiteral("The sandbox network \"%1\" is already up (%2 nodes); `pier "
                                       "sandbox net down` stops it.")
                            .arg(cluster.id())
                            .arg(s->nodes.size()),
                        -1);
            return 0;
        }
        case Cluster::UpResult::Started:
            break;
        }
        const qint64 elapsed = timer.elapsed();
        const auto s = cluster.status(&error);
        if (!s)
            return fail(error);
        printStatus(
            *s, json,
            QStringLiteral("Sandbox network \"%1\" up in %2 s: %3 nodes, iptables preset %4 (%5).")
                .arg(cluster.id())
                .arg(double(elapsed) / 1000.0, 0, 'f', 1)
                .arg(s->nodes.size())
                .arg(sandbox::presetName(s->preset), sandbox::backendName(s->backend)),
            elapsed);
        return 0;
    }
    if (action == QLatin1String("status")) {
        QString problem;
        const auto s = cluster.status(&problem);
        if (!s) {
            if (json) {
                sout() << QString::fromUtf8(
                    QJsonDocument(QJsonObject{{QStringLiteral("id"), cluster.id()},
                                              {QStringLiteral("up"), false},
                                              {QStringLiteral("problem"), problem}})
                        .toJson(QJsonDocument::Indented));
                sout().flush();
            } else {
                sout() << problem << ".\n";
                sout().flush();
            }
            return 3;
        }
        printStatus(
            *s, json,
            QStringLiteral("Sandbox network \"%1\" is up: %2 nodes, iptables preset %3 (%4).")
                .arg(cluster.id())
                .arg(s->nodes.size())
                .arg(sandbox::presetName(s->preset), sandbox::backendName(s->backend)),
            -1);
        return 0;
    }
    if (action == QLatin1String("down")) {
        if (!cluster.hasLeftovers()) {
            sout() << "The sandbox network \"" << cluster.id() << "\" is not up; nothing to do.\n";
            sout().flush();
            return 0;
        }
        QString error;
        // The daemon (`sandbox up`) would follow within a second; stop it first, so nothing is
        // left.
        if (!stopSandboxDaemon(cluster, &error) || !cluster.down(&error))
            return fail(error);
        sout() << "Sandbox network \"" << cluster.id()
               << "\" is down: no process, namespace, mount or file of it is left.\n";
        sout().flush();
        return 0;
    }
    return fail(QStringLiteral("sandbox net knows: up [--nodes N] [--preset P] [--backend "
                               "nft|legacy] [--json], status [--json], down."),
                2);
}

} // namespace pier::cli
