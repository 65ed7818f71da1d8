#include "cli/watch.h"

#include "marathon/livemodel.h"
#include "marathon/marathonclient.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTextStream>

#include <csignal>
#include <unistd.h>

namespace pier::cli {

namespace {

int g_pipe[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] ssize_t n = ::write(g_pipe[1], &c, 1);
}

QString orDash(const QString &s)
{
    return s.isEmpty() ? QStringLiteral("-") : s;
}

bool matches(const QString &filter, const QString &appId)
{
    return filter.isEmpty() || appId == filter || appId.startsWith(filter + QLatin1Char('/'));
}

} // namespace

int runWatch(marathon::MarathonClient *client, const QString &appId, QTextStream &out,
             QTextStream &err)
{
    using marathon::LiveModel;
    QString filter = appId;
    if (!filter.isEmpty() && !filter.startsWith(QLatin1Char('/')))
        filter.prepend(QLatin1Char('/'));
    while (filter.size() > 1 && filter.endsWith(QLatin1Char('/')))
        filter.chop(1);

    LiveModel model(client);
    bool announced = false;
    QString lastStatus;
    QObject::connect(&model, &LiveModel::taskChanged, &model, [&](const marathon::TaskChange &c) {
        if (!matches(filter, c.appId))
            return;
        QString health = c.newHealth;
        if (!c.oldHealth.isEmpty() && c.oldHealth != c.newHealth && !c.newHealth.isEmpty())
            health = c.oldHealth + QStringLiteral(" → ") + c.newHealth;
        out << c.time.toString(Qt::ISODateWithMs) << ' ' << c.appId << ' ' << c.taskId << ' '
            << orDash(c.oldState) << " → " << c.newState << ' ' << orDash(health);
        if (!c.message.isEmpty())
            out << " (" << c.message << ')';
        out << '\n';
        out.flush();
    });
    QObject::connect(&model, &LiveModel::appRemoved, &model, [&](const QString &id) {
        if (!matches(filter, id))
            return;
        out << QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs) << ' ' << id
            << " - app → removed -\n";
        out.flush();
    });
    QObject::connect(&model, &LiveModel::statusChanged, &model, [&] {
        const QString status = model.statusText();
        // Only the kind of status, not the seconds counting up.
        const QString kind = status.section(QLatin1Char(','), 0, 0).section(QLatin1Char(':'), 0, 0);
        if (kind == lastStatus)
            return;
        lastStatus = kind;
        err << "pier: " << status << '\n';
        err.flush();
    });
    QObject::connect(&model, &LiveModel::synced, &model, [&] {
        if (announced)
            return;
        announced = true;
        if (!filter.isEmpty() && !model.hasApp(filter)) {
            bool any = false;
            for (const QString &id : model.appIds())
                any = any || matches(filter, id);
            if (!any)
                err << "pier: " << filter
                    << " is not on Marathon (yet); watching for it. Stop with Ctrl+C.\n";
        }
        err.flush();
    });

    if (::pipe(g_pipe) == 0) {
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
        auto *notifier = new QSocketNotifier(g_pipe[0], QSocketNotifier::Read, &model);
        QObject::connect(notifier, &QSocketNotifier::activated, qApp, &QCoreApplication::quit);
    }
    err << "pier: watching " << client->currentUrl().toDisplayString()
        << (filter.isEmpty() ? QString() : QStringLiteral(" for ") + filter)
        << "; stop with Ctrl+C.\n";
    err.flush();
    model.start();
    QCoreApplication::exec();
    model.disconnect();
    model.stop();
    out.flush();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    return 0;
}

} // namespace pier::cli
