// "Why is it waiting?" against the sandbox: placement on the simulated agents, the Mesos master
// API over real HTTP, the diagnosis of each stuck deployment, and `pier why` through the binary.
#include "diagnosis/diagnosis.h"
#include "marathon/marathonclient.h"
#include "mesos/mesosclient.h"
#include "sandbox/agents.h"
#include "sandbox/marathonserver.h"
#include "sandbox/mesosserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QtTest>
#include <memory>

using namespace pier;
using namespace Qt::Literals::StringLiterals;

namespace {

constexpr int kWait = 10000;

template<typename R> R *done(R *reply)
{
    if (!reply->isFinished()) {
        QSignalSpy spy(reply, &R::finished);
        spy.wait(kWait);
    }
    return reply;
}

QJsonObject app(const QString &id, int instances, double mem = 64, int hostPort = 0)
{
    return QJsonObject{
        {u"id"_s, id},
        {u"cmd"_s, u"sleep 1000"_s},
        {u"cpus"_s, 0.1},
        {u"mem"_s, mem},
        {u"instances"_s, instances},
        {u"container"_s,
         QJsonObject{{u"type"_s, u"DOCKER"_s},
                     {u"docker"_s, QJsonObject{{u"image"_s, u"library/nginx:1.7.9"_s},
                                               {u"network"_s, u"BRIDGE"_s}}},
                     {u"portMappings"_s, QJsonArray{QJsonObject{{u"containerPort"_s, 80},
                                                                {u"hostPort"_s, hostPort}}}}}}};
}

} // namespace

class TestWhy : public QObject {
    Q_OBJECT

    std::unique_ptr<sandbox::MarathonServer> m_marathon;
    std::unique_ptr<sandbox::MesosServer> m_mesos;
    std::unique_ptr<marathon::MarathonClient> m_client;
    std::unique_ptr<mesos::MesosClient> m_mesosClient;

    void start(sandbox::MesosServer::Flavor flavor = sandbox::MesosServer::Flavor::Modern)
    {
        sandbox::MarathonServer::Options o;
        o.stagingMs = 50;
        o.deploymentStepMs = 50;
        o.healthyAfterMs = 50;
        o.offerIntervalMs = 200;
        m_marathon = std::make_unique<sandbox::MarathonServer>(o);
        QVERIFY(m_marathon->listen());
        sandbox::MesosServer::Options mo;
        mo.flavor = flavor;
        m_mesos = std::make_unique<sandbox::MesosServer>(m_marathon->cluster(), mo);
        QVERIFY(m_mesos->listen());
        marathon::MarathonConfig c;
        c.urls = {m_marathon->url()};
        m_client = std::make_unique<marathon::MarathonClient>(c);
        mesos::MesosConfig mc;
        mc.url = m_mesos->url();
        m_mesosClient = std::make_unique<mesos::MesosClient>(mc);
    }

    void create(const QJsonObject &def)
    {
        std::unique_ptr<marathon::MarathonReply> r(
            done(m_client->createApp(marathon::AppDefinition(def))));
        QVERIFY2(!r->error(), qPrintable(r->error().toText()));
    }

    int running(const QString &id)
    {
        std::unique_ptr<marathon::MarathonReply> r(done(m_client->getApp(id)));
        return r->app().tasksRunning;
    }

    std::optional<marathon::QueueEntry> queueEntry(const QString &id)
    {
        std::unique_ptr<marathon::MarathonReply> r(done(m_client->queue()));
        for (const marathon::QueueEntry &e : r->queue()) {
            if (e.appId == id)
                return e;
        }
        return std::nullopt;
    }

    diagnosis::Diagnosis diagnose(const QString &id, bool withMesos = true)
    {
        diagnosis::DiagnosisInput in;
        std::unique_ptr<marathon::MarathonReply> a(
            done(m_client->getApp(id, {u"app.tasks"_s, u"app.counts"_s, u"app.deployments"_s,
                                       u"app.lastTaskFailure"_s})));
        in.app = a->app();
        in.queue = queueEntry(id);
        std::unique_ptr<marathon::MarathonReply> d(done(m_client->listDeployments()));
        in.deployments = d->deployments();
        if (withMesos) {
            std::unique_ptr<mesos::MesosReply> s(done(m_mesosClient->state()));
            if (!s->error())
                in.mesos = s->state();
        }
        return diagnosis::diagnose(in);
    }

private slots:
    void mesosStateOverHttp_data()
    {
        QTest::addColumn<bool>("legacy");
        QTest::newRow("mesos 1.4: /master/state") << false;
        QTest::newRow("mesos 0.21: falls back to /master/state.json") << true;
    }

    void mesosStateOverHttp()
    {
        QFETCH(bool, legacy);
        start(legacy ? sandbox::MesosServer::Flavor::Legacy : sandbox::MesosServer::Flavor::Modern);
        create(app(u"/web"_s, 2, 512));
        QTRY_COMPARE_WITH_TIMEOUT(running(u"/web"_s), 2, kWait);

        std::unique_ptr<mesos::MesosReply> r(done(m_mesosClient->state()));
        QVERIFY2(!r->error(), qPrintable(r->error().toText()));
        QCOMPARE(r->url().path(), legacy ? u"/master/state.json"_s : u"/master/state"_s);
        const mesos::MesosState s = r->state();
        QCOMPARE(s.version, legacy ? u"0.21.1"_s : u"1.4.3"_s);
        QCOMPARE(s.agents.size(), 3);
        double usedMem = 0;
        for (const mesos::Agent &a : s.agents) {
            QVERIFY(a.hostname.startsWith(u"development-5159-d3d-"_s));
            QVERIFY(a.address.startsWith(u"198.18.0."_s));
            QCOMPARE(a.total.cpus, 4.0);
            QCOMPARE(a.total.mem, 15360.0);
            QCOMPARE(a.total.portsText(), u"[31000-32000]"_s);
            QVERIFY(a.active);
            usedMem += a.used.mem;
        }
        QCOMPARE(usedMem, 1024.0); // two tasks of 512 MiB
        const mesos::Framework *f = s.framework(u"marathon"_s);
        QVERIFY(f);
        QCOMPARE(f->tasks.size(), 2);
        QCOMPARE(f->tasks.first().state, u"TASK_RUNNING"_s);
        QCOMPARE(f->tasks.first().resources.mem, 512.0);

        // The other endpoints.
        std::unique_ptr<mesos::MesosReply> h(done(m_mesosClient->health()));
        QVERIFY(!h->error());
        std::unique_ptr<mesos::MesosReply> v(done(m_mesosClient->version()));
        if (legacy) {
            QCOMPARE(v->error().kind, ApiError::Kind::NotFound);
        } else {
            QVERIFY(!v->error());
            QCOMPARE(v->version(), u"1.4.3"_s);
        }
    }

    void mesosUnreachableIsANetworkError()
    {
        mesos::MesosConfig mc;
        mc.url = QUrl(u"http://127.0.0.1:1"_s);
        mesos::MesosClient client(mc);
        std::unique_ptr<mesos::MesosReply> r(done(client.state()));
        QCOMPARE(r->error().kind, ApiError::Kind::Network);
        QVERIFY(!r->error().hint.isEmpty());
    }

    void placementRespectsResourcesAndUniqueSpreads()
    {
        start();
        QJsonObject unique = app(u"/spread"_s, 3);
        unique[u"constraints"_s] = QJsonArray{QJsonArray{u"hostname"_s, u"UNIQUE"_s}};
        create(unique);
        QTRY_COMPARE_WITH_TIMEOUT(running(u"/spread"_s), 3, kWait);
        std::unique_ptr<marathon::MarathonReply> t(done(m_client->appTasks(u"/spread"_s)));
        QSet<QString> hosts;
        for (const marathon::MarathonTask &task : t->tasks())
            hosts.insert(task.host);
        QCOMPARE(hosts.size(), 3);

        // 10 GiB fits on each agent once: the fourth instance waits, with Marathon's reasons.
        create(app(u"/big"_s, 4, 10240));
        QTRY_COMPARE_WITH_TIMEOUT(running(u"/big"_s), 3, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(queueEntry(u"/big"_s).has_value(), kWait);
        const marathon::QueueEntry e = *queueEntry(u"/big"_s);
        QCOMPARE(e.count, 1);
        const QJsonObject summary = e.json.value(u"processedOffersSummary"_s).toObject();
        QVERIFY(summary.value(u"processedOffersCount"_s).toInt() >= 3);
        bool memory = false;
        for (const QJsonValue &v : summary.value(u"rejectSummaryLastOffers"_s).toArray()) {
            const QJsonObject o = v.toObject();
            if (o.value(u"reason"_s).toString() == u"InsufficientMemory"_s)
                memory =
                    o.value(u"declined"_s).toInt() == 3 && o.value(u"processed"_s).toInt() == 3;
        }
        QVERIFY2(memory, QJsonDocument(summary).toJson().constData());
        QVERIFY(!m_marathon->deploymentIds().isEmpty()); // it never finishes

        // Asking for what fits ends the wait: the queue empties and the deployments finish.
        std::unique_ptr<marathon::MarathonReply> s(done(m_client->scaleApp(u"/big"_s, 3, true)));
        QVERIFY(!s->error());
        QTRY_VERIFY_WITH_TIMEOUT(!queueEntry(u"/big"_s).has_value(), kWait);
        QTRY_VERIFY_WITH_TIMEOUT(m_marathon->deploymentIds().isEmpty(), kWait);
        QCOMPARE(running(u"/big"_s), 3);
    }

    void moreMemoryThanAnyAgent()
    {
        start();
        create(app(u"/huge"_s, 1, 20480));
        QTRY_VERIFY_WITH_TIMEOUT(queueEntry(u"/huge"_s).has_value(), kWait);
        const diagnosis::Diagnosis d = diagnose(u"/huge"_s);
        QCOMPARE(d.kind, diagnosis::Diagnosis::Kind::Resources);
        QCOMPARE(d.missing, u"mem"_s);
        QVERIFY2(d.summary.contains(u"20480 MiB memory"_s), qPrintable(d.text()));
        QVERIFY2(d.summary.contains(u"has 15360 MiB free of 15360 MiB"_s), qPrintable(d.text()));
        QVERIFY(d.closestAgent.startsWith(u"development-5159-d3d-"_s));
        QVERIFY2(d.text().contains(u"No agent has that much memory at all"_s),
                 qPrintable(d.text()));
        QCOMPARE(d.agents.size(), 3);
    }

    void hostPortTakenEverywhere()
    {
        start();
        create(app(u"/holder"_s, 3, 64, 31500));
        QTRY_COMPARE_WITH_TIMEOUT(running(u"/holder"_s), 3, kWait);
        create(app(u"/second"_s, 1, 64, 31500));
        QTRY_VERIFY_WITH_TIMEOUT(queueEntry(u"/second"_s).has_value(), kWait);
        const diagnosis::Diagnosis d = diagnose(u"/second"_s);
        QCOMPARE(d.kind, diagnosis::Diagnosis::Kind::Ports);
        QVERIFY2(d.summary.contains(u"host port 31500 is already taken on every agent"_s),
                 qPrintable(d.text()));
        QVERIFY2(d.summary.contains(u"has 1000 of 1001 ports free"_s), qPrintable(d.text()));
        QVERIFY2(d.text().contains(u"held by task holder."_s), qPrintable(d.text()));
    }

    void uniqueWithMoreInstancesThanAgents()
    {
        start();
        QJsonObject def = app(u"/u"_s, 5);
        def[u"constraints"_s] = QJsonArray{QJsonArray{u"hostname"_s, u"UNIQUE"_s}};
        create(def);
        QTRY_COMPARE_WITH_TIMEOUT(running(u"/u"_s), 3, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(queueEntry(u"/u"_s).has_value(), kWait);
        const diagnosis::Diagnosis d = diagnose(u"/u"_s);
        QCOMPARE(d.kind, diagnosis::Diagnosis::Kind::Constraint);
        QCOMPARE(d.missing, u"hostname:UNIQUE"_s);
        QVERIFY2(d.summary.contains(
                     u"5 instances and Mesos only 3 agents; 2 instances can never be placed"_s),
                 qPrintable(d.text()));
        QVERIFY2(d.text().contains(u"cpus"_s) || d.text().contains(u"breaks hostname:UNIQUE"_s),
                 qPrintable(d.text()));

        // Without Mesos, Marathon's offer summary still names the constraint.
        const diagnosis::Diagnosis m = diagnose(u"/u"_s, false);
        QCOMPARE(m.kind, diagnosis::Diagnosis::Kind::Constraint);
        QVERIFY2(m.summary.contains(u"UnfulfilledConstraint"_s), qPrintable(m.text()));
    }

    void failingTasks()
    {
        start();
        m_marathon->setFailing(u"/crash"_s, u"Docker container exited with status 1"_s);
        QJsonObject def = app(u"/crash"_s, 1);
        def[u"backoffSeconds"_s] = 30;
        create(def);
        QTRY_VERIFY_WITH_TIMEOUT(queueEntry(u"/crash"_s).has_value() &&
                                     queueEntry(u"/crash"_s)->delaySeconds > 0,
                                 kWait);
        const diagnosis::Diagnosis d = diagnose(u"/crash"_s);
        QCOMPARE(d.kind, diagnosis::Diagnosis::Kind::TasksFailing);
        QVERIFY2(d.summary.contains(u"Docker container exited with status 1"_s),
                 qPrintable(d.text()));
        QVERIFY2(d.summary.contains(u"development-5159-d3d-"_s), qPrintable(d.text()));
        QVERIFY2(d.text().contains(u"backs off"_s) && d.text().contains(u"seconds left"_s),
                 qPrintable(d.text()));
        QCOMPARE(d.actions.size(), 1);
        QCOMPARE(d.actions.first().id, u"reset-delay"_s);
    }

    // `pier why` points at --reset-delay for failing tasks; --reset-delay makes Marathon launch
    // again at once, and says so plainly for an app that has no delay.
    void pierWhyResetsTheDelay()
    {
        start();
        m_marathon->setFailing(u"/crash"_s, u"Docker container exited with status 1"_s);
        QJsonObject def = app(u"/crash"_s, 1);
        def[u"backoffSeconds"_s] = 60;
        create(def);
        create(app(u"/ok"_s, 1));
        QTRY_VERIFY_WITH_TIMEOUT(queueEntry(u"/crash"_s).has_value() &&
                                     queueEntry(u"/crash"_s)->delaySeconds > 0,
                                 kWait);
        QTRY_COMPARE_WITH_TIMEOUT(running(u"/ok"_s), 1, kWait);
        const auto lastFailure = [this] {
            std::unique_ptr<marathon::MarathonReply> a(
                done(m_client->getApp(u"/crash"_s, {u"app.lastTaskFailure"_s})));
            return a->app().lastTaskFailure.value(u"timestamp"_s).toString();
        };
        const auto pier = [this](const QStringList &args, int *code) -> QString {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(u"PIER_MESOS_URL"_s, m_mesos->url().toString());
            env.insert(u"HOME"_s, QDir::tempPath());
            p.setProcessEnvironment(env);
            p.start(QStringLiteral(PIER_BINARY),
                    QStringList{u"--marathon"_s, m_marathon->url().toString()} + args);
            // The servers answer from this thread's event loop: wait in it.
            QSignalSpy finished(&p, &QProcess::finished);
            p.waitForStarted();
            finished.wait(30000);
            *code = p.exitCode();
            return QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
        };
        int code = -1;
        QString out = pier({u"why"_s, u"crash"_s}, &code);
        QCOMPARE(code, 0);
        QVERIFY2(out.contains(u"pier why /crash --reset-delay"_s), qPrintable(out));

        const QString failedAt = lastFailure();
        QVERIFY(!failedAt.isEmpty());
        out = pier({u"why"_s, u"crash"_s, u"--reset-delay"_s}, &code);
        QCOMPARE(code, 0);
        QVERIFY2(out.contains(u"Reset the launch delay of /crash"_s), qPrintable(out));
        // With a 60 s backoff, a new launch (failing again) within seconds is the reset's doing.
        QTRY_VERIFY_WITH_TIMEOUT(lastFailure() != failedAt, 8000);

        out = pier({u"why"_s, u"ok"_s, u"--reset-delay"_s}, &code);
        QCOMPARE(code, 0);
        QVERIFY2(out.contains(u"no launch delay to reset"_s), qPrintable(out));
    }

    void nothingWaiting()
    {
        start();
        create(app(u"/ok"_s, 2));
        QTRY_COMPARE_WITH_TIMEOUT(running(u"/ok"_s), 2, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(m_marathon->deploymentIds().isEmpty(), kWait);
        const diagnosis::Diagnosis d = diagnose(u"/ok"_s);
        QCOMPARE(d.kind, diagnosis::Diagnosis::Kind::NothingWaiting);
    }

    void pierWhyThroughTheBinary()
    {
        start();
        create(app(u"/huge"_s, 1, 20480));
        QTRY_VERIFY_WITH_TIMEOUT(queueEntry(u"/huge"_s).has_value(), kWait);
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"PIER_MESOS_URL"_s, m_mesos->url().toString());
        env.insert(u"HOME"_s, QDir::tempPath());
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(PIER_BINARY),
                {u"--marathon"_s, m_marathon->url().toString(), u"why"_s, u"huge"_s});
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(p.state() == QProcess::NotRunning, 30000);
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QCOMPARE(p.exitCode(), 0);
        QVERIFY2(out.contains(u"20480 MiB memory"_s) &&
                     out.contains(u"15360 MiB free of 15360 MiB"_s),
                 qPrintable(out));

        // An app that does not exist: an error, exit 1.
        p.start(QStringLiteral(PIER_BINARY),
                {u"--marathon"_s, m_marathon->url().toString(), u"why"_s, u"nope"_s});
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(p.state() == QProcess::NotRunning, 30000);
        QCOMPARE(p.exitCode(), 1);
    }
};

QTEST_MAIN(TestWhy)
#include "tst_why.moc"
