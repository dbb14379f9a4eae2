#!/usr/bin/env bash
# Runs the in-host e2e suite (test/e2e/inhost/*.itest.ts) inside code-server's extension host,
# the way @vscode/test-electron would in desktop VS Code. Exit status: the suite's.
#   bash test/e2e/run-inhost.sh            (RELAY_INHOST_VERBOSE=1 for the whole forwarded log)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/e2e/setup.sh
node scripts/build.mjs
exec node --import tsx test/e2e/inhost/run.ts
