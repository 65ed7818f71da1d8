#pragma once

// A real OpenSSH sshd for tests and benchmarks: on a free 127.0.0.1 port, with a throwaway host
// key, a client key authorised for the current user, and its own pid file; stopped by its pid.

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>

#include <pwd.h>
#include <unistd.h>

namespace pier::test {

inline QString localUser()
{
    const passwd *pw = ::getpwuid(::getuid());
    return pw ? QString::fromLocal8Bit(pw->pw_name) : qEnvironmentVariable("USER");
}

inline bool sshKeygen(const QStringList &args, QString *error)
{
    QProcess p;
    p.start(QStringLiteral("ssh-keygen"), args);
    if (!p.waitForFinished(30000) || p.exitCode() != 0) {
        *error = QStringLiteral("ssh-keygen %1: %2")
                     .arg(args.join(QLatin1Char(' ')), QString::fromUtf8(p.readAllStandardError()));
        return false;
    }
    return true;
}

// A new ed25519 key at PATH (and PATH.pub), encrypted with PASSPHRASE when not empty.
inline bool makeKey(const QString &path, QString *error, const QString &passphrase = QString())
{
    QFile::remove(path);
    QFile::remove(path + QStringLiteral(".pub"));
    return sshKeygen({QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ed25519"),
                      QStringLiteral("-N"), passphrase, QStringLiteral("-C"),
                      QStringLiteral("pier-test"), QStringLiteral("-f"), path},
                     error);
}

inline QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

inline int freeLoopbackPort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

class TestSshd {
public:
    ~TestSshd() { stop(); }

    QString dir() const { return m_dir.path(); }
    int port() const { return m_port; }
    QString hostKey() const { return dir() + QStringLiteral("/host_key"); }
    QString clientKey() const { return dir() + QStringLiteral("/client_key"); }
    QString authorizedKeys() const { return dir() + QStringLiteral("/authorized_keys"); }
    QString log() { return QString::fromUtf8(m_process.readAllStandardError()); }

    // Adds the public key of KEY to authorized_keys.
    bool authorize(const QString &key)
    {
        QFile f(authorizedKeys());
        return f.open(QIODevice::Append) && f.write(readAll(key + QStringLiteral(".pub"))) > 0;
    }

    bool start(QString *error)
    {
        if (!m_dir.isValid()) {
            *error = QStringLiteral("no temporary directory");
            return false;
        }
        if (!makeKey(hostKey(), error) || !makeKey(clientKey(), error) || !authorize(clientKey()))
            return false;
        QDir().mkpath(dir() + QStringLiteral("/home"));
        if (::getuid() == 0)
            QDir().mkpath(QStringLiteral("/run/sshd")); // privilege separation directory
        m_port = freeLoopbackPort();
        const QString config = dir() + QStringLiteral("/sshd_config");
        QFile f(config);
        if (!f.open(QIODevice::WriteOnly)) {
            *error = QStringLiteral("cannot write %1").arg(config);
            return false;
        }
        f.write(QStringLiteral("Port %1\n"
                               "ListenAddress 127.0.0.1\n"
                               "HostKey %2\n"
                               "PidFile %3/sshd.pid\n"
                               "AuthorizedKeysFile %4\n"
                               "StrictModes no\n"
                               "UsePAM no\n"
                               "PasswordAuthentication no\n"
                               "KbdInteractiveAuthentication no\n"
                               "PermitRootLogin prohibit-password\n"
                               "AllowUsers %5\n"
                               "MaxStartups 300\n"
                               "MaxSessions 300\n"
                               "MaxAuthTries 20\n"
                               "LogLevel VERBOSE\n"
                               // Sessions get an empty home: bash, started by sshd, reads
                               // ~/.bashrc, and a developer's (pyenv, conda) can cost 250 ms a
                               // command, which would be measured instead of Pier.
                               "SetEnv HOME=%3/home\n")
                    .arg(m_port)
                    .arg(hostKey(), dir(), authorizedKeys(), localUser())
                    .toUtf8());
        f.close();
        m_process.start(QStringLiteral("/usr/sbin/sshd"),
                        {QStringLiteral("-D"), QStringLiteral("-e"), QStringLiteral("-f"), config});
        if (!m_process.waitForStarted(10000)) {
            *error = QStringLiteral("sshd did not start: %1").arg(m_process.errorString());
            return false;
        }
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 10000) {
            QTcpSocket probe;
            probe.connectToHost(QHostAddress::LocalHost, quint16(m_port));
            if (probe.waitForConnected(200))
                return true;
            if (m_process.state() == QProcess::NotRunning)
                break;
            QThread::msleep(50);
        }
        *error = QStringLiteral("sshd did not listen on port %1: %2").arg(m_port).arg(log());
        return false;
    }

    void stop()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate(); // our own child, by its pid
            if (!m_process.waitForFinished(5000))
                m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    int m_port = 0;
};

} // namespace pier::test
