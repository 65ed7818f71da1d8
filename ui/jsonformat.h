#pragma once

#include <QJsonValue>
#include <QString>

// Renders JSON the way people write app definitions (no widgets here).
namespace pier::ui {

// Two-space indent, empty arrays and objects as [] and {}, short arrays of scalars on one
// line, and keys in the order Marathon's documentation uses ("id" first, then command,
// container, resources, ...), the rest alphabetically. Ends with a newline.
QString prettyJson(const QJsonValue &value);

} // namespace pier::ui
