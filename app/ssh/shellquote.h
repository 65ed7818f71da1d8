#pragma once

// Remote command lines: quoting (core/shellquote.h) and running as root through sudo.

#include "core/shellquote.h"

#include <QByteArray>
#include <QString>

namespace pier::ssh {

using pier::shellJoin;
using pier::shellQuote;

// COMMAND as root: unchanged when the login user is root already, else `sudo -n sh -c '<COMMAND>'`
// (-n: never wait for a password nobody can type).
QString sudoWrap(const QString &command, const QString &loginUser);

// When STDERR shows that sudo wanted a password (or a terminal), the sentence that says so and what
// to do; else an empty string.
QString sudoFailureMessage(const QByteArray &stderrText, const QString &user, const QString &host);

} // namespace pier::ssh
