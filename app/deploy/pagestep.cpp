#include "deploy/pagestep.h"

#include "core/networkproxy.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTimer>

namespace pier::deploy {

PageStep::PageStep(int port, const QString &socksProxy, QObject *parent)
    : Step(QStringLiteral("page"), parent), m_port(port), m_proxy(socksProxy)
{
    m_nam = new QNetworkAccessManager(this);
    applySocksProxy(m_nam, m_proxy);
    m_retry = new QTimer(this);
    m_retry->setSingleShot(true);
    connect(m_retry, &QTimer::timeout, this, &PageStep::attempt);
}

QString PageStep::title() const
{
    return tr("Fetch the page from the external address");
}

QString PageStep::explanation() const
{
    return tr("The proof: Pier asks for the app's page on the load balancer's address, as any "
              "visitor on the internet would. A new load balancer can take a minute before it "
              "forwards traffic, so Pier keeps asking for a while.");
}

QString PageStep::equivalentCommand() const
{
    const QString url = m_url.isEmpty() ? urlFor(QStringLiteral("EXTERNAL_IP"), m_port) : m_url;
    return m_proxy.isEmpty()
               ? QStringLiteral("curl -sS %1 | grep -i '<title>'").arg(url)
               : QStringLiteral("curl -sS --socks5-hostname %1 %2 | grep -i '<title>'")
                     .arg(QString(m_proxy).remove(
                              QRegularExpression(QStringLiteral("^socks5h?://"))),
                          url);
}

QString PageStep::urlFor(const QString &ip, int port)
{
    return port == 80 ? QStringLiteral("http://%1/").arg(ip)
                      : QStringLiteral("http://%1:%2/").arg(ip).arg(port);
}

QString PageStep::pageTitle(const QByteArray &html)
{
    static const QRegularExpression re(QStringLiteral("<title[^>]*>(.*?)</title>"),
                                       QRegularExpression::CaseInsensitiveOption |
                                           QRegularExpression::DotMatchesEverythingOption);
    return re.match(QString::fromUtf8(html)).captured(1).simplified();
}

void PageStep::check(const QVariantMap &, StepCallback done)
{
    // Nothing to make: verify() always fetches the page again, never trusting a journal.
    done(StepResult::done(tr("Fetching the page…")));
}

void PageStep::apply(const QVariantMap &, StepCallback done)
{
    done(StepResult::done());
}

void PageStep::undo(const QVariantMap &, StepCallback done)
{
    done(StepResult::done(tr("Nothing to remove.")));
}

void PageStep::verify(const QVariantMap &inputs, StepCallback done)
{
    const QString ip = inputs.value(QStringLiteral("rule.ip")).toString();
    if (ip.isEmpty()) {
        done(StepResult::failed(
            ApiError::local(tr("No external address is known: the forwarding rule has none."))));
        return;
    }
    m_url = urlFor(ip, m_port);
    m_done = std::move(done);
    m_attempts = 0;
    m_lastProblem.clear();
    m_clock.start();
    attempt();
}

void PageStep::attempt()
{
    ++m_attempts;
    QNetworkRequest request{QUrl(m_url)};
    request.setTransferTimeout(5000);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute,
                         QNetworkRequest::AlwaysNetwork);
    m_reply = m_nam->get(request);
    connect(m_reply, &QNetworkReply::finished, this, [this, reply = m_reply.data()] {
        reply->deleteLater();
        if (!m_done)
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->readAll();
        if (reply->error() == QNetworkReply::NoError && status >= 200 && status < 400) {
            const QString title = pageTitle(body);
            finish(StepResult::done(tr("%1 answered HTTP %2, title \"%3\" (after %4 s).")
                                        .arg(m_url)
                                        .arg(status)
                                        .arg(title)
                                        .arg(m_clock.elapsed() / 1000.0, 0, 'f', 1),
                                    {{QStringLiteral("page.url"), m_url},
                                     {QStringLiteral("page.status"), status},
                                     {QStringLiteral("page.title"), title}}));
            return;
        }
        m_lastProblem = status > 0 ? tr("HTTP %1").arg(status) : reply->errorString();
        if (m_clock.elapsed() + m_intervalMs >= m_timeoutMs) {
            ApiError e = ApiError::local(
                tr("%1 did not answer within %2 s (%3 tries; last: %4).")
                    .arg(m_url)
                    .arg(m_timeoutMs / 1000)
                    .arg(m_attempts)
                    .arg(m_lastProblem),
                tr("Check the pool's health (pier gce status) and the nodes' firewall (pier "
                   "firewall diagnose --port %1).")
                    .arg(m_port));
            e.kind = ApiError::Kind::Stalled;
            finish(StepResult::failed(e));
            return;
        }
        emit progress(
            tr("Waiting for %1 to answer (%2, try %3)…").arg(m_url, m_lastProblem).arg(m_attempts));
        m_retry->start(m_intervalMs);
    });
}

void PageStep::finish(const StepResult &r)
{
    m_retry->stop();
    if (m_done) {
        StepCallback done = std::move(m_done);
        m_done = nullptr;
        done(r);
    }
}

void PageStep::cancel()
{
    if (m_reply)
        m_reply->abort();
    finish(StepResult::cancelled());
}

} // namespace pier::deploy
