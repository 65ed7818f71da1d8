#include "ssh/sshtypes.h"

namespace pier::ssh {

QString stateName(SshState state)
{
    switch (state) {
    case SshState::Idle:
        return QStringLiteral("idle");
    case SshState::Connecting:
        return QStringLiteral("connecting");
    case SshState::VerifyingHostKey:
        return QStringLiteral("verifying host key");
    case SshState::Authenticating:
        return QStringLiteral("authenticating");
    case SshState::Ready:
        return QStringLiteral("ready");
    case SshState::Failed:
        return QStringLiteral("failed");
    case SshState::Closed:
        return QStringLiteral("closed");
    }
    return {};
}

QString SshCommandResult::summary() const
{
    switch (status) {
    case Status::Exited:
        if (!error.isEmpty())
            return error;
        return exitStatus == 0 ? QStringLiteral("done")
                               : QStringLiteral("exit status %1").arg(exitStatus);
    case Status::Signalled:
        return QStringLiteral("killed by signal %1").arg(signal);
    case Status::TimedOut:
    case Status::Cancelled:
    case Status::Failed:
        return error;
    }
    return error;
}

} // namespace pier::ssh
