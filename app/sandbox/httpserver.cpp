#include "sandbox/httpserver.h"

#include "core/logging.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

namespace pier::sandbox {

namespace {

constexpr qsizetype kMaxHeadSize = 64 * 1024;

bool sameName(const QByteArray &a, const QByteArray &b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

QByteArray httpDate()
{
    // RFC 7231 IMF-fixdate, always in English.
    return QLocale::c()
               .toString(QDateTime::currentDateTimeUtc(),
                         QStringLiteral("ddd, dd MMM yyyy hh:mm:ss"))
               .toLatin1() +
           " GMT";
}

bool headerListHas(const HttpHeaders &headers, const QByteArray &name)
{
    for (const auto &h : headers) {
        if (sameName(h.first, name))
            return true;
    }
    return false;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// HttpRequest

QByteArray HttpRequest::header(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (sameName(h.first, name))
            return h.second;
    }
    return {};
}

bool HttpRequest::hasHeader(const QByteArray &name) const
{
    return headerListHas(headers, name);
}

QString HttpRequest::queryValue(const QString &key) const
{
    return query.queryItemValue(key, QUrl::FullyDecoded);
}

QStringList HttpRequest::queryValues(const QString &key) const
{
    return query.allQueryItemValues(key, QUrl::FullyDecoded);
}

bool HttpRequest::queryFlag(const QString &key) const
{
    if (!query.hasQueryItem(key))
        return false;
    const QString v = queryValue(key).toLower();
    return v.isEmpty() || v == QLatin1String("true") || v == QLatin1String("1");
}

// ---------------------------------------------------------------------------------------------
// HttpResponse

HttpResponse::HttpResponse(int status, const QByteArray &body, const QByteArray &contentType)
    : status(status), body(body)
{
    if (!contentType.isEmpty())
        headers.append({"Content-Type", contentType});
}

HttpResponse HttpResponse::json(int status, const QJsonValue &value)
{
    QByteArray body;
    if (value.isObject())
        body = QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    else if (value.isArray())
        body = QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    else {
        // A bare scalar: wrap and strip, QJsonDocument only writes objects and arrays.
        body = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
        body = body.mid(1, body.size() - 2);
    }
    return HttpResponse(status, body, "application/json; charset=utf-8");
}

HttpResponse HttpResponse::text(int status, const QByteArray &text)
{
    return HttpResponse(status, text, "text/plain; charset=utf-8");
}

HttpResponse &HttpResponse::setHeader(const QByteArray &name, const QByteArray &value)
{
    for (auto it = headers.begin(); it != headers.end();) {
        if (sameName(it->first, name))
            it = headers.erase(it);
        else
            ++it;
    }
    headers.append({name, value});
    return *this;
}

HttpResponse &HttpResponse::addHeader(const QByteArray &name, const QByteArray &value)
{
    headers.append({name, value});
    return *this;
}

QByteArray HttpResponse::header(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (sameName(h.first, name))
            return h.second;
    }
    return {};
}

QByteArray HttpResponse::reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

// ---------------------------------------------------------------------------------------------
// HttpStream

HttpStream::HttpStream(HttpConnection *connection) : QObject(connection), m_connection(connection)
{
}

bool HttpStream::isOpen() const
{
    return m_open && m_connection;
}

bool HttpStream::write(const QByteArray &data)
{
    if (!isOpen())
        return false;
    if (!data.isEmpty())
        m_connection->writeChunk(data);
    return true;
}

void HttpStream::close()
{
    if (!isOpen())
        return;
    m_connection->endStream();
}

QHostAddress HttpStream::peerAddress() const
{
    return m_connection ? m_connection->m_request.peerAddress : QHostAddress();
}

quint16 HttpStream::peerPort() const
{
    return m_connection ? m_connection->m_request.peerPort : 0;
}

// ---------------------------------------------------------------------------------------------
// HttpReply

bool HttpReply::isValid() const
{
    return m_connection && m_connection->isCurrent(m_serial);
}

void HttpReply::send(const HttpResponse &response) const
{
    if (isValid())
        m_connection->sendResponse(m_serial, response);
}

void HttpReply::sendAfter(int delayMs, const HttpResponse &response) const
{
    if (!isValid())
        return;
    if (delayMs <= 0) {
        send(response);
        return;
    }
    const HttpReply self = *this;
    QTimer::singleShot(delayMs, m_connection.data(), [self, response] { self.send(response); });
}

HttpStream *HttpReply::openStream(int status, const HttpHeaders &headers) const
{
    if (!isValid())
        return nullptr;
    return m_connection->startStream(m_serial, status, headers);
}

void HttpReply::closeConnection() const
{
    if (m_connection)
        m_connection->abort();
}

// ---------------------------------------------------------------------------------------------
// HttpServer

namespace {

struct Route {
    QByteArray method;
    QRegularExpression regex;
    QStringList names;
    HttpServer::Handler handler;
};

struct Fault {
    QString pathPrefix;
    HttpServer::FaultKind kind;
    int status;
    QByteArray body;
    QByteArray contentType;
    int remaining; // < 0: for ever
};

QRegularExpression compilePattern(const QString &pattern, QStringList *names)
{
    static const QRegularExpression placeholder(
        QStringLiteral("\\{([A-Za-z_][A-Za-z0-9_]*)(\\*?)\\}"));
    QString rx = QStringLiteral("^");
    qsizetype pos = 0;
    auto it = placeholder.globalMatch(pattern);
    while (it.hasNext()) {
        const auto m = it.next();
        rx += QRegularExpression::escape(pattern.mid(pos, m.capturedStart() - pos));
        const QString name = m.captured(1);
        names->append(name);
        if (m.captured(2).isEmpty())
            rx += QStringLiteral("(?<%1>[^/]+)").arg(name);
        else
            rx += QStringLiteral("(?<%1>.+?)").arg(name);
        pos = m.capturedEnd();
    }
    rx += QRegularExpression::escape(pattern.mid(pos));
    if (!rx.endsWith(QLatin1Char('/')))
        rx += QStringLiteral("/?");
    rx += QLatin1Char('$');
    QRegularExpression re(rx);
    if (!re.isValid())
        qCWarning(lcSandbox) << "invalid route pattern" << pattern << re.errorString();
    return re;
}

} // namespace

struct HttpServer::Private {
    QTcpServer *tcp = nullptr;
    QList<Route> routes;
    QList<Filter> filters;
    Handler fallback;
    ErrorFormatter errorFormatter;
    QList<Fault> faults;
    FaultPolicy faultPolicy;
    int requestCount = 0;
    qint64 maxBodySize = 32 * 1024 * 1024;
    QList<QPointer<HttpConnection>> connections;
};

HttpServer::HttpServer(QObject *parent) : QObject(parent), d(std::make_unique<Private>())
{
    d->tcp = new QTcpServer(this);
    connect(d->tcp, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = d->tcp->nextPendingConnection()) {
            auto *connection = new HttpConnection(this, socket);
            d->connections.append(connection);
            connect(connection, &QObject::destroyed, this,
                    [this] { d->connections.removeAll(QPointer<HttpConnection>()); });
        }
    });
}

HttpServer::~HttpServer()
{
    // Connections are children; make sure their streams report closed before we go.
    closeAllStreams();
}

bool HttpServer::listen(const QHostAddress &address, quint16 port)
{
    return d->tcp->listen(address, port);
}

bool HttpServer::listenOnDescriptor(qintptr fd)
{
    return d->tcp->setSocketDescriptor(fd);
}

void HttpServer::close()
{
    d->tcp->close();
    closeAllStreams();
    const auto connections = d->connections;
    for (const auto &c : connections) {
        if (c)
            c->abort();
    }
}

bool HttpServer::isListening() const
{
    return d->tcp->isListening();
}

quint16 HttpServer::port() const
{
    return d->tcp->serverPort();
}

QHostAddress HttpServer::address() const
{
    return d->tcp->serverAddress();
}

QString HttpServer::errorString() const
{
    return d->tcp->errorString();
}

void HttpServer::route(const QByteArray &method, const QString &pattern, Handler handler)
{
    Route r;
    r.method = method.toUpper();
    r.regex = compilePattern(pattern, &r.names);
    r.handler = std::move(handler);
    d->routes.append(std::move(r));
}

void HttpServer::route(const QByteArray &method, const QString &pattern, SimpleHandler handler)
{
    route(
        method, pattern,
        Handler([handler = std::move(handler)](const HttpRequest &request, const HttpReply &reply) {
            reply.send(handler(request));
        }));
}

void HttpServer::addFilter(Filter filter)
{
    d->filters.append(std::move(filter));
}

void HttpServer::setFallback(Handler handler)
{
    d->fallback = std::move(handler);
}

void HttpServer::setErrorFormatter(ErrorFormatter formatter)
{
    d->errorFormatter = std::move(formatter);
}

void HttpServer::injectFault(const QString &pathPrefix, FaultKind kind, int status,
                             const QByteArray &body, int count, const QByteArray &contentType)
{
    if (count == 0)
        return;
    d->faults.append({pathPrefix, kind, status, body, contentType, count});
}

void HttpServer::clearFaults()
{
    d->faults.clear();
}

void HttpServer::setFaultPolicy(FaultPolicy policy)
{
    d->faultPolicy = std::move(policy);
}

int HttpServer::requestCount() const
{
    return d->requestCount;
}

int HttpServer::connectionCount() const
{
    int n = 0;
    for (const auto &c : d->connections)
        n += c ? 1 : 0;
    return n;
}

void HttpServer::setMaxBodySize(qint64 bytes)
{
    d->maxBodySize = bytes;
}

void HttpServer::closeAllStreams()
{
    const auto connections = d->connections;
    for (const auto &c : connections) {
        if (!c)
            continue;
        const auto streams = c->findChildren<HttpStream *>();
        for (HttpStream *s : streams)
            s->close();
    }
}

void HttpServer::dispatch(const HttpRequest &request, const HttpReply &reply)
{
    ++d->requestCount;
    emit requestReceived(QString::fromLatin1(request.method), request.path);

    if (d->faultPolicy) {
        const FaultDecision f = d->faultPolicy(request);
        switch (f.action) {
        case FaultDecision::Action::None:
            break;
        case FaultDecision::Action::Respond:
            reply.send(f.response);
            return;
        case FaultDecision::Action::NoAnswer:
            reply.neverAnswer();
            return;
        case FaultDecision::Action::Close:
            reply.closeConnection();
            return;
        case FaultDecision::Action::DropReply:
            if (reply.m_connection)
                reply.m_connection->m_dropSerial = reply.m_serial;
            break;
        }
    }

    for (int i = 0; i < d->faults.size(); ++i) {
        Fault &f = d->faults[i];
        if (!request.path.startsWith(f.pathPrefix))
            continue;
        const Fault fault = f;
        if (f.remaining > 0 && --f.remaining == 0)
            d->faults.removeAt(i);
        qCDebug(lcSandbox) << "injected fault on" << request.method << request.path;
        switch (fault.kind) {
        case FaultKind::Respond: {
            HttpResponse r(fault.status, fault.body,
                           fault.body.isEmpty() ? QByteArray() : fault.contentType);
            reply.send(r);
            return;
        }
        case FaultKind::NoAnswer:
            reply.neverAnswer();
            return;
        case FaultKind::Close:
            reply.closeConnection();
            return;
        }
    }

    for (const Filter &filter : std::as_const(d->filters)) {
        if (filter(request, reply))
            return;
    }

    auto tryRoutes = [&](const QByteArray &method, QStringList *allowed) -> bool {
        for (const Route &r : std::as_const(d->routes)) {
            const auto m = r.regex.match(request.path);
            if (!m.hasMatch())
                continue;
            if (r.method != "*" && r.method != method) {
                if (allowed && !allowed->contains(QString::fromLatin1(r.method)))
                    allowed->append(QString::fromLatin1(r.method));
                continue;
            }
            HttpRequest matched = request;
            for (const QString &name : r.names)
                matched.pathParams.insert(name, m.captured(name));
            r.handler(matched, reply);
            return true;
        }
        return false;
    };

    QStringList allowed;
    if (tryRoutes(request.method, &allowed))
        return;
    if (request.method == "HEAD" && tryRoutes("GET", nullptr))
        return;
    if (!allowed.isEmpty()) {
        HttpResponse r = d->errorFormatter ? d->errorFormatter(405, request)
                                           : HttpResponse::text(405, "Method Not Allowed");
        r.setHeader("Allow", allowed.join(QStringLiteral(", ")).toLatin1());
        reply.send(r);
        return;
    }
    if (d->fallback) {
        d->fallback(request, reply);
        return;
    }
    reply.send(d->errorFormatter ? d->errorFormatter(404, request)
                                 : HttpResponse::text(404, "Not Found"));
}

// ---------------------------------------------------------------------------------------------
// HttpConnection

HttpConnection::HttpConnection(HttpServer *server, QTcpSocket *socket)
    : QObject(server), m_server(server), m_socket(socket)
{
    socket->setParent(this);
    connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(socket, &QTcpSocket::disconnected, this, [this] {
        if (m_stream && m_stream->m_open) {
            m_stream->m_open = false;
            emit m_stream->closed();
        }
        m_state = State::Closing;
        m_waiting = false;
        deleteLater();
    });
    if (socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
}

HttpConnection::~HttpConnection()
{
    if (m_stream && m_stream->m_open) {
        m_stream->m_open = false;
        emit m_stream->closed();
    }
}

void HttpConnection::onReadyRead()
{
    m_buffer += m_socket->readAll();
    processBuffer();
}

void HttpConnection::processBuffer()
{
    for (;;) {
        switch (m_state) {
        case State::Head: {
            // Tolerate stray CRLFs between requests (RFC 7230 3.5).
            while (m_buffer.startsWith("\r\n"))
                m_buffer.remove(0, 2);
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0) {
                if (m_buffer.size() > kMaxHeadSize)
                    sendError(431, "Request header too large");
                return;
            }
            if (!parseHead(end))
                return;
            break;
        }
        case State::Body:
            if (m_buffer.size() < m_contentLength)
                return;
            m_request.body = m_buffer.left(m_contentLength);
            m_buffer.remove(0, m_contentLength);
            m_state = State::Waiting;
            break;
        case State::ChunkedBody:
            if (!readChunkedBody())
                return;
            m_state = State::Waiting;
            break;
        case State::Waiting:
            if (m_waiting)
                return; // a handler has the request; more input waits for its answer
            {
                m_waiting = true;
                ++m_serial;
                const HttpRequest request = m_request;
                m_server->dispatch(request, HttpReply(this, m_serial));
            }
            if (m_state == State::Waiting)
                return; // answered later (or never)
            break;
        case State::Streaming:
        case State::Closing:
            return;
        }
    }
}

bool HttpConnection::parseHead(qsizetype headEnd)
{
    const QByteArray head = m_buffer.left(headEnd);
    m_buffer.remove(0, headEnd + 4);
    const QList<QByteArray> lines = head.split('\n');

    m_request = HttpRequest();
    m_request.peerAddress = m_socket->peerAddress();
    m_request.peerPort = m_socket->peerPort();
    m_sentContinue = false;

    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/")) {
        sendError(400, "Malformed request line");
        return false;
    }
    m_request.method = requestLine[0];
    m_request.target = requestLine[1];
    m_request.version = requestLine[2];

    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].endsWith('\r') ? lines[i].chopped(1) : lines[i];
        if (line.isEmpty())
            continue;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            sendError(400, "Malformed header line");
            return false;
        }
        m_request.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
    }

    QUrl url;
    if (m_request.target.startsWith('/'))
        url = QUrl::fromEncoded("http://localhost" + m_request.target);
    else
        url = QUrl::fromEncoded(m_request.target); // absolute-form (proxies)
    if (!url.isValid()) {
        sendError(400, "Malformed request target");
        return false;
    }
    m_request.path = url.path(QUrl::FullyDecoded);
    if (m_request.path.isEmpty())
        m_request.path = QStringLiteral("/");
    m_request.query =
        QUrlQuery(url.query(QUrl::FullyEncoded).replace(QLatin1Char('+'), QStringLiteral("%20")));

    const QByteArray connection = m_request.header("Connection").toLower();
    if (m_request.version == "HTTP/1.0")
        m_keepAlive = connection.contains("keep-alive");
    else
        m_keepAlive = !connection.contains("close");

    const QByteArray te = m_request.header("Transfer-Encoding").toLower();
    const bool expectContinue =
        m_request.header("Expect").toLower() == "100-continue" && m_request.version != "HTTP/1.0";
    if (!te.isEmpty() && te != "identity") {
        if (!te.endsWith("chunked")) {
            sendError(501, "Unsupported transfer encoding");
            return false;
        }
        m_state = State::ChunkedBody;
        if (expectContinue) {
            m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
            m_sentContinue = true;
        }
        return true;
    }

    bool ok = true;
    const QByteArray cl = m_request.header("Content-Length");
    m_contentLength = cl.isEmpty() ? 0 : cl.toLongLong(&ok);
    if (!ok || m_contentLength < 0) {
        sendError(400, "Invalid Content-Length");
        return false;
    }
    if (m_contentLength > m_server->d->maxBodySize) {
        sendError(413, "Request body too large");
        return false;
    }
    m_state = State::Body;
    if (expectContinue && m_buffer.size() < m_contentLength) {
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
        m_sentContinue = true;
    }
    return true;
}

bool HttpConnection::readChunkedBody()
{
    // Decodes as much as is complete; keeps the decoded part in m_request.body and the rest in
    // m_buffer. Returns true when the last chunk (and trailers) arrived.
    for (;;) {
        const qsizetype lineEnd = m_buffer.indexOf("\r\n");
        if (lineEnd < 0)
            return false;
        QByteArray sizeField = m_buffer.left(lineEnd);
        const qsizetype semi = sizeField.indexOf(';');
        if (semi >= 0)
            sizeField.truncate(semi);
        bool ok = false;
        const qint64 size = sizeField.trimmed().toLongLong(&ok, 16);
        if (!ok || size < 0) {
            sendError(400, "Malformed chunk");
            return false;
        }
        if (size == 0) {
            // Trailers end with an empty line.
            const qsizetype end = m_buffer.indexOf("\r\n\r\n", lineEnd);
            if (end == lineEnd) {
                m_buffer.remove(0, lineEnd + 4);
                return true;
            }
            if (end < 0)
                return false;
            m_buffer.remove(0, end + 4);
            return true;
        }
        if (m_buffer.size() < lineEnd + 2 + size + 2)
            return false;
        m_request.body += m_buffer.mid(lineEnd + 2, size);
        m_buffer.remove(0, lineEnd + 2 + size + 2);
        if (m_request.body.size() > m_server->d->maxBodySize) {
            sendError(413, "Request body too large");
            return false;
        }
    }
}

void HttpConnection::sendError(int status, const QByteArray &message)
{
    // Protocol errors: answer and close, the stream can no longer be trusted.
    m_keepAlive = false;
    m_waiting = true;
    ++m_serial;
    HttpResponse r = HttpResponse::text(status, message);
    r.setHeader("Connection", "close");
    sendResponse(m_serial, r);
}

void HttpConnection::sendResponse(quint64 serial, const HttpResponse &response)
{
    if (!isCurrent(serial) || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    if (serial == m_dropSerial) {
        emit m_server->replyDropped(QString::fromLatin1(m_request.method), m_request.path,
                                    response.status);
        abort();
        return;
    }
    const bool noBody = response.status < 200 || response.status == 204 || response.status == 304;
    const bool head = m_request.method == "HEAD";
    bool keepAlive = m_keepAlive && !sameName(response.header("Connection"), "close");

    QByteArray out;
    out += "HTTP/1.1 " + QByteArray::number(response.status) + ' ' +
           HttpResponse::reasonPhrase(response.status) + "\r\n";
    for (const auto &h : response.headers) {
        if (sameName(h.first, "Content-Length") || sameName(h.first, "Connection"))
            continue;
        out += h.first + ": " + h.second + "\r\n";
    }
    if (!headerListHas(response.headers, "Date"))
        out += "Date: " + httpDate() + "\r\n";
    if (!headerListHas(response.headers, "Server"))
        out += "Server: pier-sandbox\r\n";
    if (!noBody)
        out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    out += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    out += "\r\n";
    if (!noBody && !head)
        out += response.body;
    m_socket->write(out);

    emit m_server->responseSent(QString::fromLatin1(m_request.method), m_request.path,
                                response.status);
    finishExchange(keepAlive);
}

HttpStream *HttpConnection::startStream(quint64 serial, int status, const HttpHeaders &headers)
{
    if (!isCurrent(serial))
        return nullptr;
    if (serial == m_dropSerial) {
        emit m_server->replyDropped(QString::fromLatin1(m_request.method), m_request.path, status);
        abort();
        return nullptr;
    }
    QByteArray out;
    out += "HTTP/1.1 " + QByteArray::number(status) + ' ' + HttpResponse::reasonPhrase(status) +
           "\r\n";
    for (const auto &h : headers) {
        if (sameName(h.first, "Content-Length") || sameName(h.first, "Connection") ||
            sameName(h.first, "Transfer-Encoding"))
            continue;
        out += h.first + ": " + h.second + "\r\n";
    }
    if (!headerListHas(headers, "Date"))
        out += "Date: " + httpDate() + "\r\n";
    out += "Server: pier-sandbox\r\n";
    if (m_request.version != "HTTP/1.0")
        out += "Transfer-Encoding: chunked\r\n";
    out += "Connection: close\r\n\r\n";
    m_socket->write(out);
    m_socket->flush();
    m_state = State::Streaming;
    m_waiting = false;
    m_stream = new HttpStream(this);
    emit m_server->responseSent(QString::fromLatin1(m_request.method), m_request.path, status);
    return m_stream;
}

void HttpConnection::writeChunk(const QByteArray &data)
{
    if (m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    if (m_request.version != "HTTP/1.0")
        m_socket->write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
    else
        m_socket->write(data);
    m_socket->flush();
}

void HttpConnection::endStream()
{
    if (m_request.version != "HTTP/1.0" && m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->write("0\r\n\r\n");
    if (m_stream && m_stream->m_open) {
        m_stream->m_open = false;
        emit m_stream->closed();
    }
    m_state = State::Closing;
    m_socket->disconnectFromHost();
}

void HttpConnection::abort()
{
    if (m_state == State::Closing && m_socket->state() == QAbstractSocket::UnconnectedState)
        return;
    m_state = State::Closing;
    m_waiting = false;
    if (m_stream && m_stream->m_open) {
        m_stream->m_open = false;
        emit m_stream->closed();
    }
    m_socket->abort();
    deleteLater();
}

void HttpConnection::finishExchange(bool keepAlive)
{
    m_waiting = false;
    if (!keepAlive) {
        m_state = State::Closing;
        m_socket->disconnectFromHost();
        return;
    }
    m_state = State::Head;
    m_request = HttpRequest();
    // A request that arrived while the previous one waited is handled now; not re-entrantly
    // when the answer was given from inside dispatch (processBuffer's loop goes on by itself).
    if (!m_buffer.isEmpty())
        QMetaObject::invokeMethod(this, &HttpConnection::processBuffer, Qt::QueuedConnection);
}

} // namespace pier::sandbox
