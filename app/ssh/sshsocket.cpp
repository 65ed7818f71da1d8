#include "ssh/sshsocket.h"

#include <QDeadlineTimer>
#include <QHostAddress>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pier::ssh {

namespace {

QString connectErrorText(int err, const QString &what)
{
    switch (err) {
    case ECONNREFUSED:
        return QStringLiteral("connection refused by %1 (nothing listens on that port: is the "
                              "SSH server running, and is the port right?)")
            .arg(what);
    case ETIMEDOUT:
        return QStringLiteral("timed out connecting to %1 (the host is down, or a firewall drops "
                              "the packets)")
            .arg(what);
    case EHOSTUNREACH:
        return QStringLiteral("no route to host %1 (the host is down or not on a network this "
                              "machine reaches; a VPN or proxy may be missing)")
            .arg(what);
    case ENETUNREACH:
        return QStringLiteral("network unreachable for %1 (no VPN or proxy into that network?)")
            .arg(what);
    default:
        return QStringLiteral("cannot connect to %1: %2")
            .arg(what, QString::fromLocal8Bit(std::strerror(err)));
    }
}

// Waits until FD is ready for EVENTS, in short slices so *abort is noticed. 1 ready, 0 timed out,
// -1 aborted or failed.
int waitFd(int fd, short events, const QDeadlineTimer &deadline, const std::atomic_bool *abort)
{
    for (;;) {
        if (abort && abort->load())
            return -1;
        const qint64 left = deadline.remainingTime();
        if (left == 0)
            return 0;
        pollfd p{fd, events, 0};
        const int slice = left < 0 || left > 100 ? 100 : int(left);
        const int rc = ::poll(&p, 1, slice);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

bool sendAll(int fd, const QByteArray &data, const QDeadlineTimer &deadline,
             const std::atomic_bool *abort)
{
    qsizetype done = 0;
    while (done < data.size()) {
        if (waitFd(fd, POLLOUT, deadline, abort) != 1)
            return false;
        const ssize_t n =
            ::send(fd, data.constData() + done, size_t(data.size() - done), MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return false;
        if (n > 0)
            done += n;
    }
    return true;
}

// Exactly N bytes, or an empty array (closed, timed out, aborted).
QByteArray recvExactly(int fd, int n, const QDeadlineTimer &deadline, const std::atomic_bool *abort)
{
    QByteArray buf(n, Qt::Uninitialized);
    int done = 0;
    while (done < n) {
        if (waitFd(fd, POLLIN, deadline, abort) != 1)
            return {};
        const ssize_t r = ::recv(fd, buf.data() + done, size_t(n - done), 0);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
            return {};
        if (r > 0)
            done += int(r);
    }
    return buf;
}

QString socksReplyText(int code)
{
    switch (code) {
    case 1:
        return QStringLiteral("general failure of the proxy");
    case 2:
        return QStringLiteral("the proxy's rules do not allow this connection");
    case 3:
        return QStringLiteral("network unreachable from the proxy");
    case 4:
        return QStringLiteral("host unreachable from the proxy");
    case 5:
        return QStringLiteral("connection refused (nothing listens on that port)");
    case 6:
        return QStringLiteral("timed out (TTL expired)");
    case 7:
        return QStringLiteral("the proxy does not support CONNECT");
    case 8:
        return QStringLiteral("the proxy does not support this address type");
    default:
        return QStringLiteral("unknown SOCKS5 error %1").arg(code);
    }
}

} // namespace

bool splitHostPort(const QString &text, QString *host, int *port)
{
    const QString t = text.trimmed();
    const int colon = t.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return false;
    QString h = t.left(colon);
    if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']')))
        h = h.mid(1, h.size() - 2);
    bool ok = false;
    const int p = t.mid(colon + 1).toInt(&ok);
    if (!ok || p <= 0 || p > 65535 || h.isEmpty())
        return false;
    *host = h;
    *port = p;
    return true;
}

int tcpConnect(const QString &host, int port, int timeoutMs, QString *error,
               const std::atomic_bool *abort)
{
    const QString what = QStringLiteral("%1 port %2").arg(host).arg(port);
    const QDeadlineTimer deadline(timeoutMs);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *res = nullptr;
    const QByteArray node = host.toUtf8();
    const QByteArray service = QByteArray::number(port);
    const int gai = ::getaddrinfo(node.constData(), service.constData(), &hints, &res);
    if (gai != 0) {
        *error = QStringLiteral("cannot resolve host name %1: %2 (is the name right, and is the "
                                "VPN up?)")
                     .arg(host, QString::fromLocal8Bit(gai_strerror(gai)));
        return -1;
    }
    int lastErr = ETIMEDOUT;
    int fd = -1;
    for (addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        int s = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                         ai->ai_protocol);
        if (s < 0) {
            lastErr = errno;
            continue;
        }
        int rc = ::connect(s, ai->ai_addr, ai->ai_addrlen);
        if (rc < 0 && errno == EINPROGRESS) {
            const int w = waitFd(s, POLLOUT, deadline, abort);
            if (w == 1) {
                int soErr = 0;
                socklen_t len = sizeof soErr;
                ::getsockopt(s, SOL_SOCKET, SO_ERROR, &soErr, &len);
                rc = soErr == 0 ? 0 : -1;
                errno = soErr;
            } else {
                if (abort && abort->load()) {
                    ::close(s);
                    ::freeaddrinfo(res);
                    *error = QStringLiteral("cancelled while connecting to %1").arg(what);
                    return -1;
                }
                errno = ETIMEDOUT;
                rc = -1;
            }
        }
        if (rc == 0) {
            fd = s;
        } else {
            lastErr = errno;
            ::close(s);
        }
    }
    ::freeaddrinfo(res);
    if (fd < 0) {
        *error = connectErrorText(lastErr, what);
        return -1;
    }
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int socks5Connect(const QString &proxy, const QString &host, int port, int timeoutMs,
                  QString *error, const std::atomic_bool *abort)
{
    QString proxyHost;
    int proxyPort = 0;
    if (!splitHostPort(proxy, &proxyHost, &proxyPort)) {
        *error = QStringLiteral("the SOCKS5 proxy \"%1\" is not of the form host:port").arg(proxy);
        return -1;
    }
    const QDeadlineTimer deadline(timeoutMs);
    QString err;
    const int fd = tcpConnect(proxyHost, proxyPort, timeoutMs, &err, abort);
    if (fd < 0) {
        *error = QStringLiteral("SOCKS5 proxy %1: %2").arg(proxy, err);
        return -1;
    }
    const QString target = QStringLiteral("%1 port %2").arg(host).arg(port);
    auto fail = [&](const QString &why) {
        ::close(fd);
        *error = QStringLiteral("SOCKS5 proxy %1, connecting to %2: %3").arg(proxy, target, why);
        return -1;
    };
    const QString lost =
        abort && abort->load()
            ? QStringLiteral("cancelled")
            : QStringLiteral("the proxy closed the connection or did not answer in time");

    // Greeting: version 5, one method, "no authentication".
    if (!sendAll(fd, QByteArray("\x05\x01\x00", 3), deadline, abort))
        return fail(lost);
    const QByteArray choice = recvExactly(fd, 2, deadline, abort);
    if (choice.size() != 2)
        return fail(lost);
    if (choice.at(0) != 5)
        return fail(QStringLiteral("this is not a SOCKS5 proxy"));
    if (quint8(choice.at(1)) != 0)
        return fail(QStringLiteral("the proxy wants authentication, which Pier does not support"));

    QByteArray req("\x05\x01\x00", 3);
    QHostAddress literal;
    if (literal.setAddress(host) && literal.protocol() == QAbstractSocket::IPv4Protocol) {
        req += '\x01';
        const quint32 a = literal.toIPv4Address();
        req += char(a >> 24), req += char(a >> 16), req += char(a >> 8), req += char(a);
    } else if (literal.setAddress(host) && literal.protocol() == QAbstractSocket::IPv6Protocol) {
        req += '\x04';
        const Q_IPV6ADDR a = literal.toIPv6Address();
        req += QByteArray(reinterpret_cast<const char *>(a.c), 16);
    } else {
        const QByteArray name = host.toUtf8();
        if (name.size() > 255)
            return fail(QStringLiteral("the host name is longer than SOCKS5 allows"));
        req += '\x03';
        req += char(name.size());
        req += name;
    }
    req += char(port >> 8);
    req += char(port & 0xff);
    if (!sendAll(fd, req, deadline, abort))
        return fail(lost);
    const QByteArray head = recvExactly(fd, 4, deadline, abort);
    if (head.size() != 4)
        return fail(lost);
    if (quint8(head.at(1)) != 0)
        return fail(socksReplyText(quint8(head.at(1))));
    int rest = 0;
    switch (quint8(head.at(3))) {
    case 1:
        rest = 4;
        break;
    case 4:
        rest = 16;
        break;
    case 3: {
        const QByteArray len = recvExactly(fd, 1, deadline, abort);
        if (len.size() != 1)
            return fail(lost);
        rest = quint8(len.at(0));
        break;
    }
    default:
        return fail(QStringLiteral("the proxy's answer is not SOCKS5"));
    }
    if (recvExactly(fd, rest + 2, deadline, abort).size() != rest + 2)
        return fail(lost);
    return fd;
}

} // namespace pier::ssh
