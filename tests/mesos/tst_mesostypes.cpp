// The Mesos master's state as Pier reads it, from Mesos 0.21 (the tutorial's clusters) to 1.x:
// flat and list resource forms, port range strings, ids as objects, missing fields.
#include "mesos/mesostypes.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

using namespace pier::mesos;

namespace {

QJsonObject fixture(const char *name)
{
    QFile f(QStringLiteral(PIER_TEST_DATA "/mesos/") + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", name);
    return QJsonDocument::fromJson(f.readAll()).object();
}

using Ranges = QList<QPair<int, int>>;

} // namespace

class TestMesosTypes : public QObject {
    Q_OBJECT
private slots:
    void portRanges_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<Ranges>("ranges");
        QTest::addColumn<int>("count");
        QTest::newRow("one range")
            << QStringLiteral("[31000-32000]") << Ranges{{31000, 32000}} << 1001;
        QTest::newRow("two ranges, spaces") << QStringLiteral("[31000-31002, 31005-32000]")
                                            << Ranges{{31000, 31002}, {31005, 32000}} << 999;
        QTest::newRow("single port")
            << QStringLiteral("[31001-31001]") << Ranges{{31001, 31001}} << 1;
        QTest::newRow("empty") << QStringLiteral("[]") << Ranges{} << 0;
        QTest::newRow("garbage is no ports") << QStringLiteral("ports!") << Ranges{} << 0;
    }

    void portRanges()
    {
        QFETCH(QString, text);
        QFETCH(Ranges, ranges);
        QFETCH(int, count);
        const Ranges parsed = Resources::parseRanges(text);
        QCOMPARE(parsed, ranges);
        Resources r;
        r.ports = parsed;
        QCOMPARE(r.portCount(), count);
    }

    void mesos021StateJson()
    {
        const MesosState s = MesosState::fromJson(fixture("state-0.21.json"));
        QCOMPARE(s.version, QStringLiteral("0.21.1"));
        QCOMPARE(s.leader, QStringLiteral("master@198.18.0.2:5050"));
        QCOMPARE(s.agents.size(), 2);
        const Agent *a = s.agentByHostname(QStringLiteral("development-5159-d3d-1"));
        QVERIFY(a);
        QVERIFY(a->active); // 0.21 has no `active`: an agent the master lists is active
        QCOMPARE(a->address, QStringLiteral("198.18.0.11"));
        QCOMPARE(a->total.cpus, 2.0);
        QCOMPARE(a->total.mem, 6824.0);
        QCOMPARE(a->used.mem, 256.0);
        QVERIFY(!a->total.hasPort(31003));
        QVERIFY(a->total.hasPort(31001));
        // Free: the total less what tasks hold, ports included.
        const Resources free = a->free();
        QCOMPARE(free.mem, 6824.0 - 256.0);
        QVERIFY(!free.hasPort(31001));
        QVERIFY(free.hasPort(31000) && free.hasPort(31002));
        QCOMPARE(free.portCount(), a->total.portCount() - 1);
        QCOMPARE(a->attributes.value(QStringLiteral("rack")), QStringLiteral("a"));
        // An agent without used_resources uses nothing.
        const Agent *b = s.agentByHostname(QStringLiteral("198.18.0.12"));
        QVERIFY(b);
        QVERIFY(b->used.isEmpty());

        const Framework *m = s.framework(QStringLiteral("marathon"));
        QVERIFY(m);
        QCOMPARE(m->tasks.size(), 1);
        const Task &t = m->tasks.first();
        QCOMPARE(t.state, QStringLiteral("TASK_RUNNING"));
        QCOMPARE(t.agentId, a->id);
        QVERIFY(t.updatedAt > 1424003342.0);
        QCOMPARE(s.taskHoldingPort(a->id, 31001), &t);
        QCOMPARE(s.taskHoldingPort(a->id, 31000), nullptr);
    }

    void mesos14ListResourcesAndObjectIds()
    {
        const MesosState s = MesosState::fromJson(fixture("state-1.4.json"));
        QCOMPARE(s.agents.size(), 1);
        const Agent &a = s.agents.first();
        QCOMPARE(a.id, QStringLiteral("b5eac2c5-S0")); // {"value": ...} read as the id
        QVERIFY(!a.active);
        QCOMPARE(a.total.cpus, 4.0);
        QCOMPARE(a.total.mem, 15360.0);
        QCOMPARE(a.total.ports, (Ranges{{31000, 31009}, {31100, 31100}}));
        QCOMPARE(a.free().cpus, 3.0);
        QCOMPARE(a.free().portCount(), 9);
        QVERIFY(s.frameworks.isEmpty());
        QCOMPARE(s.framework(QStringLiteral("marathon")), nullptr);
    }

    void missingEverythingIsEmptyNotACrash()
    {
        const MesosState s =
            MesosState::fromJson(QJsonObject{{QStringLiteral("slaves"), QJsonValue(7)}});
        QVERIFY(s.agents.isEmpty());
        QVERIFY(s.frameworks.isEmpty());
        const Agent a =
            Agent::fromJson(QJsonObject{{QStringLiteral("resources"), QStringLiteral("nonsense")}});
        QVERIFY(a.total.isEmpty());
        QCOMPARE(a.free().portCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestMesosTypes)
#include "tst_mesostypes.moc"
