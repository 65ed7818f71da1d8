#pragma once

// The TCP connection an SSH session runs over, opened by Pier rather than by libssh so that errors
// read as words ("connection refused by ...") and a SOCKS5 proxy can sit in between.

#include <QString>

#include <atomic>

namespace pier::ssh {

// A connected socket to HOST:PORT (blocking mode), or -1 with *error saying what went wrong in
// words. Gives up after timeoutMs, or early when *abort turns true.
int tcpConnect(const QString &host, int port, int timeoutMs, QString *error,
               const std::atomic_bool *abort = nullptr);

// A socket to HOST:PORT through the SOCKS5 proxy at PROXY ("host:port"; RFC 1928, no
// authentication, CONNECT with the target's name or address, so the proxy resolves names).
int socks5Connect(const QString &proxy, const QString &host, int port, int timeoutMs,
                  QString *error, const std::atomic_bool *abort = nullptr);

// "host:port" (or "[v6]:port") split; false when it is not of that shape.
bool splitHostPort(const QString &text, QString *host, int *port);

} // namespace pier::ssh
