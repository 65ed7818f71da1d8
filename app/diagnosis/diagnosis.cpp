#include "diagnosis/diagnosis.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>
#include <algorithm>
#include <cmath>

namespace pier::diagnosis {

namespace {

QString num(double v)
{
    QString s = QString::number(v, 'f', 2);
    while (s.contains(QLatin1Char('.')) &&
           (s.endsWith(QLatin1Char('0')) || s.endsWith(QLatin1Char('.'))))
        s.chop(1);
    return s;
}

QString plural(int n, const QString &one, const QString &many)
{
    return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? one : many);
}

// One instance's request, read from the app as Marathon returned it (any version's form).
struct Request {
    double cpus = 1, mem = 128, disk = 0;
    QList<int> fixedPorts;
    int anyPorts = 0;
    QList<QStringList> constraints;
};

Request requestOf(const marathon::MarathonApp &app)
{
    const QJsonObject def = app.definition.json();
    Request r;
    r.cpus = app.definition.cpus();
    r.mem = app.definition.mem();
    r.disk = app.definition.disk();
    r.constraints = app.definition.constraints();
    const QJsonObject container = def.value(QLatin1String("container")).toObject();
    QJsonArray mappings = container.value(QLatin1String("portMappings")).toArray();
    if (mappings.isEmpty())
        mappings = container.value(QLatin1String("docker"))
                       .toObject()
                       .value(QLatin1String("portMappings"))
                       .toArray();
    const bool requirePorts = def.value(QLatin1String("requirePorts")).toBool();
    const bool bridged = app.definition.networkMode() != marathon::NetworkMode::Host;
    if (bridged) {
        for (const QJsonValue &v : std::as_const(mappings)) {
            const QJsonObject m = v.toObject();
            if (!m.contains(QLatin1String("hostPort")))
                continue;
            const int hostPort = m.value(QLatin1String("hostPort")).toInt();
            if (hostPort > 0)
                r.fixedPorts.append(hostPort);
            else
                ++r.anyPorts;
        }
        return r;
    }
    QList<int> ports;
    if (def.contains(QLatin1String("portDefinitions"))) {
        const QJsonArray defs = def.value(QLatin1String("portDefinitions")).toArray();
        for (const QJsonValue &v : defs)
            ports.append(v.toObject().value(QLatin1String("port")).toInt());
    } else {
        const QJsonArray list = def.value(QLatin1String("ports")).toArray();
        for (const QJsonValue &v : list)
            ports.append(v.toInt());
    }
    for (int p : std::as_const(ports)) {
        if (requirePorts && p > 0)
            r.fixedPorts.append(p);
        else
            ++r.anyPorts;
    }
    return r;
}

QString fieldOf(const mesos::Agent &a, const QString &field, bool *present)
{
    if (field == QLatin1String("hostname")) {
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

// The first constraint this agent breaks for one more instance, as "field:OP[:value]"; empty: none.
QString brokenConstraint(const Request &r, const mesos::Agent &agent,
                         const QList<mesos::Agent> &agents,
                         const QList<marathon::MarathonTask> &tasks)
{
    for (const QStringList &c : r.constraints) {
        if (c.size() < 2)
            continue;
        const QString field = c.at(0);
        const QString op = c.at(1).toUpper();
        const QString param = c.value(2);
        bool present = false;
        const QString value = fieldOf(agent, field, &present);
        int same = 0;
        QString first;
        for (const marathon::MarathonTask &t : tasks) {
            const mesos::Agent *on = nullptr;
            for (const mesos::Agent &a : agents) {
                if (a.id == t.slaveId || a.hostname == t.host || a.address == t.host)
                    on = &a;
            }
            if (!on)
                continue;
            bool otherPresent = false;
            const QString otherValue = fieldOf(*on, field, &otherPresent);
            if (first.isEmpty())
                first = otherValue;
            if (present && otherPresent && otherValue == value)
                ++same;
        }
        bool ok = true;
        if (op == QLatin1String("UNIQUE"))
            ok = present && same == 0;
        else if (op == QLatin1String("CLUSTER"))
            ok =
                present && (param.isEmpty() ? (first.isEmpty() || value == first) : value == param);
        else if (op == QLatin1String("IS"))
            ok = present && value == param;
        else if (op == QLatin1String("LIKE"))
            ok = present && fullMatch(param, value);
        else if (op == QLatin1String("UNLIKE"))
            ok = !present || !fullMatch(param, value);
        else if (op == QLatin1String("MAX_PER"))
            ok = present && same < param.toInt();
        if (!ok)
            return c.join(QLatin1Char(':'));
    }
    return {};
}

AgentFinding judge(const Request &r, const mesos::Agent &agent, const mesos::MesosState &state,
                   const QList<marathon::MarathonTask> &tasks, QString *constraint)
{
    AgentFinding f;
    f.agentId = agent.id;
    f.hostname = agent.hostname.isEmpty() ? agent.address : agent.hostname;
    const mesos::Resources free = agent.free();
    f.freeCpus = free.cpus;
    f.totalCpus = agent.total.cpus;
    f.freeMem = free.mem;
    f.totalMem = agent.total.mem;
    f.freeDisk = free.disk;
    f.totalDisk = agent.total.disk;
    f.freePorts = free.portCount();
    f.totalPorts = agent.total.portCount();
    QStringList why;
    if (!agent.active) {
        f.missing << QStringLiteral("inactive");
        why << QStringLiteral("not active");
    }
    const QString broken = brokenConstraint(r, agent, state.agents, tasks);
    if (!broken.isEmpty()) {
        f.missing << QStringLiteral("constraint");
        why << QStringLiteral("breaks %1").arg(broken);
        if (constraint->isEmpty())
            *constraint = broken;
    }
    constexpr double kEpsilon = 1e-9;
    if (free.cpus + kEpsilon < r.cpus) {
        f.missing << QStringLiteral("cpus");
        why << QStringLiteral("%1 of %2 cpus free (needs %3)")
                   .arg(num(free.cpus), num(agent.total.cpus), num(r.cpus));
    }
    if (free.mem + kEpsilon < r.mem) {
        f.missing << QStringLiteral("mem");
        why << QStringLiteral("%1 of %2 MiB memory free (needs %3)")
                   .arg(num(free.mem), num(agent.total.mem), num(r.mem));
    }
    if (free.disk + kEpsilon < r.disk) {
        f.missing << QStringLiteral("disk");
        why << QStringLiteral("%1 of %2 MiB disk free (needs %3)")
                   .arg(num(free.disk), num(agent.total.disk), num(r.disk));
    }
    QStringList portWhy;
    for (int p : r.fixedPorts) {
        if (!agent.total.hasPort(p)) {
            f.takenPorts << p;
            portWhy << QStringLiteral("port %1 is not offered (ports %2)")
                           .arg(p)
                           .arg(agent.total.portsText());
        } else if (!free.hasPort(p)) {
            f.takenPorts << p;
            const mesos::Task *holder = state.taskHoldingPort(agent.id, p);
            portWhy << (holder ? QStringLiteral("port %1 is held by task %2").arg(p).arg(holder->id)
                               : QStringLiteral("port %1 is in use").arg(p));
        }
    }
    if (r.anyPorts > 0 && f.freePorts - int(r.fixedPorts.size()) < r.anyPorts)
        portWhy << QStringLiteral("%1 of %2 ports free (needs %3)")
                       .arg(f.freePorts)
                       .arg(f.totalPorts)
                       .arg(r.anyPorts);
    if (!portWhy.isEmpty()) {
        f.missing << QStringLiteral("ports");
        why << portWhy;
    }
    const QString numbers =
        QStringLiteral("%1/%2 cpus, %3/%4 MiB memory, %5/%6 MiB disk, %7/%8 ports free")
            .arg(num(free.cpus), num(agent.total.cpus), num(free.mem), num(agent.total.mem),
                 num(free.disk), num(agent.total.disk))
            .arg(f.freePorts)
            .arg(f.totalPorts);
    f.text = QStringLiteral("%1: %2").arg(f.hostname, why.isEmpty()
                                                          ? QStringLiteral("fits (%1)").arg(numbers)
                                                          : why.join(QStringLiteral("; ")));
    return f;
}

QString ago(const QDateTime &t, const QDateTime &now)
{
    const qint64 s = t.secsTo(now);
    if (s < 0)
        return {};
    if (s < 120)
        return QStringLiteral(" (%1 ago)")
            .arg(plural(int(s), QStringLiteral("second"), QStringLiteral("seconds")));
    return QStringLiteral(" (%1 ago)")
        .arg(plural(int(s / 60), QStringLiteral("minute"), QStringLiteral("minutes")));
}

const char *const kFunnel[] = {
    "UnfulfilledRole",        "UnfulfilledConstraint", "NoCorrespondingReservationFound",
    "AgentMaintenance",       "InsufficientCpus",      "InsufficientMemory",
    "InsufficientDisk",       "InsufficientGpus",      "InsufficientPorts",
    "DeclinedScarceResources"};

} // namespace

QString Diagnosis::kindName(Kind kind)
{
    switch (kind) {
    case Kind::NothingWaiting:
        return QStringLiteral("nothing-waiting");
    case Kind::Resources:
        return QStringLiteral("resources");
    case Kind::Ports:
        return QStringLiteral("ports");
    case Kind::Constraint:
        return QStringLiteral("constraint");
    case Kind::TasksFailing:
        return QStringLiteral("tasks-failing");
    case Kind::NoAgents:
        return QStringLiteral("no-agents");
    case Kind::Progressing:
        return QStringLiteral("progressing");
    }
    return {};
}

QString Diagnosis::text() const
{
    QString out = summary + QLatin1Char('\n');
    for (const QString &d : details)
        out += QStringLiteral("  ") + d + QLatin1Char('\n');
    for (const Action &a : actions)
        out += QStringLiteral("  Action: %1: %2\n").arg(a.label, a.description);
    return out;
}

QJsonObject Diagnosis::toJson() const
{
    QJsonArray agentList;
    for (const AgentFinding &f : agents) {
        QJsonArray taken;
        for (int p : f.takenPorts)
            taken.append(p);
        agentList.append(
            QJsonObject{{QStringLiteral("id"), f.agentId},
                        {QStringLiteral("hostname"), f.hostname},
                        {QStringLiteral("fits"), f.fits()},
                        {QStringLiteral("missing"), QJsonArray::fromStringList(f.missing)},
                        {QStringLiteral("freeCpus"), f.freeCpus},
                        {QStringLiteral("totalCpus"), f.totalCpus},
                        {QStringLiteral("freeMem"), f.freeMem},
                        {QStringLiteral("totalMem"), f.totalMem},
                        {QStringLiteral("freeDisk"), f.freeDisk},
                        {QStringLiteral("totalDisk"), f.totalDisk},
                        {QStringLiteral("freePorts"), f.freePorts},
                        {QStringLiteral("takenPorts"), taken},
                        {QStringLiteral("text"), f.text}});
    }
    QJsonArray actionList;
    for (const Action &a : actions)
        actionList.append(
            QJsonObject{{QStringLiteral("id"), a.id}, {QStringLiteral("label"), a.label}});
    return QJsonObject{{QStringLiteral("appId"), appId},
                       {QStringLiteral("kind"), kindName(kind)},
                       {QStringLiteral("summary"), summary},
                       {QStringLiteral("details"), QJsonArray::fromStringList(details)},
                       {QStringLiteral("missing"), missing},
                       {QStringLiteral("closestAgent"), closestAgent},
                       {QStringLiteral("agents"), agentList},
                       {QStringLiteral("actions"), actionList}};
}

Diagnosis diagnose(const DiagnosisInput &in)
{
    const QDateTime now = in.now.isValid() ? in.now : QDateTime::currentDateTimeUtc();
    const marathon::MarathonApp &app = in.app;
    Diagnosis d;
    d.appId = app.id;

    QList<marathon::Deployment> deployments;
    for (const marathon::Deployment &dep : in.deployments) {
        if (dep.affectedApps.contains(app.id))
            deployments.append(dep);
    }
    int running = 0, staging = 0;
    for (const marathon::MarathonTask &t : app.tasks) {
        const QString s = t.effectiveState();
        running += s == QLatin1String("TASK_RUNNING") ? 1 : 0;
        staging +=
            s == QLatin1String("TASK_STAGING") || s == QLatin1String("TASK_STARTING") ? 1 : 0;
    }
    if (app.tasks.isEmpty()) {
        running = app.tasksRunning;
        staging = app.tasksStaged;
    }
    const int queued = in.queue ? in.queue->count : 0;
    const QString counts = QStringLiteral("%1 of %2 running").arg(running).arg(app.instances);
    QStringList deploymentText;
    for (const marathon::Deployment &dep : std::as_const(deployments))
        deploymentText << QStringLiteral("deployment %1 (step %2 of %3)")
                              .arg(dep.id)
                              .arg(dep.currentStep)
                              .arg(dep.totalSteps);
    const QString state =
        counts + (staging ? QStringLiteral(", %1 staging").arg(staging) : QString()) +
        (queued ? QStringLiteral(", %1 waiting to launch").arg(queued) : QString()) +
        (deploymentText.isEmpty()
             ? QString()
             : QStringLiteral("; ") + deploymentText.join(QStringLiteral(", ")));

    if (queued == 0 && deployments.isEmpty() && running >= app.instances) {
        d.kind = Diagnosis::Kind::NothingWaiting;
        d.summary = QStringLiteral("Nothing is waiting for %1: %2, no deployment in progress.")
                        .arg(app.id, counts);
        return d;
    }

    const Request r = requestOf(app);
    const QString need =
        QStringLiteral("One instance of %1 needs %2 cpus, %3 MiB memory, %4 MiB disk")
            .arg(app.id, num(r.cpus), num(r.mem), num(r.disk)) +
        (r.fixedPorts.isEmpty() ? QString() : QStringLiteral(", host ports %1").arg([&] {
            QStringList p;
            for (int x : r.fixedPorts)
                p << QString::number(x);
            return p.join(QStringLiteral(", "));
        }())) +
        (r.anyPorts ? QStringLiteral(", %1").arg(
                          plural(r.anyPorts, QStringLiteral("port"), QStringLiteral("ports")))
                    : QString()) +
        QStringLiteral(".");

    // Resources and constraints, from Mesos's state.
    bool anyFits = true;
    if (in.mesos) {
        const mesos::MesosState &mesos = *in.mesos;
        QString constraint;
        int activeAgents = 0;
        for (const mesos::Agent &a : mesos.agents) {
            d.agents.append(judge(r, a, mesos, app.tasks, &constraint));
            activeAgents += a.active ? 1 : 0;
        }
        anyFits = std::any_of(d.agents.cbegin(), d.agents.cend(),
                              [](const AgentFinding &f) { return f.fits(); });
        if (activeAgents == 0) {
            d.kind = Diagnosis::Kind::NoAgents;
            d.missing = QStringLiteral("agents");
            d.summary = QStringLiteral("%1 waits (%2): Mesos has no active agent to run it on.")
                            .arg(app.id, state);
            d.details << QStringLiteral(
                "Start the agents (mesos-slave) or check that they can reach the master.");
            return d;
        }
        if (queued > 0 && !anyFits) {
            // The reason that blocks the most agents, the earliest in Marathon's order on a tie.
            const QStringList order = {QStringLiteral("constraint"), QStringLiteral("cpus"),
                                       QStringLiteral("mem"),        QStringLiteral("disk"),
                                       QStringLiteral("ports"),      QStringLiteral("inactive")};
            QString worst;
            int worstCount = -1;
            for (const QString &reason : order) {
                int n = 0;
                for (const AgentFinding &f : std::as_const(d.agents))
                    n += f.missing.contains(reason) ? 1 : 0;
                if (n > worstCount) {
                    worst = reason;
                    worstCount = n;
                }
            }
            // The closest agent: the one that lacks the fewest things, then the most of the
            // resource.
            auto freeOf = [&](const AgentFinding &f) {
                if (worst == QLatin1String("cpus"))
                    return f.freeCpus;
                if (worst == QLatin1String("mem"))
                    return f.freeMem;
                if (worst == QLatin1String("disk"))
                    return f.freeDisk;
                if (worst == QLatin1String("ports"))
                    return double(f.freePorts - 1000000 * f.takenPorts.size());
                return f.freeMem + f.freeCpus * 1024;
            };
            const AgentFinding *closest = nullptr;
            for (const AgentFinding &f : std::as_const(d.agents)) {
                if (!closest || f.missing.size() < closest->missing.size() ||
                    (f.missing.size() == closest->missing.size() && freeOf(f) > freeOf(*closest)))
                    closest = &f;
            }
            d.closestAgent = closest ? closest->hostname : QString();
            const int agentCount = int(mesos.agents.size());
            const QString lead = QStringLiteral("%1 waits (%2): ").arg(app.id, state);
            if (worst == QLatin1String("constraint")) {
                d.kind = Diagnosis::Kind::Constraint;
                d.missing = constraint;
                const bool unique =
                    constraint.endsWith(QLatin1String(":UNIQUE"), Qt::CaseInsensitive);
                if (unique && app.instances > agentCount) {
                    d.summary =
                        lead +
                        QStringLiteral(
                            "the constraint %1 allows one task per agent, but the app has %2 "
                            "and Mesos only %3; %4 can never be placed.")
                            .arg(constraint)
                            .arg(plural(app.instances, QStringLiteral("instance"),
                                        QStringLiteral("instances")))
                            .arg(plural(agentCount, QStringLiteral("agent"),
                                        QStringLiteral("agents")))
                            .arg(plural(app.instances - agentCount, QStringLiteral("instance"),
                                        QStringLiteral("instances")));
                    d.details << QStringLiteral(
                                     "Scale %1 to %2, drop the constraint, or add agents.")
                                     .arg(app.id)
                                     .arg(agentCount);
                } else {
                    d.summary =
                        lead + QStringLiteral("no agent meets the constraint %1.").arg(constraint);
                    d.details << QStringLiteral(
                        "Change the constraint, or add an agent that meets it.");
                }
            } else if (worst == QLatin1String("ports")) {
                d.kind = Diagnosis::Kind::Ports;
                d.missing = QStringLiteral("ports");
                QStringList asked;
                for (int p : r.fixedPorts)
                    asked << QString::number(p);
                if (!r.fixedPorts.isEmpty()) {
                    bool offeredAnywhere = false;
                    for (const mesos::Agent &a : mesos.agents) {
                        for (int p : r.fixedPorts)
                            offeredAnywhere = offeredAnywhere || a.total.hasPort(p);
                    }
                    d.summary =
                        lead +
                        (offeredAnywhere
                             ? QStringLiteral("host port %1 is already taken on every agent")
                             : QStringLiteral("host port %1 is outside every agent's port range"))
                            .arg(asked.join(QStringLiteral(", ")));
                    if (closest)
                        d.summary +=
                            QStringLiteral(
                                "; the closest agent, %1, has %2 of %3 ports free but not %4.")
                                .arg(closest->hostname)
                                .arg(closest->freePorts)
                                .arg(closest->totalPorts)
                                .arg(asked.join(QStringLiteral(", ")));
                    else
                        d.summary += QLatin1Char('.');
                    d.details << QStringLiteral("Use hostPort 0 (Mesos picks a free port) or "
                                                "another port, or stop what holds it.");
                } else {
                    d.summary =
                        lead + QStringLiteral("no agent has %1 free ports left").arg(r.anyPorts);
                    if (closest)
                        d.summary += QStringLiteral("; the closest agent, %1, has %2 of %3.")
                                         .arg(closest->hostname)
                                         .arg(closest->freePorts)
                                         .arg(closest->totalPorts);
                }
            } else if (worst == QLatin1String("inactive")) {
                d.kind = Diagnosis::Kind::NoAgents;
                d.missing = QStringLiteral("agents");
                d.summary = lead + QStringLiteral("every agent that could run it is inactive.");
            } else {
                d.kind = Diagnosis::Kind::Resources;
                d.missing = worst;
                struct Named {
                    QString what, unit;
                    double need, free, total, largest;
                };
                double largest = 0;
                for (const AgentFinding &f : std::as_const(d.agents))
                    largest = std::max(largest, worst == QLatin1String("cpus")  ? f.totalCpus
                                                : worst == QLatin1String("mem") ? f.totalMem
                                                                                : f.totalDisk);
                const Named n =
                    worst == QLatin1String("cpus")
                        ? Named{QStringLiteral("cpus"), QString(),          r.cpus,
                                closest->freeCpus,      closest->totalCpus, largest}
                    : worst == QLatin1String("mem")
                        ? Named{QStringLiteral("memory"), QStringLiteral(" MiB"), r.mem,
                                closest->freeMem,         closest->totalMem,      largest}
                        : Named{QStringLiteral("disk"), QStringLiteral(" MiB"), r.disk,
                                closest->freeDisk,      closest->totalDisk,     largest};
                d.summary = lead + QStringLiteral("it needs %1%2 %3 for one instance; the closest "
                                                  "agent, %4, has %5%2 free of %6%2.")
                                       .arg(num(n.need), n.unit, n.what, closest->hostname,
                                            num(n.free), num(n.total));
                if (n.need > n.largest)
                    d.details << QStringLiteral("No agent has that much %1 at all (the largest has "
                                                "%2%3): lower \"%4\" in the "
                                                "app, or add a larger agent.")
                                     .arg(n.what, num(n.largest), n.unit, worst);
                else
                    d.details << QStringLiteral("Free %1 by scaling down or removing other apps, "
                                                "lower \"%2\", or add an agent.")
                                     .arg(n.what, worst);
            }
            d.details.prepend(need);
            for (const AgentFinding &f : std::as_const(d.agents))
                d.details << f.text;
            if (!deploymentText.isEmpty())
                d.details << QStringLiteral(
                    "The deployment cannot finish until this is solved; Marathon keeps trying.");
            return d;
        }
    }

    // Tasks that start and fail: the last failure and Marathon's backoff.
    const QJsonObject failure = app.lastTaskFailure;
    const bool delayed = in.queue && !in.queue->overdue && in.queue->delaySeconds > 0;
    if (!failure.isEmpty() && (delayed || running < app.instances)) {
        d.kind = Diagnosis::Kind::TasksFailing;
        d.missing = QStringLiteral("failing tasks");
        const QDateTime when =
            marathon::parseMarathonDate(failure.value(QLatin1String("timestamp")).toString());
        const QString host = failure.value(QLatin1String("host")).toString();
        d.closestAgent = host;
        d.summary =
            QStringLiteral("%1 waits (%2): its tasks keep failing. The last one ended %3 on %4 at "
                           "%5%6: \"%7\".")
                .arg(app.id, state,
                     failure.value(QLatin1String("state")).toString(QStringLiteral("TASK_FAILED")),
                     host,
                     when.isValid() ? when.toUTC().toString(Qt::ISODate)
                                    : QStringLiteral("an unknown time"),
                     when.isValid() ? ago(when, now) : QString(),
                     failure.value(QLatin1String("message")).toString());
        if (in.queue && !in.queue->overdue)
            d.details << QStringLiteral("Marathon backs off before the next launch: %1 left "
                                        "(backoffSeconds %2 × backoffFactor %3 per "
                                        "failure, at most maxLaunchDelaySeconds %4).")
                             .arg(plural(in.queue->delaySeconds, QStringLiteral("second"),
                                         QStringLiteral("seconds")))
                             .arg(num(app.definition.json()
                                          .value(QLatin1String("backoffSeconds"))
                                          .toDouble(1)))
                             .arg(num(app.definition.json()
                                          .value(QLatin1String("backoffFactor"))
                                          .toDouble(1.15)))
                             .arg(num(app.definition.json()
                                          .value(QLatin1String("maxLaunchDelaySeconds"))
                                          .toDouble(3600)));
        else
            d.details << QStringLiteral("Marathon is launching again now (no backoff delay left).");
        d.details << QStringLiteral("Task %1, version %2.")
                         .arg(failure.value(QLatin1String("taskId")).toString(),
                              failure.value(QLatin1String("version")).toString());
        d.details << QStringLiteral("Fix the cause (the message above, the task's sandbox logs on "
                                    "%1), then reset the delay so "
                                    "Marathon tries again at once.")
                         .arg(host);
        d.actions.append({QStringLiteral("reset-delay"), QStringLiteral("Reset the launch delay"),
                          QStringLiteral("DELETE /v2/queue%1/delay: Marathon launches again "
                                         "without waiting for the backoff.")
                              .arg(app.id)});
        return d;
    }

    // Without Mesos: what Marathon's own offer summary says (1.x).
    if (!in.mesos && in.queue && queued > 0) {
        const QJsonObject summary =
            in.queue->json.value(QLatin1String("processedOffersSummary")).toObject();
        const QJsonArray last = summary.value(QLatin1String("rejectSummaryLastOffers")).toArray();
        QStringList reasons;
        QString top;
        int topDeclined = 0;
        for (const char *name : kFunnel) {
            for (const QJsonValue &v : last) {
                const QJsonObject o = v.toObject();
                if (o.value(QLatin1String("reason")).toString() != QLatin1String(name))
                    continue;
                const int declined = o.value(QLatin1String("declined")).toInt();
                if (declined > 0)
                    reasons << QStringLiteral("%1 (%2 of %3 offers)")
                                   .arg(QLatin1String(name))
                                   .arg(declined)
                                   .arg(o.value(QLatin1String("processed")).toInt());
                if (declined > topDeclined) {
                    top = QLatin1String(name);
                    topDeclined = declined;
                }
            }
        }
        if (!reasons.isEmpty()) {
            d.kind = top == QLatin1String("UnfulfilledConstraint") ? Diagnosis::Kind::Constraint
                     : top == QLatin1String("InsufficientPorts")   ? Diagnosis::Kind::Ports
                                                                   : Diagnosis::Kind::Resources;
            d.missing = top;
            d.summary = QStringLiteral("%1 waits (%2): Marathon declines the agents' offers: %3.")
                            .arg(app.id, state, reasons.join(QStringLiteral(", ")));
            d.details << need;
            d.details << QStringLiteral(
                             "Without Mesos's state the numbers per agent are unknown%1.")
                             .arg(in.mesosError.isEmpty()
                                      ? QString()
                                      : QStringLiteral(" (%1)").arg(in.mesosError));
            return d;
        }
    }

    d.kind = Diagnosis::Kind::Progressing;
    d.summary = QStringLiteral("%1 is deploying (%2); nothing blocks it.").arg(app.id, state);
    if (staging > 0)
        d.details << QStringLiteral(
            "Tasks are staging: the agent is fetching the image or starting the process.");
    if (running >= app.instances && !app.definition.healthChecks().isEmpty())
        d.details << QStringLiteral("Every instance runs; the deployment ends once the health "
                                    "checks pass (%1 of %2 healthy).")
                         .arg(app.tasksHealthy)
                         .arg(app.instances);
    if (!in.mesos && !in.mesosError.isEmpty())
        d.details << QStringLiteral("Mesos's state was not available: %1").arg(in.mesosError);
    for (const AgentFinding &f : std::as_const(d.agents))
        d.details << f.text;
    return d;
}

} // namespace pier::diagnosis
