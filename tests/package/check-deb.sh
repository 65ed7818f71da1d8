#!/usr/bin/env bash
# Builds pier.deb with CPack, lints it, and installs it into a fresh Debian 12 tree made with
# debootstrap, where `pier --version` and `pier validate` must run.
# Usage: check-deb.sh BUILD_DIR SOURCE_DIR
# The debootstrap tree is cached in BUILD_DIR/package-test/bookworm (made once, about 30 s and
# 200 MB) and copied for every run, so each run starts from a clean system; downloaded packages
# are cached in BUILD_DIR/package-test/archives.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
cache=$build/package-test
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
start=$SECONDS

for tool in cpack dpkg-deb fakeroot dpkg-shlibdeps lintian; do
    command -v "$tool" >/dev/null || fail "$tool is missing; run installer/install-deps.sh"
done

# ---- the package ------------------------------------------------------------------------
cd "$build"
rm -f pier.deb
cpack -G DEB > cpack.log 2>&1 || { cat cpack.log >&2; fail "cpack could not build the package (log above)"; }
[ -f pier.deb ] || fail "cpack did not write $build/pier.deb"
depends=$(dpkg-deb -f pier.deb Depends)
echo "Depends: $depends"
for want in libqt6core6 libqt6widgets6 libqt6svg6 libc6; do
    grep -q "$want" <<<"$depends" || fail "Depends lacks $want"
done
dpkg-deb -c pier.deb > contents.txt; grep -q '\./usr/bin/pier$' contents.txt || fail "the package has no /usr/bin/pier"
grep -q '\./usr/lib/pier/pier-task-server$' contents.txt || fail "the package has no /usr/lib/pier/pier-task-server (the sandbox's task server)"

lintian --tag-display-limit 0 pier.deb > lintian.log 2>&1 || true
cat lintian.log
if grep -q '^E:' lintian.log; then
    fail "lintian reports errors (lines starting with E: above)"
fi
echo "package built and linted in $((SECONDS - start)) s"

# ---- a clean Debian 12 -------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "installing into a Debian 12 chroot needs root (debootstrap, chroot); the package was built and linted"
command -v debootstrap >/dev/null || fail "debootstrap is missing; run installer/install-deps.sh"

# The same Debian mirror apt uses on this machine (one-line or deb822 sources).
mirror=$(grep -hsE '^deb +(\[[^]]*\] +)?https?://[^ ]+ +bookworm( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
         | sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{print $1; exit}' || true)
if [ -z "$mirror" ]; then
    mirror=$(awk '/^URIs:/{u=$2} /^Suites:/ && / bookworm( |$)/{print u; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$cache/archives"
if [ ! -x "$cache/bookworm/usr/bin/apt-get" ]; then
    echo "making a Debian 12 tree with debootstrap from $mirror (once; cached in $cache/bookworm)"
    rm -rf "$cache/bookworm.tmp"
    if ! debootstrap --variant=minbase bookworm "$cache/bookworm.tmp" "$mirror" > "$cache/debootstrap.log" 2>&1; then
        tail -20 "$cache/debootstrap.log" >&2
        rm -rf "$cache/bookworm.tmp"
        fail "debootstrap could not make a Debian 12 tree from $mirror (is the mirror reachable? log: $cache/debootstrap.log)"
    fi
    mv "$cache/bookworm.tmp" "$cache/bookworm"
fi

root=$cache/run
rm -rf "$root"
cleanup() {
    mountpoint -q "$root/proc" 2>/dev/null && umount "$root/proc"
    rm -rf "$root"
}
trap cleanup EXIT
cp -a "$cache/bookworm" "$root"
cp "$src/installer/../resources/templates/nginx.json" "$root/tmp/nginx.json"
cp "$build/pier.deb" "$root/tmp/pier.deb"
cp "$cache"/archives/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# This machine's mirror may be a snapshot whose Release files are past their Valid-Until date.
echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99pier-test"

in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

t0=$SECONDS
# Depends alone must be enough to run pier; Recommends (keychain, sandbox tools) are left out.
if ! in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/pier.deb \
        > "$cache/apt.log" 2>&1; then
    tail -30 "$cache/apt.log" >&2
    fail "apt-get install ./pier.deb failed in the Debian 12 tree (log: $cache/apt.log)"
fi
echo "installed with $(grep -c '^Setting up' "$cache/apt.log") packages in $((SECONDS - t0)) s"
cp -n "$root"/var/cache/apt/archives/*.deb "$cache/archives/" 2>/dev/null || true

version=$(in_root pier --version) || fail "pier --version failed in the Debian 12 tree"
echo "in the tree: $version"
[ "$version" = "pier $(dpkg-deb -f "$build/pier.deb" Version)" ] || fail "pier --version said \"$version\""
in_root pier validate /tmp/nginx.json || fail "pier validate nginx.json failed in the Debian 12 tree"
echo '{"id": "/bad", "cpus": -1}' > "$root/tmp/bad.json"
set +e
in_root pier validate /tmp/bad.json > "$cache/bad.txt" 2>&1
code=$?
set -e
[ "$code" -eq 1 ] || { cat "$cache/bad.txt" >&2; fail "pier validate of an invalid file exited $code, expected 1"; }
# The sandbox's task server runs (its libraries are there): without PORT0 it says so and exits 2.
in_root /usr/lib/pier/pier-task-server >/dev/null 2>&1 && code=0 || code=$?
[ "$code" -eq 2 ] || fail "/usr/lib/pier/pier-task-server exited $code in the Debian 12 tree, expected 2 (no port)"
in_root test -f /usr/share/applications/pier.desktop || fail "pier.desktop missing in the tree"
echo "ok: package test took $((SECONDS - start)) s"
