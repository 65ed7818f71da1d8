// The Live page on a big cluster: 500 apps with 10,000 tasks served by a purpose-built HTTP
// server in its own thread (canned /v2/apps replies, an SSE burst of 1,000 events per second).
// Prints: time to the first full view, the longest stall of the GUI thread during the burst
// (a 5 ms heartbeat), memory (VmRSS), and bytes received per idle minute against the poll of
// /v2/apps?embed=apps.tasks every 5 s that Marathon's web UI does.
// Targets (issue 6): first view < 1 s, no stall > 50 ms, < 250 MB. Never fails on timing.
//   bench_live [RUNS=3] [BURST_SECONDS=5] [IDLE_SECONDS=20]
#include "marathon/livemodel.h"
#include "marathon/marathonclient.h"
#include "sandbox/httpserver.h"
#include "ui/liveview.h"

#include <QAbstractItemModel>
#include <QApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QRandomGenerator>
#include <QTableView>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cstdio>

using namespace pier;

namespace {

constexpr int kApps = 500;
constexpr int kTasksPerApp = 20;

long rssKb()
{
    long kb = -1;
    if (FILE *f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, f)) {
            if (std::sscanf(line, "VmRSS: %ld kB", &kb) == 1)
                break;
        }
        std::fclose(f);
    }
    return kb;
}

QString appId(int i)
{
    return QStringLiteral("/team%1/service%2").arg(i / 50).arg(i);
}

QJsonObject taskJson(int app, int task)
{
    const QString id = appId(app).mid(1).replace(QLatin1Char('/'), QLatin1Char('_')) +
                       QStringLiteral(".instance-%1-%2._app.1").arg(app).arg(task);
    return QJsonObject{
        {QStringLiteral("id"), id},
        {QStringLiteral("appId"), appId(app)},
        {QStringLiteral("host"), QStringLiteral("198.18.%1.%2").arg(task % 4).arg(10 + task)},
        {QStringLiteral("state"), QStringLiteral("TASK_RUNNING")},
        {QStringLiteral("ports"), QJsonArray{31000 + task}},
        {QStringLiteral("servicePorts"), QJsonArray{10000 + app}},
        {QStringLiteral("stagedAt"), QStringLiteral("2026-11-26T10:00:00.000Z")},
        {QStringLiteral("startedAt"), QStringLiteral("2026-11-26T10:00:01.000Z")},
        {QStringLiteral("version"), QStringLiteral("2026-11-26T09:59:59.000Z")},
        {QStringLiteral("slaveId"), QStringLiteral("agent-S%1").arg(task % 4)},
        {QStringLiteral("healthCheckResults"),
         QJsonArray{QJsonObject{
             {QStringLiteral("alive"), true},
             {QStringLiteral("consecutiveFailures"), 0},
             {QStringLiteral("lastSuccess"), QStringLiteral("2026-11-26T10:00:05.000Z")}}}}};
}

QJsonObject appJson(int app)
{
    QJsonArray tasks;
    for (int t = 0; t < kTasksPerApp; ++t)
        tasks.append(taskJson(app, t));
    return QJsonObject{{QStringLiteral("id"), appId(app)},
                       {QStringLiteral("cmd"), QStringLiteral("python3 -m http.server $PORT0")},
                       {QStringLiteral("cpus"), 0.1},
                       {QStringLiteral("mem"), 64},
                       {QStringLiteral("instances"), kTasksPerApp},
                       {QStringLiteral("version"), QStringLiteral("2026-11-26T09:59:59.000Z")},
                       {QStringLiteral("healthChecks"),
                        QJsonArray{QJsonObject{{QStringLiteral("protocol"), QStringLiteral("HTTP")},
                                               {QStringLiteral("path"), QStringLiteral("/")}}}},
                       {QStringLiteral("tasksRunning"), kTasksPerApp},
                       {QStringLiteral("tasksHealthy"), kTasksPerApp},
                       {QStringLiteral("tasksStaged"), 0},
                       {QStringLiteral("tasksUnhealthy"), 0},
                       {QStringLiteral("deployments"), QJsonArray()},
                       {QStringLiteral("tasks"), tasks}};
}

// Lives in the server thread.
class BigMarathon : public QObject {
public:
    sandbox::HttpServer *http = nullptr;
    QByteArray apps;
    QHash<QString, QByteArray> app;
    QList<QPointer<sandbox::HttpStream>> streams;
    QTimer *burst = nullptr;
    int sent = 0;
    int toSend = 0;

    void setUp()
    {
        QJsonArray list;
        for (int i = 0; i < kApps; ++i) {
            const QJsonObject a = appJson(i);
            list.append(a);
            app.insert(appId(i), QJsonDocument(QJsonObject{{QStringLiteral("app"), a}})
                                     .toJson(QJsonDocument::Compact));
        }
        apps = QJsonDocument(QJsonObject{{QStringLiteral("apps"), list}})
                   .toJson(QJsonDocument::Compact);
        http = new sandbox::HttpServer(this);
        using sandbox::HttpReply;
        using sandbox::HttpRequest;
        using sandbox::HttpResponse;
        http->route("GET", QStringLiteral("/v2/apps"), [this](const HttpRequest &) {
            return HttpResponse(200, apps, "application/json");
        });
        http->route("GET", QStringLiteral("/v2/apps/{id*}"), [this](const HttpRequest &r) {
            const QString id = QLatin1Char('/') + r.pathParam(QStringLiteral("id"));
            return app.contains(id)
                       ? HttpResponse(200, app.value(id), "application/json")
                       : HttpResponse(404, "{\"message\":\"App not found\"}", "application/json");
        });
        http->route("GET", QStringLiteral("/v2/deployments"), [](const HttpRequest &) {
            return HttpResponse(200, "[]", "application/json");
        });
        http->route("GET", QStringLiteral("/v2/queue"), [](const HttpRequest &) {
            return HttpResponse(200, "{\"queue\":[]}", "application/json");
        });
        http->route(
            "GET", QStringLiteral("/v2/events"),
            [this](const HttpRequest &, const HttpReply &reply) {
                streams.append(reply.openStream(200, {{"Content-Type", "text/event-stream"}}));
            });
        http->listen();
        burst = new QTimer(this); // in the server thread
        burst->setInterval(10);
        QObject::connect(burst, &QTimer::timeout, this, [this] {
            // 10 events per 10 ms: 1,000 per second.
            QByteArray chunk;
            for (int i = 0; i < 10 && sent < toSend; ++i, ++sent) {
                const int a = int(QRandomGenerator::global()->bounded(kApps));
                const int t = int(QRandomGenerator::global()->bounded(kTasksPerApp));
                QJsonObject e = taskJson(a, t);
                const QJsonObject ev{
                    {QStringLiteral("eventType"), QStringLiteral("status_update_event")},
                    {QStringLiteral("timestamp"), QStringLiteral("2026-11-26T10:01:00.000Z")},
                    {QStringLiteral("appId"), appId(a)},
                    {QStringLiteral("taskId"), e.value(QStringLiteral("id"))},
                    {QStringLiteral("taskStatus"), QStringLiteral("TASK_RUNNING")},
                    {QStringLiteral("host"), e.value(QStringLiteral("host"))},
                    {QStringLiteral("ports"), e.value(QStringLiteral("ports"))},
                    {QStringLiteral("version"), e.value(QStringLiteral("version"))}};
                chunk += "event: status_update_event\ndata: " +
                         QJsonDocument(ev).toJson(QJsonDocument::Compact) + "\n\n";
            }
            for (const auto &s : std::as_const(streams)) {
                if (s && s->isOpen())
                    s->write(chunk);
            }
            if (sent >= toSend)
                burst->stop();
        });
    }
};

template<typename F> void runIn(QObject *obj, F f)
{
    QMetaObject::invokeMethod(obj, f, Qt::BlockingQueuedConnection);
}

void waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

double median(QList<double> v)
{
    std::sort(v.begin(), v.end());
    return v.isEmpty() ? 0 : v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int runs = argc > 1 ? std::max(1, atoi(argv[1])) : 3;
    const int burstSeconds = argc > 2 ? std::max(1, atoi(argv[2])) : 5;
    const int idleSeconds = argc > 3 ? std::max(1, atoi(argv[3])) : 20;

    QThread serverThread;
    serverThread.start();
    auto *server = new BigMarathon;
    server->moveToThread(&serverThread);
    runIn(server, [server] { server->setUp(); });
    quint16 port = 0;
    qsizetype appsBytes = 0;
    runIn(server, [&] {
        port = server->http->port();
        appsBytes = server->apps.size();
    });
    std::printf("bench_live: %d apps, %d tasks, GET /v2/apps?embed=apps.tasks = %.1f MB\n", kApps,
                kApps * kTasksPerApp, appsBytes / 1e6);

    QList<double> firstView, stall, rss, idleStream, events;
    for (int run = 0; run < runs; ++run) {
        marathon::MarathonConfig c;
        c.urls = {QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port))};
        c.timeoutMs = 30000;
        marathon::MarathonClient client(c);
        marathon::LiveModel model(&client);
        ui::LiveView view(&model);
        view.resize(1200, 800);
        view.show();
        auto *table = view.findChild<QTableView *>(QStringLiteral("liveApps"));
        QElapsedTimer clock;
        clock.start();
        model.start();
        waitUntil([&] { return model.isSynced() && table->model()->rowCount() == kApps; }, 30000);
        QCoreApplication::processEvents(); // the first paint of the full table
        firstView << clock.elapsed();
        waitUntil([&] { return model.mode() == marathon::LiveModel::Mode::Stream; }, 10000);

        // The burst, with the heartbeat watching the GUI thread.
        QElapsedTimer beat;
        qint64 worst = 0;
        QTimer heart;
        heart.setInterval(5);
        QObject::connect(&heart, &QTimer::timeout,
                         [&] { worst = std::max(worst, beat.restart()); });
        const qint64 eventsBefore = model.stream()->eventsReceived();
        runIn(server, [&] {
            server->sent = 0;
            server->toSend = 1000 * burstSeconds;
            server->burst->start();
        });
        beat.start();
        heart.start();
        waitUntil(
            [&] { return model.stream()->eventsReceived() - eventsBefore >= 1000 * burstSeconds; },
            burstSeconds * 1000 + 20000);
        waitUntil([] { return false; }, 500); // the last batch of fetches
        heart.stop();
        stall << worst;
        events << double(model.stream()->eventsReceived() - eventsBefore);
        rss << rssKb() / 1024.0;

        // Idle: what arrives when nothing happens (once the burst's last fetches are done).
        for (int settled = 0; settled < 10;) {
            const int fetches = model.fetchCount();
            waitUntil([] { return false; }, 200);
            settled = model.fetchCount() == fetches ? settled + 1 : 0;
        }
        const qint64 streamBefore = model.stream()->bytesReceived();
        const qint64 fetchedBefore = model.bytesFetched();
        waitUntil([] { return false; }, idleSeconds * 1000);
        const double perMinute = (model.stream()->bytesReceived() - streamBefore +
                                  model.bytesFetched() - fetchedBefore) *
                                 60.0 / idleSeconds;
        idleStream << perMinute;
        std::printf("run %d: first view %.0f ms, longest stall %.0f ms (%.0f events), RSS %.0f MB, "
                    "idle %.0f bytes/min measured over %d s\n",
                    run + 1, firstView.last(), stall.last(), events.last(), rss.last(),
                    idleStream.last(), idleSeconds);
        std::fflush(stdout);
    }
    // A connected stream that stays silent is checked by one full fetch a minute (setSilentResync).
    const double silentCheck = double(appsBytes);
    const double webUi = double(appsBytes) * 12;
    std::printf("\nmedians over %d runs:\n", runs);
    std::printf("  first full view:        %.0f ms   (target < 1000)\n", median(firstView));
    std::printf("  longest GUI stall:      %.0f ms   (target < 50) during %d s of 1000 events/s\n",
                median(stall), burstSeconds);
    std::printf("  memory (VmRSS):         %.0f MB   (target < 250)\n", median(rss));
    std::printf(
        "  idle, per minute:       %.0f bytes measured on the stream + %.1f MB for the one\n"
        "                          silent-stream check a minute = %.1f MB\n",
        median(idleStream), silentCheck / 1e6, (median(idleStream) + silentCheck) / 1e6);
    std::printf(
        "  Marathon web UI poll:   %.1f MB per minute (/v2/apps?embed=apps.tasks every 5 s)\n",
        webUi / 1e6);
    runIn(server, [server] { delete server; });
    serverThread.quit();
    serverThread.wait();
    return 0;
}
