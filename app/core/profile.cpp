#include "core/profile.h"

#include <QJsonArray>

namespace pier {

namespace {

struct Field {
    const char *key;
    QString Profile::*member;
};

// The plain text fields, in the order they appear in the file.
const Field kFields[] = {
    {"marathonUrl", &Profile::marathonUrl},
    {"mesosUrl", &Profile::mesosUrl},
    {"authUser", &Profile::authUser},
    {"caFile", &Profile::caFile},
    {"vpnConfigFile", &Profile::vpnConfigFile},
    {"socksProxy", &Profile::socksProxy},
    {"sshUser", &Profile::sshUser},
    {"sshKeyFile", &Profile::sshKeyFile},
    {"sshKnownHosts", &Profile::sshKnownHosts},
    {"gceProject", &Profile::gceProject},
    {"gceRegion", &Profile::gceRegion},
    {"gceZone", &Profile::gceZone},
    {"gceKeyFile", &Profile::gceKeyFile},
    {"gceEndpoint", &Profile::gceEndpoint},
    {"addressName", &Profile::addressName},
    {"targetPoolName", &Profile::targetPoolName},
    {"forwardingRuleName", &Profile::forwardingRuleName},
    {"firewallRuleName", &Profile::firewallRuleName},
    {"networkTag", &Profile::networkTag},
};

} // namespace

QJsonObject Profile::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("name"), name);
    for (const Field &f : kFields)
        o.insert(QLatin1String(f.key), this->*f.member);
    o.insert(QStringLiteral("auth"), authName(auth));
    o.insert(QStringLiteral("sshPort"), sshPort);
    o.insert(QStringLiteral("gceCredentials"), gceCredentialsName(gceCredentials));
    if (!nodes.isEmpty())
        o.insert(QStringLiteral("nodes"), QJsonArray::fromStringList(nodes));
    return o;
}

Profile Profile::fromJson(const QJsonObject &o)
{
    Profile p;
    p.name = o.value(QStringLiteral("name")).toString();
    for (const Field &f : kFields) {
        const QJsonValue v = o.value(QLatin1String(f.key));
        if (v.isString())
            p.*f.member = v.toString();
    }
    p.auth = authFromName(o.value(QStringLiteral("auth")).toString());
    const int port = o.value(QStringLiteral("sshPort")).toInt(22);
    p.sshPort = port > 0 && port < 65536 ? port : 22;
    p.gceCredentials = gceCredentialsFromName(o.value(QStringLiteral("gceCredentials")).toString());
    for (const QJsonValue &v : o.value(QStringLiteral("nodes")).toArray()) {
        if (v.isString() && !v.toString().trimmed().isEmpty())
            p.nodes << v.toString().trimmed();
    }
    return p;
}

bool Profile::isValidName(const QString &name, QString *problem)
{
    QString why;
    if (name.trimmed().isEmpty())
        why = QStringLiteral("A profile needs a name.");
    else if (name != name.trimmed())
        why = QStringLiteral("A profile name cannot start or end with a space.");
    else if (name.contains(QLatin1Char('/')) || name.contains(QLatin1Char('\\')))
        why = QStringLiteral("A profile name cannot contain a slash.");
    else if (name.size() > 64)
        why = QStringLiteral("A profile name can be at most 64 characters long.");
    else {
        for (const QChar c : name) {
            if (c.category() == QChar::Other_Control) {
                why = QStringLiteral("A profile name cannot contain control characters.");
                break;
            }
        }
    }
    if (problem)
        *problem = why;
    return why.isEmpty();
}

QString Profile::secretKey(const QString &name, Secret secret)
{
    static const char *const kinds[] = {"marathon-password", "marathon-token", "ssh-key-passphrase",
                                        "gce-service-account-key"};
    return QStringLiteral("profile/%1/%2").arg(name, QLatin1String(kinds[int(secret)]));
}

QList<Profile::Secret> Profile::allSecrets()
{
    return {Secret::MarathonPassword, Secret::MarathonToken, Secret::SshKeyPassphrase,
            Secret::GceServiceAccountKey};
}

QString Profile::authName(Auth auth)
{
    switch (auth) {
    case Auth::Basic:
        return QStringLiteral("basic");
    case Auth::Token:
        return QStringLiteral("token");
    case Auth::None:
        break;
    }
    return QStringLiteral("none");
}

Profile::Auth Profile::authFromName(const QString &name)
{
    if (name == QLatin1String("basic"))
        return Auth::Basic;
    if (name == QLatin1String("token"))
        return Auth::Token;
    return Auth::None;
}

QString Profile::gceCredentialsName(GceCredentials kind)
{
    switch (kind) {
    case GceCredentials::ServiceAccountKey:
        return QStringLiteral("service-account-key");
    case GceCredentials::Gcloud:
        return QStringLiteral("gcloud");
    case GceCredentials::ApplicationDefault:
        return QStringLiteral("application-default");
    case GceCredentials::None:
        break;
    }
    return QStringLiteral("none");
}

Profile::GceCredentials Profile::gceCredentialsFromName(const QString &name)
{
    if (name == QLatin1String("service-account-key"))
        return GceCredentials::ServiceAccountKey;
    if (name == QLatin1String("gcloud"))
        return GceCredentials::Gcloud;
    if (name == QLatin1String("application-default"))
        return GceCredentials::ApplicationDefault;
    return GceCredentials::None;
}

} // namespace pier
