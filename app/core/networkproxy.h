#pragma once

#include <QNetworkProxy>
#include <QString>

class QNetworkAccessManager;

namespace pier {

// A SOCKS5 proxy into a private network, as users write it: "socks5://host:port", "socks5h://..."
// or "host:port". Host names are resolved by the proxy (remote DNS), so cluster-internal names
// work. Empty text: QNetworkProxy::DefaultProxy (the application's setting: direct by default).
// Returns false (and says why in *error) when the text is not such an address.
bool parseSocksProxy(const QString &text, QNetworkProxy *proxy, QString *error = nullptr);

// Sets NAM's proxy from TEXT (see parseSocksProxy); an invalid text leaves the
// default. Returns what parseSocksProxy returned.
bool applySocksProxy(QNetworkAccessManager *nam, const QString &text, QString *error = nullptr);

} // namespace pier
