/**
 * Runs the in-host suite (test/e2e/inhost/*.itest.ts) in desktop VS Code through
 * @vscode/test-electron (docs/architecture.md, "Testing"). This machine cannot download VS Code, so
 * the build comes from RELAY_VSCODE_EXECUTABLE (the `code` binary of a local VS Code, e.g.
 * /usr/share/code/code or VSCode-linux-x64/code); without it the run fails with that reason.
 *   RELAY_VSCODE_EXECUTABLE=/path/to/code npm run test:desktop
 * The code-server suite (run.ts) stays the one CI runs.
 */
import { runTests } from "@vscode/test-electron";
import { build } from "esbuild";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const executable = process.env.RELAY_VSCODE_EXECUTABLE;
if (!executable) {
  console.error(
    "test:desktop needs a local VS Code build: set RELAY_VSCODE_EXECUTABLE to its `code` executable (this machine cannot download VS Code). " +
      "The code-server suite (bash test/e2e/run-inhost.sh) needs no VS Code download.",
  );
  process.exit(2);
}
if (!existsSync(executable)) {
  console.error(`test:desktop: RELAY_VSCODE_EXECUTABLE=${executable} does not exist.`);
  process.exit(2);
}

const out = mkdtempSync(join(tmpdir(), "relay-desktop-"));
try {
  const bundle = join(out, "index.cjs");
  await build({ entryPoints: [join(here, "index.ts")], outfile: bundle, bundle: true, platform: "node", format: "cjs", target: "node20", external: ["vscode"], sourcemap: "inline", logLevel: "warning" });
  const workspace = join(out, "workspace");
  mkdirSync(workspace);
  const code = await runTests({
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: root,
    extensionTestsPath: bundle,
    extensionTestsEnv: { RELAY_INHOST_RESULTS: join(out, "results.json") },
    launchArgs: [workspace, "--disable-extensions", "--disable-workspace-trust", "--user-data-dir", join(out, "user-data"), "--skip-welcome", "--skip-release-notes"],
  }).catch((error: unknown) => {
    console.error(`test:desktop: VS Code did not run the suite: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  });
  process.exitCode = code;
} finally {
  rmSync(out, { recursive: true, force: true });
}
