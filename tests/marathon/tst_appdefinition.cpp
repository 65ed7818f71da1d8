// The app-definition model: parsing with positions, JSON pointer, typed accessors over the
// legacy (0.7-1.4) and 1.5+ forms, unknown fields kept by every setter, Marathon's defaults
// and the "already running?" comparison.

#include "marathon/appdefinition.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>
#include <functional>

using namespace pier::marathon;

namespace {

QJsonObject obj(const char *json)
{
    QJsonParseError e;
    const QJsonDocument d = QJsonDocument::fromJson(QByteArray(json), &e);
    if (e.error != QJsonParseError::NoError)
        qFatal("bad test JSON at %d: %s", e.offset, json);
    return d.object();
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

QJsonObject fixture(const char *name)
{
    return QJsonDocument::fromJson(
               readFile(QStringLiteral(PIER_TEST_DATA "/marathon/") + QLatin1String(name)))
        .object();
}

QJsonObject runningApp(const char *name)
{
    return fixture(name).value(QStringLiteral("app")).toObject();
}

QJsonObject tutorialNginx()
{
    // The template shipped in resources/ is the tutorial's definition.
    return QJsonDocument::fromJson(
               readFile(QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json")))
        .object();
}

QString s(const char *text)
{
    return QString::fromUtf8(text);
}

} // namespace

class TestAppDefinition : public QObject {
    Q_OBJECT

private slots:
    void parse_data();
    void parse();
    void locate_data();
    void locate();

    void pointerGet_data();
    void pointerGet();
    void pointerSet_data();
    void pointerSet();
    void pointerRemove_data();
    void pointerRemove();
    void pointerSplitJoin_data();
    void pointerSplitJoin();

    void bothFormsReadTheSame_data();
    void bothFormsReadTheSame();
    void setNetworkModeKeepsForm_data();
    void setNetworkModeKeepsForm();
    void setPortMappingsKeepsForm_data();
    void setPortMappingsKeepsForm();

    void unknownFieldsSurviveEverySetter_data();
    void unknownFieldsSurviveEverySetter();
    void simpleAccessors_data();
    void simpleAccessors();
    void setEnvKeepsSecrets();
    void healthChecksRoundTrip();
    void emptySettersRemoveKeys();
    void absoluteId_data();
    void absoluteId();

    void withDefaultsTutorial();
    void withDefaults_data();
    void withDefaults();
    void canonicalForm_data();
    void canonicalForm();
    void sameDeployedSpec_data();
    void sameDeployedSpec();
};

// ---- parsing --------------------------------------------------------------------------------

void TestAppDefinition::parse_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("error");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("message");

    QTest::newRow("object") << QByteArray("{\"id\": \"/a\"}") << false << 0 << 0 << QString();
    QTest::newRow("object with blanks around")
        << QByteArray("\n  {\"id\": \"/a\"}\n\n") << false << 0 << 0 << QString();
    // Qt reports the offset just after the token it could not use.
    QTest::newRow("double comma, line 1")
        << QByteArray("{\"a\":1,,}") << true << 1 << 9 << s("unterminated object");
    QTest::newRow("missing comma, line 3")
        << QByteArray("{\n \"a\": 1\n \"b\": 2}") << true << 3 << 3 << s("unterminated object");
    QTest::newRow("CRLF lines") << QByteArray("{\r\n \"a\": 1\r\n \"b\": 2}") << true << 3 << 3
                                << s("unterminated object");
    // Qt stops reading a broken literal at the next line here.
    QTest::newRow("bad literal") << QByteArray("{\n  \"a\": tru\n}") << true << 3 << 1
                                 << s("illegal value");
    QTest::newRow("missing value after comma")
        << QByteArray("{\"a\": [1, }") << true << 1 << 12 << s("object is missing after a comma");
    QTest::newRow("multi-byte characters count once")
        << QByteArray("{\"\xc3\xa9\xc3\xa9\": tru}") << true << 1 << 9 << s("illegal value");
    QTest::newRow("unterminated string")
        << QByteArray("{\"a\":\n\"x") << true << 2 << 3 << s("unterminated string");
    QTest::newRow("empty text") << QByteArray("") << true << 1 << 1 << s("illegal value");
    QTest::newRow("top-level array")
        << QByteArray("[1, 2]") << true << 1 << 1 << s("expected a JSON object");
    QTest::newRow("top-level number after blank lines")
        << QByteArray("\n\n  42") << true << 3 << 3 << s("expected a JSON object");
    QTest::newRow("top-level string")
        << QByteArray("\"nginx\"") << true << 1 << 1 << s("expected a JSON object");
}

void TestAppDefinition::parse()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, error);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, message);

    JsonParseError e;
    e.offset = 12345; // must be overwritten either way
    const AppDefinition app = AppDefinition::parse(text, &e);
    QCOMPARE(e.isError(), error);
    if (!error) {
        QCOMPARE(e.offset, -1);
        QCOMPARE(app.id(), s("/a"));
        return;
    }
    QCOMPARE(e.line, line);
    QCOMPARE(e.column, column);
    QVERIFY2(e.message.contains(message), qPrintable(e.message));
    QVERIFY(app.json().isEmpty());
}

void TestAppDefinition::locate_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("offset");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");

    QTest::newRow("start") << QByteArray("abc") << 0 << 1 << 1;
    QTest::newRow("middle") << QByteArray("abc") << 2 << 1 << 3;
    QTest::newRow("after newline") << QByteArray("ab\ncd") << 3 << 2 << 1;
    QTest::newRow("on newline") << QByteArray("ab\ncd") << 2 << 1 << 3;
    QTest::newRow("third line") << QByteArray("a\nb\nxyz") << 6 << 3 << 3;
    QTest::newRow("past end is clamped") << QByteArray("ab") << 99 << 1 << 3;
    QTest::newRow("negative is clamped") << QByteArray("ab") << -4 << 1 << 1;
}

void TestAppDefinition::locate()
{
    QFETCH(QByteArray, text);
    QFETCH(int, offset);
    QFETCH(int, line);
    QFETCH(int, column);
    const JsonParseError e = AppDefinition::locate(text, offset, s("m"));
    QCOMPARE(e.line, line);
    QCOMPARE(e.column, column);
    QCOMPARE(e.message, s("m"));
    QVERIFY(e.isError());
}

// ---- JSON pointer ---------------------------------------------------------------------------

static const char *kPointerDoc = R"({
  "id": "/web",
  "container": {"docker": {"image": "nginx"},
                "portMappings": [{"containerPort": 80}, {"containerPort": 443, "name": "https"}]},
  "a/b": 1, "m~n": 2, "~1": 3, "": 4, "x": {"": {"y": 5}},
  "list": [10, 20, 30]
})";

void TestAppDefinition::pointerGet_data()
{
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QJsonValue>("expected");

    const QJsonValue undefined(QJsonValue::Undefined);
    QTest::newRow("top-level") << s("/id") << QJsonValue(s("/web"));
    QTest::newRow("nested") << s("/container/docker/image") << QJsonValue(s("nginx"));
    QTest::newRow("array index") << s("/container/portMappings/0/containerPort") << QJsonValue(80);
    QTest::newRow("second element")
        << s("/container/portMappings/1/name") << QJsonValue(s("https"));
    QTest::newRow("scalar in array") << s("/list/2") << QJsonValue(30);
    QTest::newRow("~1 is a slash") << s("/a~1b") << QJsonValue(1);
    QTest::newRow("~0 is a tilde") << s("/m~0n") << QJsonValue(2);
    QTest::newRow("~01 is ~1, not a slash") << s("/~01") << QJsonValue(3);
    QTest::newRow("empty key") << s("/") << QJsonValue(4);
    QTest::newRow("empty key in the middle") << s("/x//y") << QJsonValue(5);
    QTest::newRow("without leading slash") << s("container/docker/image") << QJsonValue(s("nginx"));
    QTest::newRow("missing key") << s("/nope") << undefined;
    QTest::newRow("missing nested") << s("/container/docker/network") << undefined;
    QTest::newRow("index past end") << s("/list/3") << undefined;
    QTest::newRow("leading zero is no index") << s("/list/01") << undefined;
    QTest::newRow("dash is no element") << s("/list/-") << undefined;
    QTest::newRow("key into scalar") << s("/id/x") << undefined;
    QTest::newRow("key into array") << s("/list/x") << undefined;
}

void TestAppDefinition::pointerGet()
{
    QFETCH(QString, pointer);
    QFETCH(QJsonValue, expected);
    const AppDefinition app(obj(kPointerDoc));
    QCOMPARE(app.value(pointer), expected);
    QCOMPARE(app.value(QString()), QJsonValue(app.json())); // "" is the whole document
}

void TestAppDefinition::pointerSet_data()
{
    QTest::addColumn<QString>("before");
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QString>("after");

    QTest::newRow("replace top-level") << s(R"({"id": "/a", "cpus": 1})") << s("/cpus")
                                       << QJsonValue(0.5) << s(R"({"id": "/a", "cpus": 0.5})");
    QTest::newRow("creates parent objects")
        << s(R"({"id": "/a"})") << s("/container/docker/image") << QJsonValue(s("nginx"))
        << s(R"({"id": "/a", "container": {"docker": {"image": "nginx"}}})");
    QTest::newRow("keeps siblings")
        << s(R"({"container": {"type": "DOCKER", "docker": {"x": 1}}})")
        << s("/container/docker/image") << QJsonValue(s("nginx"))
        << s(R"({"container": {"type": "DOCKER", "docker": {"x": 1, "image": "nginx"}}})");
    QTest::newRow("array element field")
        << s(R"({"container": {"portMappings": [{"containerPort": 80, "k": 1}]}})")
        << s("/container/portMappings/0/containerPort") << QJsonValue(8080)
        << s(R"({"container": {"portMappings": [{"containerPort": 8080, "k": 1}]}})");
    QTest::newRow("index == size appends")
        << s(R"({"ports": [1]})") << s("/ports/1") << QJsonValue(2) << s(R"({"ports": [1, 2]})");
    QTest::newRow("dash appends") << s(R"({"ports": [1]})") << s("/ports/-") << QJsonValue(2)
                                  << s(R"({"ports": [1, 2]})");
    QTest::newRow("missing array is created for an index")
        << s(R"({"container": {}})") << s("/container/portMappings/0/containerPort")
        << QJsonValue(80) << s(R"({"container": {"portMappings": [{"containerPort": 80}]}})");
    QTest::newRow("index past end pads with null")
        << s(R"({"ports": []})") << s("/ports/2") << QJsonValue(9)
        << s(R"({"ports": [null, null, 9]})");
    QTest::newRow("escaped keys") << s(R"({})") << s("/labels/a~1b~0c") << QJsonValue(s("v"))
                                  << s(R"({"labels": {"a/b~c": "v"}})");
    QTest::newRow("scalar parent replaced by object")
        << s(R"({"env": "oops"})") << s("/env/A") << QJsonValue(s("1"))
        << s(R"({"env": {"A": "1"}})");
    QTest::newRow("numeric key in an object stays a key")
        << s(R"({"labels": {}})") << s("/labels/0") << QJsonValue(s("zero"))
        << s(R"({"labels": {"0": "zero"}})");
    QTest::newRow("set an object") << s(R"({})") << s("/upgradeStrategy")
                                   << QJsonValue(QJsonObject{{s("minimumHealthCapacity"), 0.5}})
                                   << s(R"({"upgradeStrategy": {"minimumHealthCapacity": 0.5}})");
}

void TestAppDefinition::pointerSet()
{
    QFETCH(QString, before);
    QFETCH(QString, pointer);
    QFETCH(QJsonValue, value);
    QFETCH(QString, after);
    AppDefinition app(obj(before.toUtf8().constData()));
    app.setValue(pointer, value);
    QCOMPARE(app.json(), obj(after.toUtf8().constData()));
    if (!pointer.endsWith(QLatin1Char('-')))
        QCOMPARE(app.value(pointer), value);
}

void TestAppDefinition::pointerRemove_data()
{
    QTest::addColumn<QString>("before");
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QString>("after");

    QTest::newRow("top-level") << s(R"({"id": "/a", "cmd": "x"})") << s("/cmd")
                               << s(R"({"id": "/a"})");
    QTest::newRow("prunes parents left empty")
        << s(R"({"id": "/a", "container": {"docker": {"image": "x"}}})")
        << s("/container/docker/image") << s(R"({"id": "/a"})");
    QTest::newRow("keeps parents with other keys")
        << s(R"({"container": {"type": "DOCKER", "docker": {"image": "x"}}})")
        << s("/container/docker/image") << s(R"({"container": {"type": "DOCKER"}})");
    QTest::newRow("array element shifts the rest")
        << s(R"({"ports": [1, 2, 3]})") << s("/ports/0") << s(R"({"ports": [2, 3]})");
    QTest::newRow("last array element leaves []")
        << s(R"({"ports": [1]})") << s("/ports/0") << s(R"({"ports": []})");
    QTest::newRow("field of an array element")
        << s(R"({"pm": [{"a": 1, "b": 2}]})") << s("/pm/0/a") << s(R"({"pm": [{"b": 2}]})");
    QTest::newRow("element emptied stays in place")
        << s(R"({"pm": [{"a": 1}, {"b": 2}]})") << s("/pm/0/a") << s(R"({"pm": [{}, {"b": 2}]})");
    QTest::newRow("escaped key") << s(R"({"labels": {"a/b": "1", "c": "2"}})") << s("/labels/a~1b")
                                 << s(R"({"labels": {"c": "2"}})");
    QTest::newRow("missing key is a no-op")
        << s(R"({"id": "/a"})") << s("/container/docker/image") << s(R"({"id": "/a"})");
    QTest::newRow("index past end is a no-op")
        << s(R"({"ports": [1]})") << s("/ports/4") << s(R"({"ports": [1]})");
}

void TestAppDefinition::pointerRemove()
{
    QFETCH(QString, before);
    QFETCH(QString, pointer);
    QFETCH(QString, after);
    AppDefinition app(obj(before.toUtf8().constData()));
    app.remove(pointer);
    QCOMPARE(app.json(), obj(after.toUtf8().constData()));
}

void TestAppDefinition::pointerSplitJoin_data()
{
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QStringList>("tokens");

    QTest::newRow("whole document") << QString() << QStringList();
    QTest::newRow("empty key") << s("/") << QStringList{QString()};
    QTest::newRow("plain") << s("/container/portMappings/0")
                           << QStringList{s("container"), s("portMappings"), s("0")};
    QTest::newRow("escapes") << s("/a~1b/m~0n/~01") << QStringList{s("a/b"), s("m~n"), s("~1")};
}

void TestAppDefinition::pointerSplitJoin()
{
    QFETCH(QString, pointer);
    QFETCH(QStringList, tokens);
    QCOMPARE(AppDefinition::splitPointer(pointer), tokens);
    QCOMPARE(AppDefinition::joinPointer(tokens), pointer);
}

// ---- forms ----------------------------------------------------------------------------------

Q_DECLARE_METATYPE(NetworkForm)
Q_DECLARE_METATYPE(NetworkMode)

static const char *kLegacyBridge = R"({"id": "/web", "container": {"type": "DOCKER",
  "docker": {"image": "nginx", "network": "BRIDGE", "portMappings": [
    {"containerPort": 80, "hostPort": 0, "servicePort": 10000, "protocol": "tcp", "name": "http"},
    {"containerPort": 53, "hostPort": 5353, "protocol": "udp,tcp", "name": "dns"}]}}})";
static const char *kModernBridge = R"({"id": "/web", "networks": [{"mode": "container/bridge"}],
  "container": {"type": "DOCKER", "docker": {"image": "nginx"}, "portMappings": [
    {"containerPort": 80, "hostPort": 0, "servicePort": 10000, "protocol": "tcp", "name": "http"},
    {"containerPort": 53, "hostPort": 5353, "protocol": "udp,tcp", "name": "dns"}]}})";
static const char *kLegacyUser = R"({"id": "/web", "container": {"type": "DOCKER",
  "docker": {"image": "nginx", "network": "USER", "portMappings": [{"containerPort": 80}]}},
  "ipAddress": {"networkName": "overlay"}})";
static const char *kModernContainer = R"({"id": "/web",
  "networks": [{"mode": "container", "name": "overlay"}],
  "container": {"type": "DOCKER", "docker": {"image": "nginx"},
                "portMappings": [{"containerPort": 80}]}})";
static const char *kLegacyHostPorts = R"({"id": "/web", "cmd": "run", "ports": [8080, 0]})";
static const char *kModernHostDefinitions = R"({"id": "/web", "cmd": "run",
  "portDefinitions": [{"port": 8080}, {"port": 0}]})";
static const char *kLegacyDockerHost = R"({"id": "/web", "container": {"type": "DOCKER",
  "docker": {"image": "nginx", "network": "HOST"}}, "ports": [8080, 0]})";
static const char *kModernExplicitHost = R"({"id": "/web", "networks": [{"mode": "host"}],
  "container": {"type": "MESOS", "docker": {"image": "nginx"}},
  "portDefinitions": [{"port": 8080}, {"port": 0}]})";

void TestAppDefinition::bothFormsReadTheSame_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<NetworkForm>("form");
    QTest::addColumn<NetworkMode>("mode");
    QTest::addColumn<QString>("group"); // rows of one group must read the same ports

    QTest::newRow("legacy bridge")
        << s(kLegacyBridge) << NetworkForm::Legacy << NetworkMode::Bridge << s("bridge");
    QTest::newRow("modern bridge")
        << s(kModernBridge) << NetworkForm::Modern << NetworkMode::Bridge << s("bridge");
    QTest::newRow("legacy USER") << s(kLegacyUser) << NetworkForm::Legacy << NetworkMode::Container
                                 << s("user");
    QTest::newRow("modern container")
        << s(kModernContainer) << NetworkForm::Modern << NetworkMode::Container << s("user");
    QTest::newRow("legacy ports") << s(kLegacyHostPorts) << NetworkForm::Legacy << NetworkMode::Host
                                  << s("host");
    QTest::newRow("modern portDefinitions")
        << s(kModernHostDefinitions) << NetworkForm::Modern << NetworkMode::Host << s("host");
    QTest::newRow("legacy docker HOST")
        << s(kLegacyDockerHost) << NetworkForm::Legacy << NetworkMode::Host << s("host");
    QTest::newRow("modern explicit host")
        << s(kModernExplicitHost) << NetworkForm::Modern << NetworkMode::Host << s("host");
    QTest::newRow("blank") << s(R"({"id": "/web", "cmd": "x"})") << NetworkForm::Unspecified
                           << NetworkMode::Host << s("none");
    QTest::newRow("legacy NONE is host")
        << s(R"({"container": {"docker": {"image": "x", "network": "NONE"}}})")
        << NetworkForm::Legacy << NetworkMode::Host << s("none");
    QTest::newRow("network without mode is container")
        << s(R"({"networks": [{"name": "overlay"}]})") << NetworkForm::Modern
        << NetworkMode::Container << s("none");
}

void TestAppDefinition::bothFormsReadTheSame()
{
    QFETCH(QString, json);
    QFETCH(NetworkForm, form);
    QFETCH(NetworkMode, mode);
    QFETCH(QString, group);
    const AppDefinition app(obj(json.toUtf8().constData()));
    QCOMPARE(app.networkForm(), form);
    QCOMPARE(app.networkMode(), mode);

    const QList<PortMapping> ports = app.portMappings();
    if (group == QLatin1String("bridge")) {
        QCOMPARE(ports.size(), 2);
        QCOMPARE(ports.at(0).containerPort, 80);
        QCOMPARE(ports.at(0).hostPort, 0);
        QCOMPARE(ports.at(0).servicePort, 10000);
        QCOMPARE(ports.at(0).protocol, s("tcp"));
        QCOMPARE(ports.at(0).name, s("http"));
        QCOMPARE(ports.at(1).containerPort, 53);
        QCOMPARE(ports.at(1).hostPort, 5353);
        QCOMPARE(ports.at(1).servicePort, 0);
        QCOMPARE(ports.at(1).protocol, s("udp,tcp"));
        QVERIFY(ports.at(1).extra.isEmpty());
    } else if (group == QLatin1String("user")) {
        QCOMPARE(ports.size(), 1);
        QCOMPARE(ports.at(0).containerPort, 80);
    } else if (group == QLatin1String("host")) {
        QCOMPARE(ports.size(), 2);
        QCOMPARE(ports.at(0).hostPort, 8080);
        QCOMPARE(ports.at(1).hostPort, 0);
        QCOMPARE(ports.at(0).containerPort, 0);
    } else {
        QVERIFY(ports.isEmpty());
    }
}

void TestAppDefinition::setNetworkModeKeepsForm_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<NetworkMode>("mode");
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QJsonValue>("expected");
    QTest::addColumn<QString>("absent");

    QTest::newRow("legacy bridge -> host")
        << s(kLegacyBridge) << NetworkMode::Host << s("/container/docker/network")
        << QJsonValue(s("HOST")) << s("/networks");
    QTest::newRow("legacy bridge -> user")
        << s(kLegacyBridge) << NetworkMode::Container << s("/container/docker/network")
        << QJsonValue(s("USER")) << s("/networks");
    QTest::newRow("legacy ports -> bridge")
        << s(kLegacyHostPorts) << NetworkMode::Bridge << s("/container/docker/network")
        << QJsonValue(s("BRIDGE")) << s("/networks");
    QTest::newRow("modern bridge -> host")
        << s(kModernBridge) << NetworkMode::Host << s("/networks/0/mode") << QJsonValue(s("host"))
        << s("/container/docker/network");
    QTest::newRow("modern container -> bridge drops the name")
        << s(kModernContainer) << NetworkMode::Bridge << s("/networks/0/mode")
        << QJsonValue(s("container/bridge")) << s("/networks/0/name");
    QTest::newRow("modern bridge -> container")
        << s(kModernBridge) << NetworkMode::Container << s("/networks/0/mode")
        << QJsonValue(s("container")) << s("/container/docker/network");
    QTest::newRow("modern portDefinitions -> bridge")
        << s(kModernHostDefinitions) << NetworkMode::Bridge << s("/networks/0/mode")
        << QJsonValue(s("container/bridge")) << s("/container/docker/network");
    QTest::newRow("blank with docker takes the tutorial's form")
        << s(R"({"id": "/a", "container": {"type": "DOCKER", "docker": {"image": "x"}}})")
        << NetworkMode::Bridge << s("/container/docker/network") << QJsonValue(s("BRIDGE"))
        << s("/networks");
    QTest::newRow("blank without docker takes the modern form")
        << s(R"({"id": "/a", "cmd": "x"})") << NetworkMode::Bridge << s("/networks/0/mode")
        << QJsonValue(s("container/bridge")) << s("/container");
    QTest::newRow("network labels kept")
        << s(R"({"networks": [{"mode": "container", "name": "n", "labels": {"k": "v"}}]})")
        << NetworkMode::Container << s("/networks/0/labels/k") << QJsonValue(s("v"))
        << s("/networks/1");
}

void TestAppDefinition::setNetworkModeKeepsForm()
{
    QFETCH(QString, json);
    QFETCH(NetworkMode, mode);
    QFETCH(QString, pointer);
    QFETCH(QJsonValue, expected);
    QFETCH(QString, absent);
    AppDefinition app(obj(json.toUtf8().constData()));
    const NetworkForm formBefore = app.networkForm();
    const QList<PortMapping> portsBefore = app.portMappings();
    app.setNetworkMode(mode);
    QCOMPARE(app.value(pointer), expected);
    QVERIFY2(app.value(absent).isUndefined(), app.toJson().constData());
    QCOMPARE(app.networkMode(), mode);
    if (formBefore != NetworkForm::Unspecified)
        QCOMPARE(app.networkForm(), formBefore);
    QCOMPARE(app.portMappings().size(), portsBefore.size()); // ports are left alone
}

void TestAppDefinition::setPortMappingsKeepsForm_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("pointer"); // the array the ports must land in
    QTest::addColumn<QStringList>("absent");

    QTest::newRow("legacy docker.portMappings")
        << s(kLegacyBridge) << s("/container/docker/portMappings")
        << QStringList{s("/container/portMappings"), s("/portDefinitions"), s("/ports")};
    QTest::newRow("modern container.portMappings")
        << s(kModernBridge) << s("/container/portMappings")
        << QStringList{s("/container/docker/portMappings"), s("/portDefinitions")};
    QTest::newRow("legacy USER") << s(kLegacyUser) << s("/container/docker/portMappings")
                                 << QStringList{s("/container/portMappings")};
    QTest::newRow("modern portDefinitions") << s(kModernHostDefinitions) << s("/portDefinitions")
                                            << QStringList{s("/ports"), s("/container")};
    QTest::newRow("legacy bridge without mappings")
        << s(R"({"id": "/a", "container": {"docker": {"image": "x", "network": "BRIDGE"}}})")
        << s("/container/docker/portMappings") << QStringList{s("/container/portMappings")};
    QTest::newRow("modern bridge without mappings")
        << s(R"({"id": "/a", "networks": [{"mode": "container/bridge"}],
                 "container": {"docker": {"image": "x"}}})")
        << s("/container/portMappings") << QStringList{s("/container/docker/portMappings")};
    QTest::newRow("blank host app gets portDefinitions")
        << s(R"({"id": "/a", "cmd": "x"})") << s("/portDefinitions")
        << QStringList{s("/ports"), s("/container")};
}

void TestAppDefinition::setPortMappingsKeepsForm()
{
    QFETCH(QString, json);
    QFETCH(QString, pointer);
    QFETCH(QStringList, absent);
    AppDefinition app(obj(json.toUtf8().constData()));
    const NetworkMode mode = app.networkMode();

    PortMapping web;
    web.containerPort = 8080;
    web.hostPort = mode == NetworkMode::Host ? 9000 : 0;
    web.servicePort = 10080;
    web.name = s("web");
    web.protocol = s("udp");
    web.labels = QJsonObject{{s("VIP_0"), s("10.0.0.1:80")}};
    app.setPortMappings({web});

    QVERIFY2(app.value(pointer).isArray(), app.toJson().constData());
    QCOMPARE(app.value(pointer).toArray().size(), 1);
    for (const QString &p : absent)
        QVERIFY2(app.value(p).isUndefined(),
                 qPrintable(p + s(" in ") + QString::fromUtf8(app.toJson())));
    QCOMPARE(app.networkMode(), mode);

    const QList<PortMapping> back = app.portMappings();
    QCOMPARE(back.size(), 1);
    QCOMPARE(back.at(0).name, s("web"));
    QCOMPARE(back.at(0).protocol, s("udp"));
    QCOMPARE(back.at(0).labels, web.labels);
    if (mode == NetworkMode::Host) {
        QCOMPARE(back.at(0).hostPort, 9000);
    } else {
        QCOMPARE(back.at(0).containerPort, 8080);
        QCOMPARE(back.at(0).servicePort, 10080);
    }
}

// ---- unknown fields -------------------------------------------------------------------------

using Setter = std::function<void(AppDefinition &)>;
Q_DECLARE_METATYPE(Setter)

void TestAppDefinition::unknownFieldsSurviveEverySetter_data()
{
    QTest::addColumn<Setter>("apply");
    QTest::newRow("setId") << Setter([](AppDefinition &a) { a.setId(s("/shop/web2")); });
    QTest::newRow("setImage") << Setter([](AppDefinition &a) { a.setImage(s("nginx:1.25")); });
    QTest::newRow("setNetworkMode") << Setter([](AppDefinition &a) {
        a.setNetworkMode(NetworkMode::Container);
        a.setNetworkMode(NetworkMode::Bridge);
    });
    QTest::newRow("setPortMappings same ports")
        << Setter([](AppDefinition &a) { a.setPortMappings(a.portMappings()); });
    QTest::newRow("setPortMappings edited from scratch") << Setter([](AppDefinition &a) {
        // The editor may build fresh structs: the mappings' unknown keys must still survive.
        PortMapping http;
        http.containerPort = 8080;
        PortMapping https;
        https.containerPort = 8443;
        https.name = s("https");
        a.setPortMappings({http, https});
    });
    QTest::newRow("setPortMappings with more ports") << Setter([](AppDefinition &a) {
        QList<PortMapping> ports = a.portMappings();
        PortMapping extra;
        extra.containerPort = 9000;
        ports.append(extra);
        a.setPortMappings(ports);
    });
    QTest::newRow("setCpus") << Setter([](AppDefinition &a) { a.setCpus(2); });
    QTest::newRow("setMem") << Setter([](AppDefinition &a) { a.setMem(512); });
    QTest::newRow("setDisk") << Setter([](AppDefinition &a) { a.setDisk(10); });
    QTest::newRow("setInstances") << Setter([](AppDefinition &a) { a.setInstances(5); });
    QTest::newRow("setCmd") << Setter([](AppDefinition &a) { a.setCmd(s("nginx")); });
    QTest::newRow("setEnv") << Setter([](AppDefinition &a) {
        a.setEnv({{s("MODE"), s("dev")}, {s("NEW"), s("1")}});
    });
    QTest::newRow("setLabels") << Setter([](AppDefinition &a) {
        a.setLabels({{s("team"), s("web")}});
    });
    QTest::newRow("setConstraints") << Setter([](AppDefinition &a) {
        a.setConstraints({{s("rack"), s("GROUP_BY"), s("3")}});
    });
    QTest::newRow("setHealthChecks same")
        << Setter([](AppDefinition &a) { a.setHealthChecks(a.healthChecks()); });
    QTest::newRow("setHealthChecks edited from scratch") << Setter([](AppDefinition &a) {
        HealthCheck h;
        h.protocol = s("TCP");
        h.portIndex = 1;
        a.setHealthChecks({h});
    });
    QTest::newRow("setUpgradeStrategy")
        << Setter([](AppDefinition &a) { a.setUpgradeStrategy(0.0, 0.2); });
    QTest::newRow("every setter") << Setter([](AppDefinition &a) {
        a.setId(s("/x"));
        a.setImage(s("y"));
        a.setNetworkMode(NetworkMode::Bridge);
        a.setPortMappings(a.portMappings());
        a.setCpus(1);
        a.setMem(1);
        a.setDisk(1);
        a.setInstances(1);
        a.setCmd(s("z"));
        a.setEnv({});
        a.setLabels({});
        a.setConstraints({});
        a.setHealthChecks(a.healthChecks());
        a.setUpgradeStrategy(1, 1);
    });
}

void TestAppDefinition::unknownFieldsSurviveEverySetter()
{
    QFETCH(Setter, apply);
    const QJsonObject original = fixture("unknown-fields.json");
    QVERIFY(!original.isEmpty());
    AppDefinition app(original);
    apply(app);

    // Each unknown key, at top level, in container, docker, mappings and checks.
    const QList<QPair<QString, QJsonValue>> unknown = {
        {s("/x-top"), original.value(s("x-top"))},
        {s("/container/x-container"), QJsonValue(s("kept"))},
        {s("/container/docker/x-docker"), QJsonValue(QJsonObject{{s("deep"), true}})},
        {s("/container/docker/portMappings/0/x-mapping"), QJsonValue(s("m0"))},
        {s("/container/docker/portMappings/0/networkNames"), QJsonValue(QJsonArray{s("a")})},
        {s("/container/docker/portMappings/1/x-mapping"), QJsonValue(7)},
        {s("/healthChecks/0/x-check"), QJsonValue(QJsonObject{{s("why"), s("lb")}})},
        {s("/healthChecks/0/ignoreHttp1xx"), QJsonValue(true)},
        {s("/upgradeStrategy/x-upgrade"), QJsonValue(1)},
        {s("/secrets/db/source"), QJsonValue(s("/shop/db"))},
        {s("/env/DB_PASSWORD/secret"), QJsonValue(s("db"))},
    };
    for (const auto &u : unknown)
        QVERIFY2(app.value(u.first) == u.second,
                 qPrintable(u.first + s(" lost in\n") + QString::fromUtf8(app.toJson())));
}

// ---- other accessors ------------------------------------------------------------------------

void TestAppDefinition::simpleAccessors_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<double>("cpus");
    QTest::addColumn<double>("mem");
    QTest::addColumn<double>("disk");
    QTest::addColumn<int>("instances");
    QTest::addColumn<double>("minHealth");
    QTest::addColumn<double>("maxOver");
    QTest::addColumn<QString>("image");

    QTest::newRow("Marathon defaults when missing")
        << s(R"({"id": "/a"})") << 1.0 << 128.0 << 0.0 << 1 << 1.0 << 1.0 << QString();
    QTest::newRow("tutorial") << s(R"({"id": "nginx", "cpus": 0.2, "mem": 256.0, "instances": 1,
        "container": {"docker": {"image": "library/nginx:1.7.9"}}})")
                              << 0.2 << 256.0 << 0.0 << 1 << 1.0 << 1.0 << s("library/nginx:1.7.9");
    QTest::newRow("all set") << s(R"({"cpus": 2, "mem": 64, "disk": 5, "instances": 0,
        "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0}})")
                             << 2.0 << 64.0 << 5.0 << 0 << 0.5 << 0.0 << QString();
    QTest::newRow("wrong types read as defaults")
        << s(R"({"cpus": "abc", "mem": null, "instances": "3"})") << 1.0 << 128.0 << 0.0 << 1 << 1.0
        << 1.0 << QString();
}

void TestAppDefinition::simpleAccessors()
{
    QFETCH(QString, json);
    QFETCH(double, cpus);
    QFETCH(double, mem);
    QFETCH(double, disk);
    QFETCH(int, instances);
    QFETCH(double, minHealth);
    QFETCH(double, maxOver);
    QFETCH(QString, image);
    AppDefinition app(obj(json.toUtf8().constData()));
    QCOMPARE(app.cpus(), cpus);
    QCOMPARE(app.mem(), mem);
    QCOMPARE(app.disk(), disk);
    QCOMPARE(app.instances(), instances);
    QCOMPARE(app.minimumHealthCapacity(), minHealth);
    QCOMPARE(app.maximumOverCapacity(), maxOver);
    QCOMPARE(app.image(), image);

    app.setCpus(0.25);
    app.setMem(32);
    app.setDisk(1.5);
    app.setInstances(3);
    app.setUpgradeStrategy(0.25, 0.75);
    QCOMPARE(app.cpus(), 0.25);
    QCOMPARE(app.mem(), 32.0);
    QCOMPARE(app.disk(), 1.5);
    QCOMPARE(app.instances(), 3);
    QCOMPARE(app.minimumHealthCapacity(), 0.25);
    QCOMPARE(app.maximumOverCapacity(), 0.75);
}

void TestAppDefinition::setEnvKeepsSecrets()
{
    AppDefinition app(obj(R"({"env": {"A": "1", "B": "2", "PW": {"secret": "pw"}}})"));
    QCOMPARE(app.env(), (QMap<QString, QString>{{s("A"), s("1")}, {s("B"), s("2")}}));
    app.setEnv({{s("A"), s("10")}, {s("C"), s("3")}});
    QCOMPARE(app.json().value(s("env")).toObject(),
             obj(R"({"A": "10", "C": "3", "PW": {"secret": "pw"}})"));
    app.setEnv({});
    QCOMPARE(app.json().value(s("env")).toObject(), obj(R"({"PW": {"secret": "pw"}})"));

    AppDefinition labels(obj(R"({"labels": {"a": "1"}})"));
    labels.setLabels({{s("b"), s("2")}});
    QCOMPARE(labels.labels(), (QMap<QString, QString>{{s("b"), s("2")}}));
    labels.setLabels({});
    QVERIFY(!labels.json().contains(s("labels")));
}

void TestAppDefinition::healthChecksRoundTrip()
{
    AppDefinition app(obj(R"({"healthChecks": [
        {"path": "/health", "portIndex": 0},
        {"protocol": "COMMAND", "command": {"value": "true", "shell": "sh"}, "intervalSeconds": 5},
        {"protocol": "TCP", "port": 8080, "timeoutSeconds": 20}]})"));
    const QList<HealthCheck> checks = app.healthChecks();
    QCOMPARE(checks.size(), 3);
    QCOMPARE(checks.at(0).protocol, s("HTTP")); // Marathon's default protocol
    QCOMPARE(checks.at(0).path, s("/health"));
    QCOMPARE(checks.at(0).portIndex, 0);
    QCOMPARE(checks.at(0).port, -1);
    QCOMPARE(checks.at(0).gracePeriodSeconds, 300);
    QCOMPARE(checks.at(1).command, s("true"));
    QCOMPARE(checks.at(1).intervalSeconds, 5);
    QCOMPARE(checks.at(1).portIndex, -1);
    QCOMPARE(checks.at(2).port, 8080);

    const QJsonObject before = app.json();
    app.setHealthChecks(checks);
    QCOMPARE(app.json(), before); // reading and writing back changes nothing

    QList<HealthCheck> edited = checks;
    edited[1].command = s("false");
    edited[2].port = -1;
    edited[2].portIndex = 0;
    edited[0].maxConsecutiveFailures = 0;
    app.setHealthChecks(edited);
    QCOMPARE(app.value(s("/healthChecks/1/command")).toObject(),
             obj(R"({"value": "false", "shell": "sh"})"));
    QVERIFY(app.value(s("/healthChecks/2/port")).isUndefined());
    QCOMPARE(app.value(s("/healthChecks/2/portIndex")), QJsonValue(0));
    QCOMPARE(app.value(s("/healthChecks/0/maxConsecutiveFailures")), QJsonValue(0));
    QVERIFY(app.value(s("/healthChecks/0/protocol")).isUndefined()); // still implicit

    app.setHealthChecks({edited.at(2)});
    QCOMPARE(app.json().value(s("healthChecks")).toArray().size(), 1);
    // Matched by index: the old first check's unknown keys would stay; the protocol is new.
    QCOMPARE(app.value(s("/healthChecks/0/protocol")), QJsonValue(s("TCP")));
    QCOMPARE(app.value(s("/healthChecks/0/port")), QJsonValue(QJsonValue::Undefined));
}

void TestAppDefinition::emptySettersRemoveKeys()
{
    AppDefinition app(obj(R"({"id": "/a", "cmd": "x", "constraints": [["a", "UNIQUE"]],
        "healthChecks": [{}], "container": {"docker": {"image": "nginx"}}})"));
    app.setId(QString());
    app.setCmd(QString());
    app.setConstraints({});
    app.setHealthChecks({});
    app.setImage(QString());
    QCOMPARE(app.json(), QJsonObject());

    AppDefinition blank;
    blank.setImage(s("nginx"));
    QCOMPARE(blank.json(),
             obj(R"({"container": {"type": "DOCKER", "docker": {"image": "nginx"}}})"));
    AppDefinition mesos(obj(R"({"container": {"type": "MESOS"}})"));
    mesos.setImage(s("nginx"));
    QCOMPARE(mesos.value(s("/container/type")), QJsonValue(s("MESOS")));

    AppDefinition constraints;
    constraints.setConstraints({{s("hostname"), s("UNIQUE")}, {s("rack"), s("LIKE"), s("r[0-9]")}});
    QCOMPARE(constraints.json(),
             obj(R"({"constraints": [["hostname", "UNIQUE"], ["rack", "LIKE", "r[0-9]"]]})"));
    QCOMPARE(constraints.constraints().at(1), (QStringList{s("rack"), s("LIKE"), s("r[0-9]")}));
}

void TestAppDefinition::absoluteId_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("absolute");
    QTest::newRow("relative") << s("nginx") << s("/nginx");
    QTest::newRow("absolute") << s("/nginx") << s("/nginx");
    QTest::newRow("nested relative") << s("shop/web") << s("/shop/web");
    QTest::newRow("trailing and double slashes") << s("//shop//web/") << s("/shop/web");
    QTest::newRow("dot segments resolved") << s("shop/./x/../web") << s("/shop/web");
    QTest::newRow("above root stays at root") << s("../web") << s("/web");
    QTest::newRow("missing") << QString() << QString();
}

void TestAppDefinition::absoluteId()
{
    QFETCH(QString, id);
    QFETCH(QString, absolute);
    AppDefinition app;
    app.setId(id);
    QCOMPARE(app.absoluteId(), absolute);
}

// ---- defaults and comparison ----------------------------------------------------------------

void TestAppDefinition::withDefaultsTutorial()
{
    const QJsonObject def = tutorialNginx();
    QVERIFY(!def.isEmpty());
    const AppDefinition filled(AppDefinition(def).withDefaults());
    // What the tutorial's server answered, in the tutorial's (legacy) form.
    const QList<QPair<const char *, QJsonValue>> expected = {
        {"/id", s("/nginx")},
        {"/cpus", 0.2},
        {"/mem", 256},
        {"/disk", 0},
        {"/gpus", 0},
        {"/instances", 1},
        {"/executor", QString()},
        {"/env", QJsonObject()},
        {"/labels", QJsonObject()},
        {"/constraints", QJsonArray()},
        {"/healthChecks", QJsonArray()},
        {"/dependencies", QJsonArray()},
        {"/fetch", QJsonArray()},
        {"/requirePorts", false},
        {"/backoffSeconds", 1},
        {"/backoffFactor", 1.15},
        {"/maxLaunchDelaySeconds", 300},
        {"/killSelection", s("YOUNGEST_FIRST")},
        {"/unreachableStrategy/inactiveAfterSeconds", 0},
        {"/unreachableStrategy/expungeAfterSeconds", 0},
        {"/upgradeStrategy/minimumHealthCapacity", 1},
        {"/upgradeStrategy/maximumOverCapacity", 1},
        {"/container/type", s("DOCKER")},
        {"/container/volumes", QJsonArray()},
        {"/container/docker/image", s("library/nginx:1.7.9")},
        {"/container/docker/network", s("BRIDGE")},
        {"/container/docker/privileged", false},
        {"/container/docker/forcePullImage", false},
        {"/container/docker/parameters", QJsonArray()},
        {"/container/docker/portMappings/0/containerPort", 80},
        {"/container/docker/portMappings/0/hostPort", 0},
        {"/container/docker/portMappings/0/servicePort", 80},
        {"/container/docker/portMappings/0/protocol", s("tcp")},
    };
    for (const auto &e : expected)
        QVERIFY2(filled.value(s(e.first)) == e.second,
                 qPrintable(s(e.first) + s(" in\n") + QString::fromUtf8(filled.toJson())));
    // Still the legacy form: no networks, no port definitions for a bridged app.
    QVERIFY(filled.value(s("/networks")).isUndefined());
    QVERIFY(filled.value(s("/portDefinitions")).isUndefined());
    QVERIFY(filled.value(s("/container/portMappings")).isUndefined());
    QCOMPARE(filled.networkForm(), NetworkForm::Legacy);
    // Defaults of defaults change nothing.
    QCOMPARE(AppDefinition(filled.json()).withDefaults(), filled.json());
}

void TestAppDefinition::withDefaults_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QJsonValue>("expected");

    const char *host = R"({"id": "web", "cmd": "run"})";
    QTest::newRow("host app gets one default port")
        << s(host) << s("/portDefinitions")
        << QJsonValue(QJsonArray{QJsonObject{{s("port"), 0},
                                             {s("protocol"), s("tcp")},
                                             {s("name"), s("default")},
                                             {s("labels"), QJsonObject()}}});
    QTest::newRow("host app networks")
        << s(host) << s("/networks") << QJsonValue(QJsonArray{QJsonObject{{s("mode"), s("host")}}});
    QTest::newRow("explicit no ports stays empty")
        << s(R"({"id": "a", "cmd": "x", "portDefinitions": []})") << s("/portDefinitions")
        << QJsonValue(QJsonArray());
    QTest::newRow("legacy ports kept") << s(R"({"id": "a", "cmd": "x", "ports": [8080]})")
                                       << s("/ports") << QJsonValue(QJsonArray{8080});
    QTest::newRow("port definition protocol")
        << s(R"({"id": "a", "cmd": "x", "portDefinitions": [{"port": 80}]})")
        << s("/portDefinitions/0/protocol") << QJsonValue(s("tcp"));
    QTest::newRow("user mode: no hostPort default")
        << s(kModernContainer) << s("/container/portMappings/0/hostPort")
        << QJsonValue(QJsonValue::Undefined);
    QTest::newRow("bridge mode: hostPort 0")
        << s(R"({"id": "a", "networks": [{"mode": "container/bridge"}],
                 "container": {"docker": {"image": "x"}, "portMappings": [{"containerPort": 80}]}})")
        << s("/container/portMappings/0/hostPort") << QJsonValue(0);
    QTest::newRow("bridge without mappings gets the default mapping")
        << s(R"({"id": "a", "networks": [{"mode": "container/bridge"}],
                 "container": {"docker": {"image": "x"}}})")
        << s("/container/portMappings/0/name") << QJsonValue(s("default"));
    QTest::newRow("network mode default") << s(R"({"id": "a", "networks": [{"name": "n"}]})")
                                          << s("/networks/0/mode") << QJsonValue(s("container"));
    QTest::newRow("upgradeStrategy filled around what is given")
        << s(R"({"id": "a", "upgradeStrategy": {"minimumHealthCapacity": 0.5}})")
        << s("/upgradeStrategy")
        << QJsonValue(
               QJsonObject{{s("minimumHealthCapacity"), 0.5}, {s("maximumOverCapacity"), 1}});
    QTest::newRow("given values win")
        << s(R"({"id": "a", "cmd": "x", "maxLaunchDelaySeconds": 3600})")
        << s("/maxLaunchDelaySeconds") << QJsonValue(3600);
    QTest::newRow("uris kept, no fetch added")
        << s(R"({"id": "a", "cmd": "x", "uris": ["http://x/a.tgz"]})") << s("/fetch")
        << QJsonValue(QJsonValue::Undefined);

    const char *checks = R"({"id": "a", "cmd": "x", "healthChecks": [
        {}, {"protocol": "TCP", "port": 8080}, {"protocol": "COMMAND", "command": {"value": "true"}},
        {"protocol": "MESOS_HTTPS"}]})";
    QTest::newRow("check protocol")
        << s(checks) << s("/healthChecks/0/protocol") << QJsonValue(s("HTTP"));
    QTest::newRow("check path") << s(checks) << s("/healthChecks/0/path") << QJsonValue(s("/"));
    QTest::newRow("check portIndex")
        << s(checks) << s("/healthChecks/0/portIndex") << QJsonValue(0);
    QTest::newRow("check grace") << s(checks) << s("/healthChecks/0/gracePeriodSeconds")
                                 << QJsonValue(300);
    QTest::newRow("check interval")
        << s(checks) << s("/healthChecks/0/intervalSeconds") << QJsonValue(60);
    QTest::newRow("check timeout")
        << s(checks) << s("/healthChecks/0/timeoutSeconds") << QJsonValue(20);
    QTest::newRow("check failures")
        << s(checks) << s("/healthChecks/0/maxConsecutiveFailures") << QJsonValue(3);
    QTest::newRow("TCP with port: no portIndex")
        << s(checks) << s("/healthChecks/1/portIndex") << QJsonValue(QJsonValue::Undefined);
    QTest::newRow("TCP: no path") << s(checks) << s("/healthChecks/1/path")
                                  << QJsonValue(QJsonValue::Undefined);
    QTest::newRow("COMMAND: no portIndex")
        << s(checks) << s("/healthChecks/2/portIndex") << QJsonValue(QJsonValue::Undefined);
    QTest::newRow("MESOS_HTTPS path")
        << s(checks) << s("/healthChecks/3/path") << QJsonValue(s("/"));
    QTest::newRow("no ports: no portIndex")
        << s(R"({"id": "a", "cmd": "x", "portDefinitions": [], "healthChecks": [{}]})")
        << s("/healthChecks/0/portIndex") << QJsonValue(QJsonValue::Undefined);
}

void TestAppDefinition::withDefaults()
{
    QFETCH(QString, json);
    QFETCH(QString, pointer);
    QFETCH(QJsonValue, expected);
    const AppDefinition filled(AppDefinition(obj(json.toUtf8().constData())).withDefaults());
    QVERIFY2(filled.value(pointer) == expected, filled.toJson().constData());
}

void TestAppDefinition::canonicalForm_data()
{
    QTest::addColumn<QString>("legacy");
    QTest::addColumn<QString>("modern");
    QTest::newRow("bridge") << s(kLegacyBridge) << s(kModernBridge);
    QTest::newRow("user network") << s(kLegacyUser) << s(kModernContainer);
    QTest::newRow("host ports") << s(kLegacyHostPorts)
                                << s(R"({"id": "/web", "cmd": "run", "networks": [{"mode": "host"}],
                 "portDefinitions": [{"port": 8080, "protocol": "tcp"}, {"port": 0, "protocol": "tcp"}]})");
    QTest::newRow("uris become fetch")
        << s(R"({"id": "/a", "cmd": "x", "uris": ["http://h/a.tgz"]})")
        << s(R"({"id": "/a", "cmd": "x", "networks": [{"mode": "host"}],
                 "fetch": [{"uri": "http://h/a.tgz"}]})");
}

void TestAppDefinition::canonicalForm()
{
    QFETCH(QString, legacy);
    QFETCH(QString, modern);
    const QJsonObject fromLegacy = AppDefinition(obj(legacy.toUtf8().constData())).canonicalForm();
    const QJsonObject fromModern = AppDefinition(obj(modern.toUtf8().constData())).canonicalForm();
    QCOMPARE(QJsonDocument(fromLegacy).toJson(), QJsonDocument(fromModern).toJson());
}

void TestAppDefinition::sameDeployedSpec_data()
{
    QTest::addColumn<QJsonObject>("a");
    QTest::addColumn<QJsonObject>("b");
    QTest::addColumn<bool>("same");

    const QJsonObject nginx = tutorialNginx();
    const QJsonObject running110 = runningApp("nginx-running-1.10.json");
    const QJsonObject running07 = runningApp("nginx-running-0.7.json");
    QVERIFY(!running110.isEmpty() && !running07.isEmpty());

    QTest::newRow("tutorial vs 1.10 answer") << nginx << running110 << true;
    QTest::newRow("tutorial vs 0.7 answer") << nginx << running07 << true;
    QTest::newRow("same object") << nginx << nginx << true;

    AppDefinition moreMem(nginx);
    moreMem.setMem(512);
    QTest::newRow("mem changed vs 1.10") << moreMem.json() << running110 << false;
    QTest::newRow("mem changed vs 0.7") << moreMem.json() << running07 << false;

    AppDefinition other(nginx);
    other.setImage(s("library/nginx:1.25"));
    QTest::newRow("image changed") << other.json() << running110 << false;

    AppDefinition scaled(nginx);
    scaled.setInstances(3);
    QTest::newRow("instances changed") << scaled.json() << running110 << false;

    // servicePort 0 asks Marathon to pick one; its answer carries the port it picked.
    AppDefinition askAny(nginx);
    QList<PortMapping> ports = askAny.portMappings();
    ports[0].servicePort = 0;
    askAny.setPortMappings(ports);
    AppDefinition assigned(running110);
    QList<PortMapping> assignedPorts = assigned.portMappings();
    assignedPorts[0].servicePort = 10001;
    assigned.setPortMappings(assignedPorts);
    QTest::newRow("servicePort 0 vs assigned 10001") << askAny.json() << assigned.json() << true;
    QTest::newRow("servicePort 80 vs 10001") << nginx << assigned.json() << false;

    AppDefinition containerPort(nginx);
    QList<PortMapping> cp = containerPort.portMappings();
    cp[0].containerPort = 8080;
    containerPort.setPortMappings(cp);
    QTest::newRow("containerPort changed") << containerPort.json() << running110 << false;

    QTest::newRow("host app, ports assigned")
        << obj(R"({"id": "web", "cmd": "run", "portDefinitions": [{"port": 0, "name": "http"}]})")
        << obj(R"({"id": "/web", "cmd": "run", "networks": [{"mode": "host"}],
                   "portDefinitions": [{"port": 10002, "name": "http", "protocol": "tcp", "labels": {}}],
                   "version": "2020-01-01T00:00:00Z", "tasksRunning": 1})")
        << true;
    QTest::newRow("host app, legacy ports answer")
        << obj(R"({"id": "web", "cmd": "run"})")
        << obj(R"({"id": "/web", "cmd": "run", "ports": [10000], "maxLaunchDelaySeconds": 3600,
                   "uris": [], "storeUrls": []})")
        << true;
    QTest::newRow("health checks in another order")
        << obj(R"({"id": "a", "cmd": "x", "healthChecks": [{"protocol": "TCP"}, {"path": "/h"}]})")
        << obj(R"({"id": "/a", "cmd": "x", "healthChecks": [{"path": "/h", "portIndex": 0},
                   {"protocol": "TCP", "portIndex": 0, "gracePeriodSeconds": 300}]})")
        << true;
    QTest::newRow("health check changed")
        << obj(R"({"id": "a", "cmd": "x", "healthChecks": [{"path": "/h"}]})")
        << obj(R"({"id": "/a", "cmd": "x", "healthChecks": [{"path": "/health"}]})") << false;
    QTest::newRow("env differs") << obj(R"({"id": "a", "cmd": "x", "env": {"A": "1"}})")
                                 << obj(R"({"id": "/a", "cmd": "x", "env": {"A": "2"}})") << false;
    QTest::newRow("different ids")
        << obj(R"({"id": "a", "cmd": "x"})") << obj(R"({"id": "b", "cmd": "x"})") << false;
}

void TestAppDefinition::sameDeployedSpec()
{
    QFETCH(QJsonObject, a);
    QFETCH(QJsonObject, b);
    QFETCH(bool, same);
    QCOMPARE(pier::marathon::sameDeployedSpec(a, b), same);
    QCOMPARE(pier::marathon::sameDeployedSpec(b, a), same); // symmetric
}

QTEST_GUILESS_MAIN(TestAppDefinition)
#include "tst_appdefinition.moc"
