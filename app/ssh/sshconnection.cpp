#include "ssh/sshconnection.h"

#include "ssh/knownhosts.h"
#include "ssh/sshsocket.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcSsh, "pier.ssh", QtInfoMsg)

namespace pier::ssh {

namespace {

QString localUserName()
{
    if (const passwd *pw = ::getpwuid(::getuid()))
        return QString::fromLocal8Bit(pw->pw_name);
    return qEnvironmentVariable("USER");
}

// ~/x and libssh's %d/x (its ssh directory) as real paths.
QString expandPath(const QString &path, const QString &sshDir)
{
    if (path.startsWith(QLatin1String("~/")))
        return QDir::homePath() + path.mid(1);
    if (path.startsWith(QLatin1String("%d/")))
        return sshDir + path.mid(2);
    return path;
}

// A path as the user would write it: ~/.ssh/id_rsa.
QString displayPath(const QString &path)
{
    const QString home = QDir::homePath();
    if (path.startsWith(home + QLatin1Char('/')))
        return QLatin1Char('~') + path.mid(home.size());
    return path;
}

QString optionString(ssh_session s, ssh_options_e type)
{
    char *value = nullptr;
    if (ssh_options_get(s, type, &value) != SSH_OK || !value)
        return {};
    const QString v = QString::fromUtf8(value);
    ssh_string_free_char(value);
    return v;
}

QString joinWords(const QStringList &items)
{
    if (items.size() <= 1)
        return items.value(0);
    return items.mid(0, items.size() - 1).join(QStringLiteral(", ")) + QStringLiteral(" and ") +
           items.last();
}

QString methodNames(int methods)
{
    QStringList names;
    if (methods & SSH_AUTH_METHOD_PASSWORD)
        names << QStringLiteral("password");
    if (methods & SSH_AUTH_METHOD_INTERACTIVE)
        names << QStringLiteral("keyboard-interactive");
    if (methods & SSH_AUTH_METHOD_GSSAPI_MIC)
        names << QStringLiteral("gssapi");
    if (methods & SSH_AUTH_METHOD_HOSTBASED)
        names << QStringLiteral("hostbased");
    return names.isEmpty() ? QStringLiteral("nothing Pier supports")
                           : names.join(QStringLiteral(", "));
}

// Without a callback, OpenSSL asks for a PEM key's passphrase on the terminal, from the worker
// thread; passphrases come only through SshHooks.
int noPrompt(const char *, char *, size_t, int, int, void *)
{
    return -1;
}

struct ExitInfo {
    bool hasStatus = false;
    int status = -1;
    QString signal;
};

void onExitStatus(ssh_session, ssh_channel, int status, void *userdata)
{
    auto *info = static_cast<ExitInfo *>(userdata);
    info->hasStatus = true;
    info->status = status;
}

void onExitSignal(ssh_session, ssh_channel, const char *signal, int, const char *, const char *,
                  void *userdata)
{
    static_cast<ExitInfo *>(userdata)->signal = QString::fromUtf8(signal ? signal : "?");
}

} // namespace

SshConnection::SshConnection() = default;

SshConnection::~SshConnection()
{
    disconnect();
}

QString SshConnection::sshError() const
{
    return m_session ? QString::fromUtf8(ssh_get_error(m_session)) : QString();
}

void SshConnection::abort()
{
    m_aborted = true;
    std::lock_guard<std::mutex> lock(m_fdMutex);
    if (m_fd >= 0)
        ::shutdown(m_fd, SHUT_RDWR);
}

bool SshConnection::isConnected() const
{
    return m_session && ssh_is_connected(m_session);
}

void SshConnection::disconnect()
{
    std::lock_guard<std::mutex> lock(m_fdMutex);
    if (m_session) {
        // libssh closes a socket it was given on errors and in ssh_free(), but ssh_disconnect()
        // leaves it open (and forgets it): close it then, and only then.
        const int libsshFd = ssh_get_fd(m_session);
        if (libsshFd >= 0 && ssh_is_connected(m_session)) {
            ssh_disconnect(m_session);
            ::close(libsshFd);
        }
        ssh_free(m_session);
        m_session = nullptr;
    }
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

bool SshConnection::connect(const QString &host, int port, const QString &user,
                            const SshOptions &options, const SshHooks &hooks, QString *error)
{
    disconnect();
    m_aborted = false;
    auto setState = [&](SshState st) {
        if (hooks.state)
            hooks.state(st);
    };
    setState(SshState::Connecting);

    m_session = ssh_new();
    if (!m_session) {
        *error = QStringLiteral("cannot start an SSH session (out of memory?)");
        return false;
    }
    ssh_session s = m_session;
    // The config is read here, from the files given, not behind our back at connect time.
    const int no = 0;
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
    ssh_options_set(s, SSH_OPTIONS_SSH_DIR, QFile::encodeName(options.sshDir).constData());
    if (ssh_options_set(s, SSH_OPTIONS_HOST, host.toUtf8().constData()) != SSH_OK) {
        *error = QStringLiteral("\"%1\" is not a host name").arg(host);
        return false;
    }
    // libssh lets a later file override an earlier one; OpenSSH's rule is first match wins, so
    // the most important file is read last.
    for (auto it = options.configFiles.crbegin(); it != options.configFiles.crend(); ++it) {
        if (!QFileInfo::exists(*it))
            continue;
        if (ssh_options_parse_config(s, QFile::encodeName(*it).constData()) != SSH_OK) {
            *error = QStringLiteral("cannot read the ssh config %1: %2").arg(*it, sshError());
            return false;
        }
    }
    const QString proxyCommand = optionString(s, SSH_OPTIONS_PROXYCOMMAND);
    if (!proxyCommand.isEmpty()) {
        // libssh turns ProxyJump into "ssh -W ... jumphost"; both would run a program we do not
        // control, so say so rather than ignore it.
        const bool jump = proxyCommand.startsWith(QLatin1String("ssh ")) &&
                          proxyCommand.contains(QLatin1String(" -W "));
        *error = jump ? QStringLiteral("the ssh config sets a ProxyJump for %1; ProxyJump is not "
                                       "supported: use a SOCKS5 proxy in the profile instead")
                            .arg(host)
                      : QStringLiteral("the ssh config sets a ProxyCommand for %1, which Pier "
                                       "does not run: use a SOCKS5 proxy in the profile instead")
                            .arg(host);
        return false;
    }
    if (port > 0)
        ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    if (!user.isEmpty())
        ssh_options_set(s, SSH_OPTIONS_USER, user.toUtf8().constData());
    m_host = optionString(s, SSH_OPTIONS_HOST);
    unsigned int effectivePort = 22;
    ssh_options_get_port(s, &effectivePort);
    m_port = int(effectivePort);
    m_user = optionString(s, SSH_OPTIONS_USER);
    if (m_user.isEmpty()) {
        m_user = localUserName();
        ssh_options_set(s, SSH_OPTIONS_USER, m_user.toUtf8().constData());
    }
    // The head of libssh's identity list is the config's IdentityFile, when there is one.
    m_configIdentity = optionString(s, SSH_OPTIONS_IDENTITY);
    if (m_configIdentity.startsWith(QLatin1String("%d/id_")))
        m_configIdentity.clear();

    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS,
                    QFile::encodeName(options.knownHostsFile).constData());
    const QString global = options.globalKnownHostsFile.isEmpty() ? QStringLiteral("/dev/null")
                                                                  : options.globalKnownHostsFile;
    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, QFile::encodeName(global).constData());
    const long timeoutSec = qMax(1, (options.connectTimeoutMs + 999) / 1000);
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeoutSec);
    if (!options.agentSocket.isEmpty())
        ssh_options_set(s, SSH_OPTIONS_IDENTITY_AGENT,
                        QFile::encodeName(options.agentSocket).constData());

    QString err;
    const int fd = options.socksProxy.isEmpty()
                       ? tcpConnect(m_host, m_port, options.connectTimeoutMs, &err, &m_aborted)
                       : socks5Connect(options.socksProxy, m_host, m_port, options.connectTimeoutMs,
                                       &err, &m_aborted);
    if (fd < 0) {
        *error = err;
        return false;
    }
    {
        // abort() shuts down our own duplicate, which stays valid whatever libssh does with fd.
        std::lock_guard<std::mutex> lock(m_fdMutex);
        m_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (m_aborted && m_fd >= 0)
            ::shutdown(m_fd, SHUT_RDWR);
    }
    ssh_options_set(s, SSH_OPTIONS_FD, &fd);
    const QDeadlineTimer handshake(options.connectTimeoutMs);
    if (ssh_connect(s) != SSH_OK) {
        if (m_aborted)
            *error = QStringLiteral("cancelled");
        else if (handshake.hasExpired())
            *error = QStringLiteral("no SSH answer from %1 port %2 within %3 s (something listens "
                                    "there, but it is not an SSH server, or it is overloaded)")
                         .arg(m_host)
                         .arg(m_port)
                         .arg(options.connectTimeoutMs / 1000.0);
        else
            *error = QStringLiteral("SSH handshake with %1 port %2 failed: %3 (is it an SSH "
                                    "server?)")
                         .arg(m_host)
                         .arg(m_port)
                         .arg(sshError());
        disconnect();
        return false;
    }
    setState(SshState::VerifyingHostKey);
    if (!verifyHostKey(options, hooks, error)) {
        disconnect();
        return false;
    }
    setState(SshState::Authenticating);
    if (!authenticate(options, hooks, error)) {
        disconnect();
        return false;
    }
    qCDebug(lcSsh) << "connected to" << m_host << m_port << "as" << m_user;
    return true;
}

bool SshConnection::verifyHostKey(const SshOptions &options, const SshHooks &hooks, QString *error)
{
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(m_session, &key) != SSH_OK) {
        *error = QStringLiteral("%1 sent no host key: %2").arg(m_host, sshError());
        return false;
    }
    unsigned char *hash = nullptr;
    size_t hashLen = 0;
    SshHostKey info;
    info.host = knownHostsName(m_host, m_port);
    info.knownHostsFile = options.knownHostsFile;
    info.type = QString::fromUtf8(ssh_key_type_to_char(ssh_key_type(key)));
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hashLen) == SSH_OK) {
        char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hashLen);
        info.fingerprint = QString::fromUtf8(fp);
        ssh_string_free_char(fp);
        ssh_clean_pubkey_hash(&hash);
    }
    ssh_key_free(key);

    const ssh_known_hosts_e known = ssh_session_is_known_server(m_session);
    switch (known) {
    case SSH_KNOWN_HOSTS_OK:
        return true;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER: {
        const QList<int> lines = knownHostsLines(options.knownHostsFile, info.host);
        QStringList numbers;
        for (int l : lines)
            numbers << QString::number(l);
        const QString where =
            lines.isEmpty() ? QStringLiteral("its entry in %1 (or in %2)")
                                  .arg(options.knownHostsFile, options.globalKnownHostsFile)
                            : QStringLiteral("line %1 of %2")
                                  .arg(numbers.join(QStringLiteral(", ")), options.knownHostsFile);
        *error =
            QStringLiteral(
                "the host key of %1 has changed (it now sends %2 %3), so Pier refuses to "
                "connect. Either the node was reinstalled or its key regenerated, or someone "
                "between you and the node is intercepting the connection. If you know the node "
                "was rebuilt, remove %4 (ssh-keygen -f %5 -R '%1') and connect again to check "
                "the new key.")
                .arg(info.host, info.type, info.fingerprint, where, options.knownHostsFile);
        if (hooks.hostKeyChanged)
            hooks.hostKeyChanged(info);
        return false;
    }
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND: {
        const bool accepted = hooks.askHostKey && hooks.askHostKey(info);
        if (m_aborted) {
            *error = QStringLiteral("cancelled");
            return false;
        }
        if (!accepted) {
            *error = QStringLiteral("the host key of %1 (%2 %3) is not known and was not "
                                    "accepted")
                         .arg(info.host, info.type, info.fingerprint);
            return false;
        }
        QDir().mkpath(QFileInfo(options.knownHostsFile).absolutePath());
        if (ssh_session_update_known_hosts(m_session) != SSH_OK) {
            *error = QStringLiteral("cannot add the host key of %1 to %2: %3")
                         .arg(info.host, options.knownHostsFile, sshError());
            return false;
        }
        qCInfo(lcSsh) << "host key of" << info.host << info.fingerprint << "added to"
                      << options.knownHostsFile;
        return true;
    }
    case SSH_KNOWN_HOSTS_ERROR:
        break;
    }
    *error = QStringLiteral("cannot check the host key of %1 against %2: %3")
                 .arg(info.host, options.knownHostsFile, sshError());
    return false;
}

bool SshConnection::authenticate(const SshOptions &options, const SshHooks &hooks, QString *error)
{
    ssh_session s = m_session;
    int rc = ssh_userauth_none(s, nullptr);
    if (rc == SSH_AUTH_SUCCESS)
        return true;
    if (rc == SSH_AUTH_ERROR) {
        *error = m_aborted
                     ? QStringLiteral("cancelled")
                     : QStringLiteral("authentication with %1 failed: %2").arg(m_host, sshError());
        return false;
    }
    const int methods = ssh_userauth_list(s, nullptr);
    if (!(methods & SSH_AUTH_METHOD_PUBLICKEY)) {
        *error = QStringLiteral("%1 does not accept SSH keys for user %2 (it offers %3); Pier "
                                "logs in with keys only")
                     .arg(m_host, m_user, methodNames(methods));
        return false;
    }

    QStringList refused;  // what the server said no to, in words
    QStringList problems; // keys we could not even offer
    auto authError = [&]() {
        *error = m_aborted
                     ? QStringLiteral("cancelled")
                     : QStringLiteral("authentication with %1 failed: %2").arg(m_host, sshError());
        return false;
    };

    // SUCCESS, DENIED or ERROR (in *error), or PARTIAL when skipped.
    auto tryKeyFile = [&](const QString &path) -> int {
        if (!QFileInfo::exists(path)) {
            problems << QStringLiteral("%1 does not exist").arg(displayPath(path));
            return SSH_AUTH_PARTIAL;
        }
        const QByteArray file = QFile::encodeName(path);
        ssh_key pub = nullptr;
        if (ssh_pki_import_pubkey_file((file + ".pub").constData(), &pub) == SSH_OK) {
            // Ask the server first, so a passphrase is only asked for a key it would take.
            const int r = ssh_userauth_try_publickey(s, nullptr, pub);
            ssh_key_free(pub);
            if (r == SSH_AUTH_DENIED) {
                refused << displayPath(path);
                return r;
            }
            if (r == SSH_AUTH_ERROR)
                return r;
        }
        ssh_key priv = nullptr;
        if (ssh_pki_import_privkey_file(file.constData(), nullptr, noPrompt, nullptr, &priv) !=
            SSH_OK) {
            // Encrypted (or unreadable): the stored passphrase first, then ask.
            bool opened = false;
            bool retry = false;
            if (!options.passphrase.isEmpty()) {
                opened = ssh_pki_import_privkey_file(file.constData(),
                                                     options.passphrase.toUtf8().constData(),
                                                     noPrompt, nullptr, &priv) == SSH_OK;
                retry = !opened;
            }
            for (int attempt = 0; !opened && attempt < 3 && hooks.askPassphrase; ++attempt) {
                const std::optional<QString> p = hooks.askPassphrase(path, retry);
                if (!p || m_aborted)
                    break;
                opened = ssh_pki_import_privkey_file(file.constData(), p->toUtf8().constData(),
                                                     noPrompt, nullptr, &priv) == SSH_OK;
                retry = !opened;
                if (opened && hooks.keyUnlocked)
                    hooks.keyUnlocked(path);
            }
            if (!opened) {
                problems << (retry ? QStringLiteral("the passphrase for %1 was wrong")
                                   : QStringLiteral("%1 could not be opened (no passphrase given, "
                                                    "or not a key file)"))
                                .arg(displayPath(path));
                return SSH_AUTH_PARTIAL;
            }
        }
        const int r = ssh_userauth_publickey(s, nullptr, priv);
        ssh_key_free(priv);
        if (r == SSH_AUTH_DENIED)
            refused << displayPath(path);
        return r;
    };

    // A chosen key goes first, then the agent; without one, the agent, then the ssh config's
    // IdentityFile, then the default keys. An empty entry stands for the agent.
    QStringList order;
    if (!options.keyFile.isEmpty()) {
        order << expandPath(options.keyFile, options.sshDir) << QString();
    } else {
        order << QString();
        if (!m_configIdentity.isEmpty())
            order << expandPath(m_configIdentity, options.sshDir);
        for (const char *name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
            const QString p = options.sshDir + QLatin1Char('/') + QLatin1String(name);
            if (!order.contains(p) && QFileInfo::exists(p))
                order << p;
        }
    }
    for (const QString &keyFile : std::as_const(order)) {
        if (m_aborted)
            return authError();
        if (keyFile.isEmpty()) {
            if (options.agentSocket.isEmpty())
                continue;
            rc = ssh_userauth_agent(s, nullptr);
            if (rc == SSH_AUTH_SUCCESS)
                return true;
            if (rc == SSH_AUTH_DENIED) {
                refused << QStringLiteral("the keys of ssh-agent");
                continue;
            }
            if (!ssh_is_connected(s))
                return authError();
            continue; // the agent may be gone: go on with the files
        }
        rc = tryKeyFile(keyFile);
        if (rc == SSH_AUTH_SUCCESS)
            return true;
        if (rc == SSH_AUTH_ERROR)
            return authError();
    }
    if (!refused.isEmpty()) {
        *error = QStringLiteral("the server %1 refused %2 %3 for user %4")
                     .arg(m_host,
                          refused.size() == 1 && !refused.first().startsWith(QLatin1String("the "))
                              ? QStringLiteral("key")
                              : QStringLiteral("the keys"),
                          joinWords(refused), m_user);
        if (!problems.isEmpty())
            *error += QStringLiteral("; also, ") + problems.join(QStringLiteral("; "));
        *error += QStringLiteral(" (is the public key in ~%1/.ssh/authorized_keys on the node?)")
                      .arg(m_user);
    } else if (!problems.isEmpty()) {
        *error = QStringLiteral("no key could be offered to %1: %2")
                     .arg(m_host, problems.join(QStringLiteral("; ")));
    } else {
        *error = QStringLiteral("no SSH key to log in to %1 with: no ssh-agent (SSH_AUTH_SOCK), "
                                "no key file chosen, and none of %2/id_ed25519, id_ecdsa, id_rsa "
                                "exists")
                     .arg(m_host, displayPath(options.sshDir));
    }
    return false;
}

SshCommandResult SshConnection::run(const QString &command, int timeoutMs,
                                    const std::atomic_bool &cancel,
                                    const std::function<void(const QByteArray &, bool)> &output)
{
    SshCommandResult result;
    if (!isConnected()) {
        result.error = QStringLiteral("not connected to %1").arg(m_host);
        return result;
    }
    auto lost = [&](const QString &what) {
        result.status = SshCommandResult::Status::Failed;
        result.error = m_aborted ? QStringLiteral("cancelled")
                                 : QStringLiteral("%1 on %2: %3").arg(what, m_host, sshError());
        if (!isConnected())
            result.error =
                QStringLiteral("the connection to %1 was lost (%2)").arg(m_host, sshError());
        return result;
    };
    qCDebug(lcSsh).noquote() << m_user + QLatin1Char('@') + m_host << "runs" << command;
    ssh_channel ch = ssh_channel_new(m_session);
    if (!ch)
        return lost(QStringLiteral("cannot open a channel"));
    ExitInfo exit;
    ssh_channel_callbacks_struct cb{};
    cb.userdata = &exit;
    cb.channel_exit_status_function = onExitStatus;
    cb.channel_exit_signal_function = onExitSignal;
    ssh_callbacks_init(&cb);
    if (ssh_channel_open_session(ch) != SSH_OK) {
        ssh_channel_free(ch);
        return lost(QStringLiteral("the server refused a new channel"));
    }
    ssh_set_channel_callbacks(ch, &cb);
    if (ssh_channel_request_exec(ch, command.toUtf8().constData()) != SSH_OK) {
        ssh_channel_free(ch);
        return lost(QStringLiteral("the server refused to run the command"));
    }
    const QDeadlineTimer deadline =
        timeoutMs > 0 ? QDeadlineTimer(timeoutMs) : QDeadlineTimer(QDeadlineTimer::Forever);
    char buf[16384];
    bool stopped = false;
    while (!ssh_channel_is_eof(ch)) {
        if (cancel || deadline.hasExpired()) {
            const bool timedOut = !cancel;
            // Tell the remote command to stop, then drop the channel; the session stays usable.
            ssh_channel_request_send_signal(ch, "TERM");
            ssh_channel_close(ch);
            if (m_user == QLatin1String("root"))
                terminateSiblings();
            result.status =
                timedOut ? SshCommandResult::Status::TimedOut : SshCommandResult::Status::Cancelled;
            result.error = timedOut ? QStringLiteral("timed out after %1 s; the command was "
                                                     "stopped")
                                          .arg(timeoutMs / 1000.0)
                                    : QStringLiteral("cancelled");
            stopped = true;
            break;
        }
        const int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 100);
        if (n == SSH_ERROR) {
            ssh_channel_free(ch);
            return lost(QStringLiteral("reading the output failed"));
        }
        if (n > 0)
            output(QByteArray(buf, n), false);
        for (;;) {
            const int m = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1);
            if (m == SSH_ERROR) {
                ssh_channel_free(ch);
                return lost(QStringLiteral("reading the output failed"));
            }
            if (m <= 0)
                break;
            output(QByteArray(buf, m), true);
        }
    }
    if (!stopped) {
        // Output ends before the exit status arrives; wait for it (bounded by the session's
        // timeout).
        if (!exit.hasStatus && exit.signal.isEmpty())
            ssh_channel_get_exit_status(ch); // handles packets until the status or the close
        if (exit.hasStatus) {
            result.status = SshCommandResult::Status::Exited;
            result.exitStatus = exit.status;
        } else if (!exit.signal.isEmpty()) {
            result.status = SshCommandResult::Status::Signalled;
            result.signal = exit.signal;
        } else {
            result.status = SshCommandResult::Status::Failed;
            result.error = QStringLiteral("the command ended without an exit status");
        }
        ssh_channel_send_eof(ch);
        ssh_channel_close(ch);
    }
    ssh_channel_free(ch);
    return result;
}

void SshConnection::terminateSiblings()
{
    // OpenSSH refuses "signal" requests in root sessions ("session signalling requires privilege
    // separation"). sshd starts each command in its own process group under the connection's
    // process, and this session runs one command at a time: so from a second channel, every
    // other child of our parent ($PPID) is the command to stop.
    static const char script[] =
        "for s in /proc/[0-9]*/stat; do"
        " read -r pid rest < \"$s\" 2>/dev/null || continue;"
        " rest=${rest##*) }; set -- $rest;"
        " [ \"$2\" = \"$PPID\" ] && [ \"$pid\" != \"$$\" ] && kill -TERM -- -\"$pid\" 2>/dev/null;"
        " done; exit 0";
    ssh_channel ch = ssh_channel_new(m_session);
    if (!ch)
        return;
    if (ssh_channel_open_session(ch) == SSH_OK && ssh_channel_request_exec(ch, script) == SSH_OK) {
        char buf[256];
        const QDeadlineTimer deadline(5000);
        while (!ssh_channel_is_eof(ch) && !deadline.hasExpired()) {
            if (ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 100) == SSH_ERROR)
                break;
            ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1);
        }
        ssh_channel_close(ch);
    }
    ssh_channel_free(ch);
}

SshRunResult runSshCommand(const QString &host, int port, const QString &user,
                           const SshOptions &options, const QString &command, int timeoutMs,
                           const SshHooks &hooks,
                           const std::function<void(const QByteArray &, bool)> &output)
{
    SshRunResult result;
    SshConnection conn;
    QString error;
    if (!conn.connect(host, port, user, options, hooks, &error)) {
        result.status = SshCommandResult::Status::Failed;
        result.error = error;
        return result;
    }
    const std::atomic_bool never{false};
    static_cast<SshCommandResult &>(result) =
        conn.run(command, timeoutMs, never, [&](const QByteArray &data, bool isStderr) {
            if (output)
                output(data, isStderr);
            else
                (isStderr ? result.err : result.out) += data;
        });
    return result;
}

} // namespace pier::ssh
