#pragma once

// Reading known_hosts for what libssh does not say: which lines hold a host's keys, so a changed
// key can be explained with the line to remove.

#include <QList>
#include <QString>

namespace pier::ssh {

// "host" for port 22, else "[host]:port": the name OpenSSH and libssh write to known_hosts.
QString knownHostsName(const QString &host, int port);

// 1-based numbers of the lines in FILE whose host field names NAME, plainly or hashed
// (|1|salt|hash, as with HashKnownHosts yes). Wildcard patterns are not matched.
QList<int> knownHostsLines(const QString &file, const QString &name);

} // namespace pier::ssh
