#include "core/logging.h"

Q_LOGGING_CATEGORY(lcCore, "pier.core", QtInfoMsg)
Q_LOGGING_CATEGORY(lcPlan, "pier.plan", QtInfoMsg)
Q_LOGGING_CATEGORY(lcMarathon, "pier.marathon", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSandbox, "pier.sandbox", QtInfoMsg)
Q_LOGGING_CATEGORY(lcUi, "pier.ui", QtInfoMsg)
