// The `pier` command line as a script sees it: the real binary, run as a process, against the
// sandbox's Marathon over real HTTP. Exit codes and output formats are its contract.
#include "common/pierprocess.h"
#include "sandbox/marathonserver.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using pier::sandbox::MarathonServer;

namespace {

using Run = pier::test::PierRun;

// Settings of these runs go to a throwaway place, never the user's.
Run runPier(const QStringList &args, const QMap<QString, QString> &env = {}, int timeoutMs = 60000)
{
    static QTemporaryDir config;
    return pier::test::runPier(args, config.path(), env, timeoutMs);
}

const char *const kNginx = R"({
  "id": "nginx",
  "container": {
    "type": "DOCKER",
    "docker": {
      "image": "library/nginx:1.7.9",
      "network": "BRIDGE",
      "portMappings": [ { "containerPort": 80, "servicePort": 80 } ]
    }
  },
  "cpus": 0.2,
  "mem": 256.0,
  "instances": 1
})";

QString write(const QTemporaryDir &dir, const QString &name, const QByteArray &text)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(text);
    return path;
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    MarathonServer::Options fast()
    {
        MarathonServer::Options o;
        o.stagingMs = 50;
        o.deploymentStepMs = 50;
        o.healthyAfterMs = 50;
        return o;
    }

private slots:
    void version()
    {
        const Run r = runPier({QStringLiteral("--version")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith(QStringLiteral("pier ")), qPrintable(r.out));
    }

    void helpListsTheCommands()
    {
        const Run r = runPier({QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        for (const char *c : {"validate", "apps", "tasks", "launch", "scale", "restart", "destroy"})
            QVERIFY2(r.out.contains(QLatin1String(c)), c);
    }

    void unknownCommandIsAUsageError()
    {
        const Run r = runPier({QStringLiteral("frobnicate")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains(QStringLiteral("unknown command")));
    }

    void validate_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("expected"); // a line of stdout or stderr, FILE replaced
        QTest::newRow("tutorial nginx.json") << QByteArray(kNginx) << 0 << QString();
        QTest::newRow("negative cpus")
            << QByteArray(kNginx).replace("0.2", "-1") << 1 << QStringLiteral("FILE: /cpus: ");
        QTest::newRow("bad id") << QByteArray(kNginx).replace("\"nginx\"", "\"Bad_ID\"") << 1
                                << QStringLiteral("FILE: /id: ");
        QTest::newRow("not JSON") << QByteArray("{\n  \"id\": \"x\",\n  oops\n}") << 2
                                  << QStringLiteral("FILE:3:");
        QTest::newRow("not an object") << QByteArray("[1, 2]") << 2 << QStringLiteral("FILE:1:");
    }

    void validate()
    {
        QFETCH(QByteArray, text);
        QFETCH(int, exitCode);
        QFETCH(QString, expected);
        const QString path = write(m_dir, QStringLiteral("app.json"), text);
        const Run r = runPier({QStringLiteral("validate"), path});
        QCOMPARE(r.exitCode, exitCode);
        if (expected.isEmpty()) {
            QVERIFY2(r.out.isEmpty() && r.err.isEmpty(), qPrintable(r.out + r.err));
        } else {
            expected.replace(QStringLiteral("FILE"), path);
            QVERIFY2((r.out + r.err).contains(expected), qPrintable(r.out + r.err));
        }
    }

    void validateSeveralFilesReportsTheWorst()
    {
        const QString good = write(m_dir, QStringLiteral("good.json"), kNginx);
        const QString bad =
            write(m_dir, QStringLiteral("bad.json"), QByteArray(kNginx).replace("256.0", "-5"));
        const Run r = runPier({QStringLiteral("validate"), good, bad,
                               m_dir.filePath(QStringLiteral("missing.json"))});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.out.contains(bad + QStringLiteral(": /mem: ")));
        QVERIFY(!r.out.contains(good));
        QVERIFY(r.err.contains(QStringLiteral("missing.json: cannot read")));
    }

    void noMarathonSaysWhatToDo()
    {
        const Run r = runPier({QStringLiteral("apps")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("--marathon")), qPrintable(r.err));
    }

    void unreachableMarathonIsANetworkError()
    {
        // A port nothing listens on: bind one, note it, close it.
        quint16 port = 0;
        {
            MarathonServer probe;
            QVERIFY(probe.listen());
            port = probe.port();
        }
        const Run r = runPier({QStringLiteral("apps"), QStringLiteral("--marathon"),
                               QStringLiteral("http://127.0.0.1:%1").arg(port)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("127.0.0.1:%1").arg(port)), qPrintable(r.err));
    }

    void launchWaitThenListAppsAndTasks()
    {
        MarathonServer server(fast());
        QVERIFY(server.listen());
        const QString url = server.url().toString();
        const QString file = write(m_dir, QStringLiteral("nginx.json"), kNginx);

        Run r = runPier({QStringLiteral("launch"), file, QStringLiteral("--wait"),
                         QStringLiteral("--marathon"), url});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.startsWith(QStringLiteral("/nginx")), qPrintable(r.out));
        QVERIFY2(r.err.contains(QStringLiteral("Running: 1 of 1 tasks running")),
                 qPrintable(r.err));

        r = runPier({QStringLiteral("apps"), QStringLiteral("--json")},
                    {{QStringLiteral("PIER_MARATHON_URL"), url}});
        QCOMPARE(r.exitCode, 0);
        const QJsonArray apps = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(apps.size(), 1);
        const QJsonObject app = apps.first().toObject();
        QCOMPARE(app.value(QStringLiteral("id")).toString(), QStringLiteral("/nginx"));
        QCOMPARE(app.value(QStringLiteral("instances")).toInt(), 1);
        QCOMPARE(app.value(QStringLiteral("tasksRunning")).toInt(), 1);
        QCOMPARE(app.value(QStringLiteral("tasksStaged")).toInt(), 0);
        QVERIFY(app.value(QStringLiteral("deployments")).isArray());
        QVERIFY(app.contains(QStringLiteral("tasksHealthy")) &&
                app.contains(QStringLiteral("tasksUnhealthy")));

        r = runPier({QStringLiteral("tasks"), QStringLiteral("/nginx"), QStringLiteral("--json"),
                     QStringLiteral("--marathon"), url});
        QCOMPARE(r.exitCode, 0);
        const QJsonArray tasks = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(tasks.size(), 1);
        const QJsonObject task = tasks.first().toObject();
        QCOMPARE(task.value(QStringLiteral("appId")).toString(), QStringLiteral("/nginx"));
        QCOMPARE(task.value(QStringLiteral("state")).toString(), QStringLiteral("TASK_RUNNING"));
        QVERIFY(task.value(QStringLiteral("healthy"))
                    .isNull()); // no health checks: nothing to judge by
        QVERIFY(task.value(QStringLiteral("startedAt")).isString());
        QVERIFY(!task.value(QStringLiteral("host")).toString().isEmpty());
        QCOMPARE(task.value(QStringLiteral("ports")).toArray().size(), 1);

        // The same definition again: nothing to do, no second deployment.
        const int before = server.requestCount();
        r = runPier({QStringLiteral("launch"), file, QStringLiteral("--wait"),
                     QStringLiteral("--marathon"), url});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.contains(QStringLiteral("Already running")), qPrintable(r.err));
        QVERIFY(server.requestCount() - before <= 3); // only reads
    }

    void lockedByDeploymentNeedsForce()
    {
        MarathonServer::Options o = fast();
        o.deploymentStepMs = 60000; // the first deployment stays in progress
        MarathonServer server(o);
        QVERIFY(server.listen());
        const QString url = server.url().toString();
        const QString file = write(m_dir, QStringLiteral("nginx.json"), kNginx);
        Run r = runPier({QStringLiteral("launch"), file, QStringLiteral("--marathon"), url});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));

        r = runPier({QStringLiteral("scale"), QStringLiteral("/nginx"), QStringLiteral("3"),
                     QStringLiteral("--marathon"), url});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("locked")), qPrintable(r.err));

        const QString bigger =
            write(m_dir, QStringLiteral("nginx2.json"), QByteArray(kNginx).replace("256.0", "512"));
        r = runPier({QStringLiteral("launch"), bigger, QStringLiteral("--marathon"), url});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("--force")), qPrintable(r.err));

        r = runPier({QStringLiteral("launch"), bigger, QStringLiteral("--force"),
                     QStringLiteral("--marathon"), url});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(server.appJson(QStringLiteral("/nginx")).value(QStringLiteral("mem")).toDouble(),
                 512.0);
    }

    void scaleRestartDestroy()
    {
        MarathonServer server(fast());
        QVERIFY(server.listen());
        const QString url = server.url().toString();
        const QString file = write(m_dir, QStringLiteral("nginx.json"), kNginx);
        QCOMPARE(runPier({QStringLiteral("launch"), file, QStringLiteral("--wait"),
                          QStringLiteral("--marathon"), url})
                     .exitCode,
                 0);

        Run r = runPier({QStringLiteral("scale"), QStringLiteral("/nginx"), QStringLiteral("2"),
                         QStringLiteral("--marathon"), url});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QStringLiteral("deployment ")));
        QTRY_COMPARE_WITH_TIMEOUT(
            server.appJson(QStringLiteral("/nginx")).value(QStringLiteral("tasksRunning")).toInt(),
            2, 10000);

        QTRY_VERIFY_WITH_TIMEOUT(server.appJson(QStringLiteral("/nginx"))
                                     .value(QStringLiteral("deployments"))
                                     .toArray()
                                     .isEmpty(),
                                 10000);
        r = runPier({QStringLiteral("restart"), QStringLiteral("/nginx"),
                     QStringLiteral("--marathon"), url});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));

        QTRY_VERIFY_WITH_TIMEOUT(server.appJson(QStringLiteral("/nginx"))
                                     .value(QStringLiteral("deployments"))
                                     .toArray()
                                     .isEmpty(),
                                 10000);
        r = runPier({QStringLiteral("destroy"), QStringLiteral("/nginx"),
                     QStringLiteral("--marathon"), url});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QTRY_VERIFY_WITH_TIMEOUT(server.appJson(QStringLiteral("/nginx")).isEmpty(), 10000);

        r = runPier(
            {QStringLiteral("tasks"), QStringLiteral("/nginx"), QStringLiteral("--marathon"), url});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("does not exist")), qPrintable(r.err));
    }

    void basicAuthFromTheEnvironment()
    {
        MarathonServer::Options o = fast();
        o.username = QStringLiteral("ops");
        o.password = QStringLiteral("hunter2");
        MarathonServer server(o);
        QVERIFY(server.listen());
        const QString url = server.url().toString();
        Run r = runPier({QStringLiteral("apps"), QStringLiteral("--marathon"), url});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("Invalid username or password")), qPrintable(r.err));

        r = runPier({QStringLiteral("apps"), QStringLiteral("--marathon"), url},
                    {{QStringLiteral("PIER_MARATHON_USER"), QStringLiteral("ops")},
                     {QStringLiteral("PIER_MARATHON_PASSWORD"), QStringLiteral("hunter2")}});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(!r.out.contains(QStringLiteral("hunter2")) &&
                !r.err.contains(QStringLiteral("hunter2")));
    }

    void legacyMarathonTasksHaveNoState()
    {
        MarathonServer::Options o = fast();
        o.flavor = MarathonServer::Flavor::Legacy;
        MarathonServer server(o);
        QVERIFY(server.listen());
        const QString url = server.url().toString();
        const QString file = write(m_dir, QStringLiteral("nginx.json"), kNginx);
        Run r = runPier({QStringLiteral("launch"), file, QStringLiteral("--wait"),
                         QStringLiteral("--marathon"), url});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = runPier({QStringLiteral("tasks"), QStringLiteral("/nginx"), QStringLiteral("--json"),
                     QStringLiteral("--marathon"), url});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject task = QJsonDocument::fromJson(r.out.toUtf8()).array().first().toObject();
        QVERIFY(task.value(QStringLiteral("state")).isNull());
        QVERIFY(task.value(QStringLiteral("healthy")).isNull());
    }

    void launchRefusesAnInvalidDefinitionWithoutCallingMarathon()
    {
        MarathonServer server(fast());
        QVERIFY(server.listen());
        const QString file =
            write(m_dir, QStringLiteral("bad.json"), QByteArray(kNginx).replace("0.2", "-1"));
        const Run r = runPier({QStringLiteral("launch"), file, QStringLiteral("--marathon"),
                               server.url().toString()});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains(QStringLiteral("/cpus")));
        QCOMPARE(server.requestCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
