#pragma once

#include <QList>
#include <QObject>
#include <QPointer>
#include <QQueue>
#include <QString>
#include <QStringList>
#include <functional>

class QIODevice;
class QTcpSocket;
class QLocalSocket;

namespace pier::vpn {

// One >STATE: line (or a line of the `state` command's output).
struct VpnState {
    qint64 time = 0;
    QString name; // CONNECTING, WAIT, AUTH, GET_CONFIG, ASSIGN_IP, ADD_ROUTES, CONNECTED, ...
    QString description; // e.g. SUCCESS, ROUTE_ERROR, auth-failure, tls-error, SIGTERM
    QString localIp;     // the tunnel address (ASSIGN_IP, CONNECTED)
    QString remoteIp;    // the server (CONNECTED)
    QString remotePort;
    static VpnState parse(const QString &fields);
    // "connecting", "waiting for the server's first answer", ...: for progress lines.
    QString words() const;
};

// A client of OpenVPN's management interface (a TCP port on 127.0.0.1 or a unix socket): sends
// commands one at a time and matches their replies (SUCCESS:/ERROR: or lines up to END), while
// the real-time notifications (>STATE:, >PASSWORD:, >HOLD:, >FATAL:, ...) interleaved with them
// are turned into signals as they come.
class ManagementClient : public QObject {
    Q_OBJECT
public:
    struct Reply {
        bool ok = false;   // SUCCESS:, or an END block
        QString text;      // the text after SUCCESS:/ERROR:, or the lines joined
        QStringList lines; // a multi-line reply's lines, without END
    };
    using ReplyCallback = std::function<void(const Reply &)>;

    explicit ManagementClient(QObject *parent = nullptr);
    ~ManagementClient() override;

    // host:port, or a path with unixSocket = true. `connected` or `connectionFailed` follows.
    void connectTo(const QString &hostOrPath, int port, bool unixSocket = false);
    void disconnectFromServer();
    bool isConnected() const;
    QString address() const { return m_address; }
    bool isOpenVpn() const { return m_sawBanner; } // the banner said "OpenVPN Management Interface"

    void command(const QString &line, ReplyCallback done = {});
    // Answers a >PASSWORD:Need 'REALM' username/password prompt; never logged.
    void sendCredentials(const QString &realm, const QString &user, const QString &password,
                         bool passwordToo = true);

    // The escaping OpenVPN's lexer undoes: "a\"b" for a"b.
    static QString quote(const QString &value);

signals:
    void connected();
    void connectionFailed(const QString &error);
    void disconnected();
    void banner(const QString &text);
    void stateChanged(const pier::vpn::VpnState &state);
    void passwordNeeded(const QString &realm, bool passwordToo, const QString &challenge);
    void verificationFailed(const QString &realm);
    void hold(const QString &text);
    void fatal(const QString &text);
    void logLine(const QString &text);
    void notification(const QString &type, const QString &text); // every > line

private:
    void onReadyRead();
    void handleLine(const QString &line);
    void handleNotification(const QString &type, const QString &text);
    void sendNext();
    void onClosed();
    void failPending();

    struct Pending {
        QString line;
        ReplyCallback done;
        QStringList lines;
        bool secret = false;
    };
    QPointer<QIODevice> m_io;
    QTcpSocket *m_tcp = nullptr;
    QLocalSocket *m_local = nullptr;
    QString m_address;
    QByteArray m_buffer;
    QQueue<Pending> m_queue;
    bool m_inFlight = false;
    bool m_sawBanner = false;
    bool m_wasConnected = false;
};

} // namespace pier::vpn
