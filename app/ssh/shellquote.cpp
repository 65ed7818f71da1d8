#include "ssh/shellquote.h"

namespace pier::ssh {

QString sudoWrap(const QString &command, const QString &loginUser)
{
    if (loginUser == QLatin1String("root"))
        return command;
    return QStringLiteral("sudo -n sh -c ") + shellQuote(command);
}

QString sudoFailureMessage(const QByteArray &stderrText, const QString &user, const QString &host)
{
    if (stderrText.contains("sudo: a password is required") ||
        stderrText.contains("sudo: a terminal is required")) {
        return QStringLiteral(
                   "sudo on %1 asks %2 for a password, and Pier cannot type one. Allow %2 to run "
                   "sudo without a password on that node (a sudoers line \"%2 ALL=(ALL) NOPASSWD: "
                   "ALL\"), or log in as root.")
            .arg(host, user);
    }
    if (stderrText.contains("is not in the sudoers file") ||
        stderrText.contains("is not allowed to run sudo")) {
        return QStringLiteral("%1 may not use sudo on %2; log in as a user who may, or as root.")
            .arg(user, host);
    }
    if (stderrText.contains("sudo: command not found") || stderrText.contains("sudo: not found"))
        return QStringLiteral("%1 has no sudo; log in as root.").arg(host);
    return {};
}

} // namespace pier::ssh
