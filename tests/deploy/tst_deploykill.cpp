// Killing `pier deploy` at each step of the journey in turn, and running it again, makes nothing
// twice (issue 7). One sandbox; one round per step of the plan, the steps taken from the plan
// itself (`pier deploy --script`): `pier deploy` of the tutorial's nginx.json is SIGKILLed the
// moment that step starts its work (its first progress line after "applying", e.g. a GCE
// operation still running; a read-only step at "verifying"), then `pier deploy` again must
// complete, print the URL that answers "Welcome to nginx!" through the proxy, and leave exactly
// one of each resource: GCE addresses, target pools (each node once in the pool), forwarding
// rules and firewall rules, read through the sandbox's GCE API with its service-account key as
// `pier gce status` reads them; Marathon's apps and tasks; each node's iptables rule for the port
// (read over OpenSSH through the proxy). `pier undeploy` then brings the sandbox back to what it
// was (no app, no GCE resource or tag of Pier's, every node's iptables-save as before) for the
// next round. One more round kills it once the first node's iptables rule is in. GCE operations
// take 400 ms here (2 s by default): the whole test runs in about a minute. Needs root (SKIPs
// without), curl, ssh and nc.
#include "cluster/clustertestutil.h"
#include "common/pierprocess.h"
#include "deploytestutil.h"
#include "gce/credentials.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

using namespace pier;
using namespace pier::sandbox;
using namespace pier::sandbox::testutil;
using namespace pier::test::deploy;

namespace {

const QString kNginx = QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json");
// Short enough for 11 rounds, long enough that a kill on an operation's first line lands inside
// it (the test kills within milliseconds of reading the line).
const char *const kOperationMs = "400";

} // namespace

class TestDeployKill : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void killAtEachStep_data();
    void killAtEachStep();
    void killedWhileOpeningTheNodes();
    void cleanup();
    void cleanupTestCase();

private:
    QMap<QString, QString> env() const { return {{QStringLiteral("PIER_SANDBOX_ID"), m_id}}; }
    test::PierRun pier(const QStringList &args, int timeoutMs = 240000)
    {
        return test::runPier(args, m_config.path(), env(), timeoutMs);
    }
    // Killed on TITLE's first line after "applying" that contains WHEN (empty: any).
    Killed deployKilledAt(const QString &title, const QString &when = {});
    void resumeCountUndeploy(const Killed &k);
    Snapshot snapshot() const { return m_view.snapshot(); }
    QMap<QString, QString> nodeRules() const { return m_view.nodeRules(); }
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
    // The steps that reported "applying" in a run's stderr, in order.
    QStringList applied(const QString &err) const
    {
        QStringList out;
        for (const QString &t : m_steps) {
            if (err.contains(t + QStringLiteral(": applying")))
                out << t;
        }
        return out;
    }

    QString m_id;
    QTemporaryDir m_config;
    SandboxView m_view;
    QJsonObject &m_up = m_view.up;
    QString &m_proxy = m_view.proxy;
    QString &m_token = m_view.token;
    QStringList m_steps; // the plan's step titles, in plan order
    QStringList m_nodes; // GCE instance names
    Snapshot m_before;
    QMap<QString, QString> m_rulesBefore;
    QElapsedTimer m_total;
};

void TestDeployKill::initTestCase()
{
    m_total.start();
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
    m_id = uniqueId("kill");
    const auto r = test::runPier(
        {QStringLiteral("sandbox"), QStringLiteral("up"), QStringLiteral("--json")},
        m_config.path(),
        {{QStringLiteral("PIER_SANDBOX_ID"), m_id},
         {QStringLiteral("PIER_SANDBOX_HAPROXY_INTERVAL_MS"), QStringLiteral("1000")},
         {QStringLiteral("PIER_SANDBOX_GCE_OPERATION_MS"), QLatin1String(kOperationMs)}});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    m_up = QJsonDocument::fromJson(r.out.toUtf8()).object();
    m_proxy = m_up.value(QStringLiteral("proxy")).toString().mid(9); // socks5://
    QVERIFY2(m_proxy.startsWith(QLatin1String("127.0.0.1:")), qPrintable(m_proxy));

    // The GCE API as Pier's own commands reach it: the sandbox's service-account key.
    ApiError keyError;
    std::unique_ptr<gce::ServiceAccountCredentials> key(gce::ServiceAccountCredentials::fromFile(
        m_up.value(QStringLiteral("gce_key_file")).toString(), &keyError));
    QVERIFY2(key, qPrintable(keyError.toText()));
    bool answered = false;
    key->accessToken([&](const QString &token, const ApiError &e) {
        QVERIFY2(!e, qPrintable(e.toText()));
        m_token = token;
        answered = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(answered, 20000);
    QVERIFY(!m_token.isEmpty());

    m_before = snapshot();
    QVERIFY2(m_before.error.isEmpty(), qPrintable(m_before.error));
    m_nodes = m_before.tags.keys();
    QVERIFY(m_nodes.size() >= 3);
    QVERIFY(m_before.apps.isEmpty());
    m_rulesBefore = nodeRules();
    QCOMPARE(m_rulesBefore.size(), m_nodes.size());
    for (const QString &text : std::as_const(m_rulesBefore))
        QVERIFY2(text.contains(QLatin1String("*filter")), qPrintable(text));

    // The journey's steps, from the plan itself.
    const auto script = pier({QStringLiteral("deploy"), kNginx, QStringLiteral("--script")});
    QVERIFY2(script.exitCode == 0, qPrintable(script.err));
    static const QRegularExpression header(QStringLiteral("^# \\d+\\. (.+)$"),
                                           QRegularExpression::MultilineOption);
    for (auto it = header.globalMatch(script.out); it.hasNext();)
        m_steps << it.next().captured(1);
    QVERIFY2(m_steps.size() >= 10, qPrintable(script.out));
}

void TestDeployKill::killAtEachStep_data()
{
    QTest::addColumn<QString>("title");
    for (const QString &t : std::as_const(m_steps))
        QTest::newRow(qPrintable(t)) << t;
}

Killed TestDeployKill::deployKilledAt(const QString &title, const QString &when)
{
    bool armed = false; // the step said "applying": its next line means its work is under way
    // "TITLE: state — message" and "  TITLE: progress".
    return runKilled(
        {QStringLiteral("deploy"), kNginx}, m_config.path(), m_id, [&](const QString &line) {
            const bool state = line.startsWith(title + QStringLiteral(": "));
            const bool progress =
                line.startsWith(QStringLiteral("  ") + title + QStringLiteral(": "));
            if (!state && !progress)
                return false;
            const QString rest = line.mid(line.indexOf(title) + title.size() + 2);
            if (state && rest.startsWith(QLatin1String("applying"))) {
                armed = true;
                return false;
            }
            // A read-only step (check done, nothing to apply) works in verify.
            return (armed && rest.contains(when)) ||
                   (when.isEmpty() && state && rest.startsWith(QLatin1String("verifying")));
        });
}

void TestDeployKill::killAtEachStep()
{
    QFETCH(QString, title);
    QElapsedTimer round;
    round.start();

    const Killed k = deployKilledAt(title);
    QVERIFY2(k.killed,
             qPrintable(QStringLiteral("\"%1\" never started its work:\n%2").arg(title, k.err)));
    resumeCountUndeploy(k);
    if (QTest::currentTestFailed())
        return;
    qInfo("killed at \"%s\" after %lld ms on: %s", qPrintable(title), k.ms, qPrintable(k.line));
    qInfo("  round %lld ms", round.elapsed());
}

// Killed once the first node's rule is in, the others' on their way: the rules of the killed
// run stay Pier's to remove, though it could not record them.
void TestDeployKill::killedWhileOpeningTheNodes()
{
    const QStringList nodeSteps = m_steps.filter(QStringLiteral("iptables"));
    QCOMPARE(nodeSteps.size(), 1);
    const QString title = nodeSteps.first();
    const Killed k = deployKilledAt(title, QStringLiteral(": Done"));
    QVERIFY2(k.killed, qPrintable(k.err));
    resumeCountUndeploy(k);
    if (!QTest::currentTestFailed())
        qInfo("killed after %lld ms on: %s", k.ms, qPrintable(k.line));
}

// Runs the deploy again after the kill K: it completes with one of everything; then undeploy
// brings the sandbox back to what it was.
void TestDeployKill::resumeCountUndeploy(const Killed &k)
{
    // Mid-way, nothing is there twice either.
    const Snapshot mid = snapshot();
    QVERIFY2(mid.error.isEmpty(), qPrintable(mid.error));
    QVERIFY2(mid.apps.size() <= 1, qPrintable(k.err));

    QElapsedTimer clock;
    clock.start();
    const auto again = pier({QStringLiteral("deploy"), kNginx, QStringLiteral("--headless")});
    const qint64 rerunMs = clock.elapsed();
    QVERIFY2(again.exitCode == 0, qPrintable(k.err + QStringLiteral("--- again:\n") + again.err));
    // It resumes when the killed run had recorded something (a step done, or one it started
    // to change); killed before that, it starts afresh.
    static const QRegularExpression recorded(QStringLiteral(": (applying|done)( —|$)"),
                                             QRegularExpression::MultilineOption);
    QCOMPARE(again.err.contains(QLatin1String("Resuming")), recorded.match(k.err).hasMatch());
    const QString url = lastLine(again.out);
    QVERIFY2(
        QRegularExpression(QStringLiteral("^http://203\\.0\\.113\\.\\d+/$")).match(url).hasMatch(),
        qPrintable(again.out));
    QVERIFY2(fetch(url).contains("<title>Welcome to nginx!</title>"), qPrintable(url));
    const int port = QUrl(url).port(80);

    // Exactly one of each.
    const Snapshot s = snapshot();
    QVERIFY2(s.error.isEmpty(), qPrintable(s.error));
    const QString why = k.err + QStringLiteral("--- again:\n") + again.err;
    QCOMPARE(minus(s.addresses, m_before.addresses).size(), 1);
    QCOMPARE(minus(s.rules, m_before.rules).size(), 1);
    QCOMPARE(minus(s.firewalls, m_before.firewalls).size(), 1);
    const QStringList pools = minus(s.pools, m_before.pools);
    QCOMPARE(pools.size(), 1);
    QStringList members = s.poolInstances.value(pools.first());
    members.sort();
    QCOMPARE(members, m_nodes); // every node, once
    for (const QString &n : std::as_const(m_nodes))
        QVERIFY2(s.tags.value(n).count(QStringLiteral("http-server")) == 1,
                 qPrintable(n + QStringLiteral(": ") + s.tags.value(n).join(QLatin1Char(','))));
    QCOMPARE(s.apps.size(), 1);
    QCOMPARE(s.apps.first().first, QStringLiteral("/nginx"));
    QCOMPARE(s.tasks, s.apps.first().second);
    QCOMPARE(s.runningTasks.value(QStringLiteral("/nginx")), s.apps.first().second);
    const QMap<QString, QString> rules = nodeRules();
    const QRegularExpression accept(QStringLiteral("^-A INPUT .*--dport %1 .*-j ACCEPT$").arg(port),
                                    QRegularExpression::MultilineOption);
    for (auto it = rules.cbegin(); it != rules.cend(); ++it) {
        int before = 0, now = 0;
        for (auto m = accept.globalMatch(m_rulesBefore.value(it.key())); m.hasNext(); m.next())
            ++before;
        for (auto m = accept.globalMatch(it.value()); m.hasNext(); m.next())
            ++now;
        // Opened once where it was closed; left alone where it was open.
        QVERIFY2(now == qMax(before, 1),
                 qPrintable(QStringLiteral("%1: %2 rules for port %3 (before: %4)\n%5\n%6")
                                .arg(it.key())
                                .arg(now)
                                .arg(port)
                                .arg(before)
                                .arg(it.value(), why)));
    }

    clock.restart();
    const auto down = pier({QStringLiteral("undeploy")});
    const qint64 undeployMs = clock.elapsed();
    QVERIFY2(down.exitCode == 0, qPrintable(down.err));
    const Snapshot after = snapshot();
    QCOMPARE(after.addresses, m_before.addresses);
    QCOMPARE(after.pools, m_before.pools);
    QCOMPARE(after.rules, m_before.rules);
    QCOMPARE(after.firewalls, m_before.firewalls);
    QCOMPARE(after.tags, m_before.tags);
    QVERIFY(after.apps.isEmpty());
    QCOMPARE(after.tasks, 0);
    QCOMPARE(nodeRules(), m_rulesBefore);

    qInfo("  the rerun (%lld ms) applied: %s; undeploy %lld ms", rerunMs,
          qPrintable(applied(again.err).isEmpty()
                         ? QStringLiteral("nothing, every step found its work done")
                         : applied(again.err).join(QStringLiteral("; "))),
          undeployMs);
}

void TestDeployKill::cleanup()
{
    // A failed round may leave the journey half made: the next round starts from the sandbox
    // as it was.
    if (QTest::currentTestFailed() && !m_id.isEmpty())
        pier({QStringLiteral("undeploy")});
}

void TestDeployKill::cleanupTestCase()
{
    if (m_id.isEmpty())
        return;
    // Whatever a failed round left behind.
    pier({QStringLiteral("undeploy")});
    const auto r =
        test::runPier({QStringLiteral("sandbox"), QStringLiteral("down")}, m_config.path(), env());
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(!Cluster(m_id).hasLeftovers());
    qInfo("whole test: %lld ms", m_total.elapsed());
}

QTEST_GUILESS_MAIN(TestDeployKill)
#include "tst_deploykill.moc"
