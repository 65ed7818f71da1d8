#pragma once

#include "core/apierror.h"
#include "diagnosis/diagnosis.h"

#include <QObject>
#include <QString>
#include <QUrl>

namespace pier::marathon {
class MarathonClient;
}
namespace pier::mesos {
class MesosClient;
}

namespace pier::diagnosis {

// Gathers what "why is it waiting?" needs (the app with its tasks, deployments and last failure;
// the launch queue; the deployments; Mesos's state) with the four requests in flight together,
// then diagnoses. Shared by `pier why` and the Live page. Mesos is optional: without it, or when
// it does not answer, the diagnosis works from Marathon's offer summary and says so.
class DiagnosisJob : public QObject {
    Q_OBJECT
public:
    DiagnosisJob(marathon::MarathonClient *marathon, mesos::MesosClient *mesos,
                 const QString &appId, QObject *parent = nullptr);
    ~DiagnosisJob() override;

    void start();
    bool isFinished() const { return m_finished; }
    // Set when Marathon did not answer (then there is no diagnosis).
    const ApiError &error() const { return m_error; }
    const Diagnosis &diagnosis() const { return m_diagnosis; }
    const DiagnosisInput &input() const { return m_input; }

signals:
    void finished();

private:
    struct Pending;
    void collect();

    marathon::MarathonClient *m_marathon;
    mesos::MesosClient *m_mesos;
    QString m_appId;
    Pending *m_pending = nullptr;
    bool m_finished = false;
    ApiError m_error;
    DiagnosisInput m_input;
    Diagnosis m_diagnosis;
};

// Where the Mesos master is when nothing says so: Marathon's host on Mesos's port 5050, as on
// the tutorial's clusters where both run on the master. A typed address gets http:// and :5050.
QUrl defaultMesosUrl(const QUrl &marathonUrl);
QUrl mesosUrlFromText(const QString &text);

} // namespace pier::diagnosis
