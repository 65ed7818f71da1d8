// Marathon-style validation of an app definition.
//
// What Marathon 1.x checks (api/v2/validation, PathId, the RAML types) with its messages where
// it has them, plus the deprecated 0.7-1.4 fields it still translates on input. Paths are JSON
// pointers ("/container/portMappings/0/containerPort"); "/" means the whole definition.
// Judgement calls are marked "Pier:" below.

#include "appdefinition.h"

#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace pier::marathon {

namespace {

QString str(const char *s)
{
    return QString::fromLatin1(s);
}

enum class Kind { Number, Int, String, Bool, Array, Object };

QString jsonTypeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Bool:
        return str("a boolean");
    case QJsonValue::Double:
        return str("a number");
    case QJsonValue::String:
        return str("a string");
    case QJsonValue::Array:
        return str("an array");
    case QJsonValue::Object:
        return str("an object");
    default:
        break;
    }
    return str("null");
}

// Doubles as Scala prints them ("0.0", "-3.0", "0.001"), which Marathon's messages contain.
QString fmtDouble(double v)
{
    QString s = QString::number(v, 'g', QLocale::FloatingPointShortest);
    if (std::isfinite(v) && !s.contains(QLatin1Char('.')) && !s.contains(QLatin1Char('e')))
        s += QLatin1String(".0");
    return s;
}

QString fmtInt(double v)
{
    return QString::number(qint64(v));
}

const QString kSegmentPattern =
    QStringLiteral("^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*"
                   "[a-z0-9])$");
const QString kLegacyNamePattern = QStringLiteral("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
const QString kNetworkNamePattern = QStringLiteral("^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$");
const QString kExecutorPattern = QStringLiteral("^(//cmd)|(/?[^/]+(/[^/]+)*)|$");

bool fullMatch(const QString &pattern, const QString &s)
{
    const QRegularExpression re(QRegularExpression::anchoredPattern(pattern));
    return re.match(s).hasMatch();
}

bool isMarathonInt(const QString &s)
{
    // Scala's String.toInt: optional sign, digits, 32-bit range, no blanks.
    static const QRegularExpression re(QStringLiteral("^[+-]?[0-9]+$"));
    bool ok = false;
    s.toInt(&ok);
    return ok && re.match(s).hasMatch();
}

class Validator {
public:
    explicit Validator(const QJsonObject &app) : m_app(app), m_def(app) {}

    QList<ValidationIssue> run();

private:
    void add(const QString &path, const QString &message)
    {
        m_issues.append({path.isEmpty() ? str("/") : path, message});
    }

    static QString at(const QString &base, const QString &key)
    {
        return base + QLatin1Char('/') + AppDefinition::escapePointerToken(key);
    }
    static QString at(const QString &base, int index)
    {
        return base + QLatin1Char('/') + QString::number(index);
    }

    // True when the value is present (null counts as absent, as Marathon reads Option fields)
    // and of the kind asked for; a wrong kind is reported in Marathon's 400 wording.
    bool expect(const QJsonValue &v, Kind kind, const QString &path);
    void minimum(const QString &path, const QJsonValue &v, double min, Kind kind);
    void maximum(const QString &path, const QJsonValue &v, double max, Kind kind);
    bool number(const QJsonObject &o, const QString &key, const QString &base, Kind kind,
                double min);
    void port(const QJsonObject &o, const QString &key, const QString &base);
    void oneOf(const QString &path, const QJsonValue &v, const QStringList &options);
    void stringMap(const QJsonObject &o, const QString &key, const QString &base);
    void pattern(const QString &path, const QString &value, const QString &pattern);

    void validateId();
    void validatePathId(const QString &raw, const QString &path);
    void validateCommand();
    void validateResources();
    void validateEnvAndLabels();
    void validateConstraints();
    void validateContainer();
    void validateNetworks();
    void validatePorts();
    void validatePortMappings(const QString &path, const QJsonArray &mappings);
    void validatePortDefinitions();
    void validateHealthChecks();
    void validateScheduling();
    void validateArtifacts();

    bool explicitHost() const;
    bool explicitNonHost() const;
    int portCount() const;

    QJsonObject m_app;
    AppDefinition m_def;
    QList<ValidationIssue> m_issues;
};

bool Validator::expect(const QJsonValue &v, Kind kind, const QString &path)
{
    if (v.isUndefined() || v.isNull())
        return false;
    const char *code = nullptr;
    switch (kind) {
    case Kind::Number:
        code = v.isDouble() ? nullptr : "error.expected.jsnumber";
        break;
    case Kind::Int:
        if (!v.isDouble())
            code = "error.expected.jsnumber";
        else if (std::floor(v.toDouble()) != v.toDouble() || std::abs(v.toDouble()) > 2147483647.0)
            code = "error.expected.int";
        break;
    case Kind::String:
        code = v.isString() ? nullptr : "error.expected.jsstring";
        break;
    case Kind::Bool:
        code = v.isBool() ? nullptr : "error.expected.jsboolean";
        break;
    case Kind::Array:
        code = v.isArray() ? nullptr : "error.expected.jsarray";
        break;
    case Kind::Object:
        code = v.isObject() ? nullptr : "error.expected.jsobject";
        break;
    }
    if (!code)
        return true;
    // Pier: Marathon's code first (what its 400 says), then a readable hint for the editor.
    const QString got = v.isDouble() ? fmtDouble(v.toDouble()) : jsonTypeName(v);
    add(path, QStringLiteral("%1 (got %2)").arg(QLatin1String(code), got));
    return false;
}

void Validator::minimum(const QString &path, const QJsonValue &v, double min, Kind kind)
{
    const double d = v.toDouble();
    if (d >= min)
        return;
    if (kind == Kind::Int)
        add(path, QStringLiteral("got %1, expected %2 or more").arg(fmtInt(d), fmtInt(min)));
    else
        add(path, QStringLiteral("got %1, expected %2 or more").arg(fmtDouble(d), fmtDouble(min)));
}

void Validator::maximum(const QString &path, const QJsonValue &v, double max, Kind kind)
{
    const double d = v.toDouble();
    if (d <= max)
        return;
    if (kind == Kind::Int)
        add(path, QStringLiteral("got %1, expected %2 or less").arg(fmtInt(d), fmtInt(max)));
    else
        add(path, QStringLiteral("got %1, expected %2 or less").arg(fmtDouble(d), fmtDouble(max)));
}

bool Validator::number(const QJsonObject &o, const QString &key, const QString &base, Kind kind,
                       double min)
{
    const QString path = at(base, key);
    if (!expect(o.value(key), kind, path))
        return false;
    minimum(path, o.value(key), min, kind);
    return true;
}

void Validator::port(const QJsonObject &o, const QString &key, const QString &base)
{
    // numberTypes.raml AnyPort: 0..65535
    if (number(o, key, base, Kind::Int, 0))
        maximum(at(base, key), o.value(key), 65535, Kind::Int);
}

void Validator::oneOf(const QString &path, const QJsonValue &v, const QStringList &options)
{
    if (!expect(v, Kind::String, path))
        return;
    if (!options.contains(v.toString()))
        add(path, QStringLiteral("is not one of (%1)").arg(options.join(QLatin1String(", "))));
}

void Validator::stringMap(const QJsonObject &o, const QString &key, const QString &base)
{
    const QString path = at(base, key);
    if (!expect(o.value(key), Kind::Object, path))
        return;
    const QJsonObject map = o.value(key).toObject();
    for (auto it = map.constBegin(); it != map.constEnd(); ++it)
        expect(it.value(), Kind::String, at(path, it.key()));
}

void Validator::pattern(const QString &path, const QString &value, const QString &regex)
{
    if (!fullMatch(regex, value))
        add(path, QStringLiteral("must fully match regular expression '%1'").arg(regex));
}

// ---- id -----------------------------------------------------------------------------------

void Validator::validatePathId(const QString &raw, const QString &path)
{
    const bool absolute = raw.startsWith(QLatin1Char('/'));
    const QStringList segments = raw.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    const bool hasDots = std::any_of(segments.begin(), segments.end(), [](const QString &s) {
        return s == QLatin1String(".") || s == QLatin1String("..");
    });
    // PathId: a relative id is resolved against the root ("nginx" -> "/nginx", "a/../b" ->
    // "/b") before validation; an absolute id with "." or ".." is not a child of its parent.
    if (absolute && hasDots) {
        QStringList parent = segments;
        parent.removeLast();
        add(path, QStringLiteral("Identifier is not child of /%1. Hint: use relative paths.")
                      .arg(parent.join(QLatin1Char('/'))));
        return;
    }
    QStringList resolved;
    for (const QString &s : segments) {
        if (s == QLatin1String("..")) {
            if (!resolved.isEmpty())
                resolved.removeLast();
        } else if (s != QLatin1String(".")) {
            resolved.append(s);
        }
    }
    if (resolved.isEmpty()) {
        add(path, str("Path must contain at least one path element"));
        return;
    }
    const bool charsOk = std::all_of(resolved.begin(), resolved.end(), [](const QString &s) {
        return fullMatch(kSegmentPattern, s);
    });
    // Marathon's own words end the message, so it can be searched for; the start says it plainly.
    if (!charsOk)
        add(path,
            QStringLiteral("use lowercase letters, digits and hyphens, each name starting and "
                           "ending with a letter or digit, names separated by '/' "
                           "(Marathon: must fully match regular expression '%1')")
                .arg(kSegmentPattern));
    static const QStringList reserved = {str("restart"), str("tasks"), str("versions")};
    if (reserved.contains(resolved.last()))
        add(path, str("must not end with any of the following reserved keywords: restart, tasks, "
                      "versions"));
}

void Validator::validateId()
{
    const QJsonValue id = m_app.value(str("id"));
    if (id.isUndefined() || id.isNull()) {
        add(str("/id"), str("is required (error.path.missing)"));
        return;
    }
    if (expect(id, Kind::String, str("/id")))
        validatePathId(id.toString(), str("/id"));

    const QJsonValue deps = m_app.value(str("dependencies"));
    if (expect(deps, Kind::Array, str("/dependencies"))) {
        const QJsonArray a = deps.toArray();
        for (int i = 0; i < a.size(); ++i) {
            if (expect(a.at(i), Kind::String, at(str("/dependencies"), i)))
                validatePathId(a.at(i).toString(), at(str("/dependencies"), i));
        }
    }
}

// ---- command ------------------------------------------------------------------------------

void Validator::validateCommand()
{
    const QJsonValue cmd = m_app.value(str("cmd"));
    const bool hasCmd = expect(cmd, Kind::String, str("/cmd"));
    // Pier: RAML minLength 1; Marathon's own check (length > 1) also rejects one-letter commands,
    // which looks like an off-by-one, so only the empty string is flagged.
    if (hasCmd && cmd.toString().isEmpty())
        add(str("/cmd"), str("must not be an empty string"));

    bool hasArgs = false;
    const QJsonValue args = m_app.value(str("args"));
    if (expect(args, Kind::Array, str("/args"))) {
        const QJsonArray a = args.toArray();
        for (int i = 0; i < a.size(); ++i)
            expect(a.at(i), Kind::String, at(str("/args"), i));
        hasArgs = !a.isEmpty();
    }

    // A container counts when it names an image: DOCKER or MESOS with docker (or appc).
    bool hasContainer = false;
    const QJsonObject container = m_app.value(str("container")).toObject();
    const QString type = container.value(str("type")).toString(str("DOCKER"));
    if (container.value(str("docker")).isObject())
        hasContainer = type == QLatin1String("DOCKER") || type == QLatin1String("MESOS");
    else if (container.value(str("appc")).isObject())
        hasContainer = type == QLatin1String("MESOS");

    // A cmd or args of the wrong type is already reported (Marathon answers 400 before this).
    const bool typesWrong = (!cmd.isString() && !cmd.isUndefined() && !cmd.isNull()) ||
                            (!args.isArray() && !args.isUndefined() && !args.isNull());
    if (!typesWrong && !((hasCmd != hasArgs) || (!(hasCmd && hasArgs) && hasContainer)))
        add(str("/"), str("AppDefinition must either contain one of 'cmd' or 'args', and/or a "
                          "'container'."));
}

// ---- resources and scheduling numbers -----------------------------------------------------

void Validator::validateResources()
{
    // Pier: app.raml says cpus >= 0.001 (1.5+); older servers accepted 0.
    number(m_app, str("cpus"), QString(), Kind::Number, 0.001);
    number(m_app, str("mem"), QString(), Kind::Number, 0);
    number(m_app, str("disk"), QString(), Kind::Number, 0);
    const bool gpus = number(m_app, str("gpus"), QString(), Kind::Int, 0);
    number(m_app, str("instances"), QString(), Kind::Int, 0);
    number(m_app, str("backoffSeconds"), QString(), Kind::Int, 0);
    number(m_app, str("backoffFactor"), QString(), Kind::Number, 1.0);
    number(m_app, str("maxLaunchDelaySeconds"), QString(), Kind::Int, 0);
    number(m_app, str("taskKillGracePeriodSeconds"), QString(), Kind::Int, 0);
    expect(m_app.value(str("requirePorts")), Kind::Bool, str("/requirePorts"));
    expect(m_app.value(str("user")), Kind::String, str("/user"));
    expect(m_app.value(str("tty")), Kind::Bool, str("/tty"));

    if (gpus && m_app.value(str("gpus")).toDouble() > 0 &&
        m_def.value(str("/container/type")).toString(str("DOCKER")) == QLatin1String("DOCKER") &&
        m_app.value(str("container")).isObject())
        add(str("/"), str("GPU resources only work with the Mesos containerizer"));

    const QJsonValue executor = m_app.value(str("executor"));
    if (expect(executor, Kind::String, str("/executor")))
        pattern(str("/executor"), executor.toString(), kExecutorPattern);

    const QJsonValue roles = m_app.value(str("acceptedResourceRoles"));
    if (expect(roles, Kind::Array, str("/acceptedResourceRoles"))) {
        const QJsonArray a = roles.toArray();
        if (a.isEmpty())
            add(str("/acceptedResourceRoles"), str("must not be empty"));
        for (int i = 0; i < a.size(); ++i)
            expect(a.at(i), Kind::String, at(str("/acceptedResourceRoles"), i));
    }
}

void Validator::validateScheduling()
{
    const QString us = str("/upgradeStrategy");
    const QJsonValue strategy = m_app.value(str("upgradeStrategy"));
    if (expect(strategy, Kind::Object, us)) {
        const QJsonObject s = strategy.toObject();
        for (const char *k : {"minimumHealthCapacity", "maximumOverCapacity"}) {
            const QString key = str(k);
            const QString path = at(us, key);
            if (!expect(s.value(key), Kind::Number, path))
                continue;
            // The wording of the 422 example in apps.raml.
            if (s.value(key).toDouble() > 1.0)
                add(path, str("is greater than 1"));
            else if (s.value(key).toDouble() < 0.0)
                add(path, str("is less than 0"));
        }
    }

    const QJsonObject labels = m_app.value(str("labels")).toObject();
    if (labels.value(str("MARATHON_SINGLE_INSTANCE_APP")) == QJsonValue(str("true"))) {
        if (m_app.value(str("instances")).toDouble(1) > 1)
            add(str("/"), str("Single instance app may only have one instance"));
        const QJsonObject s = strategy.toObject();
        for (const char *k : {"minimumHealthCapacity", "maximumOverCapacity"}) {
            const double v = s.value(str(k)).toDouble(1.0);
            if (v != 0.0)
                add(at(us, str(k)), QStringLiteral("got %1, expected 0.0").arg(fmtDouble(v)));
        }
    }

    oneOf(str("/killSelection"), m_app.value(str("killSelection")),
          {str("YOUNGEST_FIRST"), str("OLDEST_FIRST")});

    const QJsonValue unreachable = m_app.value(str("unreachableStrategy"));
    const QString up = str("/unreachableStrategy");
    if (unreachable.isString()) {
        oneOf(up, unreachable, {str("disabled")});
    } else if (expect(unreachable, Kind::Object, up)) {
        const QJsonObject u = unreachable.toObject();
        const bool inactive = number(u, str("inactiveAfterSeconds"), up, Kind::Int, 0);
        const bool expunge = number(u, str("expungeAfterSeconds"), up, Kind::Int, 0);
        const double in = u.value(str("inactiveAfterSeconds")).toDouble(0);
        const double ex = u.value(str("expungeAfterSeconds")).toDouble(0);
        if ((inactive || expunge) && in >= 0 && in > ex)
            add(at(up, str("inactiveAfterSeconds")),
                QStringLiteral("inactiveAfterSeconds (%1) must be less or equal to "
                               "expungeAfterSeconds, which is %2")
                    .arg(fmtInt(in), fmtInt(ex)));
    }
}

// ---- env, labels, secrets -----------------------------------------------------------------

void Validator::validateEnvAndLabels()
{
    const QJsonObject secrets = m_app.value(str("secrets")).toObject();
    if (expect(m_app.value(str("secrets")), Kind::Object, str("/secrets"))) {
        for (auto it = secrets.constBegin(); it != secrets.constEnd(); ++it) {
            const QString path = at(str("/secrets"), it.key());
            if (!expect(it.value(), Kind::Object, path))
                continue;
            const QJsonValue source = it.value().toObject().value(str("source"));
            if (source.isUndefined() || source.isNull())
                add(at(path, str("source")), str("is required (error.path.missing)"));
            else
                expect(source, Kind::String, at(path, str("source")));
        }
    }

    const QJsonValue env = m_app.value(str("env"));
    if (expect(env, Kind::Object, str("/env"))) {
        const QJsonObject e = env.toObject();
        for (auto it = e.constBegin(); it != e.constEnd(); ++it) {
            const QString path = at(str("/env"), it.key());
            if (it.value().isString())
                continue;
            const QJsonValue secret = it.value().toObject().value(str("secret"));
            if (!it.value().isObject() || !secret.isString()) {
                add(path, QStringLiteral("error.expected.jsstring or {\"secret\": name} (got %1)")
                              .arg(jsonTypeName(it.value())));
            } else if (!secrets.contains(secret.toString())) {
                add(path, QStringLiteral("references an undefined secret named '%1'")
                              .arg(secret.toString()));
            }
        }
    }
    stringMap(m_app, str("labels"), QString());
}

// ---- constraints --------------------------------------------------------------------------

void Validator::validateConstraints()
{
    const QJsonValue constraints = m_app.value(str("constraints"));
    if (!expect(constraints, Kind::Array, str("/constraints")))
        return;
    const QJsonArray all = constraints.toArray();
    for (int i = 0; i < all.size(); ++i) {
        const QString path = at(str("/constraints"), i);
        if (!expect(all.at(i), Kind::Array, path))
            continue;
        const QJsonArray c = all.at(i).toArray();
        bool typesOk = true;
        for (int j = 0; j < c.size(); ++j)
            typesOk = expect(c.at(j), Kind::String, at(path, j)) && typesOk;
        if (!typesOk)
            continue;
        if (c.size() < 2 || c.size() > 3) {
            add(path, str("Each constraint must have either 2 or 3 fields"));
            continue;
        }
        const QString field = c.at(0).toString();
        const QString op = c.at(1).toString();
        const bool hasValue = c.size() == 3;
        const QString value = c.at(2).toString();
        if (field.isEmpty()) {
            add(path, str("Missing field and operator"));
            continue;
        }
        if (op == QLatin1String("UNIQUE")) {
            if (hasValue)
                add(path, str("Value specified but not used"));
        } else if (op == QLatin1String("CLUSTER")) {
            // constraints.md (1.10): the value is optional.
        } else if (op == QLatin1String("GROUP_BY")) {
            if (hasValue && !isMarathonInt(value))
                add(path, str("Value was specified but is not a number"));
        } else if (op == QLatin1String("MAX_PER")) {
            if (!hasValue || !isMarathonInt(value))
                add(path, str("Value was not specified or is not a number"));
        } else if (op == QLatin1String("LIKE") || op == QLatin1String("UNLIKE")) {
            // Pier: checked with PCRE; Java regex syntax differs only in corners.
            if (!hasValue)
                add(path, str("A regular expression value must be provided"));
            else if (!QRegularExpression(value).isValid())
                add(path, QStringLiteral("'%1' is not a valid regular expression").arg(value));
        } else if (op == QLatin1String("IS")) {
            // constraints.md: a Mesos scalar or text value.
            if (!hasValue || value.isEmpty())
                add(path, str("Missing value"));
            else if (!fullMatch(QStringLiteral("[a-zA-Z0-9_/.-]+"), value))
                add(path,
                    QStringLiteral("'%1' is not a valid Mesos scalar or text value").arg(value));
        } else {
            add(path, str("Constraint operator must be one of the following UNIQUE, CLUSTER, "
                          "GROUP_BY, LIKE, MAX_PER, UNLIKE or IS"));
        }
    }
}

// ---- container ----------------------------------------------------------------------------

void Validator::validateContainer()
{
    const QString cp = str("/container");
    const QJsonValue containerValue = m_app.value(str("container"));
    if (!expect(containerValue, Kind::Object, cp))
        return;
    const QJsonObject container = containerValue.toObject();
    oneOf(at(cp, str("type")), container.value(str("type")), {str("DOCKER"), str("MESOS")});
    const QString type = container.value(str("type")).toString(str("DOCKER"));

    const QString dp = at(cp, str("docker"));
    const QJsonValue dockerValue = container.value(str("docker"));
    const bool hasDocker = expect(dockerValue, Kind::Object, dp);
    if (!hasDocker && type == QLatin1String("DOCKER") && !dockerValue.isObject() &&
        (dockerValue.isUndefined() || dockerValue.isNull()))
        add(dp, str("must be defined"));
    expect(container.value(str("volumes")), Kind::Array, at(cp, str("volumes")));

    if (hasDocker) {
        const QJsonObject docker = dockerValue.toObject();
        const QString ip = at(dp, str("image"));
        const QJsonValue image = docker.value(str("image"));
        if (image.isUndefined() || image.isNull())
            add(ip, str("is required (error.path.missing)"));
        else if (expect(image, Kind::String, ip) && image.toString().trimmed().isEmpty())
            add(ip, str("must not be empty"));
        oneOf(at(dp, str("network")), docker.value(str("network")),
              {str("BRIDGE"), str("HOST"), str("NONE"), str("USER")});
        expect(docker.value(str("privileged")), Kind::Bool, at(dp, str("privileged")));
        expect(docker.value(str("forcePullImage")), Kind::Bool, at(dp, str("forcePullImage")));
        const QString pp = at(dp, str("parameters"));
        if (expect(docker.value(str("parameters")), Kind::Array, pp)) {
            const QJsonArray params = docker.value(str("parameters")).toArray();
            for (int i = 0; i < params.size(); ++i) {
                const QString path = at(pp, i);
                if (!expect(params.at(i), Kind::Object, path))
                    continue;
                const QJsonObject p = params.at(i).toObject();
                const QJsonValue key = p.value(str("key"));
                if (key.isUndefined() || key.isNull())
                    add(at(path, str("key")), str("is required (error.path.missing)"));
                else if (expect(key, Kind::String, at(path, str("key"))) &&
                         key.toString().isEmpty())
                    add(at(path, str("key")), str("must not be empty"));
                expect(p.value(str("value")), Kind::String, at(path, str("value")));
            }
        }
        if (type == QLatin1String("DOCKER") && docker.contains(str("pullConfig")))
            add(at(dp, str("pullConfig")),
                str("pullConfig is not supported with Docker containerizer"));
        if (type == QLatin1String("MESOS")) {
            // The Mesos containerizer has no docker networking or CLI parameters.
            for (const char *k : {"network", "portMappings", "parameters"}) {
                const QJsonValue v = docker.value(str(k));
                const bool empty =
                    v.isUndefined() || v.isNull() || (v.isArray() && v.toArray().isEmpty());
                if (!empty)
                    add(at(dp, str(k)), str("must be empty"));
            }
        }
    }

    const QJsonArray modern = container.value(str("portMappings")).toArray();
    const QJsonArray legacy = dockerValue.toObject().value(str("portMappings")).toArray();
    if (!modern.isEmpty() && !legacy.isEmpty())
        add(cp, str("cannot specify both portMappings and docker.portMappings"));
}

// ---- networks -----------------------------------------------------------------------------

void Validator::validateNetworks()
{
    const QString np = str("/networks");
    const QJsonValue networksValue = m_app.value(str("networks"));
    const bool hasDockerNetwork = !m_def.value(str("/container/docker/network")).isUndefined() &&
                                  !m_def.value(str("/container/docker/network")).isNull();
    const bool hasNetworks = !networksValue.isUndefined() && !networksValue.isNull();
    if (hasDockerNetwork && hasNetworks)
        add(str("/"), str("must not specify both container.docker.network and networks"));
    if (hasNetworks && m_app.contains(str("ipAddress")) && !m_app.value(str("ipAddress")).isNull())
        add(str("/"), str("must not specify both networks and ipAddress"));
    if (!expect(networksValue, Kind::Array, np))
        return;

    const QJsonArray networks = networksValue.toArray();
    int host = 0, bridge = 0, containerNets = 0, unnamedContainer = 0;
    bool hostNamed = false, bridgeNamed = false, duplicateName = false;
    QSet<QString> names;
    for (int i = 0; i < networks.size(); ++i) {
        const QString path = at(np, i);
        if (!expect(networks.at(i), Kind::Object, path))
            continue;
        const QJsonObject n = networks.at(i).toObject();
        oneOf(at(path, str("mode")), n.value(str("mode")),
              {str("container"), str("container/bridge"), str("host")});
        const QString mode = n.value(str("mode")).toString(str("container"));
        const QJsonValue nameValue = n.value(str("name"));
        const bool named = expect(nameValue, Kind::String, at(path, str("name")));
        const QString name = nameValue.toString();
        if (named) {
            if (name.size() > 63)
                add(at(path, str("name")),
                    QStringLiteral("got %1 characters, expected 63 or less").arg(name.size()));
            else
                pattern(at(path, str("name")), name, kNetworkNamePattern);
            if (names.contains(name))
                duplicateName = true;
            names.insert(name);
        }
        const bool hasLabels = !n.value(str("labels")).toObject().isEmpty();
        if (mode == QLatin1String("host")) {
            ++host;
            hostNamed = hostNamed || (named && !name.isEmpty()) || hasLabels;
        } else if (mode == QLatin1String("container/bridge")) {
            ++bridge;
            bridgeNamed = bridgeNamed || (named && !name.isEmpty());
        } else if (mode == QLatin1String("container")) {
            ++containerNets;
            if (!named)
                ++unnamedContainer;
        }
    }
    if (hostNamed)
        add(np, str("Host networks may not have names or labels"));
    if (bridgeNamed)
        add(np, str("Bridge networks may not have names"));
    if (duplicateName || unnamedContainer > 1)
        add(np, str("Duplicate networks are not allowed"));
    const bool shapeOk = (host <= 1 && bridge == 0 && containerNets == 0) ||
                         (host == 0 && bridge <= 1 && containerNets == 0) ||
                         (host == 0 && bridge == 0 && containerNets > 0);
    if (!shapeOk)
        add(np, str("May specify a single host network, single bridge network, or else 1-to-n "
                    "container networks"));
    if (containerNets > 1 &&
        m_def.value(str("/container/type")).toString(str("DOCKER")) == QLatin1String("DOCKER") &&
        m_app.value(str("container")).isObject())
        add(str("/"), str("may only specify a single container network when using the Docker "
                          "container engine"));
    // Pier: "Network name must be specified when container network is selected" depends on the
    // server's --default_network_name, which Pier cannot see, so it is not checked here.
}

// Host networking said out loud: networks [{mode: host}] or docker.network HOST. Marathon only
// objects to port mappings then (an implied host network drops them silently).
bool Validator::explicitHost() const
{
    const QJsonArray networks = m_app.value(str("networks")).toArray();
    for (const QJsonValue &n : networks) {
        if (n.toObject().value(str("mode")) == QJsonValue(str("host")))
            return true;
    }
    return m_def.value(str("/container/docker/network")) == QJsonValue(str("HOST"));
}

bool Validator::explicitNonHost() const
{
    const QJsonArray networks = m_app.value(str("networks")).toArray();
    for (const QJsonValue &n : networks) {
        if (n.toObject().value(str("mode")) != QJsonValue(str("host")))
            return true;
    }
    const QString legacy = m_def.value(str("/container/docker/network")).toString();
    return legacy == QLatin1String("BRIDGE") || legacy == QLatin1String("USER");
}

// How many ports health checks can address, after Marathon's defaults (one default port
// definition or mapping when none is given; an explicit [] means none).
int Validator::portCount() const
{
    if (m_def.networkMode() != NetworkMode::Host) {
        const QJsonValue modern = m_def.value(str("/container/portMappings"));
        const QJsonValue legacy = m_def.value(str("/container/docker/portMappings"));
        if (modern.isArray())
            return int(modern.toArray().size());
        if (legacy.isArray())
            return int(legacy.toArray().size());
        return 1;
    }
    if (m_app.value(str("portDefinitions")).isArray())
        return int(m_app.value(str("portDefinitions")).toArray().size());
    if (m_app.value(str("ports")).isArray())
        return int(m_app.value(str("ports")).toArray().size());
    return 1;
}

// ---- ports --------------------------------------------------------------------------------

const QStringList &protocols()
{
    // stringTypes.raml NetworkProtocol. Pier: "tcp,udp" is not in Marathon's enum, so it is
    // rejected like Marathon does.
    static const QStringList p = {str("tcp"), str("udp"), str("udp,tcp")};
    return p;
}

void Validator::validatePortMappings(const QString &path, const QJsonArray &mappings)
{
    const NetworkMode mode = m_def.networkMode();
    int containerNetworks = 0;
    for (const QJsonValue &n : m_app.value(str("networks")).toArray()) {
        if (n.toObject().value(str("mode")).toString(str("container")) ==
            QLatin1String("container"))
            ++containerNetworks;
    }
    QStringList names;
    QList<int> servicePorts;
    bool duplicateName = false, duplicateServicePort = false;
    for (int i = 0; i < mappings.size(); ++i) {
        const QString mp = at(path, i);
        if (!expect(mappings.at(i), Kind::Object, mp))
            continue;
        const QJsonObject m = mappings.at(i).toObject();
        const QJsonValue containerPort = m.value(str("containerPort"));
        // Pier: ports.md says containerPort is what a BRIDGE/USER mapping is for; Marathon 1.5+
        // would default it to 0, which only makes sense with a fixed hostPort, so it is asked for.
        if (mode != NetworkMode::Host && (containerPort.isUndefined() || containerPort.isNull()))
            add(at(mp, str("containerPort")), str("is required (error.path.missing)"));
        port(m, str("containerPort"), mp);
        port(m, str("hostPort"), mp);
        port(m, str("servicePort"), mp);
        oneOf(at(mp, str("protocol")), m.value(str("protocol")), protocols());
        const QJsonValue name = m.value(str("name"));
        if (expect(name, Kind::String, at(mp, str("name")))) {
            pattern(at(mp, str("name")), name.toString(), kLegacyNamePattern);
            duplicateName = duplicateName || names.contains(name.toString());
            names.append(name.toString());
        }
        stringMap(m, str("labels"), mp);
        const int sp = m.value(str("servicePort")).toInt(0);
        if (sp != 0) {
            duplicateServicePort = duplicateServicePort || servicePorts.contains(sp);
            servicePorts.append(sp);
        }
        const QJsonValue networkNames = m.value(str("networkNames"));
        if (expect(networkNames, Kind::Array, at(mp, str("networkNames")))) {
            const QJsonArray nn = networkNames.toArray();
            for (int j = 0; j < nn.size(); ++j)
                expect(nn.at(j), Kind::String, at(at(mp, str("networkNames")), j));
        }
        if (containerNetworks > 1 && m.contains(str("hostPort")) &&
            networkNames.toArray().size() != 1)
            add(mp, str("networkNames must be a single item list when hostPort is specified and "
                        "more than 1 container network is defined"));
    }
    if (duplicateName)
        add(path, str("Port names must be unique."));
    // Pier: Marathon fails such an app only when it assigns the ports; caught here earlier.
    if (duplicateServicePort)
        add(path, str("Service ports must be unique."));
}

void Validator::validatePortDefinitions()
{
    const QString pp = str("/portDefinitions");
    const QJsonValue defsValue = m_app.value(str("portDefinitions"));
    if (!expect(defsValue, Kind::Array, pp))
        return;
    const QJsonArray defs = defsValue.toArray();
    QStringList names;
    QList<int> ports;
    bool duplicateName = false, duplicatePort = false;
    for (int i = 0; i < defs.size(); ++i) {
        const QString dp = at(pp, i);
        if (!expect(defs.at(i), Kind::Object, dp))
            continue;
        const QJsonObject d = defs.at(i).toObject();
        port(d, str("port"), dp);
        oneOf(at(dp, str("protocol")), d.value(str("protocol")), protocols());
        const QJsonValue name = d.value(str("name"));
        if (expect(name, Kind::String, at(dp, str("name")))) {
            pattern(at(dp, str("name")), name.toString(), kLegacyNamePattern);
            duplicateName = duplicateName || names.contains(name.toString());
            names.append(name.toString());
        }
        stringMap(d, str("labels"), dp);
        const int p = d.value(str("port")).toInt(0);
        if (p != 0) {
            duplicatePort = duplicatePort || ports.contains(p);
            ports.append(p);
        }
    }
    if (duplicateName)
        add(pp, str("Port names must be unique."));
    if (duplicatePort)
        add(pp, str("Ports must be unique."));
    if (!defs.isEmpty() && explicitNonHost())
        add(str("/"), str("portDefinitions are only allowed with host-networking"));
}

void Validator::validatePorts()
{
    const QJsonValue modern = m_def.value(str("/container/portMappings"));
    if (expect(modern, Kind::Array, str("/container/portMappings")))
        validatePortMappings(str("/container/portMappings"), modern.toArray());
    const QJsonValue legacy = m_def.value(str("/container/docker/portMappings"));
    if (m_app.value(str("container")).toObject().value(str("docker")).isObject() &&
        expect(legacy, Kind::Array, str("/container/docker/portMappings")))
        validatePortMappings(str("/container/docker/portMappings"), legacy.toArray());
    const bool hasMappings = !modern.toArray().isEmpty() || !legacy.toArray().isEmpty();
    // Pier: also for docker.network HOST; Marathon 1.5+ drops those mappings without a word,
    // which is worse for the user than being told.
    if (hasMappings && explicitHost())
        add(str("/"), str("portMappings are not allowed with host-networking"));

    validatePortDefinitions();

    // Deprecated top-level ports (0.7-1.4). With BRIDGE, 0.7 echoed the service ports here,
    // so they are accepted with any network.
    const QJsonValue portsValue = m_app.value(str("ports"));
    if (expect(portsValue, Kind::Array, str("/ports"))) {
        const QJsonArray ports = portsValue.toArray();
        QList<int> seen;
        bool duplicate = false;
        QJsonArray asDefinitions;
        for (int i = 0; i < ports.size(); ++i) {
            const QString path = at(str("/ports"), i);
            if (!expect(ports.at(i), Kind::Int, path))
                continue;
            minimum(path, ports.at(i), 0, Kind::Int);
            maximum(path, ports.at(i), 65535, Kind::Int);
            const int p = ports.at(i).toInt();
            if (p != 0) {
                duplicate = duplicate || seen.contains(p);
                seen.append(p);
            }
            asDefinitions.append(p);
        }
        if (duplicate)
            add(str("/"), str("ports must be unique"));
        const QJsonArray defs = m_app.value(str("portDefinitions")).toArray();
        QJsonArray defPorts;
        for (const QJsonValue &d : defs)
            defPorts.append(d.toObject().value(str("port")).toInt(0));
        if (!ports.isEmpty() && !defs.isEmpty() && defPorts != asDefinitions)
            add(str("/"), str("cannot specify both ports and port definitions"));
    }

    const QJsonValue ip = m_app.value(str("ipAddress"));
    if (expect(ip, Kind::Object, str("/ipAddress"))) {
        const bool anyPorts = !m_app.value(str("ports")).toArray().isEmpty() ||
                              !m_app.value(str("portDefinitions")).toArray().isEmpty();
        if (anyPorts)
            add(str("/"), str("cannot specify both an IP address and port"));
        if (ip.toObject().contains(str("discovery")) &&
            m_def.value(str("/container/type")).toString(str("DOCKER")) ==
                QLatin1String("DOCKER") &&
            m_app.value(str("container")).isObject())
            add(str("/ipAddress"), str("ipAddress/discovery is not allowed for Docker containers"));
    }
}

// ---- health checks ------------------------------------------------------------------------

void Validator::validateHealthChecks()
{
    const QString hp = str("/healthChecks");
    const QJsonValue checksValue = m_app.value(str("healthChecks"));
    if (!expect(checksValue, Kind::Array, hp))
        return;
    const QJsonArray checks = checksValue.toArray();
    const int ports = portCount();
    const bool docker =
        m_app.value(str("container")).isObject() &&
        m_def.value(str("/container/type")).toString(str("DOCKER")) == QLatin1String("DOCKER");
    int mesosChecks = 0;
    for (int i = 0; i < checks.size(); ++i) {
        const QString path = at(hp, i);
        if (!expect(checks.at(i), Kind::Object, path))
            continue;
        const QJsonObject h = checks.at(i).toObject();
        oneOf(at(path, str("protocol")), h.value(str("protocol")),
              {str("HTTP"), str("HTTPS"), str("TCP"), str("COMMAND"), str("MESOS_HTTP"),
               str("MESOS_HTTPS"), str("MESOS_TCP")});
        const QString protocol = h.value(str("protocol")).toString(str("HTTP"));
        for (const char *k : {"gracePeriodSeconds", "intervalSeconds", "timeoutSeconds",
                              "maxConsecutiveFailures", "delaySeconds"})
            number(h, str(k), path, Kind::Int, 0);
        port(h, str("port"), path);
        const bool hasPortIndex = number(h, str("portIndex"), path, Kind::Int, 0);
        expect(h.value(str("path")), Kind::String, at(path, str("path")));
        expect(h.value(str("ignoreHttp1xx")), Kind::Bool, at(path, str("ignoreHttp1xx")));
        oneOf(at(path, str("ipProtocol")), h.value(str("ipProtocol")), {str("IPv4"), str("IPv6")});

        const QJsonValue command = h.value(str("command"));
        bool hasCommand = false;
        if (expect(command, Kind::Object, at(path, str("command"))))
            hasCommand = expect(command.toObject().value(str("value")), Kind::String,
                                at(at(path, str("command")), str("value"))) &&
                         !command.toObject().value(str("value")).toString().isEmpty();
        const bool hasPath = h.contains(str("path")) && !h.value(str("path")).isNull();
        const bool hasPort = h.contains(str("port")) && !h.value(str("port")).isNull();
        const bool hasIndex = h.contains(str("portIndex")) && !h.value(str("portIndex")).isNull();

        // Marathon's HealthCheck rules per protocol. Pier: port together with portIndex is
        // flagged even though 1.10 documents that port wins; it is ambiguous and older
        // servers rejected it.
        bool paramsOk = true;
        if (protocol == QLatin1String("COMMAND"))
            paramsOk = hasCommand && !hasPath && !hasPort;
        else if (protocol.endsWith(QLatin1String("TCP")))
            paramsOk = !command.isObject() && !hasPath && !(hasPort && hasIndex);
        else
            paramsOk = !command.isObject() && !(hasPort && hasIndex);
        if (!paramsOk)
            add(path, QStringLiteral("HealthCheck is having parameters violation %1 protocol.")
                          .arg(protocol));

        // Pier: checked for the MESOS_* protocols too (Marathon leaves those to Mesos, where
        // a bad index fails the launch).
        if (protocol != QLatin1String("COMMAND") && !command.isObject()) {
            const QString message = str("Health check port indices must address an element of "
                                        "the ports array or container port mappings.");
            if (hasPortIndex && h.value(str("portIndex")).toInt() >= ports)
                add(at(path, str("portIndex")), message);
            else if (!hasIndex && !hasPort && ports == 0)
                add(path, message);
        }

        if (protocol.startsWith(QLatin1String("MESOS_")))
            ++mesosChecks;
        if (h.value(str("ipProtocol")) == QJsonValue(str("IPv6")) &&
            !(protocol.startsWith(QLatin1String("MESOS_")) && docker))
            add(path, str("IPv6 can only be used for container type DOCKER and Mesos "
                          "http/https/tcp health checks"));
    }
    if (mesosChecks > 1)
        add(str("/"), str("AppDefinition can contain at most one Mesos health check"));
}

// ---- fetch --------------------------------------------------------------------------------

void Validator::validateArtifacts()
{
    const QJsonValue uris = m_app.value(str("uris"));
    if (expect(uris, Kind::Array, str("/uris"))) {
        const QJsonArray a = uris.toArray();
        for (int i = 0; i < a.size(); ++i)
            expect(a.at(i), Kind::String, at(str("/uris"), i));
    }
    const QJsonValue fetch = m_app.value(str("fetch"));
    if (expect(fetch, Kind::Array, str("/fetch"))) {
        const QJsonArray a = fetch.toArray();
        for (int i = 0; i < a.size(); ++i) {
            const QString path = at(str("/fetch"), i);
            if (!expect(a.at(i), Kind::Object, path))
                continue;
            const QJsonValue uri = a.at(i).toObject().value(str("uri"));
            if (uri.isUndefined() || uri.isNull())
                add(at(path, str("uri")), str("is required (error.path.missing)"));
            else
                expect(uri, Kind::String, at(path, str("uri")));
        }
    }
    if (!uris.toArray().isEmpty() && !fetch.toArray().isEmpty())
        add(str("/uris"), str("may not be set in conjunction with fetch"));
}

QList<ValidationIssue> Validator::run()
{
    validateId();
    validateCommand();
    validateResources();
    validateScheduling();
    validateEnvAndLabels();
    validateConstraints();
    validateContainer();
    validateNetworks();
    validatePorts();
    validateHealthChecks();
    validateArtifacts();

    std::stable_sort(m_issues.begin(), m_issues.end(),
                     [](const ValidationIssue &a, const ValidationIssue &b) {
                         return a.path != b.path ? a.path < b.path : a.message < b.message;
                     });
    m_issues.erase(std::unique(m_issues.begin(), m_issues.end()), m_issues.end());
    return m_issues;
}

} // namespace

QList<ValidationIssue> validateApp(const QJsonObject &app)
{
    return Validator(app).run();
}

} // namespace pier::marathon
