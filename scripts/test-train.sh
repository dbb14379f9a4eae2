#!/usr/bin/env bash
# The CPU smoke run of relay-student training (npm run test:train): a few steps of every stage
# with real TRL on the real SmolLM2-135M-Instruct and the real qwen2.5-coder-0.5b teacher, then
# the exported GGUF is checked in node-llama-cpp and through `relay ask --policy learned`.
# The data stage (student samples, teacher spans, pass rates) is cached by what it depends on;
# the training, export and checks run every time.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${RELAY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relay}/train"
run="$cache/smoke-run"
train=$("$root/scripts/pyenv.sh" train)
server=$("$root/scripts/pyenv.sh" server)
converter=$("$root/scripts/llama-converter.sh")
mapfile -t models < <("$root/scripts/real-models.sh")
pick() { printf '%s\n' "${models[@]}" | grep -F "/$1" || { echo "test-train: no $1 among the real models" >&2; exit 1; }; }
student=$(pick SmolLM2-135M-Instruct.Q4_1.gguf)
teacher=$(pick qwen2.5-coder-0.5b-instruct.gguf)
rm -rf "$run"
started=$SECONDS
(cd "$root/python" && PYTHONPATH="$root/python" PYTHONDONTWRITEBYTECODE=1 OMP_NUM_THREADS=1 \
  "$train" -m relaytools.train --profile smoke --out "$run" --cache "$cache" --student "$student" \
  --teacher "$teacher" --server-python "$server" --converter "$converter" --threads 1)
echo "[test-train] training path done in $((SECONDS - started)) s" >&2
cd "$root"
[ -f dist/cli.js ] || npm run build
RELAY_TRAIN_RUN="$run" RELAY_TEACHER_GGUF="$teacher" \
  node --import tsx --test --test-concurrency=1 --test-reporter=spec test/train/*.test.ts
echo "[test-train] smoke run and checks done in $((SECONDS - started)) s" >&2
