#pragma once

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>
#include <functional>

class QTcpSocket;
class QTimer;

namespace pier::vpn {

// Where traffic to an address goes on this machine, from `ip route get` and /sys/class/net.
struct RouteInfo {
    bool known = false;  // `ip route get` ran
    bool routed = false; // a route exists
    QString device;      // the interface it leaves through
    QString text;        // ip's answer or error, one line
    QStringList tunnels; // tun/tap devices that exist and are up
    bool viaTunnel() const { return routed && tunnels.contains(device); }
};
RouteInfo routeTo(const QString &address);
QStringList upTunnelDevices(); // tun/tap interfaces that are up

// One HTTP service of the cluster, as reached from here.
struct ServiceProbe {
    enum class Outcome {
        Answered,
        Refused,
        NoRoute,
        TimedOut,
        ProxyFailed,
        HttpFailed,
        NotTheService,
        Error
    };
    QString name; // "Marathon"
    QUrl url;     // http://10.240.0.2:8080
    QString path; // "/ping"
    Outcome outcome = Outcome::Error;
    int httpStatus = 0;
    QString error; // the socket's words when it failed
    qint64 connectMs = -1;
    qint64 totalMs = -1;
    QString host() const { return url.host(); }
    int port() const { return url.port(80); }
    bool answered() const { return outcome == Outcome::Answered; }
    QString describe() const; // "Marathon at 10.240.0.2:8080 answered /ping with HTTP 200 in 3 ms"
};

// The proof that the private network is reachable: a real TCP connection to Marathon and Mesos,
// through the profile's SOCKS5 proxy when there is one, and an HTTP GET of Marathon's /ping and
// Mesos's /version over it. A failure is named from what the sockets and the routing table say.
struct ReachabilityVerdict {
    enum class Kind {
        Reachable,     // both answered
        NoRoute,       // no route to the private network (and no tunnel up)
        RouteMissing,  // a tunnel is up but traffic to the cluster does not go through it
        Refused,       // the hosts are reachable but nothing listens on the port
        WrongService,  // something answers HTTP there, but not as Marathon or Mesos would
        TimedOut,      // no answer at all: dropped by a firewall, or a route into nowhere
        ProxyFailed,   // the SOCKS proxy could not be used
        MarathonOnly,  // Marathon answers, Mesos does not
        MesosOnly,     // Mesos answers, Marathon does not
        NotConfigured, // no Marathon/Mesos address to test
    };
    Kind kind = Kind::NotConfigured;
    QString message; // one or two sentences: what happened and what to do
    QList<ServiceProbe> probes;
    RouteInfo route; // for the first address that failed
    bool ok() const { return kind == Kind::Reachable; }
    static QString kindName(Kind k);
};

class ReachabilityCheck : public QObject {
    Q_OBJECT
public:
    struct Options {
        QUrl marathon;      // http://host:8080
        QUrl mesos;         // http://host:5050
        QString socksProxy; // host:port, or empty
        int timeoutMs = 5000;
    };
    explicit ReachabilityCheck(const Options &options, QObject *parent = nullptr);

    void start(std::function<void(const ReachabilityVerdict &)> done);
    void cancel();
    static ReachabilityVerdict judge(const QList<ServiceProbe> &probes, const QString &socksProxy);

private:
    void probe(int index);
    void finishProbe(int index, ServiceProbe::Outcome outcome, const QString &error);

    Options m_options;
    QList<ServiceProbe> m_probes;
    QList<QPointer<QTcpSocket>> m_sockets;
    QList<QByteArray> m_replies;
    QList<QElapsedTimer> m_clocks;
    int m_pending = 0;
    std::function<void(const ReachabilityVerdict &)> m_done;
};

} // namespace pier::vpn
