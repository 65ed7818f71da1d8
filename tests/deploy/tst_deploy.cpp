// The whole journey headless on a fresh sandbox, checked with the user's tools: `pier deploy` of
// the tutorial's nginx.json prints a URL that answers "Welcome to nginx!" through the sandbox's
// proxy (curl); run again it changes nothing (GCE resources from `pier gce status --json`,
// Marathon's apps); killed right after the launch step and run again, it completes with no
// duplicate; `pier undeploy` leaves no app, no Pier GCE resource and every node's rules as they
// were (iptables-save read over OpenSSH's ssh through the proxy). Needs root (SKIPs without),
// curl, ssh and nc.
#include "cluster/clustertestutil.h"
#include "common/pierprocess.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

using namespace pier;
using namespace pier::sandbox;
using namespace pier::sandbox::testutil;

namespace {

const QString kNginx = QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json");

} // namespace

class TestDeploy : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void deployRedeployUndeploy();
    void killedAfterLaunchThenResumed();
    void scriptChangesNothing();
    void cleanupTestCase();

private:
    QMap<QString, QString> env() const { return {{QStringLiteral("PIER_SANDBOX_ID"), m_id}}; }
    test::PierRun pier(const QStringList &args, int timeoutMs = 240000)
    {
        return test::runPier(args, m_config.path(), env(), timeoutMs);
    }
    // The GCE resources that exist under Pier's names (the network is read, never made).
    QStringList gceResources()
    {
        const auto r =
            pier({QStringLiteral("gce"), QStringLiteral("status"), QStringLiteral("--json")});
        if (r.exitCode != 0)
            return {QStringLiteral("ERROR: ") + r.err};
        QStringList out;
        const QJsonArray steps = QJsonDocument::fromJson(r.out.toUtf8())
                                     .object()
                                     .value(QStringLiteral("steps"))
                                     .toArray();
        for (const QJsonValue &s : steps) {
            const QString id = s[QStringLiteral("id")].toString();
            if (id != QLatin1String("network") &&
                s[QStringLiteral("state")].toString() == QLatin1String("done"))
                out << id;
        }
        return out;
    }
    QStringList marathonApps()
    {
        const auto r = pier({QStringLiteral("apps"), QStringLiteral("--json")});
        QStringList ids;
        for (const QJsonValue &a : QJsonDocument::fromJson(r.out.toUtf8()).array())
            ids << a[QStringLiteral("id")].toString();
        return ids;
    }
    // Every node's rules as iptables-save prints them, without its comments and counters.
    QMap<QString, QString> nodeRules()
    {
        QMap<QString, QString> rules;
        const QString proxyCommand = QStringLiteral("nc -X 5 -x %1 %h %p").arg(m_proxy);
        for (const QJsonValue &n : m_up.value(QStringLiteral("nodes")).toArray()) {
            const Run ssh =
                run(QStringLiteral("ssh"),
                    {QStringLiteral("-F"), QStringLiteral("/dev/null"), QStringLiteral("-o"),
                     QStringLiteral("BatchMode=yes"), QStringLiteral("-o"),
                     QStringLiteral("ProxyCommand=") + proxyCommand, QStringLiteral("-o"),
                     QStringLiteral("UserKnownHostsFile=") +
                         m_up.value(QStringLiteral("known_hosts")).toString(),
                     QStringLiteral("-o"), QStringLiteral("StrictHostKeyChecking=yes"),
                     QStringLiteral("-i"), m_up.value(QStringLiteral("ssh_key_file")).toString(),
                     m_up.value(QStringLiteral("ssh_user")).toString() + QLatin1Char('@') +
                         n[QStringLiteral("external_address")].toString(),
                     QStringLiteral("sudo iptables-save")});
            QString text = QString::fromUtf8(ssh.exitCode == 0 ? ssh.out : "ERROR " + ssh.err);
            text.remove(QRegularExpression(QStringLiteral("^#[^\n]*\n"),
                                           QRegularExpression::MultilineOption));
            text.replace(QRegularExpression(QStringLiteral("\\[\\d+:\\d+\\]")),
                         QStringLiteral("[0:0]"));
            rules.insert(n[QStringLiteral("name")].toString(), text);
        }
        return rules;
    }
    QByteArray fetch(const QString &url)
    {
        return run(QStringLiteral("curl"),
                   {QStringLiteral("-s"), QStringLiteral("-m"), QStringLiteral("5"),
                    QStringLiteral("--socks5-hostname"), m_proxy, url})
            .out;
    }
    static QString lastLine(const QString &out)
    {
        return out.trimmed().section(QLatin1Char('\n'), -1).trimmed();
    }

    QString m_id;
    QTemporaryDir m_config;
    QJsonObject m_up;
    QString m_proxy;
    QMap<QString, QString> m_rulesBefore;
    const QStringList m_allGce{QStringLiteral("address"),   QStringLiteral("pool"),
                               QStringLiteral("instances"), QStringLiteral("rule"),
                               QStringLiteral("tags"),      QStringLiteral("firewall")};
};

void TestDeploy::initTestCase()
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
    m_id = uniqueId("dpl");
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
    m_rulesBefore = nodeRules();
    QVERIFY(m_rulesBefore.size() >= 3);
    for (const QString &text : std::as_const(m_rulesBefore))
        QVERIFY2(text.contains(QLatin1String("*filter")), qPrintable(text));
    QCOMPARE(gceResources(), QStringList());
    QCOMPARE(marathonApps(), QStringList());
}

void TestDeploy::deployRedeployUndeploy()
{
    QElapsedTimer clock;
    clock.start();
    auto first = pier({QStringLiteral("deploy"), kNginx, QStringLiteral("--headless")});
    QVERIFY2(first.exitCode == 0, qPrintable(first.err));
    qInfo("first deploy: %lld ms", clock.elapsed());
    const QString url = lastLine(first.out);
    QVERIFY2(
        QRegularExpression(QStringLiteral("^http://203\\.0\\.113\\.\\d+/$")).match(url).hasMatch(),
        qPrintable(first.out));
    QVERIFY2(fetch(url).contains("<title>Welcome to nginx!</title>"), qPrintable(url));
    QCOMPARE(gceResources(), m_allGce);
    QCOMPARE(marathonApps(), QStringList{QStringLiteral("/nginx")});
    for (const QString &step : {QStringLiteral("Launch /nginx on Marathon: applying"),
                                QStringLiteral("every node's iptables: applying")})
        QVERIFY2(first.err.contains(step), qPrintable(first.err));

    // Again: every step finds its work done; same URL, same resources.
    clock.restart();
    auto second = pier({QStringLiteral("deploy"), kNginx});
    QVERIFY2(second.exitCode == 0, qPrintable(second.err));
    qInfo("second deploy (nothing to do): %lld ms", clock.elapsed());
    QCOMPARE(lastLine(second.out), url);
    QVERIFY2(!second.err.contains(QLatin1String(": applying")), qPrintable(second.err));
    QCOMPARE(gceResources(), m_allGce);
    QCOMPARE(marathonApps(), QStringList{QStringLiteral("/nginx")});

    clock.restart();
    auto down = pier({QStringLiteral("undeploy")});
    QVERIFY2(down.exitCode == 0, qPrintable(down.err));
    qInfo("undeploy: %lld ms", clock.elapsed());
    QCOMPARE(marathonApps(), QStringList());
    QCOMPARE(gceResources(), QStringList());
    QCOMPARE(nodeRules(), m_rulesBefore);
    QVERIFY(fetch(url).isEmpty());

    // Nothing left to undo.
    auto again = pier({QStringLiteral("undeploy")});
    QCOMPARE(again.exitCode, 0);
    QVERIFY2(again.out.contains(QLatin1String("Nothing to undeploy")), qPrintable(again.out));
}

void TestDeploy::killedAfterLaunchThenResumed()
{
    QProcess p;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.insert(QStringLiteral("XDG_CONFIG_HOME"), m_config.path());
    e.insert(QStringLiteral("PIER_SANDBOX_ID"), m_id);
    p.setProcessEnvironment(e);
    QByteArray err;
    bool killed = false;
    connect(&p, &QProcess::readyReadStandardError, &p, [&] {
        err += p.readAllStandardError();
        if (!killed && err.contains("Launch /nginx on Marathon: done")) {
            killed = true;
            ::kill(pid_t(p.processId()), SIGKILL);
        }
    });
    p.start(QStringLiteral(PIER_BINARY), {QStringLiteral("deploy"), kNginx});
    QVERIFY(p.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(p.state() == QProcess::NotRunning, 240000);
    QVERIFY2(killed, err.constData());
    QCOMPARE(p.exitStatus(), QProcess::CrashExit);
    QCOMPARE(marathonApps(), QStringList{QStringLiteral("/nginx")});

    auto resumed = pier({QStringLiteral("deploy"), kNginx});
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
    QVERIFY2(resumed.err.contains(QLatin1String("Resuming")), qPrintable(resumed.err));
    QVERIFY2(!resumed.err.contains(QLatin1String("Launch /nginx on Marathon: applying")),
             qPrintable(resumed.err));
    const QString url = lastLine(resumed.out);
    QVERIFY2(fetch(url).contains("<title>Welcome to nginx!</title>"), qPrintable(url));
    QCOMPARE(gceResources(), m_allGce);
    QCOMPARE(marathonApps(), QStringList{QStringLiteral("/nginx")});

    // The app the killed run made is still Pier's to remove.
    auto down = pier({QStringLiteral("undeploy"), QStringLiteral("nginx")});
    QVERIFY2(down.exitCode == 0, qPrintable(down.err));
    QCOMPARE(marathonApps(), QStringList());
    QCOMPARE(gceResources(), QStringList());
    QCOMPARE(nodeRules(), m_rulesBefore);
}

void TestDeploy::scriptChangesNothing()
{
    auto r = pier({QStringLiteral("deploy"), kNginx, QStringLiteral("--script")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(r.out.startsWith(QLatin1String("#!/bin/sh\n")));
    for (const char *cmd : {"curl -XPOST", "gcloud compute addresses create pier-address",
                            "gcloud compute forwarding-rules create pier-http",
                            "gcloud compute firewall-rules create pier-allow-http",
                            "sudo iptables -I INPUT -p tcp --dport 80"})
        QVERIFY2(r.out.contains(QLatin1String(cmd)), qPrintable(r.out));
    QCOMPARE(marathonApps(), QStringList());
    QCOMPARE(gceResources(), QStringList());
}

void TestDeploy::cleanupTestCase()
{
    if (m_id.isEmpty())
        return;
    const auto r =
        test::runPier({QStringLiteral("sandbox"), QStringLiteral("down")}, m_config.path(), env());
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(!Cluster(m_id).hasLeftovers());
}

QTEST_GUILESS_MAIN(TestDeploy)
#include "tst_deploy.moc"
