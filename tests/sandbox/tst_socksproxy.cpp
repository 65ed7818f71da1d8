// The sandbox's SOCKS5 proxy on loopback (routes that connect directly, so no root is needed):
// RFC 1928 replies for what it refuses, relaying with half-close, many connections at once, and
// Pier's Marathon client going through it with the name resolved by the proxy.

#include "common/pierprocess.h"
#include "core/profilestore.h"
#include "marathon/marathonclient.h"
#include "sandbox/marathonserver.h"
#include "sandbox/socksproxy.h"

#include <QEventLoop>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <arpa/inet.h>
#include <atomic>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace pier::sandbox;

namespace {

int connectTo(const char *address, quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    ::inet_pton(AF_INET, address, &sa.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0) {
        ::close(fd);
        return -1;
    }
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

void sendAll(int fd, const QByteArray &data)
{
    qsizetype sent = 0;
    while (sent < data.size()) {
        const ssize_t n =
            ::send(fd, data.constData() + sent, size_t(data.size() - sent), MSG_NOSIGNAL);
        if (n <= 0)
            return;
        sent += n;
    }
}

// Reads exactly N bytes, or what came before EOF / the timeout.
QByteArray readN(int fd, qsizetype n)
{
    QByteArray out;
    char buf[65536];
    while (out.size() < n) {
        const ssize_t got =
            ::recv(fd, buf, size_t(std::min<qsizetype>(n - out.size(), sizeof buf)), 0);
        if (got <= 0)
            break;
        out.append(buf, got);
    }
    return out;
}

QByteArray readToEof(int fd)
{
    QByteArray out;
    char buf[65536];
    for (;;) {
        const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
        if (got <= 0)
            break;
        out.append(buf, got);
    }
    return out;
}

QByteArray connectRequest(const QByteArray &address, quint16 port, quint8 command = 1)
{
    QByteArray r("\x05\x01\x00\x05", 4);
    r[1] = char(command);
    QByteArray a = address;
    in_addr ip{};
    if (::inet_pton(AF_INET, a.constData(), &ip) == 1) {
        r[3] = 0x01;
        r.append(reinterpret_cast<const char *>(&ip), 4);
    } else {
        r[3] = 0x03;
        r.append(char(a.size()));
        r.append(a);
    }
    r.append(char(port >> 8));
    r.append(char(port & 0xff));
    return r;
}

// A target server on 127.0.0.1: per connection, reads until the client's FIN, then answers with
// everything it read, reversed, and closes. Only a proxy that passes the half-close on works.
class ReverseServer {
public:
    ReverseServer()
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(m_fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
        ::listen(m_fd, 256);
        socklen_t len = sizeof sa;
        ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&sa), &len);
        m_port = ntohs(sa.sin_port);
        m_thread = std::thread([this] {
            for (;;) {
                const int c = ::accept(m_fd, nullptr, nullptr);
                if (c < 0)
                    return;
                ++m_accepted;
                std::thread([c] {
                    QByteArray all = readToEof(c);
                    std::reverse(all.begin(), all.end());
                    sendAll(c, all);
                    ::close(c);
                }).detach();
            }
        });
    }
    ~ReverseServer()
    {
        ::shutdown(m_fd, SHUT_RDWR);
        ::close(m_fd);
        m_thread.join();
    }
    quint16 port() const { return m_port; }
    int accepted() const { return m_accepted; }

private:
    int m_fd = -1;
    quint16 m_port = 0;
    std::atomic<int> m_accepted{0};
    std::thread m_thread;
};

} // namespace

class TestSocksProxy : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void refusesWhatItMust_data();
    void refusesWhatItMust();
    void badVersionGetsNoAnswer();
    void noAcceptableMethod();
    void relaysWithHalfClose();
    void manyConnectionsAtOnce();
    void marathonClientGoesThroughTheProxy();
    void cliTakesTheProxyFromOptionEnvironmentAndProfile();

private:
    // The proxy runs on a thread of its own, as in the sandbox, so this thread may block.
    void startProxy(const SocksProxy::Options &options)
    {
        m_thread = std::make_unique<QThread>();
        m_proxy = new SocksProxy(options);
        m_proxy->moveToThread(m_thread.get());
        connect(m_thread.get(), &QThread::finished, m_proxy, &QObject::deleteLater);
        m_thread->start();
        bool ok = false;
        QMetaObject::invokeMethod(
            m_proxy, [&] { ok = m_proxy->listen(QHostAddress::LocalHost, 0); },
            Qt::BlockingQueuedConnection);
        QVERIFY(ok);
        m_port = m_proxy->port();
    }
    int connectionCount()
    {
        int n = 0;
        QMetaObject::invokeMethod(
            m_proxy, [&] { n = m_proxy->connectionCount(); }, Qt::BlockingQueuedConnection);
        return n;
    }
    // Greets, asks for REQUEST, returns the reply code (-1: closed without a reply).
    int ask(int fd, const QByteArray &request)
    {
        sendAll(fd, QByteArray("\x05\x01\x00", 3));
        if (readN(fd, 2) != QByteArray("\x05\x00", 2))
            return -1;
        sendAll(fd, request);
        const QByteArray reply = readN(fd, 10);
        return reply.size() == 10 && reply.at(0) == 5 ? quint8(reply.at(1)) : -1;
    }

    std::unique_ptr<QThread> m_thread;
    SocksProxy *m_proxy = nullptr;
    quint16 m_port = 0;
    std::unique_ptr<ReverseServer> m_target;
};

void TestSocksProxy::init()
{
    m_target = std::make_unique<ReverseServer>();
    SocksProxy::Options options;
    // Only 127.0.0.1 is "inside"; 127.0.0.2 stands for anything outside the sandbox.
    options.routes = {{QHostAddress::parseSubnet(QStringLiteral("127.0.0.1/32")), QString()}};
    options.names.insert(QStringLiteral("node-1"), QHostAddress::LocalHost);
    startProxy(options);
}

void TestSocksProxy::cleanup()
{
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
    }
    m_thread.reset();
    m_proxy = nullptr;
    m_target.reset();
}

void TestSocksProxy::refusesWhatItMust_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<int>("command");
    QTest::addColumn<int>("reply");
    QTest::newRow("outside the routes") << QByteArray("127.0.0.2") << 1 << 0x02;
    QTest::newRow("BIND is not supported") << QByteArray("127.0.0.1") << 2 << 0x07;
    QTest::newRow("UDP ASSOCIATE is not supported") << QByteArray("127.0.0.1") << 3 << 0x07;
    QTest::newRow("a name it does not know") << QByteArray("example.com") << 1 << 0x04;
    QTest::newRow("a name it knows") << QByteArray("node-1") << 1 << 0x00;
}

void TestSocksProxy::refusesWhatItMust()
{
    QFETCH(QByteArray, host);
    QFETCH(int, command);
    QFETCH(int, reply);
    const int fd = connectTo("127.0.0.1", m_port);
    QVERIFY(fd >= 0);
    QCOMPARE(ask(fd, connectRequest(host, m_target->port(), quint8(command))), reply);
    ::close(fd);
    // Refused targets are never connected to.
    QTest::qWait(50);
    QCOMPARE(m_target->accepted(), reply == 0 ? 1 : 0);
}

void TestSocksProxy::badVersionGetsNoAnswer()
{
    const int fd = connectTo("127.0.0.1", m_port);
    QVERIFY(fd >= 0);
    sendAll(fd, QByteArray("\x04\x01\x00\x50\x7f\x00\x00\x01\x00", 9)); // a SOCKS4 request
    QCOMPARE(readToEof(fd), QByteArray());                              // closed without a word
    ::close(fd);
    QCOMPARE(m_target->accepted(), 0);
}

void TestSocksProxy::noAcceptableMethod()
{
    const int fd = connectTo("127.0.0.1", m_port);
    QVERIFY(fd >= 0);
    sendAll(fd, QByteArray("\x05\x01\x02", 3)); // username/password only
    QCOMPARE(readToEof(fd), QByteArray("\x05\xff", 2));
    ::close(fd);
}

void TestSocksProxy::relaysWithHalfClose()
{
    const int fd = connectTo("127.0.0.1", m_port);
    QVERIFY(fd >= 0);
    // Greeting, request and the first data in one go, as optimistic clients send them.
    QByteArray data(3 * 1024 * 1024 + 7, Qt::Uninitialized);
    for (qsizetype i = 0; i < data.size(); ++i)
        data[i] = char(i * 31 + i / 977);
    std::thread writer([&] {
        sendAll(fd, QByteArray("\x05\x01\x00", 3) + connectRequest("127.0.0.1", m_target->port()) +
                        data.left(1000));
        sendAll(fd, data.mid(1000));
        ::shutdown(fd, SHUT_WR); // the server answers only after our FIN
    });
    QCOMPARE(readN(fd, 2), QByteArray("\x05\x00", 2));
    const QByteArray reply = readN(fd, 10);
    QCOMPARE(int(reply.at(1)), 0);
    QByteArray answer = readToEof(fd);
    writer.join();
    ::close(fd);
    std::reverse(answer.begin(), answer.end());
    QCOMPARE(answer.size(), data.size());
    QVERIFY(answer == data);
}

void TestSocksProxy::manyConnectionsAtOnce()
{
    constexpr int kClients = 64;
    std::atomic<int> good{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            const int fd = connectTo("127.0.0.1", m_port);
            if (fd < 0)
                return;
            QByteArray data = QByteArray::number(c).repeated(20000);
            sendAll(fd, QByteArray("\x05\x01\x00", 3) +
                            connectRequest("127.0.0.1", m_target->port()) + data);
            ::shutdown(fd, SHUT_WR);
            const QByteArray head = readN(fd, 12);
            QByteArray answer = readToEof(fd);
            ::close(fd);
            std::reverse(answer.begin(), answer.end());
            if (head.size() == 12 && head.at(3) == 0 && answer == data)
                ++good;
            else
                qWarning() << "client" << c << head.toHex() << answer.size() << data.size();
        });
    }
    for (std::thread &t : clients)
        t.join();
    QCOMPARE(good.load(), kClients);
    QCOMPARE(connectionCount(), kClients);
}

void TestSocksProxy::marathonClientGoesThroughTheProxy()
{
    // The proxy knows "marathon.internal"; this machine does not: only remote DNS can work.
    cleanup();
    MarathonServer marathon;
    QVERIFY(marathon.listen(QHostAddress::LocalHost, 0));
    SocksProxy::Options options;
    options.routes = {{QHostAddress::parseSubnet(QStringLiteral("127.0.0.1/32")), QString()}};
    options.names.insert(QStringLiteral("marathon.internal"), QHostAddress::LocalHost);
    startProxy(options);

    pier::marathon::MarathonConfig config;
    config.urls = {QUrl(QStringLiteral("http://marathon.internal:%1").arg(marathon.port()))};
    config.socksProxy = QStringLiteral("socks5://127.0.0.1:%1").arg(m_port);
    config.maxRetries = 0;
    pier::marathon::MarathonClient client(config);
    pier::marathon::MarathonReply *reply = client.info();
    QSignalSpy finished(reply, &pier::marathon::MarathonReply::finished);
    QVERIFY(finished.wait(10000) || reply->isFinished());
    QVERIFY2(!reply->error(), qPrintable(reply->error().toText()));
    QCOMPARE(reply->info().leader.isEmpty(), false);
    QVERIFY(connectionCount() >= 1);

    // "host:port" is accepted too; a text that is no proxy fails the call and says so.
    config.socksProxy = QStringLiteral("127.0.0.1:%1").arg(m_port);
    client.setConfig(config);
    const int before = connectionCount();
    reply = client.ping();
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QVERIFY2(!reply->error(), qPrintable(reply->error().toText()));
    QVERIFY(connectionCount() > before || before >= 1); // a kept-alive connection may be reused
    config.socksProxy = QStringLiteral("http://127.0.0.1:%1").arg(m_port);
    client.setConfig(config);
    reply = client.ping();
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QVERIFY(reply->error());
    QVERIFY(reply->error().toText().contains(QLatin1String("SOCKS5")));
}

void TestSocksProxy::cliTakesTheProxyFromOptionEnvironmentAndProfile()
{
    cleanup();
    MarathonServer marathon;
    QVERIFY(marathon.listen(QHostAddress::LocalHost, 0));
    SocksProxy::Options options;
    options.routes = {{QHostAddress::parseSubnet(QStringLiteral("127.0.0.1/32")), QString()}};
    options.names.insert(QStringLiteral("marathon.internal"), QHostAddress::LocalHost);
    startProxy(options);
    const QString url = QStringLiteral("http://marathon.internal:%1").arg(marathon.port());
    const QString proxy = QStringLiteral("127.0.0.1:%1").arg(m_port);
    QTemporaryDir config;
    using pier::test::runPier;

    // Without a proxy the name means nothing here.
    auto r = runPier({QStringLiteral("--marathon"), url, QStringLiteral("apps")}, config.path());
    QCOMPARE(r.exitCode, 1);
    int before = connectionCount();
    r = runPier({QStringLiteral("--marathon"), url, QStringLiteral("--proxy"), proxy,
                 QStringLiteral("apps")},
                config.path());
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(connectionCount() > before);
    before = connectionCount();
    r = runPier({QStringLiteral("--marathon"), url, QStringLiteral("apps")}, config.path(),
                {{QStringLiteral("PIER_PROXY"), QStringLiteral("socks5://") + proxy}});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(connectionCount() > before);

    // The active profile's proxy; --proxy overrides it.
    pier::ProfileStore store(config.path() + QStringLiteral("/Pier/Pier"));
    pier::Profile p;
    p.name = QStringLiteral("private");
    p.marathonUrl = url;
    p.socksProxy = QStringLiteral("socks5://") + proxy;
    pier::ApiError error;
    QVERIFY(store.create(p, &error));
    QVERIFY(store.setActive(p.name, &error));
    before = connectionCount();
    r = runPier({QStringLiteral("apps")}, config.path());
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(connectionCount() > before);
    r = runPier({QStringLiteral("apps"), QStringLiteral("--proxy"), QStringLiteral("127.0.0.1:1")},
                config.path());
    QCOMPARE(r.exitCode, 1);
}

QTEST_GUILESS_MAIN(TestSocksProxy)
#include "tst_socksproxy.moc"
