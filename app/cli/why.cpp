#include "cli/why.h"

#include "cli/connection.h"
#include "diagnosis/diagnosis.h"
#include "marathon/marathonclient.h"
#include "mesos/mesosclient.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QJsonDocument>
#include <QTextStream>
#include <memory>

namespace pier::cli {

namespace {

QTextStream &whyOut()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &whyErr()
{
    static QTextStream s(stderr);
    return s;
}

// The master's address: the option, the environment, or Marathon's host on Mesos's port.
QUrl mesosUrl(const QCommandLineParser &parser, const QUrl &marathon)
{
    QString text = parser.value(QStringLiteral("mesos"));
    if (text.isEmpty())
        text = qEnvironmentVariable("PIER_MESOS_URL");
    if (!text.isEmpty()) {
        if (!text.contains(QLatin1String("://")))
            text.prepend(QLatin1String("http://"));
        QUrl url(text);
        if (url.port() < 0 && url.scheme() == QLatin1String("http"))
            url.setPort(5050);
        return url;
    }
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(marathon.host());
    url.setPort(5050);
    return url;
}

} // namespace

int cmdWhy(const QCommandLineParser &parser, const QStringList &args)
{
    if (args.size() != 1) {
        whyErr() << "pier: why needs exactly one APP_ID.\nTry 'pier --help'.\n";
        whyErr().flush();
        return 2;
    }
    ApiError error;
    const MarathonTarget target = resolveMarathon(parser.value(QStringLiteral("marathon")), &error,
                                                  parser.value(QStringLiteral("profile")),
                                                  parser.value(QStringLiteral("proxy")));
    if (error) {
        whyErr() << "pier: " << error.toText() << "\n";
        whyErr().flush();
        return 1;
    }
    marathon::MarathonClient marathonClient(target.config);
    mesos::MesosConfig mesosConfig;
    mesosConfig.url = mesosUrl(parser, marathonClient.currentUrl());
    mesosConfig.socksProxy = target.config.socksProxy;
    mesos::MesosClient mesosClient(mesosConfig);

    QString appId = args.first();
    if (!appId.startsWith(QLatin1Char('/')))
        appId.prepend(QLatin1Char('/'));

    // The four questions go out together; the answer waits for all of them.
    std::unique_ptr<marathon::MarathonReply> app(marathonClient.getApp(
        appId, {QStringLiteral("app.tasks"), QStringLiteral("app.counts"),
                QStringLiteral("app.deployments"), QStringLiteral("app.lastTaskFailure")}));
    std::unique_ptr<marathon::MarathonReply> queue(marathonClient.queue());
    std::unique_ptr<marathon::MarathonReply> deployments(marathonClient.listDeployments());
    std::unique_ptr<mesos::MesosReply> state(mesosClient.state());
    QEventLoop loop;
    auto check = [&] {
        if (app->isFinished() && queue->isFinished() && deployments->isFinished() &&
            state->isFinished())
            loop.quit();
    };
    QObject::connect(app.get(), &marathon::MarathonReply::finished, &loop, check);
    QObject::connect(queue.get(), &marathon::MarathonReply::finished, &loop, check);
    QObject::connect(deployments.get(), &marathon::MarathonReply::finished, &loop, check);
    QObject::connect(state.get(), &mesos::MesosReply::finished, &loop, check);
    check();
    if (!(app->isFinished() && queue->isFinished() && deployments->isFinished() &&
          state->isFinished()))
        loop.exec();

    for (const marathon::MarathonReply *r : {app.get(), queue.get(), deployments.get()}) {
        if (r->error()) {
            whyErr() << "pier: " << r->error().toText() << "\n";
            whyErr().flush();
            return 1;
        }
    }

    diagnosis::DiagnosisInput input;
    input.app = app->app();
    const QList<marathon::QueueEntry> entries = queue->queue();
    for (const marathon::QueueEntry &e : entries) {
        if (e.appId == input.app.id)
            input.queue = e;
    }
    input.deployments = deployments->deployments();
    if (state->error())
        input.mesosError =
            QStringLiteral("%1 (%2)").arg(state->error().message, mesosConfig.url.toString());
    else
        input.mesos = state->state();

    const diagnosis::Diagnosis d = diagnosis::diagnose(input);
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonObject o = d.toJson();
        if (!input.mesosError.isEmpty())
            o.insert(QStringLiteral("mesosError"), input.mesosError);
        whyOut() << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
        whyOut().flush();
        return 0;
    }
    whyOut() << d.text();
    for (const diagnosis::Action &a : d.actions) {
        if (a.id == QLatin1String("reset-delay")) {
            QUrl url = marathonClient.currentUrl();
            url.setPath(url.path() + QStringLiteral("/v2/queue") + input.app.id +
                        QStringLiteral("/delay"));
            whyOut() << "  To reset the delay: curl -X DELETE " << url.toString() << "\n";
        }
    }
    if (state->error() && d.kind != diagnosis::Diagnosis::Kind::NothingWaiting)
        whyOut() << "  Note: Mesos's state was not available (" << input.mesosError
                 << "); give its address with --mesos URL or PIER_MESOS_URL.\n";
    whyOut().flush();
    return 0;
}

} // namespace pier::cli
