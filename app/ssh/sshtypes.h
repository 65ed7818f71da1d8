#pragma once

// What an SSH session is given and what it reports, shared by the asynchronous SshSession and the
// synchronous runSshCommand().

#include <QByteArray>
#include <QDir>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace pier::ssh {

Q_NAMESPACE

enum class SshState {
    Idle,             // not asked to connect yet
    Connecting,       // TCP (through the proxy, if any) and the key exchange
    VerifyingHostKey, // waiting for the user to accept an unknown host key
    Authenticating,   // agent, keys, passphrases
    Ready,            // commands run
    Failed,           // the reason says why; connect again to retry
    Closed,           // closed by close() or by the other end
};
Q_ENUM_NS(SshState)

QString stateName(SshState state);

struct SshOptions {
    // A key file to use (its passphrase, if any, through the passphrase hook). Empty: ssh-agent,
    // then the IdentityFile of the ssh config, then SSH_DIR/id_ed25519, id_ecdsa, id_rsa.
    QString keyFile;
    // Passphrase to try first for encrypted keys (e.g. from the keychain); asked when wrong.
    QString passphrase;
    // Host keys are checked against, and accepted ones appended to, this file.
    QString knownHostsFile = QDir::homePath() + QStringLiteral("/.ssh/known_hosts");
    // Checked too, never written. Empty: none.
    QString globalKnownHostsFile = QStringLiteral("/etc/ssh/ssh_known_hosts");
    // ssh_config files, first match wins (as in OpenSSH): User, Port, Hostname, IdentityFile.
    QStringList configFiles{QDir::homePath() + QStringLiteral("/.ssh/config"),
                            QStringLiteral("/etc/ssh/ssh_config")};
    // Where the default keys are looked for.
    QString sshDir = QDir::homePath() + QStringLiteral("/.ssh");
    // ssh-agent's socket; empty: none.
    QString agentSocket = qEnvironmentVariable("SSH_AUTH_SOCK");
    // "host:port" of a SOCKS5 proxy to reach the node through; empty: direct.
    QString socksProxy;
    // For the TCP connection, the key exchange and each authentication step.
    int connectTimeoutMs = 15000;
};

// A host key the known_hosts file does not vouch for.
struct SshHostKey {
    QString host;           // as written to known_hosts: "node1" or "[127.0.0.1]:2222"
    QString type;           // "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"
    QString fingerprint;    // "SHA256:..." exactly as `ssh-keygen -lf` prints it
    QString knownHostsFile; // where it would be stored
};

struct SshCommandResult {
    enum class Status {
        Exited,    // exitStatus holds the command's exit code
        Signalled, // the command was killed by `signal`
        TimedOut,  // the per-command timeout struck; the command was sent SIGTERM, channel closed
        Cancelled, // cancel() was called; the same
        Failed,    // the command could not run (not connected, channel refused, connection lost)
    };
    Status status = Status::Failed;
    int exitStatus = -1;
    QString signal; // "KILL", "TERM", ... for Signalled
    QString error;  // why, in words, for everything but Exited 0

    bool ok() const { return status == Status::Exited && exitStatus == 0; }
    // One line a log or a pane can show: "exit status 2", "killed by signal TERM", the error.
    QString summary() const;
};

// Result of the synchronous helper: the command's result and its output.
struct SshRunResult : SshCommandResult {
    QByteArray out;
    QByteArray err;
};

} // namespace pier::ssh

Q_DECLARE_METATYPE(pier::ssh::SshHostKey)
Q_DECLARE_METATYPE(pier::ssh::SshCommandResult)
