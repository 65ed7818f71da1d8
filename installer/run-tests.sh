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
ctest --output-on-failure --timeout 300 -j"$(nproc)" "$@"
