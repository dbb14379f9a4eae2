#!/usr/bin/env bash
# The Python side's pytest suites, each in its own pinned private environment:
#   tests/        in the `tools` environment (math-verify, pytest)
#   tests/train/  in the `train` environment (TRL, transformers, torch), with the real student
#                 and teacher GGUFs and llama-cpp-python's server (paths set here)
#   scripts/test-python.sh [pytest args…]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=$("$root/scripts/pyenv.sh" tools)
train=$("$root/scripts/pyenv.sh" train)
server=$("$root/scripts/pyenv.sh" server)
mapfile -t models < <("$root/scripts/real-models.sh")
pick() { printf '%s\n' "${models[@]}" | grep -F "/$1" || { echo "test-python: no $1 among the real models" >&2; exit 1; }; }
cd "$root/python"
export PYTHONPATH="$root/python" PYTHONDONTWRITEBYTECODE=1
"$tools" -m pytest -p no:cacheprovider tests --ignore=tests/train "$@"
RELAY_STUDENT_GGUF=$(pick SmolLM2-135M-Instruct.Q4_1.gguf) RELAY_TEACHER_GGUF=$(pick qwen2.5-coder-0.5b-instruct.gguf) \
  RELAY_GEMMA_GGUF=$(pick gemma-3-270m-q4_k_m.gguf) RELAY_SERVER_PYTHON="$server" OMP_NUM_THREADS=1 \
  "$train" -m pytest -p no:cacheprovider tests/train "$@"
