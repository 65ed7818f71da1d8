#pragma once

#include <QString>

class QTextStream;

namespace pier::marathon {
class MarathonClient;
}

namespace pier::cli {

// `pier watch [APP_ID]`: one line per change until SIGINT/SIGTERM (then exit 0):
//   2026-11-26T11:02:13.112Z /nginx nginx.instance-…._app.1 TASK_STAGING → TASK_RUNNING healthy
// The current tasks come first (old state "-"), then every change as the live model sees it,
// through the event stream or by polling. Notes about the connection go to `err`.
int runWatch(marathon::MarathonClient *client, const QString &appId, QTextStream &out,
             QTextStream &err);

} // namespace pier::cli
