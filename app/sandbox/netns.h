#pragma once

// Small, synchronous helpers around Linux namespaces for the sandbox's network: run a program
// (never through a shell), run code inside a network/mount namespace from a short-lived thread,
// probe a TCP port from inside a namespace, and list what exists. Everything needs root (or
// CAP_SYS_ADMIN) except runProcess().

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <QStringList>

#include <functional>

namespace pier::sandbox {

struct ProcessResult {
    int exitCode = -1; // -1: did not start, crashed or timed out
    QByteArray out;
    QByteArray err;
    QString command; // for messages: "ip -n x link add ..."
    bool ok() const { return exitCode == 0; }
    // "COMMAND failed (exit N): first line of stderr"
    QString errorText() const;
};

// Runs PROGRAM with ARGS (no shell), feeding INPUT on stdin; waits up to timeoutMs.
ProcessResult runProcess(const QString &program, const QStringList &args,
                         const QByteArray &input = {}, int timeoutMs = 20000);

// The path of a named network namespace as `ip netns` makes it.
QString netnsPath(const QString &name);

// Runs PROGRAM inside the named network namespace (and, if given, the mount namespace bound at
// MNTNS_FILE) through nsenter, which execs without forking, so pids stay the program's own.
ProcessResult runInNamespace(const QString &netns, const QString &program, const QStringList &args,
                             const QByteArray &input = {}, const QString &mntnsFile = {},
                             int timeoutMs = 20000);

// A node's UTS namespace (its hostname) is bound beside its mount namespace: NAME.uts for NAME.mnt.
QString utsnsFileFor(const QString &mntnsFile);

// The argument list for nsenter (entering the UTS namespace beside MNTNS_FILE too, if there is one)
// to enter NETNS (and MNTNS_FILE) and exec PROGRAM ARGS.
QStringList nsenterArgs(const QString &netns, const QString &mntnsFile, const QString &program,
                        const QStringList &args);

// Runs FN on a new thread that first entered the network namespace NETNS (a name, or empty to
// stay) and the mount namespace bound at MNTNS_FILE (or empty). The caller's thread is untouched.
bool runInNamespaceThread(const QString &netns, const QString &mntnsFile,
                          const std::function<void()> &fn, QString *error);

// Writes a /proc/sys value as seen from inside NETNS (e.g. "net/ipv4/ip_forward", "1").
bool writeSysctl(const QString &netns, const QString &key, const QByteArray &value, QString *error);

enum class ProbeResult {
    Connected, // the handshake completed
    Refused,   // a TCP reset or ICMP port-unreachable: rejected at once
    Rejected,  // another ICMP error (host prohibited, no route): rejected at once
    TimedOut,  // no answer at all: dropped
    Error,     // the probe itself failed (namespace missing, ...)
};
QString probeResultName(ProbeResult r);

// Opens a TCP connection to ADDRESS:PORT from inside NETNS and says how it went.
ProbeResult probeTcp(const QString &netns, const QHostAddress &address, quint16 port, int timeoutMs,
                     QString *error = nullptr);

// A listening TCP socket on 0.0.0.0:PORT inside NETNS; the kernel completes handshakes even if
// nobody accepts, which is all a reachability check needs. Returns the fd (close it), or -1.
int listenTcp(const QString &netns, quint16 port, QString *error);

// Named network namespaces, as `ip netns list` shows them (names only).
QStringList namedNetworkNamespaces();

// The inode of a namespace file (/run/netns/x, /proc/PID/ns/net); 0 if unreadable.
quint64 namespaceInode(const QString &path);

// Mount points below (or at) PREFIX in this process's mount namespace, deepest first.
QStringList mountsUnder(const QString &prefix);

// Full path of a system program ("ip", "iptables-legacy"), looked up in the sbin dirs and PATH.
QString findProgram(const QString &name);

// True when this process can manage namespaces (root, or CAP_SYS_ADMIN + CAP_NET_ADMIN inside a
// user namespace).
bool haveNamespacePrivileges(QString *why);

// True when this process runs in a user namespace (not the machine's initial one).
bool inUserNamespace();

// Empty when this user can make an unprivileged user namespace (tried); else which kernel setting
// forbids it and how to allow it.
QString userNamespacesUnavailable();

// Creates the named network namespace NAME (/run/netns/NAME) without leaving this thread's.
bool createNamedNetns(const QString &name, QString *error);

// In a fresh user+mount namespace: makes mounts private and puts a tmpfs on /run (for /run/netns),
// showing STATE_DIR again if it was below /run.
bool prepareUserNamespaceMounts(const QString &stateDir, QString *error);

} // namespace pier::sandbox
