#include "core/shellquote.h"

#include <QRegularExpression>

namespace pier {

QString shellQuote(const QString &word)
{
    static const QRegularExpression safe(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    if (safe.match(word).hasMatch())
        return word;
    QString quoted = word;
    // Inside single quotes nothing is special but the quote itself: end the quoted part, add an
    // escaped quote, start a new quoted part.
    quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

QString shellJoin(const QStringList &args)
{
    QStringList words;
    words.reserve(args.size());
    for (const QString &a : args)
        words << shellQuote(a);
    return words.join(QLatin1Char(' '));
}

} // namespace pier
