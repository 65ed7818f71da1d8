#pragma once

#include "core/apierror.h"
#include "mesos/mesostypes.h"

#include <QByteArray>
#include <QJsonValue>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

class QNetworkAccessManager;
class QNetworkReply;
class QTimer;

namespace pier::mesos {

struct MesosConfig {
    QUrl url;              // the master, "http://10.240.0.2:5050"
    int timeoutMs = 10000; // per request
    QString socksProxy;    // "socks5://host:port" or "host:port"; empty: direct
};

// One call in flight; emits finished() exactly once (also on error or abort).
class MesosReply : public QObject {
    Q_OBJECT
public:
    explicit MesosReply(QObject *parent = nullptr) : QObject(parent) {}
    ~MesosReply() override;

    bool isFinished() const { return m_finished; }
    const ApiError &error() const { return m_error; }
    int httpStatus() const { return m_status; }
    const QByteArray &body() const { return m_body; }
    QUrl url() const { return m_url; } // the URL that answered (after a fallback)
    QJsonValue json() const;
    MesosState state() const; // /master/state or /master/state.json
    QString version() const;  // /version

    void abort(); // finishes with ApiError::Kind::Cancelled

signals:
    void finished();

private:
    friend class MesosClient;
    void complete(const ApiError &error);

    bool m_finished = false;
    ApiError m_error;
    int m_status = 0;
    QByteArray m_body;
    QUrl m_url;
    QStringList m_paths; // paths to try in turn: a 404 moves on to the next
    QPointer<QNetworkReply> m_network;
    QTimer *m_timeout = nullptr;
    bool m_timedOut = false;
};

// The Mesos master's HTTP API, 0.21 through 1.x. Asynchronous; replies are owned by the caller
// (parented to the client until then).
class MesosClient : public QObject {
    Q_OBJECT
public:
    explicit MesosClient(const MesosConfig &config, QObject *parent = nullptr);
    MesosClient(const MesosConfig &config, QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~MesosClient() override;

    const MesosConfig &config() const { return m_config; }

    // GET /master/state, falling back to /master/state.json on 404 (Mesos before 0.25).
    MesosReply *state();
    MesosReply *health();  // GET /master/health
    MesosReply *version(); // GET /version (from 0.26)

private:
    MesosReply *send(const QStringList &paths, bool expectJson);
    void attempt(MesosReply *reply, bool expectJson);

    MesosConfig m_config;
    QNetworkAccessManager *m_nam = nullptr;
};

// The ApiError for a finished HTTP exchange with a Mesos master; status 0 with a transport error
// for a request that got no HTTP reply. Exposed for tests.
ApiError mesosErrorFrom(int httpStatus, const QByteArray &body, const QString &transportError = {},
                        bool expectJson = true);

} // namespace pier::mesos
