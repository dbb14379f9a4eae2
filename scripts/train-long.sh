#!/usr/bin/env bash
# The longer training run behind docs/training/README.md, on CPU: the pipeline's `long` profile
# (resumable: run it again after a crash or a restart and the finished stages are kept), then
# `relay eval` of the trained student under the `learned` policy against the vanilla student on
# generated held-out questions (the test split, never trained on), then the report.
#
#   scripts/train-long.sh [RUN_DIR]     default: ~/.cache/relay/train/long-run
#   EVAL_ITEMS=40 (held-out questions for relay eval)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${RELAY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relay}/train"
run=${1:-$cache/long-run}
items=${EVAL_ITEMS:-40}
train=$("$root/scripts/pyenv.sh" train)
server=$("$root/scripts/pyenv.sh" server)
converter=$("$root/scripts/llama-converter.sh")
mapfile -t models < <("$root/scripts/real-models.sh")
pick() { printf '%s\n' "${models[@]}" | grep -F "/$1" || { echo "train-long: no $1 among the real models" >&2; exit 1; }; }
student=$(pick SmolLM2-135M-Instruct.Q4_1.gguf)
teacher=$(pick qwen2.5-coder-0.5b-instruct.gguf)
export PYTHONPATH="$root/python" PYTHONDONTWRITEBYTECODE=1 OMP_NUM_THREADS=1
started=$SECONDS

"$train" -m relaytools.train --profile long --out "$run" --cache "$cache" --student "$student" \
  --teacher "$teacher" --server-python "$server" --converter "$converter" --threads 1 --resume
echo "[train-long] training done at $((SECONDS - started)) s" >&2

cd "$root"
[ -f dist/cli.js ] || npm run build
# Held-out questions for the product's eval: the generated set's test split (seed 1, as the
# pipeline's own held-out scores; the training questions come from the train split).
"$train" -m relaytools.arith --split test --count "$items" --seed 1 > "$run/heldout-eval.jsonl"
common=(--data "$run/heldout-eval.jsonl" --teacher-gguf "$teacher" --gpu cpu --threads 1 --temperature 0
  --max-tokens 128 --max-calls 16 --max-span 16 --max-context 8192 --context-size 1024 --concurrency 2 --no-progress)
node dist/cli.js eval "${common[@]}" --student "$run/student.gguf" --conditions learned,teacher-free \
  --out "$run/eval-trained"
node dist/cli.js eval "${common[@]}" --student "$student" --conditions learned --out "$run/eval-vanilla"
echo "[train-long] relay eval done at $((SECONDS - started)) s" >&2

"$train" -m relaytools.train.report_md --run "$run" --out "$root/docs/training" \
  --eval "the trained student (learned; teacher-free: its calls refused)=$run/eval-trained" \
  --eval "the vanilla SmolLM2-135M-Instruct (learned: it never calls)=$run/eval-vanilla" \
  --commands "$root/scripts/train-long.sh" --notes "$root/docs/training/notes.md"
echo "[train-long] report in docs/training/ after $((SECONDS - started)) s" >&2
