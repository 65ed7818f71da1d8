#pragma once

// A small SSH server on libssh for the sandbox's nodes when Pier runs without root: OpenSSH's sshd
// cannot run inside an unprivileged user namespace (its privilege separation needs setgroups and
// other users), so each node gets this one instead. It accepts one user with one public key, and
// runs exec and shell requests as `/bin/sh -c COMMAND` (or /bin/sh) in the server's own namespaces
// with stdin, stdout, stderr and the exit status over the channel. No password, no pty, no
// forwarding. Each connection is served by its own forked process.

#include <QByteArray>
#include <QString>

namespace pier::sandbox {

struct SshServerConfig {
    QString hostKeyFile;      // the private host key (OpenSSH format)
    QString user;             // the only user accepted
    QByteArray authorizedKey; // "ssh-ed25519 AAAA... comment": the only key accepted
    QString home;             // HOME and working directory of the commands
};

// Serves SSH on the listening socket LISTEN_FD until the process is killed. Never returns unless
// the configuration is unusable (then returns 1 after printing why on stderr).
int runSshServer(int listenFd, const SshServerConfig &config);

// A listening TCP socket on ADDRESS:PORT (0 picks one; *BOUND_PORT says which), or -1.
int listenSshSocket(const QString &address, quint16 port, quint16 *boundPort, QString *error);

// Forks a process that enters NETNS (a path under /run/netns or empty) and the mount and UTS
// namespaces bound at MNTNS_FILE (or empty), listens on 0.0.0.0:22 there and serves SSH, writing
// its log to LOG_FILE. It dies with the calling thread. Returns its pid, or -1.
qint64 startSshServer(const QString &netnsPath, const QString &mntnsFile, const QString &logFile,
                      const SshServerConfig &config, QString *error);

} // namespace pier::sandbox
