// The journey under faults, on a real `pier sandbox up`: with a share of Marathon's and the GCE
// API's calls failing (their own 5xx, held without an answer, or done with the reply lost) and
// SSH connections cut mid-session (`pier sandbox faults`), `pier deploy` of the tutorial's
// nginx.json either completes (the page answers through the proxy) or stops naming the step and
// the server's error. Either way everything it made is its own to finish and remove: run again
// without faults it completes with exactly one of each resource (counted in the GCE API,
// Marathon and every node's iptables), and `pier undeploy` leaves the sandbox as it was.
// Also the POST whose reply is lost: the launch adopts the app Marathon made, no second one.
// Needs root (SKIPs without), curl, ssh and nc.
#include "cluster/clustertestutil.h"
#include "common/pierprocess.h"
#include "gce/credentials.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QtTest>

using namespace pier;
using namespace pier::sandbox;
using namespace pier::sandbox::testutil;

namespace {

const QString kNginx = QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json");

// What the failure line may give as the cause: the servers' own words for the injected faults.
const QStringList kInjectedCauses{
    // Marathon's bodies and the client's words for them
    QStringLiteral("Could not determine the current leader"),
    QStringLiteral("An unexpected server error occurred"), QStringLiteral("HTTP 503"),
    QStringLiteral("HTTP 500"), QStringLiteral("No reply from"),
    QStringLiteral("closed the connection without replying"), QStringLiteral("No HTTP reply"),
    // Google's
    QStringLiteral("The service is currently unavailable"), QStringLiteral("Internal error"),
    QStringLiteral("Rate Limit Exceeded"), QStringLiteral("did not answer in time"),
    QStringLiteral("Cannot reach Compute Engine"),
    // SSH cut mid-session
    QStringLiteral("Could not run commands on"), QStringLiteral("Could not read the firewall"),
    QStringLiteral("the change did not finish"), QStringLiteral("not connected"),
    QStringLiteral("Socket error"), QStringLiteral("disconnected")};

} // namespace

class TestDeployFaults : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void lostPostReplyIsAdopted();
    void journeyUnderFaults_data();
    void journeyUnderFaults();
    void cleanupTestCase();

private:
    QMap<QString, QString> env() const
    {
        // Held calls are given up after 3 s instead of 15-30, to keep the test short.
        return {{QStringLiteral("PIER_SANDBOX_ID"), m_id},
                {QStringLiteral("PIER_REQUEST_TIMEOUT"), QStringLiteral("3")}};
    }
    test::PierRun pier(const QStringList &args, int timeoutMs = 150000)
    {
        return test::runPier(args, m_config.path(), env(), timeoutMs);
    }
    bool setFaults(const QStringList &args)
    {
        const auto r =
            pier(QStringList{QStringLiteral("sandbox"), QStringLiteral("faults")} + args, 30000);
        if (r.exitCode != 0)
            qWarning("pier sandbox faults: %s", qPrintable(r.err));
        return r.exitCode == 0;
    }
    QJsonObject gceGet(const QString &path);
    QJsonObject gceSnapshot();
    QMap<QString, QString> nodeRules();
    QByteArray fetch(const QString &url)
    {
        return run(QStringLiteral("curl"),
                   {QStringLiteral("-s"), QStringLiteral("-m"), QStringLiteral("5"),
                    QStringLiteral("--socks5-hostname"), m_proxy, url})
            .out;
    }
    QStringList marathonApps()
    {
        const auto r = pier({QStringLiteral("apps"), QStringLiteral("--json")});
        QStringList ids;
        for (const QJsonValue &a : QJsonDocument::fromJson(r.out.toUtf8()).array())
            ids << a[QStringLiteral("id")].toString();
        return ids;
    }
    int marathonTasks(const QString &app)
    {
        const auto r = pier({QStringLiteral("tasks"), app, QStringLiteral("--json")});
        return r.exitCode == 0 ? int(QJsonDocument::fromJson(r.out.toUtf8()).array().size()) : -1;
    }
    static QString lastLine(const QString &out)
    {
        return out.trimmed().section(QLatin1Char('\n'), -1).trimmed();
    }
    // After a clean run: one app with its tasks, one of each GCE resource, one rule per node.
    void checkExactlyOneOfEach(const QString &url);
    // After undeploy: as before the first deploy.
    void checkAsBefore();

    QString m_id;
    QTemporaryDir m_config;
    QJsonObject m_up;
    QString m_proxy;
    QStringList m_stepTitles;
    QMap<QString, QString> m_rulesBefore;
    QJsonObject m_gceBefore;
    QNetworkAccessManager m_nam;
    gce::AccessTokenSource *m_tokens = nullptr;
};

QJsonObject TestDeployFaults::gceGet(const QString &path)
{
    QString token;
    {
        QEventLoop loop;
        m_tokens->accessToken([&](const QString &t, const ApiError &) {
            token = t;
            loop.quit();
        });
        loop.exec();
    }
    QNetworkRequest request(QUrl(
        m_up.value(QStringLiteral("gce_endpoint")).toString() +
        QStringLiteral("projects/%1/").arg(m_up.value(QStringLiteral("gce_project")).toString()) +
        path));
    request.setRawHeader("Authorization", "Bearer " + token.toLatin1());
    request.setTransferTimeout(10000);
    QNetworkReply *reply = m_nam.get(request);
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    reply->deleteLater();
    return QJsonDocument::fromJson(reply->readAll()).object();
}

// Every resource the journey touches, by name, as the GCE API lists them: addresses, target
// pools with their instances (a node twice would show), forwarding rules, firewall rules and
// the instances' tags.
QJsonObject TestDeployFaults::gceSnapshot()
{
    const QString region = QStringLiteral("regions/") +
                           m_up.value(QStringLiteral("gce_region")).toString() + QLatin1Char('/');
    const QString zone = QStringLiteral("zones/") +
                         m_up.value(QStringLiteral("gce_zone")).toString() + QLatin1Char('/');
    QJsonObject out;
    auto names = [&](const QString &path, const QString &member = {}) {
        QJsonArray list;
        for (const QJsonValue &item : gceGet(path).value(QStringLiteral("items")).toArray()) {
            QString line = item[QStringLiteral("name")].toString();
            if (!member.isEmpty()) {
                QStringList parts;
                const QJsonValue v = item[member];
                const QJsonArray values =
                    v.isObject() ? v[QStringLiteral("items")].toArray() : v.toArray();
                for (const QJsonValue &p : values)
                    parts << p.toString().section(QLatin1Char('/'), -1);
                line += QStringLiteral(" [") + parts.join(QLatin1Char(' ')) + QLatin1Char(']');
            }
            list.append(line);
        }
        return list;
    };
    out.insert(QStringLiteral("addresses"), names(region + QStringLiteral("addresses")));
    out.insert(QStringLiteral("targetPools"),
               names(region + QStringLiteral("targetPools"), QStringLiteral("instances")));
    out.insert(QStringLiteral("forwardingRules"),
               names(region + QStringLiteral("forwardingRules")));
    out.insert(QStringLiteral("firewalls"), names(QStringLiteral("global/firewalls")));
    out.insert(QStringLiteral("instances"),
               names(zone + QStringLiteral("instances"), QStringLiteral("tags")));
    return out;
}

// Every node's rules as iptables-save prints them, without its comments and counters.
QMap<QString, QString> TestDeployFaults::nodeRules()
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
        text.remove(
            QRegularExpression(QStringLiteral("^#[^\n]*\n"), QRegularExpression::MultilineOption));
        text.replace(QRegularExpression(QStringLiteral("\\[\\d+:\\d+\\]")),
                     QStringLiteral("[0:0]"));
        rules.insert(n[QStringLiteral("name")].toString(), text);
    }
    return rules;
}

void TestDeployFaults::initTestCase()
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
    m_id = uniqueId("flt");
    const auto r = test::runPier(
        {QStringLiteral("sandbox"), QStringLiteral("up"), QStringLiteral("--json")},
        m_config.path(),
        {{QStringLiteral("PIER_SANDBOX_ID"), m_id},
         {QStringLiteral("PIER_SANDBOX_HAPROXY_INTERVAL_MS"), QStringLiteral("1000")}});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    m_up = QJsonDocument::fromJson(r.out.toUtf8()).object();
    m_proxy = m_up.value(QStringLiteral("proxy")).toString().mid(9); // socks5://
    QVERIFY2(m_proxy.startsWith(QLatin1String("127.0.0.1:")), qPrintable(m_proxy));

    m_nam.setProxy(QNetworkProxy::NoProxy); // the GCE API is on 127.0.0.1
    ApiError e;
    m_tokens = gce::ServiceAccountCredentials::fromFile(
        m_up.value(QStringLiteral("gce_key_file")).toString(), &e, this);
    QVERIFY2(m_tokens, qPrintable(e.toText()));

    m_rulesBefore = nodeRules();
    QVERIFY(m_rulesBefore.size() >= 3);
    for (const QString &text : std::as_const(m_rulesBefore))
        QVERIFY2(text.contains(QLatin1String("*filter")), qPrintable(text));
    m_gceBefore = gceSnapshot();
    QVERIFY2(!m_gceBefore.value(QStringLiteral("instances")).toArray().isEmpty(),
             QJsonDocument(m_gceBefore).toJson().constData());
    QCOMPARE(marathonApps(), QStringList());

    // The journey's step titles, as the failure line names them.
    const auto script = pier({QStringLiteral("deploy"), kNginx, QStringLiteral("--script")});
    QVERIFY2(script.exitCode == 0, qPrintable(script.err));
    static const QRegularExpression title(QStringLiteral("^# \\d+\\. (.+)$"),
                                          QRegularExpression::MultilineOption);
    for (auto it = title.globalMatch(script.out); it.hasNext();)
        m_stepTitles << it.next().captured(1);
    QVERIFY2(m_stepTitles.size() >= 8, qPrintable(script.out));
}

void TestDeployFaults::checkExactlyOneOfEach(const QString &url)
{
    QVERIFY2(fetch(url).contains("<title>Welcome to nginx!</title>"), qPrintable(url));
    QCOMPARE(marathonApps(), QStringList{QStringLiteral("/nginx")});
    QCOMPARE(marathonTasks(QStringLiteral("/nginx")), 1); // nginx.json: "instances": 1

    const QJsonObject now = gceSnapshot();
    auto added = [&](const QString &key) {
        QStringList out;
        const QJsonArray before = m_gceBefore.value(key).toArray();
        for (const QJsonValue &v : now.value(key).toArray()) {
            if (!before.contains(v))
                out << v.toString();
        }
        return out;
    };
    const QString dump = QString::fromUtf8(QJsonDocument(now).toJson());
    QCOMPARE(added(QStringLiteral("addresses")).size(), 1);
    QCOMPARE(added(QStringLiteral("forwardingRules")).size(), 1);
    QCOMPARE(added(QStringLiteral("firewalls")).size(), 1);
    const QStringList pools = added(QStringLiteral("targetPools"));
    QVERIFY2(pools.size() == 1, qPrintable(dump));
    // Each node in the pool once.
    const QStringList members = pools.first()
                                    .section(QLatin1Char('['), 1)
                                    .chopped(1)
                                    .split(QLatin1Char(' '), Qt::SkipEmptyParts);
    QVERIFY2(!members.isEmpty(), qPrintable(dump));
    QCOMPARE(QSet<QString>(members.begin(), members.end()).size(), members.size());

    // Pier's ACCEPT once on every node.
    const QMap<QString, QString> rules = nodeRules();
    for (auto it = rules.begin(); it != rules.end(); ++it) {
        const qsizetype n = it.value().count(QLatin1String("--comment \"pier: open tcp/80\""));
        QVERIFY2(
            n == 1,
            qPrintable(
                QStringLiteral("%1 has %2 Pier rules:\n%3").arg(it.key()).arg(n).arg(it.value())));
    }
}

void TestDeployFaults::checkAsBefore()
{
    QCOMPARE(marathonApps(), QStringList());
    const QJsonObject now = gceSnapshot();
    QVERIFY2(now == m_gceBefore,
             qPrintable(QStringLiteral("before:\n%1\nnow:\n%2")
                            .arg(QString::fromUtf8(QJsonDocument(m_gceBefore).toJson()),
                                 QString::fromUtf8(QJsonDocument(now).toJson()))));
    QCOMPARE(nodeRules(), m_rulesBefore);
}

void TestDeployFaults::lostPostReplyIsAdopted()
{
    // Every POST /v2/apps is carried out and its reply lost; nothing else fails.
    const auto cleanUp = qScopeGuard([&] {
        setFaults({QStringLiteral("--off")});
        pier({QStringLiteral("undeploy")});
    });
    QVERIFY(setFaults({QStringLiteral("--marathon-timeout"), QStringLiteral("1"),
                       QStringLiteral("--only"), QStringLiteral("POST /v2/apps"),
                       QStringLiteral("--timeouts"), QStringLiteral("lost")}));
    auto r = pier({QStringLiteral("deploy"), kNginx});
    QVERIFY(setFaults({QStringLiteral("--off")}));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(QLatin1String("the POST was carried out")), qPrintable(r.err));
    const auto log =
        pier({QStringLiteral("sandbox"), QStringLiteral("logs"), QStringLiteral("marathon")});
    QVERIFY2(log.out.contains(QLatin1String("FAULT POST /v2/apps: done (201), reply dropped")),
             qPrintable(log.out));
    checkExactlyOneOfEach(lastLine(r.out));

    auto down = pier({QStringLiteral("undeploy")});
    QVERIFY2(down.exitCode == 0, qPrintable(down.err));
    checkAsBefore();
}

void TestDeployFaults::journeyUnderFaults_data()
{
    QTest::addColumn<QStringList>("faults");
    QTest::addColumn<QString>("mustStopAt"); // empty: completing or stopping are both fine
    const QString region =
        QStringLiteral("regions/") + m_up.value(QStringLiteral("gce_region")).toString();
    auto mix = [](const char *m5xx, const char *mTimeout, const char *g5xx, const char *gTimeout,
                  const char *ssh, const char *seed) {
        return QStringList{QStringLiteral("--marathon-5xx"),
                           QLatin1String(m5xx),
                           QStringLiteral("--marathon-timeout"),
                           QLatin1String(mTimeout),
                           QStringLiteral("--gce-5xx"),
                           QLatin1String(g5xx),
                           QStringLiteral("--gce-timeout"),
                           QLatin1String(gTimeout),
                           QStringLiteral("--ssh-drop"),
                           QLatin1String(ssh),
                           QStringLiteral("--seed"),
                           QLatin1String(seed)};
    };
    QTest::newRow("mix, seed 1") << mix("0.15", "0.1", "0.15", "0.1", "0.3", "1") << QString();
    QTest::newRow("heavier mix, seed 2")
        << mix("0.25", "0.15", "0.25", "0.15", "0.5", "2") << QString();
    // Google refuses every reservation: the steps beside it go on, and are reported.
    QTest::newRow("address insert always 5xx")
        << QStringList{QStringLiteral("--gce-5xx"), QStringLiteral("1"), QStringLiteral("--only"),
                       QStringLiteral("POST /compute/v1/projects/%1/%2/addresses")
                           .arg(m_up.value(QStringLiteral("gce_project")).toString(), region)}
        << QStringLiteral("Reserve the external address pier-address");
    // Cut somewhere in their first 12 KiB: a session that needs less gets through.
    QTest::newRow("every SSH connection doomed")
        << QStringList{QStringLiteral("--ssh-drop"), QStringLiteral("1")} << QString();
}

void TestDeployFaults::journeyUnderFaults()
{
    QFETCH(QStringList, faults);
    QFETCH(QString, mustStopAt);
    // A row that fails a check still leaves the next one a clean sandbox.
    bool finished = false;
    const auto cleanUp = qScopeGuard([&] {
        if (!finished) {
            setFaults({QStringLiteral("--off")});
            pier({QStringLiteral("undeploy")});
        }
    });
    const qsizetype faultsBefore = pier({QStringLiteral("sandbox"), QStringLiteral("logs")})
                                       .out.count(QLatin1String(" FAULT "));
    QVERIFY(setFaults(faults));
    QElapsedTimer clock;
    clock.start();
    const auto faulty = pier({QStringLiteral("deploy"), kNginx});
    const qint64 faultyMs = clock.elapsed();
    QVERIFY(setFaults({QStringLiteral("--off")}));
    const qsizetype injected = pier({QStringLiteral("sandbox"), QStringLiteral("logs")})
                                   .out.count(QLatin1String(" FAULT ")) -
                               faultsBefore;
    QVERIFY2(injected > 0, "no fault was injected");
    const char *row = QTest::currentDataTag();

    if (faulty.exitCode == 0) {
        QVERIFY2(mustStopAt.isEmpty(), qPrintable(faulty.err));
        qInfo("%s: completed in %lld ms through %lld faults", row, faultyMs, qlonglong(injected));
        checkExactlyOneOfEach(lastLine(faulty.out));
    } else {
        // Stopped: the line names the step (one of the journey's) and the server's error.
        static const QRegularExpression failed(
            QStringLiteral("deploy failed at \"([^\"]+)\": ([^\n]+)"));
        const QRegularExpressionMatch m = failed.match(faulty.err);
        QVERIFY2(m.hasMatch(), qPrintable(faulty.err));
        QVERIFY2(m_stepTitles.contains(m.captured(1)), qPrintable(faulty.err));
        if (!mustStopAt.isEmpty())
            QCOMPARE(m.captured(1), mustStopAt);
        const QString reason = m.captured(2);
        QVERIFY2(std::any_of(kInjectedCauses.begin(), kInjectedCauses.end(),
                             [&](const QString &c) { return reason.contains(c); }),
                 qPrintable(faulty.err));
        qInfo("%s: stopped after %lld ms (%lld faults) at \"%s\": %s", row, faultyMs,
              qlonglong(injected), qPrintable(m.captured(1)), qPrintable(reason));
    }

    // Without faults it finishes what it started, with one of each, ...
    clock.restart();
    const auto again = pier({QStringLiteral("deploy"), kNginx});
    QVERIFY2(again.exitCode == 0, qPrintable(again.err));
    qInfo("%s: clean run %lld ms", row, clock.elapsed());
    checkExactlyOneOfEach(lastLine(again.out));
    // ... and removes all of it.
    const auto down = pier({QStringLiteral("undeploy")});
    QVERIFY2(down.exitCode == 0, qPrintable(down.err));
    finished = true;
    checkAsBefore();
}

void TestDeployFaults::cleanupTestCase()
{
    if (m_id.isEmpty())
        return;
    const auto r =
        test::runPier({QStringLiteral("sandbox"), QStringLiteral("down")}, m_config.path(), env());
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(!Cluster(m_id).hasLeftovers());
}

QTEST_GUILESS_MAIN(TestDeployFaults)
#include "tst_deployfaults.moc"
