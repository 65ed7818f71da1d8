// The OpenVPN step against the real OpenVPN: a server in one throwaway network namespace, with a
// "private network" (198.18.252.0/24 on a veth pair inside it) holding tiny HTTP responders on 8080
// and 5050, and `pier vpn connect` run in a second namespace as a user would, starting its own
// OpenVPN client there. The host's network namespace is never touched. Root only; SKIPs without.
// Command lines for ip, openssl and nsenter are written with string literals throughout.
#undef QT_NO_CAST_FROM_ASCII

#include "sandbox/netns.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <csignal>
#include <unistd.h>

using namespace pier::sandbox;

namespace {

const QString kServerAddress = QStringLiteral("198.18.250.1");
const QString kClientAddress = QStringLiteral("198.18.250.2");
const QString kPrivateAddress = QStringLiteral("198.18.252.1");

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
    qint64 ms = 0;
    QString all() const { return out + err; }
};

} // namespace

class TestVpnReal : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void connectsAndProves();
    void wrongPassword();
    void serverDown();
    void tunnelUpRouteMissing();
    void withoutRootSaysWhichWaysFailed();

private:
    bool ip(const QStringList &args);
    bool startServer(bool pushRoute);
    void stopServer();
    Run pier(const QStringList &args, const QString &password, int timeoutMs = 90000,
             bool asNobody = false);
    QList<qint64> pidsIn(const QString &netns) const;
    QStringList clientTunnels();
    QString openssl(const QStringList &args);

    QString m_id, m_serverNs, m_clientNs;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QTemporaryDir> m_public; // readable and writable by nobody
    QString m_ovpn;
    QProcess *m_server = nullptr;
    QList<QTcpServer *> m_http;
    int m_requests = 0;
    bool m_ready = false;
};

bool TestVpnReal::ip(const QStringList &args)
{
    const ProcessResult r = runProcess(findProgram(QStringLiteral("ip")), args);
    if (!r.ok())
        qWarning("%s", qPrintable(r.errorText()));
    return r.ok();
}

QString TestVpnReal::openssl(const QStringList &args)
{
    const ProcessResult r = runProcess(QStringLiteral("openssl"), args, {}, 60000);
    return r.ok() ? QString() : r.errorText() + QString::fromLocal8Bit(r.err);
}

void TestVpnReal::initTestCase()
{
    QString why;
    const bool privileged = haveNamespacePrivileges(&why);
    if (::geteuid() != 0 || !privileged)
        QSKIP(qPrintable(
            QStringLiteral("needs root to make network namespaces and tun devices (%1)").arg(why)));
    if (findProgram(QStringLiteral("openvpn")).isEmpty())
        QSKIP("openvpn is not installed (installer/install-deps.sh installs it)");
    if (findProgram(QStringLiteral("openssl")).isEmpty() ||
        findProgram(QStringLiteral("nsenter")).isEmpty())
        QSKIP("needs openssl and nsenter");
    if (!QFile::exists(QStringLiteral("/dev/net/tun")))
        QSKIP("no /dev/net/tun on this machine");

    m_id =
        QStringLiteral("vpn%1").arg(QRandomGenerator::global()->bounded(0x100000, 0xffffff), 0, 16);
    m_serverNs = m_id + QStringLiteral("s");
    m_clientNs = m_id + QStringLiteral("c");
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());

    // Two namespaces joined by a veth pair made inside them (never on the host).
    QVERIFY(ip({QStringLiteral("netns"), QStringLiteral("add"), m_serverNs}));
    QVERIFY(ip({QStringLiteral("netns"), QStringLiteral("add"), m_clientNs}));
    const QString vs = m_id + QStringLiteral("s"), vc = m_id + QStringLiteral("c");
    QVERIFY(ip({"-n", m_serverNs, "link", "add", vs, "type", "veth", "peer", "name", vc, "netns",
                m_clientNs}));
    QVERIFY(ip({"-n", m_serverNs, "addr", "add", kServerAddress + "/24", "dev", vs}));
    QVERIFY(ip({"-n", m_clientNs, "addr", "add", kClientAddress + "/24", "dev", vc}));
    // The private network: a veth pair inside the server's namespace (no dummy module needed).
    QVERIFY(
        ip({"-n", m_serverNs, "link", "add", "priv0", "type", "veth", "peer", "name", "priv1"}));
    QVERIFY(ip({"-n", m_serverNs, "addr", "add", kPrivateAddress + "/24", "dev", "priv0"}));
    for (const QString &ns : {m_serverNs, m_clientNs})
        QVERIFY(ip({"-n", ns, "link", "set", "lo", "up"}));
    QVERIFY(ip({"-n", m_serverNs, "link", "set", vs, "up"}));
    QVERIFY(ip({"-n", m_serverNs, "link", "set", "priv0", "up"}));
    QVERIFY(ip({"-n", m_serverNs, "link", "set", "priv1", "up"}));
    QVERIFY(ip({"-n", m_clientNs, "link", "set", vc, "up"}));

    // Marathon's and Mesos's stand-ins on the private network, served by this process.
    for (quint16 port : {quint16(8080), quint16(5050)}) {
        QString error;
        const int fd = listenTcp(m_serverNs, port, &error);
        QVERIFY2(fd >= 0, qPrintable(error));
        auto *server = new QTcpServer(this);
        QVERIFY(server->setSocketDescriptor(fd));
        connect(server, &QTcpServer::newConnection, this, [this, server] {
            while (QTcpSocket *s = server->nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    if (!s->peek(4096).contains("\r\n\r\n"))
                        return;
                    const QByteArray head = s->readAll();
                    ++m_requests;
                    const QByteArray body =
                        head.startsWith("GET /ping ") ? "pong\n" : "{\"version\":\"1.4.0\"}";
                    s->write(
                        "HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(body.size()) +
                        "\r\nConnection: close\r\n\r\n" + body);
                    s->disconnectFromHost();
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
        m_http << server;
    }

    // A CA, the server's and the client's certificates (EC keys: quick to make).
    const QDir d(m_dir->path());
    auto f = [&](const char *name) { return d.filePath(QLatin1String(name)); };
    const QStringList ec{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
    QString e = openssl(QStringList{"req", "-x509"} + ec +
                        QStringList{"-keyout", f("ca.key"), "-out", f("ca.crt"), "-subj",
                                    "/CN=pier-test-ca", "-days", "2"});
    QVERIFY2(e.isEmpty(), qPrintable(e));
    QFile ext(f("ext.cnf"));
    QVERIFY(ext.open(QIODevice::WriteOnly));
    ext.write("[server]\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyAgreement\n"
              "[client]\nextendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyAgreement\n");
    ext.close();
    for (const char *who : {"server", "client"}) {
        const QString w = QLatin1String(who);
        e = openssl(QStringList{"req"} + ec +
                    QStringList{"-keyout", d.filePath(w + ".key"), "-out", d.filePath(w + ".csr"),
                                "-subj", "/CN=" + w});
        QVERIFY2(e.isEmpty(), qPrintable(e));
        e = openssl({"x509", "-req", "-in", d.filePath(w + ".csr"), "-CA", f("ca.crt"), "-CAkey",
                     f("ca.key"), "-CAcreateserial", "-out", d.filePath(w + ".crt"), "-days", "2",
                     "-extfile", f("ext.cnf"), "-extensions", w});
        QVERIFY2(e.isEmpty(), qPrintable(e));
    }
    // The server accepts the user "pier" with the password "right-password" only.
    QFile verify(f("verify.sh"));
    QVERIFY(verify.open(QIODevice::WriteOnly));
    verify.write("#!/bin/sh\n[ \"$(sed -n 1p \"$1\")\" = pier ] && [ \"$(sed -n 2p \"$1\")\" = "
                 "right-password ]\n");
    verify.close();
    verify.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);

    // The client's .ovpn, certificates inline, as a VPN administrator would hand it out.
    auto read = [&](const char *name) {
        QFile in(f(name));
        in.open(QIODevice::ReadOnly);
        return in.readAll();
    };
    m_ovpn = f("pier-test.ovpn");
    QFile ovpn(m_ovpn);
    QVERIFY(ovpn.open(QIODevice::WriteOnly));
    ovpn.write("client\ndev tun\nproto udp\nremote " + kServerAddress.toLatin1() +
               " 1194\nnobind\nauth-user-pass\nremote-cert-tls server\nverb 3\n<ca>\n" +
               read("ca.crt") + "</ca>\n<cert>\n" + read("client.crt") + "</cert>\n<key>\n" +
               read("client.key") + "</key>\n");
    ovpn.close();
    m_public = std::make_unique<QTemporaryDir>();
    QVERIFY(QFile::setPermissions(m_public->path(), QFileDevice::Permissions(0x7777)));
    QVERIFY(QFile::copy(m_ovpn, m_public->filePath(QStringLiteral("pier-test.ovpn"))));
    QFile::setPermissions(m_public->filePath(QStringLiteral("pier-test.ovpn")),
                          QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther |
                              QFile::WriteOwner);
    m_ready = true;
}

bool TestVpnReal::startServer(bool pushRoute)
{
    const QDir d(m_dir->path());
    QFile conf(d.filePath(QStringLiteral("server.conf")));
    if (!conf.open(QIODevice::WriteOnly))
        return false;
    QByteArray text =
        "dev tun\nproto udp\nport 1194\nlocal " + kServerAddress.toLatin1() +
        "\ntopology subnet\nserver 198.18.251.0 255.255.255.0\ndh none\nkeepalive 2 10\n"
        "script-security 2\nauth-user-pass-verify " +
        d.filePath(QStringLiteral("verify.sh")).toLatin1() +
        " via-file\nverb 3\nca ca.crt\ncert server.crt\nkey server.key\n";
    if (pushRoute)
        text += "push \"route 198.18.252.0 255.255.255.0\"\n";
    conf.write(text);
    conf.close();
    m_server = new QProcess(this);
    m_server->setProcessChannelMode(QProcess::MergedChannels);
    m_server->setStandardOutputFile(d.filePath(QStringLiteral("server.log")));
    m_server->start(findProgram(QStringLiteral("nsenter")),
                    nsenterArgs(m_serverNs, {}, findProgram(QStringLiteral("openvpn")),
                                {"--cd", d.path(), "--config", conf.fileName()}));
    if (!m_server->waitForStarted())
        return false;
    // Ready when its UDP socket is bound in the server's namespace.
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 10000) {
        const ProcessResult ss =
            runInNamespace(m_serverNs, findProgram(QStringLiteral("ss")), {"-lun"});
        if (ss.out.contains(kServerAddress.toLatin1() + ":1194"))
            return true;
        if (m_server->state() == QProcess::NotRunning)
            return false;
        QTest::qWait(100);
    }
    return false;
}

void TestVpnReal::stopServer()
{
    if (!m_server)
        return;
    if (m_server->state() != QProcess::NotRunning) {
        m_server->terminate();
        if (!m_server->waitForFinished(5000)) {
            m_server->kill();
            m_server->waitForFinished();
        }
    }
    delete m_server;
    m_server = nullptr;
}

// `pier ARGS` inside the client's namespace, the way a user runs it, while this process keeps
// serving the HTTP responders.
Run TestVpnReal::pier(const QStringList &args, const QString &password, int timeoutMs,
                      bool asNobody)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name :
         {"PIER_MARATHON_URL", "PIER_MESOS_URL", "PIER_VPN_USER", "PIER_VPN_PASSWORD"})
        env.remove(QLatin1String(name));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir->filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("TMPDIR"), m_dir->path()); // where pier keeps the OpenVPN log
    if (!password.isNull()) {
        env.insert(QStringLiteral("PIER_VPN_USER"), QStringLiteral("pier"));
        env.insert(QStringLiteral("PIER_VPN_PASSWORD"), password);
    }
    p.setProcessEnvironment(env);
    QEventLoop loop;
    connect(&p, &QProcess::finished, &loop, &QEventLoop::quit);
    connect(&p, &QProcess::errorOccurred, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    QElapsedTimer t;
    t.start();
    QString program = QStringLiteral(PIER_BINARY);
    QString ovpn = m_ovpn;
    QStringList prefix;
    if (asNobody) {
        // A user who may not be root: no display for pkexec, no sudo rights, files it can read.
        for (const char *name : {"DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR"})
            env.remove(QLatin1String(name));
        env.insert(QStringLiteral("HOME"), m_public->path());
        env.insert(QStringLiteral("TMPDIR"), m_public->path());
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_public->path());
        p.setProcessEnvironment(env);
        ovpn = m_public->filePath(QStringLiteral("pier-test.ovpn"));
        prefix = {"--reuid=65534", "--regid=65534", "--clear-groups", program};
        program = findProgram(QStringLiteral("setpriv"));
    }
    p.start(findProgram(QStringLiteral("nsenter")),
            nsenterArgs(m_clientNs, {}, program,
                        prefix + args +
                            QStringList{"--config", ovpn, "--marathon",
                                        "http://" + kPrivateAddress + ":8080", "--mesos",
                                        "http://" + kPrivateAddress + ":5050"}));
    loop.exec();
    Run r;
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished();
        r.exitCode = -2;
    } else {
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }
    r.ms = t.elapsed();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// Processes whose network namespace is NETNS: only ever ours (the names are unique to this run).
QList<qint64> TestVpnReal::pidsIn(const QString &netns) const
{
    QList<qint64> pids;
    const quint64 inode = namespaceInode(netnsPath(netns));
    if (inode == 0)
        return pids;
    for (const QString &e :
         QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool ok = false;
        const qint64 pid = e.toLongLong(&ok);
        if (ok && pid != ::getpid() &&
            namespaceInode(QStringLiteral("/proc/%1/ns/net").arg(e)) == inode)
            pids << pid;
    }
    return pids;
}

QStringList TestVpnReal::clientTunnels()
{
    const ProcessResult r = runProcess(findProgram(QStringLiteral("ip")),
                                       {"-n", m_clientNs, "-o", "link", "show", "type", "tun"});
    QStringList out;
    for (const QByteArray &line : r.out.split('\n')) {
        if (!line.trimmed().isEmpty())
            out << QString::fromUtf8(line.split(':').value(1)).trimmed();
    }
    return out;
}

void TestVpnReal::cleanupTestCase()
{
    stopServer();
    qDeleteAll(m_http);
    m_http.clear();
    if (m_id.isEmpty())
        return;
    for (const QString &ns : {m_clientNs, m_serverNs}) {
        for (qint64 pid : pidsIn(ns))
            ::kill(pid_t(pid), SIGTERM);
    }
    QTest::qWait(300);
    for (const QString &ns : {m_clientNs, m_serverNs}) {
        for (qint64 pid : pidsIn(ns))
            ::kill(pid_t(pid), SIGKILL);
        ip({QStringLiteral("netns"), QStringLiteral("del"), ns});
    }
    QVERIFY(!namedNetworkNamespaces().contains(m_clientNs));
    QVERIFY(!namedNetworkNamespaces().contains(m_serverNs));
}

void TestVpnReal::connectsAndProves()
{
    QVERIFY(m_ready);
    QVERIFY(startServer(true));
    // Before: the private network is not reachable from the client's namespace.
    Run r = pier({"vpn", "check"}, QString());
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.contains(QStringLiteral("Verdict: not reachable (no-route)")),
             qPrintable(r.all()));
    QVERIFY(r.out.contains(QStringLiteral("Connects to 198.18.250.1:1194 over UDP")));

    const int before = m_requests;
    r = pier({"vpn", "connect"}, QStringLiteral("right-password"));
    qInfo("pier vpn connect took %lld ms", r.ms);
    QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
    // It started OpenVPN itself (root), followed its states and answered the password prompt.
    QVERIFY2(r.out.contains(QStringLiteral("Starting OpenVPN directly (as root)")),
             qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("Releasing OpenVPN from its hold")));
    QVERIFY(r.out.contains(QStringLiteral("Sent the user name and password for pier")));
    for (const char *state : {"authenticating with the server", "setting the tunnel's address",
                              "adding routes", "OpenVPN: connected (tunnel address 198.18.251."})
        QVERIFY2(r.out.contains(QLatin1String(state)), state);
    QVERIFY(r.out.contains(QStringLiteral("Verdict: reachable.")));
    QVERIFY(r.out.contains(
        QStringLiteral("Marathon at 198.18.252.1:8080 answered /ping with HTTP 200")));
    QVERIFY(r.out.contains(
        QStringLiteral("Mesos at 198.18.252.1:5050 answered /version with HTTP 200")));
    QVERIFY(!r.all().contains(QStringLiteral("right-password")));
    QVERIFY(m_requests >= before + 2); // the proof really went through the tunnel to the responders
    QCOMPARE(clientTunnels().size(), 1);

    // Run again: it finds the VPN up and says so instead of starting another.
    r = pier({"vpn", "check"}, QString());
    QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
    QVERIFY2(r.out.contains(QStringLiteral("Already reachable through a VPN that is up")),
             qPrintable(r.out));

    r = pier({"vpn", "disconnect"}, QString());
    QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
    QTRY_VERIFY_WITH_TIMEOUT(pidsIn(m_clientNs).isEmpty(), 10000);
    QVERIFY(clientTunnels().isEmpty());
}

void TestVpnReal::wrongPassword()
{
    QVERIFY(m_ready);
    if (!m_server)
        QVERIFY(startServer(true));
    const Run r = pier({"vpn", "connect"}, QStringLiteral("wrong-password"));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.contains(QStringLiteral("Verdict: authentication failed")), qPrintable(r.all()));
    QVERIFY(!r.all().contains(QStringLiteral("wrong-password")));
    // Nothing half-done: the OpenVPN it started is gone, and so is its tun device.
    QTRY_VERIFY_WITH_TIMEOUT(pidsIn(m_clientNs).isEmpty(), 10000);
    QVERIFY(clientTunnels().isEmpty());
}

void TestVpnReal::serverDown()
{
    QVERIFY(m_ready);
    stopServer();
    const Run r = pier({"vpn", "connect", "--timeout", "6"}, QStringLiteral("right-password"));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.contains(QStringLiteral("Verdict: VPN server unreachable")),
             qPrintable(r.all()));
    QVERIFY(r.out.contains(QStringLiteral("198.18.250.1:1194 (UDP) is unreachable")));
    QTRY_VERIFY_WITH_TIMEOUT(pidsIn(m_clientNs).isEmpty(), 10000);
}

void TestVpnReal::tunnelUpRouteMissing()
{
    QVERIFY(m_ready);
    stopServer();
    QVERIFY(startServer(false)); // no route pushed
    Run r = pier({"vpn", "connect"}, QStringLiteral("right-password"));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.contains(QStringLiteral("OpenVPN: connected")), qPrintable(r.all()));
    QVERIFY2(r.out.contains(QStringLiteral("Verdict: not reachable (route-missing)")),
             qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("The tunnel is up")));
    QVERIFY(r.out.contains(QStringLiteral("the route to 198.18.252.1 is missing")));
    QVERIFY(r.out.contains(QStringLiteral("pier vpn disconnect")));
    r = pier({"vpn", "disconnect"}, QString());
    QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
    QTRY_VERIFY_WITH_TIMEOUT(pidsIn(m_clientNs).isEmpty(), 10000);
}

void TestVpnReal::withoutRootSaysWhichWaysFailed()
{
    QVERIFY(m_ready);
    if (findProgram(QStringLiteral("setpriv")).isEmpty() ||
        !QFileInfo(QStringLiteral(PIER_BINARY)).isExecutable())
        QSKIP("needs setpriv and the pier binary");
    if (!m_server)
        QVERIFY(startServer(true));
    const Run r = pier({"vpn", "connect"}, QStringLiteral("right-password"), 60000, true);
    if (r.err.contains(QStringLiteral("Permission denied")))
        QSKIP("the pier binary is not executable by nobody here");
    QCOMPARE(r.exitCode, 1);
    // Each way it tried, and why it did not work; then what to do.
    QVERIFY2(r.out.contains(QStringLiteral("Verdict: start failed")), qPrintable(r.all()));
    QVERIFY(r.out.contains(QStringLiteral("Could not start OpenVPN: Pier does not run as root")));
    QVERIFY(r.out.contains(QStringLiteral("pkexec")));
    QVERIFY(r.out.contains(QStringLiteral("sudo -n")));
    QVERIFY(r.out.contains(QStringLiteral("NetworkManager")));
    QVERIFY(r.out.contains(QStringLiteral("Start it yourself (sudo openvpn --config")));
    QTRY_VERIFY_WITH_TIMEOUT(pidsIn(m_clientNs).isEmpty(), 10000);
    QVERIFY(clientTunnels().isEmpty());
}

QTEST_GUILESS_MAIN(TestVpnReal)
#include "tst_vpnreal.moc"
