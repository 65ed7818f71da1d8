#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds, runs every test.
# GUI tests run offscreen; keychain tests run in their own D-Bus session with an unlocked
# gnome-keyring (tests/secrets/with-keyring.sh). Tests that need root or namespaces say SKIP
# with the reason when they cannot get them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/install-deps.sh"
"$here/build.sh"
cd "$here/../${PIER_BUILD_DIR:-build}"
export QT_QPA_PLATFORM=offscreen

# A safety net for the sandbox tests: the test networks live only in namespaces the tests make,
# but a test that wrongly connected to one of their addresses from this namespace would follow
# the default route off the machine. While the tests run, those ranges are unreachable here.
added=()
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null; then
    for range in 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24; do
        if ip route add unreachable "$range" 2>/dev/null; then added+=("$range"); fi
    done
fi
cleanup() {
    for range in "${added[@]}"; do ip route del unreachable "$range" 2>/dev/null || true; done
}
trap cleanup EXIT

ctest --output-on-failure --timeout 300 -j"$(nproc)" "$@"
