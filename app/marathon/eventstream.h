#pragma once

#include "marathon/marathonclient.h"

#include <QByteArray>
#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QUrl>

class QNetworkReply;

namespace pier::marathon {

// One Server-Sent Event as the text/event-stream format defines it.
struct SseEvent {
    QString type = QStringLiteral("message"); // the `event:` field, "message" when absent
    QByteArray data;                          // `data:` lines joined with "\n"
    QString id;                               // the last `id:` seen (sticky, as the spec says)
};

// An incremental parser for text/event-stream: bytes may arrive split anywhere (inside a line,
// between CR and LF); lines end in LF, CRLF or CR; comments (":...") are ignored; `retry:`
// updates retryMs(); lines that are not fields are skipped, counted and logged.
class SseParser {
public:
    // Parses what `bytes` completes; returns the events dispatched by it, in order.
    QList<SseEvent> feed(const QByteArray &bytes);
    void reset(); // a new connection: drops a half-read event (the last id stays)

    QString lastEventId() const { return m_lastId; }
    int retryMs() const { return m_retryMs; } // -1 until the server sets it
    int skippedLines() const { return m_skipped; }
    int comments() const { return m_comments; }

    // A line longer than this without an end is dropped as garbage (a stream that is not SSE).
    static constexpr qsizetype kMaxLine = 8 * 1024 * 1024;

private:
    void processLine(const QByteArray &line, QList<SseEvent> *out);

    QByteArray m_line;       // the unfinished line
    bool m_afterCr = false;  // the last byte was CR: a following LF belongs to it
    bool m_dropping = false; // inside an over-long line
    QString m_type;          // of the event being read
    QByteArray m_data;
    bool m_hasData = false;
    QString m_lastId;
    int m_retryMs = -1;
    int m_skipped = 0;
    int m_comments = 0;
};

// A Marathon event from /v2/events: its eventType and the JSON object as received.
struct MarathonEvent {
    QString eventType;
    QJsonObject json;
    QDateTime timestamp; // invalid when the event has none

    // The app the event is about, when it names one (appId, runSpecId, appDefinition.id).
    QString appId() const;

    // Builds the event from an SSE event; false (and a reason) when its data is not a JSON object.
    static bool fromSse(const SseEvent &sse, MarathonEvent *event, QString *reason);
};

// GET /v2/events with the client's address, leader, credentials and CA; reconnects with backoff
// after any drop and says so, and gives up (Unsupported) on 404: Marathon before 0.9 has no
// event stream, and then the caller polls.
class MarathonEventStream : public QObject {
    Q_OBJECT
public:
    enum class State {
        Idle,         // not started, or stopped
        Connecting,   // first attempt in flight
        Connected,    // the stream is open
        Reconnecting, // lost (or refused); the next attempt is scheduled
        Unsupported,  // 404: this Marathon has no /v2/events
    };
    Q_ENUM(State)

    explicit MarathonEventStream(MarathonClient *client, QObject *parent = nullptr);
    ~MarathonEventStream() override;

    void start();
    void stop();

    State state() const { return m_state; }
    // When the stream was last lost (valid while Reconnecting).
    QDateTime disconnectedSince() const { return m_disconnectedSince; }
    QString lastError() const { return m_lastError; }
    QUrl url() const { return m_url; }
    qint64 bytesReceived() const { return m_bytes; }
    qint64 eventsReceived() const { return m_events; }
    int skippedEvents() const { return m_skippedEvents; }
    // Milliseconds since the last byte arrived (events and keep-alive comments), -1 if never.
    qint64 msSinceLastData() const;

    // Only these event types (Marathon's ?event_type=, 1.3+); empty: all.
    void setEventTypes(const QStringList &types) { m_eventTypes = types; }
    // Reconnect delays: initial, doubled per failure up to max (a server `retry:` replaces the
    // initial one). A connection that came up resets the delay.
    void setBackoff(int initialMs, int maxMs);

signals:
    void event(const pier::marathon::MarathonEvent &event);
    void stateChanged(pier::marathon::MarathonEventStream::State state);
    void connected(); // each time the stream opens: what happened meanwhile was missed

private:
    void connectNow();
    void onMetaData();
    void onReadyRead();
    void onFinished();
    void setState(State state);
    void scheduleReconnect(const QString &reason);

    QPointer<MarathonClient> m_client;
    QPointer<QNetworkReply> m_reply;
    SseParser m_parser;
    State m_state = State::Idle;
    QDateTime m_disconnectedSince;
    QString m_lastError;
    QUrl m_url;
    QUrl m_redirect; // a standby's 307 to the leader, for the next attempt
    QStringList m_eventTypes;
    QTimer m_retryTimer;
    int m_initialDelayMs = 500;
    int m_maxDelayMs = 10000;
    int m_delayMs = 500;
    bool m_headerChecked = false;
    qint64 m_bytes = 0;
    qint64 m_events = 0;
    int m_skippedEvents = 0;
    QElapsedTimer m_lastData;
};

} // namespace pier::marathon
