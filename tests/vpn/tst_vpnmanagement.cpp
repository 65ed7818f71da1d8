#include "vpn/management.h"
#include "vpn/reachability.h"
#include "vpn/vpnsession.h"
#include "vpn/vpnstep.h"

#include <QTemporaryDir>

#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

// A QStringList from literals (the project builds with QT_NO_CAST_FROM_ASCII).
static QStringList sl(std::initializer_list<const char *> items)
{
    QStringList out;
    for (const char *i : items)
        out << QString::fromUtf8(i);
    return out;
}
#include <functional>

using namespace pier::vpn;
using pier::StepCallback;
using pier::StepResult;

namespace {

// A scripted stand-in for OpenVPN's management interface on 127.0.0.1: sends the banner, records
// every command line and lets the test answer each one (the real OpenVPN is in tst_vpnreal).
class FakeManagement : public QObject {
    Q_OBJECT
public:
    using Script = std::function<void(FakeManagement &, const QString &line)>;
    explicit FakeManagement(Script script) : m_script(std::move(script))
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            m_socket = m_server.nextPendingConnection();
            send(QStringLiteral(
                ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info"));
            if (onConnect)
                onConnect(*this);
            connect(m_socket, &QTcpSocket::readyRead, this, [this] {
                while (m_socket && m_socket->canReadLine()) {
                    const QString line = QString::fromUtf8(m_socket->readLine()).trimmed();
                    received << line;
                    m_script(*this, line);
                }
            });
        });
    }
    int port() const { return m_server.serverPort(); }
    void send(const QString &lines) { m_socket->write(lines.toUtf8() + "\r\n"); }
    void close() { m_socket->disconnectFromHost(); }

    QStringList received;
    std::function<void(FakeManagement &)> onConnect;

private:
    QTcpServer m_server;
    QPointer<QTcpSocket> m_socket;
    Script m_script;
};

OvpnConfig testConfig()
{
    return OvpnConfig::parse("client\nremote 198.18.250.1 1194 udp\nauth-user-pass\n");
}

VpnSession::Options attachOnly(int port, int serverTimeoutMs = 5000)
{
    VpnSession::Options o;
    o.configPath = QStringLiteral("/nonexistent/test.ovpn");
    o.managementPort = port;
    o.allowStart = false; // the fake is the OpenVPN; never start a real one here
    o.serverTimeoutMs = serverTimeoutMs;
    o.connectTimeoutMs = 10000;
    return o;
}

VpnSession::Result runSession(VpnSession &s)
{
    VpnSession::Result result;
    bool finished = false;
    s.connectVpn([&](const VpnSession::Result &r) {
        result = r;
        finished = true;
    });
    if (!QTest::qWaitFor([&] { return finished; }, 15000))
        qWarning("the session never finished");
    return result;
}

// The usual client dialogue up to the password prompt: state on, state, hold release.
bool standardReply(FakeManagement &f, const QString &line)
{
    if (line == QLatin1String("state on")) {
        f.send(QStringLiteral("SUCCESS: real-time state notification set to ON"));
    } else if (line == QLatin1String("state")) {
        // a notification in the middle of a multi-line reply
        f.send(QStringLiteral("1700000000,CONNECTING,,,,,,\r\n>LOG:1700000000,I,hello\r\nEND"));
    } else if (line == QLatin1String("hold release")) {
        f.send(QStringLiteral(
            "SUCCESS: hold release succeeded\r\n>PASSWORD:Need 'Auth' username/password"));
    } else {
        return false;
    }
    return true;
}

} // namespace

class TestVpnManagement : public QObject {
    Q_OBJECT
private slots:
    void repliesAndInterleavedNotifications();
    void quoting();
    void connectsAnsweringHoldAndPassword();
    void verificationFailed();
    void serverUnreachable();
    void notRunning();
    void noCredentials();
    void reachabilityVerdicts();
    void stepPassesWhenAlreadyReachable();
    void stepCommandGoesTheWayPierGoes();
    void stepBlockedWithoutAWayIn();
    void stepUndoLeavesAVpnPierDidNotStart();
};

void TestVpnManagement::repliesAndInterleavedNotifications()
{
    FakeManagement f([](FakeManagement &f, const QString &line) {
        if (line == QLatin1String("state on"))
            f.send(QStringLiteral(
                ">STATE:1700000001,WAIT,,,,,,\r\nSUCCESS: real-time state notification set to ON"));
        else if (line == QLatin1String("status"))
            f.send(QStringLiteral("OpenVPN STATISTICS\r\n>HOLD:Waiting for hold release:0\r\n"
                                  "Updated,2026-11-26\r\nEND"));
        else
            f.send(QStringLiteral("ERROR: unknown command [%1], enter 'help' for more options")
                       .arg(line));
    });
    ManagementClient c;
    QList<VpnState> states;
    QStringList holds;
    connect(&c, &ManagementClient::stateChanged, this, [&](const VpnState &s) { states << s; });
    connect(&c, &ManagementClient::hold, this, [&](const QString &t) { holds << t; });
    QSignalSpy connected(&c, &ManagementClient::connected);
    c.connectTo(QStringLiteral("127.0.0.1"), f.port());
    QVERIFY(connected.wait(5000));
    QList<ManagementClient::Reply> replies;
    c.command(QStringLiteral("state on"), [&](const ManagementClient::Reply &r) { replies << r; });
    c.command(QStringLiteral("status"), [&](const ManagementClient::Reply &r) { replies << r; });
    c.command(QStringLiteral("bogus"), [&](const ManagementClient::Reply &r) { replies << r; });
    QTRY_COMPARE_WITH_TIMEOUT(replies.size(), 3, 5000);
    QVERIFY(c.isOpenVpn());
    QVERIFY(replies.at(0).ok);
    QVERIFY(replies.at(0).text.contains(QStringLiteral("set to ON")));
    QVERIFY(replies.at(1).ok);
    QCOMPARE(replies.at(1).lines, (sl({"OpenVPN STATISTICS", "Updated,2026-11-26"})));
    QVERIFY(!replies.at(2).ok);
    QVERIFY(replies.at(2).text.contains(QStringLiteral("unknown command")));
    QCOMPARE(states.size(), 1);
    QCOMPARE(states.first().name, QStringLiteral("WAIT"));
    QCOMPARE(holds, (sl({"Waiting for hold release:0"})));
    // Commands went one at a time, in order.
    QCOMPARE(f.received, (sl({"state on", "status", "bogus"})));
}

void TestVpnManagement::quoting()
{
    QCOMPARE(ManagementClient::quote(QStringLiteral("pa\"ss\\word x")),
             QStringLiteral("\"pa\\\"ss\\\\word x\""));
    const VpnState s = VpnState::parse(
        QStringLiteral("1700000000,CONNECTED,SUCCESS,198.18.251.6,198.18.250.1,1194,,"));
    QCOMPARE(s.name, QStringLiteral("CONNECTED"));
    QCOMPARE(s.localIp, QStringLiteral("198.18.251.6"));
    QCOMPARE(s.remoteIp, QStringLiteral("198.18.250.1"));
    QCOMPARE(s.remotePort, QStringLiteral("1194"));
}

void TestVpnManagement::connectsAnsweringHoldAndPassword()
{
    FakeManagement f([](FakeManagement &f, const QString &line) {
        if (standardReply(f, line))
            return;
        if (line.startsWith(QLatin1String("username"))) {
            f.send(QStringLiteral("SUCCESS: 'Auth' username entered, but not yet verified"));
        } else if (line.startsWith(QLatin1String("password"))) {
            f.send(QStringLiteral("SUCCESS: 'Auth' password entered, but not yet verified\r\n"
                                  ">STATE:1700000002,WAIT,,,,,,\r\n"
                                  ">STATE:1700000003,AUTH,,,,,,\r\n"
                                  ">STATE:1700000004,GET_CONFIG,,,,,,\r\n"
                                  ">STATE:1700000005,ASSIGN_IP,,198.18.251.6,,,,\r\n"
                                  ">STATE:1700000006,ADD_ROUTES,,,,,,\r\n"
                                  ">STATE:1700000007,CONNECTED,SUCCESS,198.18.251.6,198.18.250.1,"
                                  "1194,198.18.250.2,40000"));
        }
    });
    f.onConnect = [](FakeManagement &f) {
        f.send(QStringLiteral(">HOLD:Waiting for hold release:0"));
    };
    VpnSession s(attachOnly(f.port()), testConfig());
    QString askedRealm;
    s.setCredentialsProvider(
        [&](const QString &realm, std::function<void(const Credentials &)> reply) {
            askedRealm = realm;
            reply({true, QStringLiteral("alice"), QStringLiteral("se\"cret"), {}});
        });
    QStringList seen;
    connect(&s, &VpnSession::stateChanged, this, [&](const VpnState &st) { seen << st.name; });
    const VpnSession::Result r = runSession(s);
    QVERIFY2(r.ok(), qPrintable(r.message));
    QCOMPARE(askedRealm, QStringLiteral("Auth"));
    QCOMPARE(seen, (sl({"CONNECTING", "WAIT", "AUTH", "GET_CONFIG", "ASSIGN_IP", "ADD_ROUTES",
                        "CONNECTED"})));
    QVERIFY(r.message.contains(QStringLiteral("198.18.251.6")));
    QCOMPARE(r.method, LaunchMethod::Running);
    QVERIFY(!r.startedByPier);
    QVERIFY(f.received.contains(QStringLiteral("hold release")));
    QVERIFY(f.received.contains(QStringLiteral("username \"Auth\" \"alice\"")));
    QVERIFY(f.received.contains(QStringLiteral("password \"Auth\" \"se\\\"cret\"")));
    // The state command went before the hold was released, so no state was missed.
    QVERIFY(f.received.indexOf(QStringLiteral("state on")) <
            f.received.indexOf(QStringLiteral("hold release")));
}

void TestVpnManagement::verificationFailed()
{
    FakeManagement f([](FakeManagement &f, const QString &line) {
        if (standardReply(f, line))
            return;
        if (line.startsWith(QLatin1String("username")))
            f.send(QStringLiteral("SUCCESS: 'Auth' username entered, but not yet verified"));
        else if (line.startsWith(QLatin1String("password")))
            f.send(QStringLiteral("SUCCESS: 'Auth' password entered, but not yet verified\r\n"
                                  ">STATE:1700000003,AUTH,,,,,,\r\n"
                                  ">PASSWORD:Verification Failed: 'Auth'\r\n"
                                  ">STATE:1700000004,EXITING,auth-failure,,,,,"));
    });
    f.onConnect = [](FakeManagement &f) {
        f.send(QStringLiteral(">HOLD:Waiting for hold release:0"));
    };
    VpnSession s(attachOnly(f.port()), testConfig());
    s.setCredentialsProvider([](const QString &, std::function<void(const Credentials &)> reply) {
        reply({true, QStringLiteral("alice"), QStringLiteral("wrong"), {}});
    });
    const VpnSession::Result r = runSession(s);
    QCOMPARE(VpnSession::Result::outcomeName(r.outcome), QStringLiteral("authentication-failed"));
    QVERIFY2(r.message.contains(QStringLiteral("Authentication failed")), qPrintable(r.message));
    QVERIFY(!r.message.contains(QStringLiteral("wrong")));
}

void TestVpnManagement::serverUnreachable()
{
    FakeManagement f([](FakeManagement &f, const QString &line) {
        if (standardReply(f, line))
            return;
        if (line.startsWith(QLatin1String("username")))
            f.send(QStringLiteral("SUCCESS: 'Auth' username entered, but not yet verified"));
        else if (line.startsWith(QLatin1String("password")))
            f.send(QStringLiteral("SUCCESS: 'Auth' password entered, but not yet verified\r\n"
                                  ">STATE:1700000002,WAIT,,,,,,"));
    });
    f.onConnect = [](FakeManagement &f) {
        f.send(QStringLiteral(">HOLD:Waiting for hold release:0"));
    };
    VpnSession s(attachOnly(f.port(), 800), testConfig());
    s.setCredentialsProvider([](const QString &, std::function<void(const Credentials &)> reply) {
        reply({true, QStringLiteral("alice"), QStringLiteral("pw"), {}});
    });
    QElapsedTimer t;
    t.start();
    const VpnSession::Result r = runSession(s);
    QCOMPARE(VpnSession::Result::outcomeName(r.outcome), QStringLiteral("server-unreachable"));
    QVERIFY2(r.message.contains(QStringLiteral("198.18.250.1:1194 (UDP) is unreachable")),
             qPrintable(r.message));
    QVERIFY(t.elapsed() >= 800);
    QCOMPARE(r.state.name, QStringLiteral("WAIT"));
}

void TestVpnManagement::notRunning()
{
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
    const int port = closed.serverPort();
    closed.close(); // a port nobody listens on
    VpnSession s(attachOnly(port), testConfig());
    const VpnSession::Result r = runSession(s);
    QCOMPARE(VpnSession::Result::outcomeName(r.outcome), QStringLiteral("not-running"));
    QVERIFY(r.message.contains(QStringLiteral("127.0.0.1:%1").arg(port)));
}

void TestVpnManagement::noCredentials()
{
    FakeManagement f([](FakeManagement &f, const QString &line) { standardReply(f, line); });
    f.onConnect = [](FakeManagement &f) {
        f.send(QStringLiteral(">HOLD:Waiting for hold release:0"));
    };
    VpnSession s(attachOnly(f.port()), testConfig());
    s.setCredentialsProvider([](const QString &, std::function<void(const Credentials &)> reply) {
        reply({false, {}, {}, QStringLiteral("set PIER_VPN_USER and PIER_VPN_PASSWORD")});
    });
    const VpnSession::Result r = runSession(s);
    QCOMPARE(VpnSession::Result::outcomeName(r.outcome), QStringLiteral("no-credentials"));
    QVERIFY(r.message.contains(QStringLiteral("PIER_VPN_USER")));
    QVERIFY(!f.received.join(QLatin1Char('\n')).contains(QStringLiteral("password")));
}

void TestVpnManagement::reachabilityVerdicts()
{
    // Marathon answers /ping; Mesos's port is closed.
    QTcpServer marathon;
    QVERIFY(marathon.listen(QHostAddress::LocalHost, 0));
    QByteArray request;
    connect(&marathon, &QTcpServer::newConnection, this, [&] {
        QTcpSocket *s = marathon.nextPendingConnection();
        connect(s, &QTcpSocket::readyRead, s, [s, &request] {
            request += s->readAll();
            if (request.contains("\r\n\r\n"))
                s->write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\npong\n");
        });
    });
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
    const int closedPort = closed.serverPort();
    closed.close();

    auto judge = [](const QUrl &m, const QUrl &z) {
        ReachabilityCheck c({m, z, {}, 3000});
        ReachabilityVerdict v;
        bool done = false;
        c.start([&](const ReachabilityVerdict &r) {
            v = r;
            done = true;
        });
        QTest::qWaitFor([&] { return done; }, 10000);
        return v;
    };
    const QUrl up(QStringLiteral("http://127.0.0.1:%1").arg(marathon.serverPort()));
    const QUrl down(QStringLiteral("http://127.0.0.1:%1").arg(closedPort));

    ReachabilityVerdict v = judge(up, down);
    QCOMPARE(ReachabilityVerdict::kindName(v.kind), QStringLiteral("marathon-only"));
    QVERIFY2(v.message.startsWith(QStringLiteral("Marathon answers but Mesos does not")),
             qPrintable(v.message));
    QVERIFY(request.startsWith("GET /ping HTTP/1.1\r\n"));

    v = judge(down, down);
    QCOMPARE(ReachabilityVerdict::kindName(v.kind), QStringLiteral("refused"));

    v = judge(up, up);
    QVERIFY2(v.ok(), qPrintable(v.message));
    QVERIFY(v.message.contains(QStringLiteral("answered /ping with HTTP 200")));

    // A SOCKS proxy that is not there is named as the problem.
    ReachabilityCheck viaProxy({up, up, QStringLiteral("127.0.0.1:%1").arg(closedPort), 3000});
    bool done = false;
    viaProxy.start([&](const ReachabilityVerdict &r) {
        v = r;
        done = true;
    });
    QVERIFY(QTest::qWaitFor([&] { return done; }, 10000));
    QCOMPARE(ReachabilityVerdict::kindName(v.kind), QStringLiteral("proxy-failed"));
    QVERIFY(v.message.contains(QStringLiteral("SOCKS proxy")));
}

namespace {

// A Marathon/Mesos stand-in that answers every GET with 200.
struct Responder {
    QTcpServer server;
    Responder()
    {
        server.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&server, &QTcpServer::newConnection, &server, [this] {
            QTcpSocket *s = server.nextPendingConnection();
            QObject::connect(s, &QTcpSocket::readyRead, s, [s] {
                if (s->readAll().contains("\r\n\r\n"))
                    s->write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            });
        });
    }
    QUrl url() const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(server.serverPort()));
    }
};

StepResult runVerb(VpnStep &step, void (VpnStep::*verb)(const QVariantMap &, StepCallback))
{
    StepResult result;
    bool finished = false;
    (step.*verb)({}, [&](const StepResult &r) {
        result = r;
        finished = true;
    });
    QTest::qWaitFor([&] { return finished; }, 15000);
    return result;
}

int closedPort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort(); // closed when s goes away
}

} // namespace

void TestVpnManagement::stepPassesWhenAlreadyReachable()
{
    Responder marathon, mesos;
    VpnStep::Options o;
    o.configPath = QStringLiteral("/nonexistent/never-read.ovpn");
    o.reach = {marathon.url(), mesos.url(), {}, 3000};
    VpnStep step(o);
    QCOMPARE(step.title(), QStringLiteral("Connect to the private network"));
    QCOMPARE(step.equivalentCommand(),
             QStringLiteral("sudo openvpn --config /nonexistent/never-read.ovpn"));
    const StepResult r = runVerb(step, &VpnStep::check);
    QCOMPARE(StepResult::statusName(r.status), StepResult::statusName(StepResult::Status::Done));
    QVERIFY2(r.message.startsWith(QStringLiteral("Already reachable without a VPN")),
             qPrintable(r.message));
    QCOMPARE(r.outputs.value(QStringLiteral("vpn.reachableWithoutVpn")).toBool(), true);
    QCOMPARE(r.outputs.value(QStringLiteral("vpn.startedByPier")).toBool(), false);
}

void TestVpnManagement::stepCommandGoesTheWayPierGoes()
{
    // Without an .ovpn the step is only the check: the command is that check, through the
    // profile's SOCKS proxy when there is one (a bare curl would not reach the private network).
    VpnStep::Options o;
    o.reach.marathon = QUrl(QStringLiteral("http://198.18.0.2:8080"));
    QCOMPARE(VpnStep(o).equivalentCommand(), QStringLiteral("curl http://198.18.0.2:8080/ping"));
    o.reach.socksProxy = QStringLiteral("socks5://127.0.0.1:1080");
    QCOMPARE(VpnStep(o).equivalentCommand(),
             QStringLiteral("curl --socks5-hostname 127.0.0.1:1080 http://198.18.0.2:8080/ping"));
}

void TestVpnManagement::stepBlockedWithoutAWayIn()
{
    const QUrl nowhere(QStringLiteral("http://127.0.0.1:%1").arg(closedPort()));
    VpnStep::Options o;
    o.reach = {nowhere, nowhere, {}, 3000};
    VpnStep noFile(o);
    StepResult r = runVerb(noFile, &VpnStep::check);
    QCOMPARE(StepResult::statusName(r.status), StepResult::statusName(StepResult::Status::Blocked));
    QVERIFY2(r.message.contains(QStringLiteral("no VPN file")), qPrintable(r.message));

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("broken.ovpn"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("client\nremote vpn.example.com 1194\nroute 10.0.0.0 255.0.255.0\n");
    f.close();
    o.configPath = path;
    VpnStep broken(o);
    r = runVerb(broken, &VpnStep::check);
    QCOMPARE(StepResult::statusName(r.status), StepResult::statusName(StepResult::Status::Blocked));
    QVERIFY2(r.message.contains(QStringLiteral("line 3:")), qPrintable(r.message));
}

void TestVpnManagement::stepUndoLeavesAVpnPierDidNotStart()
{
    FakeManagement f([](FakeManagement &f, const QString &line) {
        if (line == QLatin1String("state on"))
            f.send(QStringLiteral("SUCCESS: real-time state notification set to ON"));
        else if (line == QLatin1String("state"))
            f.send(QStringLiteral(
                "1700000007,CONNECTED,SUCCESS,198.18.251.6,198.18.250.1,1194,,\r\nEND"));
        else
            f.send(QStringLiteral("SUCCESS: ok"));
    });
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("ok.ovpn"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("client\nremote 198.18.250.1 1194\n");
    file.close();
    VpnStep::Options o;
    o.configPath = path;
    o.session = attachOnly(f.port());
    VpnStep step(o);
    StepResult r = runVerb(step, &VpnStep::apply);
    QVERIFY2(r.ok(), qPrintable(r.error.toText()));
    QCOMPARE(r.outputs.value(QStringLiteral("vpn.startedByPier")).toBool(), false);
    QCOMPARE(r.outputs.value(QStringLiteral("vpn.method")).toString(),
             QStringLiteral("already running"));
    r = runVerb(step, &VpnStep::undo);
    QVERIFY(r.ok());
    QVERIFY2(r.message.contains(QStringLiteral("did not start")), qPrintable(r.message));
    QVERIFY(!f.received.join(QLatin1Char('\n')).contains(QStringLiteral("signal")));
}

QTEST_GUILESS_MAIN(TestVpnManagement)
#include "tst_vpnmanagement.moc"
