/**
 * The second extension of the native-chat e2e tests (test/fixtures/lmClient/extension.ts): built
 * here into an extension folder, installed beside Relay, and driven through its command.
 */
import { buildSync } from "esbuild";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, waitUntil, type VSCode } from "./harness.js";
import type { LmClientRequest, LmClientResult } from "../fixtures/lmClient/extension.js";

export type { LmClientRequest, LmClientResult };
export const LM_CLIENT_ID = "relay-test.lm-client";

/** Builds the extension into a fresh folder (removed by `dispose`). */
export function buildLmClient(): { folder: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), "relay-lm-client-"));
  const folder = join(root, "lm-client");
  buildSync({
    entryPoints: [join(REPO_ROOT, "test", "fixtures", "lmClient", "extension.ts")],
    outfile: join(folder, "extension.cjs"),
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
    logLevel: "warning",
  });
  const manifest = {
    name: "lm-client",
    displayName: "Relay e2e: a vscode.lm client",
    publisher: "relay-test",
    version: "0.0.1",
    engines: { vscode: "^1.100.0" },
    main: "./extension.cjs",
    activationEvents: ["onCommand:relayTest.lmRequest"],
    // It must run in Restricted Mode too: the test there is what Relay does for it.
    capabilities: { untrustedWorkspaces: { supported: true } },
    contributes: { commands: [{ command: "relayTest.lmRequest", title: "Relay Test: Send a vscode.lm Request" }] },
  };
  writeFileSync(join(folder, "package.json"), JSON.stringify(manifest, null, 2));
  return { folder, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** Sends `request` from the second extension and returns what it saw. */
export async function lmRequest(vs: VSCode, request: LmClientRequest, timeoutMs = 90_000): Promise<LmClientResult> {
  const out = join(vs.workspaceDir, ".lm-result.json");
  rmSync(out, { force: true });
  writeFileSync(join(vs.workspaceDir, ".lm-request.json"), JSON.stringify(request));
  await vs.runCommand("Relay Test: Send a vscode.lm Request");
  return waitUntil(() => (existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as LmClientResult) : undefined), timeoutMs, "the vscode.lm client's result");
}
