#include "core/profilestore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QStandardPaths>
#include <algorithm>

namespace pier {

namespace {

const int kFormat = 1;

ApiError noSuchProfile(const QString &name)
{
    return ApiError::local(QStringLiteral("There is no profile named \"%1\".").arg(name),
                           QStringLiteral("`pier profile list` shows the profiles there are."));
}

ApiError nameTaken(const QString &name)
{
    return ApiError::local(QStringLiteral("A profile named \"%1\" exists already.").arg(name),
                           QStringLiteral("Choose another name, or delete that profile first."));
}

} // namespace

ProfileStore::ProfileStore(const QString &directory)
    : m_directory(directory.isEmpty() ? defaultDirectory() : directory)
{
}

QString ProfileStore::defaultDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation);
}

QString ProfileStore::filePath() const
{
    return QDir(m_directory).filePath(QStringLiteral("profiles.json"));
}

bool ProfileStore::load(Data *data, ApiError *error) const
{
    *data = {};
    QFile file(filePath());
    if (!file.exists())
        return true;
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = ApiError::local(QStringLiteral("Cannot read the profiles in %1: %2")
                                         .arg(filePath(), file.errorString()),
                                     QStringLiteral("Check the file's permissions."));
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (!doc.isObject()) {
        if (error)
            *error = ApiError::local(
                QStringLiteral("The profiles file %1 is damaged: %2")
                    .arg(filePath(), parseError.errorString()),
                QStringLiteral("Fix or move the file away; Pier then starts without profiles."));
        return false;
    }
    const QJsonObject root = doc.object();
    const QJsonArray list = root.value(QStringLiteral("profiles")).toArray();
    for (const QJsonValue &v : list) {
        const Profile p = Profile::fromJson(v.toObject());
        if (Profile::isValidName(p.name) && indexOf(*data, p.name) < 0)
            data->profiles.append(p);
    }
    data->active = root.value(QStringLiteral("active")).toString();
    if (indexOf(*data, data->active) < 0)
        data->active.clear();
    return true;
}

bool ProfileStore::store(const Data &data, ApiError *error)
{
    if (!QDir().mkpath(m_directory)) {
        if (error)
            *error =
                ApiError::local(QStringLiteral("Cannot create the directory %1.").arg(m_directory));
        return false;
    }
    Data sorted = data;
    std::sort(sorted.profiles.begin(), sorted.profiles.end(),
              [](const Profile &a, const Profile &b) {
                  return a.name.compare(b.name, Qt::CaseInsensitive) < 0;
              });
    QJsonArray list;
    for (const Profile &p : std::as_const(sorted.profiles))
        list.append(p.toJson());
    const QJsonObject root{{QStringLiteral("format"), kFormat},
                           {QStringLiteral("active"), sorted.active},
                           {QStringLiteral("profiles"), list}};
    QSaveFile file(filePath());
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(QJsonDocument(root).toJson(QJsonDocument::Indented)) < 0 || !file.commit()) {
        if (error)
            *error = ApiError::local(
                QStringLiteral("Cannot save the profiles to %1: %2")
                    .arg(filePath(), file.errorString()),
                QStringLiteral("Check the free space and the directory's permissions."));
        return false;
    }
    return true;
}

int ProfileStore::indexOf(const Data &data, const QString &name)
{
    for (int i = 0; i < data.profiles.size(); ++i) {
        if (data.profiles.at(i).name == name)
            return i;
    }
    return -1;
}

QList<Profile> ProfileStore::profiles() const
{
    Data data;
    load(&data, nullptr);
    std::sort(data.profiles.begin(), data.profiles.end(), [](const Profile &a, const Profile &b) {
        return a.name.compare(b.name, Qt::CaseInsensitive) < 0;
    });
    return data.profiles;
}

QStringList ProfileStore::names() const
{
    QStringList result;
    const QList<Profile> all = profiles();
    for (const Profile &p : all)
        result << p.name;
    return result;
}

bool ProfileStore::contains(const QString &name) const
{
    return names().contains(name);
}

bool ProfileStore::find(const QString &name, Profile *profile, ApiError *error) const
{
    Data data;
    if (!load(&data, error))
        return false;
    const int i = indexOf(data, name);
    if (i < 0) {
        if (error)
            *error = noSuchProfile(name);
        return false;
    }
    *profile = data.profiles.at(i);
    return true;
}

bool ProfileStore::create(const Profile &profile, ApiError *error)
{
    QString problem;
    if (!Profile::isValidName(profile.name, &problem)) {
        *error = ApiError::local(problem);
        return false;
    }
    Data data;
    if (!load(&data, error))
        return false;
    if (indexOf(data, profile.name) >= 0) {
        *error = nameTaken(profile.name);
        return false;
    }
    data.profiles.append(profile);
    return store(data, error);
}

bool ProfileStore::update(const QString &oldName, const Profile &profile, ApiError *error)
{
    QString problem;
    if (!Profile::isValidName(profile.name, &problem)) {
        *error = ApiError::local(problem);
        return false;
    }
    Data data;
    if (!load(&data, error))
        return false;
    const int i = indexOf(data, oldName);
    if (i < 0) {
        *error = noSuchProfile(oldName);
        return false;
    }
    if (profile.name != oldName && indexOf(data, profile.name) >= 0) {
        *error = nameTaken(profile.name);
        return false;
    }
    data.profiles[i] = profile;
    if (data.active == oldName)
        data.active = profile.name;
    return store(data, error);
}

bool ProfileStore::upsert(const Profile &profile, ApiError *error)
{
    QString problem;
    if (!Profile::isValidName(profile.name, &problem)) {
        *error = ApiError::local(problem);
        return false;
    }
    Data data;
    if (!load(&data, error))
        return false;
    const int i = indexOf(data, profile.name);
    if (i < 0)
        data.profiles.append(profile);
    else
        data.profiles[i] = profile;
    return store(data, error);
}

bool ProfileStore::duplicate(const QString &name, const QString &newName, ApiError *error,
                             QString *createdName)
{
    Data data;
    if (!load(&data, error))
        return false;
    const int i = indexOf(data, name);
    if (i < 0) {
        *error = noSuchProfile(name);
        return false;
    }
    Profile copy = data.profiles.at(i);
    copy.name = newName;
    for (int n = 1; copy.name.isEmpty() || indexOf(data, copy.name) >= 0; ++n) {
        if (!newName.isEmpty()) {
            *error = nameTaken(newName);
            return false;
        }
        copy.name = n == 1 ? QStringLiteral("%1 (copy)").arg(name)
                           : QStringLiteral("%1 (copy %2)").arg(name).arg(n);
    }
    QString problem;
    if (!Profile::isValidName(copy.name, &problem)) {
        *error = ApiError::local(problem);
        return false;
    }
    data.profiles.append(copy);
    if (!store(data, error))
        return false;
    if (createdName)
        *createdName = copy.name;
    return true;
}

bool ProfileStore::remove(const QString &name, ApiError *error)
{
    Data data;
    if (!load(&data, error))
        return false;
    const int i = indexOf(data, name);
    if (i < 0) {
        *error = noSuchProfile(name);
        return false;
    }
    data.profiles.removeAt(i);
    if (data.active == name)
        data.active.clear();
    return store(data, error);
}

QString ProfileStore::activeName() const
{
    Data data;
    load(&data, nullptr);
    return data.active;
}

bool ProfileStore::setActive(const QString &name, ApiError *error)
{
    Data data;
    if (!load(&data, error))
        return false;
    if (!name.isEmpty() && indexOf(data, name) < 0) {
        *error = noSuchProfile(name);
        return false;
    }
    data.active = name;
    return store(data, error);
}

QByteArray ProfileStore::exportProfile(const QString &name, ApiError *error) const
{
    Profile p;
    if (!find(name, &p, error))
        return {};
    const QJsonObject root{{QStringLiteral("pierProfile"), kFormat},
                           {QStringLiteral("profile"), p.toJson()}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

bool ProfileStore::importProfile(const QByteArray &data, ApiError *error, QString *importedName,
                                 const QString &renameTo, bool replace)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(data, &parseError);
    if (!doc.isObject()) {
        *error = ApiError::local(
            QStringLiteral("This is not a Pier profile: %1.").arg(parseError.errorString()),
            QStringLiteral("Export one with `pier profile export NAME > FILE`."));
        return false;
    }
    QJsonObject o = doc.object();
    if (o.value(QStringLiteral("profile")).isObject())
        o = o.value(QStringLiteral("profile")).toObject();
    Profile p = Profile::fromJson(o); // reads no secret, whatever the file holds
    if (!renameTo.isEmpty())
        p.name = renameTo;
    if (p.marathonUrl.isEmpty() && p.name.isEmpty()) {
        *error = ApiError::local(QStringLiteral(
            "This is not a Pier profile: it has neither a name nor a Marathon address."));
        return false;
    }
    const bool ok = replace ? upsert(p, error) : create(p, error);
    if (ok && importedName)
        *importedName = p.name;
    return ok;
}

} // namespace pier
