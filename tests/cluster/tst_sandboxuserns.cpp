// `pier sandbox up` without root: run as the unprivileged user "nobody" (through setpriv, so the
// test itself needs root), the whole sandbox lives in an unprivileged user namespace. Through its
// SOCKS5 proxy, as a user would: Marathon answers, nginx.json's task serves "Welcome to nginx!"
// on its port and through HAProxy on port 80 of another node, OpenSSH's ssh logs in as jclouds
// on a node (served by the libssh server) and `sudo iptables -S` shows the node's DROP policy.
// `sandbox down` leaves no process behind.

#include "clustertestutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace pier::sandbox;
using namespace pier::sandbox::testutil;
using namespace Qt::StringLiterals;

namespace {

// Alive (not a zombie) and in the user namespace USERNS.
QList<qint64> processesInUserNamespace(quint64 userns)
{
    QList<qint64> pids;
    for (const QString &p : QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool isPid = false;
        const qint64 pid = p.toLongLong(&isPid);
        if (!isPid || namespaceInode(u"/proc/%1/ns/user"_s.arg(p)) != userns)
            continue;
        QFile stat(u"/proc/%1/stat"_s.arg(p));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray s = stat.readAll();
        if (s.mid(s.lastIndexOf(')') + 2, 1) != "Z")
            pids << pid;
    }
    return pids;
}

} // namespace

class TestSandboxUserns : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void upAsNobodyGivesTheProfile();
    void tutorialThroughTheProxy();
    void downLeavesNoProcess();
    void cleanupTestCase();

private:
    Run pierAsNobody(const QStringList &args, int timeoutMs = 150000);

    QString m_id;
    QTemporaryDir m_home;
    QJsonObject m_up;
    QString m_proxy;
    quint64 m_userns = 0;
    bool m_down = false;
};

void TestSandboxUserns::initTestCase()
{
    if (::geteuid() != 0)
        QSKIP("runs pier as the user nobody, which needs root to switch to");
    const QString why = userNamespacesUnavailable();
    if (!why.isEmpty())
        QSKIP(qPrintable(why));
    for (const char *tool : {"setpriv", "curl", "ssh", "nc"}) {
        if (!QFileInfo(findProgram(QLatin1String(tool))).isExecutable())
            QSKIP(
                qPrintable(u"%1 is needed (util-linux, curl, openssh-client, netcat-openbsd)"_s.arg(
                    QLatin1String(tool))));
    }
    QVERIFY(m_home.isValid());
    // HOME, the settings and the state belong to nobody, as a user's own would.
    QVERIFY(::chown(QFile::encodeName(m_home.path()).constData(), 65534, 65534) == 0);
    m_id = uniqueId("uns");
}

Run TestSandboxUserns::pierAsNobody(const QStringList &args, int timeoutMs)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(u"XDG_RUNTIME_DIR"_s);
    env.insert(u"HOME"_s, m_home.path());
    env.insert(u"XDG_CONFIG_HOME"_s, m_home.path() + u"/config"_s);
    env.insert(u"PIER_SANDBOX_ID"_s, m_id);
    env.insert(u"PIER_SANDBOX_DIR"_s, m_home.path() + u"/state"_s);
    // HAProxy's refresh is the bridge's cron minute on a real node; a second keeps this short.
    env.insert(u"PIER_SANDBOX_HAPROXY_INTERVAL_MS"_s, u"1000"_s);
    p.setProcessEnvironment(env);
    p.start(findProgram(u"setpriv"_s),
            QStringList{u"--reuid=65534"_s, u"--regid=65534"_s, u"--clear-groups"_s,
                        QStringLiteral(PIER_BINARY)} +
                args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

void TestSandboxUserns::upAsNobodyGivesTheProfile()
{
    const Run r = pierAsNobody({u"sandbox"_s, u"up"_s, u"--json"_s});
    if (r.exitCode != 0 && r.err.contains("Permission denied") && !r.err.contains("sandbox"))
        QSKIP("the pier binary is not readable by nobody here");
    QVERIFY2(r.exitCode == 0, r.err.constData());
    m_up = QJsonDocument::fromJson(r.out).object();
    qInfo("sandbox up as nobody (1 master + 3 agents, everything answering) took %lld ms",
          m_up.value(u"up_ms"_s).toInteger());
    QCOMPARE(m_up.value(u"marathon"_s).toString(), u"http://198.18.0.2:8080"_s);
    QCOMPARE(m_up.value(u"ssh_user"_s).toString(), u"jclouds"_s);
    QCOMPARE(m_up.value(u"nodes"_s).toArray().size(), 4);
    const QString proxy = m_up.value(u"proxy"_s).toString();
    QVERIFY2(proxy.startsWith(u"socks5://127.0.0.1:"_s), qPrintable(proxy));
    m_proxy = proxy.mid(9);

    // The daemon is nobody's, in a user namespace of its own; the host got no namespace.
    const qint64 pid = m_up.value(u"daemon_pid"_s).toInteger();
    QFile status(u"/proc/%1/status"_s.arg(pid));
    QVERIFY(status.open(QIODevice::ReadOnly));
    QVERIFY2(status.readAll().contains("\nUid:\t65534\t"), "the daemon does not run as nobody");
    m_userns = namespaceInode(u"/proc/%1/ns/user"_s.arg(pid));
    QVERIFY(m_userns != 0);
    QVERIFY(m_userns != namespaceInode(u"/proc/self/ns/user"_s));
    for (const QString &ns : namedNetworkNamespaces())
        QVERIFY2(!ns.startsWith(m_id + u'-'), qPrintable(ns));
}

void TestSandboxUserns::tutorialThroughTheProxy()
{
    if (m_proxy.isEmpty())
        QSKIP("the sandbox is not up");
    const QString marathon = m_up.value(u"marathon"_s).toString();
    const QJsonArray nodes = m_up.value(u"nodes"_s).toArray();
    const Run info =
        run(u"curl"_s, {u"-sS"_s, u"--socks5-hostname"_s, m_proxy, marathon + u"/v2/info"_s});
    QCOMPARE(info.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(info.out).object().value(u"leader"_s).toString(),
             u"198.18.0.2:8080"_s);

    const QString definition =
        QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json");
    const Run post =
        run(u"curl"_s,
            {u"-sS"_s, u"--socks5-hostname"_s, m_proxy, u"-o"_s, u"/dev/null"_s, u"-w"_s,
             u"%{http_code}"_s, u"-X"_s, u"POST"_s, u"-H"_s, u"Content-Type: application/json"_s,
             u"--data-binary"_s, u'@' + definition, marathon + u"/v2/apps"_s});
    QCOMPARE(post.exitCode, 0);
    QCOMPARE(post.out, QByteArray("201"));
    QElapsedTimer clock;
    clock.start();
    QJsonObject app;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const Run r = run(u"curl"_s, {u"-sS"_s, u"--socks5-hostname"_s, m_proxy,
                                          marathon + u"/v2/apps/nginx"_s});
            app = QJsonDocument::fromJson(r.out).object().value(u"app"_s).toObject();
            return app.value(u"tasksRunning"_s).toInt() == 1;
        }(),
        30000);
    qInfo("POST to a running task: %lld ms", clock.elapsed());
    const QJsonObject task = app.value(u"tasks"_s).toArray().at(0).toObject();
    const QString taskHost = task.value(u"host"_s).toString();
    const int taskPort = task.value(u"ports"_s).toArray().at(0).toInt();
    QString taskAddress, other;
    for (const QJsonValue &n : nodes) {
        if (n[u"name"_s].toString() == taskHost)
            taskAddress = n[u"address"_s].toString();
        else if (n[u"role"_s].toString() == u"agent"_s && other.isEmpty())
            other = n[u"address"_s].toString();
    }
    QVERIFY2(!taskAddress.isEmpty() && !other.isEmpty() && taskPort > 0, qPrintable(taskHost));

    // nginx itself on the task's host and port.
    const Run direct = run(u"curl"_s, {u"-s"_s, u"-m"_s, u"5"_s, u"--socks5-hostname"_s, m_proxy,
                                       u"http://%1:%2/"_s.arg(taskAddress).arg(taskPort)});
    QVERIFY2(direct.out.contains("<title>Welcome to nginx!</title>"), direct.err.constData());

    // HAProxy on port 80 of another node forwards to it.
    clock.restart();
    QByteArray page;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            page = run(u"curl"_s, {u"-s"_s, u"-m"_s, u"3"_s, u"--socks5-hostname"_s, m_proxy,
                                   u"http://%1/"_s.arg(other)})
                       .out;
            return page.contains("<title>Welcome to nginx!</title>");
        }(),
        30000);
    qInfo("HAProxy on %s served the page %lld ms after the task ran", qPrintable(other),
          clock.elapsed());

    // OpenSSH's client through the proxy, to the libssh server of a node; sudo works.
    const Run ssh =
        run(u"ssh"_s,
            {u"-F"_s, u"/dev/null"_s, u"-o"_s, u"BatchMode=yes"_s, u"-o"_s,
             u"ProxyCommand=nc -X 5 -x %1 %h %p"_s.arg(m_proxy), u"-o"_s,
             u"UserKnownHostsFile="_s + m_up.value(u"known_hosts"_s).toString(), u"-o"_s,
             u"StrictHostKeyChecking=yes"_s, u"-i"_s, m_up.value(u"ssh_key_file"_s).toString(),
             u"jclouds@"_s + taskAddress, u"sudo iptables -S; hostname"_s});
    QVERIFY2(ssh.exitCode == 0, ssh.err.constData());
    QVERIFY2(ssh.out.contains("-P INPUT DROP"), ssh.out.constData());
    QVERIFY2(ssh.out.contains(taskHost.toUtf8()), ssh.out.constData());
}

void TestSandboxUserns::downLeavesNoProcess()
{
    if (m_userns == 0)
        QSKIP("the sandbox is not up");
    QVERIFY(!processesInUserNamespace(m_userns).isEmpty()); // the check below can fail
    const Run r = pierAsNobody({u"sandbox"_s, u"down"_s}, 60000);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    m_down = true;
    QVERIFY2(r.out.contains("is down"), r.out.constData());
    QCOMPARE(processesInUserNamespace(m_userns), QList<qint64>());
    QVERIFY(!QFileInfo::exists(m_home.path() + u"/state"_s));
}

void TestSandboxUserns::cleanupTestCase()
{
    if (!m_id.isEmpty() && !m_down)
        pierAsNobody({u"sandbox"_s, u"down"_s}, 60000);
}

QTEST_GUILESS_MAIN(TestSandboxUserns)
#include "tst_sandboxuserns.moc"
