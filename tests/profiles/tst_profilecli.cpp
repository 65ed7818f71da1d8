// `pier profile ...` and `--profile NAME` on the command line, against a test Marathon on
// 127.0.0.1, with XDG_CONFIG_HOME in a temporary directory. Runs under with-keyring.sh: a
// profile's Marathon password comes from the keychain.
#include "common/pierprocess.h"
#include "core/profilestore.h"
#include "sandbox/marathonserver.h"
#include "secrets/secretstore.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

using namespace pier;
using pier::sandbox::MarathonServer;

namespace {

using Run = pier::test::PierRun;

} // namespace

class TestProfileCli : public QObject {
    Q_OBJECT
    QTemporaryDir m_config;
    QTemporaryDir m_files;

    Run pier(const QStringList &args, const QMap<QString, QString> &env = {})
    {
        return pier::test::runPier(args, m_config.path(), env, 30000);
    }

    QString writeFile(const QString &name, const QByteArray &text)
    {
        const QString path = m_files.filePath(name);
        QFile f(path);
        f.open(QIODevice::WriteOnly);
        f.write(text);
        return path;
    }

    ProfileStore store() const
    {
        return ProfileStore(m_config.filePath(QStringLiteral("Pier/Pier")));
    }

    static QStringList appIds(const QString &json)
    {
        QStringList ids;
        const QJsonArray apps = QJsonDocument::fromJson(json.toUtf8()).array();
        for (const QJsonValue &v : apps)
            ids << v.toObject().value(QStringLiteral("id")).toString();
        return ids;
    }

    void seed(MarathonServer &server, const QString &id)
    {
        const QByteArray app =
            QJsonDocument(QJsonObject{{QStringLiteral("id"), id},
                                      {QStringLiteral("cmd"), QStringLiteral("sleep 1000")},
                                      {QStringLiteral("cpus"), 0.1},
                                      {QStringLiteral("mem"), 16},
                                      {QStringLiteral("instances"), 0}})
                .toJson();
        const Run r =
            pier({QStringLiteral("launch"), writeFile(id.mid(1) + QStringLiteral(".json"), app),
                  QStringLiteral("--marathon"), server.url().toString()},
                 {{QStringLiteral("PIER_MARATHON_USER"), server.options().username},
                  {QStringLiteral("PIER_MARATHON_PASSWORD"), server.options().password}});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }

private slots:
    void emptyListSaysHow()
    {
        const Run r = pier({QStringLiteral("profile"), QStringLiteral("list")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QLatin1String("No profiles yet")), qPrintable(r.out));
    }

    void importListShowExportUseDelete()
    {
        QJsonObject profile{{QStringLiteral("name"), QStringLiteral("eu")},
                            {QStringLiteral("marathonUrl"), QStringLiteral("http://127.0.0.1:1")},
                            {QStringLiteral("sshUser"), QStringLiteral("jclouds")},
                            {QStringLiteral("password"), QStringLiteral("never-saved-4411")}};
        const QString file = writeFile(QStringLiteral("eu.json"), QJsonDocument(profile).toJson());
        Run r = pier({QStringLiteral("profile"), QStringLiteral("import"), file});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QLatin1String("\"eu\"")));
        r = pier({QStringLiteral("profile"), QStringLiteral("import"), file});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QLatin1String("exists already")), qPrintable(r.err));

        r = pier({QStringLiteral("profile"), QStringLiteral("list")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QLatin1String("eu")) &&
                     r.out.contains(QLatin1String("http://127.0.0.1:1")),
                 qPrintable(r.out));
        r = pier({QStringLiteral("profile"), QStringLiteral("show"), QStringLiteral("eu")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QLatin1String("jclouds")), qPrintable(r.out));
        QVERIFY(!r.out.contains(QLatin1String("never-saved-4411")));

        r = pier({QStringLiteral("profile"), QStringLiteral("export"), QStringLiteral("eu")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QLatin1String("http://127.0.0.1:1")));
        QVERIFY(!r.out.contains(QLatin1String("never-saved-4411")));
        QVERIFY(!r.out.contains(QLatin1String("password")));

        r = pier({QStringLiteral("profile"), QStringLiteral("use"), QStringLiteral("eu")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(store().activeName(), QStringLiteral("eu"));
        r = pier({QStringLiteral("profile"), QStringLiteral("list")});
        QVERIFY2(r.out.contains(QLatin1String("* eu")), qPrintable(r.out));

        r = pier({QStringLiteral("profile"), QStringLiteral("show"), QStringLiteral("nope")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QLatin1String("no profile named \"nope\"")), qPrintable(r.err));
        r = pier({QStringLiteral("profile"), QStringLiteral("frob")});
        QCOMPARE(r.exitCode, 2);

        r = pier({QStringLiteral("profile"), QStringLiteral("delete"), QStringLiteral("eu")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QVERIFY(store().names().isEmpty());
    }

    // --marathon > PIER_MARATHON_URL > --profile > the active profile; the profile's password
    // comes from the keychain.
    void precedenceAndKeychainPassword()
    {
        MarathonServer::Options o;
        o.username = QStringLiteral("ops");
        o.password = QStringLiteral("profile-pw-6612");
        MarathonServer a(o), b(o), c(o);
        QVERIFY(a.listen() && b.listen() && c.listen());
        seed(a, QStringLiteral("/on-a"));
        seed(b, QStringLiteral("/on-b"));
        seed(c, QStringLiteral("/on-c"));

        SecretStore secrets;
        for (const QString &name : {QStringLiteral("a"), QStringLiteral("b")}) {
            const ApiError w = secrets.writeNow(
                Profile::secretKey(name, Profile::Secret::MarathonPassword), o.password);
            if (w.isError())
                QSKIP(qPrintable(QStringLiteral("no keychain: ") + w.toText()));
        }
        ProfileStore profiles = store();
        ApiError e;
        for (auto [name, server] :
             {std::pair{QStringLiteral("a"), &a}, std::pair{QStringLiteral("b"), &b}}) {
            Profile p;
            p.name = name;
            p.marathonUrl = server->url().toString();
            p.auth = Profile::Auth::Basic;
            p.authUser = QStringLiteral("ops");
            QVERIFY2(profiles.upsert(p, &e), qPrintable(e.toText()));
        }
        QVERIFY(profiles.setActive(QStringLiteral("a"), &e));

        const QString json = QStringLiteral("--json");
        Run r = pier({QStringLiteral("apps"), json});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(appIds(r.out), QStringList{QStringLiteral("/on-a")}); // the active profile

        r = pier({QStringLiteral("apps"), json, QStringLiteral("--profile"), QStringLiteral("b")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(appIds(r.out), QStringList{QStringLiteral("/on-b")});

        // The environment beats the profile (and the profile's password is not sent there).
        r = pier({QStringLiteral("apps"), json, QStringLiteral("--profile"), QStringLiteral("b")},
                 {{QStringLiteral("PIER_MARATHON_URL"), c.url().toString()}});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QLatin1String("username or password")), qPrintable(r.err));
        r = pier({QStringLiteral("apps"), json, QStringLiteral("--profile"), QStringLiteral("b")},
                 {{QStringLiteral("PIER_MARATHON_URL"), c.url().toString()},
                  {QStringLiteral("PIER_MARATHON_USER"), QStringLiteral("ops")},
                  {QStringLiteral("PIER_MARATHON_PASSWORD"), o.password}});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(appIds(r.out), QStringList{QStringLiteral("/on-c")});

        // --marathon beats the environment.
        r = pier({QStringLiteral("apps"), json, QStringLiteral("--marathon"), a.url().toString()},
                 {{QStringLiteral("PIER_MARATHON_URL"), c.url().toString()},
                  {QStringLiteral("PIER_MARATHON_USER"), QStringLiteral("ops")},
                  {QStringLiteral("PIER_MARATHON_PASSWORD"), o.password}});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(appIds(r.out), QStringList{QStringLiteral("/on-a")});

        // A profile name that does not exist is an error, not a silent fallback.
        r = pier({QStringLiteral("apps"), QStringLiteral("--profile"), QStringLiteral("typo")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QLatin1String("no profile named \"typo\"")), qPrintable(r.err));

        // No password in the keychain: says where to put it.
        secrets.removeNow(
            Profile::secretKey(QStringLiteral("b"), Profile::Secret::MarathonPassword));
        r = pier({QStringLiteral("apps"), QStringLiteral("--profile"), QStringLiteral("b")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QLatin1String("no Marathon password in the keychain")),
                 qPrintable(r.err));
        secrets.removeNow(
            Profile::secretKey(QStringLiteral("a"), Profile::Secret::MarathonPassword));
    }
};

QTEST_GUILESS_MAIN(TestProfileCli)
#include "tst_profilecli.moc"
