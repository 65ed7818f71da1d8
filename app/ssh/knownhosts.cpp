#include "ssh/knownhosts.h"

#include <QCryptographicHash>
#include <QFile>
#include <QMessageAuthenticationCode>

namespace pier::ssh {

QString knownHostsName(const QString &host, int port)
{
    if (port == 22)
        return host;
    return QStringLiteral("[%1]:%2").arg(host).arg(port);
}

QList<int> knownHostsLines(const QString &file, const QString &name)
{
    QList<int> lines;
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return lines;
    const QByteArray wanted = name.toUtf8();
    int number = 0;
    while (!f.atEnd()) {
        ++number;
        QByteArray line = f.readLine().trimmed();
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        if (line.startsWith('@')) { // @cert-authority / @revoked marker before the hosts
            const int sp = line.indexOf(' ');
            line = sp < 0 ? QByteArray() : line.mid(sp + 1).trimmed();
        }
        const int sp = line.indexOf(' ');
        const QByteArray hosts = sp < 0 ? line : line.left(sp);
        bool match = false;
        for (const QByteArray &pattern : hosts.split(',')) {
            if (pattern.startsWith("|1|")) {
                const QList<QByteArray> parts = pattern.split('|');
                if (parts.size() == 4) {
                    const QByteArray salt = QByteArray::fromBase64(parts.at(2));
                    const QByteArray hash = QByteArray::fromBase64(parts.at(3));
                    match = QMessageAuthenticationCode::hash(wanted, salt,
                                                             QCryptographicHash::Sha1) == hash;
                }
            } else {
                match = pattern == wanted;
            }
            if (match)
                break;
        }
        if (match)
            lines << number;
    }
    return lines;
}

} // namespace pier::ssh
