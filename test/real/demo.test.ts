/** `relay demo --real` as a user runs it (the built dist/cli.js): the real pair, or a clear error without it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { REAL_THREADS, REPO_ROOT, SPECIAL_TEXT, realModels } from "../fixtures/real.js";

const run = promisify(execFile);
const relay = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [join(REPO_ROOT, "dist", "cli.js"), ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 1 << 22 });

interface DemoJson {
  text: string;
  spans: Array<{ kind: string; text: string; tokens: number; model?: string }>;
  stats: { generatedTokens: number; callRatio: number; calls: number; stopReason: string };
}

test("relay demo --real runs the real student and teacher through the relay", async () => {
  await realModels();
  const { stdout } = await relay(["demo", "--real", "--json", "--threads", String(REAL_THREADS), "--max-tokens", "48"]);
  const out = JSON.parse(stdout) as DemoJson;
  assert.ok(out.text.trim().length > 0);
  assert.doesNotMatch(out.text, SPECIAL_TEXT);
  assert.ok(out.stats.generatedTokens > 0 && out.stats.generatedTokens <= 48);
  assert.equal(out.spans.map((s) => s.text).join(""), out.text);
  assert.ok(["eos", "teacher-eos", "max-tokens"].includes(out.stats.stopReason), out.stats.stopReason);
});

test("relay demo --real without the models fails clearly, naming scripts/real-models.sh", async () => {
  const empty = mkdtempSync(join(tmpdir(), "relay-no-models-"));
  await assert.rejects(
    () => relay(["demo", "--real"], { RELAY_MODELS_DIR: empty }),
    (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? "", /scripts\/real-models\.sh/);
      assert.match(error.stderr ?? "", /not installed/);
      return true;
    },
  );
});
