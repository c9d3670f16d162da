#!/usr/bin/env bash
# System libraries flagdeck and its tests need on Debian/Ubuntu: Qt's xcb platform plugin and
# QtWebEngine's runtime libraries, Xvfb and a tray host for the UI tests, Debian's chromium for
# tests against a second real browser; PostgreSQL and Node.js/npm for the fleet tests' Unleash server
# (Node only when no node/npm is on PATH: a NodeSource build already there is kept); binutils for
# PyInstaller (./flagdeck.sh package), and desktop-file-utils and appstream to validate the desktop
# entry and AppStream metainfo.
#   system-deps.sh check    list what is missing (exit 1 if anything is)
#   system-deps.sh ensure   install what is missing when root with apt, else say what to run
set -euo pipefail
pkgs=(chromium xvfb xauth trayer x11-utils xdotool binutils desktop-file-utils appstream
      libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
      libxcb-xinerama0 libxcb-xkb1 libxcb-shape0 libxkbcommon-x11-0 libegl1 libgl1 libnss3
      libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1 libasound2 libdbus-1-3 fonts-dejavu-core
      postgresql)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

case "${1:-check}" in
  check)
    m="$(missing)"; [ -z "$m" ] && exit 0; echo "$m"; exit 1 ;;
  ensure)
    command -v dpkg-query >/dev/null 2>&1 || exit 0   # not Debian-like: nothing we can check
    m="$(missing | tr '\n' ' ')"
    [ -z "${m// }" ] && exit 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "flagdeck: installing system packages: $m" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null || true
      # shellcheck disable=SC2086
      apt-get install -y -qq --no-install-recommends $m >/dev/null
    else
      echo "flagdeck: missing system packages (tests that need them will say so): sudo apt-get install $m" >&2
    fi ;;
  *) echo "usage: $0 check|ensure" >&2; exit 2 ;;
esac
