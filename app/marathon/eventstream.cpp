#include "marathon/eventstream.h"

#include "core/logging.h"
#include "marathon/marathonclient.h"
#include "marathon/marathontypes.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrlQuery>

#include <algorithm>

namespace pier::marathon {

// ---- SseParser -------------------------------------------------------------------------------

QList<SseEvent> SseParser::feed(const QByteArray &bytes)
{
    QList<SseEvent> out;
    const char *p = bytes.constData();
    const qsizetype n = bytes.size();
    qsizetype start = 0;
    for (qsizetype i = 0; i < n; ++i) {
        const char c = p[i];
        if (c != '\n' && c != '\r')
            continue;
        if (c == '\n' && m_afterCr && i == start && m_line.isEmpty()) {
            // The LF of a CRLF whose CR ended the previous chunk (or line).
            m_afterCr = false;
            start = i + 1;
            continue;
        }
        m_afterCr = c == '\r';
        if (!m_dropping)
            m_line.append(p + start, i - start);
        if (!m_dropping)
            processLine(m_line, &out);
        m_dropping = false;
        m_line.clear();
        start = i + 1;
        if (c == '\r' && i + 1 < n && p[i + 1] == '\n') {
            ++i;
            start = i + 1;
            m_afterCr = false;
        }
    }
    if (start < n) {
        m_afterCr = false;
        if (!m_dropping) {
            m_line.append(p + start, n - start);
            if (m_line.size() > kMaxLine) {
                qCWarning(lcMarathon) << "event stream: a line of more than" << kMaxLine
                                      << "bytes without an end, skipped";
                ++m_skipped;
                m_line.clear();
                m_dropping = true;
            }
        }
    }
    return out;
}

void SseParser::reset()
{
    m_line.clear();
    m_afterCr = false;
    m_dropping = false;
    m_type.clear();
    m_data.clear();
    m_hasData = false;
}

void SseParser::processLine(const QByteArray &line, QList<SseEvent> *out)
{
    if (line.isEmpty()) {
        // Dispatch. An event without data is not dispatched (its type is forgotten).
        if (m_hasData) {
            SseEvent e;
            if (!m_type.isEmpty())
                e.type = m_type;
            e.data = m_data;
            e.id = m_lastId;
            out->append(e);
        }
        m_type.clear();
        m_data.clear();
        m_hasData = false;
        return;
    }
    if (line.startsWith(':')) {
        ++m_comments;
        return;
    }
    const qsizetype colon = line.indexOf(':');
    QByteArray field = colon < 0 ? line : line.left(colon);
    QByteArray value = colon < 0 ? QByteArray() : line.mid(colon + 1);
    if (value.startsWith(' '))
        value.remove(0, 1);
    if (field == "data") {
        if (m_hasData)
            m_data.append('\n');
        m_data.append(value);
        m_hasData = true;
    } else if (field == "event") {
        m_type = QString::fromUtf8(value);
    } else if (field == "id") {
        if (!value.contains('\0'))
            m_lastId = QString::fromUtf8(value);
    } else if (field == "retry") {
        bool ok = !value.isEmpty() && std::all_of(value.begin(), value.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
        const int ms = ok ? value.toInt(&ok) : 0;
        if (ok)
            m_retryMs = ms;
        else
            ++m_skipped;
    } else {
        // The spec says to ignore unknown fields; they are also a sign of a stream mangled by a
        // proxy, so they are counted and logged (the start only: it may be anything).
        ++m_skipped;
        qCDebug(lcMarathon) << "event stream: skipped a line that is not an SSE field:"
                            << line.left(60);
    }
}

// ---- MarathonEvent ---------------------------------------------------------------------------

QString MarathonEvent::appId() const
{
    for (const char *key : {"appId", "runSpecId"}) {
        const QString id = json.value(QLatin1String(key)).toString();
        if (!id.isEmpty())
            return id;
    }
    return json.value(QLatin1String("appDefinition"))
        .toObject()
        .value(QLatin1String("id"))
        .toString();
}

bool MarathonEvent::fromSse(const SseEvent &sse, MarathonEvent *event, QString *reason)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(sse.data, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) {
        if (reason) {
            *reason = error.error != QJsonParseError::NoError
                          ? QStringLiteral("data is not JSON (%1 at offset %2)")
                                .arg(error.errorString())
                                .arg(error.offset)
                          : QStringLiteral("data is not a JSON object");
        }
        return false;
    }
    event->json = doc.object();
    event->eventType = event->json.value(QLatin1String("eventType")).toString();
    if (event->eventType.isEmpty() && sse.type != QLatin1String("message"))
        event->eventType = sse.type;
    if (event->eventType.isEmpty()) {
        if (reason)
            *reason = QStringLiteral("no eventType");
        return false;
    }
    event->timestamp = parseMarathonDate(event->json.value(QLatin1String("timestamp")).toString());
    return true;
}

// ---- MarathonEventStream ---------------------------------------------------------------------

MarathonEventStream::MarathonEventStream(MarathonClient *client, QObject *parent)
    : QObject(parent), m_client(client)
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &MarathonEventStream::connectNow);
}

MarathonEventStream::~MarathonEventStream()
{
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
}

void MarathonEventStream::setBackoff(int initialMs, int maxMs)
{
    m_initialDelayMs = std::max(1, initialMs);
    m_maxDelayMs = std::max(m_initialDelayMs, maxMs);
    m_delayMs = m_initialDelayMs;
}

qint64 MarathonEventStream::msSinceLastData() const
{
    return m_lastData.isValid() ? m_lastData.elapsed() : -1;
}

void MarathonEventStream::start()
{
    if (m_state != State::Idle)
        return;
    m_delayMs = m_initialDelayMs;
    setState(State::Connecting);
    connectNow();
}

void MarathonEventStream::stop()
{
    m_retryTimer.stop();
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
        m_reply = nullptr;
    }
    setState(State::Idle);
}

void MarathonEventStream::connectNow()
{
    if (!m_client)
        return;
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
    QUrlQuery query;
    if (!m_eventTypes.isEmpty())
        query.addQueryItem(QStringLiteral("event_type"), m_eventTypes.join(QLatin1Char(',')));
    QNetworkRequest request = m_client->authorizedRequest(QStringLiteral("/v2/events"), query);
    if (m_redirect.isValid()) {
        request.setUrl(m_redirect);
        m_redirect.clear();
    }
    request.setRawHeader(QByteArrayLiteral("Accept"), QByteArrayLiteral("text/event-stream"));
    request.setRawHeader(QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-cache"));
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute,
                         QNetworkRequest::AlwaysNetwork);
    request.setTransferTimeout(0); // the stream may stay quiet for a long time
    m_url = request.url();
    m_parser.reset();
    m_headerChecked = false;
    m_reply = m_client->networkAccessManager()->get(request);
    connect(m_reply, &QNetworkReply::metaDataChanged, this, &MarathonEventStream::onMetaData);
    connect(m_reply, &QNetworkReply::readyRead, this, &MarathonEventStream::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &MarathonEventStream::onFinished);
    qCDebug(lcMarathon) << "event stream: connecting to" << m_url.toDisplayString();
}

void MarathonEventStream::onMetaData()
{
    if (!m_reply || m_headerChecked)
        return;
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 0)
        return;
    m_headerChecked = true;
    const QByteArray type = m_reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    if (status == 200 && type.startsWith("text/event-stream")) {
        m_delayMs = m_initialDelayMs;
        m_lastError.clear();
        m_disconnectedSince = QDateTime();
        m_lastData.start();
        qCInfo(lcMarathon) << "event stream: connected to" << m_url.toDisplayString();
        setState(State::Connected);
        emit connected();
        return;
    }
    // Anything else ends this attempt; onFinished() decides what follows.
}

void MarathonEventStream::onReadyRead()
{
    if (!m_reply)
        return;
    if (!m_headerChecked)
        onMetaData();
    if (m_state != State::Connected)
        return; // an error body: read at the end
    const QByteArray bytes = m_reply->readAll();
    m_bytes += bytes.size();
    m_lastData.start();
    const QList<SseEvent> events = m_parser.feed(bytes);
    for (const SseEvent &sse : events) {
        MarathonEvent e;
        QString reason;
        if (!MarathonEvent::fromSse(sse, &e, &reason)) {
            ++m_skippedEvents;
            qCWarning(lcMarathon).noquote()
                << "event stream: skipped an event of type" << sse.type << "-" << reason;
            continue;
        }
        ++m_events;
        emit event(e);
        if (!m_reply)
            return; // stopped by a receiver
    }
}

void MarathonEventStream::onFinished()
{
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    m_reply = nullptr;
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (m_state == State::Connected) {
        onReadyRead(); // the last bytes
        scheduleReconnect(
            reply->error() == QNetworkReply::NoError
                ? QStringLiteral("Marathon closed the event stream")
                : QStringLiteral("the event stream broke: %1").arg(reply->errorString()));
        return;
    }
    if (status == 404) {
        m_lastError = QStringLiteral("This Marathon has no event stream (/v2/events answers 404; "
                                     "Marathon before 0.9).");
        qCInfo(lcMarathon) << "event stream: unsupported (404); polling instead";
        setState(State::Unsupported);
        return;
    }
    if (status >= 300 && status < 400) {
        const QUrl location = reply->url().resolved(
            QUrl::fromEncoded(reply->rawHeader(QByteArrayLiteral("Location"))));
        if (location.isValid() && !location.isEmpty()) {
            m_redirect = location;
            m_retryTimer.start(0);
            return;
        }
    }
    QString reason;
    if (status == 401 || status == 403)
        reason = QStringLiteral("Marathon refused the credentials for the event stream (HTTP %1)")
                     .arg(status);
    else if (status != 0)
        reason = QStringLiteral("the event stream answered HTTP %1").arg(status);
    else
        reason = QStringLiteral("cannot reach the event stream: %1").arg(reply->errorString());
    scheduleReconnect(reason);
}

void MarathonEventStream::scheduleReconnect(const QString &reason)
{
    m_lastError = reason;
    if (!m_disconnectedSince.isValid())
        m_disconnectedSince = QDateTime::currentDateTimeUtc();
    int delay = m_delayMs;
    if (m_parser.retryMs() >= 0 && m_delayMs == m_initialDelayMs)
        delay = std::max(m_parser.retryMs(), 100);
    m_delayMs = std::min(m_maxDelayMs, m_delayMs * 2);
    qCInfo(lcMarathon).noquote() << "event stream:" << reason << "- reconnecting in" << delay
                                 << "ms";
    setState(State::Reconnecting);
    m_retryTimer.start(delay);
}

void MarathonEventStream::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

} // namespace pier::marathon
