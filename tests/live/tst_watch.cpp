// `pier watch` as a script sees it: the real binary following the sandbox's Marathon (served by
// this process), one line per change, ended cleanly by SIGINT or SIGTERM.
#include "marathon/marathonclient.h"
#include "sandbox/marathonserver.h"

#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace pier::marathon;
using pier::sandbox::MarathonServer;

namespace {

AppDefinition appDef(const QString &id, int instances)
{
    return AppDefinition(QJsonObject{{QStringLiteral("id"), id},
                                     {QStringLiteral("cmd"), QStringLiteral("sleep 1000")},
                                     {QStringLiteral("cpus"), 0.1},
                                     {QStringLiteral("mem"), 32},
                                     {QStringLiteral("instances"), instances}});
}

MarathonReply *done(MarathonReply *r)
{
    if (!r->isFinished()) {
        QSignalSpy spy(r, &MarathonReply::finished);
        spy.wait(20000);
    }
    return r;
}

} // namespace

class TestWatch : public QObject {
    Q_OBJECT

    QTemporaryDir m_config;

    void startWatch(QProcess &p, const QUrl &url, const QStringList &extra)
    {
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        for (const char *v : {"PIER_MARATHON_URL", "PIER_MARATHON_USER", "PIER_MARATHON_PASSWORD",
                              "PIER_MARATHON_TOKEN"})
            e.remove(QLatin1String(v));
        e.insert(QStringLiteral("XDG_CONFIG_HOME"), m_config.path());
        p.setProcessEnvironment(e);
        p.start(QStringLiteral(PIER_BINARY),
                QStringList{QStringLiteral("--marathon"), url.toString(), QStringLiteral("watch")} +
                    extra);
        QVERIFY(p.waitForStarted(10000));
    }

private slots:
    void changes_data()
    {
        QTest::addColumn<bool>("legacy");
        QTest::addColumn<int>("signal");
        QTest::addRow("event stream, SIGINT") << false << SIGINT;
        QTest::addRow("polling (0.7), SIGTERM") << true << SIGTERM;
    }

    void changes()
    {
        QFETCH(bool, legacy);
        QFETCH(int, signal);
        MarathonServer::Options o;
        o.flavor = legacy ? MarathonServer::Flavor::Legacy : MarathonServer::Flavor::Modern;
        MarathonServer server(o);
        QVERIFY(server.listen());
        MarathonConfig c;
        c.urls = {server.url()};
        MarathonClient user(c);
        QVERIFY(!done(user.createApp(appDef(QStringLiteral("/other"), 1)))->error().isError());

        QProcess p;
        startWatch(p, server.url(), {QStringLiteral("/web")});
        if (!legacy)
            QTRY_COMPARE_WITH_TIMEOUT(server.eventSubscriberCount(), 1, 10000);
        QVERIFY(!done(user.createApp(appDef(QStringLiteral("/web"), 2)))->error().isError());
        QString out;
        auto readOut = [&] {
            out += QString::fromUtf8(p.readAllStandardOutput());
            return out;
        };
        QTRY_COMPARE_WITH_TIMEOUT(readOut().count(QStringLiteral("→ TASK_RUNNING")), 2, 10000);
        // One line per change: ISO time, app, task, old → new, health.
        static const QRegularExpression line(
            QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z /web \\S+ "
                           "(-|TASK_\\w+) → TASK_\\w+ \\S+$"));
        const QStringList lines = out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        for (const QString &l : lines)
            QVERIFY2(line.match(l).hasMatch(), qPrintable(l));
        QVERIFY2(!out.contains(QStringLiteral("/other")), qPrintable(out)); // the filter

        // A killed task shows its end.
        const QString victim = server.taskIds(QStringLiteral("/web")).first();
        QVERIFY(!done(user.killTask(QStringLiteral("/web"), victim))->error().isError());
        QTRY_VERIFY_WITH_TIMEOUT(
            readOut().contains(victim + QStringLiteral(" TASK_RUNNING → TASK_")), 10000);

        ::kill(pid_t(p.processId()), signal);
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 0);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains(legacy ? QStringLiteral("no event stream")
                                     : QStringLiteral("event stream")),
                 qPrintable(err));
    }

    void unreachableMarathonIsSaidAndWatched()
    {
        // Nothing listens there: watch says so on stderr and keeps trying until stopped.
        QProcess p;
        startWatch(p, QUrl(QStringLiteral("http://127.0.0.1:9")), {});
        QString err;
        QTRY_VERIFY_WITH_TIMEOUT((err += QString::fromUtf8(p.readAllStandardError()))
                                     .contains(QStringLiteral("Reconnecting")),
                                 15000);
        p.terminate();
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestWatch)
#include "tst_watch.moc"
