// The journey of `pier deploy` on a real sandbox (root): Marathon, the nodes' sshd and iptables,
// the GCE API with operations that take 2 s and a real load balancer. Measures the plan as Pier
// runs it (independent steps at once) against the same plan with one step at a time, the way
// the tutorial does it by hand, each from a clean sandbox (teardown between rounds). Prints
// figures; never fails on timing. Usage: bench_deploy [ROUNDS]
#include "cli/deploycmd.h"
#include "cli/gcecmd.h"
#include "deploy/deployplan.h"
#include "marathon/appdefinition.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

using namespace pier;

namespace {

int pierCommand(const QStringList &args, const QStringList &extraEnv = {})
{
    QProcess p;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    for (const QString &kv : extraEnv)
        e.insert(kv.section(QLatin1Char('='), 0, 0), kv.section(QLatin1Char('='), 1));
    p.setProcessEnvironment(e);
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(QStringLiteral(PIER_BINARY), args);
    p.waitForFinished(300000);
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

// One run of the plan (or its teardown) with at most `parallel` steps at a time; ms, or -1.
qint64 runPlan(const marathon::AppDefinition &app, int parallel, bool teardown)
{
    cli::DeployJourney j;
    QString error;
    if (!cli::prepareDeploy(QString(), app, deploy::DeployPlan::servicePort(app), &j, &error)) {
        std::fprintf(stderr, "bench_deploy: %s\n", qPrintable(error));
        return -1;
    }
    deploy::DeployPlan plan(j.setup);
    plan.loadJournal(nullptr);
    plan.runner()->setMaxParallel(parallel);
    QElapsedTimer clock;
    clock.start();
    bool ok = false;
    QEventLoop loop;
    QObject::connect(&plan, &deploy::DeployPlan::finished, &loop, [&](bool r) {
        ok = r;
        loop.quit();
    });
    teardown ? plan.teardown() : plan.start();
    loop.exec();
    if (!ok) {
        std::fprintf(stderr, "bench_deploy: the %s did not finish\n",
                     teardown ? "teardown" : "deploy");
        for (Step *s : plan.steps()) {
            const auto st = plan.runner()->state(s->id());
            if (st == PlanRunner::StepState::Failed)
                std::fprintf(stderr, "  %s: %s\n", qPrintable(s->title()),
                             qPrintable(plan.runner()->lastResult(s->id()).message));
        }
        return -1;
    }
    return clock.elapsed();
}

} // namespace

int main(int argc, char **argv)
{
    if (::geteuid() != 0) {
        std::fprintf(stderr, "bench_deploy needs root (the sandbox makes namespaces).\n");
        return 2;
    }
    QTemporaryDir config;
    qputenv("XDG_CONFIG_HOME", config.path().toUtf8());
    const QByteArray id = "bdep" + QByteArray::number(::getpid());
    qputenv("PIER_SANDBOX_ID", id);
    QCoreApplication a(argc, argv);
    // As the pier binary names itself: the profile `sandbox up` made is found under these names.
    QCoreApplication::setOrganizationName(QStringLiteral("Pier"));
    QCoreApplication::setApplicationName(QStringLiteral("Pier"));
    const int rounds = argc > 1 ? qMax(1, atoi(argv[1])) : 1;

    QFile file(QStringLiteral(PIER_SOURCE_DIR "/resources/templates/nginx.json"));
    file.open(QIODevice::ReadOnly);
    marathon::JsonParseError parseError;
    const auto app = marathon::AppDefinition::parse(file.readAll(), &parseError);

    // HAProxy's refresh is a cron minute on a real node; a second keeps the page step about Pier.
    if (pierCommand({QStringLiteral("sandbox"), QStringLiteral("up")},
                    {QStringLiteral("PIER_SANDBOX_HAPROXY_INTERVAL_MS=1000")}) != 0)
        return 1;
    QList<qint64> together, apart;
    bool failed = false;
    for (int r = 0; r < rounds && !failed; ++r) {
        // The sandbox's Marathon finishes a destroy's deployment a moment after the app is gone;
        // a new POST at once would join it. Let it settle between runs (not timed).
        auto settle = [] {
            QEventLoop wait;
            QTimer::singleShot(5000, &wait, &QEventLoop::quit);
            wait.exec();
        };
        const qint64 t = runPlan(app, 8, false);
        if (t >= 0)
            std::printf("round %d: plan %lld ms\n", r + 1, t);
        failed = t < 0 || runPlan(app, 8, true) < 0;
        if (!failed)
            settle();
        const qint64 s = failed ? -1 : runPlan(app, 1, false);
        failed = failed || s < 0 || runPlan(app, 8, true) < 0;
        if (!failed)
            settle();
        if (!failed) {
            together << t;
            apart << s;
            std::printf("round %d: plan %lld ms, one step at a time %lld ms\n", r + 1, t, s);
        }
    }
    pierCommand({QStringLiteral("sandbox"), QStringLiteral("down")});
    if (failed || together.isEmpty())
        return 1;
    std::sort(together.begin(), together.end());
    std::sort(apart.begin(), apart.end());
    const qint64 mt = together.at(together.size() / 2), ma = apart.at(apart.size() / 2);
    std::printf("pier deploy journey, GCE operations 2 s, median of %d: plan %lld ms, "
                "one after another %lld ms, ratio %.2f (target under 0.5)\n",
                int(together.size()), mt, ma, double(mt) / double(ma));
    return 0;
}
