#pragma once

#include "core/apierror.h"
#include "core/profile.h"

#include <QList>
#include <QString>

namespace pier {

// The user's profiles and which one is active, in one JSON file (profiles.json) in the user's
// config directory (QStandardPaths::AppConfigLocation, ~/.config/Pier/Pier on Linux). Written
// atomically; re-read on every call, so the window and the command line see each other's changes.
// Secrets are not here: callers keep them in the keychain under Profile::secretKey().
class ProfileStore {
public:
    // `directory` empty: the user's config directory.
    explicit ProfileStore(const QString &directory = {});

    static QString defaultDirectory();
    QString filePath() const;

    QList<Profile> profiles() const; // sorted by name
    QStringList names() const;
    bool contains(const QString &name) const;
    // False (and `error` says why) when there is no such profile.
    bool find(const QString &name, Profile *profile, ApiError *error = nullptr) const;

    // Adds a new profile; fails when the name is taken or not valid.
    bool create(const Profile &profile, ApiError *error);
    // Replaces the profile called `oldName` (renaming it when profile.name differs).
    bool update(const QString &oldName, const Profile &profile, ApiError *error);
    // Adds or replaces by name: for profiles Pier writes itself (the sandbox's).
    bool upsert(const Profile &profile, ApiError *error);
    // A copy under `newName`; empty: "<name> (copy)", "<name> (copy 2)", ...
    bool duplicate(const QString &name, const QString &newName, ApiError *error,
                   QString *createdName = nullptr);
    bool remove(const QString &name, ApiError *error);

    QString activeName() const;                           // empty when none is active
    bool setActive(const QString &name, ApiError *error); // empty name: none

    // The profile as a file another user can import: no secret, ever.
    QByteArray exportProfile(const QString &name, ApiError *error) const;
    // Reads an exported profile (or a bare profile object). `renameTo` overrides the name in the
    // file; an existing profile of that name is an error unless `replace`.
    bool importProfile(const QByteArray &data, ApiError *error, QString *importedName = nullptr,
                       const QString &renameTo = {}, bool replace = false);

private:
    struct Data {
        QList<Profile> profiles;
        QString active;
    };
    bool load(Data *data, ApiError *error) const;
    bool store(const Data &data, ApiError *error);
    static int indexOf(const Data &data, const QString &name);

    QString m_directory;
};

} // namespace pier
