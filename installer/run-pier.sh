#!/usr/bin/env bash
# Installs what is missing, builds, starts the sandbox cluster and opens Pier on it.
# As root, or as a user where unprivileged user namespaces work (Debian, Ubuntu): the whole
# sandbox (`pier sandbox up`: nodes in namespaces, Marathon, Mesos, a SOCKS5 proxy), with Pier on
# its active "sandbox" profile. Otherwise only the sandbox's Marathon and Mesos APIs on 127.0.0.1.
# Closing Pier stops the sandbox.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/install-deps.sh"
"$here/build.sh"
pier="$here/../${PIER_BUILD_DIR:-build}/pier"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
    echo "run-pier: no display found; starting Pier under Xvfb (screen :99)." >&2
    exec_prefix=(xvfb-run -a -s "-screen 0 1400x900x24")
else
    exec_prefix=()
fi

if [ "$(id -u)" = 0 ] || unshare --user --map-current-user --mount true 2>/dev/null; then
    out=$("$pier" sandbox up) || { echo "run-pier: the sandbox did not start." >&2; exit 1; }
    # Stop it at the end only if this run started it.
    case "$out" in *"already up"*) ;; *) trap '"$pier" sandbox down >/dev/null' EXIT ;; esac
    url=$(printf '%s\n' "$out" | sed -n 's/^Marathon: *//p' | head -n1)
    echo "run-pier: sandbox Marathon at $url (profile \"sandbox\", through its SOCKS5 proxy)"
    "${exec_prefix[@]}" "$pier" "$@"
    exit
fi

log=$(mktemp -t pier-sandbox.XXXXXX)
"$pier" sandbox up --port 0 >"$log" 2>&1 &
sandbox=$!
trap 'kill $sandbox 2>/dev/null; wait $sandbox 2>/dev/null; rm -f "$log"' EXIT

url=""
for _ in $(seq 1 100); do
    url=$(sed -n 's/^Marathon: *//p' "$log" | head -n1)
    [ -n "$url" ] && break
    kill -0 $sandbox 2>/dev/null || { cat "$log" >&2; echo "run-pier: the sandbox did not start." >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { cat "$log" >&2; echo "run-pier: the sandbox did not report its address." >&2; exit 1; }
echo "run-pier: sandbox Marathon at $url"

"${exec_prefix[@]}" "$pier" --marathon "$url" "$@"
