#include "vpn/vpnlog.h"

Q_LOGGING_CATEGORY(lcVpn, "pier.vpn", QtWarningMsg)
