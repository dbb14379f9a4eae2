/** Where the e2e harness finds the repository, the cached tools and where it writes results. */
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (three folders above this file). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** Where failure artifacts and on-purpose screenshots go (git-ignored). */
export const RESULTS_DIR = join(REPO_ROOT, "test-results", "e2e");
/** Cache folder filled by test/e2e/setup.sh. */
export const E2E_CACHE = process.env.RELAY_E2E_CACHE || join(homedir(), ".cache", "relay-e2e");
/** Keep in sync with test/e2e/setup.sh. */
export const CODE_SERVER_VERSION = "4.100.3";
export const PLAYWRIGHT_CORE_VERSION = "1.65.1";
export const CODE_SERVER_ENTRY = join(E2E_CACHE, "code-server", "node_modules", "code-server", "out", "node", "entry.js");
export const CHROMIUM_PATH = process.env.RELAY_E2E_CHROMIUM || "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];

export const SETUP_HINT = "run `bash test/e2e/setup.sh` first";
