#include "sandbox/agents.h"

#include <QHostAddress>
#include <QRegularExpression>
#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace pier::sandbox {

QString formatRanges(const QList<PortRange> &ranges)
{
    QStringList parts;
    for (const PortRange &r : ranges)
        parts.append(u"%1-%2"_s.arg(r.begin).arg(r.end));
    return u"["_s + parts.join(u", "_s) + u"]"_s;
}

QList<PortRange> rangesFromPorts(QList<int> ports)
{
    std::sort(ports.begin(), ports.end());
    QList<PortRange> out;
    for (int p : std::as_const(ports)) {
        if (!out.isEmpty() && (out.last().end == p || out.last().end + 1 == p))
            out.last().end = p;
        else
            out.append({p, p});
    }
    return out;
}

double Agent::usedCpus() const
{
    double sum = 0;
    for (const AgentTask &t : tasks)
        sum += t.cpus;
    return sum;
}

double Agent::usedMem() const
{
    double sum = 0;
    for (const AgentTask &t : tasks)
        sum += t.mem;
    return sum;
}

double Agent::usedDisk() const
{
    double sum = 0;
    for (const AgentTask &t : tasks)
        sum += t.disk;
    return sum;
}

QSet<int> Agent::usedPorts() const
{
    QSet<int> used;
    for (const AgentTask &t : tasks) {
        for (int p : t.ports)
            used.insert(p);
    }
    return used;
}

bool Agent::offersPort(int port) const
{
    for (const PortRange &r : ports) {
        if (port >= r.begin && port <= r.end)
            return true;
    }
    return false;
}

int Agent::freePortCount() const
{
    int total = 0;
    for (const PortRange &r : ports)
        total += r.end - r.begin + 1;
    int used = 0;
    const QSet<int> taken = usedPorts();
    for (int p : taken)
        used += offersPort(p) ? 1 : 0;
    return total - used;
}

QString rejectionName(Rejection r)
{
    switch (r) {
    case Rejection::None:
        return {};
    case Rejection::UnfulfilledRole:
        return u"UnfulfilledRole"_s;
    case Rejection::UnfulfilledConstraint:
        return u"UnfulfilledConstraint"_s;
    case Rejection::NoCorrespondingReservationFound:
        return u"NoCorrespondingReservationFound"_s;
    case Rejection::AgentMaintenance:
        return u"AgentMaintenance"_s;
    case Rejection::InsufficientCpus:
        return u"InsufficientCpus"_s;
    case Rejection::InsufficientMemory:
        return u"InsufficientMemory"_s;
    case Rejection::InsufficientDisk:
        return u"InsufficientDisk"_s;
    case Rejection::InsufficientGpus:
        return u"InsufficientGpus"_s;
    case Rejection::InsufficientPorts:
        return u"InsufficientPorts"_s;
    case Rejection::DeclinedScarceResources:
        return u"DeclinedScarceResources"_s;
    }
    return {};
}

QList<Rejection> rejectionFunnel()
{
    return {Rejection::UnfulfilledRole,
            Rejection::UnfulfilledConstraint,
            Rejection::NoCorrespondingReservationFound,
            Rejection::AgentMaintenance,
            Rejection::InsufficientCpus,
            Rejection::InsufficientMemory,
            Rejection::InsufficientDisk,
            Rejection::InsufficientGpus,
            Rejection::InsufficientPorts,
            Rejection::DeclinedScarceResources};
}

AgentPool::AgentPool() : AgentPool(Options()) {}

AgentPool::AgentPool(const Options &options)
    : m_options(options), m_started(QDateTime::currentDateTimeUtc())
{
    const int count =
        m_options.hostnames.isEmpty() ? m_options.count : int(m_options.hostnames.size());
    for (int i = 0; i < count; ++i) {
        Agent a;
        a.id = m_options.masterId + u"-S"_s + QString::number(i);
        a.hostname = m_options.hostnames.isEmpty() ? u"%1-%2"_s.arg(m_options.name).arg(i + 1)
                                                   : m_options.hostnames.at(i);
        const QHostAddress asAddress(a.hostname);
        a.address = asAddress.isNull() ? u"198.18.0.%1"_s.arg(11 + i) : a.hostname;
        a.cpus = m_options.cpus;
        a.mem = m_options.mem;
        a.disk = m_options.disk;
        a.ports = m_options.ports;
        a.registeredAt = m_started;
        m_agents.append(a);
    }
}

std::shared_ptr<AgentPool> AgentPool::fromHostnames(const QStringList &hostnames)
{
    Options o;
    o.hostnames = hostnames;
    return std::make_shared<AgentPool>(o);
}

Agent *AgentPool::agent(const QString &id)
{
    for (Agent &a : m_agents) {
        if (a.id == id)
            return &a;
    }
    return nullptr;
}

namespace {

QString fieldValue(const Agent &a, const QString &field, bool *present)
{
    if (field == u"hostname"_s) {
        *present = true;
        return a.hostname;
    }
    *present = a.attributes.contains(field);
    return a.attributes.value(field);
}

bool fullMatch(const QString &pattern, const QString &value)
{
    const QRegularExpression re(QRegularExpression::anchoredPattern(pattern));
    return re.isValid() && re.match(value).hasMatch();
}

} // namespace

Rejection AgentPool::check(const TaskRequest &request, int agentIndex) const
{
    const Agent &agent = m_agents.at(agentIndex);

    // Constraints, judged against the app's tasks across the cluster.
    for (const QStringList &c : request.constraints) {
        if (c.size() < 2)
            continue;
        const QString &field = c.at(0);
        const QString op = c.at(1).toUpper();
        const QString param = c.value(2);
        bool present = false;
        const QString value = fieldValue(agent, field, &present);
        int sameValue = 0;
        QString firstValue;
        bool anyTask = false;
        for (const Agent &other : m_agents) {
            bool otherPresent = false;
            const QString otherValue = fieldValue(other, field, &otherPresent);
            for (const AgentTask &t : other.tasks) {
                if (t.appId != request.appId)
                    continue;
                if (!anyTask) {
                    firstValue = otherValue;
                    anyTask = true;
                }
                if (otherPresent && present && otherValue == value)
                    ++sameValue;
            }
        }
        bool ok = true;
        if (op == u"UNIQUE"_s)
            ok = present && sameValue == 0;
        else if (op == u"CLUSTER"_s)
            ok = present && (param.isEmpty() ? (!anyTask || value == firstValue) : value == param);
        else if (op == u"IS"_s)
            ok = present && value == param;
        else if (op == u"LIKE"_s)
            ok = present && fullMatch(param, value);
        else if (op == u"UNLIKE"_s)
            ok = !present || !fullMatch(param, value);
        else if (op == u"MAX_PER"_s)
            ok = present && sameValue < param.toInt();
        // GROUP_BY only balances; it never makes an offer unusable on its own.
        if (!ok)
            return Rejection::UnfulfilledConstraint;
    }

    constexpr double kEpsilon = 1e-9;
    if (agent.cpus - agent.usedCpus() + kEpsilon < request.cpus)
        return Rejection::InsufficientCpus;
    if (agent.mem - agent.usedMem() + kEpsilon < request.mem)
        return Rejection::InsufficientMemory;
    if (agent.disk - agent.usedDisk() + kEpsilon < request.disk)
        return Rejection::InsufficientDisk;

    const QSet<int> used = agent.usedPorts();
    QSet<int> asked;
    for (int p : request.fixedPorts) {
        if (!agent.offersPort(p) || used.contains(p) || asked.contains(p))
            return Rejection::InsufficientPorts;
        asked.insert(p);
    }
    if (request.anyPorts > 0 && agent.freePortCount() - int(asked.size()) < request.anyPorts)
        return Rejection::InsufficientPorts;
    return Rejection::None;
}

QList<int> AgentPool::choosePorts(const TaskRequest &request, int agentIndex)
{
    const Agent &agent = m_agents.at(agentIndex);
    QSet<int> taken = agent.usedPorts();
    QList<int> out = request.fixedPorts;
    for (int p : request.fixedPorts)
        taken.insert(p);
    if (request.anyPorts <= 0 || agent.ports.isEmpty())
        return out;
    // Every port of the agent's ranges in order, starting after the last one handed out there.
    QList<int> all;
    for (const PortRange &r : agent.ports) {
        for (int p = r.begin; p <= r.end; ++p)
            all.append(p);
    }
    int &cursor = m_portCursor[agent.id];
    for (qsizetype i = 0;
         i < all.size() && out.size() < request.fixedPorts.size() + request.anyPorts; ++i) {
        const qsizetype index = (cursor + i) % all.size();
        const int p = all.at(index);
        if (taken.contains(p))
            continue;
        out.append(p);
        taken.insert(p);
        cursor = int(index + 1);
    }
    return out;
}

void AgentPool::addTask(int agentIndex, const AgentTask &task)
{
    AgentTask t = task;
    t.agentId = m_agents.at(agentIndex).id;
    if (!t.stagedAt.isValid())
        t.stagedAt = QDateTime::currentDateTimeUtc();
    t.updatedAt = t.stagedAt;
    m_agents[agentIndex].tasks.append(t);
}

void AgentPool::setTaskState(const QString &taskId, const QString &state)
{
    for (Agent &a : m_agents) {
        for (AgentTask &t : a.tasks) {
            if (t.id == taskId) {
                t.state = state;
                t.updatedAt = QDateTime::currentDateTimeUtc();
                return;
            }
        }
    }
}

void AgentPool::removeTask(const QString &taskId, const QString &finalState)
{
    for (Agent &a : m_agents) {
        for (qsizetype i = 0; i < a.tasks.size(); ++i) {
            if (a.tasks.at(i).id != taskId)
                continue;
            AgentTask t = a.tasks.takeAt(i);
            t.state = finalState;
            t.updatedAt = QDateTime::currentDateTimeUtc();
            m_completed.append(t);
            // Mesos keeps a bounded history (max_completed_tasks_per_framework).
            while (m_completed.size() > 200)
                m_completed.removeFirst();
            return;
        }
    }
}

void AgentPool::registerFramework(const Framework &framework)
{
    for (Framework &f : m_frameworks) {
        if (f.id == framework.id) {
            f = framework;
            return;
        }
    }
    m_frameworks.append(framework);
    if (!m_frameworks.last().registeredAt.isValid())
        m_frameworks.last().registeredAt = QDateTime::currentDateTimeUtc();
}

} // namespace pier::sandbox
