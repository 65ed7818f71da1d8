#pragma once

// Building remote command lines safely: every word that comes from outside (a node name, an app id,
// a path) goes through shellQuote() before it reaches a shell.

#include <QString>
#include <QStringList>

namespace pier::ssh {

// One POSIX shell word that stands for exactly WORD: 'it'\''s' for it's, '' for the empty string.
// Safe for any content, newlines and control characters included.
QString shellQuote(const QString &word);

// The words quoted and joined with spaces: a command line that runs ARGS[0] with the rest as its
// arguments, whatever they hold.
QString shellJoin(const QStringList &args);

// COMMAND as root: unchanged when the login user is root already, else `sudo -n sh -c '<COMMAND>'`
// (-n: never wait for a password nobody can type).
QString sudoWrap(const QString &command, const QString &loginUser);

// When STDERR shows that sudo wanted a password (or a terminal), the sentence that says so and what
// to do; else an empty string.
QString sudoFailureMessage(const QByteArray &stderrText, const QString &user, const QString &host);

} // namespace pier::ssh
