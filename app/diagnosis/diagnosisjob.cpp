#include "diagnosis/diagnosisjob.h"

#include "marathon/marathonclient.h"
#include "mesos/mesosclient.h"

#include <QPointer>
#include <memory>

namespace pier::diagnosis {

struct DiagnosisJob::Pending {
    std::unique_ptr<marathon::MarathonReply> app;
    std::unique_ptr<marathon::MarathonReply> queue;
    std::unique_ptr<marathon::MarathonReply> deployments;
    std::unique_ptr<mesos::MesosReply> state; // null without a Mesos client

    bool done() const
    {
        return app->isFinished() && queue->isFinished() && deployments->isFinished() &&
               (!state || state->isFinished());
    }
};

DiagnosisJob::DiagnosisJob(marathon::MarathonClient *marathon, mesos::MesosClient *mesos,
                           const QString &appId, QObject *parent)
    : QObject(parent), m_marathon(marathon), m_mesos(mesos), m_appId(appId)
{
    if (!m_appId.startsWith(QLatin1Char('/')))
        m_appId.prepend(QLatin1Char('/'));
}

DiagnosisJob::~DiagnosisJob()
{
    delete m_pending;
}

void DiagnosisJob::start()
{
    delete m_pending;
    m_finished = false;
    m_error = {};
    m_pending = new Pending;
    m_pending->app.reset(m_marathon->getApp(
        m_appId, {QStringLiteral("app.tasks"), QStringLiteral("app.counts"),
                  QStringLiteral("app.deployments"), QStringLiteral("app.lastTaskFailure")}));
    m_pending->queue.reset(m_marathon->queue());
    m_pending->deployments.reset(m_marathon->listDeployments());
    if (m_mesos)
        m_pending->state.reset(m_mesos->state());
    const auto check = [this] {
        if (m_pending && !m_finished && m_pending->done())
            collect();
    };
    connect(m_pending->app.get(), &marathon::MarathonReply::finished, this, check);
    connect(m_pending->queue.get(), &marathon::MarathonReply::finished, this, check);
    connect(m_pending->deployments.get(), &marathon::MarathonReply::finished, this, check);
    if (m_pending->state)
        connect(m_pending->state.get(), &mesos::MesosReply::finished, this, check);
    check();
}

void DiagnosisJob::collect()
{
    Pending &p = *m_pending;
    m_finished = true;
    for (const marathon::MarathonReply *r : {p.app.get(), p.queue.get(), p.deployments.get()}) {
        if (r->error()) {
            m_error = r->error();
            emit finished();
            return;
        }
    }
    m_input = {};
    m_input.app = p.app->app();
    const QList<marathon::QueueEntry> entries = p.queue->queue();
    for (const marathon::QueueEntry &e : entries) {
        if (e.appId == m_input.app.id)
            m_input.queue = e;
    }
    m_input.deployments = p.deployments->deployments();
    if (!p.state)
        m_input.mesosError = QStringLiteral("no Mesos master address is known");
    else if (p.state->error())
        m_input.mesosError = QStringLiteral("%1 (%2)").arg(p.state->error().message,
                                                           m_mesos->config().url.toString());
    else
        m_input.mesos = p.state->state();
    m_diagnosis = diagnose(m_input);
    emit finished();
}

QUrl defaultMesosUrl(const QUrl &marathonUrl)
{
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(marathonUrl.host());
    url.setPort(5050);
    return url;
}

QUrl mesosUrlFromText(const QString &text)
{
    QString t = text.trimmed();
    if (!t.contains(QLatin1String("://")))
        t.prepend(QLatin1String("http://"));
    QUrl url(t);
    if (url.port() < 0 && url.scheme() == QLatin1String("http"))
        url.setPort(5050);
    return url;
}

} // namespace pier::diagnosis
