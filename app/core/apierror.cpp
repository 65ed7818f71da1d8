#include "core/apierror.h"

namespace pier {

bool ApiError::isTransient() const
{
    switch (kind) {
    case Kind::Network:
    case Kind::Timeout:
    case Kind::Server:
        return true;
    default:
        return false;
    }
}

QString ApiError::toText() const
{
    QStringList lines;
    lines << (message.isEmpty() ? kindName(kind) : message);
    for (const FieldError &d : details)
        lines << QStringLiteral("  %1: %2").arg(d.path, d.errors.join(QStringLiteral("; ")));
    if (!deploymentIds.isEmpty())
        lines << QStringLiteral("  deployments: %1").arg(deploymentIds.join(QStringLiteral(", ")));
    if (!hint.isEmpty())
        lines << hint;
    return lines.join(QLatin1Char('\n'));
}

QString ApiError::kindName(Kind kind)
{
    switch (kind) {
    case Kind::None:
        return QStringLiteral("no error");
    case Kind::Network:
        return QStringLiteral("network error");
    case Kind::Timeout:
        return QStringLiteral("timed out");
    case Kind::Tls:
        return QStringLiteral("TLS error");
    case Kind::Auth:
        return QStringLiteral("not authorized");
    case Kind::NotFound:
        return QStringLiteral("not found");
    case Kind::Conflict:
        return QStringLiteral("conflict");
    case Kind::Invalid:
        return QStringLiteral("rejected as invalid");
    case Kind::Server:
        return QStringLiteral("server error");
    case Kind::BadReply:
        return QStringLiteral("unexpected reply");
    case Kind::Cancelled:
        return QStringLiteral("cancelled");
    case Kind::Stalled:
        return QStringLiteral("did not finish in time");
    case Kind::Local:
        return QStringLiteral("local error");
    }
    return {};
}

ApiError ApiError::local(const QString &message, const QString &hint)
{
    ApiError e;
    e.kind = Kind::Local;
    e.message = message;
    e.hint = hint;
    return e;
}

ApiError ApiError::cancelled()
{
    ApiError e;
    e.kind = Kind::Cancelled;
    e.message = QStringLiteral("Cancelled.");
    return e;
}

} // namespace pier
