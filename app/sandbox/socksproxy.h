#pragma once

// A SOCKS5 proxy (RFC 1928: no authentication, CONNECT, IPv4 and domain names) that plays the
// laptop: each destination range is reached from a network namespace of its own (the sandbox's
// "vpn" client for internal addresses, its "internet" client for external ones); a destination in
// no range is refused with "connection not allowed by ruleset" and never connected. Domain names
// are looked up only in a fixed table (the nodes' names), never in DNS.
//
// Relays with raw non-blocking sockets on the thread the proxy lives on, so a half-close (one
// side's FIN) is passed on and the other direction keeps flowing until it ends too.

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPair>
#include <QString>

#include <memory>

namespace pier::sandbox {

class SocksProxy : public QObject {
    Q_OBJECT
public:
    struct Route {
        QPair<QHostAddress, int> subnet; // QHostAddress::parseSubnet("198.18.0.0/24")
        QString netns; // the named network namespace to connect from; empty: this process's own
    };
    struct Options {
        QList<Route> routes;                // first match wins
        QHash<QString, QHostAddress> names; // lower-case name -> address
        int connectTimeoutMs = 20000;       // then "host unreachable"
        int handshakeTimeoutMs = 10000;     // a client that never finishes its request is dropped
    };

    // RFC 1928 reply codes.
    enum Reply : quint8 {
        Succeeded = 0x00,
        GeneralFailure = 0x01,
        NotAllowed = 0x02,
        NetworkUnreachable = 0x03,
        HostUnreachable = 0x04,
        ConnectionRefused = 0x05,
        CommandNotSupported = 0x07,
        AddressTypeNotSupported = 0x08,
    };

    explicit SocksProxy(const Options &options, QObject *parent = nullptr);
    ~SocksProxy() override;

    // Listens on ADDRESS:PORT (0: any free port) in this process's network namespace.
    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0);
    void close();
    quint16 port() const;
    QString errorString() const;

    int connectionCount() const; // client connections accepted since start
    int activeCount() const;     // open now

    // Cuts a share of the connections to port 22 mid-session (after 0.5 to 12 KiB relayed), the
    // n-th connection to each target fated by SEED (faults.h). 0: none. Callable from any thread.
    void setSshDrop(double share, quint64 seed);

signals:
    // One per client connection, when it ends: the target asked for ("198.18.0.2:8080",
    // "name:22"), the reply code sent (or GeneralFailure for a client that broke the protocol),
    // and the bytes relayed each way.
    void connectionFinished(const QString &target, int reply, qint64 bytesUp, qint64 bytesDown);
    // A connection setSshDrop() cut, after that many bytes relayed (both ways).
    void connectionCut(const QString &target, qint64 bytes);

private:
    friend class SocksConnection;
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pier::sandbox
