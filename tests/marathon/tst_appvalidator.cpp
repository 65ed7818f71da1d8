// Marathon-style validation: every rule has rows that pass and rows that fail with the exact
// JSON-pointer path and (part of) Marathon's message.

#include "marathon/appdefinition.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

using namespace pier::marathon;

namespace {

QString s(const char *text)
{
    return QString::fromUtf8(text);
}

QJsonObject obj(const QByteArray &json)
{
    QJsonParseError e;
    const QJsonDocument d = QJsonDocument::fromJson(json, &e);
    if (e.error != QJsonParseError::NoError || !d.isObject())
        qFatal("bad test JSON at %d: %s", e.offset, json.constData());
    return d.object();
}

// RFC 7386 merge patch: objects merge, null deletes.
QJsonObject merged(QJsonObject base, const QJsonObject &patch)
{
    for (auto it = patch.constBegin(); it != patch.constEnd(); ++it) {
        if (it->isNull())
            base.remove(it.key());
        else if (it->isObject() && base.value(it.key()).isObject())
            base.insert(it.key(), merged(base.value(it.key()).toObject(), it->toObject()));
        else
            base.insert(it.key(), *it);
    }
    return base;
}

// A valid command app, changed by `patch`.
QJsonObject app(const char *patch)
{
    return merged(obj(R"({"id": "/app", "cmd": "sleep 1000"})"), obj(QByteArray(patch)));
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

QString dump(const QList<ValidationIssue> &issues)
{
    QString out;
    for (const ValidationIssue &i : issues)
        out += QStringLiteral("\n  %1: %2").arg(i.path, i.message);
    return out.isEmpty() ? s(" (none)") : out;
}

// Bridge and docker bases used by many rows.
const char *kDocker =
    R"({"cmd": null, "container": {"type": "DOCKER", "docker": {"image": "nginx"}}})";

} // namespace

class TestAppValidator : public QObject {
    Q_OBJECT

private slots:
    void rules_data();
    void rules();
    void templatesAndAnswersAreValid_data();
    void templatesAndAnswersAreValid();
    void sortedByPath();
    void notAnObjectMember();
};

void TestAppValidator::rules_data()
{
    QTest::addColumn<QJsonObject>("definition");
    QTest::addColumn<QString>("path");    // empty: the definition must be valid
    QTest::addColumn<QString>("message"); // a part of the message

    auto ok = [](const char *name, const QJsonObject &def) {
        QTest::newRow(name) << def << QString() << QString();
    };
    auto bad = [](const char *name, const QJsonObject &def, const char *path, const char *msg) {
        QTest::newRow(name) << def << s(path) << s(msg);
    };

    // ---- id
    ok("id absolute", app(R"({"id": "/nginx"})"));
    ok("id relative is made absolute", app(R"({"id": "nginx"})"));
    ok("id nested with dashes", app(R"({"id": "/prod/web-1/api"})"));
    ok("id with dotted segment", app(R"({"id": "/a.b.c/x"})"));
    ok("id relative with dot segments", app(R"({"id": "a/./x/../b"})"));
    ok("id reserved word not last", app(R"({"id": "/restart/app"})"));
    bad("id missing", app(R"({"id": null})"), "/id", "error.path.missing");
    bad("id not a string", app(R"({"id": 5})"), "/id", "error.expected.jsstring");
    bad("id uppercase", app(R"({"id": "/Nginx"})"), "/id", "must fully match regular expression");
    bad("id leading dash", app(R"({"id": "/-web"})"), "/id", "must fully match regular expression");
    bad("id trailing dash", app(R"({"id": "/web-"})"), "/id",
        "must fully match regular expression");
    bad("id underscore", app(R"({"id": "/my_app"})"), "/id", "must fully match regular expression");
    bad("id reserved restart", app(R"({"id": "/app/restart"})"), "/id",
        "must not end with any of the following reserved keywords: restart, tasks, versions");
    bad("id reserved tasks", app(R"({"id": "tasks"})"), "/id", "reserved keywords");
    bad("id reserved versions", app(R"({"id": "/a/versions"})"), "/id", "reserved keywords");
    bad("id root", app(R"({"id": "/"})"), "/id", "Path must contain at least one path element");
    bad("id empty", app(R"({"id": ""})"), "/id", "Path must contain at least one path element");
    bad("id only dots", app(R"({"id": "a/.."})"), "/id", "at least one path element");
    bad("id absolute with dots", app(R"({"id": "/a/../b"})"), "/id",
        "Identifier is not child of /a/... Hint: use relative paths.");
    ok("dependencies valid", app(R"({"dependencies": ["/db", "cache"]})"));
    bad("dependencies invalid", app(R"({"dependencies": ["/db", "/DB"]})"), "/dependencies/1",
        "must fully match regular expression");
    bad("dependencies not strings", app(R"({"dependencies": [1]})"), "/dependencies/0",
        "error.expected.jsstring");

    // ---- cmd / args / container
    ok("cmd only", app("{}"));
    ok("args only", app(R"({"cmd": null, "args": ["sleep", "10"]})"));
    ok("container only", app(kDocker));
    ok("cmd and container", app(R"({"container": {"docker": {"image": "nginx"}}})"));
    ok("mesos container with docker image",
       app(R"({"cmd": null, "container": {"type": "MESOS", "docker": {"image": "nginx"}}})"));
    ok("empty args with cmd", app(R"({"args": []})"));
    bad("cmd and args", app(R"({"args": ["sleep"]})"), "/",
        "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
    bad("nothing to run", app(R"({"cmd": null})"), "/",
        "must either contain one of 'cmd' or 'args'");
    bad("mesos container without image", app(R"({"cmd": null, "container": {"type": "MESOS"}})"),
        "/", "must either contain one of 'cmd' or 'args'");
    bad("cmd empty", app(R"({"cmd": ""})"), "/cmd", "must not be an empty string");
    bad("cmd not a string", app(R"({"cmd": ["sleep"]})"), "/cmd", "error.expected.jsstring");
    bad("args not an array", app(R"({"cmd": null, "args": "sleep 1"})"), "/args",
        "error.expected.jsarray");
    bad("args item not a string", app(R"({"cmd": null, "args": ["sleep", 1]})"), "/args/1",
        "error.expected.jsstring");

    // ---- resources
    ok("cpus fraction", app(R"({"cpus": 0.1})"));
    ok("cpus minimum", app(R"({"cpus": 0.001})"));
    bad("cpus zero", app(R"({"cpus": 0})"), "/cpus", "got 0.0, expected 0.001 or more");
    bad("cpus negative", app(R"({"cpus": -3})"), "/cpus", "got -3.0, expected 0.001 or more");
    bad("cpus string", app(R"({"cpus": "abc"})"), "/cpus",
        "error.expected.jsnumber (got a string)");
    ok("mem zero", app(R"({"mem": 0})"));
    bad("mem negative", app(R"({"mem": -3})"), "/mem", "got -3.0, expected 0.0 or more");
    bad("mem string", app(R"({"mem": "128"})"), "/mem", "error.expected.jsnumber");
    ok("disk", app(R"({"disk": 1024.5})"));
    bad("disk negative", app(R"({"disk": -0.5})"), "/disk", "got -0.5, expected 0.0 or more");
    ok("gpus with mesos", app(R"({"gpus": 1, "container": {"type": "MESOS"}})"));
    ok("gpus zero with docker", app(R"({"gpus": 0, "container": {"docker": {"image": "x"}}})"));
    bad("gpus negative", app(R"({"gpus": -1})"), "/gpus", "got -1, expected 0 or more");
    bad("gpus fraction", app(R"({"gpus": 1.5})"), "/gpus", "error.expected.int (got 1.5)");
    bad("gpus with docker", app(R"({"gpus": 1, "container": {"docker": {"image": "x"}}})"), "/",
        "GPU resources only work with the Mesos containerizer");
    ok("instances zero", app(R"({"instances": 0})"));
    bad("instances negative", app(R"({"instances": -1})"), "/instances",
        "got -1, expected 0 or more");
    bad("instances bool", app(R"({"instances": true})"), "/instances",
        "error.expected.jsnumber (got a boolean)");
    ok("backoff",
       app(R"({"backoffSeconds": 0, "backoffFactor": 1.0, "maxLaunchDelaySeconds": 0})"));
    bad("backoffSeconds negative", app(R"({"backoffSeconds": -1})"), "/backoffSeconds",
        "got -1, expected 0 or more");
    bad("backoffFactor below 1", app(R"({"backoffFactor": 0.5})"), "/backoffFactor",
        "got 0.5, expected 1.0 or more");
    bad("maxLaunchDelaySeconds negative", app(R"({"maxLaunchDelaySeconds": -5})"),
        "/maxLaunchDelaySeconds", "got -5, expected 0 or more");
    ok("taskKillGracePeriodSeconds", app(R"({"taskKillGracePeriodSeconds": 30})"));
    bad("taskKillGracePeriodSeconds negative", app(R"({"taskKillGracePeriodSeconds": -1})"),
        "/taskKillGracePeriodSeconds", "got -1, expected 0 or more");
    ok("requirePorts", app(R"({"requirePorts": true})"));
    bad("requirePorts string", app(R"({"requirePorts": "yes"})"), "/requirePorts",
        "error.expected.jsboolean");
    ok("executor empty", app(R"({"executor": ""})"));
    ok("executor cmd", app(R"({"executor": "//cmd"})"));
    ok("executor path", app(R"({"executor": "/opt/exec/run"})"));
    bad("executor double slash", app(R"({"executor": "a//b"})"), "/executor",
        "must fully match regular expression");
    ok("acceptedResourceRoles", app(R"({"acceptedResourceRoles": ["*", "public"]})"));
    bad("acceptedResourceRoles empty", app(R"({"acceptedResourceRoles": []})"),
        "/acceptedResourceRoles", "must not be empty");

    // ---- upgrade strategy and scheduling
    ok("upgradeStrategy in range",
       app(R"({"upgradeStrategy": {"minimumHealthCapacity": 0, "maximumOverCapacity": 1}})"));
    ok("upgradeStrategy partial", app(R"({"upgradeStrategy": {"minimumHealthCapacity": 0.5}})"));
    bad("minimumHealthCapacity > 1", app(R"({"upgradeStrategy": {"minimumHealthCapacity": 1.5}})"),
        "/upgradeStrategy/minimumHealthCapacity", "is greater than 1");
    bad("minimumHealthCapacity < 0", app(R"({"upgradeStrategy": {"minimumHealthCapacity": -0.1}})"),
        "/upgradeStrategy/minimumHealthCapacity", "is less than 0");
    bad("maximumOverCapacity > 1", app(R"({"upgradeStrategy": {"maximumOverCapacity": 2}})"),
        "/upgradeStrategy/maximumOverCapacity", "is greater than 1");
    bad("maximumOverCapacity < 0", app(R"({"upgradeStrategy": {"maximumOverCapacity": -1}})"),
        "/upgradeStrategy/maximumOverCapacity", "is less than 0");
    bad("upgradeStrategy string", app(R"({"upgradeStrategy": {"maximumOverCapacity": "1"}})"),
        "/upgradeStrategy/maximumOverCapacity", "error.expected.jsnumber");
    ok("single instance app", app(R"({"labels": {"MARATHON_SINGLE_INSTANCE_APP": "true"},
        "upgradeStrategy": {"minimumHealthCapacity": 0, "maximumOverCapacity": 0}})"));
    bad("single instance app scaled",
        app(R"({"instances": 2, "labels": {"MARATHON_SINGLE_INSTANCE_APP": "true"},
                "upgradeStrategy": {"minimumHealthCapacity": 0, "maximumOverCapacity": 0}})"),
        "/", "Single instance app may only have one instance");
    bad("single instance app strategy",
        app(R"({"labels": {"MARATHON_SINGLE_INSTANCE_APP": "true"}})"),
        "/upgradeStrategy/minimumHealthCapacity", "got 1.0, expected 0.0");
    ok("killSelection", app(R"({"killSelection": "OLDEST_FIRST"})"));
    bad("killSelection unknown", app(R"({"killSelection": "RANDOM"})"), "/killSelection",
        "is not one of (YOUNGEST_FIRST, OLDEST_FIRST)");
    ok("unreachableStrategy disabled", app(R"({"unreachableStrategy": "disabled"})"));
    ok("unreachableStrategy times",
       app(R"({"unreachableStrategy": {"inactiveAfterSeconds": 60, "expungeAfterSeconds": 120}})"));
    bad("unreachableStrategy unknown word", app(R"({"unreachableStrategy": "enabled"})"),
        "/unreachableStrategy", "is not one of (disabled)");
    bad("unreachableStrategy inactive > expunge",
        app(R"({"unreachableStrategy": {"inactiveAfterSeconds": 600, "expungeAfterSeconds": 60}})"),
        "/unreachableStrategy/inactiveAfterSeconds",
        "inactiveAfterSeconds (600) must be less or equal to expungeAfterSeconds, which is 60");
    bad("unreachableStrategy negative",
        app(R"({"unreachableStrategy": {"inactiveAfterSeconds": -1, "expungeAfterSeconds": 0}})"),
        "/unreachableStrategy/inactiveAfterSeconds", "got -1, expected 0 or more");

    // ---- env, labels, secrets
    ok("env strings", app(R"({"env": {"A": "1", "weird name": ""}})"));
    ok("env secret",
       app(R"({"env": {"PW": {"secret": "pw"}}, "secrets": {"pw": {"source": "/db"}}})"));
    bad("env number", app(R"({"env": {"A": 1}})"), "/env/A", "error.expected.jsstring");
    bad("env key escaped in path", app(R"({"env": {"A/B~C": true}})"), "/env/A~1B~0C",
        "error.expected.jsstring");
    bad("env object without secret", app(R"({"env": {"A": {"value": "x"}}})"), "/env/A",
        "{\"secret\": name}");
    bad("env unknown secret", app(R"({"env": {"PW": {"secret": "nope"}}})"), "/env/PW",
        "references an undefined secret named 'nope'");
    bad("env not an object", app(R"({"env": ["A=1"]})"), "/env", "error.expected.jsobject");
    ok("labels strings", app(R"({"labels": {"team": "web", "HAPROXY_GROUP": "external"}})"));
    bad("labels bool", app(R"({"labels": {"public": true}})"), "/labels/public",
        "error.expected.jsstring (got a boolean)");
    bad("secret without source", app(R"({"secrets": {"pw": {}}})"), "/secrets/pw/source",
        "error.path.missing");
    bad("secret source not a string", app(R"({"secrets": {"pw": {"source": 1}}})"),
        "/secrets/pw/source", "error.expected.jsstring");

    // ---- constraints
    ok("UNIQUE", app(R"({"constraints": [["hostname", "UNIQUE"]]})"));
    ok("CLUSTER with value", app(R"({"constraints": [["rack_id", "CLUSTER", "rack-1"]]})"));
    ok("CLUSTER without value", app(R"({"constraints": [["rack_id", "CLUSTER"]]})"));
    ok("GROUP_BY", app(R"({"constraints": [["rack_id", "GROUP_BY"]]})"));
    ok("GROUP_BY with count", app(R"({"constraints": [["rack_id", "GROUP_BY", "3"]]})"));
    ok("LIKE", app(R"({"constraints": [["rack_id", "LIKE", "rack-[1-3]"]]})"));
    ok("UNLIKE", app(R"({"constraints": [["rack_id", "UNLIKE", "rack-[7-9]"]]})"));
    ok("MAX_PER", app(R"({"constraints": [["rack_id", "MAX_PER", "2"]]})"));
    ok("IS text", app(R"({"constraints": [["rack_id", "IS", "rack-1"]]})"));
    ok("IS scalar", app(R"({"constraints": [["level", "IS", "0.8"]]})"));
    ok("several", app(R"({"constraints": [["hostname", "UNIQUE"], ["@zone", "GROUP_BY", "2"]]})"));
    bad("UNIQUE with value", app(R"({"constraints": [["hostname", "UNIQUE", "x"]]})"),
        "/constraints/0", "Value specified but not used");
    bad("unknown operator", app(R"({"constraints": [["hostname", "BOGUS"]]})"), "/constraints/0",
        "Constraint operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, "
        "MAX_PER, UNLIKE or IS");
    bad("lower-case operator", app(R"({"constraints": [["hostname", "unique"]]})"),
        "/constraints/0", "Constraint operator must be one of");
    bad("one field", app(R"({"constraints": [["hostname"]]})"), "/constraints/0",
        "Each constraint must have either 2 or 3 fields");
    bad("four fields", app(R"({"constraints": [["a", "LIKE", "b", "c"]]})"), "/constraints/0",
        "Each constraint must have either 2 or 3 fields");
    bad("empty field", app(R"({"constraints": [["", "UNIQUE"]]})"), "/constraints/0",
        "Missing field and operator");
    bad("LIKE without value", app(R"({"constraints": [["rack", "LIKE"]]})"), "/constraints/0",
        "A regular expression value must be provided");
    bad("UNLIKE without value", app(R"({"constraints": [["rack", "UNLIKE"]]})"), "/constraints/0",
        "A regular expression value must be provided");
    bad("LIKE bad regex", app(R"({"constraints": [["rack", "LIKE", "rack-(["]]})"),
        "/constraints/0", "'rack-([' is not a valid regular expression");
    bad("MAX_PER without value", app(R"({"constraints": [["rack", "MAX_PER"]]})"), "/constraints/0",
        "Value was not specified or is not a number");
    bad("MAX_PER not a number", app(R"({"constraints": [["rack", "MAX_PER", "two"]]})"),
        "/constraints/0", "Value was not specified or is not a number");
    bad("GROUP_BY not a number", app(R"({"constraints": [["rack", "GROUP_BY", "x"]]})"),
        "/constraints/0", "Value was specified but is not a number");
    bad("IS without value", app(R"({"constraints": [["rack", "IS"]]})"), "/constraints/0",
        "Missing value");
    bad("IS bad value", app(R"({"constraints": [["rack", "IS", "a b"]]})"), "/constraints/0",
        "is not a valid Mesos scalar or text value");
    bad("second constraint", app(R"({"constraints": [["hostname", "UNIQUE"], ["x", "NOPE"]]})"),
        "/constraints/1", "Constraint operator must be one of");
    bad("constraint item not a string", app(R"({"constraints": [["hostname", 1]]})"),
        "/constraints/0/1", "error.expected.jsstring");
    bad("constraint not an array", app(R"({"constraints": ["hostname:UNIQUE"]})"), "/constraints/0",
        "error.expected.jsarray");
    bad("constraints not an array", app(R"({"constraints": {"hostname": "UNIQUE"}})"),
        "/constraints", "error.expected.jsarray");

    // ---- container
    ok("docker", app(kDocker));
    ok("docker all fields", app(R"({"container": {"type": "DOCKER", "volumes": [],
        "docker": {"image": "x", "privileged": true, "forcePullImage": true,
                   "parameters": [{"key": "label", "value": "a=b"}]}}})"));
    ok("mesos without docker", app(R"({"container": {"type": "MESOS"}})"));
    ok("mesos with pullConfig", app(R"({"container": {"type": "MESOS",
        "docker": {"image": "x", "pullConfig": {"secret": "s"}}}})"));
    ok("type defaults to DOCKER", app(R"({"container": {"docker": {"image": "x"}}})"));
    bad("container type unknown", app(R"({"container": {"type": "RKT"}})"), "/container/type",
        "is not one of (DOCKER, MESOS)");
    bad("container not an object", app(R"({"container": "nginx"})"), "/container",
        "error.expected.jsobject");
    bad("docker container without docker", app(R"({"container": {"type": "DOCKER"}})"),
        "/container/docker", "must be defined");
    bad("docker image missing", app(R"({"container": {"docker": {"network": "HOST"}}})"),
        "/container/docker/image", "error.path.missing");
    bad("docker image empty", app(R"({"container": {"docker": {"image": ""}}})"),
        "/container/docker/image", "must not be empty");
    bad("docker image not a string", app(R"({"container": {"docker": {"image": 5}}})"),
        "/container/docker/image", "error.expected.jsstring");
    bad("docker privileged string",
        app(R"({"container": {"docker": {"image": "x", "privileged": "yes"}}})"),
        "/container/docker/privileged", "error.expected.jsboolean");
    bad("docker parameter empty key",
        app(R"({"container": {"docker": {"image": "x", "parameters": [{"key": "", "value": "v"}]}}})"),
        "/container/docker/parameters/0/key", "must not be empty");
    bad("docker parameter without key",
        app(R"({"container": {"docker": {"image": "x", "parameters": [{"value": "v"}]}}})"),
        "/container/docker/parameters/0/key", "error.path.missing");
    bad("docker pullConfig", app(R"({"container": {"type": "DOCKER",
        "docker": {"image": "x", "pullConfig": {"secret": "s"}}}})"),
        "/container/docker/pullConfig", "pullConfig is not supported with Docker containerizer");
    bad("mesos with docker network", app(R"({"container": {"type": "MESOS",
        "docker": {"image": "x", "network": "BRIDGE"}}})"),
        "/container/docker/network", "must be empty");
    bad("mesos with docker parameters", app(R"({"container": {"type": "MESOS",
        "docker": {"image": "x", "parameters": [{"key": "a", "value": "b"}]}}})"),
        "/container/docker/parameters", "must be empty");
    bad("both portMappings forms", app(R"({"container": {"portMappings": [{"containerPort": 80}],
        "docker": {"image": "x", "network": "BRIDGE", "portMappings": [{"containerPort": 80}]}}})"),
        "/container", "cannot specify both portMappings and docker.portMappings");

    // ---- network modes
    ok("legacy BRIDGE", app(R"({"container": {"docker": {"image": "x", "network": "BRIDGE"}}})"));
    ok("legacy HOST", app(R"({"container": {"docker": {"image": "x", "network": "HOST"}}})"));
    ok("legacy USER", app(R"({"container": {"docker": {"image": "x", "network": "USER"}}})"));
    ok("legacy NONE", app(R"({"container": {"docker": {"image": "x", "network": "NONE"}}})"));
    bad("legacy mode unknown",
        app(R"({"container": {"docker": {"image": "x", "network": "OVERLAY"}}})"),
        "/container/docker/network", "is not one of (BRIDGE, HOST, NONE, USER)");
    bad("legacy mode lower-case",
        app(R"({"container": {"docker": {"image": "x", "network": "bridge"}}})"),
        "/container/docker/network", "is not one of");
    ok("host network", app(R"({"networks": [{"mode": "host"}]})"));
    ok("bridge network", app(R"({"networks": [{"mode": "container/bridge"}]})"));
    ok("container network", app(R"({"networks": [{"mode": "container", "name": "dcos"}]})"));
    ok("two container networks on mesos", app(R"({"container": {"type": "MESOS"},
        "networks": [{"mode": "container", "name": "a"}, {"name": "b"}]})"));
    bad("modern mode unknown", app(R"({"networks": [{"mode": "bridge"}]})"), "/networks/0/mode",
        "is not one of (container, container/bridge, host)");
    bad("modern mode legacy spelling", app(R"({"networks": [{"mode": "BRIDGE"}]})"),
        "/networks/0/mode", "is not one of");
    bad("host network with name", app(R"({"networks": [{"mode": "host", "name": "x"}]})"),
        "/networks", "Host networks may not have names or labels");
    bad("bridge network with name",
        app(R"({"networks": [{"mode": "container/bridge", "name": "x"}]})"), "/networks",
        "Bridge networks may not have names");
    bad("duplicate networks",
        app(R"({"container": {"type": "MESOS"}, "networks": [{"name": "a"}, {"name": "a"}]})"),
        "/networks", "Duplicate networks are not allowed");
    bad("mixed modes", app(R"({"networks": [{"mode": "host"}, {"mode": "container/bridge"}]})"),
        "/networks",
        "May specify a single host network, single bridge network, or else 1-to-n container "
        "networks");
    bad("network name pattern", app(R"({"networks": [{"name": "Bad.Name"}]})"), "/networks/0/name",
        "must fully match regular expression");
    bad("docker with two container networks", app(R"({"container": {"docker": {"image": "x"}},
        "networks": [{"name": "a"}, {"name": "b"}]})"),
        "/", "may only specify a single container network when using the Docker container engine");
    bad("docker network and networks", app(R"({"networks": [{"mode": "host"}],
        "container": {"docker": {"image": "x", "network": "HOST"}}})"),
        "/", "must not specify both container.docker.network and networks");
    bad("networks and ipAddress",
        app(R"({"networks": [{"name": "a"}], "ipAddress": {"networkName": "a"}})"), "/",
        "must not specify both networks and ipAddress");
    bad("networks not an array", app(R"({"networks": {"mode": "host"}})"), "/networks",
        "error.expected.jsarray");

    // ---- port mappings (both forms)
    const char *bridge = R"({"networks": [{"mode": "container/bridge"}],
        "container": {"docker": {"image": "x"}, "portMappings": [%1]}})";
    const char *legacyBridge = R"({"container": {"docker": {"image": "x", "network": "BRIDGE",
        "portMappings": [%1]}}})";
    auto pm = [](const char *form, const char *mappings) {
        return app(QString::fromUtf8(form).arg(QString::fromUtf8(mappings)).toUtf8().constData());
    };
    ok("mapping full range",
       pm(bridge, R"({"containerPort": 65535, "hostPort": 0, "servicePort": 0})"));
    ok("mapping zeros", pm(bridge, R"({"containerPort": 0})"));
    ok("legacy mapping", pm(legacyBridge, R"({"containerPort": 80, "servicePort": 80})"));
    bad("containerPort too big", pm(bridge, R"({"containerPort": 70000})"),
        "/container/portMappings/0/containerPort", "got 70000, expected 65535 or less");
    bad("legacy containerPort too big", pm(legacyBridge, R"({"containerPort": 70000})"),
        "/container/docker/portMappings/0/containerPort", "got 70000, expected 65535 or less");
    bad("hostPort negative", pm(bridge, R"({"containerPort": 80, "hostPort": -1})"),
        "/container/portMappings/0/hostPort", "got -1, expected 0 or more");
    bad("servicePort too big", pm(bridge, R"({"containerPort": 80, "servicePort": 65536})"),
        "/container/portMappings/0/servicePort", "got 65536, expected 65535 or less");
    bad("containerPort string", pm(bridge, R"({"containerPort": "80"})"),
        "/container/portMappings/0/containerPort", "error.expected.jsnumber");
    bad("second mapping", pm(bridge, R"({"containerPort": 80}, {"containerPort": 80.5})"),
        "/container/portMappings/1/containerPort", "error.expected.int");
    ok("protocol udp", pm(bridge, R"({"containerPort": 53, "protocol": "udp"})"));
    ok("protocol udp,tcp", pm(bridge, R"({"containerPort": 53, "protocol": "udp,tcp"})"));
    ok("protocol tcp", pm(legacyBridge, R"({"containerPort": 53, "protocol": "tcp"})"));
    bad("protocol sctp", pm(bridge, R"({"containerPort": 53, "protocol": "sctp"})"),
        "/container/portMappings/0/protocol", "is not one of (tcp, udp, udp,tcp)");
    bad("protocol tcp,udp", pm(legacyBridge, R"({"containerPort": 53, "protocol": "tcp,udp"})"),
        "/container/docker/portMappings/0/protocol", "is not one of (tcp, udp, udp,tcp)");
    bad("protocol upper-case", pm(bridge, R"({"containerPort": 53, "protocol": "TCP"})"),
        "/container/portMappings/0/protocol", "is not one of");
    bad("bridge mapping without containerPort", pm(bridge, R"({"hostPort": 0})"),
        "/container/portMappings/0/containerPort", "error.path.missing");
    bad("legacy mapping without containerPort", pm(legacyBridge, R"({"servicePort": 80})"),
        "/container/docker/portMappings/0/containerPort", "error.path.missing");
    bad("user network mapping without containerPort",
        app(R"({"networks": [{"name": "n"}], "container": {"type": "MESOS",
                "portMappings": [{"name": "http"}]}})"),
        "/container/portMappings/0/containerPort", "error.path.missing");
    ok("named mappings", pm(bridge, R"({"containerPort": 80, "name": "http"},
                                       {"containerPort": 443, "name": "https"})"));
    bad("mapping name pattern", pm(bridge, R"({"containerPort": 80, "name": "HTTP"})"),
        "/container/portMappings/0/name", "must fully match regular expression");
    bad("duplicate mapping names", pm(bridge, R"({"containerPort": 80, "name": "web"},
                                                 {"containerPort": 81, "name": "web"})"),
        "/container/portMappings", "Port names must be unique.");
    bad("legacy duplicate mapping names", pm(legacyBridge, R"({"containerPort": 80, "name": "web"},
                                                             {"containerPort": 81, "name": "web"})"),
        "/container/docker/portMappings", "Port names must be unique.");
    ok("several zero service ports", pm(bridge, R"({"containerPort": 80, "servicePort": 0},
                                                   {"containerPort": 81, "servicePort": 0})"));
    bad("duplicate service ports", pm(bridge, R"({"containerPort": 80, "servicePort": 10080},
                                                 {"containerPort": 81, "servicePort": 10080})"),
        "/container/portMappings", "Service ports must be unique.");
    bad("mapping labels not strings",
        pm(bridge, R"({"containerPort": 80, "labels": {"VIP_0": 1}})"),
        "/container/portMappings/0/labels/VIP_0", "error.expected.jsstring");
    bad("mappings with explicit host network", app(R"({"networks": [{"mode": "host"}],
        "container": {"docker": {"image": "x"}, "portMappings": [{"containerPort": 80}]}})"),
        "/", "portMappings are not allowed with host-networking");
    bad("legacy mappings with HOST", app(R"({"container": {"docker": {"image": "x",
        "network": "HOST", "portMappings": [{"containerPort": 80}]}}})"),
        "/", "portMappings are not allowed with host-networking");
    ok("empty mappings with host", app(R"({"networks": [{"mode": "host"}],
        "container": {"docker": {"image": "x"}, "portMappings": []}})"));
    bad("hostPort on two container networks", app(R"({"container": {"type": "MESOS",
        "portMappings": [{"containerPort": 80, "hostPort": 0}]},
        "networks": [{"name": "a"}, {"name": "b"}]})"),
        "/container/portMappings/0", "networkNames must be a single item list");
    ok("hostPort on two container networks with networkNames", app(R"({"container": {
        "type": "MESOS", "portMappings": [{"containerPort": 80, "hostPort": 0, "networkNames": ["a"]}]},
        "networks": [{"name": "a"}, {"name": "b"}]})"));

    // ---- port definitions and legacy ports
    ok("portDefinitions", app(R"({"portDefinitions": [{"port": 0}, {"port": 0}]})"));
    ok("portDefinitions full", app(R"({"portDefinitions": [{"port": 8080, "name": "http",
        "protocol": "udp,tcp", "labels": {"VIP_0": "10.0.0.1:80"}}]})"));
    ok("portDefinitions none", app(R"({"portDefinitions": []})"));
    bad("portDefinitions port too big", app(R"({"portDefinitions": [{"port": 70000}]})"),
        "/portDefinitions/0/port", "got 70000, expected 65535 or less");
    bad("portDefinitions port negative", app(R"({"portDefinitions": [{"port": 0}, {"port": -2}]})"),
        "/portDefinitions/1/port", "got -2, expected 0 or more");
    bad("portDefinitions protocol",
        app(R"({"portDefinitions": [{"port": 0, "protocol": "icmp"}]})"),
        "/portDefinitions/0/protocol", "is not one of (tcp, udp, udp,tcp)");
    bad("portDefinitions name", app(R"({"portDefinitions": [{"port": 0, "name": "-x"}]})"),
        "/portDefinitions/0/name", "must fully match regular expression");
    bad("portDefinitions duplicate names",
        app(R"({"portDefinitions": [{"port": 0, "name": "a"}, {"port": 0, "name": "a"}]})"),
        "/portDefinitions", "Port names must be unique.");
    bad("portDefinitions duplicate ports",
        app(R"({"portDefinitions": [{"port": 8080}, {"port": 8080}]})"), "/portDefinitions",
        "Ports must be unique.");
    bad("portDefinitions with bridge", app(R"({"networks": [{"mode": "container/bridge"}],
        "container": {"docker": {"image": "x"}}, "portDefinitions": [{"port": 0}]})"),
        "/", "portDefinitions are only allowed with host-networking");
    bad("portDefinitions with legacy BRIDGE", app(R"({"portDefinitions": [{"port": 0}],
        "container": {"docker": {"image": "x", "network": "BRIDGE"}}})"),
        "/", "portDefinitions are only allowed with host-networking");
    ok("ports", app(R"({"ports": [0, 0, 8080]})"));
    ok("ports with legacy BRIDGE (as 0.7 answered)", app(R"({"ports": [80],
        "container": {"docker": {"image": "x", "network": "BRIDGE",
                                 "portMappings": [{"containerPort": 80, "servicePort": 80}]}}})"));
    bad("ports duplicate", app(R"({"ports": [8080, 8080]})"), "/", "ports must be unique");
    bad("ports too big", app(R"({"ports": [70000]})"), "/ports/0",
        "got 70000, expected 65535 or less");
    bad("ports string", app(R"({"ports": ["80"]})"), "/ports/0", "error.expected.jsnumber");
    ok("ports and equivalent portDefinitions",
       app(R"({"ports": [8080], "portDefinitions": [{"port": 8080}]})"));
    bad("ports and different portDefinitions",
        app(R"({"ports": [8080], "portDefinitions": [{"port": 9090}]})"), "/",
        "cannot specify both ports and port definitions");
    bad("ipAddress and ports", app(R"({"ipAddress": {"networkName": "a"}, "ports": [0]})"), "/",
        "cannot specify both an IP address and port");
    ok("ipAddress without ports",
       app(R"({"ipAddress": {"networkName": "a"}, "portDefinitions": []})"));

    // ---- health checks
    ok("HTTP on the default port", app(R"({"healthChecks": [{"path": "/health"}]})"));
    ok("HTTP portIndex on a mapping", merged(pm(bridge, R"({"containerPort": 80})"),
                                             obj(R"({"healthChecks": [{"portIndex": 0}]})")));
    ok("legacy mapping portIndex 1", merged(pm(legacyBridge, R"({"containerPort": 80},
                                                               {"containerPort": 81})"),
                                            obj(R"({"healthChecks": [{"portIndex": 1}]})")));
    ok("TCP with port", app(R"({"healthChecks": [{"protocol": "TCP", "port": 8080}]})"));
    ok("HTTPS with port index", app(R"({"ports": [0, 0],
        "healthChecks": [{"protocol": "HTTPS", "portIndex": 1}]})"));
    ok("COMMAND", app(R"({"healthChecks": [{"protocol": "COMMAND",
        "command": {"value": "curl -f http://$HOST:$PORT0/"}}]})"));
    ok("MESOS_HTTP", app(R"({"healthChecks": [{"protocol": "MESOS_HTTP", "path": "/"}]})"));
    ok("MESOS_TCP", app(R"({"healthChecks": [{"protocol": "MESOS_TCP"}]})"));
    ok("path without slash is not checked", app(R"({"healthChecks": [{"path": "health"}]})"));
    ok("all numbers", app(R"({"healthChecks": [{"gracePeriodSeconds": 0, "intervalSeconds": 0,
        "timeoutSeconds": 0, "maxConsecutiveFailures": 0, "delaySeconds": 0}]})"));
    bad("health protocol unknown", app(R"({"healthChecks": [{"protocol": "GRPC"}]})"),
        "/healthChecks/0/protocol",
        "is not one of (HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP)");
    bad("portIndex past the mappings",
        merged(pm(bridge, R"({"containerPort": 80})"),
               obj(R"({"healthChecks": [{"portIndex": 1}]})")),
        "/healthChecks/0/portIndex",
        "Health check port indices must address an element of the ports array or container port "
        "mappings.");
    bad("portIndex past the ports", app(R"({"ports": [0], "healthChecks": [{"portIndex": 1}]})"),
        "/healthChecks/0/portIndex", "Health check port indices must address an element");
    bad("portIndex past the default port", app(R"({"healthChecks": [{"portIndex": 1}]})"),
        "/healthChecks/0/portIndex", "Health check port indices must address an element");
    bad("no port at all", app(R"({"portDefinitions": [], "healthChecks": [{"protocol": "TCP"}]})"),
        "/healthChecks/0", "Health check port indices must address an element");
    bad("port and portIndex", app(R"({"healthChecks": [{"port": 8080, "portIndex": 0}]})"),
        "/healthChecks/0", "HealthCheck is having parameters violation HTTP protocol.");
    bad("COMMAND without command", app(R"({"healthChecks": [{"protocol": "COMMAND"}]})"),
        "/healthChecks/0", "HealthCheck is having parameters violation COMMAND protocol.");
    bad("COMMAND with empty command",
        app(R"({"healthChecks": [{"protocol": "COMMAND", "command": {"value": ""}}]})"),
        "/healthChecks/0", "parameters violation COMMAND protocol.");
    bad("COMMAND with port", app(R"({"healthChecks": [{"protocol": "COMMAND", "port": 80,
        "command": {"value": "true"}}]})"),
        "/healthChecks/0", "parameters violation COMMAND protocol.");
    bad("TCP with path", app(R"({"healthChecks": [{"protocol": "TCP", "path": "/"}]})"),
        "/healthChecks/0", "parameters violation TCP protocol.");
    bad("HTTP with command", app(R"({"healthChecks": [{"command": {"value": "true"}}]})"),
        "/healthChecks/0", "parameters violation HTTP protocol.");
    bad("gracePeriodSeconds negative", app(R"({"healthChecks": [{"gracePeriodSeconds": -1}]})"),
        "/healthChecks/0/gracePeriodSeconds", "got -1, expected 0 or more");
    bad("intervalSeconds negative", app(R"({"healthChecks": [{"intervalSeconds": -1}]})"),
        "/healthChecks/0/intervalSeconds", "got -1, expected 0 or more");
    bad("timeoutSeconds negative", app(R"({"healthChecks": [{"timeoutSeconds": -1}]})"),
        "/healthChecks/0/timeoutSeconds", "got -1, expected 0 or more");
    bad("maxConsecutiveFailures negative",
        app(R"({"healthChecks": [{"maxConsecutiveFailures": -3}]})"),
        "/healthChecks/0/maxConsecutiveFailures", "got -3, expected 0 or more");
    bad("intervalSeconds string", app(R"({"healthChecks": [{"intervalSeconds": "60"}]})"),
        "/healthChecks/0/intervalSeconds", "error.expected.jsnumber");
    bad("health port too big", app(R"({"healthChecks": [{"protocol": "TCP", "port": 65536}]})"),
        "/healthChecks/0/port", "got 65536, expected 65535 or less");
    bad("two Mesos checks", app(R"({"healthChecks": [{"protocol": "MESOS_HTTP"},
        {"protocol": "MESOS_TCP"}]})"),
        "/", "AppDefinition can contain at most one Mesos health check");
    ok("IPv6 Mesos check on docker", app(R"({"container": {"docker": {"image": "x"}},
        "healthChecks": [{"protocol": "MESOS_HTTP", "ipProtocol": "IPv6"}]})"));
    bad("IPv6 Marathon check", app(R"({"container": {"docker": {"image": "x"}},
        "healthChecks": [{"protocol": "HTTP", "ipProtocol": "IPv6"}]})"),
        "/healthChecks/0",
        "IPv6 can only be used for container type DOCKER and Mesos http/https/tcp health checks");
    bad("ipProtocol unknown", app(R"({"healthChecks": [{"ipProtocol": "IPv5"}]})"),
        "/healthChecks/0/ipProtocol", "is not one of (IPv4, IPv6)");
    bad("healthChecks not an array", app(R"({"healthChecks": {"path": "/"}})"), "/healthChecks",
        "error.expected.jsarray");
    bad("second health check", app(R"({"healthChecks": [{}, {"protocol": "UDP"}]})"),
        "/healthChecks/1/protocol", "is not one of");

    // ---- fetch / uris
    ok("fetch", app(R"({"fetch": [{"uri": "https://example.com/a.tgz", "extract": true}]})"));
    ok("uris", app(R"({"uris": ["https://example.com/a.tgz"]})"));
    bad("uris and fetch", app(R"({"uris": ["https://x/a"], "fetch": [{"uri": "https://x/b"}]})"),
        "/uris", "may not be set in conjunction with fetch");
    bad("fetch without uri", app(R"({"fetch": [{"extract": true}]})"), "/fetch/0/uri",
        "error.path.missing");
    bad("uris not strings", app(R"({"uris": [{"uri": "x"}]})"), "/uris/0",
        "error.expected.jsstring");
}

void TestAppValidator::rules()
{
    QFETCH(QJsonObject, definition);
    QFETCH(QString, path);
    QFETCH(QString, message);
    QVERIFY(!definition.isEmpty());
    const QList<ValidationIssue> issues = validateApp(definition);
    const QString context =
        QString::fromUtf8(QJsonDocument(definition).toJson(QJsonDocument::Compact)) +
        s("\nissues:") + dump(issues);
    if (qEnvironmentVariableIsSet("PIER_DUMP_ISSUES"))
        qInfo("%s", qPrintable(dump(issues)));
    if (path.isEmpty()) {
        QVERIFY2(issues.isEmpty(), qPrintable(context));
        return;
    }
    const bool found = std::any_of(issues.begin(), issues.end(), [&](const ValidationIssue &i) {
        return i.path == path && i.message.contains(message);
    });
    QVERIFY2(found, qPrintable(s("expected ") + path + s(": ") + message + s("\n") + context));
}

void TestAppValidator::templatesAndAnswersAreValid_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<bool>("wrapped"); // a GET /v2/apps/{id} answer: {"app": {...}}
    QTest::newRow("tutorial nginx.json")
        << s(PIER_TEST_DATA "/../../resources/templates/nginx.json") << false;
    QTest::newRow("what 1.10 answers")
        << s(PIER_TEST_DATA "/marathon/nginx-running-1.10.json") << true;
    QTest::newRow("what 0.7 answered")
        << s(PIER_TEST_DATA "/marathon/nginx-running-0.7.json") << true;
    QTest::newRow("unknown fields") << s(PIER_TEST_DATA "/marathon/unknown-fields.json") << false;
}

void TestAppValidator::templatesAndAnswersAreValid()
{
    QFETCH(QString, file);
    QFETCH(bool, wrapped);
    QJsonObject def = obj(readFile(file));
    if (wrapped)
        def = def.value(s("app")).toObject();
    QVERIFY(!def.isEmpty());
    const QList<ValidationIssue> issues = validateApp(def);
    QVERIFY2(issues.isEmpty(), qPrintable(dump(issues)));
    // With Marathon's defaults filled in it is still valid.
    const QList<ValidationIssue> filled = validateApp(AppDefinition(def).withDefaults());
    QVERIFY2(filled.isEmpty(), qPrintable(dump(filled)));
}

void TestAppValidator::sortedByPath()
{
    const QJsonObject def = app(R"({"id": "/Bad", "cpus": -1, "mem": "x", "args": ["a"],
        "upgradeStrategy": {"maximumOverCapacity": 3}, "constraints": [["h", "NOPE"]]})");
    const QList<ValidationIssue> issues = validateApp(def);
    const QStringList expected = {s("/"),     s("/constraints/0"),
                                  s("/cpus"), s("/id"),
                                  s("/mem"),  s("/upgradeStrategy/maximumOverCapacity")};
    QStringList paths;
    for (const ValidationIssue &i : issues)
        paths.append(i.path);
    QCOMPARE(paths, expected);
    QCOMPARE(validateApp(AppDefinition(def)), issues); // the AppDefinition overload agrees
}

void TestAppValidator::notAnObjectMember()
{
    // Members of the wrong JSON type are reported once, and the rules that need them skipped.
    const QList<ValidationIssue> issues =
        validateApp(app(R"({"container": [], "healthChecks": [1], "env": null})"));
    QCOMPARE(issues.size(), 2);
    QCOMPARE(issues.at(0),
             (ValidationIssue{s("/container"), s("error.expected.jsobject (got an array)")}));
    QCOMPARE(issues.at(1),
             (ValidationIssue{s("/healthChecks/0"), s("error.expected.jsobject (got 1.0)")}));
    QVERIFY(validateApp(QJsonObject())
                .contains(ValidationIssue{s("/id"), s("is required (error.path.missing)")}));
}

QTEST_GUILESS_MAIN(TestAppValidator)
#include "tst_appvalidator.moc"
