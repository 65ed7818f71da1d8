// Profiles: saved in the config directory without any secret; secrets only in the keychain.
// Runs under tests/secrets/with-keyring.sh (a private D-Bus session with gnome-keyring).
#include "core/profilestore.h"
#include "secrets/secretstore.h"

#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace pier;

namespace {

Profile sample(const QString &name)
{
    Profile p;
    p.name = name;
    p.marathonUrl = QStringLiteral("http://10.240.0.2:8080");
    p.mesosUrl = QStringLiteral("http://10.240.0.2:5050");
    p.auth = Profile::Auth::Basic;
    p.authUser = QStringLiteral("ops");
    p.caFile = QStringLiteral("/etc/pier/ca.pem");
    p.vpnConfigFile = QStringLiteral("/home/me/cluster.ovpn");
    p.socksProxy = QStringLiteral("127.0.0.1:1080");
    p.sshUser = QStringLiteral("jclouds");
    p.sshKeyFile = QStringLiteral("/home/me/.ssh/id_ed25519");
    p.sshPort = 2222;
    p.sshKnownHosts = QStringLiteral("/home/me/.ssh/known_hosts");
    p.gceProject = QStringLiteral("my-project");
    p.gceRegion = QStringLiteral("us-central1");
    p.gceZone = QStringLiteral("us-central1-a");
    p.gceCredentials = Profile::GceCredentials::ServiceAccountKey;
    p.gceEndpoint = QStringLiteral("http://127.0.0.1:9999/compute/v1/");
    p.addressName = QStringLiteral("web-ip");
    p.networkTag = QStringLiteral("web");
    return p;
}

// Every byte of every file under `dir`, to look for secrets in.
QByteArray everything(const QString &dir, QStringList *files)
{
    QByteArray all;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile f(path);
        if (f.open(QIODevice::ReadOnly))
            all += f.readAll();
        *files << path;
    }
    return all;
}

} // namespace

class TestProfiles : public QObject {
    Q_OBJECT
    QTemporaryDir m_config;

private slots:
    void initTestCase()
    {
        // Never the user's real config: a throwaway XDG config home, searched whole below.
        qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8());
        QCoreApplication::setOrganizationName(QStringLiteral("Pier"));
        QCoreApplication::setApplicationName(QStringLiteral("Pier"));
    }

    void init() { QFile::remove(ProfileStore().filePath()); }

    void defaultDirectoryIsTheConfigLocation()
    {
        QCOMPARE(ProfileStore().filePath(),
                 m_config.filePath(QStringLiteral("Pier/Pier/profiles.json")));
    }

    void roundTripKeepsEveryFieldAndSecretsOnlyInTheKeychain()
    {
        const QByteArray password = "s3cret-Marathon-pw-7731";
        const QByteArray passphrase = "ssh-passphrase-8842";
        const QByteArray gceKey = "-----BEGIN PRIVATE KEY-----gce-9953";
        ProfileStore store;
        ApiError e;
        const Profile p = sample(QStringLiteral("prod"));
        QVERIFY2(store.create(p, &e), qPrintable(e.toText()));
        QVERIFY(store.setActive(QStringLiteral("prod"), &e));

        SecretStore secrets(QStringLiteral("PierTest"));
        const ApiError w =
            secrets.writeNow(Profile::secretKey(p.name, Profile::Secret::MarathonPassword),
                             QString::fromUtf8(password));
        if (w.isError() && w.message.contains(QLatin1String("keychain"), Qt::CaseInsensitive))
            QSKIP(qPrintable(QStringLiteral("no keychain: ") + w.toText()));
        QVERIFY2(!w.isError(), qPrintable(w.toText()));
        QVERIFY(!secrets.writeNow(Profile::secretKey(p.name, Profile::Secret::SshKeyPassphrase),
                                  QString::fromUtf8(passphrase)));
        QVERIFY(!secrets.writeNow(Profile::secretKey(p.name, Profile::Secret::GceServiceAccountKey),
                                  QString::fromUtf8(gceKey)));

        // A second store (as another process would) reads the same profile back.
        const ProfileStore again;
        Profile back;
        QVERIFY(again.find(QStringLiteral("prod"), &back, &e));
        QCOMPARE(back.toJson(), p.toJson());
        QCOMPARE(back.sshPort, 2222);
        QCOMPARE(back.auth, Profile::Auth::Basic);
        QCOMPARE(back.gceCredentials, Profile::GceCredentials::ServiceAccountKey);
        QCOMPARE(again.activeName(), QStringLiteral("prod"));
        QCOMPARE(
            secrets.readNow(Profile::secretKey(p.name, Profile::Secret::MarathonPassword)).value,
            QString::fromUtf8(password));

        QStringList files;
        const QByteArray all = everything(m_config.path(), &files);
        QVERIFY2(!files.isEmpty(), "no file was written under the config dir");
        QVERIFY(all.contains("10.240.0.2:8080")); // the search does see the profile
        for (const QByteArray &secret : {password, passphrase, gceKey})
            QVERIFY2(
                !all.contains(secret),
                qPrintable(QStringLiteral("a secret is in %1").arg(files.join(QLatin1Char(' ')))));

        for (const Profile::Secret s : Profile::allSecrets())
            secrets.removeNow(Profile::secretKey(p.name, s));
    }

    void exportHasNoSecretAndImportIgnoresOnes()
    {
        ProfileStore store;
        ApiError e;
        QVERIFY(store.create(sample(QStringLiteral("prod")), &e));
        const QByteArray exported = store.exportProfile(QStringLiteral("prod"), &e);
        QVERIFY2(!e.isError(), qPrintable(e.toText()));
        QVERIFY(exported.contains("10.240.0.2:8080"));
        for (const char *word : {"password", "token", "passphrase", "secret"})
            QVERIFY2(!exported.toLower().contains(word), word);

        // Importing under another name; the name in the file is taken otherwise.
        QString name;
        QVERIFY(!store.importProfile(exported, &e, &name));
        QVERIFY(e.message.contains(QLatin1String("exists already")));
        e = {};
        QVERIFY2(store.importProfile(exported, &e, &name, QStringLiteral("prod-copy")),
                 qPrintable(e.toText()));
        QCOMPARE(name, QStringLiteral("prod-copy"));
        Profile copy;
        QVERIFY(store.find(QStringLiteral("prod-copy"), &copy));
        Profile original = sample(QStringLiteral("prod-copy"));
        QCOMPARE(copy.toJson(), original.toJson());

        // A hand-made file with a password in it: the password is never saved.
        QJsonObject withSecret = sample(QStringLiteral("hand")).toJson();
        withSecret.insert(QStringLiteral("password"), QStringLiteral("leaked-pw-5521"));
        withSecret.insert(QStringLiteral("token"), QStringLiteral("leaked-token-5522"));
        QVERIFY(store.importProfile(QJsonDocument(withSecret).toJson(), &e, &name));
        QCOMPARE(name, QStringLiteral("hand"));
        QFile file(store.filePath());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray saved = file.readAll();
        QVERIFY(!saved.contains("leaked-pw-5521"));
        QVERIFY(!saved.contains("leaked-token-5522"));

        // Not a profile at all.
        QVERIFY(!store.importProfile("not json", &e, &name));
        QVERIFY(e.message.contains(QLatin1String("not a Pier profile")));
    }

    void editDuplicateDeleteAndActive()
    {
        ProfileStore store;
        ApiError e;
        QVERIFY(store.create(sample(QStringLiteral("a")), &e));
        QVERIFY(store.setActive(QStringLiteral("a"), &e));
        QVERIFY(!store.create(sample(QStringLiteral("a")), &e));

        // Renaming the active profile keeps it active.
        Profile renamed = sample(QStringLiteral("b"));
        renamed.marathonUrl = QStringLiteral("http://10.0.0.9:8080");
        QVERIFY2(store.update(QStringLiteral("a"), renamed, &e), qPrintable(e.toText()));
        QCOMPARE(store.names(), QStringList{QStringLiteral("b")});
        QCOMPARE(store.activeName(), QStringLiteral("b"));

        QString created;
        QVERIFY(store.duplicate(QStringLiteral("b"), {}, &e, &created));
        QCOMPARE(created, QStringLiteral("b (copy)"));
        QVERIFY(store.duplicate(QStringLiteral("b"), {}, &e, &created));
        QCOMPARE(created, QStringLiteral("b (copy 2)"));
        Profile dup;
        QVERIFY(store.find(created, &dup));
        QCOMPARE(dup.marathonUrl, QStringLiteral("http://10.0.0.9:8080"));
        QVERIFY(!store.duplicate(QStringLiteral("b"), QStringLiteral("b (copy)"), &e));

        QVERIFY(store.remove(QStringLiteral("b"), &e));
        QCOMPARE(store.activeName(), QString());
        QCOMPARE(store.names().size(), 2);
        QVERIFY(store.contains(QStringLiteral("b (copy)")) &&
                store.contains(QStringLiteral("b (copy 2)")));
        QVERIFY(!store.remove(QStringLiteral("b"), &e));
        QVERIFY(e.message.contains(QLatin1String("no profile named")));
        QVERIFY(!store.setActive(QStringLiteral("nope"), &e));

        // upsert (what `pier sandbox up` uses) replaces without complaint.
        Profile sandbox;
        sandbox.name = QStringLiteral("sandbox");
        sandbox.marathonUrl = QStringLiteral("http://127.0.0.1:1111");
        QVERIFY(store.upsert(sandbox, &e));
        sandbox.marathonUrl = QStringLiteral("http://127.0.0.1:2222");
        QVERIFY(store.upsert(sandbox, &e));
        QVERIFY(store.find(QStringLiteral("sandbox"), &dup));
        QCOMPARE(dup.marathonUrl, QStringLiteral("http://127.0.0.1:2222"));
    }

    void names_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("valid");
        QTest::newRow("plain") << QStringLiteral("prod") << true;
        QTest::newRow("spaces inside") << QStringLiteral("my cluster (eu)") << true;
        QTest::newRow("unicode") << QStringLiteral("Zürich") << true;
        QTest::newRow("empty") << QString() << false;
        QTest::newRow("blank") << QStringLiteral("   ") << false;
        QTest::newRow("leading space") << QStringLiteral(" prod") << false;
        QTest::newRow("slash") << QStringLiteral("a/b") << false;
        QTest::newRow("control") << QStringLiteral("a\nb") << false;
        QTest::newRow("too long") << QString(65, QLatin1Char('x')) << false;
    }

    void names()
    {
        QFETCH(QString, name);
        QFETCH(bool, valid);
        ProfileStore store;
        Profile p;
        p.name = name;
        ApiError e;
        QCOMPARE(store.create(p, &e), valid);
        QCOMPARE(e.isError(), !valid);
    }

    void damagedFileIsReportedNotOverwritten()
    {
        ProfileStore store;
        QDir().mkpath(QFileInfo(store.filePath()).path());
        QFile f(store.filePath());
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{ broken");
        f.close();
        ApiError e;
        QVERIFY(!store.create(sample(QStringLiteral("x")), &e));
        QVERIFY2(e.message.contains(QLatin1String("damaged")), qPrintable(e.message));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("{ broken"));
    }
};

QTEST_GUILESS_MAIN(TestProfiles)
#include "tst_profiles.moc"
