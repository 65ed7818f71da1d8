#pragma once

// Building shell command lines safely: every word that comes from outside (a node name, an app
// id, a path, a rule's comment) goes through shellQuote() before it reaches a shell.

#include <QString>
#include <QStringList>

namespace pier {

// One POSIX shell word that stands for exactly WORD, safe for any content (newlines and control
// characters included). Words made only of characters no shell treats specially stay bare, so
// the commands Pier shows read as a person would type them: INPUT, /etc/iptables/rules.v4;
// anything else is single-quoted: 'pier: open tcp/80', 'it'\''s', '' for the empty string.
QString shellQuote(const QString &word);

// The words quoted and joined with spaces: a command line that runs ARGS[0] with the rest as its
// arguments, whatever they hold.
QString shellJoin(const QStringList &args);

} // namespace pier
