#pragma once

// A tiny SOCKS5 relay for tests (RFC 1928, no authentication, CONNECT only) that forwards to
// loopback targets only and remembers what it was asked for.

#include <QHostAddress>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

namespace pier::test {

class Socks5Relay : public QObject {
public:
    QStringList requests; // "host:port" as the client asked

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    int port() const { return m_server.serverPort(); }

    Socks5Relay()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *c = m_server.nextPendingConnection())
                serve(c);
        });
    }

private:
    void serve(QTcpSocket *client)
    {
        client->setParent(this);
        auto *buffer = new QByteArray;
        auto *stage = new int(0);
        connect(client, &QObject::destroyed, this, [buffer, stage] {
            delete buffer;
            delete stage;
        });
        connect(client, &QTcpSocket::readyRead, this, [=] {
            if (*stage == 2)
                return; // relaying: handled by the pipe
            *buffer += client->readAll();
            if (*stage == 0) {
                if (buffer->size() < 2 || buffer->size() < 2 + quint8(buffer->at(1)))
                    return;
                buffer->remove(0, 2 + quint8(buffer->at(1)));
                client->write(QByteArray("\x05\x00", 2));
                *stage = 1;
            }
            if (*stage == 1) {
                if (buffer->size() < 5)
                    return;
                const int atyp = quint8(buffer->at(3));
                int len = atyp == 1 ? 4 : atyp == 4 ? 16 : 1 + quint8(buffer->at(4));
                if (buffer->size() < 4 + len + 2)
                    return;
                QString host;
                if (atyp == 1)
                    host =
                        QHostAddress(quint32((quint8(buffer->at(4)) << 24) |
                                             (quint8(buffer->at(5)) << 16) |
                                             (quint8(buffer->at(6)) << 8) | quint8(buffer->at(7))))
                            .toString();
                else if (atyp == 3)
                    host = QString::fromUtf8(buffer->mid(5, len - 1));
                const int port = (quint8(buffer->at(4 + len)) << 8) | quint8(buffer->at(5 + len));
                buffer->remove(0, 4 + len + 2);
                requests << QStringLiteral("%1:%2").arg(host).arg(port);
                // Loopback only: nothing may leave the machine.
                const bool loopback =
                    host == QLatin1String("localhost") || QHostAddress(host).isLoopback();
                if (!loopback) {
                    client->write(QByteArray("\x05\x02\x00\x01\0\0\0\0\0\0", 10));
                    client->disconnectFromHost();
                    return;
                }
                auto *upstream = new QTcpSocket(client);
                connect(upstream, &QTcpSocket::connected, this, [=] {
                    client->write(QByteArray("\x05\x00\x00\x01\x7f\0\0\x01\0\0", 10));
                    *stage = 2;
                    if (!buffer->isEmpty())
                        upstream->write(*buffer);
                    buffer->clear();
                    connect(client, &QTcpSocket::readyRead, upstream,
                            [=] { upstream->write(client->readAll()); });
                    connect(upstream, &QTcpSocket::readyRead, client,
                            [=] { client->write(upstream->readAll()); });
                    connect(upstream, &QTcpSocket::disconnected, client,
                            &QTcpSocket::disconnectFromHost);
                    connect(client, &QTcpSocket::disconnected, upstream,
                            &QTcpSocket::disconnectFromHost);
                });
                connect(upstream, &QTcpSocket::errorOccurred, this, [=] {
                    if (*stage == 2)
                        return;
                    client->write(QByteArray("\x05\x05\x00\x01\0\0\0\0\0\0", 10));
                    client->disconnectFromHost();
                });
                upstream->connectToHost(QHostAddress::LocalHost, quint16(port));
            }
        });
        connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
    }

    QTcpServer m_server;
};

} // namespace pier::test
