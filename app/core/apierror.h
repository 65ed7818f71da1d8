#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace pier {

// A problem the server attached to one field of what we sent (Marathon 422 `details[]`).
struct FieldError {
    QString path;       // JSON pointer, e.g. "/upgradeStrategy/minimumHealthCapacity"
    QStringList errors; // the server's messages for that path
};

// The one error type every remote call ends in, built in one place per service from the reply.
struct ApiError {
    enum class Kind {
        None,      // no error
        Network,   // connection refused, host unreachable, DNS, reset
        Timeout,   // no complete reply within the call's timeout
        Tls,       // certificate or handshake problem; never ignored
        Auth,      // 401/403
        NotFound,  // 404
        Conflict,  // 409: duplicate id, or locked by a deployment (see deploymentIds)
        Invalid,   // 400/422: the server rejected what we sent (see details)
        Server,    // 5xx
        BadReply,  // the reply was not what the protocol promises (not JSON, missing fields)
        Cancelled, // the user or the program cancelled the call
        Stalled,   // the remote work was accepted but did not finish in time (not retried)
        Local,     // a problem on this machine (a file that cannot be read, bad settings)
    };

    Kind kind = Kind::None;
    int httpStatus = 0;
    QString reason;             // machine-readable reason when the service gives one
    QString message;            // what happened, in words, for the user
    QString hint;               // what to do next, for the user
    QList<FieldError> details;  // per-field problems (422, 400)
    QStringList deploymentIds;  // 409 "locked by deployment"
    int retryAfterSeconds = -1; // from Retry-After, when the server sent one

    bool isError() const { return kind != Kind::None; }
    explicit operator bool() const { return isError(); }

    // Whether repeating the same idempotent call may succeed (network trouble, 5xx, 503, timeout).
    bool isTransient() const;

    // "message" plus the details and the hint, one per line; what the CLI prints.
    QString toText() const;

    static QString kindName(Kind kind);
    static ApiError local(const QString &message, const QString &hint = {});
    static ApiError cancelled();
};

} // namespace pier
