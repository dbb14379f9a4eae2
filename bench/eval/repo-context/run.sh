#!/usr/bin/env bash
# The inline model with and without repository context on the repo-line set (data/repo-line):
# Qwen2.5-Coder-0.5B-Instruct as the student alone (student-only), greedy, the first 150 items
# (the set's shuffled order), 48 tokens per answer, CPU, one thread; graded by exact match.
# Both runs at once (two processes), resumable: rerun to finish or to rewrite the reports. Then
# the paired comparison. About 40 s per answer and run on 2 busy CPU cores.
#
#   bench/eval/repo-context/run.sh [--limit n]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cd "$root"
limit=150
[ "${1:-}" = --limit ] && limit=$2
student=$(scripts/real-models.sh --only qwen2.5-coder-0.5b-instruct)
npm run build >/dev/null  # the CLI as of this checkout
run() {
  nice -n 19 node dist/cli.js eval --data repo-line --limit "$limit" --student "$student" \
    --conditions student-only --gpu cpu --threads 1 --concurrency 1 --max-tokens 48 \
    --repo-context "$1" --out "bench/eval/repo-context/$2" --no-progress
}
run on with > /dev/null & with=$!
run off without > /dev/null & without=$!
wait "$with" "$without"
node --import tsx scripts/paired-exact-match.ts bench/eval/repo-context/with/results.jsonl \
  bench/eval/repo-context/without/results.jsonl --labels "with context,without context"
