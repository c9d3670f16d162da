#!/usr/bin/env bash
# flagdeck's one entry point on a fresh machine: finds Python >= 3.12, makes .venv, installs
# flagdeck into it when pyproject.toml changed, then runs the command.
#   ./flagdeck.sh demo        the main job on the embedded demo target
#   ./flagdeck.sh test [ARGS] the test suite (what .ci/run calls)
#   ./flagdeck.sh package [--with-demo]  the PyInstaller one-folder bundle dist/flagdeck/ (packaging/)
#   ./flagdeck.sh ARGS...     any flagdeck command, e.g. ./flagdeck.sh --target demo status
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${FLAGDECK_VENV:-$here/.venv}"

py_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  local c
  for c in "${FLAGDECK_PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && py_ok "$c" && { command -v "$c"; return; }
  done
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  command -v pyenv >/dev/null 2>&1 && root="$(pyenv root)"
  for c in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -rV); do
    py_ok "$c/bin/python" && { echo "$c/bin/python"; return; }
  done
  echo "flagdeck: needs Python >= 3.12 (none found on PATH or under pyenv); set FLAGDECK_PYTHON" >&2
  exit 2
}

ensure_venv() {
  if [ ! -x "$venv/bin/python" ] || ! py_ok "$venv/bin/python"; then
    local py; py="$(find_python)"
    echo "flagdeck: creating $venv with $py" >&2
    rm -rf "$venv"
    "$py" -m venv "$venv"
  fi
  local stamp="$venv/.flagdeck-installed" want
  want="$(cat "$here/pyproject.toml" | sha256sum | cut -c1-16)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "flagdeck: installing dependencies into $venv" >&2
    local log="$venv/pip-install.log"
    if ! { "$venv/bin/python" -m pip install --disable-pip-version-check --upgrade pip &&
           "$venv/bin/python" -m pip install --disable-pip-version-check -e "$here[test,dev,package]"; } >"$log" 2>&1; then
      tail -n 30 "$log" >&2
      echo "flagdeck: installing into $venv failed (full log: $log)" >&2
      exit 2
    fi
    echo "$want" > "$stamp"
  fi
  # The package's bytecode, as an installed app has it (an editable install has none, and with
  # PYTHONDONTWRITEBYTECODE set every flagdeck process would compile its modules again: ~0.1 s
  # a command, ~0.15 s a tray or demo-target start). Up to date: ~50 ms.
  "$venv/bin/python" -m compileall -q "$here/app/flagdeck" >/dev/null 2>&1 || true
}

cmd="${1:-}"
case "$cmd" in
  test)
    shift
    "$here/packaging/system-deps.sh" ensure
    ensure_venv
    cd "$here"
    # The whole suite (no arguments, as CI runs it) on FLAGDECK_TEST_WORKERS processes (default 2): the
    # tests run one file per worker at a time, then the timing-sensitive ones (marked serial in
    # tests/conftest.py: performance statistics, idle CPU, races) alone. FLAGDECK_TEST_WORKERS=1: serially.
    workers="${FLAGDECK_TEST_WORKERS:-}"
    if [ -z "$workers" ] && [ "$#" -eq 0 ]; then workers=2; fi
    set +e
    if [ -n "$workers" ] && [ "$workers" -gt 1 ]; then
      "$venv/bin/python" -m pytest -n "$workers" --dist loadfile -m "not serial" "$@"
      rc=$?
      "$venv/bin/python" -m pytest -m serial "$@"
      rc_serial=$?
      # the first failure wins; 5 (nothing collected) only when both phases collected nothing
      if [ "$rc" -eq 5 ]; then rc=$rc_serial
      elif [ "$rc" -eq 0 ] && [ "$rc_serial" -ne 5 ]; then rc=$rc_serial; fi
    else
      "$venv/bin/python" -m pytest "$@"
      rc=$?
    fi
    set -e
    if [ "$rc" -eq 5 ]; then
      if [ "$#" -gt 0 ]; then
        echo "flagdeck: no test matched '$*'" >&2; exit 0
      fi
      echo "flagdeck: pytest collected no tests: the suite itself is broken" >&2; exit 1
    fi
    exit "$rc"
    ;;
  package)
    shift
    "$here/packaging/system-deps.sh" ensure
    ensure_venv
    exec "$here/packaging/build.sh" "$venv/bin/python" "$@"
    ;;
  *)
    if [ "$cmd" = demo ]; then "$here/packaging/system-deps.sh" ensure; fi
    ensure_venv
    exec "$venv/bin/python" -m flagdeck "$@"
    ;;
esac
