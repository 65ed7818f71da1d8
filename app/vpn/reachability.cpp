#include "vpn/reachability.h"

#include "core/networkproxy.h"

#include "vpn/vpnlog.h"

#include <QDir>
#include <QFile>
#include <QNetworkProxy>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTimer>

namespace pier::vpn {

namespace {

QString ipProgram()
{
    QString ip = QStandardPaths::findExecutable(QStringLiteral("ip"));
    if (ip.isEmpty())
        ip = QStandardPaths::findExecutable(QStringLiteral("ip"),
                                            {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin")});
    return ip;
}

} // namespace

QStringList upTunnelDevices()
{
    // Asked of ip (netlink) rather than read from /sys/class/net, which shows the interfaces of
    // the namespace sysfs was mounted in, not necessarily this process's.
    QStringList out;
    const QString ip = ipProgram();
    if (ip.isEmpty())
        return out;
    QProcess p;
    p.start(ip, {QStringLiteral("-o"), QStringLiteral("link"), QStringLiteral("show"),
                 QStringLiteral("type"), QStringLiteral("tun")});
    if (!p.waitForFinished(3000) || p.exitCode() != 0)
        return out;
    // "7: tun0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 ..."
    for (const QByteArray &line : p.readAllStandardOutput().split('\n')) {
        const QList<QByteArray> parts = line.split(':');
        if (parts.size() < 3)
            continue;
        const QByteArray &f = parts.at(2);
        const qsizetype open = f.indexOf('<'), close = f.indexOf('>');
        if (open >= 0 && close > open &&
            f.mid(open + 1, close - open - 1).split(',').contains("UP"))
            out << QString::fromLocal8Bit(parts.at(1).trimmed()).section(QLatin1Char('@'), 0, 0);
    }
    return out;
}

RouteInfo routeTo(const QString &address)
{
    RouteInfo r;
    r.tunnels = upTunnelDevices();
    const QString ip = ipProgram();
    if (ip.isEmpty()) {
        r.text = QStringLiteral("the ip program (iproute2) is not installed");
        return r;
    }
    QProcess p;
    p.start(ip, {QStringLiteral("route"), QStringLiteral("get"), address});
    if (!p.waitForFinished(3000)) {
        p.kill();
        p.waitForFinished();
        r.text = QStringLiteral("ip route get did not answer");
        return r;
    }
    r.known = true;
    const QString out = QString::fromLocal8Bit(p.readAllStandardOutput()).trimmed();
    const QString err = QString::fromLocal8Bit(p.readAllStandardError()).trimmed();
    r.routed = p.exitCode() == 0;
    r.text =
        (r.routed ? out.section(QLatin1Char('\n'), 0, 0) : err.section(QLatin1Char('\n'), 0, 0))
            .simplified();
    const QStringList words = r.text.split(QLatin1Char(' '));
    const qsizetype dev = words.indexOf(QStringLiteral("dev"));
    if (dev >= 0)
        r.device = words.value(dev + 1);
    return r;
}

QString ServiceProbe::describe() const
{
    const QString where = QStringLiteral("%1 at %2:%3").arg(name, host()).arg(port());
    switch (outcome) {
    case Outcome::Answered:
        return QStringLiteral("%1 answered %2 with HTTP %3 (connected in %4 ms)")
            .arg(where, path)
            .arg(httpStatus)
            .arg(connectMs);
    case Outcome::Refused:
        return QStringLiteral("%1 refused the connection").arg(where);
    case Outcome::NoRoute:
        return QStringLiteral("%1: no route (%2)").arg(where, error);
    case Outcome::TimedOut:
        return QStringLiteral("%1 did not answer within %2 ms").arg(where).arg(totalMs);
    case Outcome::ProxyFailed:
        return QStringLiteral("%1: the proxy failed (%2)").arg(where, error);
    case Outcome::HttpFailed:
        return QStringLiteral("%1 accepted the connection but sent no HTTP answer to %2 (%3)")
            .arg(where, path, error);
    case Outcome::NotTheService:
        return QStringLiteral("%1 answered %2 with HTTP %3, which %4 does not do")
            .arg(where, path)
            .arg(httpStatus)
            .arg(name);
    case Outcome::Error:
        break;
    }
    return QStringLiteral("%1: %2").arg(where, error);
}

QString ReachabilityVerdict::kindName(Kind k)
{
    switch (k) {
    case Kind::Reachable:
        return QStringLiteral("reachable");
    case Kind::NoRoute:
        return QStringLiteral("no-route");
    case Kind::RouteMissing:
        return QStringLiteral("route-missing");
    case Kind::Refused:
        return QStringLiteral("refused");
    case Kind::WrongService:
        return QStringLiteral("wrong-service");
    case Kind::TimedOut:
        return QStringLiteral("timed-out");
    case Kind::ProxyFailed:
        return QStringLiteral("proxy-failed");
    case Kind::MarathonOnly:
        return QStringLiteral("marathon-only");
    case Kind::MesosOnly:
        return QStringLiteral("mesos-only");
    case Kind::NotConfigured:
        break;
    }
    return QStringLiteral("not-configured");
}

ReachabilityCheck::ReachabilityCheck(const Options &options, QObject *parent)
    : QObject(parent), m_options(options)
{
}

void ReachabilityCheck::start(std::function<void(const ReachabilityVerdict &)> done)
{
    m_done = std::move(done);
    m_probes.clear();
    if (m_options.marathon.isValid() && !m_options.marathon.host().isEmpty()) {
        ServiceProbe p;
        p.name = QStringLiteral("Marathon");
        p.url = m_options.marathon;
        if (p.url.port() < 0)
            p.url.setPort(8080);
        p.path = QStringLiteral("/ping");
        m_probes << p;
    }
    if (m_options.mesos.isValid() && !m_options.mesos.host().isEmpty()) {
        ServiceProbe p;
        p.name = QStringLiteral("Mesos");
        p.url = m_options.mesos;
        if (p.url.port() < 0)
            p.url.setPort(5050);
        p.path = QStringLiteral("/version");
        m_probes << p;
    }
    m_pending = int(m_probes.size());
    m_sockets = QList<QPointer<QTcpSocket>>(m_probes.size());
    m_replies = QList<QByteArray>(m_probes.size());
    m_clocks = QList<QElapsedTimer>(m_probes.size());
    if (m_probes.isEmpty()) {
        auto d = std::move(m_done);
        d(judge({}, m_options.socksProxy));
        return;
    }
    for (int i = 0; i < m_probes.size(); ++i)
        probe(i);
}

void ReachabilityCheck::cancel()
{
    for (QPointer<QTcpSocket> &s : m_sockets) {
        if (s) {
            s->disconnect(this);
            s->abort();
            s->deleteLater();
        }
    }
    m_done = nullptr;
}

void ReachabilityCheck::probe(int index)
{
    auto *socket = new QTcpSocket(this);
    m_sockets[index] = socket;
    if (!m_options.socksProxy.isEmpty()) {
        // "socks5://host:port" as the sandbox's profile writes it, or "host:port".
        QNetworkProxy proxy;
        if (!parseSocksProxy(m_options.socksProxy, &proxy))
            proxy = QNetworkProxy(QNetworkProxy::Socks5Proxy, QStringLiteral("invalid"), 1);
        socket->setProxy(proxy);
    } else {
        socket->setProxy(QNetworkProxy::NoProxy);
    }
    m_clocks[index].start();
    auto *timer = new QTimer(socket);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, this, [this, index] {
        finishProbe(index, ServiceProbe::Outcome::TimedOut, QStringLiteral("no answer"));
    });
    timer->start(m_options.timeoutMs);
    connect(socket, &QTcpSocket::connected, this, [this, index, socket] {
        m_probes[index].connectMs = m_clocks[index].elapsed();
        const ServiceProbe &p = m_probes.at(index);
        socket->write(QStringLiteral("GET %1 HTTP/1.1\r\nHost: %2:%3\r\nUser-Agent: pier\r\n"
                                     "Accept: */*\r\nConnection: close\r\n\r\n")
                          .arg(p.path, p.host())
                          .arg(p.port())
                          .toLatin1());
    });
    connect(socket, &QTcpSocket::readyRead, this, [this, index, socket] {
        m_replies[index] += socket->readAll();
        const qsizetype eol = m_replies[index].indexOf("\r\n");
        if (eol < 0)
            return;
        const QList<QByteArray> words = m_replies[index].left(eol).split(' ');
        bool ok = false;
        const int status = words.value(1).toInt(&ok);
        if (!words.value(0).startsWith("HTTP/") || !ok) {
            finishProbe(index, ServiceProbe::Outcome::HttpFailed,
                        QStringLiteral("not an HTTP answer"));
            return;
        }
        m_probes[index].httpStatus = status;
        // Marathon's /ping and Mesos's /version answer 200 (401/403 behind a login); anything
        // else (a 404 from a web server, a proxy's error page) is not them.
        const bool theService = (status >= 200 && status < 300) || status == 401 || status == 403;
        finishProbe(index,
                    theService ? ServiceProbe::Outcome::Answered
                               : ServiceProbe::Outcome::NotTheService,
                    {});
    });
    connect(socket, &QTcpSocket::errorOccurred, this,
            [this, index, socket](QAbstractSocket::SocketError e) {
                using O = ServiceProbe::Outcome;
                O outcome = O::Error;
                switch (e) {
                case QAbstractSocket::ConnectionRefusedError:
                    outcome = O::Refused;
                    break;
                case QAbstractSocket::NetworkError:
                    // EHOSTUNREACH/ENETUNREACH; after a connection, a reset
                    outcome = socket->state() == QAbstractSocket::ConnectedState ||
                                      m_probes[index].connectMs >= 0
                                  ? O::HttpFailed
                                  : O::NoRoute;
                    break;
                case QAbstractSocket::SocketTimeoutError:
                    outcome = O::TimedOut;
                    break;
                case QAbstractSocket::RemoteHostClosedError:
                    outcome = O::HttpFailed;
                    break;
                case QAbstractSocket::ProxyAuthenticationRequiredError:
                case QAbstractSocket::ProxyConnectionRefusedError:
                case QAbstractSocket::ProxyConnectionClosedError:
                case QAbstractSocket::ProxyConnectionTimeoutError:
                case QAbstractSocket::ProxyNotFoundError:
                case QAbstractSocket::ProxyProtocolError:
                    outcome = O::ProxyFailed;
                    break;
                default:
                    break;
                }
                finishProbe(index, outcome, socket->errorString());
            });
    socket->connectToHost(m_probes.at(index).host(), quint16(m_probes.at(index).port()));
}

void ReachabilityCheck::finishProbe(int index, ServiceProbe::Outcome outcome, const QString &error)
{
    QTcpSocket *socket = m_sockets.value(index);
    if (!socket)
        return; // already finished
    m_sockets[index] = nullptr;
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
    ServiceProbe &p = m_probes[index];
    p.outcome = outcome;
    p.error = error;
    p.totalMs = m_clocks[index].elapsed();
    qCDebug(lcVpn) << "probe" << p.describe();
    if (--m_pending > 0 || !m_done)
        return;
    auto done = std::move(m_done);
    m_done = nullptr;
    done(judge(m_probes, m_options.socksProxy));
}

ReachabilityVerdict ReachabilityCheck::judge(const QList<ServiceProbe> &probes,
                                             const QString &socksProxy)
{
    using K = ReachabilityVerdict::Kind;
    using O = ServiceProbe::Outcome;
    ReachabilityVerdict v;
    v.probes = probes;
    if (probes.isEmpty()) {
        v.kind = K::NotConfigured;
        v.message = QStringLiteral("The profile gives no Marathon or Mesos address to test; "
                                   "set them in the profile (or with --marathon and --mesos).");
        return v;
    }
    const QString via = socksProxy.isEmpty()
                            ? QString()
                            : QStringLiteral(" through the SOCKS proxy %1").arg(socksProxy);
    QStringList answered, failed;
    const ServiceProbe *firstFailure = nullptr;
    for (const ServiceProbe &p : probes) {
        if (p.answered()) {
            answered << p.describe();
        } else {
            failed << p.describe();
            if (!firstFailure)
                firstFailure = &p;
        }
    }
    if (!firstFailure) {
        v.kind = K::Reachable;
        v.message = QStringLiteral("%1%2.").arg(answered.join(QStringLiteral("; ")), via);
        return v;
    }
    if (!answered.isEmpty()) {
        const bool marathonOk =
            probes.first().name == QLatin1String("Marathon") && probes.first().answered();
        v.kind = marathonOk ? K::MarathonOnly : K::MesosOnly;
        v.message =
            QStringLiteral("%1 answers but %2 does not: %3; %4. The network is reachable%5: "
                           "check that %2 runs and that its address in the profile is right.")
                .arg(marathonOk ? QStringLiteral("Marathon") : QStringLiteral("Mesos"),
                     firstFailure->name, answered.join(QStringLiteral("; ")),
                     failed.join(QStringLiteral("; ")), via);
        return v;
    }
    const QString what = failed.join(QStringLiteral("; "));
    if (firstFailure->outcome == O::ProxyFailed) {
        v.kind = K::ProxyFailed;
        v.message =
            QStringLiteral("The SOCKS proxy %1 could not be used: %2. Start it (for example "
                           "ssh -D %3 to the bastion) or fix its address in the profile.")
                .arg(socksProxy, what, socksProxy.section(QLatin1Char(':'), -1));
        return v;
    }
    if (firstFailure->outcome == O::NotTheService) {
        v.kind = K::WrongService;
        v.message =
            QStringLiteral("Something answers%1, but not Marathon and Mesos: %2. Check their "
                           "addresses in the profile.")
                .arg(via, what);
        return v;
    }
    if (firstFailure->outcome == O::Refused) {
        v.kind = K::Refused;
        v.message =
            QStringLiteral("The private network is reachable%1 but nothing listens there: %2. "
                           "Check the addresses in the profile and that Marathon and Mesos run.")
                .arg(via, what);
        return v;
    }
    if (socksProxy.isEmpty() &&
        (firstFailure->outcome == O::NoRoute || firstFailure->outcome == O::TimedOut)) {
        v.route = routeTo(firstFailure->host());
        if (!v.route.tunnels.isEmpty() && !v.route.viaTunnel()) {
            v.kind = K::RouteMissing;
            v.message =
                QStringLiteral(
                    "The tunnel is up (%1) but the route to %2 is missing: %3. The VPN "
                    "server did not push a route to the private network (or the .ovpn "
                    "has route-nopull). Add a \"route\" line for the cluster's network to "
                    "the .ovpn, or ask the VPN's administrator to push it.")
                    .arg(v.route.tunnels.join(QStringLiteral(", ")), firstFailure->host(),
                         v.route.routed
                             ? QStringLiteral("traffic to it leaves through %1").arg(v.route.device)
                             : QStringLiteral("ip route get says \"%1\"").arg(v.route.text));
            return v;
        }
        if (firstFailure->outcome == O::NoRoute || (v.route.known && !v.route.routed)) {
            v.kind = K::NoRoute;
            v.message =
                QStringLiteral("No route to the private network: %1%2. Connect the VPN "
                               "(pier vpn connect), or set a SOCKS proxy in the profile.")
                    .arg(what, v.route.text.isEmpty()
                                   ? QString()
                                   : QStringLiteral(" (ip route get: %1)").arg(v.route.text));
            return v;
        }
    }
    v.kind = firstFailure->outcome == O::TimedOut ? K::TimedOut : K::NoRoute;
    v.message = QStringLiteral("%1%2. A firewall may drop the traffic, or the address is wrong.")
                    .arg(what, via);
    return v;
}

} // namespace pier::vpn
