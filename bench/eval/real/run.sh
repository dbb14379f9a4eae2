#!/usr/bin/env bash
# The real-model evaluation in bench/eval/real/: SmolLM2-135M-Instruct (student) and
# Qwen2.5-Coder-0.5B-Instruct (local GGUF teacher), the paper's conditions, pass@1 greedy, on
# 80 items of the generated arith set and the first 25 GSM8K test items; graded with
# math-verify and, on the same answers, the built-in grader. Resumable: rerun to finish or to
# regenerate the report from results.jsonl. Takes about two hours on 2 busy CPU cores.
#
#   bench/eval/real/run.sh [extra relay eval options]
#
# Every limit is given explicitly (the results were made with these; results.jsonl records
# them and a rerun resumes only under the same), so a change of the product defaults
# (src/core/defaults.ts) does not change this evaluation.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../real-pair.sh"
exec node "$cli" eval \
  --data arith,gsm8k --limit arith=80,gsm8k=25 \
  --student "$student" --teacher-gguf "$teacher" \
  --conditions student-only,teacher-only,confidence,random,fixed-span --calibrate-to confidence \
  --gpu cpu --threads 1 --concurrency 1 --context-size 2048 \
  --max-tokens 256 --max-calls 16 --max-span 256 --max-context 8192 \
  --grader math-verify \
  --input-price 0.15 --cached-input-price 0.075 --output-price 0.60 \
  --out bench/eval/real --no-progress "$@"
