#include "cli/why.h"

#include "cli/connection.h"
#include "core/profilestore.h"
#include "diagnosis/diagnosis.h"
#include "diagnosis/diagnosisjob.h"
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

// The master's address: the option, the environment, the profile, or Marathon's host on Mesos's
// port.
QUrl mesosUrl(const QCommandLineParser &parser, const MarathonTarget &target, const QUrl &marathon)
{
    QString text = parser.value(QStringLiteral("mesos"));
    if (text.isEmpty())
        text = qEnvironmentVariable("PIER_MESOS_URL");
    if (text.isEmpty() && !target.profile.isEmpty()) {
        Profile profile;
        if (ProfileStore().find(target.profile, &profile))
            text = profile.mesosUrl;
    }
    if (!text.isEmpty())
        return diagnosis::mesosUrlFromText(text);
    return diagnosis::defaultMesosUrl(marathon);
}

// DELETE /v2/queue/{app}/delay: the next launch goes out at once instead of after the backoff.
int resetLaunchDelay(marathon::MarathonClient &client, const QString &appId,
                     const diagnosis::Diagnosis &d)
{
    std::unique_ptr<marathon::MarathonReply> reply(client.resetDelay(appId));
    QEventLoop loop;
    QObject::connect(reply.get(), &marathon::MarathonReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    if (reply->error()) {
        if (reply->error().httpStatus == 404) {
            whyOut() << appId << " has no launch delay to reset: it is not in the launch queue.\n";
            whyOut().flush();
            return 0;
        }
        whyErr() << "pier: " << reply->error().toText() << "\n";
        whyErr().flush();
        return 1;
    }
    whyOut() << "Reset the launch delay of " << appId
             << ": Marathon launches its next task at once.\n";
    if (d.kind == diagnosis::Diagnosis::Kind::TasksFailing)
        whyOut() << "Its tasks were failing; if the cause is not fixed they will fail again:\n"
                 << d.text();
    whyOut().flush();
    return 0;
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
    mesosConfig.url = mesosUrl(parser, target, marathonClient.currentUrl());
    mesosConfig.socksProxy = target.config.socksProxy;
    mesos::MesosClient mesosClient(mesosConfig);

    const bool resetDelay = parser.isSet(QStringLiteral("reset-delay"));
    diagnosis::DiagnosisJob job(&marathonClient, &mesosClient, args.first());
    QEventLoop loop;
    QObject::connect(&job, &diagnosis::DiagnosisJob::finished, &loop, &QEventLoop::quit);
    job.start();
    if (!job.isFinished())
        loop.exec();
    if (job.error()) {
        whyErr() << "pier: " << job.error().toText() << "\n";
        whyErr().flush();
        return 1;
    }
    const diagnosis::DiagnosisInput &input = job.input();
    const diagnosis::Diagnosis &d = job.diagnosis();
    if (resetDelay)
        return resetLaunchDelay(marathonClient, input.app.id, d);
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
        if (a.id == QLatin1String("reset-delay"))
            whyOut() << "  To reset the delay: pier why " << input.app.id << " --reset-delay\n";
    }
    if (!input.mesosError.isEmpty() && d.kind != diagnosis::Diagnosis::Kind::NothingWaiting)
        whyOut() << "  Note: Mesos's state was not available (" << input.mesosError
                 << "); give its address with --mesos URL or PIER_MESOS_URL.\n";
    whyOut().flush();
    return 0;
}

} // namespace pier::cli
