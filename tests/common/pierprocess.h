#pragma once

// Runs the built `pier` binary as a script would, while this test process's event loop keeps
// serving whatever test servers it started (a blocking wait would starve them).
#include <QEventLoop>
#include <QMap>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTimer>

namespace pier::test {

struct PierRun {
    int exitCode = -1; // -1: crashed, -2: timed out
    QString out;
    QString err;
};

// The environment starts from this process's, without any Marathon address or credentials,
// with XDG_CONFIG_HOME set to configHome so no test touches the user's settings.
inline PierRun runPier(const QStringList &args, const QString &configHome,
                       const QMap<QString, QString> &env = {}, int timeoutMs = 60000)
{
    QProcess p;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"PIER_MARATHON_URL", "PIER_MARATHON_USER", "PIER_MARATHON_PASSWORD",
                             "PIER_MARATHON_TOKEN"})
        e.remove(QLatin1String(name));
    e.insert(QStringLiteral("XDG_CONFIG_HOME"), configHome);
    for (auto it = env.begin(); it != env.end(); ++it)
        e.insert(it.key(), it.value());
    p.setProcessEnvironment(e);
    QEventLoop loop;
    QObject::connect(&p, &QProcess::finished, &loop, &QEventLoop::quit);
    QObject::connect(&p, &QProcess::errorOccurred, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    p.start(QStringLiteral(PIER_BINARY), args);
    loop.exec();
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished();
        return {-2, QString::fromUtf8(p.readAllStandardOutput()), QStringLiteral("timed out")};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

} // namespace pier::test
