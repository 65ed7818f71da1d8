#pragma once

#include <QLoggingCategory>

// pier.vpn: management commands and states; never credentials or key material.
Q_DECLARE_LOGGING_CATEGORY(lcVpn)
