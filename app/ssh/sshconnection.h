#pragma once

// The blocking core of an SSH session: connect, check the host key, authenticate, run commands.
// Used by exactly one thread at a time (libssh sessions are not thread-safe); only abort() may be
// called from another thread. SshSession runs one of these on its worker thread; runSshCommand()
// on the caller's.

#include "ssh/sshtypes.h"

#include <QLoggingCategory>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>

Q_DECLARE_LOGGING_CATEGORY(lcSsh)

struct ssh_session_struct;

namespace pier::ssh {

struct SshHooks {
    // Progress of connect(); the reason is empty but for Failed.
    std::function<void(SshState)> state;
    // An unknown host key: true accepts it (and it is then appended to known_hosts). Blocking.
    // Unset: refused.
    std::function<bool(const SshHostKey &)> askHostKey;
    // The node sent another key than known_hosts holds: connect() then fails with the words.
    std::function<void(const SshHostKey &)> hostKeyChanged;
    // The passphrase of KEYFILE, or nullopt to skip the key. RETRY: the previous one was wrong.
    // Blocking. Unset: encrypted keys are skipped unless SshOptions::passphrase opens them.
    std::function<std::optional<QString>(const QString &keyFile, bool retry)> askPassphrase;
    // KEYFILE opened with the passphrase askPassphrase gave: the moment to offer keeping it.
    std::function<void(const QString &keyFile)> keyUnlocked;
};

class SshConnection {
public:
    SshConnection();
    ~SshConnection();
    SshConnection(const SshConnection &) = delete;
    SshConnection &operator=(const SshConnection &) = delete;

    // Connects and authenticates. PORT 0 and an empty USER: from the ssh config, else 22 and the
    // local user name. False with *error in words.
    bool connect(const QString &host, int port, const QString &user, const SshOptions &options,
                 const SshHooks &hooks, QString *error);

    // Runs COMMAND to its end, passing output as it arrives. timeoutMs 0: no limit. CANCEL is
    // checked between reads (at least every 100 ms).
    SshCommandResult run(const QString &command, int timeoutMs, const std::atomic_bool &cancel,
                         const std::function<void(const QByteArray &, bool isStderr)> &output);

    void disconnect();
    bool isConnected() const;

    // Any thread: makes the blocking call in progress return now (the connection is lost).
    void abort();

    // After connect(): where it went and as whom (after the ssh config was applied).
    QString host() const { return m_host; }
    int port() const { return m_port; }
    QString user() const { return m_user; }

private:
    bool verifyHostKey(const SshOptions &options, const SshHooks &hooks, QString *error);
    bool authenticate(const SshOptions &options, const SshHooks &hooks, QString *error);
    QString sshError() const;
    void terminateSiblings();

    ssh_session_struct *m_session = nullptr;
    mutable std::mutex m_fdMutex;
    int m_fd = -1; // a duplicate of libssh's socket, for abort()
    std::atomic_bool m_aborted{false};
    QString m_host;
    int m_port = 22;
    QString m_user;
    QString m_configIdentity;
};

// Connects, runs one command, disconnects: for the command line. The output is collected in the
// result, or passed to OUTPUT as it arrives when one is given (`pier ssh NODE -- tail -f ...`).
SshRunResult
runSshCommand(const QString &host, int port, const QString &user, const SshOptions &options,
              const QString &command, int timeoutMs, const SshHooks &hooks = {},
              const std::function<void(const QByteArray &, bool isStderr)> &output = {});

} // namespace pier::ssh
