#!/usr/bin/env bash
# The frontier on the real pair in bench/eval/real/: SmolLM2-135M-Instruct (student) and
# Qwen2.5-Coder-0.5B-Instruct (local GGUF teacher), pass@1 greedy, 256 tokens per answer; the
# router of bench/eval/real/router.json (trained on generated train problems only, see
# bench/eval/real/router/README.md) against confidence and the training-free signals, each at
# teacher shares whose thresholds come from a calibration on generated train problems
# (calibration.json here), and a random router at the call ratio each router point reached.
# Same out folder and settings as run.sh: answers already made there are reused, never re-run.
# Resumable: rerun to finish. Phases in order of what matters most; the last writes the report
# of everything in results.jsonl.
#
# The share-check phase runs confidence again with its aim corrected on 40 generated train problems
# (relay eval --share-check) into bench/eval/real/share-check/; the report shows it beside the rest.
#
#   bench/eval/real/frontier.sh [phase...]      phases: arith gsm8k arith-ends signals share-check report (default: all, in that order)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../real-pair.sh"
eval_() {
  node "$cli" eval --student "$student" --teacher-gguf "$teacher" --router bench/eval/real/router.json \
    --span-tokens 16 --cooldown 8 \
    --gpu cpu --threads 1 --concurrency 2 --context-size 2048 \
    --max-tokens 256 --max-calls 16 --max-span 256 --max-context 8192 \
    --grader math-verify --input-price 0.15 --cached-input-price 0.075 --output-price 0.60 \
    --out "${out:-bench/eval/real}" --no-progress "$@"
}
phases=("${@:-arith gsm8k arith-ends signals share-check report}")
for phase in ${phases[*]}; do
  case $phase in
    # The points that decide the goal (shares 5% and 10%) first; the ends of the curve later.
    arith) eval_ --data arith --limit arith=150 --conditions student-only,teacher-only,router,random,confidence --calibrate-to router --sweep 5,10 ;;
    arith-ends) eval_ --data arith --limit arith=150 --conditions student-only,teacher-only,router,random,confidence --calibrate-to router --sweep 2,5,10,20 ;;
    gsm8k) eval_ --data gsm8k --limit gsm8k=60 --conditions student-only,teacher-only,router,random,confidence --calibrate-to router --sweep 5,10 ;;
    signals) eval_ --data arith --limit arith=150 --conditions entropy,margin,rolling-entropy,step-entropy --sweep 5,10 ;;
    share-check) out=bench/eval/real/share-check eval_ --data arith --limit arith=150 --conditions confidence --sweep 5,10 --share-check 40 --calibration bench/eval/real/calibration.json ;;
    report) eval_ --data arith,gsm8k --report-only $([ -f bench/eval/real/share-check/results.jsonl ] && echo --also bench/eval/real/share-check=share-checked) ;;
    *) echo "unknown phase $phase (arith gsm8k arith-ends signals share-check report)" >&2; exit 2 ;;
  esac
done
