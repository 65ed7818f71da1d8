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

namespace {

const QString kNginx = QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json");
// Short enough for 11 rounds, long enough that a kill on an operation's first line lands inside
// it (the test kills within milliseconds of reading the line).
const char *const kOperationMs = "400";

// What the sandbox holds that a journey can make or change.
struct Snapshot {
    QStringList addresses, pools, rules, firewalls; // names
    QMap<QString, QStringList> poolInstances;       // pool → its instances' names, as listed
    QMap<QString, QStringList> tags;                // instance → its tags
    QList<QPair<QString, int>> apps;                // Marathon app id, instances
    QMap<QString, int> runningTasks;                // app id → tasks TASK_RUNNING
    int tasks = 0;
    QString error;
};

QStringList minus(const QStringList &a, const QStringList &b)
{
    QStringList out;
    for (const QString &s : a) {
        if (!b.contains(s))
            out << s;
    }
    return out;
}

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
    struct Killed {
        bool killed = false;
        QString line; // the line it was killed on
        QString err;  // everything it printed
        qint64 ms = 0;
    };
    // Killed on TITLE's first line after "applying" that contains WHEN (empty: any).
    Killed deployKilledAt(const QString &title, const QString &when = {});
    void resumeCountUndeploy(const Killed &k);
    QJsonObject gceGet(const QString &path);
    QJsonArray curlJson(const QString &path);
    Snapshot snapshot();
    QMap<QString, QString> nodeRules();
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
    QJsonObject m_up;
    QString m_proxy;
    QString m_token;
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

TestDeployKill::Killed TestDeployKill::deployKilledAt(const QString &title, const QString &when)
{
    Killed k;
    QElapsedTimer clock;
    clock.start();
    QProcess p;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.insert(QStringLiteral("XDG_CONFIG_HOME"), m_config.path());
    e.insert(QStringLiteral("PIER_SANDBOX_ID"), m_id);
    p.setProcessEnvironment(e);
    QByteArray buffer;
    bool armed = false; // the step said "applying": its next line means its work is under way
    // "[  1.2s] TITLE: state — message" and "[  1.2s]   TITLE: progress".
    static const QRegularExpression stamp(QStringLiteral("^\\[\\s*[\\d.]+s\\] "));
    connect(&p, &QProcess::readyReadStandardError, &p, [&] {
        buffer += p.readAllStandardError();
        qsizetype nl;
        while (!k.killed && (nl = buffer.indexOf('\n')) >= 0) {
            QString line = QString::fromUtf8(buffer.left(nl));
            buffer.remove(0, nl + 1);
            k.err += line + QLatin1Char('\n');
            line.remove(stamp);
            const bool state = line.startsWith(title + QStringLiteral(": "));
            const bool progress =
                line.startsWith(QStringLiteral("  ") + title + QStringLiteral(": "));
            if (!state && !progress)
                continue;
            const QString rest = line.mid(line.indexOf(title) + title.size() + 2);
            if (state && rest.startsWith(QLatin1String("applying"))) {
                armed = true;
                continue;
            }
            // A read-only step (check done, nothing to apply) works in verify.
            if ((armed && rest.contains(when)) ||
                (when.isEmpty() && state && rest.startsWith(QLatin1String("verifying")))) {
                ::kill(pid_t(p.processId()), SIGKILL);
                k.killed = true;
                k.line = line;
                k.ms = clock.elapsed();
            }
        }
    });
    p.start(QStringLiteral(PIER_BINARY), {QStringLiteral("deploy"), kNginx});
    if (!p.waitForStarted())
        return k;
    // QProcess delivers readyRead while it waits.
    p.waitForFinished(240000);
    if (!k.killed)
        k.err += QString::fromUtf8(buffer + p.readAllStandardError());
    return k;
}

QJsonObject TestDeployKill::gceGet(const QString &path)
{
    const QString base = m_up.value(QStringLiteral("gce_endpoint")).toString();
    QNetworkAccessManager nam;
    QNetworkRequest request(
        QUrl(base + (base.endsWith(QLatin1Char('/')) ? QString() : QStringLiteral("/")) +
             QStringLiteral("projects/") + m_up.value(QStringLiteral("gce_project")).toString() +
             QLatin1Char('/') + path));
    request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    QNetworkReply *reply = nam.get(request);
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(10000, &loop, &QEventLoop::quit);
    loop.exec();
    const QByteArray body = reply->isFinished() ? reply->readAll() : QByteArray();
    const bool ok = reply->isFinished() && reply->error() == QNetworkReply::NoError;
    delete reply;
    if (!ok)
        return {{QStringLiteral("error"), QString::fromUtf8(body.isEmpty() ? "no answer" : body)}};
    return QJsonDocument::fromJson(body).object();
}

QJsonArray TestDeployKill::curlJson(const QString &path)
{
    const Run r = run(QStringLiteral("curl"),
                      {QStringLiteral("-sf"), QStringLiteral("-m"), QStringLiteral("10"),
                       QStringLiteral("--socks5-hostname"), m_proxy,
                       m_up.value(QStringLiteral("marathon")).toString() + path});
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    return o
        .value(o.contains(QLatin1String("apps")) ? QStringLiteral("apps") : QStringLiteral("tasks"))
        .toArray();
}

Snapshot TestDeployKill::snapshot()
{
    Snapshot s;
    const QString region = m_up.value(QStringLiteral("gce_region")).toString();
    const QString zone = m_up.value(QStringLiteral("gce_zone")).toString();
    auto names = [&](const QString &path, QStringList *out) {
        const QJsonObject o = gceGet(path);
        if (o.contains(QLatin1String("error")))
            s.error += path + QStringLiteral(": ") + o.value(QStringLiteral("error")).toString();
        for (const QJsonValue &i : o.value(QStringLiteral("items")).toArray()) {
            *out << i[QStringLiteral("name")].toString();
            if (path.endsWith(QLatin1String("/targetPools"))) {
                QStringList members;
                for (const QJsonValue &m : i[QStringLiteral("instances")].toArray())
                    members << m.toString().section(QLatin1Char('/'), -1);
                s.poolInstances.insert(i[QStringLiteral("name")].toString(), members);
            }
        }
    };
    names(QStringLiteral("regions/%1/addresses").arg(region), &s.addresses);
    names(QStringLiteral("regions/%1/targetPools").arg(region), &s.pools);
    names(QStringLiteral("regions/%1/forwardingRules").arg(region), &s.rules);
    names(QStringLiteral("global/firewalls"), &s.firewalls);
    const QJsonObject instances = gceGet(QStringLiteral("zones/%1/instances").arg(zone));
    for (const QJsonValue &i : instances.value(QStringLiteral("items")).toArray()) {
        QStringList tags;
        for (const QJsonValue &t : i[QStringLiteral("tags")][QStringLiteral("items")].toArray())
            tags << t.toString();
        s.tags.insert(i[QStringLiteral("name")].toString(), tags);
    }
    for (const QJsonValue &a : curlJson(QStringLiteral("/v2/apps")))
        s.apps << qMakePair(a[QStringLiteral("id")].toString(),
                            a[QStringLiteral("instances")].toInt());
    for (const QJsonValue &t : curlJson(QStringLiteral("/v2/tasks"))) {
        ++s.tasks;
        if (t[QStringLiteral("state")].toString() == QLatin1String("TASK_RUNNING"))
            ++s.runningTasks[t[QStringLiteral("appId")].toString()];
    }
    return s;
}

// Every node's rules as iptables-save prints them, without its comments and counters; the nodes
// read at once, each over OpenSSH's ssh through the sandbox's proxy.
QMap<QString, QString> TestDeployKill::nodeRules()
{
    const QString proxyCommand = QStringLiteral("nc -X 5 -x %1 %h %p").arg(m_proxy);
    QList<std::shared_ptr<QProcess>> procs;
    QStringList names;
    for (const QJsonValue &n : m_up.value(QStringLiteral("nodes")).toArray()) {
        auto p = std::make_shared<QProcess>();
        p->start(QStringLiteral("ssh"),
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
        procs << p;
        names << n[QStringLiteral("name")].toString();
    }
    QMap<QString, QString> rules;
    for (int i = 0; i < procs.size(); ++i) {
        QProcess &p = *procs.at(i);
        const bool ok =
            p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        QString text =
            QString::fromUtf8(ok ? p.readAllStandardOutput() : "ERROR " + p.readAllStandardError());
        text.remove(
            QRegularExpression(QStringLiteral("^#[^\n]*\n"), QRegularExpression::MultilineOption));
        text.replace(QRegularExpression(QStringLiteral("\\[\\d+:\\d+\\]")),
                     QStringLiteral("[0:0]"));
        rules.insert(names.at(i), text);
    }
    return rules;
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
