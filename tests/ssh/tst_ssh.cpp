// SSH sessions against a real OpenSSH sshd on a loopback port (see testsshd.h).

#include "ssh/shellquote.h"
#include "ssh/socks5relay.h"
#include "ssh/sshconnection.h"
#include "ssh/sshprofile.h"
#include "ssh/sshsession.h"
#include "ssh/testsshd.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <csignal>
#include <memory>

using namespace pier::ssh;
using pier::test::TestSshd;

namespace {

// Waits until SESSION reaches Ready, Failed or Closed.
SshState settle(SshSession &session, int timeoutMs = 20000)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        const SshState s = session.state();
        if (s == SshState::Ready || s == SshState::Failed || s == SshState::Closed)
            return s;
        QTest::qWait(10);
    }
    return session.state();
}

struct Collected {
    QByteArray out, err;
    SshCommandResult result;
    bool done = false;
    qint64 firstOutputMs = -1, finishedMs = -1;
};

std::shared_ptr<Collected> collect(SshCommand *cmd)
{
    auto c = std::make_shared<Collected>();
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    QObject::connect(cmd, &SshCommand::stdoutData, cmd, [c, timer](const QByteArray &d) {
        if (c->firstOutputMs < 0)
            c->firstOutputMs = timer->elapsed();
        c->out += d;
    });
    QObject::connect(cmd, &SshCommand::stderrData, cmd, [c](const QByteArray &d) { c->err += d; });
    QObject::connect(cmd, &SshCommand::finished, cmd, [c, timer](const SshCommandResult &r) {
        c->result = r;
        c->done = true;
        c->finishedMs = timer->elapsed();
    });
    return c;
}

int openFds()
{
    return int(QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::Files | QDir::System).size());
}

bool waitDone(const std::shared_ptr<Collected> &c, int timeoutMs = 20000)
{
    QElapsedTimer t;
    t.start();
    while (!c->done && t.elapsed() < timeoutMs)
        QTest::qWait(10);
    return c->done;
}

QString keygenFingerprint(const QString &pubKey)
{
    QProcess p;
    p.start(QStringLiteral("ssh-keygen"), {QStringLiteral("-lf"), pubKey});
    p.waitForFinished(10000);
    // "256 SHA256:abc... comment (ED25519)"
    return QString::fromUtf8(p.readAllStandardOutput()).split(QLatin1Char(' ')).value(1);
}

} // namespace

class TestSsh : public QObject {
    Q_OBJECT

    TestSshd sshd;
    QTemporaryDir work;
    int caseNo = 0;
    int fdsAtStart = 0;

    // Options that touch nothing of the user's: a fresh known_hosts, no config, no agent, no
    // default keys; the client key authorised by the test sshd.
    SshOptions options(bool trustHost = true)
    {
        SshOptions o;
        const QString d = work.filePath(QStringLiteral("case%1").arg(++caseNo));
        QDir().mkpath(d + QStringLiteral("/sshdir"));
        o.knownHostsFile = d + QStringLiteral("/known_hosts");
        o.globalKnownHostsFile.clear();
        o.configFiles.clear();
        o.sshDir = d + QStringLiteral("/sshdir");
        o.agentSocket.clear();
        o.keyFile = sshd.clientKey();
        o.connectTimeoutMs = 10000;
        if (trustHost) {
            QFile f(o.knownHostsFile);
            f.open(QIODevice::WriteOnly);
            f.write(QStringLiteral("[127.0.0.1]:%1 ").arg(sshd.port()).toUtf8() +
                    pier::test::readAll(sshd.hostKey() + QStringLiteral(".pub")));
        }
        return o;
    }

    std::unique_ptr<SshSession> connected(const SshOptions &o)
    {
        auto s = std::make_unique<SshSession>();
        s->connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
        return s;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(work.isValid());
        QString error;
        QVERIFY2(sshd.start(&error), qPrintable(error));
        fdsAtStart = openFds();
    }

    void cleanupTestCase()
    {
        // No socket left behind by any path: success, failures, aborts.
        QVERIFY2(openFds() <= fdsAtStart, qPrintable(QStringLiteral("%1 file descriptors at the "
                                                                    "start, %2 at the end")
                                                         .arg(fdsAtStart)
                                                         .arg(openFds())));
    }

    void unknownHostKeyIsAskedAndStoredWhenAccepted()
    {
        SshOptions o = options(false);
        const QString expected = keygenFingerprint(sshd.hostKey() + QStringLiteral(".pub"));
        QVERIFY(expected.startsWith(QStringLiteral("SHA256:")));

        // Refused: no connection, nothing stored.
        {
            SshSession s;
            QList<SshHostKey> asked;
            connect(&s, &SshSession::hostKeyUnknown, &s, [&](const SshHostKey &k) {
                asked << k;
                s.rejectHostKey();
            });
            s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
            QCOMPARE(settle(s), SshState::Failed);
            QCOMPARE(asked.size(), 1);
            QCOMPARE(asked.first().fingerprint, expected);
            QCOMPARE(asked.first().type, QStringLiteral("ssh-ed25519"));
            QVERIFY2(s.reason().contains(QStringLiteral("not accepted")), qPrintable(s.reason()));
            QVERIFY(!pier::test::readAll(o.knownHostsFile).contains("ssh-ed25519"));
        }
        // Nobody to ask: refused, never accepted silently.
        {
            SshSession s;
            s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
            QCOMPARE(settle(s), SshState::Failed);
        }
        // Accepted: stored, and the next connection does not ask.
        {
            SshSession s;
            QList<SshState> states;
            connect(&s, &SshSession::stateChanged, &s,
                    [&](SshState st, const QString &) { states << st; });
            connect(&s, &SshSession::hostKeyUnknown, &s, [&](const SshHostKey &k) {
                QCOMPARE(k.fingerprint, expected);
                s.acceptHostKey();
            });
            s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
            QCOMPARE(settle(s), SshState::Ready);
            QCOMPARE(states, (QList<SshState>{SshState::Connecting, SshState::VerifyingHostKey,
                                              SshState::Authenticating, SshState::Ready}));
            QVERIFY(pier::test::readAll(o.knownHostsFile)
                        .contains(QStringLiteral("[127.0.0.1]:%1").arg(sshd.port()).toUtf8()));
        }
        {
            SshSession s;
            bool asked = false;
            connect(&s, &SshSession::hostKeyUnknown, &s, [&] {
                asked = true;
                s.rejectHostKey();
            });
            s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
            QCOMPARE(settle(s), SshState::Ready);
            QVERIFY(!asked);
        }
    }

    void changedHostKeyIsRefusedWithTheLineToRemove()
    {
        SshOptions o = options(false);
        QString error;
        const QString other = work.filePath(QStringLiteral("other_host_key"));
        QVERIFY2(pier::test::makeKey(other, &error), qPrintable(error));
        QFile f(o.knownHostsFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("# nodes\n");
        f.write(QStringLiteral("[127.0.0.1]:%1 ").arg(sshd.port()).toUtf8() +
                pier::test::readAll(other + QStringLiteral(".pub")));
        f.close();
        const QByteArray before = pier::test::readAll(o.knownHostsFile);

        SshSession s;
        bool asked = false;
        connect(&s, &SshSession::hostKeyUnknown, &s, [&] {
            asked = true;
            s.acceptHostKey();
        });
        s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
        bool changed = false;
        connect(&s, &SshSession::hostKeyChanged, &s, [&] { changed = true; });
        QCOMPARE(settle(s), SshState::Failed);
        QVERIFY(!asked);
        QVERIFY(changed);
        const QString r = s.reason();
        QVERIFY2(r.contains(QStringLiteral("has changed")) &&
                     r.contains(QStringLiteral("line 2 of")) &&
                     r.contains(QStringLiteral("reinstalled")) &&
                     r.contains(QStringLiteral("intercepting")) &&
                     r.contains(keygenFingerprint(sshd.hostKey() + QStringLiteral(".pub"))),
                 qPrintable(r));
        QCOMPARE(pier::test::readAll(o.knownHostsFile), before);
    }

    void changedHostKeyFoundInAHashedFile()
    {
        SshOptions o = options(false);
        QString error;
        const QString other = work.filePath(QStringLiteral("other_host_key2"));
        QVERIFY2(pier::test::makeKey(other, &error), qPrintable(error));
        QFile f(o.knownHostsFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("elsewhere ssh-ed25519 "
                "AAAAC3NzaC1lZDI1NTE5AAAAIHhR0YuZ5lR2dX3zGkq5n4mBvYq1P6w8p6c0d9b7a1e2\n");
        f.write(QStringLiteral("[127.0.0.1]:%1 ").arg(sshd.port()).toUtf8() +
                pier::test::readAll(other + QStringLiteral(".pub")));
        f.close();
        // As with HashKnownHosts yes: the names become |1|salt|hash.
        QVERIFY2(pier::test::sshKeygen(
                     {QStringLiteral("-H"), QStringLiteral("-f"), o.knownHostsFile}, &error),
                 qPrintable(error));
        QVERIFY(!pier::test::readAll(o.knownHostsFile).contains("127.0.0.1"));
        SshSession s;
        QList<SshHostKey> changed;
        connect(&s, &SshSession::hostKeyChanged, &s,
                [&](const SshHostKey &key) { changed << key; });
        s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
        QCOMPARE(settle(s), SshState::Failed);
        // Told as its own event (before the failure), with the key the server sends now.
        QCOMPARE(changed.size(), 1);
        QVERIFY2(changed.first().fingerprint.startsWith(QStringLiteral("SHA256:")),
                 qPrintable(changed.first().fingerprint));
        QVERIFY2(s.reason().contains(changed.first().fingerprint), qPrintable(s.reason()));
        QVERIFY2(s.reason().contains(QStringLiteral("has changed")) &&
                     s.reason().contains(QStringLiteral("line 2 of")),
                 qPrintable(s.reason()));
    }

    void hostKnownWithAnotherKeyTypeIsRefused()
    {
        SshOptions o = options(false);
        QString error;
        const QString ecdsa = work.filePath(QStringLiteral("ecdsa_host_key"));
        QVERIFY2(pier::test::sshKeygen({QStringLiteral("-q"), QStringLiteral("-t"),
                                        QStringLiteral("ecdsa"), QStringLiteral("-N"), QString(),
                                        QStringLiteral("-f"), ecdsa},
                                       &error),
                 qPrintable(error));
        QFile f(o.knownHostsFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral("[127.0.0.1]:%1 ").arg(sshd.port()).toUtf8() +
                pier::test::readAll(ecdsa + QStringLiteral(".pub")));
        f.close();
        SshSession s;
        bool asked = false;
        connect(&s, &SshSession::hostKeyUnknown, &s, [&] {
            asked = true;
            s.acceptHostKey();
        });
        s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
        QCOMPARE(settle(s), SshState::Failed);
        QVERIFY(!asked);
        QVERIFY2(s.reason().contains(QStringLiteral("has changed")), qPrintable(s.reason()));
    }

    void wrongClientKeyIsRefusedByName()
    {
        SshOptions o = options();
        QString error;
        o.keyFile = work.filePath(QStringLiteral("stranger_key"));
        QVERIFY2(pier::test::makeKey(o.keyFile, &error), qPrintable(error));
        auto s = connected(o);
        QCOMPARE(settle(*s), SshState::Failed);
        const QString expected =
            QStringLiteral("refused key %1 for user %2").arg(o.keyFile, pier::test::localUser());
        QVERIFY2(s->reason().contains(expected), qPrintable(s->reason()));
    }

    void silentServerTimesOut()
    {
        QTcpServer silent; // accepts, never says a word
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        SshOptions o = options();
        o.connectTimeoutMs = 1000;
        SshSession s;
        QElapsedTimer t;
        t.start();
        s.connectToHost(QStringLiteral("127.0.0.1"), silent.serverPort(), pier::test::localUser(),
                        o);
        QCOMPARE(settle(s), SshState::Failed);
        QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
        QVERIFY2(s.reason().contains(QStringLiteral("no SSH answer")), qPrintable(s.reason()));
    }

    void closingDuringTheHandshakeIsImmediate()
    {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        SshOptions o = options();
        o.connectTimeoutMs = 30000;
        QElapsedTimer t;
        {
            SshSession s;
            s.connectToHost(QStringLiteral("127.0.0.1"), silent.serverPort(),
                            pier::test::localUser(), o);
            QTest::qWait(300);
            t.start();
        } // destroyed while libssh waits for the server's banner
        QVERIFY2(t.elapsed() < 2000, qPrintable(QString::number(t.elapsed())));
    }

    void connectionRefusedInWords()
    {
        SshSession s;
        s.connectToHost(QStringLiteral("127.0.0.1"), pier::test::freeLoopbackPort(),
                        pier::test::localUser(), options());
        QCOMPARE(settle(s), SshState::Failed);
        QVERIFY2(s.reason().contains(QStringLiteral("connection refused")), qPrintable(s.reason()));
    }

    void exitCodesStderrAndSignalsInSequence()
    {
        auto s = connected(options());
        // Queued before the connection is up: they run once it is.
        auto a = collect(s->run(QStringLiteral("echo out; echo err >&2; exit 3")));
        auto b = collect(s->run(QStringLiteral("true")));
        auto c = collect(s->run(QStringLiteral("kill -KILL $$")));
        auto d = collect(s->run(QStringLiteral("printf '%s' \"$USER\"")));
        QVERIFY(waitDone(d));
        QVERIFY(a->done && b->done && c->done);
        QCOMPARE(a->result.status, SshCommandResult::Status::Exited);
        QCOMPARE(a->result.exitStatus, 3);
        QCOMPARE(a->out, QByteArray("out\n"));
        QCOMPARE(a->err, QByteArray("err\n"));
        QCOMPARE(a->result.summary(), QStringLiteral("exit status 3"));
        QVERIFY(b->result.ok());
        QCOMPARE(c->result.status, SshCommandResult::Status::Signalled);
        QCOMPARE(c->result.signal, QStringLiteral("KILL"));
        QCOMPARE(d->out, pier::test::localUser().toUtf8());
        QCOMPARE(s->state(), SshState::Ready);
    }

    void outputStreamsBeforeTheEnd()
    {
        auto s = connected(options());
        QCOMPARE(settle(*s), SshState::Ready);
        auto c = collect(s->run(QStringLiteral("echo first; sleep 2; echo second")));
        QVERIFY(waitDone(c));
        QCOMPARE(c->out, QByteArray("first\nsecond\n"));
        QVERIFY2(c->finishedMs - c->firstOutputMs > 1500,
                 qPrintable(QStringLiteral("first output at %1 ms, end at %2 ms")
                                .arg(c->firstOutputMs)
                                .arg(c->finishedMs)));
    }

    void timeoutStopsTheCommandAndKeepsTheSession()
    {
        auto s = connected(options());
        QCOMPARE(settle(*s), SshState::Ready);
        QElapsedTimer t;
        t.start();
        auto c = collect(s->run(QStringLiteral("echo $$; exec sleep 30"), 1000));
        QVERIFY(waitDone(c));
        QCOMPARE(c->result.status, SshCommandResult::Status::TimedOut);
        const pid_t pid = c->out.trimmed().toInt();
        QVERIFY(pid > 0);
        QTRY_VERIFY_WITH_TIMEOUT(::kill(pid, 0) != 0, 5000);
        QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
        QVERIFY(c->result.error.contains(QStringLiteral("timed out")));
        auto next = collect(s->run(QStringLiteral("echo still here")));
        QVERIFY(waitDone(next));
        QCOMPARE(next->out, QByteArray("still here\n"));
    }

    void cancelStopsALongCommand()
    {
        auto s = connected(options());
        QCOMPARE(settle(*s), SshState::Ready);
        SshCommand *cmd = s->run(QStringLiteral("echo $$; exec sleep 30"));
        auto c = collect(cmd);
        connect(cmd, &SshCommand::stdoutData, cmd, [cmd] { cmd->cancel(); });
        QVERIFY(waitDone(c));
        QCOMPARE(c->result.status, SshCommandResult::Status::Cancelled);
        QCOMPARE(c->result.error, QStringLiteral("cancelled"));
        QVERIFY2(c->finishedMs < 3000, qPrintable(QString::number(c->finishedMs)));
        QCOMPARE(s->state(), SshState::Ready);
        auto next = collect(s->run(QStringLiteral("echo next")));
        QVERIFY(waitDone(next));
        QCOMPARE(next->out, QByteArray("next\n"));
        const pid_t pid = c->out.trimmed().toInt();
        QVERIFY(pid > 0);
        // sshd runs on this machine: the remote process is gone (as root too, where OpenSSH
        // ignores signal requests and a second channel stops it).
        QTRY_VERIFY_WITH_TIMEOUT(::kill(pid, 0) != 0, 5000);
    }

    void passphraseKeyThroughTheHook()
    {
        SshOptions o = options();
        QString error;
        o.keyFile = work.filePath(QStringLiteral("locked_key"));
        QVERIFY2(pier::test::makeKey(o.keyFile, &error, QStringLiteral("open sesame")),
                 qPrintable(error));
        QVERIFY(sshd.authorize(o.keyFile));
        {
            SshSession s;
            QList<bool> retries;
            connect(&s, &SshSession::passphraseNeeded, &s, [&](const QString &key, bool retry) {
                QCOMPARE(key, o.keyFile);
                retries << retry;
                s.providePassphrase(retries.size() == 1 ? QStringLiteral("wrong")
                                                        : QStringLiteral("open sesame"));
            });
            QStringList unlocked;
            connect(&s, &SshSession::keyUnlocked, &s, [&](const QString &key) { unlocked << key; });
            s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
            QCOMPARE(settle(s), SshState::Ready);
            QCOMPARE(retries, (QList<bool>{false, true}));
            QCOMPARE(unlocked, QStringList{o.keyFile});
        }
        // A stored passphrase opens it without asking.
        {
            o.passphrase = QStringLiteral("open sesame");
            SshSession s;
            bool asked = false;
            connect(&s, &SshSession::passphraseNeeded, &s, [&] {
                asked = true;
                s.refusePassphrase();
            });
            s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
            QCOMPARE(settle(s), SshState::Ready);
            QVERIFY(!asked);
        }
        // A key in the old PEM format, as OpenSSL reads it.
        {
            SshOptions pem = o;
            pem.passphrase.clear();
            pem.keyFile = work.filePath(QStringLiteral("pem_key"));
            QVERIFY2(pier::test::sshKeygen(
                         {QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ecdsa"),
                          QStringLiteral("-m"), QStringLiteral("PEM"), QStringLiteral("-N"),
                          QStringLiteral("pem secret"), QStringLiteral("-f"), pem.keyFile},
                         &error),
                     qPrintable(error));
            QVERIFY(pier::test::readAll(pem.keyFile).contains("ENCRYPTED"));
            QVERIFY(sshd.authorize(pem.keyFile));
            QFile::remove(pem.keyFile + QStringLiteral(".pub")); // the passphrase comes first then
            SshSession s;
            int asked = 0;
            connect(&s, &SshSession::passphraseNeeded, &s, [&] {
                ++asked;
                s.providePassphrase(QStringLiteral("pem secret"));
            });
            s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), pem);
            QCOMPARE(settle(s), SshState::Ready);
            QCOMPARE(asked, 1);
        }
        // Refused to give one: a clear failure.
        {
            o.passphrase.clear();
            SshSession s;
            connect(&s, &SshSession::passphraseNeeded, &s, [&] { s.refusePassphrase(); });
            s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
            QCOMPARE(settle(s), SshState::Failed);
            QVERIFY2(s.reason().contains(o.keyFile), qPrintable(s.reason()));
        }
    }

    void profileSettings()
    {
        const SshOptions isolated = options();
        pier::Profile profile;
        profile.sshUser = pier::test::localUser();
        profile.sshKeyFile = sshd.clientKey();
        profile.sshKnownHosts = isolated.knownHostsFile;
        QCOMPARE(sshPortFor(profile), 0); // 22 is the default: the ssh config may say otherwise
        profile.sshPort = sshd.port();
        QCOMPARE(sshPortFor(profile), sshd.port());
        pier::test::Socks5Relay relay;
        QVERIFY(relay.listen());
        profile.socksProxy = QStringLiteral("127.0.0.1:%1").arg(relay.port());

        SshOptions o = sshOptionsFor(profile);
        QCOMPARE(o.keyFile, profile.sshKeyFile);
        QCOMPARE(o.knownHostsFile, profile.sshKnownHosts);
        // Nothing of this machine's user leaks into the test.
        o.configFiles.clear();
        o.globalKnownHostsFile.clear();
        o.agentSocket.clear();
        o.sshDir = isolated.sshDir;
        SshSession s;
        s.connectToHost(QStringLiteral("127.0.0.1"), sshPortFor(profile), profile.sshUser, o);
        QCOMPARE(settle(s), SshState::Ready);
        QCOMPARE(relay.requests.size(), 1);
    }

    void sshConfigGivesHostnamePortUserAndKey()
    {
        SshOptions o = options();
        o.keyFile.clear(); // from the config
        const QString config = work.filePath(QStringLiteral("ssh_config"));
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral("Host mynode\n"
                               "  Hostname 127.0.0.1\n"
                               "  Port %1\n"
                               "  User %2\n"
                               "  IdentityFile %3\n"
                               "Host jumpy\n"
                               "  Hostname 127.0.0.1\n"
                               "  ProxyJump bastion.example\n")
                    .arg(sshd.port())
                    .arg(pier::test::localUser(), sshd.clientKey())
                    .toUtf8());
        f.close();
        o.configFiles = {config};
        SshSession s;
        s.connectToHost(QStringLiteral("mynode"), 0, QString(), o);
        QCOMPARE(settle(s), SshState::Ready);
        QCOMPARE(s.host(), QStringLiteral("127.0.0.1"));
        QCOMPARE(s.port(), sshd.port());
        QCOMPARE(s.user(), pier::test::localUser());

        SshSession j;
        j.connectToHost(QStringLiteral("jumpy"), sshd.port(), QString(), o);
        QCOMPARE(settle(j), SshState::Failed);
        QVERIFY2(j.reason().contains(QStringLiteral("ProxyJump is not supported")) &&
                     j.reason().contains(QStringLiteral("SOCKS5")),
                 qPrintable(j.reason()));
    }

    void sshAgentKeys()
    {
        SshOptions o = options();
        o.keyFile.clear();
        const QString sock = work.filePath(QStringLiteral("agent.sock"));
        QProcess agent;
        agent.start(QStringLiteral("ssh-agent"),
                    {QStringLiteral("-D"), QStringLiteral("-a"), sock});
        QVERIFY(agent.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(sock), 5000);
        QProcess add;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SSH_AUTH_SOCK"), sock);
        add.setProcessEnvironment(env);
        add.start(QStringLiteral("ssh-add"), {sshd.clientKey()});
        QVERIFY(add.waitForFinished(10000));
        QCOMPARE(add.exitCode(), 0);

        SshSession withoutAgent;
        withoutAgent.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(),
                                   pier::test::localUser(), o);
        QCOMPARE(settle(withoutAgent), SshState::Failed);
        QVERIFY2(withoutAgent.reason().contains(QStringLiteral("no SSH key")),
                 qPrintable(withoutAgent.reason()));

        o.agentSocket = sock;
        SshSession s;
        s.connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o);
        QCOMPARE(settle(s), SshState::Ready);
        agent.terminate();
        agent.waitForFinished();
    }

    void throughASocks5Proxy()
    {
        pier::test::Socks5Relay relay;
        QVERIFY(relay.listen());
        SshOptions o = options();
        o.socksProxy = QStringLiteral("127.0.0.1:%1").arg(relay.port());
        auto s = connected(o);
        auto c = collect(s->run(QStringLiteral("echo via proxy")));
        QVERIFY(waitDone(c));
        QCOMPARE(c->out, QByteArray("via proxy\n"));
        QCOMPARE(relay.requests, QStringList{QStringLiteral("127.0.0.1:%1").arg(sshd.port())});

        // A name goes to the proxy as a name; a refused target is reported in words.
        SshOptions byName = options(false);
        byName.socksProxy = o.socksProxy;
        SshSession named;
        connect(&named, &SshSession::hostKeyUnknown, &named, [&] { named.acceptHostKey(); });
        named.connectToHost(QStringLiteral("localhost"), sshd.port(), pier::test::localUser(),
                            byName);
        QCOMPARE(settle(named), SshState::Ready);
        QCOMPARE(relay.requests.last(), QStringLiteral("localhost:%1").arg(sshd.port()));

        SshSession refused;
        refused.connectToHost(QStringLiteral("127.0.0.1"), pier::test::freeLoopbackPort(),
                              pier::test::localUser(), o);
        QCOMPARE(settle(refused), SshState::Failed);
        QVERIFY2(refused.reason().contains(QStringLiteral("SOCKS5 proxy")) &&
                     refused.reason().contains(QStringLiteral("connection refused")),
                 qPrintable(refused.reason()));
    }

    void quotedWordsNeverReachTheRemoteShellUnquoted()
    {
        auto s = connected(options());
        const QString mark = work.filePath(QStringLiteral("INJECTED"));
        const QStringList nasty{
            QStringLiteral("$(touch %1)").arg(mark), QStringLiteral("`touch %1`").arg(mark),
            QStringLiteral("a; touch %1").arg(mark), QStringLiteral("'; touch %1; '").arg(mark),
            QStringLiteral("it's \"quoted\""),       QStringLiteral("line1\ntouch %1").arg(mark),
            QStringLiteral("/web$(id)|x&&y")};
        for (const QString &word : nasty) {
            // Plain, and through sudo's extra shell (root may sudo without a password).
            for (bool root : {false, true}) {
                const QString cmd = QStringLiteral("printf '%s' ") + shellQuote(word);
                auto c =
                    collect(root ? s->run(sudoWrap(cmd, QStringLiteral("jclouds"))) : s->run(cmd));
                QVERIFY(waitDone(c));
                if (root && pier::test::localUser() != QLatin1String("root"))
                    continue; // sudo may want a password here
                QCOMPARE(QString::fromUtf8(c->out), word);
            }
        }
        QVERIFY2(!QFile::exists(mark), "a quoted word ran a command");
    }

    void runAsRootExplainsSudoPasswords()
    {
        auto s = connected(options());
        // A stand-in sudo that behaves like one that wants a password.
        const QString bin = work.filePath(QStringLiteral("fakebin"));
        QDir().mkpath(bin);
        QFile fake(bin + QStringLiteral("/sudo"));
        QVERIFY(fake.open(QIODevice::WriteOnly));
        fake.write("#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n");
        fake.close();
        fake.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        auto c = collect(s->run(QStringLiteral("PATH=%1:$PATH; export PATH; %2")
                                    .arg(shellQuote(bin), sudoWrap(QStringLiteral("id -u"),
                                                                   QStringLiteral("jclouds")))));
        QVERIFY(waitDone(c));
        QCOMPARE(c->result.exitStatus, 1);
        QVERIFY2(c->result.summary().contains(QStringLiteral("NOPASSWD")) &&
                     c->result.summary().contains(pier::test::localUser()),
                 qPrintable(c->result.summary()));
        // runAsRoot as root runs the command itself.
        // runAsRoot: as root the command itself; else through sudo, root if sudo lets us, or
        // an explanation.
        auto r = collect(s->runAsRoot(QStringLiteral("id -un")));
        QVERIFY(waitDone(r));
        if (r->result.ok())
            QCOMPARE(r->out, QByteArray("root\n"));
        else
            QVERIFY2(pier::test::localUser() != QLatin1String("root") &&
                         r->result.summary().contains(QStringLiteral("sudo")) &&
                         r->result.summary().contains(pier::test::localUser()),
                     qPrintable(r->result.summary()));
    }

    void manySessionsAtOnce()
    {
        const int fdsBefore = openFds();
        const int n = 32;
        std::vector<std::unique_ptr<SshSession>> sessions;
        std::vector<std::shared_ptr<Collected>> results;
        const SshOptions o = options();
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < n; ++i) {
            sessions.push_back(connected(o));
            results.push_back(collect(sessions.back()->run(QStringLiteral("echo %1").arg(i))));
        }
        for (int i = 0; i < n; ++i) {
            QVERIFY2(waitDone(results[i], 60000), qPrintable(sessions[i]->reason()));
            QVERIFY2(results[i]->result.ok(), qPrintable(results[i]->result.summary()));
            QCOMPARE(results[i]->out, QByteArray::number(i) + '\n');
        }
        qInfo("%d sessions connected and ran a command in %lld ms", n, t.elapsed());
        sessions.clear();
        // Every socket is closed with its session.
        QVERIFY2(openFds() <= fdsBefore,
                 qPrintable(QStringLiteral("%1 file descriptors before, %2 after")
                                .arg(fdsBefore)
                                .arg(openFds())));
    }

    void closeAndReconnect()
    {
        auto s = connected(options());
        QCOMPARE(settle(*s), SshState::Ready);
        s->close();
        QTRY_COMPARE_WITH_TIMEOUT(s->state(), SshState::Closed, 10000);
        auto c = collect(s->run(QStringLiteral("true")));
        QVERIFY(waitDone(c));
        QCOMPARE(c->result.status, SshCommandResult::Status::Failed);
        s->connectToHost(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(),
                         options());
        QCOMPARE(settle(*s), SshState::Ready);
    }

    void synchronousHelper()
    {
        SshOptions o = options(false);
        int asked = 0;
        SshHooks hooks;
        hooks.askHostKey = [&](const SshHostKey &) { return ++asked > 0; };
        const SshRunResult r =
            runSshCommand(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o,
                          QStringLiteral("echo hi; echo oops >&2; exit 7"), 10000, hooks);
        QCOMPARE(asked, 1);
        QCOMPARE(r.status, SshCommandResult::Status::Exited);
        QCOMPARE(r.exitStatus, 7);
        QCOMPARE(r.out, QByteArray("hi\n"));
        QCOMPARE(r.err, QByteArray("oops\n"));
        QList<QPair<QByteArray, bool>> chunks;
        const SshRunResult streamed =
            runSshCommand(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(), o,
                          QStringLiteral("echo a; sleep 0.3; echo b >&2"), 10000, hooks,
                          [&](const QByteArray &d, bool isStderr) {
                              chunks.append({d, isStderr});
                          });
        QVERIFY(streamed.ok());
        QVERIFY(streamed.out.isEmpty());
        QCOMPARE(chunks, (QList<QPair<QByteArray, bool>>{{"a\n", false}, {"b\n", true}}));
        const SshRunResult refused =
            runSshCommand(QStringLiteral("127.0.0.1"), sshd.port(), pier::test::localUser(),
                          options(false), QStringLiteral("true"), 10000);
        QCOMPARE(refused.status, SshCommandResult::Status::Failed);
        QVERIFY(refused.error.contains(QStringLiteral("not accepted")));
    }
};

QTEST_GUILESS_MAIN(TestSsh)
#include "tst_ssh.moc"
