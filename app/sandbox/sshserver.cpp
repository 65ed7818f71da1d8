#include "sandbox/sshserver.h"

#include <QFile>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pier::sandbox {

namespace {

void logLine(const char *fmt, const std::string &a = {}, const std::string &b = {})
{
    std::fprintf(stderr, fmt, a.c_str(), b.c_str());
    std::fputc('\n', stderr);
    std::fflush(stderr);
}

struct Prepared {
    std::string hostKeyFile;
    std::string user;
    std::string home;
    ssh_key authorized = nullptr;
};

// Runs COMMAND (empty: a shell reading the channel) and relays it over CHANNEL; returns the exit
// status to report.
int runCommand(ssh_session session, ssh_channel channel, const Prepared &p,
               const std::string &command)
{
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
        return 255;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setsid();
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        ::signal(SIGPIPE, SIG_DFL);
        if (::chdir(p.home.c_str()) != 0)
            (void)::chdir("/");
        const std::string home = "HOME=" + p.home, user = "USER=" + p.user,
                          logname = "LOGNAME=" + p.user;
        char *const env[] = {
            const_cast<char *>(home.c_str()),
            const_cast<char *>(user.c_str()),
            const_cast<char *>(logname.c_str()),
            const_cast<char *>("SHELL=/bin/sh"),
            const_cast<char *>("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            nullptr};
        if (command.empty()) {
            char *const argv[] = {const_cast<char *>("sh"), nullptr};
            ::execve("/bin/sh", argv, env);
        } else {
            char *const argv[] = {const_cast<char *>("sh"), const_cast<char *>("-c"),
                                  const_cast<char *>(command.c_str()), nullptr};
            ::execve("/bin/sh", argv, env);
        }
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (pid < 0) {
        ::close(in[1]);
        ::close(out[0]);
        ::close(err[0]);
        return 255;
    }
    int stdinFd = in[1];
    int fds[2] = {out[0], err[0]};
    char buf[16384];
    bool clientGone = false;
    while (fds[0] >= 0 || fds[1] >= 0) {
        // Whatever the client sent (libssh may hold some already): the command's stdin.
        if (!clientGone) {
            const int n = ssh_channel_read_nonblocking(channel, buf, sizeof buf, 0);
            if (n > 0 && stdinFd >= 0) {
                if (::write(stdinFd, buf, size_t(n)) < 0) {
                    ::close(stdinFd);
                    stdinFd = -1;
                }
            } else if (n == SSH_ERROR) {
                clientGone = true;
            }
            if (stdinFd >= 0 && ssh_channel_is_eof(channel)) {
                ::close(stdinFd);
                stdinFd = -1;
            }
            if (!ssh_channel_is_open(channel))
                clientGone = true;
        }
        pollfd pfd[3];
        int count = 0;
        for (int fd : fds) {
            if (fd >= 0)
                pfd[count++] = {fd, POLLIN, 0};
        }
        pfd[count++] = {ssh_get_fd(session), POLLIN, 0};
        ::poll(pfd, nfds_t(count), clientGone ? 100 : 50);
        for (int i = 0; i < 2; ++i) {
            if (fds[i] < 0)
                continue;
            pollfd one{fds[i], POLLIN, 0};
            if (::poll(&one, 1, 0) <= 0)
                continue;
            const ssize_t n = ::read(fds[i], buf, sizeof buf);
            if (n <= 0) {
                ::close(fds[i]);
                fds[i] = -1;
                continue;
            }
            if (!clientGone) {
                const int w = i == 0 ? ssh_channel_write(channel, buf, uint32_t(n))
                                     : ssh_channel_write_stderr(channel, buf, uint32_t(n));
                if (w == SSH_ERROR)
                    clientGone = true;
            }
        }
        if (clientGone && fds[0] < 0 && fds[1] < 0)
            break;
        if (clientGone)
            ::kill(-pid, SIGHUP);
    }
    if (stdinFd >= 0)
        ::close(stdinFd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// One connection, in its own process.
void serveConnection(int fd, const Prepared &p)
{
    ssh_bind bind = ssh_bind_new();
    ssh_session session = ssh_new();
    ssh_bind_options_set(bind, SSH_BIND_OPTIONS_HOSTKEY, p.hostKeyFile.c_str());
    if (ssh_bind_accept_fd(bind, session, fd) != SSH_OK ||
        ssh_handle_key_exchange(session) != SSH_OK) {
        logLine("key exchange failed: %s", ssh_get_error(session));
        return;
    }
    ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY);
    bool authenticated = false;
    ssh_channel channel = nullptr;
    while (ssh_message m = ssh_message_get(session)) {
        const int type = ssh_message_type(m);
        const int subtype = ssh_message_subtype(m);
        bool handled = false;
        if (type == SSH_REQUEST_AUTH && subtype == SSH_AUTH_METHOD_PUBLICKEY) {
            const char *user = ssh_message_auth_user(m);
            const bool match =
                user && p.user == user &&
                ssh_key_cmp(ssh_message_auth_pubkey(m), p.authorized, SSH_KEY_CMP_PUBLIC) == 0;
            if (match) {
                const auto state = ssh_message_auth_publickey_state(m);
                if (state == SSH_PUBLICKEY_STATE_NONE) {
                    ssh_message_auth_reply_pk_ok_simple(m);
                    handled = true;
                } else if (state == SSH_PUBLICKEY_STATE_VALID) {
                    ssh_message_auth_reply_success(m, 0);
                    authenticated = true;
                    handled = true;
                    logLine("accepted publickey for %s", p.user);
                }
            } else {
                logLine("rejected a key for user %s", user ? user : "");
            }
        } else if (authenticated && type == SSH_REQUEST_CHANNEL_OPEN &&
                   subtype == SSH_CHANNEL_SESSION && !channel) {
            channel = ssh_message_channel_request_open_reply_accept(m);
            handled = channel != nullptr;
        } else if (authenticated && channel && type == SSH_REQUEST_CHANNEL) {
            if (subtype == SSH_CHANNEL_REQUEST_PTY || subtype == SSH_CHANNEL_REQUEST_ENV) {
                // No terminal; the command runs on pipes. Accepted so clients go on.
                ssh_message_channel_request_reply_success(m);
                handled = true;
            } else if (subtype == SSH_CHANNEL_REQUEST_EXEC ||
                       subtype == SSH_CHANNEL_REQUEST_SHELL) {
                const char *cmd = subtype == SSH_CHANNEL_REQUEST_EXEC
                                      ? ssh_message_channel_request_command(m)
                                      : nullptr;
                const std::string command = cmd ? cmd : "";
                ssh_message_channel_request_reply_success(m);
                ssh_message_free(m);
                // Not the command itself: it may hold secrets.
                logLine("running %s for %s", command.empty() ? "a shell" : "a command", p.user);
                const int status = runCommand(session, channel, p, command);
                ssh_channel_request_send_exit_status(channel, status);
                ssh_channel_send_eof(channel);
                ssh_channel_close(channel);
                // The client closes the connection once it has everything; hanging up first
                // would make it report "closed by remote host".
                ssh_blocking_flush(session, 5000);
                const int sock = ssh_get_fd(session);
                for (int i = 0; i < 50; ++i) {
                    pollfd pfd{sock, POLLIN, 0};
                    if (::poll(&pfd, 1, 100) <= 0)
                        continue;
                    char buf[4096];
                    if (::recv(sock, buf, sizeof buf, 0) <= 0)
                        break;
                }
                return;
            }
        }
        if (!handled) {
            if (type == SSH_REQUEST_AUTH)
                ssh_message_auth_set_methods(m, SSH_AUTH_METHOD_PUBLICKEY);
            ssh_message_reply_default(m);
        }
        ssh_message_free(m);
    }
    ssh_disconnect(session);
}

} // namespace

int listenSshSocket(const QString &address, quint16 port, quint16 *boundPort, QString *error)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        ::inet_pton(AF_INET, address.toLatin1().constData(), &addr.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
        ::listen(fd, 64) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
        *error = QStringLiteral("cannot listen on %1:%2: %3")
                     .arg(address)
                     .arg(port)
                     .arg(QString::fromLocal8Bit(std::strerror(errno)));
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    if (boundPort)
        *boundPort = ntohs(addr.sin_port);
    return fd;
}

int runSshServer(int listenFd, const SshServerConfig &config)
{
    Prepared p;
    p.hostKeyFile = QFile::encodeName(config.hostKeyFile).toStdString();
    p.user = config.user.toStdString();
    p.home = QFile::encodeName(config.home).toStdString();
    const QList<QByteArray> fields = config.authorizedKey.trimmed().split(' ');
    if (fields.size() < 2 ||
        ssh_pki_import_pubkey_base64(fields.at(1).constData(),
                                     ssh_key_type_from_name(fields.at(0).constData()),
                                     &p.authorized) != SSH_OK) {
        logLine("the authorized key is not a public key line");
        return 1;
    }
    ssh_key host = nullptr;
    if (ssh_pki_import_privkey_file(p.hostKeyFile.c_str(), nullptr, nullptr, nullptr, &host) !=
        SSH_OK) {
        logLine("cannot read the host key %s", p.hostKeyFile);
        return 1;
    }
    ssh_key_free(host);
    ssh_init();
    // Connections are separate processes; the kernel reaps them.
    ::signal(SIGCHLD, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    logLine("libssh server for %s ready", p.user);
    for (;;) {
        const int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
                continue;
            logLine("accept failed: %s", std::strerror(errno));
            return 1;
        }
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::close(listenFd);
            ::signal(SIGCHLD, SIG_DFL);
            serveConnection(fd, p);
            ::_exit(0);
        }
        ::close(fd);
    }
}

qint64 startSshServer(const QString &netnsPath, const QString &mntnsFile, const QString &logFile,
                      const SshServerConfig &config, QString *error)
{
    const QByteArray net = QFile::encodeName(netnsPath);
    const QByteArray mnt = QFile::encodeName(mntnsFile);
    QByteArray uts = mnt;
    if (uts.endsWith(".mnt"))
        uts.chop(4);
    uts += ".uts";
    const QByteArray log = QFile::encodeName(logFile);
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) {
        *error = QStringLiteral("pipe: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return -1;
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Nothing of the parent's stays open here (its locks and listening sockets among them).
        ::close_range(3, unsigned(ready[1]) - 1, 0);
        ::close_range(unsigned(ready[1]) + 1, ~0U, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent)
            ::_exit(1);
        const int logFd = ::open(log.constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (logFd >= 0) {
            ::dup2(logFd, 1);
            ::dup2(logFd, 2);
        }
        const int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            ::dup2(devnull, 0);
        std::string why;
        // Every namespace file is opened first: inside the node's mount namespace they are not
        // all visible any more.
        const std::pair<QByteArray, int> spaces[] = {
            {mnt, CLONE_NEWNS},
            {mnt.isEmpty() ? QByteArray() : uts, CLONE_NEWUTS},
            {net, CLONE_NEWNET}};
        int fds[3] = {-1, -1, -1};
        bool entered = true;
        for (int i = 0; i < 3 && entered; ++i) {
            if (!spaces[i].first.isEmpty() &&
                (fds[i] = ::open(spaces[i].first.constData(), O_RDONLY | O_CLOEXEC)) < 0) {
                why = "cannot open " + spaces[i].first.toStdString() + ": " + std::strerror(errno);
                entered = false;
            }
        }
        for (int i = 0; i < 3 && entered; ++i) {
            if (fds[i] >= 0 && ::setns(fds[i], spaces[i].second) != 0) {
                why = "cannot enter " + spaces[i].first.toStdString() + ": " + std::strerror(errno);
                entered = false;
            }
        }
        QString err;
        int listenFd = -1;
        if (entered) {
            listenFd = listenSshSocket(QStringLiteral("0.0.0.0"), 22, nullptr, &err);
            if (listenFd < 0)
                why = err.toStdString();
        }
        const char status = listenFd >= 0 ? 'y' : 'n';
        (void)::write(ready[1], &status, 1);
        if (listenFd < 0) {
            if (!why.empty())
                (void)::write(ready[1], why.data(), why.size());
            ::_exit(1);
        }
        ::close(ready[1]);
        ::_exit(runSshServer(listenFd, config));
    }
    ::close(ready[1]);
    if (pid < 0) {
        ::close(ready[0]);
        *error =
            QStringLiteral("fork failed: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return -1;
    }
    QByteArray answer;
    char buf[512];
    ssize_t n;
    while ((n = ::read(ready[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            answer.append(buf, n);
    ::close(ready[0]);
    if (!answer.startsWith('y')) {
        ::waitpid(pid, nullptr, 0);
        *error = QStringLiteral("cannot start the SSH server: %1")
                     .arg(QString::fromLocal8Bit(answer.mid(1)));
        return -1;
    }
    return pid;
}

} // namespace pier::sandbox
