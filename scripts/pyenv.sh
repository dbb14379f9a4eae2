#!/usr/bin/env bash
# A private Python virtual environment per requirements set (python/requirements/<set>.txt),
# cached outside the repository and keyed by the pins, so changing a pin makes a new one.
#
#   scripts/pyenv.sh <set>            ensure the environment; print its python executable
#   scripts/pyenv.sh --compile <set>  re-pin <set>.in into <set>.txt (uv pip compile, with hashes)
#
# Never the system site-packages: `python3 -m venv` then `pip install --require-hashes`.
# An environment is used only once its stamp is written, so a failed or interrupted install is
# never half-used: the next run wipes it and starts again. Concurrent callers wait on a lock.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
req_dir="$root/python/requirements"
cache="${RELAY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relay}/py"
uv_version=0.13.9

die() { echo "pyenv: $*" >&2; exit 1; }
log() { echo "[pyenv] $*" >&2; }

base_python() {
  local py="${RELAY_PYTHON:-python3}"
  command -v "$py" >/dev/null || die "no $py on PATH (Python 3.11 or newer is needed)"
  "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
    die "$py is $("$py" -V 2>&1); Python 3.11 or newer is needed"
  echo "$py"
}

# ensure <name> <requirements file> [pip args…]: prints the python of a ready environment.
ensure() {
  local name=$1 req=$2; shift 2
  local py; py=$(base_python)
  local key; key=$( { "$py" -V 2>&1; cat "$req"; } | sha256sum | cut -c1-12)
  local venv="$cache/$name-$key"
  if [ -f "$venv/.relay-complete" ]; then echo "$venv/bin/python"; return; fi
  mkdir -p "$cache"
  exec 9>"$cache/.$name.lock"
  flock 9
  if [ ! -f "$venv/.relay-complete" ]; then
    rm -rf "$venv"
    log "creating $name environment in $venv"
    local started=$SECONDS
    "$py" -m venv "$venv" || { rm -rf "$venv"; die "could not create a virtual environment in $venv"; }
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --require-hashes --no-deps "$@" -r "$req" >&2; then
      rm -rf "$venv"
      die "installing $req failed (see the pip output above); nothing was kept"
    fi
    touch "$venv/.relay-complete"
    log "$name ready in $((SECONDS - started)) s"
    # Older environments of this set are pins nobody uses any more.
    find "$cache" -maxdepth 1 -type d -name "$name-*" ! -name "$name-$key" -exec rm -rf {} + 2>/dev/null || true
  fi
  exec 9>&-
  echo "$venv/bin/python"
}

# uv itself, pinned by version (its hashes differ per platform, so it is installed by version).
ensure_uv() {
  local py; py=$(base_python)
  local venv="$cache/uv-$uv_version"
  if [ ! -x "$venv/bin/uv" ]; then
    rm -rf "$venv"
    "$py" -m venv "$venv" && "$venv/bin/python" -m pip install --quiet "uv==$uv_version" >&2 ||
      { rm -rf "$venv"; die "could not install uv $uv_version"; }
  fi
  echo "$venv/bin/python"
}

case "${1:-}" in
  --compile)
    [ -n "${2:-}" ] || die "usage: scripts/pyenv.sh --compile <set>"
    uvpy=$(ensure_uv)
    extra=()
    [ "$2" = models ] && extra=(--no-deps --only-binary :all:)
    "$(dirname "$uvpy")/uv" pip compile "$req_dir/$2.in" --generate-hashes --python-version 3.11 "${extra[@]}" \
      --custom-compile-command "scripts/pyenv.sh --compile $2" -q -o "$req_dir/$2.txt"
    log "pinned $req_dir/$2.txt"
    ;;
  "" | -h | --help)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    [ -n "${1:-}" ] || exit 2
    ;;
  *)
    [ -f "$req_dir/$1.txt" ] || die "no requirements set '$1' (looked for $req_dir/$1.txt)"
    ensure "$1" "$req_dir/$1.txt"
    ;;
esac
