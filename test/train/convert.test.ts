/**
 * `relay model convert` on the training pipeline's own output (the smoke run's GRPO checkpoint,
 * a transformers folder): converted to GGUF on this machine by llama.cpp's converter in the
 * project's converter environment, cached and checksummed; loaded as the student under
 * `learned`, it writes a well-formed `<call>n</call>` that `relay ask` relays. The same
 * checkpoint served as a Hugging Face repository by the stand-in model host is downloaded and
 * converted to the same GGUF; a download cancelled half-way, or broken off half-way, leaves
 * nothing behind.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { ModelHost } from "../fixtures/modelHost.js";

const run = promisify(execFile);
const REPO = "relay-test/RelayLLM-smoke";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through scripts/test-train.sh (npm run test:train)`);
  return value;
}

interface Converted {
  path: string;
  sha256: string;
  reused: boolean;
  checkpoint: string;
}

async function convert(source: string, args: string[] = [], env: Record<string, string> = {}): Promise<Converted> {
  const { stdout } = await run(process.execPath, ["dist/cli.js", "model", "convert", source, "--json", ...args], { env: { ...process.env, ...env, NO_COLOR: "1" }, maxBuffer: 1 << 22, timeout: 20 * 60_000 });
  return JSON.parse(stdout) as Converted;
}

/** Runs `relay model convert` and stops it with Ctrl+C (SIGINT) once `when` holds. */
function convertAndInterrupt(source: string, args: string[], env: Record<string, string>, when: () => boolean): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["dist/cli.js", "model", "convert", source, ...args], { env: { ...process.env, ...env, NO_COLOR: "1" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setInterval(() => {
      if (when()) {
        clearInterval(timer);
        child.kill("SIGINT");
      }
    }, 100);
    child.on("close", (code) => {
      clearInterval(timer);
      resolve({ code, stderr });
    });
  });
}

describe("relay model convert: the training pipeline's checkpoint to a GGUF student", () => {
  let checkpoint: string;
  let teacher: string;
  let heldout: string;
  let dir: string;
  let local: Converted;
  const host = new ModelHost();

  before(async () => {
    const runDir = required("RELAY_TRAIN_RUN");
    teacher = required("RELAY_TEACHER_GGUF");
    checkpoint = join(runDir, "grpo");
    assert.ok(existsSync(join(checkpoint, "config.json")), `the training run left no checkpoint at ${checkpoint}`);
    heldout = (JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")) as { heldout_prompt: string }).heldout_prompt;
    dir = mkdtempSync(join(tmpdir(), "relay-convert-"));
    await host.start();
    host.checkpoints.set(REPO, checkpoint);
  });
  after(async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a local checkpoint: converted, checksummed, loaded under learned, writing a well-formed <call>n</call> that is relayed", async () => {
    local = await convert(checkpoint, ["--out", join(dir, "converted")]);
    assert.equal(local.reused, false);
    assert.match(local.path, /grpo-[0-9a-f]{12}\.f16\.gguf$/);
    assert.equal(readFileSync(`${local.path}.sha256`, "utf8").trim(), local.sha256);
    const student = await LlamaStudent.load({ model: local.path, gpu: "cpu", threads: 1, contextSize: 512, sequences: 1 });
    try {
      assert.match(student.renderPrompt({ user: "What is 2 + 3?" }), /<\|im_start\|>user\nWhat is 2 \+ 3\?<\|im_end\|>/);
    } finally {
      await student.dispose();
    }
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const { stdout } = await run(process.execPath, [
        "dist/cli.js", "ask", heldout, "--math", "--json", "--policy", "learned", "--student", local.path, "--teacher-gguf", teacher,
        "--gpu", "cpu", "--threads", "1", "--temperature", "1", "--seed", String(seed), "--max-tokens", "64", "--max-span", "16", "--context-size", "512",
      ], { env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 1 << 22 });
      const out = JSON.parse(stdout) as { text: string; spans: Array<{ kind: string; tokens: number; requested?: number }>; stats: { calls: number; malformedTags: number } };
      outcomes.push(`seed ${seed}: ${out.stats.calls} call(s), ${out.stats.malformedTags} malformed`);
      const taught = out.spans.filter((s) => s.kind === "teacher" && s.tokens > 0);
      if (taught.length > 0) {
        // A well-formed command: its number was read (`requested`), and no tag reached the text.
        assert.ok(taught.every((s) => Number.isInteger(s.requested) && s.requested! >= 1), JSON.stringify(taught));
        assert.doesNotMatch(out.text, /<\/?call/);
        return;
      }
    }
    assert.fail(`no well-formed <call>n</call> relayed in 8 samples:\n${outcomes.join("\n")}`);
  });

  test("cached and checksummed: a second run uses the checked file; a damaged one is converted again", async () => {
    const again = await convert(checkpoint, ["--out", join(dir, "converted")]);
    assert.deepEqual({ path: again.path, sha256: again.sha256, reused: again.reused }, { path: local.path, sha256: local.sha256, reused: true });
    const bytes = readFileSync(local.path);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(local.path, bytes);
    const redone = await convert(checkpoint, ["--out", join(dir, "converted")]);
    assert.equal(redone.reused, false);
    assert.equal(redone.sha256, local.sha256, "the converter is deterministic: the same GGUF again");
  });

  test("a folder that is not a checkpoint: a clear error, exit 1, nothing written", async () => {
    const empty = mkdtempSync(join(dir, "not-a-checkpoint-"));
    await assert.rejects(convert(empty, ["--out", join(dir, "nothing")]), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? "", /is not a transformers checkpoint \(no config\.json\)\. \(model-convert-failed\)/);
      return true;
    });
    assert.equal(existsSync(join(dir, "nothing")), false);
  });

  test("from the stand-in model host: downloaded (sha256-checked) and converted, the same weights as the local conversion", async () => {
    host.checkpointMode = "ok";
    const cache = join(dir, "checkpoints");
    const remote = await convert(REPO, ["--out", join(dir, "converted-remote"), "--checkpoints", cache], { HF_ENDPOINT: host.url });
    assert.ok(existsSync(join(remote.checkpoint, ".relay-complete")));
    // The files arrived whole (the host's sha256 was checked on the way); the GGUF differs from
    // the local one only in the name the converter takes from the folder.
    const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
    assert.equal(sha(join(remote.checkpoint, "model.safetensors")), sha(join(checkpoint, "model.safetensors")));
    assert.equal(readFileSync(`${remote.path}.sha256`, "utf8").trim(), remote.sha256);
    assert.match(remote.path, /RelayLLM-smoke-[0-9a-f]{12}\.f16\.gguf$/);
    assert.ok(Math.abs(statSync(remote.path).size - statSync(local.path).size) < 4096, "the same tensors");
    assert.ok(remote.checkpoint.startsWith(join(cache, "relay-test--RelayLLM-smoke")));
  });

  for (const mode of ["slow", "fail-midway"] as const) {
    test(`a download ${mode === "slow" ? "cancelled (Ctrl+C)" : "broken off by the host"} half-way leaves nothing behind`, async () => {
      host.checkpointMode = mode;
      host.requests.length = 0;
      const cache = join(dir, `checkpoints-${mode}`);
      const out = join(dir, `converted-${mode}`);
      const weights = () => host.requests.some((r) => r.url.includes(".safetensors"));
      const { code, stderr } = await convertAndInterrupt(REPO, ["--out", out, "--checkpoints", cache], { HF_ENDPOINT: host.url }, () => mode === "slow" && weights());
      assert.notEqual(code, 0, stderr);
      assert.ok(weights(), "the weights' download had started");
      if (mode === "fail-midway") assert.match(stderr, /Downloading the checkpoint relay-test\/RelayLLM-smoke failed: model\.safetensors: (the connection broke after \d+ bytes|received \d+ of \d+ bytes)\./);
      const left = existsSync(cache) ? readdirSync(cache, { recursive: true }).map(String) : [];
      assert.deepEqual(left.filter((f) => !/^relay-test--RelayLLM-smoke$/.test(f)), [], `left behind: ${JSON.stringify(left)}`);
      assert.equal(existsSync(out) ? readdirSync(out).length : 0, 0, "no GGUF");
    });
  }
});
