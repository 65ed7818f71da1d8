// The GCE steps against the sandbox's GCE over real HTTP (no root): order and parallelism,
// adopting what exists, refusing a different spec, undo and teardown, requestId on retries, and
// `pier gce plan|apply|status|teardown` as a user runs them.
#include "common/pierprocess.h"
#include "core/plan.h"
#include "gce/credentials.h"
#include "gce/gceclient.h"
#include "gce/gcesteps.h"
#include "sandbox/gceserver.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace pier;
using namespace pier::gce;
using pier::sandbox::GceServer;

namespace {
const QString kRegion = QStringLiteral("us-central1");
const QString kZone = QStringLiteral("us-central1-a");
} // namespace

class TestGceSteps : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<GceServer> server;
    std::unique_ptr<GceClient> client;
    std::unique_ptr<GceContext> context;
    int opMs = 250;

    struct Timing {
        qint64 start = -1, end = -1;
    };

    void startServer(int operationMs)
    {
        opMs = operationMs;
        GceServer::Options o;
        o.operationMs = operationMs;
        server = std::make_unique<GceServer>(o);
        QVERIFY(server->listen());
        GceConfig c;
        c.endpoint = server->endpoint();
        c.project = o.project;
        c.retryBaseDelayMs = 20;
        c.pollIntervalMs = 20;
        client = std::make_unique<GceClient>(c);
        client->setTokenSource(new StaticTokenSource(server->issueToken(), client.get()));
    }

    GceTarget target(bool healthCheck = false) const
    {
        GceTarget t;
        t.project = server->options().project;
        t.region = kRegion;
        t.zone = kZone;
        t.port = 80;
        t.healthCheck = healthCheck;
        return t;
    }

    // Runs (or undoes) a plan to its end; records when each step started and ended.
    bool run(PlanRunner *runner, QHash<QString, Timing> *timing = nullptr, bool undo = false,
             QElapsedTimer *clock = nullptr)
    {
        QElapsedTimer local;
        local.start();
        QElapsedTimer &c = clock ? *clock : local;
        QObject guard; // the recording ends with this run
        QObject::connect(runner, &PlanRunner::stepStateChanged, &guard,
                         [&, timing](const QString &id, PlanRunner::StepState s, const QString &) {
                             if (!timing)
                                 return;
                             if (s == PlanRunner::StepState::Checking)
                                 (*timing)[id].start = c.elapsed();
                             if (s == PlanRunner::StepState::Done ||
                                 s == PlanRunner::StepState::Failed)
                                 (*timing)[id].end = c.elapsed();
                         });
        QSignalSpy finished(runner, &PlanRunner::finished);
        runner->setMaxParallel(8);
        undo ? runner->undoAll() : runner->start();
        if (!finished.wait(60000))
            return false;
        return finished.first().first().toBool();
    }

    PlanRunner *newRunner(GceContext *ctx, PlanJournal *journal = nullptr)
    {
        auto *runner = new PlanRunner(ctx);
        for (Step *s : makeGceSteps(ctx))
            runner->addStep(s);
        runner->setJournal(journal);
        return runner;
    }

    QStringList everything() const
    {
        QStringList all;
        for (const QString &c :
             {QStringLiteral("regions/us-central1/addresses"),
              QStringLiteral("regions/us-central1/targetPools"),
              QStringLiteral("regions/us-central1/forwardingRules"),
              QStringLiteral("global/firewalls"), QStringLiteral("global/httpHealthChecks")})
            all << server->resourcePaths(c);
        return all;
    }

    QStringList tags(const QString &instance) const
    {
        QStringList out;
        const QJsonObject i =
            server->resource(QStringLiteral("zones/%1/instances/%2").arg(kZone, instance));
        for (const QJsonValue &v :
             i.value(QStringLiteral("tags")).toObject().value(QStringLiteral("items")).toArray())
            out << v.toString();
        return out;
    }

    QStringList instanceNames() const
    {
        QStringList names;
        for (const GceServer::Instance &i : server->options().instances)
            names << i.name;
        return names;
    }

private slots:
    void init() { startServer(250); }
    void cleanup()
    {
        context.reset();
        client.reset();
        server.reset();
    }

    void stepsRunInDependencyOrderAndInParallel()
    {
        context = std::make_unique<GceContext>(client.get(), target());
        PlanRunner *runner = newRunner(context.get());
        QHash<QString, Timing> t;
        QElapsedTimer wall;
        wall.start();
        QVERIFY(run(runner, &t, false, &wall));
        const qint64 total = wall.elapsed();
        auto T = [&t](const char *id) { return t.value(QLatin1String(id)); };

        // Independent steps start together; dependent ones only after their inputs are done.
        const qint64 slack = opMs / 2;
        QVERIFY2(qAbs(T("address").start - T("pool").start) < slack, "address ‖ pool");
        QVERIFY2(T("tags").start < slack && T("network").start < slack, "tags, network at once");
        QVERIFY(T("instances").start >= T("pool").end);
        QVERIFY(T("rule").start >= T("instances").end);
        QVERIFY(T("rule").start >= T("address").end);
        QVERIFY(T("firewall").start >= T("network").end);
        qint64 sum = 0;
        for (const Timing &x : std::as_const(t))
            sum += x.end - x.start;
        qInfo("wall %lld ms, steps one after another %lld ms", total, sum);
        QVERIFY2(total < sum * 3 / 4, "the plan is not faster than its steps one after another");

        // What a user would look at in the console afterwards.
        const QJsonObject address =
            server->resource(QStringLiteral("regions/us-central1/addresses/pier-address"));
        const QJsonObject rule =
            server->resource(QStringLiteral("regions/us-central1/forwardingRules/pier-http"));
        const QJsonObject pool =
            server->resource(QStringLiteral("regions/us-central1/targetPools/pier-pool"));
        const QJsonObject fw = server->resource(QStringLiteral("global/firewalls/pier-allow-http"));
        QVERIFY(address.value(QStringLiteral("address"))
                    .toString()
                    .startsWith(QLatin1String("203.0.113.")));
        QCOMPARE(rule.value(QStringLiteral("IPAddress")), address.value(QStringLiteral("address")));
        QCOMPARE(rule.value(QStringLiteral("portRange")).toString(), QStringLiteral("80-80"));
        QCOMPARE(pool.value(QStringLiteral("instances")).toArray().size(), instanceNames().size());
        QVERIFY(fw.value(QStringLiteral("network")).toString().endsWith(server->options().network));
        QCOMPARE(fw.value(QStringLiteral("targetTags")).toArray(),
                 QJsonArray{QStringLiteral("http-server")});
        for (const QString &n : instanceNames())
            QVERIFY2(tags(n).contains(QStringLiteral("http-server")), qPrintable(n));
        QCOMPARE(runner->outputs().value(QStringLiteral("rule.ip")).toString(),
                 address.value(QStringLiteral("address")).toString());
    }

    void existingSameSpecIsAdoptedAndKept()
    {
        // The address and the firewall rule exist already, made by someone else.
        context = std::make_unique<GceContext>(client.get(), target());
        GceAddress a;
        a.name = QStringLiteral("pier-address");
        QSignalSpy s1(client->insertAddress(kRegion, a), &GceReply::finished);
        QVERIFY(s1.wait());
        GceFirewall f;
        f.name = QStringLiteral("pier-allow-http");
        f.network =
            client->projectUrl(QStringLiteral("global/networks/") + server->options().network)
                .toString();
        f.allowed = {{QStringLiteral("tcp"), {QStringLiteral("80")}}};
        f.sourceRanges = {QStringLiteral("0.0.0.0/0")};
        f.targetTags = {QStringLiteral("http-server")};
        QSignalSpy s2(client->insertFirewall(f), &GceReply::finished);
        QVERIFY(s2.wait());
        const int before = server->mutationCount();

        QTemporaryDir dir;
        PlanJournal journal(dir.filePath(QStringLiteral("journal.json")));
        PlanRunner *runner = newRunner(context.get(), &journal);
        QVERIFY(run(runner));
        QVERIFY(!journal.entry(QStringLiteral("address")).applied);
        QVERIFY(!journal.entry(QStringLiteral("firewall")).applied);
        QVERIFY(journal.entry(QStringLiteral("pool")).applied);
        // pool, instances, rule and one setTags per node: nothing for the adopted two.
        QCOMPARE(server->mutationCount() - before, 3 + int(instanceNames().size()));

        // A second run changes nothing.
        const int after = server->mutationCount();
        PlanRunner *again = newRunner(context.get(), &journal);
        QVERIFY(run(again));
        QCOMPARE(server->mutationCount(), after);

        // Teardown removes only what Pier made.
        QVERIFY(run(again, nullptr, true));
        QCOMPARE(everything(),
                 (QStringList{QStringLiteral("regions/us-central1/addresses/pier-address"),
                              QStringLiteral("global/firewalls/pier-allow-http")}));
        for (const QString &n : instanceNames())
            QVERIFY2(!tags(n).contains(QStringLiteral("http-server")), qPrintable(n));
    }

    void differentSpecIsReportedNotOverwritten()
    {
        context = std::make_unique<GceContext>(client.get(), target());
        GceFirewall f;
        f.name = QStringLiteral("pier-allow-http");
        f.allowed = {{QStringLiteral("tcp"), {QStringLiteral("8080")}}};
        f.network =
            client->projectUrl(QStringLiteral("global/networks/") + server->options().network)
                .toString();
        QSignalSpy s(client->insertFirewall(f), &GceReply::finished);
        QVERIFY(s.wait());
        PlanRunner *runner = newRunner(context.get());
        QVERIFY(!run(runner));
        QCOMPARE(runner->state(QStringLiteral("firewall")), PlanRunner::StepState::Failed);
        const QString message = runner->lastResult(QStringLiteral("firewall")).message;
        QVERIFY2(message.contains(QLatin1String("different spec")) &&
                     message.contains(QLatin1String("tcp:80")),
                 qPrintable(message));
        // The others went through; the rule kept its port.
        QCOMPARE(runner->state(QStringLiteral("rule")), PlanRunner::StepState::Done);
        const QJsonArray allowed =
            server->resource(QStringLiteral("global/firewalls/pier-allow-http"))
                .value(QStringLiteral("allowed"))
                .toArray();
        QCOMPARE(allowed.first().toObject().value(QStringLiteral("ports")).toArray(),
                 QJsonArray{QStringLiteral("8080")});
    }

    void teardownWithHealthCheckLeavesNothing()
    {
        context = std::make_unique<GceContext>(client.get(), target(true));
        QTemporaryDir dir;
        PlanJournal journal(dir.filePath(QStringLiteral("journal.json")));
        PlanRunner *runner = newRunner(context.get(), &journal);
        QVERIFY(run(runner));
        const QJsonArray checks =
            server->resource(QStringLiteral("regions/us-central1/targetPools/pier-pool"))
                .value(QStringLiteral("healthChecks"))
                .toArray();
        QCOMPARE(checks.size(), 1);
        QVERIFY(
            checks.first().toString().endsWith(QLatin1String("/httpHealthChecks/pier-http-check")));
        QCOMPARE(everything().size(), 5);

        // Teardown from the journal alone, as `pier gce teardown` does in a new process.
        PlanJournal reread(journal.path());
        QVERIFY(reread.load());
        GceContext fresh(client.get(), target(true));
        PlanRunner *teardown = newRunner(&fresh, &reread);
        QVERIFY(run(teardown, nullptr, true));
        QVERIFY2(everything().isEmpty(), qPrintable(everything().join(QLatin1Char(' '))));
        for (const QString &n : instanceNames())
            QVERIFY2(!tags(n).contains(QStringLiteral("http-server")), qPrintable(n));
    }

    void lostReplyIsRetriedWithTheSameRequestId()
    {
        context = std::make_unique<GceContext>(client.get(), target());
        server->dropReplyAfterCommit(QStringLiteral("/addresses"), 1);
        server->dropReplyAfterCommit(QStringLiteral("/firewalls"), 1);
        PlanRunner *runner = newRunner(context.get());
        QVERIFY(run(runner));
        QCOMPARE(server->resourcePaths(QStringLiteral("regions/us-central1/addresses")).size(), 1);
        QCOMPARE(server->resourcePaths(QStringLiteral("global/firewalls")).size(), 1);
        // One insert each although each was sent twice.
        QCOMPARE(server->mutationCount(), 4 + int(instanceNames().size()) + 1);
    }

    void commandLine()
    {
        QTemporaryDir home;
        const QString key = home.filePath(QStringLiteral("key.json"));
        QVERIFY(server->writeServiceAccountKey(key));
        const QStringList common{QStringLiteral("--endpoint"), server->endpoint().toString(),
                                 QStringLiteral("--key-file"), key,
                                 QStringLiteral("--region"),   kRegion,
                                 QStringLiteral("--zone"),     kZone};
        const QString project = server->options().project;

        auto plan = test::runPier(QStringList{QStringLiteral("gce"), QStringLiteral("plan"),
                                              QStringLiteral("--port"), QStringLiteral("80")} +
                                      common,
                                  home.path());
        QVERIFY2(plan.exitCode == 0, qPrintable(plan.err + plan.out));
        QVERIFY2(plan.out.contains(QStringLiteral("gcloud compute addresses create pier-address "
                                                  "--region us-central1 --project ") +
                                   project),
                 qPrintable(plan.out));
        QVERIFY2(plan.out.contains(QStringLiteral("gcloud compute firewall-rules create "
                                                  "pier-allow-http --allow tcp:80 --network ") +
                                   server->options().network +
                                   QStringLiteral(" --target-tags "
                                                  "http-server")),
                 qPrintable(plan.out));
        QVERIFY2(plan.out.contains(QStringLiteral("--instances ") +
                                   instanceNames().join(QLatin1Char(','))),
                 qPrintable(plan.out));
        QCOMPARE(server->mutationCount(), 0); // a plan changes nothing

        auto apply = test::runPier(QStringList{QStringLiteral("gce"), QStringLiteral("apply"),
                                               QStringLiteral("--port"), QStringLiteral("80")} +
                                       common,
                                   home.path());
        QVERIFY2(apply.exitCode == 0, qPrintable(apply.err));
        const QString ip =
            server->resource(QStringLiteral("regions/us-central1/addresses/pier-address"))
                .value(QStringLiteral("address"))
                .toString();
        QCOMPARE(apply.out.trimmed(), QStringLiteral("http://%1/").arg(ip));
        QVERIFY2(
            apply.err.contains(QLatin1String("Reserve the external address pier-address: done")),
            qPrintable(apply.err));

        auto status = test::runPier(
            QStringList{QStringLiteral("gce"), QStringLiteral("status"), QStringLiteral("--json")} +
                common,
            home.path());
        QVERIFY2(status.exitCode == 0, qPrintable(status.err));
        const QJsonObject o = QJsonDocument::fromJson(status.out.toUtf8()).object();
        QCOMPARE(o.value(QStringLiteral("address")).toString(), ip);
        QCOMPARE(o.value(QStringLiteral("health")).toArray().size(), instanceNames().size());
        for (const QJsonValue &v : o.value(QStringLiteral("steps")).toArray()) {
            QCOMPARE(v[QStringLiteral("state")].toString(), QStringLiteral("done"));
            QCOMPARE(v[QStringLiteral("created_by_pier")].toBool(),
                     v[QStringLiteral("id")].toString() != QLatin1String("network"));
        }

        auto teardown = test::runPier(
            QStringList{QStringLiteral("gce"), QStringLiteral("teardown")} + common, home.path());
        QVERIFY2(teardown.exitCode == 0, qPrintable(teardown.err));
        QVERIFY2(everything().isEmpty(), qPrintable(everything().join(QLatin1Char(' '))));
        auto again = test::runPier(
            QStringList{QStringLiteral("gce"), QStringLiteral("teardown")} + common, home.path());
        QVERIFY2(again.out.contains(QLatin1String("Nothing to tear down")), qPrintable(again.out));

        auto noPort = test::runPier(
            QStringList{QStringLiteral("gce"), QStringLiteral("apply")} + common, home.path());
        QCOMPARE(noPort.exitCode, 2);
    }
};

QTEST_MAIN(TestGceSteps)
#include "tst_gcesteps.moc"
