#include "vpn/management.h"

#include "vpn/vpnlog.h"

#include <QHash>
#include <QNetworkProxy>

#include <QLocalSocket>
#include <QTcpSocket>

namespace pier::vpn {

VpnState VpnState::parse(const QString &fields)
{
    const QStringList f = fields.split(QLatin1Char(','));
    VpnState s;
    s.time = f.value(0).toLongLong();
    s.name = f.value(1);
    s.description = f.value(2);
    s.localIp = f.value(3);
    s.remoteIp = f.value(4);
    s.remotePort = f.value(5);
    return s;
}

QString VpnState::words() const
{
    static const QHash<QString, QString> names = {
        {QStringLiteral("CONNECTING"), QStringLiteral("starting")},
        {QStringLiteral("RESOLVE"), QStringLiteral("looking up the server's address")},
        {QStringLiteral("TCP_CONNECT"), QStringLiteral("opening a TCP connection to the server")},
        {QStringLiteral("WAIT"), QStringLiteral("waiting for the server's first answer")},
        {QStringLiteral("AUTH"), QStringLiteral("authenticating with the server")},
        {QStringLiteral("AUTH_PENDING"),
         QStringLiteral("waiting for the server to finish authentication")},
        {QStringLiteral("GET_CONFIG"), QStringLiteral("getting the settings the server pushes")},
        {QStringLiteral("ASSIGN_IP"), QStringLiteral("setting the tunnel's address")},
        {QStringLiteral("ADD_ROUTES"), QStringLiteral("adding routes")},
        {QStringLiteral("CONNECTED"), QStringLiteral("connected")},
        {QStringLiteral("RECONNECTING"), QStringLiteral("reconnecting")},
        {QStringLiteral("EXITING"), QStringLiteral("exiting")}};
    QString w = names.value(name, name.toLower());
    if (!localIp.isEmpty() &&
        (name == QLatin1String("ASSIGN_IP") || name == QLatin1String("CONNECTED")))
        w += QStringLiteral(" (tunnel address %1)").arg(localIp);
    if (!description.isEmpty() && name != QLatin1String("CONNECTED") &&
        name != QLatin1String("ASSIGN_IP"))
        w += QStringLiteral(" (%1)").arg(description);
    else if (name == QLatin1String("CONNECTED") && description != QLatin1String("SUCCESS") &&
             !description.isEmpty())
        w += QStringLiteral(", with %1").arg(description);
    return w;
}

ManagementClient::ManagementClient(QObject *parent) : QObject(parent) {}

ManagementClient::~ManagementClient() = default;

QString ManagementClient::quote(const QString &value)
{
    QString v = value;
    v.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    v.replace(QLatin1Char('"'), QLatin1String("\\\""));
    return QLatin1Char('"') + v + QLatin1Char('"');
}

void ManagementClient::connectTo(const QString &hostOrPath, int port, bool unixSocket)
{
    disconnectFromServer();
    m_sawBanner = false;
    m_wasConnected = false;
    m_buffer.clear();
    if (unixSocket) {
        m_address = hostOrPath;
        m_local = new QLocalSocket(this);
        m_io = m_local;
        connect(m_local, &QLocalSocket::connected, this, [this] {
            m_wasConnected = true;
            emit connected();
        });
        connect(m_local, &QLocalSocket::errorOccurred, this, [this] {
            if (!m_wasConnected)
                emit connectionFailed(m_local->errorString());
        });
        connect(m_local, &QLocalSocket::disconnected, this, &ManagementClient::onClosed);
        connect(m_local, &QLocalSocket::readyRead, this, &ManagementClient::onReadyRead);
        m_local->connectToServer(hostOrPath);
        return;
    }
    m_address = QStringLiteral("%1:%2").arg(hostOrPath).arg(port);
    m_tcp = new QTcpSocket(this);
    m_tcp->setProxy(QNetworkProxy::NoProxy); // always local: never through a proxy
    m_io = m_tcp;
    connect(m_tcp, &QTcpSocket::connected, this, [this] {
        m_wasConnected = true;
        emit connected();
    });
    connect(m_tcp, &QTcpSocket::errorOccurred, this, [this] {
        if (!m_wasConnected)
            emit connectionFailed(m_tcp->errorString());
    });
    connect(m_tcp, &QTcpSocket::disconnected, this, &ManagementClient::onClosed);
    connect(m_tcp, &QTcpSocket::readyRead, this, &ManagementClient::onReadyRead);
    m_tcp->connectToHost(hostOrPath, quint16(port));
}

void ManagementClient::onClosed()
{
    if (!m_wasConnected)
        return;
    m_wasConnected = false;
    failPending();
    emit disconnected();
}

void ManagementClient::failPending()
{
    QQueue<Pending> queue;
    queue.swap(m_queue);
    m_inFlight = false;
    for (Pending &p : queue) {
        if (p.done)
            p.done({false, QStringLiteral("the management session ended"), {}});
    }
}

void ManagementClient::disconnectFromServer()
{
    // Callers waiting for replies are told the session ended.
    failPending();
    if (m_tcp) {
        m_tcp->disconnect(this);
        m_tcp->abort();
        m_tcp->deleteLater();
        m_tcp = nullptr;
    }
    if (m_local) {
        m_local->disconnect(this);
        m_local->abort();
        m_local->deleteLater();
        m_local = nullptr;
    }
    m_io = nullptr;
}

bool ManagementClient::isConnected() const
{
    if (m_tcp)
        return m_tcp->state() == QAbstractSocket::ConnectedState;
    if (m_local)
        return m_local->state() == QLocalSocket::ConnectedState;
    return false;
}

void ManagementClient::command(const QString &line, ReplyCallback done)
{
    m_queue.enqueue({line, std::move(done), {}, false});
    sendNext();
}

void ManagementClient::sendCredentials(const QString &realm, const QString &user,
                                       const QString &password, bool passwordToo)
{
    m_queue.enqueue(
        {QStringLiteral("username %1 %2").arg(quote(realm), quote(user)), {}, {}, true});
    if (passwordToo)
        m_queue.enqueue(
            {QStringLiteral("password %1 %2").arg(quote(realm), quote(password)), {}, {}, true});
    sendNext();
}

void ManagementClient::sendNext()
{
    if (m_inFlight || m_queue.isEmpty() || !m_io)
        return;
    m_inFlight = true;
    const Pending &p = m_queue.head();
    if (!p.secret)
        qCDebug(lcVpn) << "management >" << p.line;
    m_io->write(p.line.toUtf8() + '\n');
}

void ManagementClient::onReadyRead()
{
    if (!m_io)
        return;
    m_buffer += m_io->readAll();
    qsizetype nl;
    while ((nl = m_buffer.indexOf('\n')) >= 0) {
        QByteArray raw = m_buffer.left(nl);
        m_buffer.remove(0, nl + 1);
        if (raw.endsWith('\r'))
            raw.chop(1);
        handleLine(QString::fromUtf8(raw));
        if (!m_io)
            return; // a handler disconnected
    }
}

void ManagementClient::handleLine(const QString &line)
{
    if (line.startsWith(QLatin1Char('>'))) {
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        if (colon > 1)
            handleNotification(line.mid(1, colon - 1), line.mid(colon + 1));
        return;
    }
    if (!m_inFlight || m_queue.isEmpty())
        return; // e.g. a stray END; nothing waits for it
    Pending &p = m_queue.head();
    Reply r;
    bool complete = false;
    if (line.startsWith(QLatin1String("SUCCESS:")) && p.lines.isEmpty()) {
        r = {true, line.mid(8).trimmed(), {}};
        complete = true;
    } else if (line.startsWith(QLatin1String("ERROR:")) && p.lines.isEmpty()) {
        r = {false, line.mid(6).trimmed(), {}};
        complete = true;
    } else if (line == QLatin1String("END")) {
        r = {true, p.lines.join(QLatin1Char('\n')), p.lines};
        complete = true;
    } else {
        p.lines << line;
    }
    if (!complete)
        return;
    Pending done = m_queue.dequeue();
    m_inFlight = false;
    if (!done.secret)
        qCDebug(lcVpn) << "management <" << (r.ok ? "SUCCESS" : "ERROR") << r.text.left(200);
    else if (!r.ok)
        qCWarning(lcVpn) << "management refused credentials:" << r.text.left(200);
    if (done.done)
        done.done(r);
    sendNext();
}

void ManagementClient::handleNotification(const QString &type, const QString &text)
{
    const bool secret =
        type == QLatin1String("PASSWORD") && text.startsWith(QLatin1String("Auth-Token"));
    emit notification(type, secret ? QStringLiteral("Auth-Token:(hidden)") : text);
    if (type == QLatin1String("INFO")) {
        if (text.contains(QLatin1String("OpenVPN Management Interface")))
            m_sawBanner = true;
        emit banner(text);
    } else if (type == QLatin1String("STATE")) {
        emit stateChanged(VpnState::parse(text));
    } else if (type == QLatin1String("PASSWORD")) {
        // Need 'Auth' username/password [SC:flag,TEXT] | Need 'Auth' username | Verification
        // Failed: 'Auth'
        const qsizetype a = text.indexOf(QLatin1Char('\''));
        const qsizetype b = a >= 0 ? text.indexOf(QLatin1Char('\''), a + 1) : -1;
        const QString realm = b > a ? text.mid(a + 1, b - a - 1) : QString();
        if (text.startsWith(QLatin1String("Need "))) {
            const QString rest = text.mid(b + 1).trimmed();
            const bool passwordToo = rest.startsWith(QLatin1String("username/password")) ||
                                     rest.startsWith(QLatin1String("password"));
            const qsizetype sc = rest.indexOf(QLatin1String("SC:"));
            emit passwordNeeded(realm, passwordToo,
                                sc >= 0 ? rest.mid(sc + 3).section(QLatin1Char(','), 1)
                                        : QString());
        } else if (text.startsWith(QLatin1String("Verification Failed"))) {
            emit verificationFailed(realm);
        }
        // Auth-Token:... carries a secret: neither logged nor passed on.
    } else if (type == QLatin1String("HOLD")) {
        emit hold(text);
    } else if (type == QLatin1String("FATAL")) {
        emit fatal(text);
    } else if (type == QLatin1String("LOG")) {
        emit logLine(text.section(QLatin1Char(','), 2));
    }
}

} // namespace pier::vpn
