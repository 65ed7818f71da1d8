#pragma once

#include "core/apierror.h"

#include <QObject>
#include <QString>
#include <functional>

namespace pier {

// Secrets (Marathon passwords and tokens, GCE keys, SSH passphrases) live only in the OS keychain
// through QtKeychain: never in settings files, logs or journals. There is no plain-text fallback:
// without a keychain the user is told so, and what to do.
class SecretStore : public QObject {
    Q_OBJECT
public:
    struct ReadResult {
        QString value;
        bool found = false;
        ApiError error; // set when the keychain could not be asked (not for "not found")
    };
    using ReadCallback = std::function<void(const ReadResult &)>;
    using WriteCallback = std::function<void(const ApiError &)>;

    explicit SecretStore(const QString &service = QStringLiteral("Pier"),
                         QObject *parent = nullptr);

    QString service() const { return m_service; }

    void read(const QString &key, ReadCallback done);
    void write(const QString &key, const QString &value, WriteCallback done);
    void remove(const QString &key, WriteCallback done); // a missing entry is not an error

    // Blocking forms for the command line; they spin a local event loop.
    ReadResult readNow(const QString &key);
    ApiError writeNow(const QString &key, const QString &value);
    ApiError removeNow(const QString &key);

    // The message and hint for a keychain that is not there (no Secret Service on D-Bus).
    static ApiError noKeychainError(const QString &detail);

private:
    QString m_service;
};

} // namespace pier
