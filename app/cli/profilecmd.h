#pragma once

#include <QStringList>

class QCommandLineParser;

namespace pier::cli {

// `pier profile list | show NAME | import FILE | export NAME | use NAME | delete NAME`.
int cmdProfile(const QCommandLineParser &parser, const QStringList &args);

} // namespace pier::cli
