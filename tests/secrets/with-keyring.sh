#!/usr/bin/env bash
# Runs a command in a private D-Bus session with an unlocked gnome-keyring, as a desktop has.
# Exits 77 (CTest's SKIP) with the reason when the tools are missing.
set -u
for tool in dbus-run-session gnome-keyring-daemon; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (installer/install-deps.sh installs it)"; exit 77; }
done
export PIER_KEYRING_HOME
PIER_KEYRING_HOME=$(mktemp -d)
trap 'rm -rf "$PIER_KEYRING_HOME"' EXIT
mkdir -p "$PIER_KEYRING_HOME/run" && chmod 700 "$PIER_KEYRING_HOME/run"
# A throwaway home: the keyring files of this run never touch the user's.
exec env HOME="$PIER_KEYRING_HOME" XDG_DATA_HOME="$PIER_KEYRING_HOME/data" \
    XDG_RUNTIME_DIR="$PIER_KEYRING_HOME/run" \
    dbus-run-session -- bash -c '
        # The unlock password comes on stdin; it only guards this throwaway keyring.
        eval "$(printf "pier-test\n" | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
        exec "$@"' bash "$@"
