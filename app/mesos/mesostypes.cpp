#include "mesos/mesostypes.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>
#include <algorithm>

namespace pier::mesos {

namespace {

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

// Some Mesos versions write ids as {"value": "..."}; the v0 JSON writes plain strings.
QString idOf(const QJsonValue &v)
{
    if (v.isObject())
        return v.toObject().value(QLatin1String("value")).toString();
    return v.toString();
}

double number(const QJsonValue &v)
{
    if (v.isDouble())
        return v.toDouble();
    if (v.isString())
        return v.toString().toDouble();
    if (v.isObject()) // v1 scalar {"value": 4}
        return v.toObject().value(QLatin1String("value")).toDouble();
    return 0;
}

QList<QPair<int, int>> normalize(QList<QPair<int, int>> ranges)
{
    std::sort(ranges.begin(), ranges.end());
    QList<QPair<int, int>> out;
    for (const auto &r : std::as_const(ranges)) {
        if (!out.isEmpty() && r.first <= out.last().second + 1)
            out.last().second = std::max(out.last().second, r.second);
        else
            out.append(r);
    }
    return out;
}

} // namespace

int Resources::portCount() const
{
    int n = 0;
    for (const auto &r : ports)
        n += r.second - r.first + 1;
    return n;
}

bool Resources::hasPort(int port) const
{
    for (const auto &r : ports) {
        if (port >= r.first && port <= r.second)
            return true;
    }
    return false;
}

QString Resources::portsText() const
{
    QStringList parts;
    for (const auto &r : ports)
        parts.append(QStringLiteral("%1-%2").arg(r.first).arg(r.second));
    return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
}

QList<QPair<int, int>> Resources::parseRanges(const QString &text)
{
    static const QRegularExpression range(QStringLiteral("(\\d+)\\s*-\\s*(\\d+)"));
    QList<QPair<int, int>> out;
    auto it = range.globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        const int a = m.captured(1).toInt();
        const int b = m.captured(2).toInt();
        out.append({std::min(a, b), std::max(a, b)});
    }
    return normalize(out);
}

Resources Resources::fromJson(const QJsonValue &v)
{
    Resources r;
    if (v.isArray()) {
        const QJsonArray list = v.toArray();
        for (const QJsonValue &item : list) {
            const QJsonObject o = item.toObject();
            const QString name = str(o, "name");
            if (name == QLatin1String("ports")) {
                const QJsonArray ranges = o.value(QLatin1String("ranges"))
                                              .toObject()
                                              .value(QLatin1String("range"))
                                              .toArray();
                for (const QJsonValue &x : ranges) {
                    const QJsonObject rr = x.toObject();
                    r.ports.append({int(number(rr.value(QLatin1String("begin")))),
                                    int(number(rr.value(QLatin1String("end"))))});
                }
            } else if (name == QLatin1String("cpus")) {
                r.cpus += number(o.value(QLatin1String("scalar")));
            } else if (name == QLatin1String("mem")) {
                r.mem += number(o.value(QLatin1String("scalar")));
            } else if (name == QLatin1String("disk")) {
                r.disk += number(o.value(QLatin1String("scalar")));
            }
        }
        r.ports = normalize(r.ports);
        return r;
    }
    const QJsonObject o = v.toObject();
    r.cpus = number(o.value(QLatin1String("cpus")));
    r.mem = number(o.value(QLatin1String("mem")));
    r.disk = number(o.value(QLatin1String("disk")));
    r.ports = parseRanges(o.value(QLatin1String("ports")).toString());
    return r;
}

Resources subtract(const Resources &total, const Resources &used)
{
    Resources r;
    r.cpus = std::max(0.0, total.cpus - used.cpus);
    r.mem = std::max(0.0, total.mem - used.mem);
    r.disk = std::max(0.0, total.disk - used.disk);
    for (const auto &range : total.ports) {
        int start = range.first;
        for (const auto &u : used.ports) {
            if (u.second < start || u.first > range.second)
                continue;
            if (u.first > start)
                r.ports.append({start, u.first - 1});
            start = std::max(start, u.second + 1);
        }
        if (start <= range.second)
            r.ports.append({start, range.second});
    }
    return r;
}

Task Task::fromJson(const QJsonObject &o)
{
    Task t;
    t.id = idOf(o.value(QLatin1String("id")));
    t.name = str(o, "name");
    t.frameworkId = idOf(o.value(QLatin1String("framework_id")));
    t.agentId = idOf(o.value(QLatin1String("slave_id")));
    if (t.agentId.isEmpty())
        t.agentId = idOf(o.value(QLatin1String("agent_id")));
    t.state = str(o, "state");
    t.resources = Resources::fromJson(o.value(QLatin1String("resources")));
    const QJsonArray statuses = o.value(QLatin1String("statuses")).toArray();
    if (!statuses.isEmpty())
        t.updatedAt = number(statuses.last().toObject().value(QLatin1String("timestamp")));
    t.json = o;
    return t;
}

Agent Agent::fromJson(const QJsonObject &o)
{
    Agent a;
    a.id = idOf(o.value(QLatin1String("id")));
    a.hostname = str(o, "hostname");
    a.pid = str(o, "pid");
    const qsizetype at = a.pid.indexOf(QLatin1Char('@'));
    if (at >= 0)
        a.address = a.pid.mid(at + 1).section(QLatin1Char(':'), 0, 0);
    if (o.contains(QLatin1String("active")))
        a.active = o.value(QLatin1String("active")).toBool(true);
    else if (o.contains(QLatin1String("deactivated")))
        a.active = !o.value(QLatin1String("deactivated")).toBool();
    a.total = Resources::fromJson(o.value(QLatin1String("resources")));
    a.used = Resources::fromJson(o.value(QLatin1String("used_resources")));
    a.offered = Resources::fromJson(o.value(QLatin1String("offered_resources")));
    const QJsonObject attributes = o.value(QLatin1String("attributes")).toObject();
    for (auto it = attributes.begin(); it != attributes.end(); ++it) {
        const QJsonValue v = it.value();
        a.attributes.insert(it.key(), v.isDouble() ? QString::number(v.toDouble()) : v.toString());
    }
    a.json = o;
    return a;
}

Framework Framework::fromJson(const QJsonObject &o)
{
    Framework f;
    f.id = idOf(o.value(QLatin1String("id")));
    f.name = str(o, "name");
    f.hostname = str(o, "hostname");
    f.active = o.value(QLatin1String("active")).toBool(true);
    f.used = Resources::fromJson(o.value(QLatin1String("used_resources")));
    const QJsonArray tasks = o.value(QLatin1String("tasks")).toArray();
    for (const QJsonValue &t : tasks)
        f.tasks.append(Task::fromJson(t.toObject()));
    const QJsonArray completed = o.value(QLatin1String("completed_tasks")).toArray();
    for (const QJsonValue &t : completed)
        f.completedTasks.append(Task::fromJson(t.toObject()));
    f.json = o;
    return f;
}

const Agent *MesosState::agent(const QString &id) const
{
    for (const Agent &a : agents) {
        if (a.id == id)
            return &a;
    }
    return nullptr;
}

const Agent *MesosState::agentByHostname(const QString &hostname) const
{
    for (const Agent &a : agents) {
        if (a.hostname == hostname || (!a.address.isEmpty() && a.address == hostname))
            return &a;
    }
    return nullptr;
}

const Framework *MesosState::framework(const QString &name) const
{
    for (const Framework &f : frameworks) {
        if (f.name == name)
            return &f;
    }
    return nullptr;
}

const Task *MesosState::taskHoldingPort(const QString &agentId, int port) const
{
    for (const Framework &f : frameworks) {
        for (const Task &t : f.tasks) {
            if (t.agentId == agentId && t.resources.hasPort(port))
                return &t;
        }
    }
    return nullptr;
}

MesosState MesosState::fromJson(const QJsonObject &o)
{
    MesosState s;
    s.version = str(o, "version");
    s.id = str(o, "id");
    s.hostname = str(o, "hostname");
    s.leader = str(o, "leader");
    s.cluster = str(o, "cluster");
    // "slaves" in v0; some proxies and newer tools say "agents".
    QJsonArray slaves = o.value(QLatin1String("slaves")).toArray();
    if (slaves.isEmpty())
        slaves = o.value(QLatin1String("agents")).toArray();
    for (const QJsonValue &v : std::as_const(slaves))
        s.agents.append(Agent::fromJson(v.toObject()));
    const QJsonArray frameworks = o.value(QLatin1String("frameworks")).toArray();
    for (const QJsonValue &v : frameworks)
        s.frameworks.append(Framework::fromJson(v.toObject()));
    s.json = o;
    return s;
}

} // namespace pier::mesos
