// "Launch on Marathon" as a plan step, over real HTTP against the sandbox's Marathon.
#include "core/plan.h"
#include "marathon/launchstep.h"
#include "marathon/marathonclient.h"
#include "sandbox/marathonserver.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace pier;
using namespace pier::marathon;
using pier::sandbox::MarathonServer;

namespace {

AppDefinition nginx(double mem = 256)
{
    QJsonObject docker{{QStringLiteral("image"), QStringLiteral("library/nginx:1.7.9")},
                       {QStringLiteral("network"), QStringLiteral("BRIDGE")},
                       {QStringLiteral("portMappings"),
                        QJsonArray{QJsonObject{{QStringLiteral("containerPort"), 80},
                                               {QStringLiteral("servicePort"), 80}}}}};
    return AppDefinition(QJsonObject{
        {QStringLiteral("id"), QStringLiteral("nginx")},
        {QStringLiteral("container"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("DOCKER")},
                     {QStringLiteral("docker"), docker}}},
        {QStringLiteral("cpus"), 0.2},
        {QStringLiteral("mem"), mem},
        {QStringLiteral("instances"), 1},
    });
}

MarathonServer::Options fast()
{
    MarathonServer::Options o;
    o.stagingMs = 50;
    o.deploymentStepMs = 50;
    o.healthyAfterMs = 50;
    return o;
}

MarathonConfig configFor(const MarathonServer &server)
{
    MarathonConfig c;
    c.urls = {server.url()};
    c.timeoutMs = 5000;
    c.retryBaseDelayMs = 50;
    return c;
}

struct Outcome {
    bool ok = false;
    StepResult result;
    QVariantMap outputs;
};

Outcome run(PlanRunner &runner, const QString &stepId, bool undo = false)
{
    QSignalSpy spy(&runner, &PlanRunner::finished);
    undo ? runner.undoAll() : runner.start();
    if (!spy.wait(30000))
        return {};
    return {spy.first().first().toBool(), runner.lastResult(stepId), runner.outputs()};
}

} // namespace

class TestLaunchStep : public QObject {
    Q_OBJECT
private slots:
    void launchRightAfterADestroyCompletes()
    {
        // An undeploy killed while Marathon destroys the app, then a deploy at once: the new
        // app's deployment must end although the destroy's was still running when it began
        // (the sandbox's stop deployment used to wait for the id to be gone, for ever).
        MarathonServer::Options o = fast();
        o.deploymentStepMs = 1500;
        MarathonServer server(o);
        QVERIFY(server.listen());
        MarathonClient client(configFor(server));
        {
            PlanRunner first;
            auto *launch = new LaunchStep(&client, nginx());
            launch->setPollIntervalMs(50);
            first.addStep(launch);
            const Outcome o1 = run(first, launch->id());
            QVERIFY2(o1.ok, qPrintable(o1.result.message));
        }
        MarathonReply *destroy = client.deleteApp(QStringLiteral("/nginx"));
        QSignalSpy destroyed(destroy, &MarathonReply::finished);
        QVERIFY(destroyed.wait(5000));
        QVERIFY2(!destroy->error().isError(), qPrintable(destroy->error().message));

        PlanRunner runner;
        auto *step = new LaunchStep(&client, nginx());
        step->setPollIntervalMs(50);
        runner.addStep(step);
        QStringList progress;
        connect(&runner, &PlanRunner::stepProgress, this,
                [&](const QString &, const QString &t) { progress << t; });
        const Outcome out = run(runner, step->id());
        QVERIFY2(out.ok, qPrintable(out.result.message + QLatin1Char('\n') +
                                    progress.join(QLatin1Char('\n'))));
        MarathonReply *after = client.getApp(QStringLiteral("/nginx"));
        QSignalSpy got(after, &MarathonReply::finished);
        QVERIFY(got.wait(5000));
        QVERIFY2(!after->error().isError(), qPrintable(after->error().message));
        QCOMPARE(after->app().tasksRunning, 1);
    }

    void launchesANewAppUntilItRuns()
    {
        MarathonServer server(fast());
        QVERIFY(server.listen());
        MarathonClient client(configFor(server));
        PlanRunner runner;
        auto *step = new LaunchStep(&client, nginx());
        step->setPollIntervalMs(50);
        runner.addStep(step);
        QStringList progress;
        connect(&runner, &PlanRunner::stepProgress, this,
                [&](const QString &, const QString &t) { progress << t; });

        QVERIFY(step->equivalentCommand().startsWith(QStringLiteral("curl -XPOST -d @nginx.json")));
        {
            // Behind a SOCKS proxy the command goes the way Pier goes.
            MarathonConfig viaProxy = configFor(server);
            viaProxy.socksProxy = QStringLiteral("socks5://127.0.0.1:1080");
            MarathonClient proxied(viaProxy);
            LaunchStep other(&proxied, nginx());
            QVERIFY2(other.equivalentCommand().contains(
                         QStringLiteral("--socks5-hostname 127.0.0.1:1080 http://")),
                     qPrintable(other.equivalentCommand()));
        }
        const Outcome o = run(runner, step->id());
        QVERIFY2(o.ok, qPrintable(o.result.message));
        QVERIFY2(o.result.message.contains(QStringLiteral("1 of 1 tasks running")),
                 qPrintable(o.result.message));
        QCOMPARE(o.outputs.value(QStringLiteral("marathon.appId")).toString(),
                 QStringLiteral("/nginx"));
        QVERIFY(!o.outputs.value(QStringLiteral("marathon.deploymentId")).toString().isEmpty());
        QVERIFY(!progress.isEmpty());
        QCOMPARE(
            server.appJson(QStringLiteral("/nginx")).value(QStringLiteral("tasksRunning")).toInt(),
            1);
    }

    void sameDefinitionAgainIsNothingToDo()
    {
        MarathonServer server(fast());
        QVERIFY(server.listen());
        MarathonClient client(configFor(server));
        {
            PlanRunner runner;
            auto *step = new LaunchStep(&client, nginx());
            step->setPollIntervalMs(50);
            runner.addStep(step);
            QVERIFY(run(runner, step->id()).ok);
        }
        const QString version =
            server.appJson(QStringLiteral("/nginx")).value(QStringLiteral("version")).toString();
        PlanRunner runner;
        auto *step = new LaunchStep(&client, nginx());
        runner.addStep(step);
        QStringList states;
        connect(
            &runner, &PlanRunner::stepStateChanged, this,
            [&](const QString &, PlanRunner::StepState s) { states << PlanRunner::stateName(s); });
        const Outcome o = run(runner, step->id());
        QVERIFY(o.ok);
        QVERIFY(!states.contains(QStringLiteral("applying")));
        QCOMPARE(
            server.appJson(QStringLiteral("/nginx")).value(QStringLiteral("version")).toString(),
            version);
    }

    void changedDefinitionIsUpdatedAndLockNeedsForce()
    {
        MarathonServer::Options opts = fast();
        MarathonServer server(opts);
        QVERIFY(server.listen());
        MarathonClient client(configFor(server));
        {
            PlanRunner runner;
            auto *step = new LaunchStep(&client, nginx());
            step->setWait(false); // leave its deployment running
            runner.addStep(step);
            server.options().deploymentStepMs = 60000;
            QVERIFY(run(runner, step->id()).ok);
        }
        // A different definition while the first deployment holds the lock: 409 with its id.
        PlanRunner runner;
        auto *step = new LaunchStep(&client, nginx(512));
        step->setPollIntervalMs(50);
        runner.addStep(step);
        Outcome o = run(runner, step->id());
        QVERIFY(!o.ok);
        QCOMPARE(o.result.error.kind, ApiError::Kind::Conflict);
        QCOMPARE(o.result.error.deploymentIds.size(), 1);
        QVERIFY(step->equivalentCommand().contains(QStringLiteral("-XPUT")));

        server.options().deploymentStepMs = 50;
        step->setForce(true);
        o = run(runner, step->id());
        QVERIFY2(o.ok, qPrintable(o.result.error.toText()));
        QCOMPARE(server.appJson(QStringLiteral("/nginx")).value(QStringLiteral("mem")).toDouble(),
                 512.0);
    }

    void marathonsRejectionCarriesTheFieldPaths()
    {
        MarathonServer server(fast());
        QVERIFY(server.listen());
        MarathonClient client(configFor(server));
        AppDefinition bad = nginx();
        bad.setValue(QStringLiteral("/upgradeStrategy/minimumHealthCapacity"), 2.0);
        PlanRunner runner;
        auto *step = new LaunchStep(&client, bad);
        runner.addStep(step);
        const Outcome o = run(runner, step->id());
        QVERIFY(!o.ok);
        QCOMPARE(o.result.error.kind, ApiError::Kind::Invalid);
        QVERIFY(!o.result.error.details.isEmpty());
        QCOMPARE(o.result.error.details.first().path,
                 QStringLiteral("/upgradeStrategy/minimumHealthCapacity"));
    }

    void failingTasksEndInATimeoutThatSaysWhy()
    {
        MarathonServer server(fast());
        QVERIFY(server.listen());
        server.setFailing(QStringLiteral("/nginx"),
                          QStringLiteral("Docker image library/nginx:1.7.9 not found"));
        MarathonClient client(configFor(server));
        PlanRunner runner;
        auto *step = new LaunchStep(&client, nginx());
        step->setPollIntervalMs(50);
        step->setTimeoutMs(1500);
        runner.addStep(step);
        QStringList progress;
        connect(&runner, &PlanRunner::stepProgress, this,
                [&](const QString &, const QString &t) { progress << t; });
        const Outcome o = run(runner, step->id());
        QVERIFY(!o.ok);
        QVERIFY2(o.result.error.kind == ApiError::Kind::Stalled,
                 qPrintable(o.result.error.toText()));
        QVERIFY2(o.result.error.message.contains(QStringLiteral("0 of 1 tasks running")),
                 qPrintable(o.result.error.message));
        QVERIFY2(progress.join(QLatin1Char('\n')).contains(QStringLiteral("not found")),
                 qPrintable(progress.join(QLatin1Char('\n'))));
    }

    void undoDestroysTheAppItCreated()
    {
        QTemporaryDir dir;
        PlanJournal journal(dir.filePath(QStringLiteral("launch.json")));
        MarathonServer server(fast());
        QVERIFY(server.listen());
        MarathonClient client(configFor(server));
        PlanRunner runner;
        runner.setJournal(&journal);
        auto *step = new LaunchStep(&client, nginx());
        step->setPollIntervalMs(50);
        runner.addStep(step);
        QVERIFY(run(runner, step->id()).ok);
        QVERIFY(journal.entry(step->id()).applied);

        const Outcome o = run(runner, step->id(), true);
        QVERIFY2(o.ok, qPrintable(o.result.message));
        QVERIFY(server.appJson(QStringLiteral("/nginx")).isEmpty());
        QVERIFY(!journal.entry(step->id()).applied);
    }

    void unreachableMarathonFailsAfterRetries()
    {
        quint16 port = 0;
        {
            MarathonServer probe;
            QVERIFY(probe.listen());
            port = probe.port();
        }
        MarathonConfig c;
        c.urls = {QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port))};
        c.maxRetries = 0;
        MarathonClient client(c);
        PlanRunner runner;
        runner.setRetryPolicy(1, 20);
        auto *step = new LaunchStep(&client, nginx());
        runner.addStep(step);
        const Outcome o = run(runner, step->id());
        QVERIFY(!o.ok);
        QCOMPARE(o.result.error.kind, ApiError::Kind::Network);
    }
};

QTEST_GUILESS_MAIN(TestLaunchStep)
#include "tst_launchstep.moc"
