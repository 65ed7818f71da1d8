// A real OpenVPN setup in throwaway network namespaces, shared by the VPN tests: a server
// namespace holding the OpenVPN server and a "private network" (198.18.252.0/24 on a veth pair
// inside it) with tiny HTTP responders on 8080 (Marathon) and 5050 (Mesos) served by the test
// process; a client namespace joined to it by a veth pair. The server accepts the user "pier"
// with the password "right-password" only. The host's network namespace is never touched.
// Command lines for ip, openssl and nsenter are written with string literals throughout.
#pragma once
#undef QT_NO_CAST_FROM_ASCII

#include "sandbox/netns.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <memory>
#include <unistd.h>

namespace pier::test {

class VpnTestNet : public QObject {
public:
    static inline const QString kServerAddress = QStringLiteral("198.18.250.1");
    static inline const QString kClientAddress = QStringLiteral("198.18.250.2");
    static inline const QString kPrivateAddress = QStringLiteral("198.18.252.1");

    // Empty when this machine can run it; else why not (for QSKIP).
    static QString missing()
    {
        using namespace pier::sandbox;
        QString why;
        const bool privileged = haveNamespacePrivileges(&why);
        if (::geteuid() != 0 || !privileged)
            return QStringLiteral("needs root to make network namespaces and tun devices (%1)")
                .arg(why);
        if (findProgram(QStringLiteral("openvpn")).isEmpty())
            return QStringLiteral(
                "openvpn is not installed (installer/install-deps.sh installs it)");
        if (findProgram(QStringLiteral("openssl")).isEmpty() ||
            findProgram(QStringLiteral("nsenter")).isEmpty())
            return QStringLiteral("needs openssl and nsenter");
        if (!QFile::exists(QStringLiteral("/dev/net/tun")))
            return QStringLiteral("no /dev/net/tun on this machine");
        return {};
    }

    explicit VpnTestNet(const QString &prefix, QObject *parent = nullptr) : QObject(parent)
    {
        m_id = QStringLiteral("%1%2").arg(prefix).arg(
            QRandomGenerator::global()->bounded(0x100000, 0xffffff), 0, 16);
        m_serverNs = m_id + QStringLiteral("s");
        m_clientNs = m_id + QStringLiteral("c");
    }
    ~VpnTestNet() override { tearDown(); }

    QString id() const { return m_id; }
    QString serverNs() const { return m_serverNs; }
    QString clientNs() const { return m_clientNs; }
    QString dir() const { return m_dir ? m_dir->path() : QString(); }
    QString ovpn() const { return m_ovpn; }
    int requests() const { return m_requests; }
    QProcess *server() const { return m_server; }

    // Namespaces, responders, certificates, the client's .ovpn. Empty on success, else why not.
    QString setUp()
    {
        using namespace pier::sandbox;
        m_dir = std::make_unique<QTemporaryDir>();
        if (!m_dir->isValid())
            return QStringLiteral("no temporary directory");
        m_made = true;
        // Two namespaces joined by a veth pair made inside them (never on the host).
        const QString vs = m_id + QStringLiteral("s"), vc = m_id + QStringLiteral("c");
        const QList<QStringList> steps = {
            {"netns", "add", m_serverNs},
            {"netns", "add", m_clientNs},
            {"-n", m_serverNs, "link", "add", vs, "type", "veth", "peer", "name", vc, "netns",
             m_clientNs},
            {"-n", m_serverNs, "addr", "add", kServerAddress + "/24", "dev", vs},
            {"-n", m_clientNs, "addr", "add", kClientAddress + "/24", "dev", vc},
            // The private network: a veth pair inside the server's namespace (no dummy module).
            {"-n", m_serverNs, "link", "add", "priv0", "type", "veth", "peer", "name", "priv1"},
            {"-n", m_serverNs, "addr", "add", kPrivateAddress + "/24", "dev", "priv0"},
            {"-n", m_serverNs, "link", "set", "lo", "up"},
            {"-n", m_clientNs, "link", "set", "lo", "up"},
            {"-n", m_serverNs, "link", "set", vs, "up"},
            {"-n", m_serverNs, "link", "set", "priv0", "up"},
            {"-n", m_serverNs, "link", "set", "priv1", "up"},
            {"-n", m_clientNs, "link", "set", vc, "up"},
        };
        for (const QStringList &args : steps) {
            const QString e = ip(args);
            if (!e.isEmpty())
                return e;
        }

        // Marathon's and Mesos's stand-ins on the private network, served by this process.
        for (quint16 port : {quint16(8080), quint16(5050)}) {
            QString error;
            const int fd = listenTcp(m_serverNs, port, &error);
            if (fd < 0)
                return error;
            auto *server = new QTcpServer(this);
            if (!server->setSocketDescriptor(fd))
                return QStringLiteral("QTcpServer refused the listening socket");
            connect(server, &QTcpServer::newConnection, this, [this, server] {
                while (QTcpSocket *s = server->nextPendingConnection()) {
                    connect(s, &QTcpSocket::readyRead, s, [this, s] {
                        if (!s->peek(4096).contains("\r\n\r\n"))
                            return;
                        const QByteArray head = s->readAll();
                        ++m_requests;
                        const QByteArray body =
                            head.startsWith("GET /ping ") ? "pong\n" : "{\"version\":\"1.4.0\"}";
                        s->write("HTTP/1.1 200 OK\r\nContent-Length: " +
                                 QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" +
                                 body);
                        s->disconnectFromHost();
                    });
                    connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
                }
            });
            m_http << server;
        }

        // A CA, the server's and the client's certificates (EC keys: quick to make).
        const QDir d(m_dir->path());
        auto f = [&](const char *name) { return d.filePath(QLatin1String(name)); };
        const QStringList ec{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
        QString e = openssl(QStringList{"req", "-x509"} + ec +
                            QStringList{"-keyout", f("ca.key"), "-out", f("ca.crt"), "-subj",
                                        "/CN=pier-test-ca", "-days", "2"});
        if (!e.isEmpty())
            return e;
        QFile ext(f("ext.cnf"));
        if (!ext.open(QIODevice::WriteOnly))
            return ext.errorString();
        ext.write(
            "[server]\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyAgreement\n"
            "[client]\nextendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyAgreement\n");
        ext.close();
        for (const char *who : {"server", "client"}) {
            const QString w = QLatin1String(who);
            e = openssl(QStringList{"req"} + ec +
                        QStringList{"-keyout", d.filePath(w + ".key"), "-out",
                                    d.filePath(w + ".csr"), "-subj", "/CN=" + w});
            if (!e.isEmpty())
                return e;
            e = openssl({"x509", "-req", "-in", d.filePath(w + ".csr"), "-CA", f("ca.crt"),
                         "-CAkey", f("ca.key"), "-CAcreateserial", "-out", d.filePath(w + ".crt"),
                         "-days", "2", "-extfile", f("ext.cnf"), "-extensions", w});
            if (!e.isEmpty())
                return e;
        }
        // The server accepts the user "pier" with the password "right-password" only.
        QFile verify(f("verify.sh"));
        if (!verify.open(QIODevice::WriteOnly))
            return verify.errorString();
        verify.write("#!/bin/sh\n[ \"$(sed -n 1p \"$1\")\" = pier ] && [ \"$(sed -n 2p \"$1\")\" = "
                     "right-password ]\n");
        verify.close();
        verify.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);

        // The client's .ovpn, certificates inline, as a VPN administrator would hand it out.
        auto read = [&](const char *name) {
            QFile in(f(name));
            in.open(QIODevice::ReadOnly);
            return in.readAll();
        };
        m_ovpn = f("pier-test.ovpn");
        QFile ovpn(m_ovpn);
        if (!ovpn.open(QIODevice::WriteOnly))
            return ovpn.errorString();
        ovpn.write("client\ndev tun\nproto udp\nremote " + kServerAddress.toLatin1() +
                   " 1194\nnobind\nauth-user-pass\nremote-cert-tls server\nverb 3\n<ca>\n" +
                   read("ca.crt") + "</ca>\n<cert>\n" + read("client.crt") + "</cert>\n<key>\n" +
                   read("client.key") + "</key>\n");
        ovpn.close();
        return {};
    }

    // The OpenVPN server; PUSH_ROUTE: it tells clients the route to the private network.
    bool startServer(bool pushRoute)
    {
        using namespace pier::sandbox;
        const QDir d(m_dir->path());
        QFile conf(d.filePath(QStringLiteral("server.conf")));
        if (!conf.open(QIODevice::WriteOnly))
            return false;
        QByteArray text =
            "dev tun\nproto udp\nport 1194\nlocal " + kServerAddress.toLatin1() +
            "\ntopology subnet\nserver 198.18.251.0 255.255.255.0\ndh none\nkeepalive 2 10\n"
            "script-security 2\nauth-user-pass-verify " +
            d.filePath(QStringLiteral("verify.sh")).toLatin1() +
            " via-file\nverb 3\nca ca.crt\ncert server.crt\nkey server.key\n";
        if (pushRoute)
            text += "push \"route 198.18.252.0 255.255.255.0\"\n";
        conf.write(text);
        conf.close();
        m_server = new QProcess(this);
        m_server->setProcessChannelMode(QProcess::MergedChannels);
        m_server->setStandardOutputFile(d.filePath(QStringLiteral("server.log")));
        m_server->start(findProgram(QStringLiteral("nsenter")),
                        nsenterArgs(m_serverNs, {}, findProgram(QStringLiteral("openvpn")),
                                    {"--cd", d.path(), "--config", conf.fileName()}));
        if (!m_server->waitForStarted())
            return false;
        // Ready when its UDP socket is bound in the server's namespace.
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 10000) {
            const ProcessResult ss =
                runInNamespace(m_serverNs, findProgram(QStringLiteral("ss")), {"-lun"});
            if (ss.out.contains(kServerAddress.toLatin1() + ":1194"))
                return true;
            if (m_server->state() == QProcess::NotRunning)
                return false;
            QTest::qWait(100);
        }
        return false;
    }

    void stopServer()
    {
        if (!m_server)
            return;
        if (m_server->state() != QProcess::NotRunning) {
            m_server->terminate();
            if (!m_server->waitForFinished(5000)) {
                m_server->kill();
                m_server->waitForFinished();
            }
        }
        delete m_server;
        m_server = nullptr;
    }

    // Processes whose network namespace is NETNS: only ever ours (the names are unique to this
    // run). This process itself is left out (a test may have entered the namespace).
    QList<qint64> pidsIn(const QString &netns) const
    {
        using namespace pier::sandbox;
        QList<qint64> pids;
        const quint64 inode = namespaceInode(netnsPath(netns));
        if (inode == 0)
            return pids;
        for (const QString &e :
             QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            bool ok = false;
            const qint64 pid = e.toLongLong(&ok);
            if (ok && pid != ::getpid() &&
                namespaceInode(QStringLiteral("/proc/%1/ns/net").arg(e)) == inode)
                pids << pid;
        }
        return pids;
    }

    // The tun devices in the client's namespace.
    QStringList clientTunnels() const
    {
        using namespace pier::sandbox;
        const ProcessResult r = runProcess(findProgram(QStringLiteral("ip")),
                                           {"-n", m_clientNs, "-o", "link", "show", "type", "tun"});
        QStringList out;
        for (const QByteArray &line : r.out.split('\n')) {
            if (!line.trimmed().isEmpty())
                out << QString::fromUtf8(line.split(':').value(1)).trimmed();
        }
        return out;
    }

    // Everything down: the server, what still runs in the namespaces (ours only), the namespaces.
    void tearDown()
    {
        using namespace pier::sandbox;
        stopServer();
        qDeleteAll(m_http);
        m_http.clear();
        if (!m_made)
            return;
        m_made = false;
        for (const QString &ns : {m_clientNs, m_serverNs}) {
            for (qint64 pid : pidsIn(ns))
                ::kill(pid_t(pid), SIGTERM);
        }
        QTest::qWait(300);
        for (const QString &ns : {m_clientNs, m_serverNs}) {
            for (qint64 pid : pidsIn(ns))
                ::kill(pid_t(pid), SIGKILL);
            ip({QStringLiteral("netns"), QStringLiteral("del"), ns});
        }
    }

private:
    static QString ip(const QStringList &args)
    {
        using namespace pier::sandbox;
        const ProcessResult r = runProcess(findProgram(QStringLiteral("ip")), args);
        return r.ok() ? QString() : r.errorText();
    }
    static QString openssl(const QStringList &args)
    {
        using namespace pier::sandbox;
        const ProcessResult r = runProcess(QStringLiteral("openssl"), args, {}, 60000);
        return r.ok() ? QString() : r.errorText() + QString::fromLocal8Bit(r.err);
    }

    QString m_id, m_serverNs, m_clientNs;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_ovpn;
    QProcess *m_server = nullptr;
    QList<QTcpServer *> m_http;
    int m_requests = 0;
    bool m_made = false;
};

} // namespace pier::test
