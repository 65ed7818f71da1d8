#pragma once

#include <QList>
#include <QString>
#include <QStringList>

// A plain line diff, no widgets: used to show what an update would change on Marathon.
namespace pier::ui {

struct DiffLine {
    enum Kind { Context, Removed, Added };
    Kind kind = Context;
    QString text;
    bool operator==(const DiffLine &o) const { return kind == o.kind && text == o.text; }
};

// Splits a text into lines; a final newline does not make an extra empty line.
QStringList splitLines(const QString &text);

// The shortest edit script from `before` to `after` (longest common subsequence); within a
// change, removals come before additions.
QList<DiffLine> diffLines(const QStringList &before, const QStringList &after);

// A unified diff ("--- name", "+++ name", "@@ -a,b +c,d @@" hunks with `context` lines around
// each change), each line ending in '\n'. Empty when both texts have the same lines.
QString unifiedDiff(const QString &before, const QString &after,
                    const QString &beforeName = QStringLiteral("before"),
                    const QString &afterName = QStringLiteral("after"), int context = 3);

} // namespace pier::ui
