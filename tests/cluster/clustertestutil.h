#pragma once

// Helpers shared by the sandbox network tests: a unique sandbox id per test program, and running
// OpenSSH's ssh client from inside a client namespace exactly as a user would.

#include "sandbox/cluster.h"
#include "sandbox/netns.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSet>
#include <QString>

#include <unistd.h>

namespace pier::sandbox::testutil {

// Letters and digits only; unique per process so parallel test programs never meet.
inline QString uniqueId(const char *prefix)
{
    return QLatin1String(prefix) + QString::number(::getpid());
}

// A program run to its end (no shell), as a user would run curl or ssh.
struct Run {
    int exitCode = -1; // -1: crashed or timed out
    QByteArray out;
    QByteArray err;
};

inline Run run(const QString &program, const QStringList &args, int timeoutMs = 30000)
{
    QProcess p;
    p.start(program, args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

struct SshResult {
    int exitCode = -1;
    QString out;
    QString err;
};

// `ip netns exec NETNS ssh -i KEY -o UserKnownHostsFile=KNOWN_HOSTS jclouds@ADDRESS COMMAND...`
inline SshResult ssh(const ClusterStatus &s, const QString &netns, const QString &address,
                     const QStringList &command)
{
    QProcess p;
    p.setProgram(findProgram(QStringLiteral("ip")));
    p.setArguments(
        QStringList{QStringLiteral("netns"), QStringLiteral("exec"), netns, QStringLiteral("ssh"),
                    QStringLiteral("-F"), QStringLiteral("/dev/null"), QStringLiteral("-i"),
                    s.sshKeyFile, QStringLiteral("-o"),
                    QStringLiteral("UserKnownHostsFile=") + s.knownHostsFile, QStringLiteral("-o"),
                    QStringLiteral("StrictHostKeyChecking=yes"), QStringLiteral("-o"),
                    QStringLiteral("BatchMode=yes"), QStringLiteral("-o"),
                    QStringLiteral("ConnectTimeout=20"), s.sshUser + QLatin1Char('@') + address} +
        command);
    p.start();
    SshResult r;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("ssh timed out");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

inline QStringList mountPoints()
{
    QStringList points;
    QFile f(QStringLiteral("/proc/self/mountinfo"));
    if (f.open(QIODevice::ReadOnly)) {
        for (const QByteArray &line : f.readAll().split('\n')) {
            const QList<QByteArray> fields = line.split(' ');
            if (fields.size() > 4)
                points << QString::fromLocal8Bit(fields.at(4));
        }
    }
    return points;
}

// Pids of the processes whose network or mount namespace has one of INODES.
inline QList<qint64> processesIn(const QSet<quint64> &inodes)
{
    QList<qint64> pids;
    const QStringList entries =
        QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &e : entries) {
        bool ok = false;
        const qint64 pid = e.toLongLong(&ok);
        if (!ok)
            continue;
        for (const char *kind : {"net", "mnt"}) {
            const QString target =
                QFile::symLinkTarget(QStringLiteral("/proc/%1/ns/%2").arg(e, QLatin1String(kind)));
            const qsizetype open = target.indexOf(QLatin1Char('['));
            if (open >= 0 && inodes.contains(target.mid(open + 1).chopped(1).toULongLong()))
                pids << pid;
        }
    }
    return pids;
}

} // namespace pier::sandbox::testutil
