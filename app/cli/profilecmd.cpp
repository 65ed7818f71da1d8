#include "cli/profilecmd.h"

#include "core/profilestore.h"
#include "secrets/secretstore.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

namespace pier::cli {

namespace {

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

int usage(const QString &message)
{
    err() << "pier: " << message << "\nTry 'pier --help'.\n";
    err().flush();
    return 2;
}

int fail(const ApiError &e)
{
    err() << "pier: " << e.toText() << "\n";
    err().flush();
    return 1;
}

int list(const QCommandLineParser &parser)
{
    const ProfileStore store;
    const QList<Profile> profiles = store.profiles();
    const QString active = store.activeName();
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const Profile &p : profiles) {
            QJsonObject o = p.toJson();
            o.insert(QStringLiteral("active"), p.name == active);
            array.append(o);
        }
        out() << QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Indented));
        out().flush();
        return 0;
    }
    if (profiles.isEmpty()) {
        out() << "No profiles yet. Create one in the window, or import one with `pier profile "
                 "import FILE`.\n";
        out().flush();
        return 0;
    }
    for (const Profile &p : profiles)
        out() << (p.name == active ? "* " : "  ") << p.name.leftJustified(24) << ' '
              << (p.marathonUrl.isEmpty() ? QStringLiteral("(no Marathon address)") : p.marathonUrl)
              << "\n";
    out().flush();
    return 0;
}

int show(const QString &name)
{
    const ProfileStore store;
    Profile p;
    ApiError e;
    if (!store.find(name, &p, &e))
        return fail(e);
    const QJsonObject o = p.toJson();
    // Keys in the file's order would be alphabetical; this order reads as the editor does.
    const QStringList keys = {QStringLiteral("name"),
                              QStringLiteral("marathonUrl"),
                              QStringLiteral("mesosUrl"),
                              QStringLiteral("auth"),
                              QStringLiteral("authUser"),
                              QStringLiteral("caFile"),
                              QStringLiteral("vpnConfigFile"),
                              QStringLiteral("socksProxy"),
                              QStringLiteral("sshUser"),
                              QStringLiteral("sshKeyFile"),
                              QStringLiteral("sshPort"),
                              QStringLiteral("sshKnownHosts"),
                              QStringLiteral("gceProject"),
                              QStringLiteral("gceRegion"),
                              QStringLiteral("gceZone"),
                              QStringLiteral("gceCredentials"),
                              QStringLiteral("gceKeyFile"),
                              QStringLiteral("gceEndpoint"),
                              QStringLiteral("addressName"),
                              QStringLiteral("targetPoolName"),
                              QStringLiteral("forwardingRuleName"),
                              QStringLiteral("firewallRuleName"),
                              QStringLiteral("networkTag")};
    for (const QString &k : keys) {
        const QJsonValue v = o.value(k);
        out() << (k + QLatin1Char(':')).leftJustified(20) << ' '
              << (v.isDouble() ? QString::number(v.toInt()) : v.toString()) << "\n";
    }
    out() << (QStringLiteral("active:").leftJustified(20)) << ' '
          << (store.activeName() == name ? "yes" : "no") << "\n";
    out() << "Secrets (passwords, tokens, keys) are in the system keychain, not shown.\n";
    out().flush();
    return 0;
}

int importFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(
            ApiError::local(QStringLiteral("Cannot read %1: %2").arg(path, file.errorString())));
    ProfileStore store;
    ApiError e;
    QString name;
    if (!store.importProfile(file.readAll(), &e, &name))
        return fail(e);
    out() << "Imported the profile \"" << name << "\". Use it with: pier --profile '" << name
          << "' apps, or make it the default with: pier profile use '" << name << "'\n";
    out().flush();
    return 0;
}

int exportProfile(const QString &name)
{
    const ProfileStore store;
    ApiError e;
    const QByteArray data = store.exportProfile(name, &e);
    if (e)
        return fail(e);
    out() << QString::fromUtf8(data);
    out().flush();
    return 0;
}

int use(const QString &name)
{
    ProfileStore store;
    ApiError e;
    if (!store.setActive(name, &e))
        return fail(e);
    out() << "The active profile is now \"" << name << "\".\n";
    out().flush();
    return 0;
}

int remove(const QString &name)
{
    ProfileStore store;
    ApiError e;
    if (!store.remove(name, &e))
        return fail(e);
    // Its secrets go too; a keychain that cannot be reached is reported, the profile stays gone.
    SecretStore secrets;
    for (const Profile::Secret s : Profile::allSecrets()) {
        if (const ApiError se = secrets.removeNow(Profile::secretKey(name, s)); se) {
            out() << "Deleted the profile \"" << name << "\", but not its secrets: " << se.toText()
                  << "\n";
            out().flush();
            return 1;
        }
    }
    out() << "Deleted the profile \"" << name << "\" and its secrets.\n";
    out().flush();
    return 0;
}

} // namespace

int cmdProfile(const QCommandLineParser &parser, const QStringList &args)
{
    const QString action = args.value(0);
    const QString arg = args.value(1);
    const bool hasOne = args.size() == 2;
    if (action == QLatin1String("list") && args.size() == 1)
        return list(parser);
    if (action == QLatin1String("show") && hasOne)
        return show(arg);
    if (action == QLatin1String("import") && hasOne)
        return importFile(arg);
    if (action == QLatin1String("export") && hasOne)
        return exportProfile(arg);
    if (action == QLatin1String("use") && hasOne)
        return use(arg);
    if (action == QLatin1String("delete") && hasOne)
        return remove(arg);
    return usage(QStringLiteral(
        "profile takes: list, show NAME, import FILE, export NAME, use NAME or delete NAME."));
}

} // namespace pier::cli
