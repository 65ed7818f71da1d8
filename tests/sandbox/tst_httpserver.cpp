#include "sandbox/httpserver.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

using namespace pier::sandbox;

namespace {

// Sends raw bytes and collects everything the server writes back.
struct RawClient {
    QTcpSocket socket;
    QByteArray received;
    bool connectTo(quint16 port)
    {
        QObject::connect(&socket, &QTcpSocket::readyRead, [this] { received += socket.readAll(); });
        socket.connectToHost(QHostAddress::LocalHost, port);
        return socket.waitForConnected(5000);
    }
};

} // namespace

class TestHttpServer : public QObject {
    Q_OBJECT

private slots:
    void init()
    {
        server = std::make_unique<HttpServer>();
        QVERIFY(server->listen());
    }
    void cleanup() { server.reset(); }

    void routesAndParams()
    {
        server->route("GET", QStringLiteral("/items/{id*}/parts/{part}"), [](const HttpRequest &r) {
            return HttpResponse::json(
                200, QJsonObject{
                         {QStringLiteral("id"), r.pathParam(QStringLiteral("id"))},
                         {QStringLiteral("part"), r.pathParam(QStringLiteral("part"))},
                         {QStringLiteral("q"), r.queryValue(QStringLiteral("q"))},
                     });
        });
        QNetworkAccessManager nam;
        QUrl url(
            QStringLiteral("http://127.0.0.1:%1/items/a/b/parts/c?q=x%20y").arg(server->port()));
        QNetworkReply *reply = nam.get(QNetworkRequest(url));
        QSignalSpy done(reply, &QNetworkReply::finished);
        QVERIFY(done.wait(10000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
        QCOMPARE(o.value(QStringLiteral("id")).toString(), QStringLiteral("a/b"));
        QCOMPARE(o.value(QStringLiteral("part")).toString(), QStringLiteral("c"));
        QCOMPARE(o.value(QStringLiteral("q")).toString(), QStringLiteral("x y"));
        reply->deleteLater();
    }

    void keepAliveAndPipelinedBodies()
    {
        server->route("POST", QStringLiteral("/echo"),
                      [](const HttpRequest &r) { return HttpResponse::text(200, r.body); });
        RawClient c;
        QVERIFY(c.connectTo(server->port()));
        c.socket.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(c.received.contains("abcde"), 10000);
        QVERIFY(c.received.contains("hello"));
        QCOMPARE(c.received.count("HTTP/1.1 200 OK"), 2);
        QCOMPARE(server->requestCount(), 2);
    }

    void expectContinue()
    {
        server->route("POST", QStringLiteral("/echo"),
                      [](const HttpRequest &r) { return HttpResponse::text(200, r.body); });
        RawClient c;
        QVERIFY(c.connectTo(server->port()));
        c.socket.write("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                       "Content-Length: 4\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(c.received.startsWith("HTTP/1.1 100 Continue\r\n\r\n"), 10000);
        c.socket.write("body");
        QTRY_VERIFY_WITH_TIMEOUT(c.received.endsWith("body"), 10000);
    }

    void methodNotAllowedAndNotFound()
    {
        server->route("GET", QStringLiteral("/only-get"),
                      [](const HttpRequest &) { return HttpResponse::text(200, "ok"); });
        RawClient c;
        QVERIFY(c.connectTo(server->port()));
        c.socket.write(
            "DELETE /only-get HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(c.received.contains("404 Not Found"), 10000);
        QVERIFY(c.received.contains("405 Method Not Allowed"));
        QVERIFY(c.received.contains("Allow: GET"));
    }

    void delayedReplyAndStream()
    {
        server->route("GET", QStringLiteral("/slow"),
                      [](const HttpRequest &, const HttpReply &reply) {
                          reply.sendAfter(100, HttpResponse::text(200, "late"));
                      });
        QPointer<HttpStream> stream;
        server->route("GET", QStringLiteral("/stream"),
                      [&stream](const HttpRequest &, const HttpReply &reply) {
                          stream = reply.openStream(200, {{"Content-Type", "text/event-stream"}});
                          stream->write("data: one\n\n");
                      });
        RawClient c;
        QVERIFY(c.connectTo(server->port()));
        c.socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(c.received.contains("late"), 10000);
        c.socket.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(c.received.contains("data: one"), 10000);
        QVERIFY(c.received.contains("Transfer-Encoding: chunked"));
        QVERIFY(stream);
        QSignalSpy closed(stream.data(), &HttpStream::closed);
        c.socket.disconnectFromHost();
        QTRY_VERIFY_WITH_TIMEOUT(closed.count() == 1 || !stream, 10000);
    }

    void faults()
    {
        server->route("GET", QStringLiteral("/x"),
                      [](const HttpRequest &) { return HttpResponse::text(200, "fine"); });
        server->injectFault(QStringLiteral("/x"), HttpServer::FaultKind::Respond, 503, "{\"m\":1}",
                            1);
        // QNAM silently resends a GET once when a reused keep-alive connection closes without an
        // answer, so the fault stays until cleared.
        server->injectFault(QStringLiteral("/x"), HttpServer::FaultKind::Close, 0, {}, -1);
        QNetworkAccessManager nam;
        const QUrl url(QStringLiteral("http://127.0.0.1:%1/x").arg(server->port()));
        auto get = [&]() {
            QNetworkReply *reply = nam.get(QNetworkRequest(url));
            QSignalSpy done(reply, &QNetworkReply::finished);
            done.wait(10000);
            reply->deleteLater();
            return reply;
        };
        QNetworkReply *r1 = get();
        QCOMPARE(r1->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 503);
        QNetworkReply *r2 = get();
        QVERIFY(r2->error() != QNetworkReply::NoError);
        QVERIFY(!r2->attribute(QNetworkRequest::HttpStatusCodeAttribute).isValid());
        server->clearFaults();
        QNetworkReply *r3 = get();
        QCOMPARE(r3->readAll(), QByteArray("fine"));

        server->injectFault(QStringLiteral("/x"), HttpServer::FaultKind::NoAnswer, 0, {}, 1);
        QNetworkRequest req(url);
        req.setTransferTimeout(300);
        QNetworkReply *r4 = nam.get(req);
        QSignalSpy done(r4, &QNetworkReply::finished);
        QVERIFY(done.wait(10000));
        QCOMPARE(r4->error(), QNetworkReply::OperationCanceledError);
        r4->deleteLater();
    }

private:
    std::unique_ptr<HttpServer> server;
};

QTEST_GUILESS_MAIN(TestHttpServer)
#include "tst_httpserver.moc"
