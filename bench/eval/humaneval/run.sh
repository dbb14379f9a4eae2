#!/usr/bin/env bash
# HumanEval through the relay on the real pair (bench/eval/humaneval/): SmolLM2-135M-Instruct
# (student) and Qwen2.5-Coder-0.5B-Instruct (local GGUF teacher), pass@1 greedy, every program run
# in the sandbox (scripts/sandbox-setup.sh). Conditions: the student alone, the teacher alone, and
# at a 10% teacher share the router of bench/eval/real/router.json (trained on generated
# arithmetic only: it never saw code), confidence, and a random router at the call ratio the
# router reached. Thresholds for the share come from the math frontier's calibration on generated
# train problems (bench/eval/real/calibration.json), never from HumanEval. The first 60 problems
# (HumanEval's order): on 2 CPU cores the whole set under five conditions is most of a day, so the
# report's 95% intervals say what 60 can. The thresholds were set on math answers, so on code they
# reach far lower shares (the router 1.2% at "10%"); a second point asks confidence for 30% (and a
# random router at the ratio it reached) to see whether more teacher tokens help at all.
# Resumable: rerun to finish.
#
#   bench/eval/humaneval/run.sh [--limit N] [extra relay eval options]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../real-pair.sh"
eval_() {
  node "$cli" eval \
  --data humaneval --limit 60 \
  --student "$student" --teacher-gguf "$teacher" --router bench/eval/real/router.json \
  --calibration bench/eval/real/calibration.json \
  --span-tokens 16 --cooldown 8 \
  --gpu cpu --threads 1 --concurrency 1 --context-size 2048 \
  --max-tokens 320 --max-calls 16 --max-span 256 --max-context 8192 \
  --out bench/eval/humaneval --no-progress "$@"
}
eval_ --conditions student-only,teacher-only,router,confidence,random --calibrate-to router --sweep 10 "$@"
eval_ --conditions student-only,teacher-only,confidence,random --calibrate-to confidence --sweep 30 "$@"
eval_ --report-only
