// Killing `pier undeploy` as each step of the teardown starts undoing, and running it again,
// leaves nothing of Pier's and touches nothing else (issue 7). One sandbox, which first gets
// things that are not Pier's: a firewall rule and an address made through its GCE API, and an
// iptables rule typed by hand on a node (for the app's own port, from one source). The teardown's
// steps come from the teardown itself: a first full deploy and undeploy lists the steps that
// said "undoing" (and checks them against what the journal says Pier made). Then per step: deploy
// in full, `pier undeploy` SIGKILLed on that step's "undoing" line, `pier undeploy` again: it
// completes and the sandbox is exactly as before the deploy (no app, no GCE resource or tag of
// Pier's, every node's iptables-save as before), the foreign things still there. The same
// killed on the step's next line instead (its work under way: a GCE delete operation running,
// Marathon destroying the app; or, for a step without one, just undone). Then for one
// step in the middle of the teardown, `pier deploy` runs after the killed undeploy instead: it
// completes with one of each. GCE operations take 400 ms here. Needs root (SKIPs without), curl,
// ssh and nc.
#include "cluster/clustertestutil.h"
#include "common/pierprocess.h"
#include "deploytestutil.h"
#include "gce/credentials.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

using namespace pier;
using namespace pier::sandbox;
using namespace pier::sandbox::testutil;
using namespace pier::test::deploy;

namespace {

const QString kNginx = QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json");
const char *const kOperationMs = "400";
// Not Pier's: made before any deploy, they must outlive every teardown.
const QString kForeignFirewall = QStringLiteral("by-hand-8443");
const QString kForeignAddress = QStringLiteral("by-hand-address");
const QString kForeignRule =
    QStringLiteral("-s 198.51.100.7/32 -p tcp -m tcp --dport 80 -m comment "
                   "--comment by-hand -j ACCEPT");

} // namespace

class TestUndeployKill : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void killUndoAtEachStep_data();
    void killUndoAtEachStep();
    void killUndoUnderWay_data() { killUndoAtEachStep_data(); }
    void killUndoUnderWay();
    void deployAfterKilledUndeploy();
    void cleanup();
    void cleanupTestCase();

private:
    QMap<QString, QString> env() const { return {{QStringLiteral("PIER_SANDBOX_ID"), m_id}}; }
    test::PierRun pier(const QStringList &args, int timeoutMs = 240000)
    {
        return test::runPier(args, m_config.path(), env(), timeoutMs);
    }
    // `pier undeploy` SIGKILLed as TITLE starts undoing; UNDERWAY: on TITLE's next line
    // instead (its work in flight, e.g. a GCE operation running; or just undone).
    Killed undeployKilledAt(const QString &title, bool underway = false)
    {
        bool armed = false;
        return runKilled({QStringLiteral("undeploy")}, m_config.path(), m_id,
                         [title, underway, &armed](const QString &line) {
                             if (line == title + QStringLiteral(": undoing")) {
                                 armed = true;
                                 return !underway;
                             }
                             return armed && (line.startsWith(QStringLiteral("  ") + title +
                                                              QStringLiteral(": ")) ||
                                              line.startsWith(title + QStringLiteral(": ")));
                         });
    }
    void killRerunCompare(const QString &title, bool underway);
    // The teardown's steps in the order they said "undoing" in ERR.
    static QStringList undoing(const QString &err)
    {
        static const QRegularExpression re(QStringLiteral("^\\[\\s*[\\d.]+s\\] (.+): undoing$"),
                                           QRegularExpression::MultilineOption);
        QStringList out;
        for (auto it = re.globalMatch(err); it.hasNext();)
            out << it.next().captured(1);
        return out;
    }
    void deployInFull();
    void verifyAsBefore(const QString &why);

    QString m_id;
    QTemporaryDir m_config;
    SandboxView m_view;
    QStringList m_undoSteps; // the teardown's steps, in the order it starts them
    QStringList m_nodes;
    Snapshot m_before;
    QMap<QString, QString> m_rulesBefore;
    QElapsedTimer m_total;
};

void TestUndeployKill::initTestCase()
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
    m_id = uniqueId("undo");
    const auto r = test::runPier(
        {QStringLiteral("sandbox"), QStringLiteral("up"), QStringLiteral("--json")},
        m_config.path(),
        {{QStringLiteral("PIER_SANDBOX_ID"), m_id},
         {QStringLiteral("PIER_SANDBOX_HAPROXY_INTERVAL_MS"), QStringLiteral("1000")},
         {QStringLiteral("PIER_SANDBOX_GCE_OPERATION_MS"), QLatin1String(kOperationMs)}});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    m_view.up = QJsonDocument::fromJson(r.out.toUtf8()).object();
    m_view.proxy = m_view.up.value(QStringLiteral("proxy")).toString().mid(9); // socks5://
    QVERIFY2(m_view.proxy.startsWith(QLatin1String("127.0.0.1:")), qPrintable(m_view.proxy));

    ApiError keyError;
    std::unique_ptr<gce::ServiceAccountCredentials> key(gce::ServiceAccountCredentials::fromFile(
        m_view.up.value(QStringLiteral("gce_key_file")).toString(), &keyError));
    QVERIFY2(key, qPrintable(keyError.toText()));
    bool answered = false;
    key->accessToken([&](const QString &token, const ApiError &e) {
        QVERIFY2(!e, qPrintable(e.toText()));
        m_view.token = token;
        answered = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(answered, 20000);
    QVERIFY(!m_view.token.isEmpty());

    // What is not Pier's: a firewall rule and an address through the GCE API, a rule by hand on
    // the first node.
    const QString zone = m_view.up.value(QStringLiteral("gce_zone")).toString();
    const QString region = m_view.up.value(QStringLiteral("gce_region")).toString();
    const QJsonObject instances = m_view.gce(QStringLiteral("zones/%1/instances").arg(zone));
    const QString network =
        instances
            .value(QStringLiteral(
                "items"))[0][QStringLiteral("networkInterfaces")][0][QStringLiteral("network")]
            .toString();
    QVERIFY2(!network.isEmpty(), QJsonDocument(instances).toJson().constData());
    QJsonObject o = m_view.gce(
        QStringLiteral("global/firewalls"), "POST",
        {{QStringLiteral("name"), kForeignFirewall},
         {QStringLiteral("network"), network},
         {QStringLiteral("allowed"),
          QJsonArray{QJsonObject{{QStringLiteral("IPProtocol"), QStringLiteral("tcp")},
                                 {QStringLiteral("ports"), QJsonArray{QStringLiteral("8443")}}}}},
         {QStringLiteral("sourceRanges"), QJsonArray{QStringLiteral("198.51.100.0/24")}},
         {QStringLiteral("targetTags"), QJsonArray{QStringLiteral("by-hand")}}});
    QVERIFY2(!o.contains(QLatin1String("error")), QJsonDocument(o).toJson().constData());
    o = m_view.gce(QStringLiteral("regions/%1/addresses").arg(region), "POST",
                   {{QStringLiteral("name"), kForeignAddress}});
    QVERIFY2(!o.contains(QLatin1String("error")), QJsonDocument(o).toJson().constData());
    QTRY_VERIFY_WITH_TIMEOUT(m_view.snapshot().firewalls.contains(kForeignFirewall) &&
                                 m_view.snapshot().addresses.contains(kForeignAddress),
                             10000);
    const QJsonValue first = m_view.up.value(QStringLiteral("nodes")).toArray().first();
    const QString firstNode = first[QStringLiteral("name")].toString();
    SandboxView one = m_view;
    one.up.insert(QStringLiteral("nodes"), QJsonArray{first});
    const QString added =
        one.onNodes(QStringLiteral("sudo iptables -A INPUT ") + kForeignRule).value(firstNode);
    QVERIFY2(!added.startsWith(QLatin1String("ERROR")), qPrintable(added));

    m_before = m_view.snapshot();
    QVERIFY2(m_before.error.isEmpty(), qPrintable(m_before.error));
    QVERIFY(m_before.apps.isEmpty());
    m_nodes = m_before.tags.keys();
    QVERIFY(m_nodes.size() >= 3);
    m_rulesBefore = m_view.nodeRules();
    QCOMPARE(m_rulesBefore.size(), m_nodes.size());
    QVERIFY2(m_rulesBefore.value(firstNode).contains(QStringLiteral("-A INPUT ") + kForeignRule),
             qPrintable(m_rulesBefore.value(firstNode)));

    // The teardown's steps, from the teardown itself: the steps the journal says Pier made.
    deployInFull();
    QStringList journals;
    for (QDirIterator it(m_config.path(), {QStringLiteral("*.json")}, QDir::Files,
                         QDirIterator::Subdirectories);
         it.hasNext();) {
        const QString path = it.next();
        if (path.contains(QLatin1String("/deploy/")))
            journals << path;
    }
    QCOMPARE(journals.size(), 1);
    QFile journal(journals.first());
    QVERIFY(journal.open(QIODevice::ReadOnly));
    int made = 0;
    const QJsonObject steps = QJsonDocument::fromJson(journal.readAll())
                                  .object()
                                  .value(QStringLiteral("steps"))
                                  .toObject();
    for (const QJsonValue &s : steps)
        made += s[QStringLiteral("applied")].toBool() ? 1 : 0;
    const auto down = pier({QStringLiteral("undeploy")});
    QVERIFY2(down.exitCode == 0, qPrintable(down.err));
    m_undoSteps = undoing(down.err);
    QCOMPARE(m_undoSteps.size(), made);
    QVERIFY2(m_undoSteps.size() >= 8, qPrintable(down.err));
    verifyAsBefore(down.err);
    qInfo("the teardown's steps: %s", qPrintable(m_undoSteps.join(QStringLiteral("; "))));
}

void TestUndeployKill::deployInFull()
{
    const auto r = pier({QStringLiteral("deploy"), kNginx, QStringLiteral("--headless")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
}

// No app, no GCE resource or tag of Pier's, every node's rules as before; what was not Pier's
// still there.
void TestUndeployKill::verifyAsBefore(const QString &why)
{
    const Snapshot after = m_view.snapshot();
    QVERIFY2(after.error.isEmpty(), qPrintable(after.error));
    QVERIFY2(after.firewalls.contains(kForeignFirewall), qPrintable(why));
    QVERIFY2(after.addresses.contains(kForeignAddress), qPrintable(why));
    QCOMPARE(after.addresses, m_before.addresses);
    QCOMPARE(after.pools, m_before.pools);
    QCOMPARE(after.rules, m_before.rules);
    QCOMPARE(after.firewalls, m_before.firewalls);
    QCOMPARE(after.tags, m_before.tags);
    QVERIFY2(after.apps.isEmpty(), qPrintable(why));
    QCOMPARE(after.tasks, 0);
    const QMap<QString, QString> rules = m_view.nodeRules();
    for (auto it = m_rulesBefore.cbegin(); it != m_rulesBefore.cend(); ++it)
        QVERIFY2(rules.value(it.key()) == it.value(),
                 qPrintable(QStringLiteral("%1's rules changed:\n%2\n--- before:\n%3\n%4")
                                .arg(it.key(), rules.value(it.key()), it.value(), why)));
}

void TestUndeployKill::killUndoAtEachStep_data()
{
    QTest::addColumn<QString>("title");
    for (const QString &t : std::as_const(m_undoSteps))
        QTest::newRow(qPrintable(t)) << t;
}

void TestUndeployKill::killUndoAtEachStep()
{
    QFETCH(QString, title);
    killRerunCompare(title, false);
}

void TestUndeployKill::killUndoUnderWay()
{
    QFETCH(QString, title);
    killRerunCompare(title, true);
}

void TestUndeployKill::killRerunCompare(const QString &title, bool underway)
{
    QElapsedTimer round;
    round.start();
    deployInFull();
    if (QTest::currentTestFailed())
        return;

    const Killed k = undeployKilledAt(title, underway);
    QVERIFY2(k.killed,
             qPrintable(QStringLiteral("\"%1\" never started undoing:\n%2").arg(title, k.err)));
    const auto again = pier({QStringLiteral("undeploy")});
    const QString why = k.err + QStringLiteral("--- again:\n") + again.err + again.out;
    QVERIFY2(again.exitCode == 0, qPrintable(why));
    verifyAsBefore(why);
    if (QTest::currentTestFailed())
        return;
    // Nothing left to resume or tear down.
    QVERIFY2(
        pier({QStringLiteral("undeploy")}).out.startsWith(QLatin1String("Nothing to undeploy")),
        qPrintable(why));
    qInfo("killed after %lld ms on \"%s\"; the rerun undid: %s; round %lld ms", k.ms,
          qPrintable(k.line), qPrintable(undoing(again.err).join(QStringLiteral("; "))),
          round.elapsed());
}

// A deploy after a killed teardown makes one of each again (what the killed run removed, it
// makes anew; what it left, it keeps), and undeploy then leaves the sandbox as it was.
void TestUndeployKill::deployAfterKilledUndeploy()
{
    QVERIFY(!m_undoSteps.isEmpty());
    // In the middle of the teardown: some of Pier's things are gone, some are still there.
    const QString title = m_undoSteps.at(m_undoSteps.size() / 2);
    deployInFull();
    if (QTest::currentTestFailed())
        return;
    const Killed k = undeployKilledAt(title);
    QVERIFY2(k.killed, qPrintable(k.err));
    const auto again = pier({QStringLiteral("deploy"), kNginx, QStringLiteral("--headless")});
    const QString why = k.err + QStringLiteral("--- deploy:\n") + again.err;
    QVERIFY2(again.exitCode == 0, qPrintable(why));
    const QString url = again.out.trimmed().section(QLatin1Char('\n'), -1);
    QVERIFY2(
        QRegularExpression(QStringLiteral("^http://203\\.0\\.113\\.\\d+/$")).match(url).hasMatch(),
        qPrintable(again.out));
    const Run page = run(QStringLiteral("curl"),
                         {QStringLiteral("-s"), QStringLiteral("-m"), QStringLiteral("5"),
                          QStringLiteral("--socks5-hostname"), m_view.proxy, url});
    QVERIFY2(page.out.contains("<title>Welcome to nginx!</title>"), qPrintable(url));

    const Snapshot s = m_view.snapshot();
    QVERIFY2(s.error.isEmpty(), qPrintable(s.error));
    QCOMPARE(minus(s.addresses, m_before.addresses).size(), 1);
    QCOMPARE(minus(s.rules, m_before.rules).size(), 1);
    QCOMPARE(minus(s.firewalls, m_before.firewalls).size(), 1);
    const QStringList pools = minus(s.pools, m_before.pools);
    QCOMPARE(pools.size(), 1);
    QStringList members = s.poolInstances.value(pools.first());
    members.sort();
    QCOMPARE(members, m_nodes);
    for (const QString &n : std::as_const(m_nodes))
        QVERIFY2(s.tags.value(n).count(QStringLiteral("http-server")) == 1, qPrintable(why));
    QCOMPARE(s.apps.size(), 1);
    QCOMPARE(s.runningTasks.value(QStringLiteral("/nginx")), s.apps.first().second);
    QCOMPARE(s.tasks, s.apps.first().second);
    // Pier's rule once on every node.
    const QMap<QString, QString> rules = m_view.nodeRules();
    for (auto it = rules.cbegin(); it != rules.cend(); ++it)
        QVERIFY2(it.value().count(QLatin1String("pier: open tcp/80")) == 1,
                 qPrintable(it.key() + QStringLiteral(":\n") + it.value() + why));

    const auto down = pier({QStringLiteral("undeploy")});
    QVERIFY2(down.exitCode == 0, qPrintable(down.err));
    verifyAsBefore(why + QStringLiteral("--- undeploy:\n") + down.err);
    qInfo("killed as \"%s\" started undoing; the deploy after it applied what was gone",
          qPrintable(title));
}

void TestUndeployKill::cleanup()
{
    if (QTest::currentTestFailed() && !m_id.isEmpty())
        pier({QStringLiteral("undeploy")});
}

void TestUndeployKill::cleanupTestCase()
{
    if (m_id.isEmpty())
        return;
    pier({QStringLiteral("undeploy")});
    const auto r =
        test::runPier({QStringLiteral("sandbox"), QStringLiteral("down")}, m_config.path(), env());
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(!Cluster(m_id).hasLeftovers());
    qInfo("whole test: %lld ms", m_total.elapsed());
}

QTEST_GUILESS_MAIN(TestUndeployKill)
#include "tst_undeploykill.moc"
