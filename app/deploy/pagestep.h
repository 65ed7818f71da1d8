#pragma once

#include "core/plan.h"

#include <QElapsedTimer>
#include <QPointer>

class QNetworkAccessManager;
class QNetworkReply;
class QTimer;

namespace pier::deploy {

// "Fetch the page from the external address": the proof a visitor would get. GET
// http://EXTERNAL_IP:PORT/ (through the profile's SOCKS proxy when there is one, which is the
// internet side in the sandbox), retried for a while because a new load balancer takes time to
// converge. Changes nothing; undo has nothing to remove.
// Inputs: rule.ip (the forwarding rule's address). Outputs: page.url, page.status, page.title.
class PageStep : public Step {
    Q_OBJECT
public:
    PageStep(int port, const QString &socksProxy, QObject *parent = nullptr);

    void setTimeoutMs(int ms) { m_timeoutMs = ms; } // for the whole wait
    void setRetryIntervalMs(int ms) { m_intervalMs = ms; }

    QString title() const override;
    QString explanation() const override;
    QString equivalentCommand() const override;
    void check(const QVariantMap &inputs, StepCallback done) override;
    void apply(const QVariantMap &inputs, StepCallback done) override;
    void verify(const QVariantMap &inputs, StepCallback done) override;
    void undo(const QVariantMap &inputs, StepCallback done) override;
    void cancel() override;

    static QString urlFor(const QString &ip, int port);
    static QString pageTitle(const QByteArray &html);

private:
    void attempt();
    void finish(const StepResult &r);

    int m_port;
    QString m_proxy;
    int m_timeoutMs = 180000;
    int m_intervalMs = 1000;
    QString m_url;
    QNetworkAccessManager *m_nam = nullptr;
    QPointer<QNetworkReply> m_reply;
    QTimer *m_retry = nullptr;
    QElapsedTimer m_clock;
    QString m_lastProblem;
    int m_attempts = 0;
    StepCallback m_done;
};

} // namespace pier::deploy
