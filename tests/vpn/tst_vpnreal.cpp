// The OpenVPN step against the real OpenVPN: a server in one throwaway network namespace, with a
// "private network" (198.18.252.0/24 on a veth pair inside it) holding tiny HTTP responders on 8080
// and 5050, and `pier vpn connect` run in a second namespace as a user would, starting its own
// OpenVPN client there. The host's network namespace is never touched. Root only; SKIPs without.
// The namespaces, server and responders come from vpntestnet.h (shared with tst_vpngui).
#undef QT_NO_CAST_FROM_ASCII

#include "vpntestnet.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <unistd.h>

using namespace pier::sandbox;
using pier::test::VpnTestNet;

namespace {

const QString kPrivateAddress = VpnTestNet::kPrivateAddress;

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
    bool startServer(bool pushRoute) { return m_net->startServer(pushRoute); }
    void stopServer() { m_net->stopServer(); }
    Run pier(const QStringList &args, const QString &password, int timeoutMs = 90000,
             bool asNobody = false);
    QList<qint64> pidsIn(const QString &netns) const { return m_net->pidsIn(netns); }
    QStringList clientTunnels() { return m_net->clientTunnels(); }

    std::unique_ptr<VpnTestNet> m_net;
    QString m_clientNs;
    std::unique_ptr<QTemporaryDir> m_public; // readable and writable by nobody
    QString m_ovpn;
    bool m_ready = false;
    int requests() const { return m_net->requests(); }
};

void TestVpnReal::initTestCase()
{
    const QString missing = VpnTestNet::missing();
    if (!missing.isEmpty())
        QSKIP(qPrintable(missing));
    m_net = std::make_unique<VpnTestNet>(QStringLiteral("vpn"));
    const QString e = m_net->setUp();
    QVERIFY2(e.isEmpty(), qPrintable(e));
    m_clientNs = m_net->clientNs();
    m_ovpn = m_net->ovpn();
    m_public = std::make_unique<QTemporaryDir>();
    QVERIFY(QFile::setPermissions(m_public->path(), QFileDevice::Permissions(0x7777)));
    QVERIFY(QFile::copy(m_ovpn, m_public->filePath(QStringLiteral("pier-test.ovpn"))));
    QFile::setPermissions(m_public->filePath(QStringLiteral("pier-test.ovpn")),
                          QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther |
                              QFile::WriteOwner);
    m_ready = true;
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
    env.insert(QStringLiteral("XDG_CONFIG_HOME"),
               QDir(m_net->dir()).filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("TMPDIR"), m_net->dir()); // where pier keeps the OpenVPN log
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

void TestVpnReal::cleanupTestCase()
{
    if (!m_net)
        return;
    const QString serverNs = m_net->serverNs();
    m_net->tearDown();
    QVERIFY(!namedNetworkNamespaces().contains(m_clientNs));
    QVERIFY(!namedNetworkNamespaces().contains(serverNs));
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

    const int before = requests();
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
    QVERIFY(requests() >= before + 2); // the proof really went through the tunnel to the responders
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
    if (!m_net->server())
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
    if (!m_net->server())
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
