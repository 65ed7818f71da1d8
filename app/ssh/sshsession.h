#pragma once

// An SSH session to one node for the GUI thread: connect once, run commands one after another
// with their output streamed, keep the session open for the next ones.
//
// The session lives on the thread that made it; its libssh work runs on one worker thread of its
// own (blocking calls with timeouts). Commands queue: each starts when the previous one (and the
// connect) has finished, so a pane's log reads in order. Run several sessions for parallelism.
//
// Questions for the user (an unknown host key, a key's passphrase) arrive as signals; the worker
// waits until acceptHostKey()/rejectHostKey() or providePassphrase()/refusePassphrase() answer.
// With no slot connected to a question, the answer is no.

#include "ssh/sshtypes.h"

#include <QObject>
#include <QPointer>

#include <memory>

namespace pier::ssh {

class SshSession;
struct SshSessionWorker;
struct SshJob;

class SshCommand : public QObject {
    Q_OBJECT
public:
    ~SshCommand() override; // cancels the command when it is still running

    QString command() const { return m_command; }
    bool isFinished() const { return m_finished; }
    SshCommandResult result() const { return m_result; }

    // Stops the command (SIGTERM to it, channel closed) at the next read; it finishes with
    // Status::Cancelled. A queued command is dropped the same way. (OpenSSH does not pass signals
    // to root sessions; logged in as root, a second channel sends the SIGTERM.)
    void cancel();

signals:
    void started();
    void stdoutData(const QByteArray &data);
    void stderrData(const QByteArray &data);
    void finished(const pier::ssh::SshCommandResult &result);

private:
    friend class SshSession;
    friend struct SshSessionWorker;
    SshCommand(const QString &command, std::shared_ptr<SshJob> job, QObject *parent);
    QString m_command;
    std::shared_ptr<SshJob> m_job;
    bool m_finished = false;
    SshCommandResult m_result;
};

class SshSession : public QObject {
    Q_OBJECT
public:
    explicit SshSession(QObject *parent = nullptr);
    ~SshSession() override; // aborts what runs and waits for the worker (no longer than a poll)

    // PORT 0 and an empty USER: from the ssh config, else 22 and the local user. Connecting again
    // (after Failed or Closed, or to move elsewhere) drops the current connection first.
    void connectToHost(const QString &host, int port = 0, const QString &user = QString(),
                       const SshOptions &options = SshOptions());

    // Queues COMMAND; timeoutMs 0: no limit. The command is owned by the session (delete it when
    // done with it, or leave it to the session).
    SshCommand *run(const QString &command, int timeoutMs = 0);
    // COMMAND as root: wrapped in `sudo -n sh -c` unless the login user is root; when sudo wants a
    // password, the result's error says so in words.
    SshCommand *runAsRoot(const QString &command, int timeoutMs = 0);

    // Disconnects (after the running command is stopped); queued commands are cancelled.
    void close();

    SshState state() const { return m_state; }
    QString reason() const { return m_reason; } // why Failed or Closed
    // Known once authentication starts: the real target after the ssh config was applied.
    QString host() const { return m_host; }
    int port() const { return m_port; }
    QString user() const { return m_user; }

    void acceptHostKey();
    void rejectHostKey();
    // The passphrase asked for by passphraseNeeded(). The UI keeps it (in the keychain, if the
    // user wants) once keyUnlocked() says it was right.
    void providePassphrase(const QString &passphrase);
    void refusePassphrase();

signals:
    void stateChanged(pier::ssh::SshState state, const QString &reason);
    // Unknown host key: show key.type and key.fingerprint, then acceptHostKey() or rejectHostKey().
    void hostKeyUnknown(const pier::ssh::SshHostKey &key);
    // The node sent another key than the one in known_hosts (KEY: what it sends now); the
    // session then fails, its reason saying which known_hosts line to remove if that is expected.
    void hostKeyChanged(const pier::ssh::SshHostKey &key);
    void passphraseNeeded(const QString &keyFile, bool previousWasWrong);
    // The passphrase last given for KEYFILE opened it.
    void keyUnlocked(const QString &keyFile);

private:
    friend struct SshSessionWorker;
    void setState(SshState state, const QString &reason);
    SshCommand *enqueue(const QString &command, int timeoutMs, bool asRoot);

    std::shared_ptr<SshSessionWorker> m_worker;
    SshState m_state = SshState::Idle;
    QString m_reason;
    QString m_host;
    int m_port = 0;
    QString m_user;
};

} // namespace pier::ssh
