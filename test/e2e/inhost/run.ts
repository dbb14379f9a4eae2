/**
 * Runs the in-host suite (test/e2e/inhost/*.itest.ts) in code-server's extension host:
 * bundles index.ts with esbuild into a CommonJS file (vscode external) and hands it to VS Code as
 * extensionTestsPath, with this repository as extensionDevelopmentPath. Exit code: VS Code's.
 *   node --import tsx test/e2e/inhost/run.ts      (or bash test/e2e/run-inhost.sh)
 */
import { build } from "esbuild";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInHostTests } from "../harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const out = mkdtempSync(join(tmpdir(), "relay-inhost-"));
try {
  const bundle = join(out, "index.cjs");
  await build({ entryPoints: [join(here, "index.ts")], outfile: bundle, bundle: true, platform: "node", format: "cjs", target: "node20", external: ["vscode"], sourcemap: "inline", logLevel: "warning" });
  const resultsFile = join(out, "results.json");
  const result = await runInHostTests({
    name: "inhost",
    testsPath: bundle,
    env: { RELAY_INHOST_RESULTS: resultsFile },
    onOutput: (line) => {
      if (/^\[\w+\] (ok|not ok|in-host)/.test(line) || process.env.RELAY_INHOST_VERBOSE) console.log(line.replace(/^\[\w+\] /, ""));
    },
  });
  try {
    const results = JSON.parse(readFileSync(resultsFile, "utf8")) as Array<{ ok: boolean }>;
    console.log(`in-host results file: ${results.filter((r) => r.ok).length}/${results.length} passed`);
  } catch {
    console.log("in-host: no results file (the suite did not get to the end)");
  }
  console.log(`VS Code reported exit code ${result.code}`);
  process.exitCode = result.code;
} finally {
  rmSync(out, { recursive: true, force: true });
}
