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
# the default route off the machine. While the tests run, those ranges are unreachable here,
# except the addresses this machine's package mirrors resolve to (some networks put their
# mirror or proxy inside these reserved ranges; the package test needs the mirror).
added=()
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v getent >/dev/null; then
    mirrors=$(grep -hsoE 'https?://[^/ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
                  /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -E 's#https?://##' | sort -u || true)
    for host in $mirrors; do
        for addr in $(getent ahostsv4 "$host" 2>/dev/null | awk '{print $1}' | sort -u); do
            # Pin the mirror's current route (more specific than the ranges below).
            route=$(ip -4 route get "$addr" 2>/dev/null | head -1 | sed -E 's/^[0-9.]+ //; s/ (uid|src) .*//' || true)
            if [ -n "$route" ] && ip route add "$addr/32" $route 2>/dev/null; then
                added+=("$addr/32")
            fi
        done
    done
    for range in 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24; do
        if ip route add unreachable "$range" 2>/dev/null; then added+=("unreachable $range"); fi
    done
fi
cleanup() {
    for route in "${added[@]}"; do ip route del $route 2>/dev/null || true; done
}
trap cleanup EXIT

ctest --output-on-failure --timeout 300 -j"$(nproc)" "$@"
