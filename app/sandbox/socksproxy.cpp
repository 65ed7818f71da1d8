#include "sandbox/socksproxy.h"

#include "core/logging.h"
#include "sandbox/faults.h"
#include "sandbox/netns.h"

#include <QMutex>
#include <QPointer>
#include <QSet>
#include <QSocketNotifier>
#include <QTimer>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pier::sandbox {

namespace {

constexpr qsizetype kChunk = 64 * 1024;
constexpr qsizetype kMaxBuffered = 256 * 1024; // per direction; reading pauses above it
constexpr int kPoolBatch = 16;                 // sockets made per trip into a namespace

void setNoDelay(int fd)
{
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Bytes waiting to go one way, consumed from the front without copying the rest each time.
struct Buffer {
    QByteArray data;
    qsizetype offset = 0;
    qsizetype size() const { return data.size() - offset; }
    bool isEmpty() const { return size() == 0; }
    const char *front() const { return data.constData() + offset; }
    void consume(qsizetype n)
    {
        offset += n;
        if (offset == data.size()) {
            data.clear();
            offset = 0;
        } else if (offset > kChunk) {
            data.remove(0, offset);
            offset = 0;
        }
    }
};

} // namespace

struct SocksProxy::Private {
    Options options;
    int listenFd = -1;
    QSocketNotifier *acceptNotifier = nullptr;
    QString error;
    int accepted = 0;
    QSet<QObject *> connections;
    QHash<QString, QList<int>> pool; // unconnected sockets made inside each namespace
    QMutex faultMutex;               // setSshDrop() comes from the daemon's main thread
    double sshDrop = 0;
    FaultDice sshDice;

    // After how many relayed bytes a new connection to TARGET is cut; 0: never.
    qint64 cutAfter(const QString &target, quint16 port)
    {
        if (port != 22)
            return 0;
        QMutexLocker lock(&faultMutex);
        if (sshDrop <= 0)
            return 0;
        const auto [fate, where] = sshDice.roll(target);
        return fate < sshDrop ? 512 + qint64(where * 11.5 * 1024) : 0;
    }

    // A socket that lives in NETNS (made there; usable from any thread), or -1.
    int takeSocket(const QString &netns, QString *why)
    {
        if (netns.isEmpty())
            return ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        QList<int> &free = pool[netns];
        if (free.isEmpty()) {
            // Entering a namespace takes a thread; one trip makes a batch.
            const bool entered = runInNamespaceThread(
                netns, {},
                [&] {
                    for (int i = 0; i < kPoolBatch; ++i) {
                        const int fd =
                            ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                        if (fd >= 0)
                            free.append(fd);
                    }
                },
                why);
            if (!entered || free.isEmpty())
                return -1;
        }
        return free.takeLast();
    }
};

// One client: the SOCKS handshake, then the relay between the client and its target.
class SocksConnection : public QObject {
public:
    SocksConnection(SocksProxy *proxy, int clientFd)
        : QObject(proxy), m_proxy(proxy), m_client(clientFd)
    {
        setNoDelay(m_client);
        m_clientRead = new QSocketNotifier(m_client, QSocketNotifier::Read, this);
        m_clientWrite = new QSocketNotifier(m_client, QSocketNotifier::Write, this);
        connect(m_clientRead, &QSocketNotifier::activated, this, [this] { onClientReadable(); });
        connect(m_clientWrite, &QSocketNotifier::activated, this, [this] { onClientWritable(); });
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            if (m_state == State::Connecting)
                replyAndClose(SocksProxy::HostUnreachable);
            else
                finish();
        });
        m_timer.start(proxy->d->options.handshakeTimeoutMs);
        update();
    }

    ~SocksConnection() override
    {
        for (int fd : {m_client, m_target}) {
            if (fd >= 0)
                ::close(fd);
        }
    }

private:
    enum class State { Greeting, Request, Connecting, Relaying, Closing, Done };

    // ---- the handshake ------------------------------------------------------------------

    void onClientReadable()
    {
        if (!readInto(m_client, &m_up, &m_clientEof))
            return finish();
        if (m_state == State::Greeting || m_state == State::Request) {
            handshake();
        } else if (m_state == State::Relaying) {
            flushTo(m_target, &m_up);
        }
        // An end before the request is complete is a client that gave up; after it, a half-close
        // that the target hears once connected.
        if (m_clientEof && (m_state == State::Greeting || m_state == State::Request))
            return finish();
        update();
    }

    void handshake()
    {
        const QByteArray &in = m_up.data;
        qsizetype pos = m_up.offset;
        auto byte = [&](qsizetype i) { return quint8(in.at(pos + i)); };
        if (m_state == State::Greeting) {
            if (m_up.size() < 2)
                return;
            if (byte(0) != 5)
                return finish(); // not SOCKS5: nothing sensible to answer
            const int methods = byte(1);
            if (m_up.size() < 2 + methods)
                return;
            bool noAuth = false;
            for (int i = 0; i < methods; ++i)
                noAuth = noAuth || byte(2 + i) == 0x00;
            m_up.consume(2 + methods);
            if (!noAuth) {
                m_down.data.append("\x05\xff", 2); // no acceptable method
                m_state = State::Closing;
                return;
            }
            m_down.data.append("\x05\x00", 2);
            m_state = State::Request;
            pos = m_up.offset;
        }
        if (m_state != State::Request || m_up.size() < 5)
            return;
        if (byte(0) != 5)
            return finish();
        const quint8 command = byte(1);
        const quint8 type = byte(3);
        qsizetype length = 0;
        if (type == 0x01)
            length = 4 + 4 + 2;
        else if (type == 0x03)
            length = 4 + 1 + byte(4) + 2;
        else if (type == 0x04)
            length = 4 + 16 + 2;
        else
            return replyAndClose(SocksProxy::AddressTypeNotSupported);
        if (m_up.size() < length)
            return;
        const quint16 port = quint16(byte(length - 2) << 8 | byte(length - 1));
        QHostAddress address;
        QString host;
        if (type == 0x01) {
            address = QHostAddress(quint32(byte(4)) << 24 | quint32(byte(5)) << 16 |
                                   quint32(byte(6)) << 8 | quint32(byte(7)));
            host = address.toString();
        } else if (type == 0x03) {
            host = QString::fromLatin1(in.mid(pos + 5, byte(4))).toLower();
            if (!address.setAddress(host) || address.protocol() != QAbstractSocket::IPv4Protocol)
                address = m_proxy->d->options.names.value(host);
        } else {
            host = QStringLiteral("[IPv6]");
        }
        m_up.consume(length); // what follows is the client's first data, sent early
        m_targetText = QStringLiteral("%1:%2").arg(host).arg(port);
        if (command != 0x01)
            return replyAndClose(SocksProxy::CommandNotSupported);
        if (type == 0x04)
            return replyAndClose(SocksProxy::AddressTypeNotSupported);
        if (address.isNull())
            return replyAndClose(SocksProxy::HostUnreachable); // a name we do not know
        const SocksProxy::Route *route = nullptr;
        for (const SocksProxy::Route &r : std::as_const(m_proxy->d->options.routes)) {
            if (address.isInSubnet(r.subnet)) {
                route = &r;
                break;
            }
        }
        if (!route)
            return replyAndClose(SocksProxy::NotAllowed);
        connectTo(*route, address, port);
    }

    void connectTo(const SocksProxy::Route &route, const QHostAddress &address, quint16 port)
    {
        QString why;
        m_target = m_proxy->d->takeSocket(route.netns, &why);
        if (m_target < 0) {
            qCWarning(lcSandbox) << "SOCKS proxy: no socket in" << route.netns << why;
            return replyAndClose(SocksProxy::GeneralFailure);
        }
        setNoDelay(m_target);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        sa.sin_addr.s_addr = htonl(address.toIPv4Address());
        if (::connect(m_target, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 &&
            errno != EINPROGRESS)
            return replyAndClose(replyFor(errno));
        m_state = State::Connecting;
        m_cutAfter = m_proxy->d->cutAfter(m_targetText, port);
        m_targetRead = new QSocketNotifier(m_target, QSocketNotifier::Read, this);
        m_targetWrite = new QSocketNotifier(m_target, QSocketNotifier::Write, this);
        connect(m_targetRead, &QSocketNotifier::activated, this, [this] { onTargetReadable(); });
        connect(m_targetWrite, &QSocketNotifier::activated, this, [this] { onTargetWritable(); });
        m_timer.start(m_proxy->d->options.connectTimeoutMs);
    }

    void connected()
    {
        int soError = 0;
        socklen_t len = sizeof soError;
        ::getsockopt(m_target, SOL_SOCKET, SO_ERROR, &soError, &len);
        if (soError != 0)
            return replyAndClose(replyFor(soError));
        m_timer.stop();
        sockaddr_in local{};
        socklen_t localLen = sizeof local;
        ::getsockname(m_target, reinterpret_cast<sockaddr *>(&local), &localLen);
        char reply[10] = {5, 0, 0, 1};
        std::memcpy(reply + 4, &local.sin_addr.s_addr, 4);
        std::memcpy(reply + 8, &local.sin_port, 2);
        m_down.data.append(reply, sizeof reply);
        m_reply = SocksProxy::Succeeded;
        m_state = State::Relaying;
        flushTo(m_target, &m_up);
    }

    static SocksProxy::Reply replyFor(int error)
    {
        switch (error) {
        case ECONNREFUSED:
            return SocksProxy::ConnectionRefused;
        case ENETUNREACH:
            return SocksProxy::NetworkUnreachable;
        case EHOSTUNREACH:
        case ETIMEDOUT:
            return SocksProxy::HostUnreachable;
        case EACCES:
        case EPERM:
            return SocksProxy::NotAllowed;
        default:
            return SocksProxy::GeneralFailure;
        }
    }

    void replyAndClose(SocksProxy::Reply code)
    {
        m_reply = code;
        const char reply[10] = {5, char(code), 0, 1, 0, 0, 0, 0, 0, 0};
        m_down.data.append(reply, sizeof reply);
        m_state = State::Closing;
        if (m_target >= 0) {
            delete m_targetRead;
            delete m_targetWrite;
            m_targetRead = m_targetWrite = nullptr;
            ::close(m_target);
            m_target = -1;
        }
        update();
    }

    // ---- the relay ----------------------------------------------------------------------

    void onTargetReadable()
    {
        if (!readInto(m_target, &m_down, &m_targetEof))
            return finish();
        flushTo(m_client, &m_down);
        update();
    }

    void onTargetWritable()
    {
        if (m_state == State::Connecting)
            connected();
        else if (!flushTo(m_target, &m_up))
            return finish();
        update();
    }

    void onClientWritable()
    {
        if (!flushTo(m_client, &m_down))
            return finish();
        update();
    }

    // Reads what FD has (up to the buffer's limit); false on a hard error.
    bool readInto(int fd, Buffer *buffer, bool *eof)
    {
        while (!*eof && buffer->size() < kMaxBuffered) {
            const qsizetype old = buffer->data.size();
            buffer->data.resize(old + kChunk);
            const ssize_t n = ::recv(fd, buffer->data.data() + old, size_t(kChunk), 0);
            buffer->data.resize(old + std::max<ssize_t>(n, 0));
            if (n > 0) {
                (fd == m_client ? m_bytesUp : m_bytesDown) += n;
                if (n < kChunk)
                    return true;
                continue;
            }
            if (n == 0) {
                *eof = true;
                return true;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        }
        return true;
    }

    // Writes what it can of BUFFER to FD; false on a hard error.
    bool flushTo(int fd, Buffer *buffer)
    {
        if (fd < 0)
            return true;
        while (!buffer->isEmpty()) {
            const ssize_t n = ::send(fd, buffer->front(), size_t(buffer->size()), MSG_NOSIGNAL);
            if (n > 0) {
                buffer->consume(n);
                continue;
            }
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
        }
        return true;
    }

    void update()
    {
        if (m_state == State::Done)
            return;
        if (m_cutAfter > 0 && m_state == State::Relaying && m_bytesUp + m_bytesDown >= m_cutAfter)
            return cut();
        if (m_state == State::Closing) {
            // Only the reply is left to send.
            m_clientRead->setEnabled(false);
            if (!flushTo(m_client, &m_down) || m_down.isEmpty())
                return finish();
            m_clientWrite->setEnabled(true);
            return;
        }
        const bool relaying = m_state == State::Relaying;
        // A side that ended sends its FIN on once everything before it went through.
        if (relaying && m_clientEof && m_up.isEmpty() && !m_targetShut) {
            ::shutdown(m_target, SHUT_WR);
            m_targetShut = true;
        }
        if (relaying && m_targetEof && m_down.isEmpty() && !m_clientShut) {
            ::shutdown(m_client, SHUT_WR);
            m_clientShut = true;
        }
        if (m_clientShut && m_targetShut)
            return finish();
        m_clientRead->setEnabled(!m_clientEof && m_up.size() < kMaxBuffered);
        m_clientWrite->setEnabled(!m_down.isEmpty());
        if (m_targetRead) {
            m_targetRead->setEnabled(relaying && !m_targetEof && m_down.size() < kMaxBuffered);
            m_targetWrite->setEnabled(m_state == State::Connecting || !m_up.isEmpty());
        }
    }

    // A dropped connection: both sides get a reset, what was not relayed yet is lost.
    void cut()
    {
        const linger hard{1, 0};
        for (int fd : {m_client, m_target}) {
            if (fd >= 0)
                ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        }
        emit m_proxy->connectionCut(m_targetText, m_bytesUp + m_bytesDown);
        finish();
    }

    void finish()
    {
        if (m_state == State::Done)
            return;
        m_state = State::Done;
        m_timer.stop();
        for (QSocketNotifier *n : {m_clientRead, m_clientWrite, m_targetRead, m_targetWrite}) {
            if (n)
                n->setEnabled(false);
        }
        emit m_proxy->connectionFinished(m_targetText, m_reply, m_bytesUp, m_bytesDown);
        m_proxy->d->connections.remove(this);
        deleteLater();
    }

    SocksProxy *m_proxy;
    int m_client = -1;
    int m_target = -1;
    State m_state = State::Greeting;
    QSocketNotifier *m_clientRead = nullptr;
    QSocketNotifier *m_clientWrite = nullptr;
    QSocketNotifier *m_targetRead = nullptr;
    QSocketNotifier *m_targetWrite = nullptr;
    Buffer m_up;   // client -> target (the handshake first)
    Buffer m_down; // target -> client (the replies first)
    bool m_clientEof = false, m_targetEof = false;
    bool m_clientShut = false, m_targetShut = false;
    QTimer m_timer;
    QString m_targetText;
    int m_reply = SocksProxy::GeneralFailure;
    qint64 m_bytesUp = 0, m_bytesDown = 0;
    qint64 m_cutAfter = 0; // setSshDrop(): cut once this many bytes went through
};

SocksProxy::SocksProxy(const Options &options, QObject *parent)
    : QObject(parent), d(std::make_unique<Private>())
{
    d->options = options;
}

SocksProxy::~SocksProxy()
{
    close();
}

bool SocksProxy::listen(const QHostAddress &address, quint16 port)
{
    close();
    d->listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(d->listenFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(address.toIPv4Address());
    if (d->listenFd < 0 || ::bind(d->listenFd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 ||
        ::listen(d->listenFd, 1024) != 0) {
        d->error = QStringLiteral("cannot listen on %1:%2: %3")
                       .arg(address.toString())
                       .arg(port)
                       .arg(QString::fromLocal8Bit(std::strerror(errno)));
        close();
        return false;
    }
    d->acceptNotifier = new QSocketNotifier(d->listenFd, QSocketNotifier::Read, this);
    connect(d->acceptNotifier, &QSocketNotifier::activated, this, [this] {
        for (;;) {
            const int fd = ::accept4(d->listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0)
                break;
            ++d->accepted;
            d->connections.insert(new SocksConnection(this, fd));
        }
    });
    return true;
}

void SocksProxy::close()
{
    delete d->acceptNotifier;
    d->acceptNotifier = nullptr;
    if (d->listenFd >= 0)
        ::close(d->listenFd);
    d->listenFd = -1;
    const QSet<QObject *> open = d->connections;
    d->connections.clear();
    qDeleteAll(open);
    for (const QList<int> &fds : std::as_const(d->pool)) {
        for (int fd : fds)
            ::close(fd);
    }
    d->pool.clear();
}

quint16 SocksProxy::port() const
{
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    if (d->listenFd < 0 || ::getsockname(d->listenFd, reinterpret_cast<sockaddr *>(&sa), &len) != 0)
        return 0;
    return ntohs(sa.sin_port);
}

QString SocksProxy::errorString() const
{
    return d->error;
}

int SocksProxy::connectionCount() const
{
    return d->accepted;
}

int SocksProxy::activeCount() const
{
    return int(d->connections.size());
}

void SocksProxy::setSshDrop(double share, quint64 seed)
{
    QMutexLocker lock(&d->faultMutex);
    d->sshDrop = share;
    d->sshDice = FaultDice(seed, "ssh");
}

} // namespace pier::sandbox
