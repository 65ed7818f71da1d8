// Secrets go to a real keychain (gnome-keyring over D-Bus, started by with-keyring.sh) and come
// back; nothing is written in plain text next to them.
#include "secrets/secretstore.h"

#include <QDirIterator>
#include <QFile>
#include <QProcessEnvironment>
#include <QTest>
#include <QUuid>

using namespace pier;

class TestSecretStore : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
            QSKIP("no D-Bus session: run through tests/secrets/with-keyring.sh");
        SecretStore store(QStringLiteral("Pier-test"));
        const ApiError e = store.writeNow(QStringLiteral("probe"), QStringLiteral("x"));
        if (e.isError())
            QSKIP(qPrintable(QStringLiteral("no usable keychain: ") + e.message));
    }

    void writeReadOverwriteRemove()
    {
        SecretStore store(QStringLiteral("Pier-test"));
        const QString key = QStringLiteral("marathon/password@") +
                            QUuid::createUuid().toString(QUuid::WithoutBraces);
        const QString secret = QStringLiteral("s3cr\u00e9t with spaces");

        SecretStore::ReadResult before = store.readNow(key);
        QVERIFY(!before.error.isError());
        QVERIFY(!before.found);

        QVERIFY(!store.writeNow(key, secret).isError());
        SecretStore::ReadResult r = store.readNow(key);
        QVERIFY(r.found);
        QCOMPARE(r.value, secret);

        QVERIFY(!store.writeNow(key, QStringLiteral("second")).isError());
        QCOMPARE(store.readNow(key).value, QStringLiteral("second"));

        QVERIFY(!store.removeNow(key).isError());
        QVERIFY(!store.readNow(key).found);
        // Removing what is gone is fine: teardown can run twice.
        QVERIFY(!store.removeNow(key).isError());
    }

    void secretIsNotStoredInPlainText()
    {
        // gnome-keyring encrypts its files; the secret must not appear in any file of the session's
        // home.
        const QString home = qEnvironmentVariable("PIER_KEYRING_HOME");
        if (home.isEmpty())
            QSKIP("not run under with-keyring.sh");
        SecretStore store(QStringLiteral("Pier-test"));
        const QByteArray secret = "needle-" + QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
        QVERIFY(!store.writeNow(QStringLiteral("needle"), QString::fromLatin1(secret)).isError());
        QDirIterator it(home, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        int files = 0;
        while (it.hasNext()) {
            QFile f(it.next());
            if (!f.open(QIODevice::ReadOnly))
                continue;
            ++files;
            QVERIFY2(!f.readAll().contains(secret), qPrintable(f.fileName()));
        }
        QVERIFY(files > 0); // the keyring did write its (encrypted) store there
    }

    void missingKeychainIsSaidAsSuch()
    {
        const ApiError e = SecretStore::noKeychainError(QStringLiteral("Cannot autolaunch D-Bus"));
        QVERIFY(e.message.contains(QStringLiteral("No keychain")));
        QVERIFY(e.hint.contains(QStringLiteral("GNOME Keyring")));
    }
};

QTEST_GUILESS_MAIN(TestSecretStore)
#include "tst_secretstore.moc"
