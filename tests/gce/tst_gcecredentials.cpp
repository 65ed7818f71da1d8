#include "gce/credentials.h"
#include "gce/gceclient.h"
#include "gce/jwt.h"
#include "sandbox/gceserver.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace pier;
using namespace pier::gce;
using pier::sandbox::GceServer;

namespace {

struct TokenResult {
    bool done = false;
    QString token;
    ApiError error;
};

TokenResult fetchToken(AccessTokenSource *source)
{
    auto r = std::make_shared<TokenResult>();
    source->accessToken([r](const QString &t, const ApiError &e) {
        r->done = true;
        r->token = t;
        r->error = e;
    });
    QElapsedTimer clock;
    clock.start();
    while (!r->done && clock.elapsed() < 20000)
        QTest::qWait(10);
    return *r;
}

} // namespace

class TestGceCredentials : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<GceServer> server;

private slots:
    void init()
    {
        GceServer::Options o;
        o.operationMs = 50;
        server = std::make_unique<GceServer>(o);
        QVERIFY(server->listen());
    }
    void cleanup() { server.reset(); }

    void jwtShape()
    {
        ApiError error;
        std::unique_ptr<ServiceAccountCredentials> sa(
            ServiceAccountCredentials::fromJson(server->serviceAccountKeyJson(), &error));
        QVERIFY2(sa, qPrintable(error.toText()));
        const jwt::Decoded d = jwt::decode(sa->makeAssertion());
        QVERIFY(d.ok);
        QCOMPARE(d.header.value(QStringLiteral("alg")).toString(), QStringLiteral("RS256"));
        QCOMPARE(d.header.value(QStringLiteral("typ")).toString(), QStringLiteral("JWT"));
        QCOMPARE(d.claims.value(QStringLiteral("scope")).toString(),
                 QStringLiteral("https://www.googleapis.com/auth/compute"));
        QCOMPARE(d.claims.value(QStringLiteral("aud")).toString(), server->tokenUri().toString());
        QCOMPARE(d.claims.value(QStringLiteral("iss")).toString(), sa->clientEmail());
        const qint64 iat = qint64(d.claims.value(QStringLiteral("iat")).toDouble());
        QCOMPARE(qint64(d.claims.value(QStringLiteral("exp")).toDouble()), iat + 3600);
        QVERIFY(jwt::verifyRs256(server->publicKeyPem(), d.signedPart, d.signature));
        QVERIFY(!jwt::verifyRs256(server->publicKeyPem(), d.signedPart + "x", d.signature));
    }

    void serviceAccountDrivesTheClient()
    {
        QTemporaryDir dir;
        const QString keyFile = dir.filePath(QStringLiteral("key.json"));
        QVERIFY(server->writeServiceAccountKey(keyFile));
        QCOMPARE(QFile::permissions(keyFile) & (QFile::ReadGroup | QFile::ReadOther),
                 QFileDevice::Permissions());
        ApiError error;
        auto *sa = ServiceAccountCredentials::fromFile(keyFile, &error);
        QVERIFY2(sa, qPrintable(error.toText()));
        GceConfig c;
        c.endpoint = server->endpoint();
        c.project = sa->projectId();
        GceClient client(c);
        sa->setParent(&client);
        client.setTokenSource(sa);
        GceReply *r = client.listInstances(QStringLiteral("us-central1-a"));
        QSignalSpy spy(r, &GceReply::finished);
        QVERIFY(spy.wait(20000));
        QVERIFY2(!r->error(), qPrintable(r->error().toText()));
        QCOMPARE(r->instances().size(), 3);
        QCOMPARE(sa->exchangeCount(), 1);
        // The cached token serves the next call without another exchange.
        GceReply *again = client.listNetworks();
        QSignalSpy spy2(again, &GceReply::finished);
        QVERIFY(spy2.wait(20000));
        QVERIFY(!again->error());
        QCOMPARE(sa->exchangeCount(), 1);
    }

    void wrongKeyIsRefused()
    {
        QJsonObject key = QJsonDocument::fromJson(server->serviceAccountKeyJson()).object();
        key.insert(QStringLiteral("private_key"),
                   QString::fromLatin1(jwt::generateRsaKeyPair().privatePem));
        ApiError error;
        std::unique_ptr<ServiceAccountCredentials> sa(
            ServiceAccountCredentials::fromJson(QJsonDocument(key).toJson(), &error));
        QVERIFY(sa);
        const TokenResult r = fetchToken(sa.get());
        QVERIFY(r.done);
        QVERIFY(r.token.isEmpty());
        QCOMPARE(r.error.reason, QStringLiteral("invalid_grant"));
        QCOMPARE(r.error.kind, ApiError::Kind::Auth);
        QVERIFY2(r.error.message.contains(QLatin1String("Invalid JWT Signature.")),
                 qPrintable(r.error.message));
        QVERIFY2(r.error.hint.contains(QLatin1String("new JSON key")), qPrintable(r.error.hint));
        // The key material is never part of what the user is shown.
        QVERIFY(!r.error.toText().contains(QLatin1String("PRIVATE KEY")));
    }

    void clockSkewIsNamed()
    {
        ApiError error;
        std::unique_ptr<ServiceAccountCredentials> sa(
            ServiceAccountCredentials::fromJson(server->serviceAccountKeyJson(), &error));
        sa->setClock([] { return QDateTime::currentDateTimeUtc().addSecs(2 * 3600); });
        const TokenResult r = fetchToken(sa.get());
        QCOMPARE(r.error.reason, QStringLiteral("invalid_grant"));
        QVERIFY2(r.error.message.contains(QLatin1String("clock")), qPrintable(r.error.message));
        QVERIFY2(r.error.message.contains(QLatin1String("ahead of")), qPrintable(r.error.message));
        QVERIFY(r.error.hint.contains(QLatin1String("timedatectl")));
    }

    void refreshedBeforeExpiry()
    {
        server->options().tokenLifetimeSec = 4;
        ApiError error;
        std::unique_ptr<ServiceAccountCredentials> sa(
            ServiceAccountCredentials::fromJson(server->serviceAccountKeyJson(), &error));
        sa->setRefreshMarginSec(1); // a 4 s token is renewed once at most 1 s remains
        const TokenResult first = fetchToken(sa.get());
        QVERIFY(!first.error);
        QCOMPARE(fetchToken(sa.get()).token, first.token); // still fresh: cached
        QCOMPARE(sa->exchangeCount(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(QDateTime::currentDateTimeUtc().secsTo(sa->expiry()) <= 1, 8000);
        const TokenResult second = fetchToken(sa.get());
        QVERIFY(!second.error);
        QVERIFY(second.token != first.token);
        QCOMPARE(sa->exchangeCount(), 2);
    }

    void badKeyFiles_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::newRow("not json") << QByteArray("hello");
        QTest::newRow("user creds") << QByteArray("{\"type\":\"authorized_user\"}");
        QTest::newRow("bad pem") << QByteArray(
            "{\"type\":\"service_account\",\"client_email\":\"a@b\",\"private_key\":\"-----BEGIN "
            "PRIVATE KEY-----\\nxx\\n-----END PRIVATE KEY-----\\n\"}");
    }
    void badKeyFiles()
    {
        QFETCH(QByteArray, json);
        ApiError error;
        QVERIFY(!ServiceAccountCredentials::fromJson(json, &error));
        QVERIFY(error.message.contains(QLatin1String("service-account key")));
        QVERIFY(!error.hint.isEmpty());
    }

    void gcloudMissing()
    {
        GcloudCredentials g;
        g.setProgram(QStringLiteral("/nonexistent/pier-test/gcloud"));
        const TokenResult r = fetchToken(&g);
        QVERIFY(r.done);
        QVERIFY(r.error.message.contains(QLatin1String("gcloud was not found")));
        QVERIFY(r.error.hint.contains(QLatin1String("Google Cloud CLI")));
    }

    void gcloudPrintsToken()
    {
        QTemporaryDir dir;
        const QString fake = dir.filePath(QStringLiteral("gcloud"));
        QFile f(fake);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(
            "#!/bin/sh\n[ \"$1 $2\" = \"auth print-access-token\" ] && echo ya29.from-gcloud\n");
        f.close();
        f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        GcloudCredentials g;
        g.setProgram(fake);
        const TokenResult r = fetchToken(&g);
        QVERIFY2(!r.error, qPrintable(r.error.toText()));
        QCOMPARE(r.token, QStringLiteral("ya29.from-gcloud"));
    }

    void applicationDefaultAuthorizedUser()
    {
        server->options().refreshToken = QStringLiteral("1//refresh-me");
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("adc.json"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(
                    QJsonObject{{QStringLiteral("type"), QStringLiteral("authorized_user")},
                                {QStringLiteral("client_id"), QStringLiteral("id")},
                                {QStringLiteral("client_secret"), QStringLiteral("s")},
                                {QStringLiteral("refresh_token"), QStringLiteral("1//refresh-me")},
                                {QStringLiteral("token_uri"), server->tokenUri().toString()}})
                    .toJson());
        f.close();
        qputenv("GOOGLE_APPLICATION_CREDENTIALS", path.toLocal8Bit());
        ApiError error;
        std::unique_ptr<AccessTokenSource> adc(applicationDefaultCredentials(&error));
        qunsetenv("GOOGLE_APPLICATION_CREDENTIALS");
        QVERIFY2(adc, qPrintable(error.toText()));
        const TokenResult r = fetchToken(adc.get());
        QVERIFY2(!r.error, qPrintable(r.error.toText()));
        QVERIFY(r.token.startsWith(QLatin1String("ya29.")));

        server->options().refreshToken = QStringLiteral("revoked");
        adc->invalidate();
        const TokenResult refused = fetchToken(adc.get());
        QCOMPARE(refused.error.reason, QStringLiteral("invalid_grant"));
        QVERIFY(refused.error.hint.contains(QLatin1String("application-default login")));
    }

    void noApplicationDefault()
    {
        qputenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/pier-test/adc.json");
        ApiError error;
        QVERIFY(!applicationDefaultCredentials(&error));
        qunsetenv("GOOGLE_APPLICATION_CREDENTIALS");
        QVERIFY(error.hint.contains(QLatin1String("gcloud auth application-default login")));
    }
};

QTEST_GUILESS_MAIN(TestGceCredentials)
#include "tst_gcecredentials.moc"
