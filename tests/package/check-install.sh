#!/usr/bin/env bash
# `cmake --install` to a fresh prefix puts every desktop file where desktops look for it, the
# files validate, and the man page lists the same commands and options as `pier --help`.
# Usage: check-install.sh BUILD_DIR PIER_BINARY
set -euo pipefail
build=$1
pier=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
p=$work/prefix
for f in bin/pier lib/pier/pier-task-server share/applications/pier.desktop share/icons/hicolor/scalable/apps/pier.svg \
         share/metainfo/io.github.pier_console.Pier.metainfo.xml share/doc/pier/copyright; do
    [ -e "$p/$f" ] || fail "$f is not installed"
done
for s in 48 64 128 256; do
    icon=$p/share/icons/hicolor/${s}x${s}/apps/pier.png
    [ -f "$icon" ] || fail "the ${s}x${s} icon is not installed"
    file "$icon" | grep -q "PNG image data, $s x $s" || fail "$icon is not a ${s}x${s} PNG: $(file -b "$icon")"
done
man=$(ls "$p"/share/man/man1/pier.1* 2>/dev/null | head -1)
[ -n "$man" ] || fail "the man page is not installed"

if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$p/share/applications/pier.desktop" || fail "pier.desktop does not validate"
else
    echo "note: desktop-file-validate missing (desktop-file-utils), pier.desktop not validated"
fi
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net "$p"/share/metainfo/*.metainfo.xml || fail "the AppStream metainfo does not validate"
else
    echo "note: appstreamcli missing (appstream), metainfo not validated"
fi

# The command words and --options of the help and of the man page must be the same.
"$pier" --help > "$work/help.txt"
command -v man >/dev/null || fail "man is needed to render the man page (package man-db)"
MANWIDTH=200 man -l "$man" 2>/dev/null | col -b > "$work/man.txt"
# help: "  word ..." lines between "Commands:" and the next blank line
awk '/^Commands:/{on=1;next} on&&/^$/{on=0} on&&/^  [a-z]/{print $1}' "$work/help.txt" | sort -u > "$work/help-commands"
# man: "       word ..." headings in the COMMANDS section (7 spaces, then the command)
awk '/^COMMANDS/{on=1;next} /^[A-Z]/{on=0} on&&/^       [a-z]/{print $1}' "$work/man.txt" | sort -u > "$work/man-commands"
[ -s "$work/help-commands" ] || fail "found no commands in pier --help"
diff -u "$work/help-commands" "$work/man-commands" || fail "pier --help and the man page list different commands (- help, + man)"
grep -o -- '--[a-z][a-z-]*' "$work/help.txt" | sort -u > "$work/help-options"
grep -o -- '--[a-z][a-z-]*' "$work/man.txt" | sort -u > "$work/man-options"
# The man page must not name an option pier does not know; an option it forgets is reported (the
# command list above is the hard check), so adding an option never breaks the build unannounced.
extra=$(comm -13 "$work/help-options" "$work/man-options")
[ -z "$extra" ] || fail "the man page names options pier --help does not know: $extra"
missing=$(comm -23 "$work/help-options" "$work/man-options")
[ -z "$missing" ] || echo "warning: options in pier --help missing from installer/linux/pier.1: $missing"
echo "ok: installed $(find "$p" -type f | wc -l) files; commands: $(tr '\n' ' ' < "$work/help-commands")"
