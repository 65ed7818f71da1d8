// The seven GCE steps against the sandbox's GCE with operations that take OPERATION_MS each
// (default 2000): the plan's wall time, against the same steps one after another (measured, with
// one step at a time) and against the critical path (the longest chain of dependent steps, from
// the measured step times). Target (issue 5): wall ≤ 1.2 × critical path, < ½ one after another.
//   bench_gce [OPERATION_MS]
#include "core/plan.h"
#include "gce/credentials.h"
#include "gce/gceclient.h"
#include "gce/gcesteps.h"
#include "sandbox/gceserver.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QLoggingCategory>
#include <cstdio>
#include <memory>

using namespace pier;
using namespace pier::gce;
using pier::sandbox::GceServer;

namespace {

struct Run {
    qint64 wallMs = 0;
    QHash<QString, qint64> stepMs;
    QHash<QString, QStringList> deps;
    QStringList order;
    bool ok = false;
};

Run runPlan(int operationMs, int maxParallel)
{
    GceServer::Options o;
    o.operationMs = operationMs;
    GceServer server(o);
    server.listen();
    GceConfig c;
    c.endpoint = server.endpoint();
    c.project = o.project;
    GceClient client(c);
    client.setTokenSource(new StaticTokenSource(server.issueToken(), &client));
    GceTarget t;
    t.project = o.project;
    t.region = o.region;
    t.zone = o.zone;
    GceContext context(&client, t);
    PlanRunner runner;
    for (Step *s : makeGceSteps(&context))
        runner.addStep(s);
    runner.setMaxParallel(maxParallel);

    Run run;
    QHash<QString, qint64> started;
    QElapsedTimer clock;
    QObject::connect(&runner, &PlanRunner::stepStateChanged, &runner,
                     [&](const QString &id, PlanRunner::StepState s, const QString &) {
                         if (s == PlanRunner::StepState::Checking)
                             started.insert(id, clock.elapsed());
                         if (s == PlanRunner::StepState::Done || s == PlanRunner::StepState::Failed)
                             run.stepMs.insert(id, clock.elapsed() - started.value(id));
                     });
    QEventLoop loop;
    QObject::connect(&runner, &PlanRunner::finished, &loop, [&](bool ok) {
        run.ok = ok;
        loop.quit();
    });
    clock.start();
    runner.start();
    loop.exec();
    run.wallMs = clock.elapsed();
    for (Step *s : runner.steps()) {
        run.order << s->id();
        run.deps.insert(s->id(), s->dependsOn());
    }
    return run;
}

// The longest chain of dependent steps, with each step's measured time.
qint64 criticalPath(const Run &r, QString *chain)
{
    QHash<QString, qint64> finish;
    QHash<QString, QString> via;
    qint64 best = 0;
    for (const QString &id : r.order) { // steps come in dependency order
        qint64 start = 0;
        for (const QString &d : r.deps.value(id)) {
            if (finish.value(d) > start) {
                start = finish.value(d);
                via.insert(id, d);
            }
        }
        finish.insert(id, start + r.stepMs.value(id));
        if (finish.value(id) > best) {
            best = finish.value(id);
            QStringList path{id};
            for (QString p = via.value(id); !p.isEmpty(); p = via.value(p))
                path.prepend(p);
            *chain = path.join(QStringLiteral(" → "));
        }
    }
    return best;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int operationMs = argc > 1 ? QByteArray(argv[1]).toInt() : 2000;
    // The figures, not every request.
    QLoggingCategory::setFilterRules(QStringLiteral("pier.*.debug=false\npier.*.info=false"));

    const Run parallel = runPlan(operationMs, 8);
    const Run serial = runPlan(operationMs, 1);
    if (!parallel.ok || !serial.ok) {
        std::fprintf(stderr, "bench_gce: a plan failed\n");
        return 1;
    }
    qint64 sum = 0;
    std::printf("GCE steps, operations %d ms each in the sandbox's GCE\n", operationMs);
    for (const QString &id : parallel.order) {
        std::printf("  %-14s %6lld ms   (alone: %6lld ms)\n", qPrintable(id),
                    parallel.stepMs.value(id), serial.stepMs.value(id));
        sum += serial.stepMs.value(id);
    }
    QString chain;
    const qint64 critical = criticalPath(serial, &chain);
    std::printf("FIGURE gce_plan_wall_ms=%lld\n", parallel.wallMs);
    std::printf("FIGURE gce_one_after_another_ms=%lld (sum of steps %lld)\n", serial.wallMs, sum);
    std::printf("FIGURE gce_critical_path_ms=%lld (%s)\n", critical, qPrintable(chain));
    std::printf("FIGURE gce_wall_over_critical_path=%.2f (target <= 1.2)\n",
                double(parallel.wallMs) / double(critical));
    // One after another here is step by step; the tag step still tags the nodes at once.
    std::printf("FIGURE gce_wall_over_one_after_another=%.2f (target < 0.5)\n",
                double(parallel.wallMs) / double(serial.wallMs));
    return 0;
}
