#include "appdefinition.h"

#include <QJsonDocument>

#include <algorithm>

namespace pier::marathon {

namespace {

QString str(const char *s)
{
    return QString::fromLatin1(s);
}

bool isIndexToken(const QString &token)
{
    if (token.isEmpty() || token.size() > 9)
        return false;
    if (token.size() > 1 && token.at(0) == QLatin1Char('0'))
        return false; // RFC 6901: no leading zeros
    return std::all_of(token.begin(), token.end(), [](QChar c) { return c.isDigit(); });
}

QJsonValue getIn(const QJsonValue &node, const QStringList &tokens, int i)
{
    if (i == tokens.size())
        return node;
    const QString &t = tokens.at(i);
    if (node.isObject()) {
        const QJsonObject o = node.toObject();
        const auto it = o.constFind(t);
        return it == o.constEnd() ? QJsonValue(QJsonValue::Undefined) : getIn(*it, tokens, i + 1);
    }
    if (node.isArray() && isIndexToken(t)) {
        const QJsonArray a = node.toArray();
        const int idx = t.toInt();
        return idx < a.size() ? getIn(a.at(idx), tokens, i + 1) : QJsonValue(QJsonValue::Undefined);
    }
    return QJsonValue(QJsonValue::Undefined);
}

// Returns `node` with `value` stored at tokens[i..]. Missing or scalar parents become objects,
// or arrays when the token is a number or "-" (so "/container/portMappings/0/containerPort"
// on a blank definition builds an array, as a user would expect).
QJsonValue setIn(const QJsonValue &node, const QStringList &tokens, int i, const QJsonValue &value)
{
    if (i == tokens.size())
        return value;
    const QString &t = tokens.at(i);
    const bool arrayToken = isIndexToken(t) || t == QLatin1String("-");
    if (node.isArray() && arrayToken) {
        QJsonArray a = node.toArray();
        int idx = t == QLatin1String("-") ? int(a.size()) : t.toInt();
        while (a.size() < idx) // pad so the index exists; RFC 6901 leaves this undefined
            a.append(QJsonValue(QJsonValue::Null));
        if (idx == a.size())
            a.append(setIn(QJsonValue(QJsonValue::Undefined), tokens, i + 1, value));
        else
            a[idx] = setIn(a.at(idx), tokens, i + 1, value);
        return a;
    }
    if (!node.isObject() && arrayToken)
        return setIn(QJsonArray(), tokens, i, value);
    QJsonObject o = node.toObject();
    o.insert(t, setIn(o.value(t), tokens, i + 1, value));
    return o;
}

// Removes tokens[i..] from `node`; sets *emptied when an object became empty by it so the
// caller can drop it too.
QJsonValue removeIn(const QJsonValue &node, const QStringList &tokens, int i, bool *emptied)
{
    *emptied = false;
    const QString &t = tokens.at(i);
    const bool last = i + 1 == tokens.size();
    if (node.isObject()) {
        QJsonObject o = node.toObject();
        if (!o.contains(t))
            return node;
        if (last) {
            o.remove(t);
        } else {
            bool childEmptied = false;
            const QJsonValue child = removeIn(o.value(t), tokens, i + 1, &childEmptied);
            if (childEmptied)
                o.remove(t);
            else
                o.insert(t, child);
        }
        *emptied = o.isEmpty();
        return o;
    }
    if (node.isArray() && isIndexToken(t)) {
        QJsonArray a = node.toArray();
        const int idx = t.toInt();
        if (idx >= a.size())
            return node;
        if (last) {
            a.removeAt(idx);
        } else {
            bool childEmptied = false;
            const QJsonValue child = removeIn(a.at(idx), tokens, i + 1, &childEmptied);
            // An element left empty stays (as {}): removing it would shift the indexes.
            a[idx] = childEmptied ? QJsonValue(QJsonObject()) : child;
        }
        return a; // arrays are never pruned: [] means "no ports", which differs from absent
    }
    return node;
}

QString networkModeLegacyName(NetworkMode m)
{
    switch (m) {
    case NetworkMode::Bridge:
        return str("BRIDGE");
    case NetworkMode::Container:
        return str("USER");
    case NetworkMode::Host:
        break;
    }
    return str("HOST");
}

QString networkModeModernName(NetworkMode m)
{
    switch (m) {
    case NetworkMode::Bridge:
        return str("container/bridge");
    case NetworkMode::Container:
        return str("container");
    case NetworkMode::Host:
        break;
    }
    return str("host");
}

QMap<QString, QString> stringMap(const QJsonValue &v)
{
    QMap<QString, QString> out;
    const QJsonObject o = v.toObject();
    for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
        if (it->isString())
            out.insert(it.key(), it->toString());
    }
    return out;
}

// Replaces the string entries of `o` with `map`, keeping entries of other types (secret refs).
QJsonObject mergeStringMap(QJsonObject o, const QMap<QString, QString> &map)
{
    const QStringList keys = o.keys();
    for (const QString &k : keys) {
        if (o.value(k).isString() && !map.contains(k))
            o.remove(k);
    }
    for (auto it = map.constBegin(); it != map.constEnd(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

int intOr(const QJsonValue &v, int def)
{
    return v.isDouble() ? v.toInt(def) : def;
}

// List setters (ports, health checks) update the element at the same index in place, the
// caller's `extra` laid over it: structs read from the definition carry their unknown keys,
// and structs built from scratch still keep those of the element they replace.

// Writes an int field that has a "not given" default: kept when it was there before, so
// the file changes only where the user changed something.
void putInt(QJsonObject &o, const QString &key, int value, int defaultValue)
{
    if (value != defaultValue || o.contains(key))
        o.insert(key, value);
}

void putString(QJsonObject &o, const QString &key, const QString &value)
{
    if (value.isEmpty())
        o.remove(key);
    else
        o.insert(key, value);
}

const QStringList &portMappingKnownKeys()
{
    static const QStringList keys = {str("containerPort"), str("hostPort"), str("servicePort"),
                                     str("protocol"),      str("name"),     str("labels")};
    return keys;
}

const QStringList &portDefinitionKnownKeys()
{
    static const QStringList keys = {str("port"), str("protocol"), str("name"), str("labels")};
    return keys;
}

const QStringList &healthCheckKnownKeys()
{
    static const QStringList keys = {str("protocol"),
                                     str("path"),
                                     str("portIndex"),
                                     str("port"),
                                     str("gracePeriodSeconds"),
                                     str("intervalSeconds"),
                                     str("timeoutSeconds"),
                                     str("maxConsecutiveFailures"),
                                     str("command")};
    return keys;
}

QJsonObject extraOf(const QJsonObject &o, const QStringList &known)
{
    QJsonObject extra = o;
    for (const QString &k : known)
        extra.remove(k);
    return extra;
}

// The object to write a list element into: the one already there (unknown keys kept) with
// the caller's extra keys laid over it.
QJsonObject baseFor(const QJsonArray &existing, int i, const QJsonObject &extra)
{
    QJsonObject o = i < existing.size() ? existing.at(i).toObject() : QJsonObject();
    for (auto it = extra.constBegin(); it != extra.constEnd(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

QJsonArray writePortMappings(const QJsonArray &existing, const QList<PortMapping> &ports)
{
    QJsonArray out;
    for (int i = 0; i < ports.size(); ++i) {
        const PortMapping &p = ports.at(i);
        QJsonObject o = baseFor(existing, i, p.extra);
        o.insert(str("containerPort"), p.containerPort);
        putInt(o, str("hostPort"), p.hostPort, 0);
        putInt(o, str("servicePort"), p.servicePort, 0);
        putString(o, str("protocol"), p.protocol);
        putString(o, str("name"), p.name);
        if (p.labels.isEmpty())
            o.remove(str("labels"));
        else
            o.insert(str("labels"), p.labels);
        out.append(o);
    }
    return out;
}

// Host networking: the mapping's hostPort is the port definition's "port" (a host port when
// requirePorts, else a service port request; either way the number the user asked for).
QJsonArray writePortDefinitions(const QJsonArray &existing, const QList<PortMapping> &ports)
{
    QJsonArray out;
    for (int i = 0; i < ports.size(); ++i) {
        const PortMapping &p = ports.at(i);
        QJsonObject o = baseFor(existing, i, p.extra);
        o.insert(str("port"), p.hostPort);
        putString(o, str("protocol"), p.protocol);
        putString(o, str("name"), p.name);
        if (p.labels.isEmpty())
            o.remove(str("labels"));
        else
            o.insert(str("labels"), p.labels);
        out.append(o);
    }
    return out;
}

bool fitsLegacyPorts(const QList<PortMapping> &ports)
{
    return std::all_of(ports.begin(), ports.end(), [](const PortMapping &p) {
        return p.name.isEmpty() && p.labels.isEmpty() && p.extra.isEmpty() &&
               (p.protocol.isEmpty() || p.protocol == QLatin1String("tcp"));
    });
}

PortMapping readMapping(const QJsonObject &o)
{
    PortMapping p;
    p.containerPort = intOr(o.value(str("containerPort")), 0);
    p.hostPort = intOr(o.value(str("hostPort")), 0);
    p.servicePort = intOr(o.value(str("servicePort")), 0);
    p.protocol = o.value(str("protocol")).toString();
    p.name = o.value(str("name")).toString();
    p.labels = o.value(str("labels")).toObject();
    p.extra = extraOf(o, portMappingKnownKeys());
    return p;
}

PortMapping readDefinition(const QJsonObject &o)
{
    PortMapping p;
    p.hostPort = intOr(o.value(str("port")), 0);
    p.protocol = o.value(str("protocol")).toString();
    p.name = o.value(str("name")).toString();
    p.labels = o.value(str("labels")).toObject();
    p.extra = extraOf(o, portDefinitionKnownKeys());
    return p;
}

void fillDefaults(QJsonObject &o, const QJsonObject &defaults)
{
    for (auto it = defaults.constBegin(); it != defaults.constEnd(); ++it) {
        if (!o.contains(it.key()) || o.value(it.key()).isNull())
            o.insert(it.key(), it.value());
    }
}

QString resolvePath(const QString &id, bool *hadDots)
{
    QStringList out;
    bool dots = false;
    const QStringList parts = id.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    for (const QString &p : parts) {
        if (p == QLatin1String(".")) {
            dots = true;
        } else if (p == QLatin1String("..")) {
            dots = true;
            if (!out.isEmpty())
                out.removeLast();
        } else {
            out.append(p);
        }
    }
    if (hadDots)
        *hadDots = dots;
    return QLatin1Char('/') + out.join(QLatin1Char('/'));
}

} // namespace

// ---- parsing ------------------------------------------------------------------------------

JsonParseError AppDefinition::locate(const QByteArray &text, int offset, const QString &message)
{
    JsonParseError e;
    e.offset = std::clamp(offset, 0, int(text.size()));
    e.message = message;
    const QByteArray before = text.left(e.offset);
    e.line = int(before.count('\n')) + 1;
    const int lineStart = int(before.lastIndexOf('\n')) + 1;
    // Column in UTF-16 units, as the editor (QTextCursor) counts them.
    e.column = int(QString::fromUtf8(before.mid(lineStart)).size()) + 1;
    return e;
}

AppDefinition AppDefinition::parse(const QByteArray &text, JsonParseError *error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &pe);
    JsonParseError result;
    AppDefinition app;
    int start = 0;
    while (start < text.size() && (text.at(start) == ' ' || text.at(start) == '\t' ||
                                   text.at(start) == '\r' || text.at(start) == '\n'))
        ++start;
    // Qt 6 refuses a top-level scalar with "illegal value" just after it; saying what is
    // wrong, at its first character, helps more.
    const bool startsAsContainer =
        start < text.size() && (text.at(start) == '{' || text.at(start) == '[');
    if (start < text.size() && !startsAsContainer) {
        result = locate(text, start, str("expected a JSON object"));
    } else if (pe.error != QJsonParseError::NoError) {
        result = locate(text, pe.offset, pe.errorString());
    } else if (!doc.isObject()) {
        result = locate(text, start, str("expected a JSON object"));
    } else {
        app.m_json = doc.object();
    }
    if (error)
        *error = result;
    return app;
}

QByteArray AppDefinition::toJson(bool indented) const
{
    return QJsonDocument(m_json).toJson(indented ? QJsonDocument::Indented
                                                 : QJsonDocument::Compact);
}

// ---- JSON pointer -------------------------------------------------------------------------

QStringList AppDefinition::splitPointer(const QString &pointer)
{
    if (pointer.isEmpty())
        return {};
    QString p = pointer;
    if (!p.startsWith(QLatin1Char('/')))
        p.prepend(QLatin1Char('/'));
    QStringList tokens = p.mid(1).split(QLatin1Char('/'));
    for (QString &t : tokens) {
        // Order matters (RFC 6901 §4): "~01" is "~1", not "/".
        t.replace(QLatin1String("~1"), QLatin1String("/"));
        t.replace(QLatin1String("~0"), QLatin1String("~"));
    }
    return tokens;
}

QString AppDefinition::escapePointerToken(const QString &token)
{
    QString t = token;
    t.replace(QLatin1String("~"), QLatin1String("~0"));
    t.replace(QLatin1String("/"), QLatin1String("~1"));
    return t;
}

QString AppDefinition::joinPointer(const QStringList &tokens)
{
    QString out;
    for (const QString &t : tokens)
        out += QLatin1Char('/') + escapePointerToken(t);
    return out;
}

QJsonValue AppDefinition::value(const QString &pointer) const
{
    return getIn(m_json, splitPointer(pointer), 0);
}

void AppDefinition::setValue(const QString &pointer, const QJsonValue &value)
{
    const QStringList tokens = splitPointer(pointer);
    if (tokens.isEmpty()) {
        if (value.isObject())
            m_json = value.toObject();
        return;
    }
    m_json = setIn(m_json, tokens, 0, value).toObject();
}

void AppDefinition::remove(const QString &pointer)
{
    const QStringList tokens = splitPointer(pointer);
    if (tokens.isEmpty()) {
        m_json = QJsonObject();
        return;
    }
    bool emptied = false;
    m_json = removeIn(m_json, tokens, 0, &emptied).toObject();
}

// ---- typed accessors ----------------------------------------------------------------------

QString AppDefinition::id() const
{
    return m_json.value(str("id")).toString();
}

void AppDefinition::setId(const QString &id)
{
    putString(m_json, str("id"), id);
}

QString AppDefinition::absoluteId() const
{
    const QString raw = id();
    if (raw.isEmpty())
        return QString();
    return resolvePath(raw, nullptr);
}

QString AppDefinition::image() const
{
    return value(str("/container/docker/image")).toString();
}

void AppDefinition::setImage(const QString &image)
{
    if (image.isEmpty()) {
        remove(str("/container/docker/image"));
        return;
    }
    // A MESOS container with a docker image is valid (UCR), so an existing type is kept.
    if (!value(str("/container/type")).isString())
        setValue(str("/container/type"), str("DOCKER"));
    setValue(str("/container/docker/image"), image);
}

NetworkForm AppDefinition::networkForm() const
{
    // Modern keys win: Marathon 1.5+ answers in that form and rejects networks together
    // with container.docker.network.
    if (m_json.contains(str("networks")))
        return NetworkForm::Modern;
    if (!value(str("/container/docker/network")).isUndefined())
        return NetworkForm::Legacy;
    if (!value(str("/container/portMappings")).isUndefined())
        return NetworkForm::Modern;
    if (!value(str("/container/docker/portMappings")).isUndefined())
        return NetworkForm::Legacy;
    if (m_json.contains(str("portDefinitions")))
        return NetworkForm::Modern;
    if (m_json.contains(str("ports")))
        return NetworkForm::Legacy;
    return NetworkForm::Unspecified;
}

NetworkMode AppDefinition::networkMode() const
{
    const QJsonValue networks = m_json.value(str("networks"));
    if (networks.isArray() && !networks.toArray().isEmpty()) {
        const QJsonValue mode = networks.toArray().at(0).toObject().value(str("mode"));
        if (mode == QJsonValue(str("host")))
            return NetworkMode::Host;
        if (mode == QJsonValue(str("container/bridge")))
            return NetworkMode::Bridge;
        return NetworkMode::Container; // RAML default mode is "container"
    }
    const QString legacy = value(str("/container/docker/network")).toString();
    if (legacy == QLatin1String("BRIDGE"))
        return NetworkMode::Bridge;
    if (legacy == QLatin1String("USER"))
        return NetworkMode::Container;
    // HOST, NONE (Marathon translates it to "no container network", i.e. host) or nothing.
    return NetworkMode::Host;
}

static bool useLegacyForm(const AppDefinition &app)
{
    switch (app.networkForm()) {
    case NetworkForm::Legacy:
        return true;
    case NetworkForm::Modern:
        return false;
    case NetworkForm::Unspecified:
        break;
    }
    // Blank: the tutorial's form when the definition already has a docker section.
    return app.value(QStringLiteral("/container/docker")).isObject();
}

void AppDefinition::setNetworkMode(NetworkMode mode)
{
    if (useLegacyForm(*this)) {
        setValue(str("/container/docker/network"), networkModeLegacyName(mode));
        return;
    }
    QJsonArray networks = m_json.value(str("networks")).toArray();
    QJsonObject first = networks.isEmpty() ? QJsonObject() : networks.at(0).toObject();
    first.insert(str("mode"), networkModeModernName(mode));
    if (mode != NetworkMode::Container) {
        // Marathon: host and bridge networks may not have names; only one of them is allowed.
        first.remove(str("name"));
        networks = QJsonArray{first};
    } else if (networks.isEmpty()) {
        networks.append(first);
    } else {
        networks[0] = first;
    }
    m_json.insert(str("networks"), networks);
}

QList<PortMapping> AppDefinition::portMappings() const
{
    QList<PortMapping> out;
    const QJsonValue modern = value(str("/container/portMappings"));
    const QJsonValue legacy = value(str("/container/docker/portMappings"));
    if (modern.isArray() || legacy.isArray()) {
        const QJsonArray a = modern.isArray() ? modern.toArray() : legacy.toArray();
        for (const QJsonValue &v : a)
            out.append(readMapping(v.toObject()));
        return out;
    }
    const QJsonValue defs = m_json.value(str("portDefinitions"));
    if (defs.isArray()) {
        for (const QJsonValue &v : defs.toArray())
            out.append(readDefinition(v.toObject()));
        return out;
    }
    for (const QJsonValue &v : m_json.value(str("ports")).toArray()) {
        PortMapping p;
        p.hostPort = intOr(v, 0);
        out.append(p);
    }
    return out;
}

void AppDefinition::setPortMappings(const QList<PortMapping> &ports)
{
    const QString modernPtr = str("/container/portMappings");
    const QString legacyPtr = str("/container/docker/portMappings");
    // Write where the ports already are; only a definition without any picks by mode and form.
    if (value(modernPtr).isArray()) {
        setValue(modernPtr, writePortMappings(value(modernPtr).toArray(), ports));
        return;
    }
    if (value(legacyPtr).isArray()) {
        setValue(legacyPtr, writePortMappings(value(legacyPtr).toArray(), ports));
        return;
    }
    const QJsonValue defs = m_json.value(str("portDefinitions"));
    if (defs.isArray()) {
        m_json.insert(str("portDefinitions"), writePortDefinitions(defs.toArray(), ports));
        return;
    }
    const QJsonValue legacyPorts = m_json.value(str("ports"));
    const bool legacy = useLegacyForm(*this);
    if (networkMode() == NetworkMode::Host) {
        if ((legacyPorts.isArray() || legacy) && fitsLegacyPorts(ports)) {
            QJsonArray a;
            for (const PortMapping &p : ports)
                a.append(p.hostPort);
            m_json.insert(str("ports"), a);
        } else {
            // `ports` cannot hold names, protocols or labels: portDefinitions replaced it
            // in Marathon 0.16, so that is where such ports go.
            m_json.remove(str("ports"));
            m_json.insert(str("portDefinitions"), writePortDefinitions(QJsonArray(), ports));
        }
        return;
    }
    setValue(legacy ? legacyPtr : modernPtr, writePortMappings(QJsonArray(), ports));
}

double AppDefinition::cpus() const
{
    return m_json.value(str("cpus")).toDouble(1.0);
}
void AppDefinition::setCpus(double cpus)
{
    m_json.insert(str("cpus"), cpus);
}
double AppDefinition::mem() const
{
    return m_json.value(str("mem")).toDouble(128.0);
}
void AppDefinition::setMem(double mem)
{
    m_json.insert(str("mem"), mem);
}
double AppDefinition::disk() const
{
    return m_json.value(str("disk")).toDouble(0.0);
}
void AppDefinition::setDisk(double disk)
{
    m_json.insert(str("disk"), disk);
}
int AppDefinition::instances() const
{
    return intOr(m_json.value(str("instances")), 1);
}
void AppDefinition::setInstances(int instances)
{
    m_json.insert(str("instances"), instances);
}

QString AppDefinition::cmd() const
{
    return m_json.value(str("cmd")).toString();
}
void AppDefinition::setCmd(const QString &cmd)
{
    putString(m_json, str("cmd"), cmd);
}

QMap<QString, QString> AppDefinition::env() const
{
    return stringMap(m_json.value(str("env")));
}

void AppDefinition::setEnv(const QMap<QString, QString> &env)
{
    const QJsonObject merged = mergeStringMap(m_json.value(str("env")).toObject(), env);
    if (merged.isEmpty())
        m_json.remove(str("env"));
    else
        m_json.insert(str("env"), merged);
}

QMap<QString, QString> AppDefinition::labels() const
{
    return stringMap(m_json.value(str("labels")));
}

void AppDefinition::setLabels(const QMap<QString, QString> &labels)
{
    const QJsonObject merged = mergeStringMap(m_json.value(str("labels")).toObject(), labels);
    if (merged.isEmpty())
        m_json.remove(str("labels"));
    else
        m_json.insert(str("labels"), merged);
}

QList<QStringList> AppDefinition::constraints() const
{
    QList<QStringList> out;
    for (const QJsonValue &c : m_json.value(str("constraints")).toArray()) {
        QStringList parts;
        for (const QJsonValue &p : c.toArray())
            parts.append(p.isString() ? p.toString() : p.toVariant().toString());
        out.append(parts);
    }
    return out;
}

void AppDefinition::setConstraints(const QList<QStringList> &constraints)
{
    if (constraints.isEmpty()) {
        m_json.remove(str("constraints"));
        return;
    }
    QJsonArray a;
    for (const QStringList &c : constraints)
        a.append(QJsonArray::fromStringList(c));
    m_json.insert(str("constraints"), a);
}

QList<HealthCheck> AppDefinition::healthChecks() const
{
    QList<HealthCheck> out;
    const HealthCheck defaults;
    for (const QJsonValue &v : m_json.value(str("healthChecks")).toArray()) {
        const QJsonObject o = v.toObject();
        HealthCheck h;
        h.protocol = o.value(str("protocol")).toString(str("HTTP"));
        h.path = o.value(str("path")).toString();
        h.portIndex = intOr(o.value(str("portIndex")), -1);
        h.port = intOr(o.value(str("port")), -1);
        h.gracePeriodSeconds =
            intOr(o.value(str("gracePeriodSeconds")), defaults.gracePeriodSeconds);
        h.intervalSeconds = intOr(o.value(str("intervalSeconds")), defaults.intervalSeconds);
        h.timeoutSeconds = intOr(o.value(str("timeoutSeconds")), defaults.timeoutSeconds);
        h.maxConsecutiveFailures =
            intOr(o.value(str("maxConsecutiveFailures")), defaults.maxConsecutiveFailures);
        h.command = o.value(str("command")).toObject().value(str("value")).toString();
        h.extra = extraOf(o, healthCheckKnownKeys());
        out.append(h);
    }
    return out;
}

void AppDefinition::setHealthChecks(const QList<HealthCheck> &checks)
{
    if (checks.isEmpty()) {
        m_json.remove(str("healthChecks"));
        return;
    }
    const QJsonArray existing = m_json.value(str("healthChecks")).toArray();
    const HealthCheck defaults;
    QJsonArray out;
    for (int i = 0; i < checks.size(); ++i) {
        const HealthCheck &h = checks.at(i);
        QJsonObject o = baseFor(existing, i, h.extra);
        if (h.protocol.isEmpty())
            o.remove(str("protocol"));
        else if (h.protocol != QLatin1String("HTTP") || o.contains(str("protocol")))
            o.insert(str("protocol"), h.protocol);
        putString(o, str("path"), h.path);
        if (h.portIndex < 0)
            o.remove(str("portIndex"));
        else
            o.insert(str("portIndex"), h.portIndex);
        if (h.port < 0)
            o.remove(str("port"));
        else
            o.insert(str("port"), h.port);
        putInt(o, str("gracePeriodSeconds"), h.gracePeriodSeconds, defaults.gracePeriodSeconds);
        putInt(o, str("intervalSeconds"), h.intervalSeconds, defaults.intervalSeconds);
        putInt(o, str("timeoutSeconds"), h.timeoutSeconds, defaults.timeoutSeconds);
        putInt(o, str("maxConsecutiveFailures"), h.maxConsecutiveFailures,
               defaults.maxConsecutiveFailures);
        if (h.command.isEmpty()) {
            o.remove(str("command"));
        } else {
            QJsonObject command = o.value(str("command")).toObject(); // keeps its other keys
            command.insert(str("value"), h.command);
            o.insert(str("command"), command);
        }
        out.append(o);
    }
    m_json.insert(str("healthChecks"), out);
}

double AppDefinition::minimumHealthCapacity() const
{
    return value(str("/upgradeStrategy/minimumHealthCapacity")).toDouble(1.0);
}

double AppDefinition::maximumOverCapacity() const
{
    return value(str("/upgradeStrategy/maximumOverCapacity")).toDouble(1.0);
}

void AppDefinition::setUpgradeStrategy(double minimumHealthCapacity, double maximumOverCapacity)
{
    QJsonObject s = m_json.value(str("upgradeStrategy")).toObject();
    s.insert(str("minimumHealthCapacity"), minimumHealthCapacity);
    s.insert(str("maximumOverCapacity"), maximumOverCapacity);
    m_json.insert(str("upgradeStrategy"), s);
}

// ---- defaults -----------------------------------------------------------------------------

QJsonObject AppDefinition::withDefaults() const
{
    QJsonObject o = m_json;
    if (o.value(str("id")).isString())
        o.insert(str("id"), absoluteId());

    // app.raml defaults (1.8+ values; maxLaunchDelaySeconds was 3600 before 1.8).
    fillDefaults(o, QJsonObject{
                        {str("cpus"), 1.0},
                        {str("mem"), 128.0},
                        {str("disk"), 0.0},
                        {str("gpus"), 0},
                        {str("instances"), 1},
                        {str("backoffSeconds"), 1},
                        {str("backoffFactor"), 1.15},
                        {str("maxLaunchDelaySeconds"), 300},
                        {str("requirePorts"), false},
                        {str("env"), QJsonObject()},
                        {str("labels"), QJsonObject()},
                        {str("constraints"), QJsonArray()},
                        {str("dependencies"), QJsonArray()},
                        {str("healthChecks"), QJsonArray()},
                        {str("readinessChecks"), QJsonArray()},
                        {str("executor"), QString()},
                        {str("killSelection"), str("YOUNGEST_FIRST")},
                        {str("unreachableStrategy"), QJsonObject{{str("inactiveAfterSeconds"), 0},
                                                                 {str("expungeAfterSeconds"), 0}}},
                    });
    // The deprecated `uris` keeps its form; otherwise the modern `fetch`.
    if (!o.value(str("uris")).isArray())
        fillDefaults(o, QJsonObject{{str("fetch"), QJsonArray()}});

    QJsonObject upgrade = o.value(str("upgradeStrategy")).toObject();
    fillDefaults(upgrade, QJsonObject{{str("minimumHealthCapacity"), 1.0},
                                      {str("maximumOverCapacity"), 1.0}});
    o.insert(str("upgradeStrategy"), upgrade);

    const NetworkMode mode = networkMode();
    const bool legacy = useLegacyForm(*this);
    const bool hasDocker = value(str("/container/docker")).isObject();

    // Networks: 1.5+ always answers with a networks array; in the legacy form the docker
    // network field says it already (or HOST is implied).
    if (!legacy) {
        QJsonArray networks = o.value(str("networks")).toArray();
        if (networks.isEmpty())
            networks.append(QJsonObject{{str("mode"), str("host")}});
        for (int i = 0; i < networks.size(); ++i) {
            QJsonObject n = networks.at(i).toObject();
            fillDefaults(n, QJsonObject{{str("mode"), str("container")}});
            networks[i] = n;
        }
        o.insert(str("networks"), networks);
    }

    if (o.value(str("container")).isObject()) {
        QJsonObject c = o.value(str("container")).toObject();
        fillDefaults(c, QJsonObject{{str("type"), str("DOCKER")}, {str("volumes"), QJsonArray()}});
        if (hasDocker) {
            QJsonObject d = c.value(str("docker")).toObject();
            fillDefaults(d, QJsonObject{{str("privileged"), false},
                                        {str("forcePullImage"), false},
                                        {str("parameters"), QJsonArray()}});
            c.insert(str("docker"), d);
        }
        o.insert(str("container"), c);
    }

    auto mappingDefaults = [mode](QJsonArray mappings) {
        for (int i = 0; i < mappings.size(); ++i) {
            QJsonObject m = mappings.at(i).toObject();
            QJsonObject defaults{{str("containerPort"), 0},
                                 {str("servicePort"), 0},
                                 {str("protocol"), str("tcp")},
                                 {str("labels"), QJsonObject()}};
            // Only bridge fills hostPort: in container (USER) mode a missing hostPort means
            // "do not allocate a host port".
            if (mode == NetworkMode::Bridge)
                defaults.insert(str("hostPort"), 0);
            fillDefaults(m, defaults);
            mappings[i] = m;
        }
        return mappings;
    };

    QJsonObject container = o.value(str("container")).toObject();
    QJsonObject docker = container.value(str("docker")).toObject();
    int portCount = 0;
    if (container.value(str("portMappings")).isArray()) {
        const QJsonArray a = mappingDefaults(container.value(str("portMappings")).toArray());
        portCount = int(a.size());
        container.insert(str("portMappings"), a);
        o.insert(str("container"), container);
    } else if (docker.value(str("portMappings")).isArray()) {
        const QJsonArray a = mappingDefaults(docker.value(str("portMappings")).toArray());
        portCount = int(a.size());
        docker.insert(str("portMappings"), a);
        container.insert(str("docker"), docker);
        o.insert(str("container"), container);
    } else if (mode != NetworkMode::Host) {
        // networking.md: an unspecified portMappings becomes one default mapping.
        const QJsonArray a = mappingDefaults(
            QJsonArray{QJsonObject{{str("containerPort"), 0}, {str("name"), str("default")}}});
        portCount = 1;
        if (legacy) {
            docker.insert(str("portMappings"), a);
            container.insert(str("docker"), docker);
        } else {
            container.insert(str("portMappings"), a);
        }
        if (!container.contains(str("type")))
            container.insert(str("type"), legacy ? str("DOCKER") : str("MESOS"));
        o.insert(str("container"), container);
    }

    if (mode == NetworkMode::Host) {
        if (o.value(str("portDefinitions")).isArray()) {
            QJsonArray defs = o.value(str("portDefinitions")).toArray();
            for (int i = 0; i < defs.size(); ++i) {
                QJsonObject d = defs.at(i).toObject();
                fillDefaults(d, QJsonObject{{str("port"), 0},
                                            {str("protocol"), str("tcp")},
                                            {str("labels"), QJsonObject()}});
                defs[i] = d;
            }
            portCount = int(defs.size());
            o.insert(str("portDefinitions"), defs);
        } else if (o.value(str("ports")).isArray()) {
            portCount = int(o.value(str("ports")).toArray().size());
        } else {
            o.insert(str("portDefinitions"),
                     QJsonArray{QJsonObject{{str("port"), 0},
                                            {str("protocol"), str("tcp")},
                                            {str("name"), str("default")},
                                            {str("labels"), QJsonObject()}}});
            portCount = 1;
        }
    }

    QJsonArray checks = o.value(str("healthChecks")).toArray();
    for (int i = 0; i < checks.size(); ++i) {
        QJsonObject h = checks.at(i).toObject();
        fillDefaults(h, QJsonObject{{str("protocol"), str("HTTP")},
                                    {str("gracePeriodSeconds"), 300},
                                    {str("intervalSeconds"), 60},
                                    {str("timeoutSeconds"), 20},
                                    {str("maxConsecutiveFailures"), 3},
                                    {str("delaySeconds"), 15},
                                    {str("ipProtocol"), str("IPv4")}});
        const QString protocol = h.value(str("protocol")).toString();
        if (protocol.endsWith(QLatin1String("HTTP")) || protocol.endsWith(QLatin1String("HTTPS")))
            fillDefaults(h, QJsonObject{{str("path"), str("/")}});
        if (protocol == QLatin1String("HTTP") || protocol == QLatin1String("HTTPS"))
            fillDefaults(h, QJsonObject{{str("ignoreHttp1xx"), false}});
        // AppNormalization: portIndex 0 when neither port nor portIndex, if the app has ports.
        if (protocol != QLatin1String("COMMAND") && !h.contains(str("port")) &&
            !h.contains(str("portIndex")) && portCount > 0)
            h.insert(str("portIndex"), 0);
        checks[i] = h;
    }
    o.insert(str("healthChecks"), checks);
    return o;
}

// ---- canonical form and comparison --------------------------------------------------------

QJsonObject AppDefinition::canonicalForm() const
{
    QJsonObject o = m_json;
    const NetworkMode mode = networkMode();
    QJsonObject container = o.value(str("container")).toObject();
    QJsonObject docker = container.value(str("docker")).toObject();

    if (docker.contains(str("network"))) {
        const QString legacy = docker.value(str("network")).toString();
        if (!o.contains(str("networks"))) {
            QJsonObject n{{str("mode"), networkModeModernName(mode)}};
            if (legacy == QLatin1String("USER")) {
                const QString name = value(str("/ipAddress/networkName")).toString();
                if (!name.isEmpty())
                    n.insert(str("name"), name);
            }
            o.insert(str("networks"), QJsonArray{n});
        }
        docker.remove(str("network"));
    }
    if (docker.contains(str("portMappings"))) {
        if (!container.contains(str("portMappings")))
            container.insert(str("portMappings"), docker.value(str("portMappings")));
        docker.remove(str("portMappings"));
    }
    if (o.contains(str("ipAddress")) && !o.contains(str("networks"))) {
        QJsonObject n{{str("mode"), str("container")}};
        const QString name = value(str("/ipAddress/networkName")).toString();
        if (!name.isEmpty())
            n.insert(str("name"), name);
        o.insert(str("networks"), QJsonArray{n});
    }
    o.remove(str("ipAddress"));
    if (!o.contains(str("networks")))
        o.insert(str("networks"),
                 QJsonArray{QJsonObject{{str("mode"), networkModeModernName(mode)}}});

    if (o.value(str("ports")).isArray()) {
        if (!o.contains(str("portDefinitions"))) {
            QJsonArray defs;
            for (const QJsonValue &p : o.value(str("ports")).toArray())
                defs.append(QJsonObject{{str("port"), p}, {str("protocol"), str("tcp")}});
            o.insert(str("portDefinitions"), defs);
        }
    }
    o.remove(str("ports"));

    // Marathon drops the port form that does not apply to the network mode.
    if (mode == NetworkMode::Host) {
        container.remove(str("portMappings"));
    } else {
        o.remove(str("portDefinitions"));
        o.insert(str("requirePorts"), false);
    }

    if (o.value(str("uris")).isArray()) {
        const QJsonArray uris = o.value(str("uris")).toArray();
        if (!uris.isEmpty() && o.value(str("fetch")).toArray().isEmpty()) {
            QJsonArray fetch;
            for (const QJsonValue &u : uris)
                fetch.append(QJsonObject{{str("uri"), u}});
            o.insert(str("fetch"), fetch);
        }
        if (!o.contains(str("fetch")))
            o.insert(str("fetch"), QJsonArray());
    }
    o.remove(str("uris"));

    if (o.contains(str("container"))) {
        if (!docker.isEmpty() || container.contains(str("docker")))
            container.insert(str("docker"), docker);
        o.insert(str("container"), container);
    }
    return o;
}

namespace {

QJsonValue dropNulls(const QJsonValue &v)
{
    if (v.isObject()) {
        QJsonObject o = v.toObject();
        const QStringList keys = o.keys();
        for (const QString &k : keys) {
            if (o.value(k).isNull())
                o.remove(k);
            else
                o.insert(k, dropNulls(o.value(k)));
        }
        return o;
    }
    if (v.isArray()) {
        QJsonArray a = v.toArray();
        for (int i = 0; i < a.size(); ++i)
            a[i] = dropNulls(a.at(i));
        return a;
    }
    return v;
}

// Fields only the server writes: status, history and what it assigns itself.
const QStringList &serverOnlyFields()
{
    static const QStringList fields = {
        str("version"),        str("versionInfo"),  str("tasks"),
        str("tasksRunning"),   str("tasksStaged"),  str("tasksHealthy"),
        str("tasksUnhealthy"), str("deployments"),  str("lastTaskFailure"),
        str("taskStats"),      str("tasksStats"),   str("readinessCheckResults"),
        str("storeUrls"),      str("servicePorts"), str("counts"),
    };
    return fields;
}

// Taken from the server's flags when the definition leaves them out.
const QStringList &serverFilledFields()
{
    static const QStringList fields = {str("role"), str("acceptedResourceRoles"), str("residency"),
                                       str("user")};
    return fields;
}

QJsonArray sortedArray(const QJsonArray &a)
{
    QList<QPair<QByteArray, QJsonValue>> items;
    for (const QJsonValue &v : a) {
        const QByteArray key =
            v.isObject()  ? QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact)
            : v.isArray() ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)
                          : v.toVariant().toString().toUtf8();
        items.append({key, v});
    }
    std::sort(items.begin(), items.end(),
              [](const auto &x, const auto &y) { return x.first < y.first; });
    QJsonArray out;
    for (const auto &i : items)
        out.append(i.second);
    return out;
}

// A port number of 0 asks Marathon to choose one, and Marathon answers with the number it
// chose: 0 on either side therefore matches any number on the other side.
void reconcileAssignedPorts(QJsonObject &a, QJsonObject &b, const QString &arrayPtr,
                            const QString &field)
{
    AppDefinition da(a), db(b);
    QJsonArray x = da.value(arrayPtr).toArray();
    QJsonArray y = db.value(arrayPtr).toArray();
    if (x.size() != y.size())
        return;
    for (int i = 0; i < x.size(); ++i) {
        QJsonObject ox = x.at(i).toObject(), oy = y.at(i).toObject();
        const int px = ox.value(field).toInt(), py = oy.value(field).toInt();
        if (px == 0 || py == 0) {
            ox.insert(field, 0);
            oy.insert(field, 0);
        }
        x[i] = ox;
        y[i] = oy;
    }
    da.setValue(arrayPtr, x);
    db.setValue(arrayPtr, y);
    a = da.json();
    b = db.json();
}

// The server names the port it adds by default "default"; a definition translated from the
// 0.7 `ports` list has no name for the same port.
void reconcileDefaultNames(QJsonObject &a, QJsonObject &b, const QString &arrayPtr)
{
    AppDefinition da(a), db(b);
    QJsonArray x = da.value(arrayPtr).toArray();
    QJsonArray y = db.value(arrayPtr).toArray();
    if (x.size() != y.size())
        return;
    const QString name = str("name");
    const QJsonValue def(str("default"));
    for (int i = 0; i < x.size(); ++i) {
        QJsonObject ox = x.at(i).toObject(), oy = y.at(i).toObject();
        const QJsonValue nx = ox.value(name), ny = oy.value(name);
        if ((nx == def && ny.isUndefined()) || (ny == def && nx.isUndefined())) {
            ox.remove(name);
            oy.remove(name);
        }
        x[i] = ox;
        y[i] = oy;
    }
    da.setValue(arrayPtr, x);
    db.setValue(arrayPtr, y);
    a = da.json();
    b = db.json();
}

} // namespace

bool sameDeployedSpec(const QJsonObject &a, const QJsonObject &b)
{
    QJsonObject x = dropNulls(a).toObject();
    QJsonObject y = dropNulls(b).toObject();
    for (const QString &f : serverOnlyFields()) {
        x.remove(f);
        y.remove(f);
    }
    // Newer servers answer every map field, empty ones included (`secrets: {}` in 1.10):
    // an empty map is the same spec as no map. Arrays differ: `portDefinitions: []` is "no ports".
    for (QJsonObject *o : {&x, &y}) {
        const QStringList keys = o->keys();
        for (const QString &k : keys) {
            if (o->value(k).isObject() && o->value(k).toObject().isEmpty())
                o->remove(k);
        }
    }
    for (const QString &f : serverFilledFields()) {
        if (!x.contains(f) || !y.contains(f)) {
            x.remove(f);
            y.remove(f);
        }
    }
    // The default changed from 3600 to 300 in 1.8: a definition without it matches either.
    const QString delay = str("maxLaunchDelaySeconds");
    if (!x.contains(delay) && y.contains(delay))
        x.insert(delay, y.value(delay));
    else if (!y.contains(delay) && x.contains(delay))
        y.insert(delay, x.value(delay));

    x = AppDefinition(AppDefinition(x).withDefaults()).canonicalForm();
    y = AppDefinition(AppDefinition(y).withDefaults()).canonicalForm();
    // withDefaults() may add fields again (in the legacy form the ports it derives).
    x = AppDefinition(x).withDefaults();
    y = AppDefinition(y).withDefaults();

    reconcileAssignedPorts(x, y, str("/container/portMappings"), str("servicePort"));
    reconcileAssignedPorts(x, y, str("/container/portMappings"), str("hostPort"));
    reconcileDefaultNames(x, y, str("/container/portMappings"));
    reconcileDefaultNames(x, y, str("/portDefinitions"));
    if (!x.value(str("requirePorts")).toBool())
        reconcileAssignedPorts(x, y, str("/portDefinitions"), str("port"));

    // Marathon keeps these as sets: order is not part of the spec.
    for (const char *f : {"healthChecks", "constraints", "dependencies", "acceptedResourceRoles",
                          "readinessChecks"}) {
        const QString key = str(f);
        if (x.value(key).isArray())
            x.insert(key, sortedArray(x.value(key).toArray()));
        if (y.value(key).isArray())
            y.insert(key, sortedArray(y.value(key).toArray()));
    }
    return x == y;
}

} // namespace pier::marathon
