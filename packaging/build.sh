#!/usr/bin/env bash
# Build flagdeck's one-folder bundle with PyInstaller (packaging/flagdeck.spec); what
# `./flagdeck.sh package [--with-demo]` runs with the venv's Python.
#   packaging/build.sh PYTHON [--with-demo]
# FLAGDECK_DIST (default dist/) and FLAGDECK_BUILD (default build/) say where the bundle and
# PyInstaller's work files go; both stay out of git.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
py="${1:?usage: packaging/build.sh PYTHON [--with-demo]}"
shift
with_demo=0
for arg in "$@"; do
  case "$arg" in
    --with-demo) with_demo=1 ;;
    *) echo "usage: ./flagdeck.sh package [--with-demo]" >&2; exit 2 ;;
  esac
done
dist="${FLAGDECK_DIST:-$root/dist}"
work="${FLAGDECK_BUILD:-$root/build}"
export FLAGDECK_WITH_DEMO="$with_demo"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"  # the icons are drawn without a display
start=$SECONDS
"$py" -m PyInstaller --noconfirm --log-level WARN --distpath "$dist" --workpath "$work/pyinstaller" \
  "$here/flagdeck.spec" >&2
echo "flagdeck: bundle in $dist/flagdeck ($(du -sh "$dist/flagdeck" | cut -f1), built in $((SECONDS - start)) s$(
  [ "$with_demo" = 1 ] && echo ', with the demo target')); try: $dist/flagdeck/flagdeck --version" >&2
