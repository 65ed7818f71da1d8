#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace pier::vpn {

// What an OpenVPN client configuration (.ovpn) says, as far as Pier needs it: where it connects,
// what it changes on this machine and what it will ask for. Key material from inline blocks is
// only counted (its size), never kept in text meant for logs or the user.
struct OvpnConfig {
    struct Remote {
        QString host;
        int port = 1194;
        QString proto; // "udp", "tcp", "tcp-client", ... as written; empty: the global proto
    };
    struct Route {
        QString network;      // "10.240.0.0"
        QString netmask;      // "255.255.0.0"; empty: a host route
        QString gateway;      // empty or "vpn_gateway"
        QString cidr() const; // "10.240.0.0/16"
    };
    struct Problem {
        int line = 0;
        QString text;
    };
    struct Directive {
        int line = 0;
        QString name;
        QStringList args;
    };

    QString path; // where it was read from, if from a file

    bool client = false;
    QList<Remote> remotes;
    QString proto = QStringLiteral("udp");
    int port = 1194; // the global `port`/`rport`, for remotes without one
    QString dev = QStringLiteral("tun");
    QList<Route> routes;
    bool routeNoPull = false;
    bool redirectGateway = false;
    QStringList redirectGatewayFlags;
    bool authUserPass = false;
    QString authUserPassFile; // the file named by `auth-user-pass FILE`; empty: asks
    bool authUserPassInline = false;
    QStringList inlineBlocks;   // names of the inline blocks ("ca", "cert", "key", "tls-auth", ...)
    QStringList fileReferences; // "ca ca.crt": option names that refer to files instead
    QString managementHost;     // from `management HOST PORT` or `management PATH unix`
    int managementPort = 0;
    QString managementUnixSocket;
    bool managementHold = false;
    bool managementQueryPasswords = false;

    QList<Directive> unknown; // directives Pier does not interpret, kept in order
    QList<Problem> problems;  // malformed lines, with their line numbers

    bool isValid() const { return problems.isEmpty() && !remotes.isEmpty(); }
    bool hasManagement() const { return managementPort > 0 || !managementUnixSocket.isEmpty(); }
    QString protoOf(const Remote &r) const { return r.proto.isEmpty() ? proto : r.proto; }
    bool isUdp(const Remote &r) const { return protoOf(r).startsWith(QLatin1String("udp")); }

    // What connecting with this file will do, in plain words: one sentence per line.
    QStringList summary() const;
    // The problems as "line N: text", for messages.
    QStringList problemLines() const;

    static OvpnConfig parse(const QByteArray &text);
    // A file that cannot be read gives a config with one problem at line 0 saying so.
    static OvpnConfig load(const QString &path);
};

} // namespace pier::vpn
