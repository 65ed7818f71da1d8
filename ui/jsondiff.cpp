#include "ui/jsondiff.h"

#include <vector>

namespace pier::ui {

QStringList splitLines(const QString &text)
{
    if (text.isEmpty())
        return {};
    QStringList lines = text.split(QLatin1Char('\n'));
    if (text.endsWith(QLatin1Char('\n')))
        lines.removeLast();
    for (QString &line : lines) {
        if (line.endsWith(QLatin1Char('\r')))
            line.chop(1);
    }
    return lines;
}

QList<DiffLine> diffLines(const QStringList &a, const QStringList &b)
{
    // Common prefix and suffix first: app definitions usually differ in a few lines, and this
    // keeps the quadratic table small.
    qsizetype prefix = 0;
    while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix])
        ++prefix;
    qsizetype suffix = 0;
    while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
           a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix])
        ++suffix;

    QList<DiffLine> out;
    for (qsizetype i = 0; i < prefix; ++i)
        out.append({DiffLine::Context, a[i]});

    const qsizetype n = a.size() - prefix - suffix;
    const qsizetype m = b.size() - prefix - suffix;
    constexpr qsizetype kMaxCells = 16 * 1024 * 1024;
    if (n > 0 && m > 0 && (n + 1) * (m + 1) <= kMaxCells) {
        // lcs[i][j]: length of the LCS of a[i..] and b[j..] (middle parts only).
        const qsizetype w = m + 1;
        std::vector<int> lcs(size_t((n + 1) * w), 0);
        for (qsizetype i = n - 1; i >= 0; --i) {
            for (qsizetype j = m - 1; j >= 0; --j) {
                lcs[size_t(i * w + j)] =
                    a[prefix + i] == b[prefix + j]
                        ? lcs[size_t((i + 1) * w + j + 1)] + 1
                        : std::max(lcs[size_t((i + 1) * w + j)], lcs[size_t(i * w + j + 1)]);
            }
        }
        qsizetype i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a[prefix + i] == b[prefix + j]) {
                out.append({DiffLine::Context, a[prefix + i]});
                ++i;
                ++j;
            } else if (i < n &&
                       (j >= m || lcs[size_t((i + 1) * w + j)] >= lcs[size_t(i * w + j + 1)])) {
                out.append({DiffLine::Removed, a[prefix + i]});
                ++i;
            } else {
                out.append({DiffLine::Added, b[prefix + j]});
                ++j;
            }
        }
    } else {
        // One side empty, or too large to compare line by line: still a correct diff.
        for (qsizetype i = 0; i < n; ++i)
            out.append({DiffLine::Removed, a[prefix + i]});
        for (qsizetype j = 0; j < m; ++j)
            out.append({DiffLine::Added, b[prefix + j]});
    }

    for (qsizetype i = a.size() - suffix; i < a.size(); ++i)
        out.append({DiffLine::Context, a[i]});
    return out;
}

namespace {
QString range(qsizetype start, qsizetype count)
{
    // As GNU diff and git: an empty range names the line before it; ",1" is left out.
    if (count == 1)
        return QString::number(start + 1);
    return QStringLiteral("%1,%2").arg(count == 0 ? start : start + 1).arg(count);
}
} // namespace

QString unifiedDiff(const QString &before, const QString &after, const QString &beforeName,
                    const QString &afterName, int context)
{
    const QList<DiffLine> lines = diffLines(splitLines(before), splitLines(after));
    context = std::max(context, 0);

    // Line numbers (0-based) in each text at the start of every diff entry.
    std::vector<qsizetype> oldPos(size_t(lines.size()) + 1), newPos(size_t(lines.size()) + 1);
    for (qsizetype k = 0; k < lines.size(); ++k) {
        oldPos[size_t(k + 1)] = oldPos[size_t(k)] + (lines[k].kind != DiffLine::Added ? 1 : 0);
        newPos[size_t(k + 1)] = newPos[size_t(k)] + (lines[k].kind != DiffLine::Removed ? 1 : 0);
    }

    QString out;
    qsizetype k = 0;
    while (k < lines.size()) {
        if (lines[k].kind == DiffLine::Context) {
            ++k;
            continue;
        }
        // A hunk: from `context` lines before this change to `context` lines after the last
        // change that is no more than 2*context unchanged lines away.
        const qsizetype start = std::max<qsizetype>(0, k - context);
        qsizetype lastChange = k;
        qsizetype scan = k + 1;
        while (scan < lines.size()) {
            if (lines[scan].kind != DiffLine::Context) {
                lastChange = scan;
            } else if (scan - lastChange > 2 * context) {
                break;
            }
            ++scan;
        }
        const qsizetype end = std::min<qsizetype>(lines.size(), lastChange + 1 + context);

        if (out.isEmpty())
            out += QStringLiteral("--- %1\n+++ %2\n").arg(beforeName, afterName);
        out += QStringLiteral("@@ -%1 +%2 @@\n")
                   .arg(range(oldPos[size_t(start)], oldPos[size_t(end)] - oldPos[size_t(start)]),
                        range(newPos[size_t(start)], newPos[size_t(end)] - newPos[size_t(start)]));
        for (qsizetype i = start; i < end; ++i) {
            const QChar marker = lines[i].kind == DiffLine::Added     ? QLatin1Char('+')
                                 : lines[i].kind == DiffLine::Removed ? QLatin1Char('-')
                                                                      : QLatin1Char(' ');
            out += marker + lines[i].text + QLatin1Char('\n');
        }
        k = end;
    }
    return out;
}

} // namespace pier::ui
