#!/usr/bin/env bash
# A tiny real-model run of the code sets (bench/eval/code/): SmolLM2-135M-Instruct (student) and
# Qwen2.5-Coder-0.5B-Instruct (local GGUF teacher), on the first 5 HumanEval problems and the
# first 5 single-line infill items, under student-only, teacher-only, confidence, random (at
# confidence's call ratio), the router of bench/eval/real/router.json (trained on arithmetic) and
# learned (SmolLM2 writes no tags: the student alone), pass@1 greedy (and exact match for infill), every program
# run in the sandbox (scripts/sandbox-setup.sh). It shows the pipeline end to end on real
# models; 5 items per set say nothing about quality. Resumable: rerun to finish or to
# regenerate the report from results.jsonl. About 15 minutes on 2 busy CPU cores.
#
#   bench/eval/code/run.sh [extra relay eval options]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../real-pair.sh"
exec node "$cli" eval \
  --data humaneval,humaneval-line --limit 5 \
  --student "$student" --teacher-gguf "$teacher" \
  --conditions student-only,teacher-only,confidence,random,router,learned --calibrate-to confidence \
  --router bench/eval/real/router.json \
  --gpu cpu --threads 1 --concurrency 1 --context-size 2048 \
  --max-tokens 320 --max-calls 16 --max-span 256 --max-context 8192 \
  --out bench/eval/code --no-progress "$@"
