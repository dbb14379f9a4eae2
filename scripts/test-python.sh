#!/usr/bin/env bash
# The Python side's pytest suites, each in its own pinned private environment.
#   scripts/test-python.sh [pytest args…]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=$("$root/scripts/pyenv.sh" tools)
cd "$root/python"
PYTHONPATH="$root/python" PYTHONDONTWRITEBYTECODE=1 "$py" -m pytest -p no:cacheprovider tests "$@"
