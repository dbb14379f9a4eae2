#!/usr/bin/env bash
# Choices for the router made on the development set (generated train-split problems, never the
# benchmarks; bench/eval/router/make-dev.ts): the span and cool-down, each router against
# confidence and a random router at the call ratio each point reached, at two teacher shares.
#
#   bench/eval/router/dev.sh ROUTER.json SPAN COOLDOWN OUT [extra relay eval options]
set -euo pipefail
router=$1 span=$2 cooldown=$3 out=$4
shift 4
source "$(dirname "${BASH_SOURCE[0]}")/../real-pair.sh"
exec node "$cli" eval \
  --data bench/eval/router/dev.jsonl \
  --student "$student" --teacher-gguf "$teacher" --router "$router" \
  --conditions student-only,teacher-only,router,confidence,random --calibrate-to router \
  --sweep 5,10 --span-tokens "$span" --cooldown "$cooldown" \
  --gpu cpu --threads 1 --concurrency 2 --context-size 2048 --max-tokens 256 \
  --max-calls 16 --max-span 256 --max-context 8192 \
  --grader builtin --out "$out" --no-progress "$@"
