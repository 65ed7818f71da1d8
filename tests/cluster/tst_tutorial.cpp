// The tutorial done by hand on the sandbox, with standard tools only, as its author did it on a
// real cluster: curl and OpenSSH's ssh through the sandbox's SOCKS5 proxy (the laptop's way in).
// POST nginx.json to Marathon, wait for the task, read "Welcome to nginx!" on port 80 of a node's
// internal address (over the VPN, through HAProxy), see port 80 on its external address not
// answer, log in over SSH on the external address and read the node's iptables rules with sudo.
// Needs root (SKIPs without), curl, ssh and netcat-openbsd (`nc -X 5`, the usual ProxyCommand).
#include "clustertestutil.h"
#include "common/pierprocess.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace pier;
using namespace pier::sandbox;
using namespace pier::sandbox::testutil;

class TestTutorial : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        const QString missing = Cluster::missingPrerequisites();
        if (!missing.isEmpty())
            QSKIP(qPrintable(missing));
        for (const char *tool : {"curl", "ssh", "nc"}) {
            if (findProgram(QLatin1String(tool)).isEmpty())
                QSKIP(qPrintable(QStringLiteral("%1 is needed (packages curl, openssh-client, "
                                                "netcat-openbsd)")
                                     .arg(QLatin1String(tool))));
        }
        QVERIFY(m_config.isValid());
        m_id = uniqueId("tut");
        // HAProxy's refresh is the bridge's cron minute on a real node; a second keeps this short.
        const auto r = test::runPier(
            {QStringLiteral("sandbox"), QStringLiteral("up"), QStringLiteral("--json")},
            m_config.path(),
            {{QStringLiteral("PIER_SANDBOX_ID"), m_id},
             {QStringLiteral("PIER_SANDBOX_HAPROXY_INTERVAL_MS"), QStringLiteral("1000")}});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        m_up = QJsonDocument::fromJson(r.out.toUtf8()).object();
        m_proxy = m_up.value(QStringLiteral("proxy")).toString().mid(9); // socks5://
        QVERIFY2(m_proxy.startsWith(QLatin1String("127.0.0.1:")), qPrintable(m_proxy));
    }

    void tutorialByHand()
    {
        const QString marathon = m_up.value(QStringLiteral("marathon")).toString();
        const QJsonArray nodes = m_up.value(QStringLiteral("nodes")).toArray();
        QVERIFY(nodes.size() >= 3);

        // 1. POST the tutorial's app definition to Marathon.
        const QString definition =
            QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json");
        QVERIFY(QFileInfo::exists(definition));
        Run post =
            run(QStringLiteral("curl"),
                {QStringLiteral("-sS"), QStringLiteral("--socks5-hostname"), m_proxy,
                 QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-w"),
                 QStringLiteral("%{http_code}"), QStringLiteral("-X"), QStringLiteral("POST"),
                 QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"),
                 QStringLiteral("--data-binary"), QLatin1Char('@') + definition,
                 marathon + QStringLiteral("/v2/apps")});
        QCOMPARE(post.exitCode, 0);
        QCOMPARE(post.out, QByteArray("201"));

        // 2. Wait for the task, as the tutorial does in Marathon's UI.
        QElapsedTimer clock;
        clock.start();
        QJsonObject app;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Run r = run(QStringLiteral("curl"),
                                  {QStringLiteral("-sS"), QStringLiteral("--socks5-hostname"),
                                   m_proxy, marathon + QStringLiteral("/v2/apps/nginx")});
                app =
                    QJsonDocument::fromJson(r.out).object().value(QStringLiteral("app")).toObject();
                return app.value(QStringLiteral("tasksRunning")).toInt() == 1;
            }(),
            30000);
        qInfo("POST to a running task: %lld ms", clock.elapsed());
        const QJsonObject task = app.value(QStringLiteral("tasks")).toArray().at(0).toObject();
        const QString taskHost = task.value(QStringLiteral("host")).toString();

        // 3. "Welcome to nginx!" on port 80 of a node's internal address, over the VPN: HAProxy
        // on every node forwards the service port to the task, wherever it runs. Ask a node
        // other than the task's own.
        QString other, otherExternal;
        for (const QJsonValue &n : nodes) {
            if (n[QStringLiteral("name")].toString() != taskHost &&
                n[QStringLiteral("role")].toString() == QLatin1String("agent")) {
                other = n[QStringLiteral("address")].toString();
                otherExternal = n[QStringLiteral("external_address")].toString();
                break;
            }
        }
        QVERIFY2(!other.isEmpty(), qPrintable(taskHost));
        clock.restart();
        QByteArray page;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                page = run(QStringLiteral("curl"),
                           {QStringLiteral("-s"), QStringLiteral("-m"), QStringLiteral("3"),
                            QStringLiteral("--socks5-hostname"), m_proxy,
                            QStringLiteral("http://%1/").arg(other)})
                           .out;
                return page.contains("<title>Welcome to nginx!</title>");
            }(),
            20000);
        qInfo("HAProxy on %s served the page %lld ms after the task ran", qPrintable(other),
              clock.elapsed());

        // 4. Port 80 on the node's external address does not answer from the internet: the VPC
        // firewall drops it (curl's 28 is a timeout, not a refusal).
        const Run external =
            run(QStringLiteral("curl"), {QStringLiteral("-s"), QStringLiteral("-m"),
                                         QStringLiteral("3"), QStringLiteral("--socks5-hostname"),
                                         m_proxy, QStringLiteral("http://%1/").arg(otherExternal)});
        QCOMPARE(external.exitCode, 28);

        // 5. SSH to the external address (tcp:22 is open to the world on GCE) and read the
        // node's rules with sudo: INPUT drops what it does not accept, and nothing accepts 80.
        const QString proxyCommand = QStringLiteral("nc -X 5 -x %1 %h %p").arg(m_proxy);
        const Run ssh = run(
            QStringLiteral("ssh"),
            {QStringLiteral("-F"), QStringLiteral("/dev/null"), QStringLiteral("-o"),
             QStringLiteral("BatchMode=yes"), QStringLiteral("-o"),
             QStringLiteral("ProxyCommand=") + proxyCommand, QStringLiteral("-o"),
             QStringLiteral("UserKnownHostsFile=") +
                 m_up.value(QStringLiteral("known_hosts")).toString(),
             QStringLiteral("-o"), QStringLiteral("StrictHostKeyChecking=yes"),
             QStringLiteral("-i"), m_up.value(QStringLiteral("ssh_key_file")).toString(),
             m_up.value(QStringLiteral("ssh_user")).toString() + QLatin1Char('@') + otherExternal,
             QStringLiteral("sudo iptables -S INPUT; hostname")});
        QVERIFY2(ssh.exitCode == 0, ssh.err.constData());
        QVERIFY2(ssh.out.contains("-P INPUT DROP"), ssh.out.constData());
        QVERIFY2(!ssh.out.contains("--dport 80"), ssh.out.constData());
        // The node answered as itself, not the host.
        bool named = false;
        for (const QJsonValue &n : nodes)
            named = named || (n[QStringLiteral("external_address")].toString() == otherExternal &&
                              ssh.out.contains(n[QStringLiteral("name")].toString().toUtf8()));
        QVERIFY2(named, ssh.out.constData());
    }

    void cleanupTestCase()
    {
        if (m_id.isEmpty())
            return;
        const auto r = test::runPier({QStringLiteral("sandbox"), QStringLiteral("down")},
                                     m_config.path(), {{QStringLiteral("PIER_SANDBOX_ID"), m_id}});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(!Cluster(m_id).hasLeftovers());
    }

private:
    QString m_id;
    QTemporaryDir m_config;
    QJsonObject m_up;
    QString m_proxy;
};

QTEST_GUILESS_MAIN(TestTutorial)
#include "tst_tutorial.moc"
