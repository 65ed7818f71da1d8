#include "sandbox/haproxybridge.h"

#include "core/logging.h"
#include "sandbox/netns.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHostAddress>
#include <QThread>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace pier::sandbox {

struct HaproxyBridge::Mailbox {
    std::mutex mutex;
    HaproxyBridge *bridge = nullptr;
};

namespace {

constexpr const char *kConfigPath = "/etc/haproxy/haproxy.cfg";

// haproxy-marathon-bridge's header, as the script writes it.
constexpr const char *kHeader = R"(global
  daemon
  log 127.0.0.1 local0
  log 127.0.0.1 local1 notice
  maxconn 4096

defaults
  log            global
  retries             3
  maxconn          2000
  timeout connect  5000
  timeout client  50000
  timeout server  50000

listen stats
  bind 127.0.0.1:9090
  balance
  mode http
  stats enable
  stats auth admin:admin
)";

// GET URL with Accept: text/plain, blocking, from the calling thread's network namespace.
QByteArray httpGet(const QUrl &url, int timeoutMs, QString *error)
{
    const QHostAddress address(url.host());
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || address.protocol() != QAbstractSocket::IPv4Protocol) {
        *error = u"cannot reach %1: only IPv4 addresses are supported"_s.arg(url.toString());
        if (fd >= 0)
            ::close(fd);
        return {};
    }
    QElapsedTimer timer;
    timer.start();
    auto left = [&] { return int(std::max<qint64>(0, timeoutMs - timer.elapsed())); };
    auto fail = [&](const QString &why) {
        ::close(fd);
        *error = u"GET %1: %2"_s.arg(url.toString(), why);
        return QByteArray();
    };
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(quint16(url.port(80)));
    a.sin_addr.s_addr = htonl(address.toIPv4Address());
    if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 && errno != EINPROGRESS)
        return fail(QString::fromLocal8Bit(std::strerror(errno)));
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, left()) <= 0)
        return fail(u"connection timed out"_s);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0)
        return fail(QString::fromLocal8Bit(std::strerror(err)));
    QByteArray request = "GET " + url.path(QUrl::FullyEncoded).toLatin1() + "/v2/tasks";
    request.replace("//v2", "/v2");
    request += " HTTP/1.0\r\nHost: " + url.authority().toLatin1() +
               "\r\nAccept: text/plain\r\nUser-Agent: curl/7.88.1\r\n";
    if (!url.userName().isEmpty()) {
        request += "Authorization: Basic " +
                   (url.userName() + u':' + url.password()).toUtf8().toBase64() + "\r\n";
    }
    request += "\r\n";
    if (::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) != request.size())
        return fail(u"cannot send the request"_s);
    QByteArray reply;
    char buf[8192];
    for (;;) {
        p = {fd, POLLIN, 0};
        if (::poll(&p, 1, left()) <= 0)
            return fail(u"no answer in time"_s);
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0)
            return fail(QString::fromLocal8Bit(std::strerror(errno)));
        if (n == 0)
            break;
        reply.append(buf, n);
    }
    ::close(fd);
    const qsizetype headerEnd = reply.indexOf("\r\n\r\n");
    const int status =
        QString::fromLatin1(reply.left(reply.indexOf("\r\n"))).section(u' ', 1, 1).toInt();
    if (headerEnd < 0 || status != 200) {
        *error = u"GET %1/v2/tasks answered %2"_s.arg(url.toString()).arg(status);
        return {};
    }
    QByteArray body = reply.mid(headerEnd + 4);
    if (reply.left(headerEnd).toLower().contains("transfer-encoding: chunked")) {
        QByteArray plain;
        qsizetype pos = 0;
        while (pos < body.size()) {
            const qsizetype eol = body.indexOf("\r\n", pos);
            const int size = body.mid(pos, eol - pos).trimmed().toInt(nullptr, 16);
            if (eol < 0 || size <= 0)
                break;
            plain += body.mid(eol + 2, size);
            pos = eol + 2 + size + 2;
        }
        body = plain;
    }
    return body;
}

bool isHaproxy(qint64 pid)
{
    QFile comm(u"/proc/%1/comm"_s.arg(pid));
    return comm.open(QIODevice::ReadOnly) && comm.readAll().trimmed() == "haproxy";
}

} // namespace

HaproxyBridge::HaproxyBridge(const Options &options, QObject *parent)
    : QObject(parent), m_options(options), m_mailbox(std::make_shared<Mailbox>())
{
    m_mailbox->bridge = this;
    connect(&m_timer, &QTimer::timeout, this, &HaproxyBridge::refreshNow);
}

HaproxyBridge::~HaproxyBridge()
{
    {
        std::lock_guard<std::mutex> lock(m_mailbox->mutex);
        m_mailbox->bridge = nullptr;
    }
    stop();
}

QByteArray HaproxyBridge::config(const QByteArray &tasksText,
                                 const QHash<QString, QString> &hostAddresses)
{
    QByteArray out = kHeader;
    for (const QByteArray &line : tasksText.split('\n')) {
        QList<QByteArray> words = line.simplified().split(' ');
        words.removeAll(QByteArray());
        if (words.size() < 2)
            continue;
        const QByteArray app = words.takeFirst();
        const QByteArray port = words.takeFirst();
        bool numeric = !port.isEmpty();
        for (char c : port)
            numeric = numeric && c >= '0' && c <= '9';
        if (!numeric)
            continue;
        out += "\nlisten " + app + '-' + port + "\n  bind 0.0.0.0:" + port +
               "\n  mode tcp\n  option tcplog\n  balance leastconn\n";
        // The script names servers APP-N, N counting down ($# of the words left).
        for (qsizetype i = 0; i < words.size(); ++i) {
            QByteArray server = words.at(i);
            const qsizetype colon = server.lastIndexOf(':');
            const QString host = QString::fromUtf8(server.left(colon));
            if (colon > 0 && hostAddresses.contains(host))
                server = hostAddresses.value(host).toUtf8() + server.mid(colon);
            out += "  server " + app + '-' + QByteArray::number(words.size() - i) + ' ' + server +
                   " check\n";
        }
    }
    return out;
}

QString HaproxyBridge::pidFile(const BridgeNode &node) const
{
    return m_options.stateDir + u"/haproxy/"_s + node.name + u".pid"_s;
}

qint64 HaproxyBridge::pid(const QString &node) const
{
    for (const BridgeNode &n : m_options.nodes) {
        if (n.name != node)
            continue;
        QFile f(pidFile(n));
        if (!f.open(QIODevice::ReadOnly))
            return -1;
        const qint64 pid = f.readAll().trimmed().toLongLong();
        return pid > 0 && isHaproxy(pid) ? pid : -1;
    }
    return -1;
}

void HaproxyBridge::start()
{
    if (m_options.intervalMs > 0)
        m_timer.start(m_options.intervalMs);
    refreshNow();
}

void HaproxyBridge::refreshNow()
{
    if (m_fetching)
        return;
    m_fetching = true;
    const QUrl url = m_options.marathon;
    const QString netns = m_options.fetchNetns;
    const int timeoutMs = m_options.fetchTimeoutMs;
    const std::shared_ptr<Mailbox> mailbox = m_mailbox;
    // Blocking I/O on a thread of its own: Marathon may be served by this very thread.
    std::thread([=] {
        QString error;
        QByteArray text;
        if (!runInNamespaceThread(
                netns, {}, [&] { text = httpGet(url, timeoutMs, &error); }, &error) &&
            error.isEmpty())
            error = u"cannot enter %1"_s.arg(netns);
        std::lock_guard<std::mutex> lock(mailbox->mutex);
        if (HaproxyBridge *b = mailbox->bridge) {
            QMetaObject::invokeMethod(
                b, [b, text, error] { b->fetched(text, error); }, Qt::QueuedConnection);
        }
    }).detach();
}

void HaproxyBridge::fetched(const QByteArray &text, const QString &fetchError)
{
    m_fetching = false;
    if (!fetchError.isEmpty()) {
        // The script keeps the running config when Marathon does not answer.
        qCWarning(lcSandbox) << "haproxy bridge:" << fetchError;
        emit refreshed(false, fetchError);
        return;
    }
    const QByteArray cfg = config(text, m_options.hostAddresses);
    const bool changed = cfg != m_config;
    QStringList problems;
    for (const BridgeNode &node : std::as_const(m_options.nodes)) {
        QString error;
        if (!apply(node, cfg, changed, &error))
            problems << error;
    }
    m_config = cfg;
    emit refreshed(changed, problems.join(u"; "_s));
}

bool HaproxyBridge::apply(const BridgeNode &node, const QByteArray &cfg, bool changed,
                          QString *error)
{
    const bool running = pid(node.name) > 0;
    if (!changed && running)
        return true;
    // Written inside the node's mount namespace: its /etc is its own overlay.
    QString writeError;
    bool written = false;
    if (!runInNamespaceThread(
            {}, node.mntnsFile,
            [&] {
                QDir().mkpath(u"/etc/haproxy"_s);
                QFile f(QString::fromLatin1(kConfigPath));
                written = f.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
                          f.write(cfg) == cfg.size();
                if (!written)
                    writeError = f.errorString();
            },
            &writeError) ||
        !written) {
        *error =
            u"%1: cannot write %2: %3"_s.arg(node.name, QLatin1String(kConfigPath), writeError);
        return false;
    }
    QDir().mkpath(m_options.stateDir + u"/haproxy"_s);
    const qint64 old = pid(node.name);
    // As the init script's reload: a new haproxy takes over the ports, the old one finishes (-sf).
    QStringList args{u"-f"_s, QString::fromLatin1(kConfigPath), u"-p"_s, pidFile(node), u"-D"_s};
    if (old > 0)
        args << u"-sf"_s << QString::number(old);
    const ProcessResult r =
        runInNamespace(node.netns, findProgram(u"haproxy"_s), args, {}, node.mntnsFile, 20000);
    if (!r.ok()) {
        *error = u"%1: %2"_s.arg(node.name, r.errorText());
        return false;
    }
    ++m_reloads;
    const qint64 now = pid(node.name);
    if (now > 0)
        m_pids[node.name].append(now);
    qCInfo(lcSandbox) << "haproxy on" << node.name << (old > 0 ? "reloaded" : "started") << "pid"
                      << now;
    return true;
}

void HaproxyBridge::stop()
{
    m_timer.stop();
    QList<qint64> all;
    for (const BridgeNode &node : std::as_const(m_options.nodes)) {
        all += m_pids.take(node.name);
        const qint64 p = pid(node.name);
        if (p > 0 && !all.contains(p))
            all.append(p);
        QFile::remove(pidFile(node));
    }
    for (qint64 p : std::as_const(all)) {
        if (isHaproxy(p))
            ::kill(pid_t(p), SIGTERM);
    }
    QElapsedTimer t;
    t.start();
    for (qint64 p : std::as_const(all)) {
        while (isHaproxy(p) && t.elapsed() < 2000)
            QThread::msleep(10);
        if (isHaproxy(p))
            ::kill(pid_t(p), SIGKILL);
    }
}

} // namespace pier::sandbox
