#include "core/networkproxy.h"

#include <QNetworkAccessManager>
#include <QUrl>

namespace pier {

bool parseSocksProxy(const QString &text, QNetworkProxy *proxy, QString *error)
{
    *proxy = QNetworkProxy(QNetworkProxy::DefaultProxy); // the application's (none by default)
    const QString t = text.trimmed();
    if (t.isEmpty())
        return true;
    const QUrl url(t.contains(QLatin1String("://")) ? t : QStringLiteral("socks5://") + t,
                   QUrl::StrictMode);
    const bool socks = url.scheme() == QLatin1String("socks5") ||
                       url.scheme() == QLatin1String("socks5h") ||
                       url.scheme() == QLatin1String("socks");
    if (!url.isValid() || !socks || url.host().isEmpty() || url.port() <= 0 ||
        (!url.path().isEmpty() && url.path() != QLatin1String("/"))) {
        if (error)
            *error = QStringLiteral("\"%1\" is not a SOCKS5 proxy; expected socks5://HOST:PORT or "
                                    "HOST:PORT, e.g. socks5://127.0.0.1:1080")
                         .arg(text);
        return false;
    }
    QNetworkProxy p(QNetworkProxy::Socks5Proxy, url.host(), quint16(url.port()), url.userName(),
                    url.password());
    // Names are looked up on the far side: a cluster's internal names mean nothing here.
    p.setCapabilities(p.capabilities() | QNetworkProxy::HostNameLookupCapability);
    *proxy = p;
    return true;
}

bool applySocksProxy(QNetworkAccessManager *nam, const QString &text, QString *error)
{
    QNetworkProxy proxy;
    const bool ok = parseSocksProxy(text, &proxy, error);
    if (nam->proxy() != proxy) {
        nam->setProxy(proxy);
        nam->clearConnectionCache();
    }
    return ok;
}

} // namespace pier
