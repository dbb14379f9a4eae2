#!/usr/bin/env bash
# llama.cpp's own HF -> GGUF converter, from the llama-cpp-python source distribution pinned in
# python/requirements/server.txt (same version and sha256 the server is built from). Downloads it
# once (pip, --require-hashes), extracts convert_hf_to_gguf.py with its conversion/ package and
# gguf-py into a cache folder keyed by that hash, and prints the converter's path.
#
#   scripts/llama-converter.sh        ensure it; print .../convert_hf_to_gguf.py
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${RELAY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relay}/llama-convert"
pin=$(grep -A1 '^llama-cpp-python==' "$root/python/requirements/server.txt" | tr -d '\\\n' | tr -s ' ')
[ -n "$pin" ] || { echo "llama-converter: no llama-cpp-python pin in python/requirements/server.txt" >&2; exit 1; }
key=$(echo "$pin" | sha256sum | cut -c1-12)
dir="$cache/$key"
if [ ! -f "$dir/.relay-complete" ]; then
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock 9
  if [ ! -f "$dir/.relay-complete" ]; then
    rm -rf "$dir" "$dir.tmp"
    mkdir -p "$dir.tmp/sdist"
    py=$("$root/scripts/pyenv.sh" train)
    echo "$pin" > "$dir.tmp/requirement.txt"
    "$py" -m pip download --quiet --disable-pip-version-check --no-input --no-deps --no-binary :all: \
      --require-hashes -r "$dir.tmp/requirement.txt" -d "$dir.tmp/sdist" >&2 ||
      { rm -rf "$dir.tmp"; echo "llama-converter: downloading $pin failed" >&2; exit 1; }
    archive=$(ls "$dir.tmp"/sdist/llama_cpp_python-*.tar.gz)
    top=$(basename "$archive" .tar.gz)
    tar -xzf "$archive" -C "$dir.tmp" "$top/vendor/llama.cpp/convert_hf_to_gguf.py" \
      "$top/vendor/llama.cpp/conversion" "$top/vendor/llama.cpp/gguf-py" "$top/vendor/llama.cpp/LICENSE"
    mv "$dir.tmp/$top/vendor/llama.cpp" "$dir.tmp/llama.cpp"
    rm -rf "$dir.tmp/sdist" "$dir.tmp/$top"
    touch "$dir.tmp/.relay-complete"
    mv "$dir.tmp" "$dir"
  fi
  exec 9>&-
fi
echo "$dir/llama.cpp/convert_hf_to_gguf.py"
