#include "sandbox/netns.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

#include <cerrno>
#include <cstring>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pier::sandbox {

QString ProcessResult::errorText() const
{
    QString first = QString::fromLocal8Bit(err).trimmed().section(QLatin1Char('\n'), 0, 0);
    if (first.isEmpty())
        first = QString::fromLocal8Bit(out).trimmed().section(QLatin1Char('\n'), 0, 0);
    return QStringLiteral("%1 failed (exit %2)%3")
        .arg(command)
        .arg(exitCode)
        .arg(first.isEmpty() ? QString() : QStringLiteral(": ") + first);
}

ProcessResult runProcess(const QString &program, const QStringList &args, const QByteArray &input,
                         int timeoutMs)
{
    ProcessResult r;
    r.command = (QStringList{QFileInfo(program).fileName()} + args).join(QLatin1Char(' '));
    QProcess p;
    p.setProgram(program);
    p.setArguments(args);
    p.start();
    if (!p.waitForStarted(timeoutMs)) {
        r.err = p.errorString().toLocal8Bit();
        return r;
    }
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(2000);
        r.err = QByteArrayLiteral("timed out");
        return r;
    }
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

QString utsnsFileFor(const QString &mntnsFile)
{
    QString uts = mntnsFile;
    if (uts.endsWith(QLatin1String(".mnt")))
        uts.chop(4);
    return uts + QStringLiteral(".uts");
}

QString netnsPath(const QString &name)
{
    return QStringLiteral("/run/netns/") + name;
}

QStringList nsenterArgs(const QString &netns, const QString &mntnsFile, const QString &program,
                        const QStringList &args)
{
    QStringList a;
    if (!netns.isEmpty())
        a << QStringLiteral("--net=") + netnsPath(netns);
    if (!mntnsFile.isEmpty()) {
        a << QStringLiteral("--mount=") + mntnsFile;
        const QString uts = utsnsFileFor(mntnsFile);
        if (QFileInfo::exists(uts))
            a << QStringLiteral("--uts=") + uts;
    }
    a << QStringLiteral("--") << program << args;
    return a;
}

ProcessResult runInNamespace(const QString &netns, const QString &program, const QStringList &args,
                             const QByteArray &input, const QString &mntnsFile, int timeoutMs)
{
    static const QString nsenter = findProgram(QStringLiteral("nsenter"));
    ProcessResult r =
        runProcess(nsenter, nsenterArgs(netns, mntnsFile, program, args), input, timeoutMs);
    r.command = QStringLiteral("[%1] ").arg(netns) +
                (QStringList{QFileInfo(program).fileName()} + args).join(QLatin1Char(' '));
    return r;
}

namespace {

QString errnoText(const char *what, const QString &path = {})
{
    return QStringLiteral("%1%2: %3")
        .arg(QString::fromLatin1(what), path.isEmpty() ? QString() : QStringLiteral(" ") + path,
             QString::fromLocal8Bit(std::strerror(errno)));
}

bool enter(const QString &path, int type, QString *error)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *error = errnoText("cannot open namespace", path);
        return false;
    }
    const int rc = ::setns(fd, type);
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (rc != 0) {
        *error = errnoText("cannot enter namespace", path);
        return false;
    }
    return true;
}

} // namespace

bool runInNamespaceThread(const QString &netns, const QString &mntnsFile,
                          const std::function<void()> &fn, QString *error)
{
    QString err;
    bool ok = true;
    // Namespaces belong to the thread that enters them; a throwaway thread leaves ours as it was.
    std::thread t([&] {
        if (!mntnsFile.isEmpty()) {
            // Threads share their filesystem context; a mount namespace needs its own.
            if (::unshare(CLONE_FS) != 0) {
                err = errnoText("unshare(CLONE_FS)");
                ok = false;
                return;
            }
            if (!enter(mntnsFile, CLONE_NEWNS, &err)) {
                ok = false;
                return;
            }
        }
        if (!netns.isEmpty() && !enter(netnsPath(netns), CLONE_NEWNET, &err)) {
            ok = false;
            return;
        }
        fn();
    });
    t.join();
    if (!ok && error)
        *error = err;
    return ok;
}

bool writeSysctl(const QString &netns, const QString &key, const QByteArray &value, QString *error)
{
    bool written = false;
    QString err;
    const bool entered = runInNamespaceThread(
        netns, {},
        [&] {
            // /proc/sys/net answers for the network namespace of the thread that opens it.
            const QByteArray path = QFile::encodeName(QStringLiteral("/proc/sys/") + key);
            const int fd = ::open(path.constData(), O_WRONLY | O_CLOEXEC);
            if (fd < 0) {
                err = errnoText("cannot open", QString::fromLocal8Bit(path));
                return;
            }
            written = ::write(fd, value.constData(), size_t(value.size())) == value.size();
            if (!written)
                err = errnoText("cannot write", QString::fromLocal8Bit(path));
            ::close(fd);
        },
        &err);
    if ((!entered || !written) && error)
        *error = err;
    return entered && written;
}

QString probeResultName(ProbeResult r)
{
    switch (r) {
    case ProbeResult::Connected:
        return QStringLiteral("connected");
    case ProbeResult::Refused:
        return QStringLiteral("refused");
    case ProbeResult::Rejected:
        return QStringLiteral("rejected");
    case ProbeResult::TimedOut:
        return QStringLiteral("timed out");
    case ProbeResult::Error:
        break;
    }
    return QStringLiteral("error");
}

ProbeResult probeTcp(const QString &netns, const QHostAddress &address, quint16 port, int timeoutMs,
                     QString *error)
{
    ProbeResult result = ProbeResult::Error;
    QString err;
    const bool entered = runInNamespaceThread(
        netns, {},
        [&] {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                err = errnoText("socket");
                return;
            }
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_port = htons(port);
            sa.sin_addr.s_addr = htonl(address.toIPv4Address());
            int rc = ::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
            int soErr = rc == 0 ? 0 : errno;
            if (rc != 0 && errno == EINPROGRESS) {
                pollfd p{fd, POLLOUT, 0};
                rc = ::poll(&p, 1, timeoutMs);
                if (rc == 0) {
                    soErr = ETIMEDOUT;
                } else {
                    socklen_t len = sizeof soErr;
                    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &len);
                }
            }
            ::close(fd);
            switch (soErr) {
            case 0:
                result = ProbeResult::Connected;
                break;
            case ECONNREFUSED:
                result = ProbeResult::Refused;
                break;
            case ETIMEDOUT:
                result = ProbeResult::TimedOut;
                break;
            case EHOSTUNREACH:
            case ENETUNREACH:
            case EACCES:
            case EPERM:
                result = ProbeResult::Rejected;
                break;
            default:
                errno = soErr;
                err = errnoText("connect");
            }
        },
        &err);
    if (error && (!entered || result == ProbeResult::Error))
        *error = err;
    return result;
}

int listenTcp(const QString &netns, quint16 port, QString *error)
{
    int fd = -1;
    QString err;
    runInNamespaceThread(
        netns, {},
        [&] {
            // A socket stays in the namespace it was made in, whichever thread uses it later.
            fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                err = errnoText("socket");
                return;
            }
            const int one = 1;
            ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_port = htons(port);
            if (::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 ||
                ::listen(fd, 64) != 0) {
                err = errnoText("bind/listen");
                ::close(fd);
                fd = -1;
            }
        },
        &err);
    if (fd < 0 && error)
        *error = err;
    return fd;
}

QStringList namedNetworkNamespaces()
{
    return QDir(QStringLiteral("/run/netns"))
        .entryList(QDir::Files | QDir::System | QDir::Hidden, QDir::Name);
}

quint64 namespaceInode(const QString &path)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return 0;
    return quint64(st.st_ino);
}

QStringList mountsUnder(const QString &prefix)
{
    QStringList points;
    QFile f(QStringLiteral("/proc/self/mountinfo"));
    if (!f.open(QIODevice::ReadOnly))
        return points;
    const QString base = prefix.endsWith(QLatin1Char('/')) ? prefix.chopped(1) : prefix;
    for (const QByteArray &line : f.readAll().split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        if (fields.size() < 5)
            continue;
        // mountinfo escapes spaces etc. as \040; our paths have none, so no unescaping needed.
        const QString point = QString::fromLocal8Bit(fields.at(4));
        if (point == base || point.startsWith(base + QLatin1Char('/')))
            points << point;
    }
    std::sort(points.begin(), points.end(),
              [](const QString &a, const QString &b) { return a.size() > b.size(); });
    return points;
}

QString findProgram(const QString &name)
{
    const QString found =
        QStandardPaths::findExecutable(name, {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin"),
                                              QStringLiteral("/usr/bin"), QStringLiteral("/bin")});
    if (!found.isEmpty())
        return found;
    const QString inPath = QStandardPaths::findExecutable(name);
    return inPath.isEmpty() ? name : inPath;
}

namespace {

QByteArray readProc(const char *path)
{
    QFile f(QString::fromLatin1(path));
    return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed() : QByteArray();
}

} // namespace

bool inUserNamespace()
{
    // uid_map "0 0 4294967295" is the initial namespace; anything else is one we were put in.
    const QList<QByteArray> f = readProc("/proc/self/uid_map").simplified().split(' ');
    return !(f.size() == 3 && f.at(0) == "0" && f.at(1) == "0" && f.at(2) == "4294967295");
}

namespace {

bool haveAdminCapabilities()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("CapEff:")) {
            const quint64 caps = line.mid(7).trimmed().toULongLong(nullptr, 16);
            constexpr quint64 sysAdmin = 1ull << 21, netAdmin = 1ull << 12;
            return (caps & sysAdmin) && (caps & netAdmin);
        }
    }
    return false;
}

} // namespace

QString userNamespacesUnavailable()
{
    if (readProc("/proc/sys/kernel/unprivileged_userns_clone") == "0")
        return QStringLiteral("unprivileged user namespaces are switched off here (enable them "
                              "with: sudo sysctl kernel.unprivileged_userns_clone=1)");
    if (readProc("/proc/sys/user/max_user_namespaces") == "0")
        return QStringLiteral("user namespaces are switched off here (enable them with: sudo "
                              "sysctl user.max_user_namespaces=15000)");
    if (readProc("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1")
        return QStringLiteral("AppArmor restricts unprivileged user namespaces here (allow them "
                              "with: sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0)");
    const QString unshare = findProgram(QStringLiteral("unshare"));
    const ProcessResult r = runProcess(unshare,
                                       {QStringLiteral("--map-current-user"),
                                        QStringLiteral("--keep-caps"), QStringLiteral("--mount"),
                                        QStringLiteral("--"), findProgram(QStringLiteral("true"))},
                                       {}, 10000);
    if (!r.ok())
        return QStringLiteral("this kernel refuses an unprivileged user namespace (%1); a "
                              "container or a seccomp policy may forbid it")
            .arg(r.errorText());
    return {};
}

bool haveNamespacePrivileges(QString *why)
{
    if (::geteuid() == 0 || (inUserNamespace() && haveAdminCapabilities()))
        return true;
    if (why) {
        const QString userns = userNamespacesUnavailable();
        *why = userns.isEmpty()
                   ? QStringLiteral("the sandbox's network alone needs root: `pier sandbox net` "
                                    "leaves namespaces behind when it ends, which only root can. "
                                    "Unprivileged user namespaces work here: `pier sandbox up` "
                                    "runs the whole sandbox in one without root")
                   : QStringLiteral("the sandbox needs root here: it creates network and mount "
                                    "namespaces, veth pairs and iptables rules. Run it as root "
                                    "(sudo), or allow Unprivileged user namespaces: %1")
                         .arg(userns);
    }
    return false;
}

bool createNamedNetns(const QString &name, QString *error)
{
    QDir().mkpath(QStringLiteral("/run/netns"));
    const QString path = netnsPath(name);
    {
        QFile touch(path);
        if (!touch.open(QIODevice::WriteOnly)) {
            *error = QStringLiteral("cannot create %1: %2").arg(path, touch.errorString());
            return false;
        }
    }
    // A throwaway thread makes the namespace and binds it: unlike `ip netns add`, nothing has to
    // return to the desktop's namespace, which a user namespace has no rights over.
    QString err;
    std::thread t([&] {
        if (::unshare(CLONE_NEWNET) != 0) {
            err = errnoText("unshare(CLONE_NEWNET)");
            return;
        }
        if (::mount("/proc/thread-self/ns/net", QFile::encodeName(path).constData(), nullptr,
                    MS_BIND, nullptr) != 0)
            err = errnoText("cannot bind a network namespace at", path);
    });
    t.join();
    if (!err.isEmpty()) {
        QFile::remove(path);
        *error = err;
        return false;
    }
    return true;
}

bool prepareUserNamespaceMounts(const QString &stateDir, QString *error)
{
    const QByteArray state = QFile::encodeName(stateDir);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        *error = errnoText("cannot make / private");
        return false;
    }
    const int stateFd = ::open(state.constData(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (stateFd < 0) {
        *error = errnoText("cannot open", stateDir);
        return false;
    }
    // A /run of our own, where `ip netns` keeps the namespaces' names; the desktop's stays as is.
    if (::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
        *error = errnoText("cannot mount a tmpfs on /run");
        ::close(stateFd);
        return false;
    }
    bool ok = true;
    if (state.startsWith("/run/")) {
        QDir().mkpath(stateDir);
        const QByteArray src = "/proc/self/fd/" + QByteArray::number(stateFd);
        if (::mount(src.constData(), state.constData(), nullptr, MS_BIND, nullptr) != 0) {
            *error = errnoText("cannot show the state dir again at", stateDir);
            ok = false;
        }
    }
    ::close(stateFd);
    return ok;
}

} // namespace pier::sandbox
