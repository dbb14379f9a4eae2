#!/usr/bin/env bash
# What cutting the infill suffix costs (bench/eval/inline-suffix/): the inline model
# (Qwen2.5-Coder-0.5B-Instruct) alone, greedy, on the first 60 single-line infill items, with the
# whole suffix (full/), and with the suffix cut at a line break to 256 characters (256/, what
# ghost text sends) and 128 (128/). Pass@1 in the sandbox and exact match. Resumable.
#
#   bench/eval/inline-suffix/run.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cd "$root"
coder=$(scripts/real-models.sh --only qwen2.5-coder-0.5b-instruct)
npm run build >/dev/null
for cut in full 256 128; do
  opt=(); [ "$cut" = full ] || opt=(--suffix-chars "$cut")
  node dist/cli.js eval --data humaneval-line --limit 60 --student "$coder" --conditions student-only \
    --gpu cpu --threads 1 --concurrency 1 --context-size 2048 \
    --out "bench/eval/inline-suffix/$cut" --no-progress "${opt[@]}"
done
