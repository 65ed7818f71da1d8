// Which nodes Pier works on: the Mesos master and agents from /master/state (and state.json on
// 0.21 masters), the profile's hand-added nodes, and what happens when Mesos does not answer or
// names a node with shell metacharacters. Against the sandbox's real Mesos master API over HTTP.

#include "core/profile.h"
#include "mesos/mesosclient.h"
#include "nodes/node.h"
#include "nodes/nodediscovery.h"
#include "sandbox/agents.h"
#include "sandbox/mesosserver.h"

#include <QFile>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace pier;
using namespace pier::nodes;
using namespace Qt::StringLiterals;

class TestNodes : public QObject {
    Q_OBJECT

private slots:
    void fromMesosFixtures_data();
    void fromMesosFixtures();
    void profileEntries_data();
    void profileEntries();
    void profileOverridesAddress();
    void profileKeepsNodes();
    void discoveryFromMesos_data();
    void discoveryFromMesos();
    void mesosDownKeepsProfileNodes();
    void noMesosConfigured();

private:
    static QList<Node> discover(mesos::MesosClient *client, const QStringList &profileNodes,
                                NodeDiscovery **out = nullptr);
};

void TestNodes::fromMesosFixtures_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("expected"); // "name role address"
    QTest::newRow("mesos 1.4") << u"state-1.4.json"_s
                               << QStringList{u"development-5159-d3d-master master 198.18.0.2"_s,
                                              u"development-5159-d3d-1 agent 198.18.0.11"_s};
    QTest::newRow("mesos 0.21") << u"state-0.21.json"_s
                                << QStringList{u"development-5159-d3d-master master 198.18.0.2"_s,
                                               u"development-5159-d3d-1 agent 198.18.0.11"_s,
                                               u"development-5159-d3d-2 agent 198.18.0.12"_s};
}

void TestNodes::fromMesosFixtures()
{
    QFETCH(QString, file);
    QFETCH(QStringList, expected);
    QFile f(QStringLiteral(PIER_TEST_DATA "/mesos/") + file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const auto state = mesos::MesosState::fromJson(QJsonDocument::fromJson(f.readAll()).object());
    QStringList got;
    for (const Node &n : nodesFromMesos(state)) {
        QCOMPARE(n.source, Node::Source::Mesos);
        got << u"%1 %2 %3"_s.arg(n.name, n.role, n.address);
    }
    QCOMPARE(got, expected);
}

void TestNodes::profileEntries_data()
{
    QTest::addColumn<QStringList>("entries");
    QTest::addColumn<QStringList>("expected"); // "name address"
    QTest::addColumn<int>("problems");
    QTest::newRow("name only") << QStringList{u"node-7"_s} << QStringList{u"node-7 node-7"_s} << 0;
    QTest::newRow("name=address") << QStringList{u" web = 203.0.113.5 "_s}
                                  << QStringList{u"web 203.0.113.5"_s} << 0;
    QTest::newRow("ipv6") << QStringList{u"v6=2001:db8::1"_s} << QStringList{u"v6 2001:db8::1"_s}
                          << 0;
    QTest::newRow("blank skipped") << QStringList{u""_s, u"  "_s} << QStringList{} << 0;
    QTest::newRow("shell metacharacters refused")
        << QStringList{u"x=a;reboot"_s, u"$(reboot)"_s, u"y=`id`"_s, u"ok=198.18.0.9"_s}
        << QStringList{u"ok 198.18.0.9"_s} << 3;
    QTest::newRow("option-like refused")
        << QStringList{u"-oProxyCommand"_s, u"n=-p22"_s} << QStringList{} << 2;
    QTest::newRow("space refused") << QStringList{u"a=b c"_s} << QStringList{} << 1;
}

void TestNodes::profileEntries()
{
    QFETCH(QStringList, entries);
    QFETCH(QStringList, expected);
    QFETCH(int, problems);
    QStringList why;
    QStringList got;
    for (const Node &n : nodesFromProfile(entries, &why)) {
        QCOMPARE(n.source, Node::Source::Profile);
        got << n.name + u' ' + n.address;
    }
    QCOMPARE(got, expected);
    QCOMPARE(why.size(), problems);
    for (const QString &w : why)
        QVERIFY2(w.contains(u"NAME=ADDRESS"_s), qPrintable(w));
}

void TestNodes::profileOverridesAddress()
{
    Node a;
    a.name = u"agent-1"_s;
    a.address = u"198.18.0.3"_s;
    a.role = u"agent"_s;
    const QList<Node> merged =
        mergeNodes({a}, nodesFromProfile({u"AGENT-1=127.0.0.1"_s, u"extra=198.18.0.50"_s}));
    QCOMPARE(merged.size(), 2);
    QCOMPARE(merged[0].address, u"127.0.0.1"_s);
    QCOMPARE(merged[0].role, u"agent"_s);
    QCOMPARE(merged[1].name, u"extra"_s);
    QCOMPARE(findNode(merged, u"Agent-1"_s), &merged[0]);
    QCOMPARE(findNode(merged, u"198.18.0.50"_s), &merged[1]);
    QCOMPARE(findNode(merged, u"nope"_s), nullptr);
}

void TestNodes::profileKeepsNodes()
{
    Profile p;
    p.name = u"prod"_s;
    p.nodes = {u"web=203.0.113.5"_s, u"db"_s};
    const Profile back = Profile::fromJson(p.toJson());
    QCOMPARE(back.nodes, p.nodes);
    QCOMPARE(Profile::fromJson(Profile{}.toJson()).nodes, QStringList{});
}

QList<Node> TestNodes::discover(mesos::MesosClient *client, const QStringList &profileNodes,
                                NodeDiscovery **out)
{
    auto *d = new NodeDiscovery(client, profileNodes);
    QSignalSpy done(d, &NodeDiscovery::finished);
    d->start();
    if (done.isEmpty())
        done.wait(15000);
    const QList<Node> nodes = d->nodes();
    if (out)
        *out = d;
    else
        delete d;
    return nodes;
}

void TestNodes::discoveryFromMesos_data()
{
    QTest::addColumn<bool>("legacy");
    QTest::newRow("mesos 1.4 /master/state") << false;
    QTest::newRow("mesos 0.21 /master/state.json") << true;
}

void TestNodes::discoveryFromMesos()
{
    QFETCH(bool, legacy);
    auto cluster = sandbox::AgentPool::fromHostnames(
        {u"198.18.0.3"_s, u"agent-two"_s, u"agent;touch /tmp/pier-pwned"_s});
    cluster->agents()[1].address = u"198.18.0.4"_s;
    // An address with shell metacharacters must never become an SSH target.
    cluster->agents()[2].address = u"198.18.0.5;touch /tmp/pier-pwned"_s;
    sandbox::MesosServer::Options o;
    o.flavor = legacy ? sandbox::MesosServer::Flavor::Legacy : sandbox::MesosServer::Flavor::Modern;
    o.leaderHostPort = u"198.18.0.2:5050"_s;
    sandbox::MesosServer server(cluster, o);
    QVERIFY(server.listen());
    mesos::MesosConfig config;
    config.url = server.url();
    mesos::MesosClient client(config);

    NodeDiscovery *d = nullptr;
    const QList<Node> nodes = discover(&client, {u"manual=127.0.0.1"_s}, &d);
    std::unique_ptr<NodeDiscovery> owner(d);
    QVERIFY(d->isFinished());
    QVERIFY2(!d->error().isError(), qPrintable(d->error().toText()));
    QVERIFY(d->mesosAnswered());
    QStringList got;
    for (const Node &n : nodes)
        got << u"%1 %2 %3"_s.arg(n.name, n.role.isEmpty() ? u"-"_s : n.role, n.address);
    QCOMPARE(got, (QStringList{u"%1 master 198.18.0.2"_s.arg(cluster->masterHostname()),
                               u"198.18.0.3 agent 198.18.0.3"_s, u"agent-two agent 198.18.0.4"_s,
                               u"manual - 127.0.0.1"_s}));
    QCOMPARE(d->problems().size(), 1);
    QVERIFY2(d->problems().first().contains(u"left out"_s), qPrintable(d->problems().first()));
    QVERIFY(!QFile::exists(u"/tmp/pier-pwned"_s));
}

void TestNodes::mesosDownKeepsProfileNodes()
{
    QTcpServer closed; // a port nobody listens on any more
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    const quint16 port = closed.serverPort();
    closed.close();
    mesos::MesosConfig config;
    config.url = QUrl(u"http://127.0.0.1:%1"_s.arg(port));
    config.timeoutMs = 5000;
    mesos::MesosClient client(config);
    NodeDiscovery *d = nullptr;
    const QList<Node> nodes = discover(&client, {u"a=127.0.0.1"_s}, &d);
    std::unique_ptr<NodeDiscovery> owner(d);
    QVERIFY(d->error().isError());
    QVERIFY(!d->mesosAnswered());
    QVERIFY(!d->error().message.isEmpty());
    QCOMPARE(nodes.size(), 1);
    QCOMPARE(nodes.first().name, u"a"_s);
}

void TestNodes::noMesosConfigured()
{
    NodeDiscovery *d = nullptr;
    const QList<Node> nodes = discover(nullptr, {u"b"_s}, &d);
    std::unique_ptr<NodeDiscovery> owner(d);
    QVERIFY(!d->error().isError());
    QCOMPARE(nodes.size(), 1);
}

QTEST_MAIN(TestNodes)
#include "tst_nodes.moc"
