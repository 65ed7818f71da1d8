// The libssh-based node SSH server (sandbox/sshserver.h) against OpenSSH's own client, on
// loopback: key login, a command's output, stderr and exit status, stdin, and a wrong key refused.

#include "sandbox/netns.h"
#include "sandbox/nodessh.h"
#include "sandbox/sshserver.h"

#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

using namespace pier::sandbox;
using namespace Qt::StringLiterals;

class TestSshServer : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void runsCommandsWithStatusAndStreams();
    void feedsStdin();
    void refusesAnotherKey();

private:
    struct Result {
        int code;
        QByteArray out, err;
    };
    Result ssh(const char *key, const char *command, const QByteArray &input = {});
    QTemporaryDir m_dir;
    quint16 m_port = 0;
    pid_t m_server = -1;
};

void TestSshServer::initTestCase()
{
    if (QStandardPaths::findExecutable(u"ssh"_s).isEmpty())
        QSKIP("OpenSSH's client (ssh) is not installed");
    QString error;
    const QString d = m_dir.path();
    QVERIFY2(generateSshKey(d + u"/host"_s, u"host"_s, &error), qPrintable(error));
    QVERIFY2(generateSshKey(d + u"/user"_s, u"user"_s, &error), qPrintable(error));
    QVERIFY2(generateSshKey(d + u"/other"_s, u"other"_s, &error), qPrintable(error));
    QFile pub(d + u"/user.pub"_s);
    QVERIFY(pub.open(QIODevice::ReadOnly));
    const int fd = listenSshSocket(u"127.0.0.1"_s, 0, &m_port, &error);
    QVERIFY2(fd >= 0, qPrintable(error));
    SshServerConfig config{d + u"/host"_s, u"jclouds"_s, pub.readAll(), d};
    m_server = ::fork();
    if (m_server == 0)
        ::_exit(runSshServer(fd, config));
    ::close(fd);
    QFile hostPub(d + u"/host.pub"_s);
    QVERIFY(hostPub.open(QIODevice::ReadOnly));
    QFile kh(d + u"/known_hosts"_s);
    QVERIFY(kh.open(QIODevice::WriteOnly));
    kh.write("[127.0.0.1]:" + QByteArray::number(m_port) + ' ' + hostPub.readAll());
}

void TestSshServer::cleanupTestCase()
{
    if (m_server > 0) {
        ::kill(m_server, SIGKILL);
        ::waitpid(m_server, nullptr, 0);
    }
}

TestSshServer::Result TestSshServer::ssh(const char *key, const char *command,
                                         const QByteArray &input)
{
    QProcess p;
    p.start(u"ssh"_s,
            {u"-i"_s, m_dir.path() + u'/' + QLatin1String(key), u"-o"_s, u"IdentitiesOnly=yes"_s,
             u"-o"_s, u"BatchMode=yes"_s, u"-o"_s,
             u"UserKnownHostsFile="_s + m_dir.path() + u"/known_hosts"_s, u"-o"_s,
             u"StrictHostKeyChecking=yes"_s, u"-F"_s, u"/dev/null"_s, u"-p"_s,
             QString::number(m_port), u"jclouds@127.0.0.1"_s, QString::fromUtf8(command)});
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(20000))
        p.kill();
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

void TestSshServer::runsCommandsWithStatusAndStreams()
{
    const Result r = ssh("user", "echo out:$HOME:$USER; echo oops >&2; exit 7");
    QCOMPARE(r.code, 7);
    QCOMPARE(r.out, "out:" + m_dir.path().toUtf8() + ":jclouds\n");
    QCOMPARE(r.err.trimmed(), QByteArray("oops"));
    const Result big = ssh("user", "head -c 300000 /dev/zero | tr '\\0' x");
    QCOMPARE(big.code, 0);
    QCOMPARE(big.out.size(), 300000);
}

void TestSshServer::feedsStdin()
{
    const Result r = ssh("user", "tr a-z A-Z", "hello over ssh\n");
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QByteArray("HELLO OVER SSH\n"));
}

void TestSshServer::refusesAnotherKey()
{
    const Result r = ssh("other", "echo should-not-run");
    QCOMPARE(r.code, 255);
    QVERIFY(!r.out.contains("should-not-run"));
    QVERIFY2(r.err.contains("Permission denied"), r.err.constData());
}

QTEST_GUILESS_MAIN(TestSshServer)
#include "tst_sshserver.moc"
