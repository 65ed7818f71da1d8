#!/usr/bin/env bash
# Installs what Pier needs to build, test and run on Debian 12 / Ubuntu 23.04 or newer.
# Safe to run again: packages already present are left alone, and nothing is fetched when
# everything is there.
set -euo pipefail

packages=(
    # build
    cmake ninja-build g++ pkg-config
    qt6-base-dev qt6-base-dev-tools qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
    qtkeychain-qt6-dev libssh-dev libssl-dev libxkbcommon-dev libgl-dev
    # run: the SVG icon engine, a font, the keychain
    libqt6svg6 fonts-dejavu-core gnome-keyring dbus dbus-x11
    # test: a display for GUI checks, openssl for TLS tests, the sandbox's real parts
    xvfb xauth openssl curl iproute2 iptables openssh-server openssh-client netcat-openbsd haproxy nginx-light
    # the sandbox nodes run real sudo for their jclouds user (configured inside the nodes only)
    sudo
    # the OpenVPN step: its client, and the real-OpenVPN test (server and client in namespaces)
    openvpn
    # package: build the .deb, lint it, validate the desktop files, install it into a Debian 12 tree
    dpkg-dev fakeroot file lintian debootstrap appstream desktop-file-utils man-db bsdextrautils
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages are installed."
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# --no-install-recommends keeps the install small; services installed here (nginx, haproxy,
# sshd) are used by the sandbox in namespaces, never as the machine's own services.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done."
