#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QString>
#include <QUrlQuery>
#include <functional>
#include <memory>

class QTcpServer;
class QTcpSocket;

namespace pier::sandbox {

using HttpHeaders = QList<QPair<QByteArray, QByteArray>>;

// One parsed HTTP/1.1 request. Header names are kept as sent; look-ups ignore case.
struct HttpRequest {
    QByteArray method;  // "GET", "POST", ...
    QByteArray target;  // the request target as sent: "/v2/apps/x?embed=app.tasks"
    QString path;       // percent-decoded path, without the query
    QUrlQuery query;    // decoded query
    QByteArray version; // "HTTP/1.1"
    HttpHeaders headers;
    QByteArray body;
    QHostAddress peerAddress;
    quint16 peerPort = 0;
    QHash<QString, QString> pathParams; // captures of the matched route pattern

    QByteArray header(const QByteArray &name) const; // empty when absent
    bool hasHeader(const QByteArray &name) const;
    QString queryValue(const QString &key) const; // fully decoded, empty when absent
    QStringList queryValues(const QString &key) const;
    // "?force=true", "?force" and "?force=1" are true; absent or "false" is false.
    bool queryFlag(const QString &key) const;
    QString pathParam(const QString &name) const { return pathParams.value(name); }
};

// A complete response. Content-Length, Date and Connection are added by the server.
struct HttpResponse {
    int status = 200;
    HttpHeaders headers;
    QByteArray body;

    HttpResponse() = default;
    HttpResponse(int status, const QByteArray &body = {}, const QByteArray &contentType = {});

    static HttpResponse json(int status, const QJsonValue &value);
    static HttpResponse text(int status, const QByteArray &text);
    static HttpResponse empty(int status) { return HttpResponse(status); }

    HttpResponse &setHeader(const QByteArray &name, const QByteArray &value); // replaces
    HttpResponse &addHeader(const QByteArray &name, const QByteArray &value); // appends
    QByteArray header(const QByteArray &name) const;

    static QByteArray reasonPhrase(int status);
};

class HttpConnection;

// A response that stays open (Server-Sent Events, long polls): the head is sent at once, the body
// is written piece by piece with chunked transfer encoding until close() or until the peer goes.
// Owned by its connection; hold it in a QPointer.
class HttpStream : public QObject {
    Q_OBJECT
public:
    bool isOpen() const;
    // Writes one chunk; false when the connection is gone.
    bool write(const QByteArray &data);
    // Ends the body (last chunk); the connection closes afterwards.
    void close();
    QHostAddress peerAddress() const;
    quint16 peerPort() const;

signals:
    void closed(); // by close() or by the peer

private:
    friend class HttpConnection;
    explicit HttpStream(HttpConnection *connection);
    QPointer<HttpConnection> m_connection;
    bool m_open = true;
};

// The handle a route handler answers through. Copyable; answering twice, or after the peer went
// away, does nothing. A handler that does not answer at once may keep a copy and answer later.
class HttpReply {
public:
    HttpReply() = default;

    bool isValid() const; // the connection is there and still waits for this answer
    void send(const HttpResponse &response) const;
    void sendAfter(int delayMs, const HttpResponse &response) const;
    // Starts a streaming response (status + headers now, body later). nullptr when not valid.
    HttpStream *openStream(int status, const HttpHeaders &headers) const;
    void closeConnection() const; // drops the connection without answering
    void neverAnswer() const {}   // explicit "hold the request" for readability

private:
    friend class HttpConnection;
    friend class HttpServer;
    HttpReply(HttpConnection *connection, quint64 serial)
        : m_connection(connection), m_serial(serial)
    {
    }
    QPointer<HttpConnection> m_connection;
    quint64 m_serial = 0;
};

// A small, generic HTTP/1.1 server on QTcpServer for the sandbox and tests: Content-Length and
// chunked request bodies, Expect: 100-continue, keep-alive, routing by method and path pattern,
// delayed replies, streaming replies, injected faults, filters (auth, redirects).
//
// Path patterns: literal segments, "{name}" (one segment) and "{name*}" (one or more segments,
// slashes included; may be followed by literal segments: "/v2/apps/{id*}/restart").
// Routes are tried in the order they were added; the first match wins.
class HttpServer : public QObject {
    Q_OBJECT
public:
    using Handler = std::function<void(const HttpRequest &, const HttpReply &)>;
    using SimpleHandler = std::function<HttpResponse(const HttpRequest &)>;
    // A filter sees every request before routing; it returns true when it answered it.
    using Filter = std::function<bool(const HttpRequest &, const HttpReply &)>;
    // Builds the body of the answers the router gives itself (404, 405).
    using ErrorFormatter = std::function<HttpResponse(int status, const HttpRequest &)>;

    enum class FaultKind {
        Respond,  // answer with status + body
        NoAnswer, // read the request and never answer (the client must time out)
        Close,    // close the connection at once
    };

    explicit HttpServer(QObject *parent = nullptr);
    ~HttpServer() override;

    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0);
    // Serves on a socket that already listens (e.g. one made inside another network namespace);
    // takes ownership of FD.
    bool listenOnDescriptor(qintptr fd);
    void close();
    bool isListening() const;
    quint16 port() const;
    QHostAddress address() const;
    QString errorString() const;

    // method: "GET", "POST", ... or "*" for any.
    void route(const QByteArray &method, const QString &pattern, Handler handler);
    void route(const QByteArray &method, const QString &pattern, SimpleHandler handler);
    void addFilter(Filter filter);
    // What unmatched requests get (default: 404 text). A path that matches with another method
    // gets 405 with an Allow header unless the fallback is set.
    void setFallback(Handler handler);
    void setErrorFormatter(ErrorFormatter formatter);

    // Faults apply to the next `count` requests whose path starts with pathPrefix (count < 0:
    // for ever). Checked before filters and routes.
    void injectFault(const QString &pathPrefix, FaultKind kind, int status = 0,
                     const QByteArray &body = {}, int count = 1,
                     const QByteArray &contentType = "application/json");
    void clearFaults();

    // What a fault policy makes of one request (a seeded share of failures: faults.h).
    struct FaultDecision {
        enum class Action {
            None,      // serve it
            Respond,   // answer `response` instead
            NoAnswer,  // read it and never answer (the client must time out)
            Close,     // close the connection at once
            DropReply, // serve it, then close the connection instead of answering (reply lost)
        };
        Action action = Action::None;
        HttpResponse response;
    };
    using FaultPolicy = std::function<FaultDecision(const HttpRequest &)>;
    // Asked for every request before the counted faults, filters and routes; empty: none.
    void setFaultPolicy(FaultPolicy policy);

    int requestCount() const;    // requests parsed since start
    int connectionCount() const; // open connections
    void setMaxBodySize(qint64 bytes);

    // Closes every open stream (e.g. before shutting down).
    void closeAllStreams();

signals:
    void requestReceived(const QString &method, const QString &path);
    void responseSent(const QString &method, const QString &path, int status);
    // The answer a DropReply decision kept from the client: the connection was closed instead.
    void replyDropped(const QString &method, const QString &path, int status);

private:
    friend class HttpConnection;
    void dispatch(const HttpRequest &request, const HttpReply &reply);
    struct Private;
    std::unique_ptr<Private> d;
};

// Internal: one TCP connection. Public only for moc.
class HttpConnection : public QObject {
    Q_OBJECT
public:
    HttpConnection(HttpServer *server, QTcpSocket *socket);
    ~HttpConnection() override;

private:
    friend class HttpReply;
    friend class HttpStream;
    friend class HttpServer;

    void onReadyRead();
    void processBuffer();
    bool parseHead(qsizetype headEnd);
    bool readChunkedBody();
    void sendError(int status, const QByteArray &message);
    void sendResponse(quint64 serial, const HttpResponse &response);
    HttpStream *startStream(quint64 serial, int status, const HttpHeaders &headers);
    void writeChunk(const QByteArray &data);
    void endStream();
    void abort();
    void finishExchange(bool keepAlive);
    bool isCurrent(quint64 serial) const { return m_waiting && serial == m_serial; }

    HttpServer *m_server;
    QTcpSocket *m_socket;
    QByteArray m_buffer;
    HttpRequest m_request;
    enum class State { Head, Body, ChunkedBody, Waiting, Streaming, Closing } m_state = State::Head;
    qint64 m_contentLength = 0;
    bool m_keepAlive = true;
    bool m_waiting = false;
    bool m_sentContinue = false;
    quint64 m_serial = 0;
    quint64 m_dropSerial = 0; // this exchange's answer is dropped (FaultDecision::DropReply)
    QPointer<HttpStream> m_stream;
};

} // namespace pier::sandbox
