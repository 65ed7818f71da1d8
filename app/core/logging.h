#pragma once

#include <QLoggingCategory>

// One category per module, so `QT_LOGGING_RULES="pier.marathon.debug=true"` shows one system's
// traffic.
Q_DECLARE_LOGGING_CATEGORY(lcCore)
Q_DECLARE_LOGGING_CATEGORY(lcPlan)
Q_DECLARE_LOGGING_CATEGORY(lcMarathon)
Q_DECLARE_LOGGING_CATEGORY(lcSandbox)
Q_DECLARE_LOGGING_CATEGORY(lcUi)
