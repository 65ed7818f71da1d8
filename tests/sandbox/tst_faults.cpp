// The sandbox's fault injection without a sandbox: settings as `pier sandbox faults` and
// PIER_SANDBOX_FAULTS give them, fates that a seed repeats whatever the interleaving, and what
// a client sees of each fault on a real HTTP server: the server's own 5xx bodies, a request held
// unanswered (never carried out), and one carried out whose reply is lost.
#include "sandbox/faults.h"
#include "sandbox/httpserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTest>

using namespace pier::sandbox;

namespace {

// One raw request; what came back and whether the server closed the connection.
struct Exchange {
    QByteArray received;
    bool closed = false;
};

Exchange send(quint16 port, const QByteArray &request, int waitMs)
{
    Exchange e;
    QTcpSocket socket;
    QObject::connect(&socket, &QTcpSocket::readyRead, [&] { e.received += socket.readAll(); });
    QObject::connect(&socket, &QTcpSocket::disconnected, [&] { e.closed = true; });
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000))
        return e;
    socket.write(request);
    (void)QTest::qWaitFor([&] { return e.closed || e.received.contains("\r\n\r\n"); }, waitMs);
    QTest::qWait(50);    // the body, or the close after the head
    socket.disconnect(); // its own close on destruction is not the server's
    return e;
}

QJsonObject body(const QByteArray &response)
{
    return QJsonDocument::fromJson(response.mid(response.indexOf("\r\n\r\n") + 4)).object();
}

} // namespace

class TestFaults : public QObject {
    Q_OBJECT

private slots:
    void settingsFromText()
    {
        FaultSettings s;
        QString error;
        QVERIFY(FaultSettings::parse(
            QStringLiteral("marathon-5xx=0.2,gce-timeout=10%,ssh-drop=0.3,timeouts=lost,seed=7"),
            &s, &error));
        QCOMPARE(s.marathon5xx, 0.2);
        QCOMPARE(s.gceTimeout, 0.1);
        QCOMPARE(s.sshDrop, 0.3);
        QCOMPARE(s.timeouts, FaultSettings::Timeouts::Lost);
        QCOMPARE(s.seed, quint64(7));
        QVERIFY(s.any());
        const FaultSettings back = FaultSettings::fromJson(s.toJson());
        QCOMPARE(back.toJson(), s.toJson());
        QVERIFY2(s.describe().contains(QLatin1String("Marathon: 20% of requests answered")),
                 qPrintable(s.describe()));
        QCOMPARE(FaultSettings().describe(), QStringLiteral("off"));

        QVERIFY(!FaultSettings::parse(QStringLiteral("marathon-5xx=1.5"), &s, &error));
        QVERIFY2(error.contains(QLatin1String("share from 0 to 1")), qPrintable(error));
        QVERIFY(!FaultSettings::parse(QStringLiteral("disk-full=0.1"), &s, &error));
        QVERIFY2(error.contains(QLatin1String("no fault \"disk-full\"")), qPrintable(error));
        QVERIFY(!FaultSettings::parse(QStringLiteral("gce-5xx=0.7,gce-timeout=0.4"), &s, &error));
        QVERIFY(!FaultSettings::parse(QStringLiteral("seed=x"), &s, &error));
    }

    // The n-th request of a kind meets the same fate for a seed, whatever came in between.
    void fatesRepeatPerKind()
    {
        FaultDice a(42, "gce"), b(42, "gce"), other(43, "gce");
        QList<double> first, second, third;
        for (int i = 0; i < 20; ++i) {
            first << a.roll(QStringLiteral("GET /x")).first;
            b.roll(QStringLiteral("POST /y")); // interleaved requests of another kind
            second << b.roll(QStringLiteral("GET /x")).first;
            third << other.roll(QStringLiteral("GET /x")).first;
        }
        QCOMPARE(first, second);
        QVERIFY(first != third);
        // The share asked is the share met.
        FaultDice d(1, "marathon");
        int hits = 0;
        for (int i = 0; i < 4000; ++i)
            hits += d.roll(QStringLiteral("GET /v2/apps/nginx")).first < 0.2 ? 1 : 0;
        QVERIFY2(hits > 700 && hits < 900, qPrintable(QString::number(hits)));
    }

    void generatedNamesAreOneKind()
    {
        HttpRequest r;
        r.method = "POST";
        r.path =
            QStringLiteral("/compute/v1/projects/p/regions/r/operations/operation-1700-abc/wait");
        QCOMPARE(FaultInjector::requestKind(r),
                 QStringLiteral("POST /compute/v1/projects/p/regions/r/operations/*/wait"));
    }

    void serverErrorsInTheServersOwnShape()
    {
        HttpServer marathon, gce;
        QVERIFY(marathon.listen() && gce.listen());
        int served = 0;
        marathon.route("*", QStringLiteral("/{rest*}"), [&](const HttpRequest &) {
            ++served;
            return HttpResponse::json(200, QJsonObject{});
        });
        gce.route("*", QStringLiteral("/{rest*}"), [&](const HttpRequest &) {
            ++served;
            return HttpResponse::json(200, QJsonObject{});
        });
        FaultInjector faults(&marathon, &gce, nullptr);
        FaultSettings s;
        s.marathon5xx = 1;
        s.gce5xx = 1;
        faults.apply(s);

        const Exchange m = send(marathon.port(), "GET /v2/apps HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
        QVERIFY2(m.received.startsWith("HTTP/1.1 503") || m.received.startsWith("HTTP/1.1 500"),
                 m.received.constData());
        QVERIFY(!body(m.received).value(QStringLiteral("message")).toString().isEmpty());

        const Exchange g =
            send(gce.port(),
                 "GET /compute/v1/projects/p/global/firewalls HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
        const QJsonObject error = body(g.received).value(QStringLiteral("error")).toObject();
        const int code = error.value(QStringLiteral("code")).toInt();
        QVERIFY2(code == 500 || code == 503 || code == 429, g.received.constData());
        QVERIFY(g.received.startsWith("HTTP/1.1 " + QByteArray::number(code)));
        const QString reason = error.value(QStringLiteral("errors"))
                                   .toArray()
                                   .first()[QStringLiteral("reason")]
                                   .toString();
        QVERIFY2(reason == QLatin1String(code == 429 ? "rateLimitExceeded" : "backendError"),
                 g.received.constData());
        QVERIFY(!error.value(QStringLiteral("status")).toString().isEmpty());
        QCOMPARE(served, 0); // refused before anything was done

        // The liveness probe and the token endpoint are spared.
        QVERIFY(send(marathon.port(), "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", 5000)
                    .received.startsWith("HTTP/1.1 200"));
        QVERIFY(
            send(gce.port(), "POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 5000)
                .received.startsWith("HTTP/1.1 200"));
    }

    void heldAndLostReplies()
    {
        HttpServer marathon;
        QVERIFY(marathon.listen());
        int created = 0;
        marathon.route("POST", QStringLiteral("/v2/apps"), [&](const HttpRequest &) {
            ++created;
            return HttpResponse::json(
                201, QJsonObject{{QStringLiteral("id"), QStringLiteral("/nginx")}});
        });
        marathon.route("GET", QStringLiteral("/v2/apps"),
                       [&](const HttpRequest &) { return HttpResponse::json(200, QJsonObject{}); });
        FaultInjector faults(&marathon, nullptr, nullptr);
        QStringList reported;
        connect(&faults, &FaultInjector::injected,
                [&](const QString &, const QString &what) { reported << what; });
        FaultSettings s;
        s.marathonTimeout = 1;
        s.only = QStringLiteral("POST /v2/apps");
        const QByteArray post = "POST /v2/apps HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";

        // Held: no answer, and nothing done.
        s.timeouts = FaultSettings::Timeouts::Held;
        faults.apply(s);
        Exchange e = send(marathon.port(), post, 500);
        QVERIFY(e.received.isEmpty());
        QVERIFY(!e.closed);
        QCOMPARE(created, 0);

        // Lost: done, then the connection closed without a byte of the answer.
        s.timeouts = FaultSettings::Timeouts::Lost;
        faults.apply(s);
        e = send(marathon.port(), post, 5000);
        QVERIFY(e.closed);
        QVERIFY(e.received.isEmpty());
        QCOMPARE(created, 1);
        QVERIFY2(reported.contains(QStringLiteral("POST /v2/apps: done (201), reply dropped")),
                 qPrintable(reported.join(QLatin1Char('\n'))));

        // Only what --only names.
        QVERIFY(send(marathon.port(), "GET /v2/apps HTTP/1.1\r\nHost: x\r\n\r\n", 5000)
                    .received.startsWith("HTTP/1.1 200"));
        faults.apply(FaultSettings());
        QVERIFY(send(marathon.port(), post, 5000).received.startsWith("HTTP/1.1 201"));
        QCOMPARE(created, 2);
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
