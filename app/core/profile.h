#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace pier {

// One cluster a user works with: where its Marathon and Mesos are, how the private network is
// reached (VPN, SOCKS5 proxy, SSH), the GCE project and the names of the resources Pier makes.
// Holds no secret: passwords, tokens, key passphrases and GCE keys live only in the keychain,
// under secretKey(name, kind), and never pass through toJson().
struct Profile {
    enum class Auth { None, Basic, Token };
    enum class GceCredentials { None, ServiceAccountKey, Gcloud, ApplicationDefault };
    enum class Secret { MarathonPassword, MarathonToken, SshKeyPassphrase, GceServiceAccountKey };

    QString name;

    QString marathonUrl; // e.g. http://10.240.0.2:8080
    QString mesosUrl;    // e.g. http://10.240.0.2:5050
    Auth auth = Auth::None;
    QString authUser; // Basic
    QString caFile;   // extra CA certificates (PEM) for HTTPS

    QString vpnConfigFile; // .ovpn
    QString socksProxy;    // host:port of a SOCKS5 proxy into the private network

    QString sshUser;
    QString sshKeyFile;
    int sshPort = 22;
    QString sshKnownHosts;
    // Nodes added by hand, besides those Mesos lists: "name" or "name=address".
    QStringList nodes;

    QString gceProject;
    QString gceRegion;
    QString gceZone;
    GceCredentials gceCredentials = GceCredentials::None;
    QString gceKeyFile;  // a service-account key file, when not kept in the keychain
    QString gceEndpoint; // empty: Google's; else e.g. a private or test endpoint

    // Names of what Pier creates on GCE for this cluster.
    QString addressName = QStringLiteral("pier-address");
    QString targetPoolName = QStringLiteral("pier-pool");
    QString forwardingRuleName = QStringLiteral("pier-http");
    QString firewallRuleName = QStringLiteral("pier-allow-http");
    QString networkTag = QStringLiteral("http-server");

    // Field by field; unknown keys are ignored, missing ones keep the defaults. fromJson never
    // reads a secret, even when a hand-edited file holds one.
    QJsonObject toJson() const;
    static Profile fromJson(const QJsonObject &o);

    bool operator==(const Profile &other) const { return toJson() == other.toJson(); }
    bool operator!=(const Profile &other) const { return !(*this == other); }

    // A name a user can type on the command line: not empty, no slash, no control characters.
    static bool isValidName(const QString &name, QString *problem = nullptr);

    // The keychain key of one secret of the profile `name`, e.g. "profile/prod/marathon-password".
    static QString secretKey(const QString &name, Secret secret);
    static QList<Secret> allSecrets();

    static QString authName(Auth auth);
    static Auth authFromName(const QString &name);
    static QString gceCredentialsName(GceCredentials kind);
    static GceCredentials gceCredentialsFromName(const QString &name);
};

} // namespace pier
