// `pier sandbox up` as a user runs it: the whole sandbox in one command, its profile, Marathon and
// Mesos on the master's internal address reachable through the SOCKS5 proxy only, SSH to internal
// and external addresses through the proxy, addresses outside the sandbox refused, `up` twice,
// `status`, and `down` leaving nothing and giving back the profile active before. Needs root.
//
// Nothing here connects to a sandbox address from the host's own network namespace: that traffic
// would follow the host's default route off the machine. Whether Marathon is served in the host
// is read from the kernel's socket tables instead.

#include "clustertestutil.h"
#include "common/pierprocess.h"

#include "core/profilestore.h"
#include "sandbox/cluster.h"
#include "sandbox/netns.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace pier;
using namespace pier::sandbox;
using namespace pier::sandbox::testutil;

namespace {

struct Curl {
    int exitCode = -1;
    QByteArray out;
};

// curl through the proxy, as a user would; "--socks5-hostname" lets the proxy resolve names.
Curl curl(const QString &proxy, const QString &url, bool remoteDns = true)
{
    QProcess p;
    // telnet:// shows a server's greeting (sshd's banner) and then waits: 2 s is plenty.
    const bool telnet = url.startsWith(QLatin1String("telnet:"));
    p.start(QStringLiteral("curl"),
            {QStringLiteral("-s"), QStringLiteral("-m"),
             telnet ? QStringLiteral("2") : QStringLiteral("5"),
             remoteDns ? QStringLiteral("--socks5-hostname") : QStringLiteral("--socks5"), proxy,
             url});
    p.closeWriteChannel();
    if (!p.waitForFinished(20000)) {
        p.kill();
        p.waitForFinished();
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput()};
}

// Listening TCP sockets "ADDRESS:PORT" (hex, as /proc/net/tcp has them) in NETNS (empty: here).
QStringList listeners(const QString &netns)
{
    QByteArray table;
    if (netns.isEmpty()) {
        QFile f(QStringLiteral("/proc/net/tcp"));
        if (f.open(QIODevice::ReadOnly))
            table = f.readAll();
    } else {
        table = runInNamespace(netns, QStringLiteral("cat"), {QStringLiteral("/proc/net/tcp")}).out;
    }
    QStringList out;
    for (const QByteArray &line : table.split('\n')) {
        const QList<QByteArray> f = line.simplified().split(' ');
        if (f.size() > 3 && f.at(3) == "0A")
            out << QString::fromLatin1(f.at(1));
    }
    return out;
}

} // namespace

class TestSandboxUp : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void upGivesTheProfile();
    void apisAnswerThroughTheProxyOnly();
    void pierAppsUsesTheActiveProfile();
    void sshThroughTheProxy();
    void outsideAddressesAreRefused();
    void upTwiceSaysAlreadyUp();
    void statusJson();
    void downLeavesNothingAndRestoresTheProfile();
    void withoutRootFallsBackToTheApis();
    void cleanupTestCase();

private:
    test::PierRun pier(const QStringList &args, int timeoutMs = 60000)
    {
        return test::runPier(args, m_config.path(), {{QStringLiteral("PIER_SANDBOX_ID"), m_id}},
                             timeoutMs);
    }

    QString m_id;
    QTemporaryDir m_config;
    QString m_storeDir;
    QJsonObject m_up;
    QString m_proxy; // 127.0.0.1:PORT
};

void TestSandboxUp::initTestCase()
{
    const QString missing = Cluster::missingPrerequisites();
    if (!missing.isEmpty())
        QSKIP(qPrintable(missing));
    if (findProgram(QStringLiteral("curl")).isEmpty() ||
        !QFileInfo(findProgram(QStringLiteral("curl"))).isExecutable())
        QSKIP("curl is needed (package curl)");
    m_id = uniqueId("up");
    QVERIFY(m_config.isValid());
    // Pier keeps its profiles in $XDG_CONFIG_HOME/Pier/Pier; the user had one of their own active.
    m_storeDir = m_config.path() + QStringLiteral("/Pier/Pier");
    ProfileStore store(m_storeDir);
    Profile mine;
    mine.name = QStringLiteral("mine");
    mine.marathonUrl = QStringLiteral("http://127.0.0.1:1");
    ApiError error;
    QVERIFY(store.create(mine, &error));
    QVERIFY(store.setActive(QStringLiteral("mine"), &error));
}

void TestSandboxUp::upGivesTheProfile()
{
    const auto r =
        pier({QStringLiteral("sandbox"), QStringLiteral("up"), QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    m_up = QJsonDocument::fromJson(r.out.toUtf8()).object();
    qInfo("sandbox up (1 master + 3 agents, everything answering) took %lld ms",
          m_up.value(QStringLiteral("up_ms")).toInteger());
    QCOMPARE(m_up.value(QStringLiteral("already_up")).toBool(true), false);
    QCOMPARE(m_up.value(QStringLiteral("marathon")).toString(),
             QStringLiteral("http://198.18.0.2:8080"));
    QCOMPARE(m_up.value(QStringLiteral("mesos")).toString(),
             QStringLiteral("http://198.18.0.2:5050"));
    const QString proxy = m_up.value(QStringLiteral("proxy")).toString();
    QVERIFY2(proxy.startsWith(QLatin1String("socks5://127.0.0.1:")), qPrintable(proxy));
    m_proxy = proxy.mid(9);
    QCOMPARE(m_up.value(QStringLiteral("ssh_user")).toString(), QStringLiteral("jclouds"));
    for (const char *file : {"ssh_key_file", "known_hosts", "gce_key_file"})
        QVERIFY2(QFileInfo::exists(m_up.value(QLatin1String(file)).toString()), file);
    QVERIFY(m_up.value(QStringLiteral("gce_endpoint"))
                .toString()
                .startsWith(QLatin1String("http://127.0.0.1:")));
    QVERIFY(!m_up.value(QStringLiteral("gce_project")).toString().isEmpty());
    QVERIFY(!m_up.value(QStringLiteral("gce_zone")).toString().isEmpty());
    QVERIFY(!m_up.value(QStringLiteral("gce_region")).toString().isEmpty());
    const QJsonArray nodes = m_up.value(QStringLiteral("nodes")).toArray();
    QCOMPARE(nodes.size(), 4);
    QCOMPARE(nodes.at(0)[QStringLiteral("role")].toString(), QStringLiteral("master"));
    QCOMPARE(nodes.at(1)[QStringLiteral("address")].toString(), QStringLiteral("198.18.0.3"));
    QCOMPARE(nodes.at(1)[QStringLiteral("external_address")].toString(),
             QStringLiteral("203.0.113.11"));

    // The profile "sandbox" says all of it and is active.
    ProfileStore store(m_storeDir);
    QCOMPARE(store.activeName(), QStringLiteral("sandbox"));
    Profile p;
    QVERIFY(store.find(QStringLiteral("sandbox"), &p));
    QCOMPARE(p.marathonUrl, QStringLiteral("http://198.18.0.2:8080"));
    QCOMPARE(p.socksProxy, proxy);
    QCOMPARE(p.sshKeyFile, m_up.value(QStringLiteral("ssh_key_file")).toString());
    QCOMPARE(p.gceEndpoint, m_up.value(QStringLiteral("gce_endpoint")).toString());
}

void TestSandboxUp::apisAnswerThroughTheProxyOnly()
{
    QVERIFY(!m_proxy.isEmpty());
    const Curl marathon = curl(m_proxy, QStringLiteral("http://198.18.0.2:8080/v2/info"));
    QCOMPARE(marathon.exitCode, 0);
    QVERIFY2(marathon.out.contains("\"frameworkId\""), marathon.out.constData());
    // By the master's name, which only the proxy can resolve.
    const QString master =
        m_up.value(QStringLiteral("nodes")).toArray().at(0)[QStringLiteral("name")].toString();
    const Curl mesos =
        curl(m_proxy, QStringLiteral("http://%1:5050/master/state.json").arg(master));
    QCOMPARE(mesos.exitCode, 0);
    const QJsonObject state = QJsonDocument::fromJson(mesos.out).object();
    QCOMPARE(state.value(QStringLiteral("slaves")).toArray().size(), 3);
    QCOMPARE(
        state.value(QStringLiteral("slaves"))
            .toArray()
            .at(0)[QStringLiteral("hostname")]
            .toString(),
        m_up.value(QStringLiteral("nodes")).toArray().at(1)[QStringLiteral("name")].toString());
    QCOMPARE(state.value(QStringLiteral("frameworks")).toArray().size(), 1); // Marathon
    // The master calls itself by its node's name, as a GCE instance's host name is its name:
    // Mesos, the nodes list and the GCE instances name the same machine the same way.
    QCOMPARE(state.value(QStringLiteral("hostname")).toString(), master);

    // Served inside the master's namespace, not in the host's: 198.18.0.2:8080 and :5050
    // (C6120002 as /proc/net/tcp writes it) listen only there.
    const QString netns = m_id + QStringLiteral("-development-5159-d3d-master");
    const QStringList inMaster = listeners(netns);
    QVERIFY2(inMaster.contains(QStringLiteral("020012C6:1F90")),
             qPrintable(inMaster.join(QLatin1Char(' '))));
    QVERIFY(inMaster.contains(QStringLiteral("020012C6:13BA")));
    const QStringList inHost = listeners({});
    QVERIFY(!inHost.contains(QStringLiteral("020012C6:1F90")));
    QVERIFY(!inHost.contains(QStringLiteral("020012C6:13BA")));
}

void TestSandboxUp::pierAppsUsesTheActiveProfile()
{
    const auto r = pier({QStringLiteral("apps")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QLatin1String("198.18.0.2:8080")), qPrintable(r.out));
    // Without the proxy the same address is not Pier's to reach: an explicit bad proxy fails.
    const auto bad = pier(
        {QStringLiteral("apps"), QStringLiteral("--proxy"), QStringLiteral("ftp://127.0.0.1:1")});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains(QLatin1String("SOCKS5")), qPrintable(bad.err));
}

void TestSandboxUp::sshThroughTheProxy()
{
    // A node's sshd on its internal address (over the VPN) and on its external one (over the
    // internet, allowed by the VPC firewall's default-allow-ssh).
    for (const QString &address : {QStringLiteral("198.18.0.3"), QStringLiteral("203.0.113.11")}) {
        const Curl c = curl(m_proxy, QStringLiteral("telnet://%1:22").arg(address));
        QVERIFY2(c.out.startsWith("SSH-2.0-"),
                 qPrintable(address + QLatin1Char(' ') + QString::fromUtf8(c.out)));
    }
}

void TestSandboxUp::outsideAddressesAreRefused()
{
    // 198.51.100.2 is the sandbox's own internet client: a real address the proxy must not reach.
    const Curl c = curl(m_proxy, QStringLiteral("telnet://198.51.100.2:22"), false);
    QCOMPARE(c.exitCode, 97); // curl: the proxy refused the connection
    QVERIFY(c.out.isEmpty());
    const auto logs =
        pier({QStringLiteral("sandbox"), QStringLiteral("logs"), QStringLiteral("proxy")});
    QCOMPARE(logs.exitCode, 0);
    QVERIFY2(logs.out.contains(QLatin1String("198.51.100.2:22 reply 2 ")), qPrintable(logs.out));
}

void TestSandboxUp::upTwiceSaysAlreadyUp()
{
    const auto r = pier({QStringLiteral("sandbox"), QStringLiteral("up")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains(QLatin1String("already up")), qPrintable(r.out));
    QVERIFY(r.out.contains(QLatin1String("Marathon: http://198.18.0.2:8080\n")));
    const auto j =
        pier({QStringLiteral("sandbox"), QStringLiteral("up"), QStringLiteral("--json")});
    QCOMPARE(j.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(j.out.toUtf8()).object();
    QCOMPARE(o.value(QStringLiteral("already_up")).toBool(), true);
    QCOMPARE(o.value(QStringLiteral("proxy")), m_up.value(QStringLiteral("proxy")));
    QCOMPARE(o.value(QStringLiteral("daemon_pid")), m_up.value(QStringLiteral("daemon_pid")));
}

void TestSandboxUp::statusJson()
{
    const auto r =
        pier({QStringLiteral("sandbox"), QStringLiteral("status"), QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(o.value(QStringLiteral("up")).toBool(), true);
    QCOMPARE(o.value(QStringLiteral("daemon_running")).toBool(), true);
    const QJsonObject answering = o.value(QStringLiteral("answering")).toObject();
    QCOMPARE(answering.value(QStringLiteral("marathon")).toBool(), true);
    QCOMPARE(answering.value(QStringLiteral("mesos")).toBool(), true);
    QCOMPARE(answering.value(QStringLiteral("ssh")).toObject().size(), 4);
    for (const QJsonValue &v : answering.value(QStringLiteral("ssh")).toObject())
        QCOMPARE(v.toBool(), true);
}

void TestSandboxUp::downLeavesNothingAndRestoresTheProfile()
{
    const qint64 daemon = m_up.value(QStringLiteral("daemon_pid")).toInteger();
    QVERIFY(daemon > 0 && ::kill(pid_t(daemon), 0) == 0);
    const QString stateDir = m_up.value(QStringLiteral("state_dir")).toString();
    const auto r = pier({QStringLiteral("sandbox"), QStringLiteral("down")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(r.out.contains(QLatin1String("\"mine\" is active again")));
    // Gone, or a zombie nobody reaped yet (its parent, `up`, ended long ago).
    QFile stat(QStringLiteral("/proc/%1/stat").arg(daemon));
    const QByteArray state = stat.open(QIODevice::ReadOnly) ? stat.readAll() : QByteArray();
    QVERIFY2(state.isEmpty() || state.mid(state.lastIndexOf(')') + 2, 1) == "Z", state.constData());
    for (const QString &ns : namedNetworkNamespaces())
        QVERIFY2(!ns.startsWith(m_id + QLatin1Char('-')), qPrintable(ns));
    for (const QString &point : mountPoints())
        QVERIFY2(!point.startsWith(stateDir), qPrintable(point));
    QVERIFY(!QFileInfo::exists(stateDir));
    ProfileStore store(m_storeDir);
    QCOMPARE(store.activeName(), QStringLiteral("mine"));
    QVERIFY(!store.contains(QStringLiteral("sandbox")));
    // And status says so.
    const auto s =
        pier({QStringLiteral("sandbox"), QStringLiteral("status"), QStringLiteral("--json")});
    QCOMPARE(s.exitCode, 3);
    QCOMPARE(
        QJsonDocument::fromJson(s.out.toUtf8()).object().value(QStringLiteral("up")).toBool(true),
        false);
}

void TestSandboxUp::withoutRootFallsBackToTheApis()
{
    const QString setpriv = findProgram(QStringLiteral("setpriv"));
    if (!QFileInfo(setpriv).isExecutable())
        QSKIP("needs setpriv (package util-linux)");
    // Where unprivileged user namespaces work, nobody gets the full sandbox (tst_sandboxuserns).
    const QString userns = userNamespacesUnavailable();
    if (userns.isEmpty())
        QSKIP("unprivileged user namespaces work here: nobody gets the full sandbox, as "
              "tst_sandboxuserns checks");
    // As "nobody": it says why the full sandbox cannot run and serves the APIs on loopback.
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), QStringLiteral("/tmp"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), QStringLiteral("/tmp/pier-nobody-") + m_id);
    env.insert(QStringLiteral("PIER_SANDBOX_ID"), m_id + QStringLiteral("x"));
    env.remove(QStringLiteral("XDG_RUNTIME_DIR"));
    p.setProcessEnvironment(env);
    p.start(setpriv, {QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"),
                      QStringLiteral("--clear-groups"), QStringLiteral(PIER_BINARY),
                      QStringLiteral("sandbox"), QStringLiteral("up")});
    QByteArray out, err;
    QTRY_VERIFY_WITH_TIMEOUT(
        (out += p.readAllStandardOutput(), err += p.readAllStandardError(),
         out.contains("Marathon: http://127.0.0.1:") || p.state() == QProcess::NotRunning),
        30000);
    p.terminate(); // SIGTERM to our own child: the APIs stop cleanly
    p.waitForFinished(10000);
    err += p.readAllStandardError();
    if (err.contains("Permission denied") && !err.contains("not available"))
        QSKIP("the pier binary is not readable by nobody here");
    QVERIFY2(err.contains("the full sandbox (nodes, SSH, the SOCKS5 proxy) is not available") &&
                 err.contains("needs root"),
             err.constData());
    // Port 8080 may be another program's here; then it says so instead of serving.
    QVERIFY2(out.contains("Marathon: http://127.0.0.1:8080") || err.contains("cannot listen"),
             (out + err).constData());
    QVERIFY(!namedNetworkNamespaces().contains(m_id + QStringLiteral("x-router")));
    QDir(QStringLiteral("/tmp/pier-nobody-") + m_id).removeRecursively();
}

void TestSandboxUp::cleanupTestCase()
{
    if (!m_id.isEmpty() && Cluster(m_id).hasLeftovers())
        pier({QStringLiteral("sandbox"), QStringLiteral("down")});
}

QTEST_GUILESS_MAIN(TestSandboxUp)
#include "tst_sandboxup.moc"
