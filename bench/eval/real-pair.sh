# Sourced by the bench/eval scripts that run the real pair: moves to the repository root and sets
# $student (SmolLM2-135M-Instruct), $teacher (Qwen2.5-Coder-0.5B-Instruct) and $cli (the relay
# CLI: $RELAY_CLI, e.g. a snapshot of dist/ for a long background run, or dist/cli.js built now
# from this checkout).
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
student=$(scripts/real-models.sh --only smollm2-135m-instruct)
teacher=$(scripts/real-models.sh --only qwen2.5-coder-0.5b-instruct)
cli=${RELAY_CLI:-dist/cli.js}
[ -n "${RELAY_CLI:-}" ] || npm run build >/dev/null
