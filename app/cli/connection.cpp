#include "cli/connection.h"

#include "core/profilestore.h"
#include "secrets/secretstore.h"

#include <QSettings>

namespace pier::cli {

QUrl normalizeMarathonUrl(const QString &text, QString *error)
{
    QString t = text.trimmed();
    if (t.isEmpty()) {
        *error = QStringLiteral("The Marathon address is empty.");
        return {};
    }
    if (!t.contains(QLatin1String("://")))
        t.prepend(QLatin1String("http://"));
    QUrl url(t, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() ||
        (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))) {
        *error =
            QStringLiteral("\"%1\" is not a Marathon address; expected e.g. http://10.0.0.2:8080")
                .arg(text);
        return {};
    }
    if (url.port() < 0 && url.scheme() == QLatin1String("http"))
        url.setPort(8080);
    if (!url.userInfo().isEmpty()) {
        *error =
            QStringLiteral("Put no credentials in the Marathon address; use PIER_MARATHON_USER and "
                           "PIER_MARATHON_PASSWORD, or the keychain.");
        return {};
    }
    return url;
}

QString marathonSecretKey(const QUrl &url, const QString &user)
{
    return QStringLiteral("marathon/%1@%2:%3")
        .arg(user, url.host())
        .arg(url.port(url.scheme() == QLatin1String("https") ? 443 : 80));
}

namespace {

// The profile's CA file and credentials (from the keychain) onto a target at its address.
bool applyProfileCredentials(const Profile &profile, MarathonTarget *target, ApiError *error)
{
    if (target->config.caFile.isEmpty())
        target->config.caFile = profile.caFile;
    if (profile.auth == Profile::Auth::None)
        return true;
    const bool basic = profile.auth == Profile::Auth::Basic;
    const QString key = Profile::secretKey(profile.name, basic ? Profile::Secret::MarathonPassword
                                                               : Profile::Secret::MarathonToken);
    SecretStore store;
    const SecretStore::ReadResult r = store.readNow(key);
    if (r.error.isError()) {
        *error = r.error;
        return false;
    }
    if (!r.found) {
        *error = ApiError::local(
            QStringLiteral("The profile \"%1\" has no Marathon %2 in the keychain.")
                .arg(profile.name, basic ? QStringLiteral("password") : QStringLiteral("token")),
            QStringLiteral("Enter it in the profile editor (Profiles > Edit)."));
        return false;
    }
    target->config.auth =
        basic ? marathon::MarathonConfig::Auth::Basic : marathon::MarathonConfig::Auth::Token;
    target->config.username = profile.authUser;
    (basic ? target->config.password : target->config.token) = r.value;
    return true;
}

} // namespace

MarathonTarget marathonForProfile(const Profile &profile, ApiError *error)
{
    MarathonTarget target;
    target.source = QStringLiteral("profile ") + profile.name;
    target.profile = profile.name;
    QString problem;
    const QUrl url = normalizeMarathonUrl(profile.marathonUrl, &problem);
    if (!url.isValid()) {
        *error =
            ApiError::local(QStringLiteral("The profile \"%1\": %2").arg(profile.name, problem),
                            QStringLiteral("Set its Marathon address in the profile editor."));
        return target;
    }
    target.config.urls = {url};
    target.config.caFile = qEnvironmentVariable("PIER_MARATHON_CA_FILE");
    target.config.socksProxy = profile.socksProxy;
    applyProfileCredentials(profile, &target, error);
    return target;
}

MarathonTarget resolveMarathon(const QString &urlOption, ApiError *error,
                               const QString &profileName, const QString &proxyOption)
{
    MarathonTarget target;
    QString text = urlOption;
    target.source = QStringLiteral("--marathon");
    if (text.isEmpty()) {
        text = qEnvironmentVariable("PIER_MARATHON_URL");
        target.source = QStringLiteral("PIER_MARATHON_URL");
    }
    // A named profile must exist even when --marathon overrides its address: a typo should show.
    const ProfileStore profiles;
    Profile profile;
    if (!profileName.isEmpty() && !profiles.find(profileName, &profile, error))
        return target;
    if (text.isEmpty()) {
        if (profileName.isEmpty() && !profiles.activeName().isEmpty() &&
            !profiles.find(profiles.activeName(), &profile, error))
            return target;
        if (!profile.name.isEmpty()) {
            if (profile.marathonUrl.isEmpty()) {
                *error = ApiError::local(
                    QStringLiteral("The profile \"%1\" has no Marathon address.").arg(profile.name),
                    QStringLiteral("Set one in the profile editor, or pass --marathon URL."));
                return target;
            }
            text = profile.marathonUrl;
            target.source = QStringLiteral("profile ") + profile.name;
            target.profile = profile.name;
        }
    }
    if (text.isEmpty()) {
        text = QSettings().value(QStringLiteral("marathon/url")).toString();
        target.source = QStringLiteral("settings");
    }
    if (text.isEmpty()) {
        *error = ApiError::local(
            QStringLiteral("No Marathon address is set."),
            QStringLiteral("Pass --marathon URL or set PIER_MARATHON_URL, e.g. "
                           "http://<master internal address>:8080 (over the VPN)."));
        return target;
    }
    QString problem;
    const QUrl url = normalizeMarathonUrl(text, &problem);
    if (!url.isValid()) {
        *error = ApiError::local(problem);
        return target;
    }
    target.config.urls = {url};
    target.config.socksProxy = !proxyOption.isEmpty() ? proxyOption
                               : qEnvironmentVariableIsSet("PIER_PROXY")
                                   ? qEnvironmentVariable("PIER_PROXY")
                                   : profile.socksProxy;

    const QString token = qEnvironmentVariable("PIER_MARATHON_TOKEN");
    const QString user = qEnvironmentVariable("PIER_MARATHON_USER");
    target.config.caFile = qEnvironmentVariable("PIER_MARATHON_CA_FILE");
    // The profile's credentials only for the profile's own address, never for another one.
    if (!target.profile.isEmpty() && token.isEmpty() && user.isEmpty()) {
        applyProfileCredentials(profile, &target, error);
        return target;
    }
    if (!token.isEmpty()) {
        target.config.auth = marathon::MarathonConfig::Auth::Token;
        target.config.token = token;
    } else if (!user.isEmpty()) {
        target.config.auth = marathon::MarathonConfig::Auth::Basic;
        target.config.username = user;
        if (qEnvironmentVariableIsSet("PIER_MARATHON_PASSWORD")) {
            target.config.password = qEnvironmentVariable("PIER_MARATHON_PASSWORD");
        } else {
            SecretStore store;
            const SecretStore::ReadResult r = store.readNow(marathonSecretKey(url, user));
            if (r.error.isError()) {
                *error = r.error;
                return target;
            }
            if (!r.found) {
                *error = ApiError::local(
                    QStringLiteral("No password for %1 at %2 in the keychain.")
                        .arg(user, url.authority()),
                    QStringLiteral(
                        "Set PIER_MARATHON_PASSWORD for this run, or save it with `pier login`."));
                return target;
            }
            target.config.password = r.value;
        }
    }
    return target;
}

} // namespace pier::cli
