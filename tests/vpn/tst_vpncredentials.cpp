// Where `pier vpn connect` and `pier deploy` find the VPN's user name and password: the
// environment first, then the keychain (a real one: gnome-keyring over D-Bus, started by
// tests/secrets/with-keyring.sh), and never a prompt when they may not ask.
#include "cli/vpncmd.h"
#include "secrets/secretstore.h"

#include <QTest>
#include <QUuid>

using namespace pier;

class TestVpnCredentials : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
            QSKIP("no D-Bus session: run through tests/secrets/with-keyring.sh");
        const ApiError e = SecretStore().writeNow(QStringLiteral("probe"), QStringLiteral("x"));
        if (e.isError())
            QSKIP(qPrintable(QStringLiteral("no usable keychain: ") + e.message));
        m_profile = QStringLiteral("vpn-") + QUuid::createUuid().toString(QUuid::Id128);
    }

    void init()
    {
        qunsetenv("PIER_VPN_USER");
        qunsetenv("PIER_VPN_PASSWORD");
    }

    void nothingAnywhereSaysWhereToPutThem()
    {
        const vpn::Credentials c = cli::vpnCredentials(m_profile, {}, false);
        QVERIFY(!c.ok);
        QVERIFY2(c.error.contains(QLatin1String("PIER_VPN_USER")), qPrintable(c.error));
        QVERIFY2(c.error.contains(QLatin1String("pier vpn connect")), qPrintable(c.error));
    }

    void fromTheKeychain()
    {
        SecretStore store;
        const QString base = QStringLiteral("profile/%1/vpn").arg(m_profile);
        QVERIFY(!store.writeNow(base + QStringLiteral("-user"), QStringLiteral("alice")).isError());
        QVERIFY(!store.writeNow(base + QStringLiteral("-password"), QStringLiteral("s3cr\u00e9t"))
                     .isError());
        const vpn::Credentials c = cli::vpnCredentials(m_profile, {}, false);
        QVERIFY2(c.ok, qPrintable(c.error));
        QCOMPARE(c.user, QStringLiteral("alice"));
        QCOMPARE(c.password, QStringLiteral("s3cr\u00e9t"));
    }

    void typedOnesAreKeptOnlyWhenAccepted()
    {
        // What was typed at a terminal waits for the VPN's answer: nothing in the keychain until
        // save() (called once the connection came up), then both entries, the password forgotten.
        const QString profile = m_profile + QStringLiteral("-typed");
        const QString base = QStringLiteral("profile/%1/vpn").arg(profile);
        cli::TypedVpnCredentials typed{base, QStringLiteral("carol"), QStringLiteral("typed-pw"),
                                       true};
        QVERIFY(!cli::vpnCredentials(profile, {}, false).ok); // not stored yet
        typed.save();
        QVERIFY(!typed.pending);
        QVERIFY(typed.password.isEmpty());
        const vpn::Credentials c = cli::vpnCredentials(profile, {}, false);
        QVERIFY2(c.ok, qPrintable(c.error));
        QCOMPARE(c.user, QStringLiteral("carol"));
        QCOMPARE(c.password, QStringLiteral("typed-pw"));
        // A rejected (never saved) set leaves nothing behind.
        const QString other = m_profile + QStringLiteral("-rejected");
        cli::TypedVpnCredentials rejected{QStringLiteral("profile/%1/vpn").arg(other),
                                          QStringLiteral("dave"), QStringLiteral("wrong"), false};
        rejected.save();
        QVERIFY(!cli::vpnCredentials(other, {}, false).ok);
    }

    void theEnvironmentComesFirst()
    {
        qputenv("PIER_VPN_USER", "bob");
        qputenv("PIER_VPN_PASSWORD", "from-env");
        const vpn::Credentials c = cli::vpnCredentials(m_profile, {}, false);
        QVERIFY(c.ok);
        QCOMPARE(c.user, QStringLiteral("bob"));
        QCOMPARE(c.password, QStringLiteral("from-env"));
    }

    void cleanupTestCase()
    {
        SecretStore store;
        const QString base = QStringLiteral("profile/%1/vpn").arg(m_profile);
        store.removeNow(base + QStringLiteral("-user"));
        store.removeNow(base + QStringLiteral("-password"));
    }

private:
    QString m_profile;
};

QTEST_GUILESS_MAIN(TestVpnCredentials)
#include "tst_vpncredentials.moc"
