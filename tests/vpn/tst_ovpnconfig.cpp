#include "vpn/ovpnconfig.h"

#include <QTemporaryDir>
#include <QtTest>

// A QStringList from literals (the project builds with QT_NO_CAST_FROM_ASCII).
static QStringList sl(std::initializer_list<const char *> items)
{
    QStringList out;
    for (const char *i : items)
        out << QString::fromUtf8(i);
    return out;
}

using pier::vpn::OvpnConfig;

class TestOvpnConfig : public QObject {
    Q_OBJECT
private slots:
    void fullClientFile();
    void remotesAndConnectionBlocks();
    void malformedLinesHaveLineNumbers();
    void unclosedBlock();
    void noRemote();
    void unreadableFile();
    void redirectGatewayAndNoPull();
};

static const char kSecretMarker[] = "S3CRETKEYMATERIAL";

void TestOvpnConfig::fullClientFile()
{
    const QByteArray text = QByteArrayLiteral("# company VPN\n"
                                              "client\n"
                                              "dev tun\n"
                                              "proto udp\n"
                                              "remote vpn.example.com 1194\n"
                                              "route 10.240.0.0 255.255.0.0\n"
                                              "route 10.250.1.7\n"
                                              "auth-user-pass\n"
                                              "management 127.0.0.1 7505\n"
                                              "management-hold\n"
                                              "fancy-option yes \"two words\"\n"
                                              "verb 3\n"
                                              "<ca>\n-----BEGIN CERTIFICATE-----\n") +
                            kSecretMarker +
                            QByteArrayLiteral("\n-----END CERTIFICATE-----\n</ca>\n"
                                              "<key>\n") +
                            kSecretMarker + QByteArrayLiteral("\n</key>\n<tls-auth>\n") +
                            kSecretMarker + QByteArrayLiteral("\n</tls-auth>\nkey-direction 1\n");
    const OvpnConfig c = OvpnConfig::parse(text);
    QVERIFY2(c.problems.isEmpty(), qPrintable(c.problemLines().join(QLatin1Char('\n'))));
    QVERIFY(c.isValid());
    QVERIFY(c.client);
    QCOMPARE(c.remotes.size(), 1);
    QCOMPARE(c.remotes.first().host, QStringLiteral("vpn.example.com"));
    QCOMPARE(c.remotes.first().port, 1194);
    QVERIFY(c.isUdp(c.remotes.first()));
    QCOMPARE(c.routes.size(), 2);
    QCOMPARE(c.routes.at(0).cidr(), QStringLiteral("10.240.0.0/16"));
    QCOMPARE(c.routes.at(1).cidr(), QStringLiteral("10.250.1.7/32"));
    QVERIFY(c.authUserPass);
    QVERIFY(c.authUserPassFile.isEmpty());
    QCOMPARE(c.managementHost, QStringLiteral("127.0.0.1"));
    QCOMPARE(c.managementPort, 7505);
    QVERIFY(c.managementHold);
    QCOMPARE(c.inlineBlocks, (sl({"ca", "key", "tls-auth"})));
    QCOMPARE(c.unknown.size(), 1);
    QCOMPARE(c.unknown.first().name, QStringLiteral("fancy-option"));
    QCOMPARE(c.unknown.first().line, 11);
    QCOMPARE(c.unknown.first().args, (sl({"yes", "two words"})));

    const QString summary = c.summary().join(QLatin1Char('\n'));
    QVERIFY2(summary.contains(QStringLiteral("Connects to vpn.example.com:1194 over UDP")),
             qPrintable(summary));
    QVERIFY(summary.contains(
        QStringLiteral("Adds routes to 10.240.0.0/16 and 10.250.1.7/32 through the tunnel")));
    QVERIFY(summary.contains(QStringLiteral("Asks for a user name and password")));
    QVERIFY(summary.contains(QStringLiteral("(ca, key, tls-auth)")));
    QVERIFY(summary.contains(QStringLiteral("fancy-option (line 11)")));
    QVERIFY(summary.contains(QStringLiteral("management interface on 127.0.0.1:7505")));
    // Key material never reaches text meant for people or logs.
    QVERIFY(!summary.contains(QLatin1String(kSecretMarker)));
    QVERIFY(!summary.contains(QStringLiteral("BEGIN")));
}

void TestOvpnConfig::remotesAndConnectionBlocks()
{
    const OvpnConfig c =
        OvpnConfig::parse("proto tcp\nport 443\n"
                          "remote a.example.com\n"
                          "remote b.example.com 1195 udp\n"
                          "<connection>\nremote c.example.com 8443 tcp-client\n</connection>\n"
                          "auth-user-pass creds.txt ; the file\n");
    QVERIFY2(c.problems.isEmpty(), qPrintable(c.problemLines().join(QLatin1Char('\n'))));
    QCOMPARE(c.remotes.size(), 3);
    QCOMPARE(c.remotes.at(0).port, 443);
    QVERIFY(!c.isUdp(c.remotes.at(0)));
    QCOMPARE(c.remotes.at(1).port, 1195);
    QVERIFY(c.isUdp(c.remotes.at(1)));
    QCOMPARE(c.remotes.at(2).host, QStringLiteral("c.example.com"));
    QCOMPARE(c.authUserPassFile, QStringLiteral("creds.txt"));
    const QString summary = c.summary().join(QLatin1Char('\n'));
    QVERIFY2(summary.contains(
                 QStringLiteral("Connects to a.example.com:443 over TCP (else "
                                "b.example.com:1195 over UDP and c.example.com:8443 over TCP)")),
             qPrintable(summary));
    QVERIFY(summary.contains(QStringLiteral("user name and password in creds.txt")));
}

void TestOvpnConfig::malformedLinesHaveLineNumbers()
{
    const OvpnConfig c = OvpnConfig::parse("client\n"
                                           "remote vpn.example.com 99999\n"
                                           "remote ok.example.com 1194\n"
                                           "route 10.0.0.0 255.0.255.0\n"
                                           "proto sctp\n"
                                           "setenv X \"unclosed\n"
                                           "</ca>\n"
                                           "management 127.0.0.1\n");
    QVERIFY(!c.isValid());
    const QStringList p = c.problemLines();
    QCOMPARE(p.size(), 6);
    QVERIFY2(p.at(0).startsWith(QStringLiteral("line 2: ")) &&
                 p.at(0).contains(QStringLiteral("1 to 65535")),
             qPrintable(p.at(0)));
    QVERIFY2(p.at(1).startsWith(QStringLiteral("line 4: ")) &&
                 p.at(1).contains(QStringLiteral("not a netmask")),
             qPrintable(p.at(1)));
    QVERIFY(p.at(2).startsWith(QStringLiteral("line 5: ")));
    QVERIFY2(p.at(3).startsWith(QStringLiteral("line 6: ")) &&
                 p.at(3).contains(QStringLiteral("quote")),
             qPrintable(p.at(3)));
    QVERIFY(p.at(4).startsWith(QStringLiteral("line 7: ")));
    QVERIFY(p.at(5).startsWith(QStringLiteral("line 8: ")));
    // The good lines around them still count.
    QCOMPARE(c.remotes.size(), 1);
    QVERIFY(c.summary().join(QLatin1Char('\n')).contains(QStringLiteral("Problem: line 2:")));
}

void TestOvpnConfig::unclosedBlock()
{
    const OvpnConfig c =
        OvpnConfig::parse("remote vpn.example.com\n\n<cert>\n-----BEGIN CERTIFICATE-----\n");
    QCOMPARE(c.problems.size(), 1);
    QCOMPARE(c.problems.first().line, 3);
    QVERIFY(c.problems.first().text.contains(QStringLiteral("</cert>")));
}

void TestOvpnConfig::noRemote()
{
    const OvpnConfig c = OvpnConfig::parse("client\ndev tun\n");
    QVERIFY(!c.isValid());
    QVERIFY(c.problemLines().join(QString()).contains(QStringLiteral("remote")));
}

void TestOvpnConfig::unreadableFile()
{
    QTemporaryDir dir;
    const OvpnConfig c = OvpnConfig::load(dir.filePath(QStringLiteral("missing.ovpn")));
    QVERIFY(!c.isValid());
    QVERIFY(c.problemLines().first().contains(QStringLiteral("missing.ovpn")));
}

void TestOvpnConfig::redirectGatewayAndNoPull()
{
    const OvpnConfig c =
        OvpnConfig::parse("client\nremote 203.0.113.5 1194\nredirect-gateway def1\nroute-nopull\n");
    const QString summary = c.summary().join(QLatin1Char('\n'));
    QVERIFY(summary.contains(QStringLiteral("ALL traffic")));
    QVERIFY(summary.contains(QStringLiteral("redirect-gateway def1")));
    QVERIFY(summary.contains(QStringLiteral("Ignores the routes the server pushes")));
}

QTEST_GUILESS_MAIN(TestOvpnConfig)
#include "tst_ovpnconfig.moc"
