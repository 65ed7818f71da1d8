#include "vpn/ovpnconfig.h"

#include <QFile>
#include <QHostAddress>
#include <QSet>

namespace pier::vpn {

namespace {

// Options whose value may be an inline <block>: their content is key material or a password.
const QSet<QString> kInlineOptions = {QStringLiteral("ca"),
                                      QStringLiteral("cert"),
                                      QStringLiteral("key"),
                                      QStringLiteral("dh"),
                                      QStringLiteral("extra-certs"),
                                      QStringLiteral("pkcs12"),
                                      QStringLiteral("crl-verify"),
                                      QStringLiteral("tls-auth"),
                                      QStringLiteral("tls-crypt"),
                                      QStringLiteral("tls-crypt-v2"),
                                      QStringLiteral("auth-user-pass"),
                                      QStringLiteral("http-proxy-user-pass"),
                                      QStringLiteral("peer-fingerprint"),
                                      QStringLiteral("verify-hash"),
                                      QStringLiteral("secret"),
                                      QStringLiteral("auth-gen-token-secret")};

// Directives that change nothing Pier shows or does; accepted without being listed as unknown.
const QSet<QString> kQuiet = {QStringLiteral("nobind"),
                              QStringLiteral("persist-key"),
                              QStringLiteral("persist-tun"),
                              QStringLiteral("resolv-retry"),
                              QStringLiteral("remote-cert-tls"),
                              QStringLiteral("cipher"),
                              QStringLiteral("data-ciphers"),
                              QStringLiteral("data-ciphers-fallback"),
                              QStringLiteral("verb"),
                              QStringLiteral("mute"),
                              QStringLiteral("auth"),
                              QStringLiteral("key-direction"),
                              QStringLiteral("tls-client"),
                              QStringLiteral("pull"),
                              QStringLiteral("comp-lzo"),
                              QStringLiteral("compress"),
                              QStringLiteral("mute-replay-warnings"),
                              QStringLiteral("auth-nocache"),
                              QStringLiteral("remote-random"),
                              QStringLiteral("connect-retry"),
                              QStringLiteral("connect-retry-max"),
                              QStringLiteral("tls-version-min"),
                              QStringLiteral("verify-x509-name"),
                              QStringLiteral("ns-cert-type"),
                              QStringLiteral("reneg-sec"),
                              QStringLiteral("tun-mtu"),
                              QStringLiteral("mssfix"),
                              QStringLiteral("float"),
                              QStringLiteral("keepalive"),
                              QStringLiteral("ping"),
                              QStringLiteral("ping-restart"),
                              QStringLiteral("auth-retry"),
                              QStringLiteral("setenv"),
                              QStringLiteral("tls-cipher"),
                              QStringLiteral("explicit-exit-notify"),
                              QStringLiteral("topology")};

const QSet<QString> kProtos = {
    QStringLiteral("udp"),        QStringLiteral("tcp"),         QStringLiteral("udp4"),
    QStringLiteral("tcp4"),       QStringLiteral("udp6"),        QStringLiteral("tcp6"),
    QStringLiteral("tcp-client"), QStringLiteral("tcp4-client"), QStringLiteral("tcp6-client")};

// OpenVPN's config lexer: whitespace separates, "" and '' quote, backslash escapes outside ''.
QStringList tokenize(const QString &line, bool *unbalanced)
{
    QStringList out;
    QString cur;
    bool have = false;
    QChar quote;
    *unbalanced = false;
    for (int i = 0; i < line.size(); ++i) {
        const QChar c = line.at(i);
        if (quote.isNull()) {
            if (c.isSpace()) {
                if (have)
                    out << cur;
                cur.clear();
                have = false;
            } else if (c == QLatin1Char('"') || c == QLatin1Char('\'')) {
                quote = c;
                have = true;
            } else if (c == QLatin1Char('\\') && i + 1 < line.size()) {
                cur += line.at(++i);
                have = true;
            } else if ((c == QLatin1Char('#') || c == QLatin1Char(';')) && !have) {
                break; // a comment after the arguments
            } else {
                cur += c;
                have = true;
            }
        } else if (c == quote) {
            quote = QChar();
        } else if (c == QLatin1Char('\\') && quote == QLatin1Char('"') && i + 1 < line.size()) {
            cur += line.at(++i);
        } else {
            cur += c;
        }
    }
    if (!quote.isNull())
        *unbalanced = true;
    if (have)
        out << cur;
    return out;
}

bool validPort(const QString &text, int *port)
{
    bool ok = false;
    const int p = text.toInt(&ok);
    if (!ok || p < 1 || p > 65535)
        return false;
    *port = p;
    return true;
}

int prefixLength(const QString &netmask)
{
    QHostAddress a;
    if (!a.setAddress(netmask) || a.protocol() != QAbstractSocket::IPv4Protocol)
        return -1;
    const quint32 m = a.toIPv4Address();
    const int bits = __builtin_popcount(m);
    if (bits != 32 && (m << bits) != 0)
        return -1; // not contiguous
    return bits;
}

void parseInto(OvpnConfig &c, const QStringList &lines, int firstLine, bool inConnection);

void handle(OvpnConfig &c, int line, const QString &name, const QStringList &a)
{
    auto problem = [&](const QString &text) { c.problems.append({line, text}); };
    if (name == QLatin1String("client")) {
        c.client = true;
    } else if (name == QLatin1String("remote")) {
        if (a.isEmpty()) {
            problem(QStringLiteral("\"remote\" needs a host name or address."));
            return;
        }
        OvpnConfig::Remote r;
        r.host = a.at(0);
        r.port = c.port;
        if (a.size() > 1 && !validPort(a.at(1), &r.port)) {
            problem(QStringLiteral("\"remote %1 %2\": the port must be a number from 1 to 65535.")
                        .arg(a.at(0), a.at(1)));
            return;
        }
        if (a.size() > 2) {
            if (!kProtos.contains(a.at(2).toLower())) {
                problem(QStringLiteral("\"remote\": unknown protocol \"%1\" (udp or tcp).")
                            .arg(a.at(2)));
                return;
            }
            r.proto = a.at(2).toLower();
        }
        r.port = a.size() > 1 ? r.port : -1; // filled from the global port at the end
        c.remotes.append(r);
    } else if (name == QLatin1String("proto")) {
        if (a.size() != 1 || !kProtos.contains(a.at(0).toLower()))
            problem(QStringLiteral("\"proto\" takes udp or tcp."));
        else
            c.proto = a.at(0).toLower();
    } else if (name == QLatin1String("port") || name == QLatin1String("rport")) {
        if (a.size() != 1 || !validPort(a.at(0), &c.port))
            problem(QStringLiteral("\"%1\" takes a port number from 1 to 65535.").arg(name));
    } else if (name == QLatin1String("dev")) {
        if (a.size() != 1)
            problem(QStringLiteral("\"dev\" takes one device name (tun or tap)."));
        else
            c.dev = a.at(0);
    } else if (name == QLatin1String("route")) {
        if (a.isEmpty()) {
            problem(QStringLiteral("\"route\" needs a network."));
            return;
        }
        OvpnConfig::Route r{a.at(0), a.value(1), a.value(2)};
        if (r.netmask == QLatin1String("default"))
            r.netmask.clear();
        if (!r.netmask.isEmpty() && prefixLength(r.netmask) < 0) {
            problem(
                QStringLiteral("\"route %1 %2\": %2 is not a netmask.").arg(r.network, r.netmask));
            return;
        }
        c.routes.append(r);
    } else if (name == QLatin1String("route-nopull")) {
        c.routeNoPull = true;
    } else if (name == QLatin1String("redirect-gateway")) {
        c.redirectGateway = true;
        c.redirectGatewayFlags = a;
    } else if (name == QLatin1String("auth-user-pass")) {
        c.authUserPass = true;
        c.authUserPassFile = a.value(0);
    } else if (name == QLatin1String("management")) {
        if (a.size() >= 2 && a.at(1) == QLatin1String("unix")) {
            c.managementUnixSocket = a.at(0);
        } else if (a.size() < 2 || !validPort(a.at(1), &c.managementPort)) {
            problem(QStringLiteral(
                "\"management\" takes an address and a port, or a socket path and \"unix\"."));
        } else {
            c.managementHost = a.at(0);
        }
    } else if (name == QLatin1String("management-hold")) {
        c.managementHold = true;
    } else if (name == QLatin1String("management-query-passwords")) {
        c.managementQueryPasswords = true;
    } else if (kInlineOptions.contains(name)) {
        if (!a.isEmpty())
            c.fileReferences << name;
    } else if (!kQuiet.contains(name)) {
        c.unknown.append({line, name, a});
    }
}

void parseInto(OvpnConfig &c, const QStringList &lines, int firstLine, bool inConnection)
{
    for (int i = 0; i < lines.size(); ++i) {
        const int lineNo = firstLine + i;
        const QString line = lines.at(i).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')) ||
            line.startsWith(QLatin1Char(';')))
            continue;
        if (line.startsWith(QLatin1String("</"))) {
            c.problems.append(
                {lineNo, QStringLiteral("%1 closes a block that was not opened.").arg(line)});
            continue;
        }
        if (line.startsWith(QLatin1Char('<')) && line.endsWith(QLatin1Char('>'))) {
            const QString block = line.mid(1, line.size() - 2).trimmed();
            const QString end = QStringLiteral("</%1>").arg(block);
            int j = i + 1;
            while (j < lines.size() && lines.at(j).trimmed() != end)
                ++j;
            if (j >= lines.size()) {
                c.problems.append(
                    {lineNo, QStringLiteral("<%1> is never closed (no %2).").arg(block, end)});
                return;
            }
            const QStringList body = lines.mid(i + 1, j - i - 1);
            if (block == QLatin1String("connection") && !inConnection) {
                parseInto(c, body, lineNo + 1, true);
            } else if (kInlineOptions.contains(block)) {
                c.inlineBlocks << block;
                if (block == QLatin1String("auth-user-pass")) {
                    c.authUserPass = true;
                    c.authUserPassInline = true;
                }
                bool empty = true;
                for (const QString &b : body)
                    empty = empty && b.trimmed().isEmpty();
                if (empty)
                    c.problems.append({lineNo, QStringLiteral("<%1> is empty.").arg(block)});
            } else {
                c.problems.append(
                    {lineNo, QStringLiteral("<%1> is not a block OpenVPN knows.").arg(block)});
            }
            i = j;
            continue;
        }
        bool unbalanced = false;
        QStringList tokens = tokenize(line, &unbalanced);
        if (unbalanced) {
            c.problems.append({lineNo, QStringLiteral("a quote is not closed.")});
            continue;
        }
        if (tokens.isEmpty())
            continue;
        QString name = tokens.takeFirst();
        if (name.startsWith(QLatin1String("--")))
            name = name.mid(2);
        handle(c, lineNo, name, tokens);
    }
}

QString joinWords(const QStringList &items)
{
    if (items.size() <= 1)
        return items.value(0);
    return QStringList(items.mid(0, items.size() - 1)).join(QStringLiteral(", ")) +
           QStringLiteral(" and ") + items.last();
}

QString protoWord(const QString &proto)
{
    return proto.startsWith(QLatin1String("tcp")) ? QStringLiteral("TCP") : QStringLiteral("UDP");
}

} // namespace

QString OvpnConfig::Route::cidr() const
{
    if (netmask.isEmpty())
        return network + QStringLiteral("/32");
    return QStringLiteral("%1/%2").arg(network).arg(prefixLength(netmask));
}

OvpnConfig OvpnConfig::parse(const QByteArray &text)
{
    OvpnConfig c;
    QString s = QString::fromUtf8(text);
    s.replace(QLatin1String("\r\n"), QLatin1String("\n"));
    parseInto(c, s.split(QLatin1Char('\n')), 1, false);
    for (Remote &r : c.remotes) {
        if (r.port < 0)
            r.port = c.port;
    }
    if (c.remotes.isEmpty() && c.problems.isEmpty())
        c.problems.append(
            {0, QStringLiteral(
                    "no \"remote\" line: the file does not say which server to connect to.")});
    return c;
}

OvpnConfig OvpnConfig::load(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        OvpnConfig c;
        c.path = path;
        c.problems.append({0, QStringLiteral("cannot read %1: %2").arg(path, f.errorString())});
        return c;
    }
    OvpnConfig c = parse(f.readAll());
    c.path = path;
    return c;
}

QStringList OvpnConfig::problemLines() const
{
    QStringList out;
    for (const Problem &p : problems)
        out << (p.line > 0 ? QStringLiteral("line %1: %2").arg(p.line).arg(p.text) : p.text);
    return out;
}

QStringList OvpnConfig::summary() const
{
    QStringList s;
    if (!remotes.isEmpty()) {
        const Remote &first = remotes.first();
        QString line = QStringLiteral("Connects to %1:%2 over %3")
                           .arg(first.host)
                           .arg(first.port)
                           .arg(protoWord(protoOf(first)));
        QStringList others;
        for (int i = 1; i < remotes.size(); ++i)
            others << QStringLiteral("%1:%2 over %3")
                          .arg(remotes.at(i).host)
                          .arg(remotes.at(i).port)
                          .arg(protoWord(protoOf(remotes.at(i))));
        if (!others.isEmpty())
            line += QStringLiteral(" (else %1)").arg(joinWords(others));
        s << line + QLatin1Char('.');
    }
    s << QStringLiteral("Creates a %1 network device on this machine (needs root).")
             .arg(dev.startsWith(QLatin1String("tap")) ? QStringLiteral("tap")
                                                       : QStringLiteral("tun"));
    QStringList cidrs;
    for (const Route &r : routes)
        cidrs << r.cidr();
    if (!cidrs.isEmpty())
        s << QStringLiteral("Adds routes to %1 through the tunnel.").arg(joinWords(cidrs));
    if (routeNoPull)
        s << QStringLiteral("Ignores the routes the server pushes (route-nopull).");
    else if (client)
        s << QStringLiteral("Adds the routes the server pushes (known only once connected).");
    if (redirectGateway)
        s << QStringLiteral(
                 "Sends ALL traffic of this machine through the VPN (redirect-gateway%1).")
                 .arg(redirectGatewayFlags.isEmpty()
                          ? QString()
                          : QLatin1Char(' ') + redirectGatewayFlags.join(QLatin1Char(' ')));
    if (authUserPass) {
        if (authUserPassInline)
            s << QStringLiteral("Logs in with the user name and password written inside the file.");
        else if (!authUserPassFile.isEmpty())
            s << QStringLiteral("Logs in with the user name and password in %1.")
                     .arg(authUserPassFile);
        else
            s << QStringLiteral("Asks for a user name and password (Pier takes them from the "
                                "keychain, or asks you).");
    }
    QStringList keys = inlineBlocks;
    keys.removeAll(QStringLiteral("auth-user-pass"));
    if (!keys.isEmpty())
        s << QStringLiteral("Authenticates with the certificates and keys inside the file (%1).")
                 .arg(keys.join(QStringLiteral(", ")));
    if (!fileReferences.isEmpty()) {
        QStringList refs = fileReferences;
        refs.removeAll(QStringLiteral("auth-user-pass"));
        if (!refs.isEmpty())
            s << QStringLiteral("Reads %1 from files next to it.")
                     .arg(refs.join(QStringLiteral(", ")));
    }
    if (managementPort > 0)
        s << QStringLiteral("Opens its management interface on %1:%2.")
                 .arg(managementHost)
                 .arg(managementPort);
    else if (!managementUnixSocket.isEmpty())
        s << QStringLiteral("Opens its management interface on the socket %1.")
                 .arg(managementUnixSocket);
    if (!unknown.isEmpty()) {
        QStringList names;
        for (const Directive &d : unknown)
            names << QStringLiteral("%1 (line %2)").arg(d.name).arg(d.line);
        s << QStringLiteral("Also has directives Pier passes to OpenVPN as they are: %1.")
                 .arg(names.join(QStringLiteral(", ")));
    }
    for (const QString &p : problemLines())
        s << QStringLiteral("Problem: %1").arg(p);
    return s;
}

} // namespace pier::vpn
