#include "secrets/secretstore.h"

#include <QEventLoop>
#include <qt6keychain/keychain.h>

namespace pier {

namespace {

ApiError errorFrom(QKeychain::Job *job, const QString &what)
{
    switch (job->error()) {
    case QKeychain::NoError:
    case QKeychain::EntryNotFound:
        return {};
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        return SecretStore::noKeychainError(job->errorString());
    case QKeychain::AccessDeniedByUser:
    case QKeychain::AccessDenied:
        return ApiError::local(
            QStringLiteral("The keychain refused to %1: %2").arg(what, job->errorString()),
            QStringLiteral("Unlock the keychain (or allow Pier in its prompt) and try again."));
    default:
        break;
    }
    // QtKeychain reports a missing Secret Service as OtherError with D-Bus's message.
    const QString text = job->errorString();
    if (text.contains(QLatin1String("D-Bus"), Qt::CaseInsensitive) ||
        text.contains(QLatin1String("autolaunch"), Qt::CaseInsensitive) ||
        text.contains(QLatin1String("org.freedesktop.secrets"), Qt::CaseInsensitive))
        return SecretStore::noKeychainError(text);
    return ApiError::local(QStringLiteral("The keychain could not %1: %2").arg(what, text));
}

} // namespace

SecretStore::SecretStore(const QString &service, QObject *parent)
    : QObject(parent), m_service(service)
{
}

ApiError SecretStore::noKeychainError(const QString &detail)
{
    return ApiError::local(
        QStringLiteral("No keychain is available (%1).").arg(detail),
        QStringLiteral(
            "Pier keeps secrets only in the system keychain. Start and unlock one (GNOME Keyring "
            "or "
            "KWallet, reachable over D-Bus as org.freedesktop.secrets), or pass the secret through "
            "an environment variable for this run."));
}

void SecretStore::read(const QString &key, ReadCallback done)
{
    auto *job = new QKeychain::ReadPasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(key);
    connect(job, &QKeychain::Job::finished, this, [job, done](QKeychain::Job *) {
        ReadResult r;
        r.error = errorFrom(job, QStringLiteral("read a secret"));
        r.found = job->error() == QKeychain::NoError;
        if (r.found)
            r.value = job->textData();
        done(r);
    });
    job->start();
}

void SecretStore::write(const QString &key, const QString &value, WriteCallback done)
{
    auto *job = new QKeychain::WritePasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(key);
    job->setTextData(value);
    connect(job, &QKeychain::Job::finished, this, [job, done](QKeychain::Job *) {
        done(errorFrom(job, QStringLiteral("store a secret")));
    });
    job->start();
}

void SecretStore::remove(const QString &key, WriteCallback done)
{
    auto *job = new QKeychain::DeletePasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(key);
    connect(job, &QKeychain::Job::finished, this, [job, done](QKeychain::Job *) {
        done(errorFrom(job, QStringLiteral("remove a secret")));
    });
    job->start();
}

SecretStore::ReadResult SecretStore::readNow(const QString &key)
{
    QEventLoop loop;
    ReadResult result;
    read(key, [&](const ReadResult &r) {
        result = r;
        loop.quit();
    });
    loop.exec();
    return result;
}

ApiError SecretStore::writeNow(const QString &key, const QString &value)
{
    QEventLoop loop;
    ApiError result;
    write(key, value, [&](const ApiError &e) {
        result = e;
        loop.quit();
    });
    loop.exec();
    return result;
}

ApiError SecretStore::removeNow(const QString &key)
{
    QEventLoop loop;
    ApiError result;
    remove(key, [&](const ApiError &e) {
        result = e;
        loop.quit();
    });
    loop.exec();
    return result;
}

} // namespace pier
