#include "sandbox/nodessh.h"

#include "sandbox/netns.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSaveFile>
#include <QScopeGuard>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace pier::sandbox {

namespace {

QString sysError(const QString &what)
{
    return QStringLiteral("%1: %2").arg(what, QString::fromLocal8Bit(std::strerror(errno)));
}

bool writeFile(const QString &path, const QByteArray &data, QFile::Permissions perms,
               QString *error)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    QFile::setPermissions(path, perms);
    return true;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The first id from 2000 up that no account or group on the host uses, so the node's jclouds
// cannot be mistaken for a host account in file ownership.
uint freeId(const QByteArray &passwd, const QByteArray &group)
{
    QSet<uint> used;
    for (const QByteArray &db : {passwd, group}) {
        for (const QByteArray &line : db.split('\n')) {
            const QList<QByteArray> f = line.split(':');
            if (f.size() > 2)
                used.insert(f.at(2).toUInt());
        }
    }
    uint id = 2000;
    while (used.contains(id))
        ++id;
    return id;
}

QByteArray withLine(QByteArray db, const QByteArray &line)
{
    if (!db.isEmpty() && !db.endsWith('\n'))
        db += '\n';
    return db + line + '\n';
}

bool copyOwnership(const QString &from, const QString &to)
{
    struct stat st {};
    if (::stat(QFile::encodeName(from).constData(), &st) != 0)
        return true;
    return ::chown(QFile::encodeName(to).constData(), st.st_uid, st.st_gid) == 0 &&
           ::chmod(QFile::encodeName(to).constData(), st.st_mode & 07777) == 0;
}

} // namespace

bool generateSshKey(const QString &path, const QString &comment, QString *error)
{
    QFile::remove(path);
    QFile::remove(path + QStringLiteral(".pub"));
    const ProcessResult r = runProcess(findProgram(QStringLiteral("ssh-keygen")),
                                       {QStringLiteral("-q"), QStringLiteral("-t"),
                                        QStringLiteral("ed25519"), QStringLiteral("-N"), QString(),
                                        QStringLiteral("-C"), comment, QStringLiteral("-f"), path});
    if (!r.ok()) {
        *error = r.errorText() + QStringLiteral(" (is openssh-client installed?)");
        return false;
    }
    return true;
}

QByteArray nodeHostPublicKey(const NodeFiles &node)
{
    const QList<QByteArray> f =
        readFile(node.hostKey() + QStringLiteral(".pub")).trimmed().split(' ');
    return f.size() >= 2 ? f.at(0) + ' ' + f.at(1) : QByteArray();
}

bool prepareNodeFiles(const NodeFiles &node, const QByteArray &authorizedKey,
                      IptablesBackend backend, const QByteArray &rules, QString *error)
{
    const QString etc = node.etcUpper();
    if (!QDir().mkpath(etc) || !QDir().mkpath(node.etcWork())) {
        *error = QStringLiteral("cannot create %1").arg(etc);
        return false;
    }
    const QByteArray passwd = readFile(QStringLiteral("/etc/passwd"));
    const QByteArray group = readFile(QStringLiteral("/etc/group"));
    const uint id = freeId(passwd, group);
    const QByteArray user = kSshUser;
    const QByteArray ids = QByteArray::number(id);
    struct Db {
        const char *name;
        QByteArray line;
    };
    // "*" (not "!") in shadow: no password, yet not locked, so key logins work with UsePAM no.
    const Db dbs[] = {
        {"passwd", user + ":x:" + ids + ':' + ids + "::/home/" + user + ":/bin/bash"},
        {"group", user + ":x:" + ids + ':'},
        {"shadow", user + ":*:19000:0:99999:7:::"},
        {"gshadow", user + ":!::"},
    };
    for (const Db &db : dbs) {
        const QString host = QStringLiteral("/etc/") + QLatin1String(db.name);
        const QString mine = etc + QLatin1Char('/') + QLatin1String(db.name);
        if (!QFileInfo::exists(host) && QLatin1String(db.name) == QLatin1String("gshadow"))
            continue;
        if (!writeFile(mine, withLine(readFile(host), db.line),
                       QFile::ReadOwner | QFile::WriteOwner, error))
            return false;
        copyOwnership(host, mine);
    }
    // As cloud images do for their default user.
    if (!writeFile(etc + QStringLiteral("/sudoers.d/90-cloud-init-users"),
                   "# Created by the Pier sandbox, as cloud-init does on the real images\n" + user +
                       " ALL=(ALL) NOPASSWD:ALL\n",
                   QFile::ReadOwner | QFile::ReadGroup, error))
        return false;
    // The files node tools write: iptables-persistent's rules, RHEL's, haproxy's.
    if (!writeFile(etc + QStringLiteral("/iptables/rules.v4"), rules,
                   QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther,
                   error))
        return false;
    // The node's name resolves on the node (sudo looks it up).
    if (!writeFile(etc + QStringLiteral("/hostname"), node.name.toLatin1() + '\n',
                   QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther,
                   error) ||
        !writeFile(etc + QStringLiteral("/hosts"),
                   withLine(readFile(QStringLiteral("/etc/hosts")),
                            node.address.toLatin1() + ' ' + node.name.toLatin1()),
                   QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther,
                   error))
        return false;
    QDir().mkpath(etc + QStringLiteral("/sysconfig"));
    QDir().mkpath(etc + QStringLiteral("/haproxy"));
    // In a user namespace the overlay cannot copy up a file of the host's root (its owner does
    // not exist there): the node's haproxy.cfg starts in the upper layer.
    if (::geteuid() != 0 &&
        !writeFile(etc + QStringLiteral("/haproxy/haproxy.cfg"), {},
                   QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther,
                   error))
        return false;
    // `iptables` on the node is its back end's, as update-alternatives would set it.
    QDir().mkpath(etc + QStringLiteral("/alternatives"));
    for (const QString &tool : {QStringLiteral("iptables"), QStringLiteral("iptables-save"),
                                QStringLiteral("iptables-restore")}) {
        const QString link = etc + QStringLiteral("/alternatives/") + tool;
        QFile::remove(link);
        if (!QFile::link(iptablesTool(backend, tool), link)) {
            *error = QStringLiteral("cannot link %1").arg(link);
            return false;
        }
    }

    // Home with the authorized key; sshd's StrictModes wants it owned by the user.
    const QString home = node.home() + QStringLiteral("/") + QLatin1String(kSshUser);
    const QString sshDir = home + QStringLiteral("/.ssh");
    if (!writeFile(sshDir + QStringLiteral("/authorized_keys"), authorizedKey,
                   QFile::ReadOwner | QFile::WriteOwner, error))
        return false;
    // Inside a user namespace only the user's own id exists; the libssh server checks no modes.
    for (const QString &p : {home, sshDir, sshDir + QStringLiteral("/authorized_keys")}) {
        if (::geteuid() == 0 && ::chown(QFile::encodeName(p).constData(), id, id) != 0) {
            *error = sysError(QStringLiteral("chown ") + p);
            return false;
        }
    }
    QFile::setPermissions(home, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QFile::setPermissions(sshDir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);

    // Without root the node's commands already hold every capability of its namespaces, and
    // the real sudo cannot work there (it sees its own files owned by nobody): this one just runs
    // the command, as NOPASSWD sudo would.
    if (::geteuid() != 0 &&
        !writeFile(
            node.sudoShim(),
            "#!/bin/sh\n# The Pier sandbox's sudo inside a user namespace: already privileged.\n"
            "while [ $# -gt 0 ]; do\n  case \"$1\" in\n"
            "    -u|-g|-p|-C|-h|-r|-t|-U) shift 2 ;;\n    --) shift; break ;;\n"
            "    -*) shift ;;\n    *) break ;;\n  esac\ndone\n"
            "[ $# -eq 0 ] && exec /bin/sh\nexec \"$@\"\n",
            QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup |
                QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther,
            error))
        return false;
    if (!generateSshKey(node.hostKey(), QStringLiteral("root@") + node.name, error))
        return false;
    const QString config =
        QStringLiteral(
            "# sshd of sandbox node %1 (its own config; the host's sshd is never touched)\n"
            "Port 22\n"
            "ListenAddress 0.0.0.0\n"
            "HostKey %2\n"
            "PidFile %3/sshd.pid\n"
            "AuthorizedKeysFile .ssh/authorized_keys\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "PermitRootLogin no\n"
            "AllowUsers %4\n"
            "UsePAM no\n"
            "StrictModes yes\n"
            "PrintMotd no\n"
            "MaxStartups 100:30:200\n"
            "Subsystem sftp internal-sftp\n")
            .arg(node.name, node.hostKey(), node.dir, QLatin1String(kSshUser));
    return writeFile(node.sshdConfig(), config.toUtf8(), QFile::ReadOwner | QFile::WriteOwner,
                     error);
}

namespace {

// Moves the calling thread into a new mount and UTS namespace set up as NODE's; returns what
// failed, or nothing.
QString enterNewNodeNamespace(const NodeFiles &node)
{
    // Its own hostname too, as the real nodes have (Mesos and sudo use it).
    if (::unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0)
        return sysError(QStringLiteral("unshare(CLONE_NEWNS|CLONE_NEWUTS)"));
    const QByteArray hostname = node.name.toLatin1();
    if (::sethostname(hostname.constData(), size_t(hostname.size())) != 0)
        return sysError(QStringLiteral("sethostname"));
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return sysError(QStringLiteral("make / private"));
    const QByteArray stateDir = QFile::encodeName(node.stateDir);
    const int stateFd = ::open(stateDir.constData(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (stateFd < 0)
        return sysError(QStringLiteral("open ") + node.stateDir);
    const auto closeState = qScopeGuard([stateFd] { ::close(stateFd); });
    const QByteArray overlayOpts = "lowerdir=/etc,upperdir=" + QFile::encodeName(node.etcUpper()) +
                                   ",workdir=" + QFile::encodeName(node.etcWork());
    if (::mount("overlay", "/etc", "overlay", 0, overlayOpts.constData()) != 0)
        return sysError(QStringLiteral("mount an overlay on /etc"));
    if (::mount(QFile::encodeName(node.home()).constData(), "/home", nullptr, MS_BIND, nullptr) !=
        0)
        return sysError(QStringLiteral("bind /home"));
    if (::geteuid() != 0 && ::mount(QFile::encodeName(node.sudoShim()).constData(), "/usr/bin/sudo",
                                    nullptr, MS_BIND, nullptr) != 0)
        return sysError(QStringLiteral("bind the sudo of a user namespace on /usr/bin/sudo"));
    if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
        return sysError(QStringLiteral("mount /tmp"));
    // Drop the copies of everything mounted below /run (ip netns' and other sandboxes'
    // namespace files among them): this node would otherwise keep those namespaces alive.
    {
        QFile info(QStringLiteral("/proc/thread-self/mountinfo"));
        QList<QByteArray> points;
        if (info.open(QIODevice::ReadOnly)) {
            for (const QByteArray &line : info.readAll().split('\n')) {
                const QList<QByteArray> f = line.split(' ');
                if (f.size() > 4 && f.at(4).startsWith("/run/"))
                    points << f.at(4);
            }
        }
        std::sort(points.begin(), points.end(),
                  [](const QByteArray &a, const QByteArray &b) { return a.size() > b.size(); });
        for (const QByteArray &point : std::as_const(points))
            ::umount2(point.constData(), MNT_DETACH);
    }
    if (::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
        return sysError(QStringLiteral("mount /run"));
    ::mkdir("/run/sshd", 0755); // sshd's privilege separation directory
    ::mkdir("/run/lock", 01777);
    if (stateDir.startsWith("/run/") || stateDir.startsWith("/tmp/")) {
        // The state dir was under the /run or /tmp we just covered: show it again, as sshd
        // reads its config and keys there.
        QDir().mkpath(node.stateDir);
        const QByteArray src = "/proc/self/fd/" + QByteArray::number(stateFd);
        if (::mount(src.constData(), stateDir.constData(), nullptr, MS_BIND, nullptr) != 0)
            return sysError(QStringLiteral("bind the state dir"));
    }
    return {};
}

// A thread that made a node's namespaces and stays in them until released.
struct NodeNamespaceThread {
    std::thread thread;
    std::mutex m;
    std::condition_variable cv;
    bool ready = false, ok = false, released = false;
    pid_t tid = 0;
    QString error;

    void release()
    {
        {
            std::lock_guard<std::mutex> lock(m);
            released = true;
        }
        cv.notify_all();
        thread.join();
    }
};

// Without root, the threads keeping the nodes' namespaces, by mount namespace file.
std::mutex g_holdersMutex;
std::map<QString, std::unique_ptr<NodeNamespaceThread>> g_holders;

} // namespace

bool createNodeMountNamespace(const NodeFiles &node, QString *error)
{
    // Binding a mount namespace passes the kernel's loop check (mnt_ns_loop) only when the new
    // namespace's id is above the caller's. As root the caller is in the host's first namespace;
    // in a user namespace it is in one made moments before, and since Linux 6.18 ids come from
    // per-CPU batches, so a node's namespace made on another CPU often gets a lower id (EINVAL).
    // There a thread of this process keeps the namespace instead, and the file is a symlink to it.
    const bool holdByThread = ::geteuid() != 0;
    const QString utsFile = utsnsFileFor(node.mntnsFile);
    if (holdByThread)
        releaseNodeMountNamespace(node.mntnsFile);
    for (const QString &path : {node.mntnsFile, utsFile}) {
        QFile::remove(path);
        QFile touch(path);
        if (!holdByThread && !touch.open(QIODevice::WriteOnly)) {
            *error = QStringLiteral("cannot create %1: %2").arg(path, touch.errorString());
            return false;
        }
    }

    auto holder = std::make_unique<NodeNamespaceThread>();
    NodeNamespaceThread *t = holder.get();
    t->thread = std::thread([t, &node] {
        const QString failed = enterNewNodeNamespace(node);
        std::unique_lock<std::mutex> lock(t->m);
        t->error = failed;
        t->ok = failed.isEmpty();
        t->tid = pid_t(::syscall(SYS_gettid));
        t->ready = true;
        t->cv.notify_all();
        // Stay until released, or the namespace would vanish with this thread.
        if (t->ok)
            t->cv.wait(lock, [t] { return t->released; });
    });
    {
        std::unique_lock<std::mutex> lock(t->m);
        t->cv.wait(lock, [t] { return t->ready; });
    }
    bool ok = t->ok;
    QString err = t->error;
    if (ok) {
        const QByteArray task = "/proc/" + QByteArray::number(::getpid()) + "/task/" +
                                QByteArray::number(t->tid) + "/ns/";
        const std::pair<QByteArray, QString> links[] = {{task + "mnt", node.mntnsFile},
                                                        {task + "uts", utsFile}};
        for (const auto &[src, target] : links) {
            if (!ok)
                break;
            if (holdByThread) {
                if (!QFile::link(QFile::decodeName(src), target)) {
                    err =
                        QStringLiteral("cannot link %1 to %2").arg(target, QFile::decodeName(src));
                    ok = false;
                }
            } else if (::mount(src.constData(), QFile::encodeName(target).constData(), nullptr,
                               MS_BIND, nullptr) != 0) {
                err = sysError(QStringLiteral("bind a namespace at ") + target);
                ok = false;
            }
        }
    }
    if (!ok || !holdByThread) {
        t->release();
        if (!ok) {
            if (holdByThread) {
                QFile::remove(node.mntnsFile);
                QFile::remove(utsFile);
            }
            *error = QStringLiteral("node %1: %2").arg(node.name, err);
        }
        return ok;
    }
    std::lock_guard<std::mutex> lock(g_holdersMutex);
    g_holders[node.mntnsFile] = std::move(holder);
    return true;
}

void releaseNodeMountNamespace(const QString &mntnsFile)
{
    std::unique_ptr<NodeNamespaceThread> holder;
    {
        std::lock_guard<std::mutex> lock(g_holdersMutex);
        const auto it = g_holders.find(mntnsFile);
        if (it == g_holders.end())
            return;
        holder = std::move(it->second);
        g_holders.erase(it);
    }
    holder->release();
}

qint64 startNodeSshd(const QString &netns, const NodeFiles &node, QString *error)
{
    QProcess p;
    p.setProgram(findProgram(QStringLiteral("nsenter")));
    // sshd re-executes itself and so wants its absolute path.
    p.setArguments(nsenterArgs(
        netns, node.mntnsFile, findProgram(QStringLiteral("sshd")),
        {QStringLiteral("-D"), QStringLiteral("-e"), QStringLiteral("-f"), node.sshdConfig()}));
    p.setStandardInputFile(QProcess::nullDevice());
    p.setStandardOutputFile(node.sshdLog(), QIODevice::Append);
    p.setStandardErrorFile(node.sshdLog(), QIODevice::Append);
    qint64 pid = -1;
    if (!p.startDetached(&pid)) {
        *error = QStringLiteral("cannot start sshd for %1: %2").arg(node.name, p.errorString());
        return -1;
    }
    return pid;
}

} // namespace pier::sandbox
