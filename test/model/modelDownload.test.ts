/**
 * Downloading a model through node-llama-cpp from a stand-in model host on 127.0.0.1: a
 * cancelled download throws and leaves no file (node-llama-cpp itself resolves with the path of
 * a file never written), a host answering 500 fails after the stall time instead of retrying for
 * minutes, and a 404 fails at once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, beforeEach, describe, test } from "node:test";
import { RelayError } from "../../src/core/errors.js";
import { findDownloaded, resolveModel } from "../../src/llama/modelFile.js";
import { HOSTED_MODEL, ModelHost } from "../fixtures/modelHost.js";

const run = promisify(execFile);

describe("model download from a model host", () => {
  const host = new ModelHost();
  let dir = "";
  const saved = process.env.HF_ENDPOINT;
  before(async () => {
    await host.start();
    process.env.HF_ENDPOINT = host.url;
  });
  after(async () => {
    if (saved === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = saved;
    await host.close();
  });
  beforeEach(() => {
    host.mode = "ok";
    host.requests.length = 0;
    dir = mkdtempSync(join(tmpdir(), "relay-download-"));
  });

  test("Cancel during the download: an 'aborted' error, the connections closed, no file left", async (t) => {
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const abort = new AbortController();
    let received = 0;
    const download = resolveModel(HOSTED_MODEL.uri, {
      modelsDir: dir,
      signal: abort.signal,
      onProgress: ({ downloadedBytes }) => {
        received = downloadedBytes;
        if (downloadedBytes > 2_000_000) abort.abort();
      },
    });
    await assert.rejects(download, (e: unknown) => e instanceof RelayError && e.code === "aborted");
    assert.ok(received > 2_000_000, `bytes were received before the cancel (${received})`);
    for (let i = 0; i < 50 && !host.fileRequests().every((r) => !r.range || r.closed); i++) await new Promise((r) => setTimeout(r, 100));
    // The download's ranged requests close; ipull's size probe (a GET without a range whose body it
    // never reads) is left to ipull.
    const ranged = host.fileRequests().filter((r) => r.range);
    assert.ok(ranged.length > 0 && ranged.every((r) => r.closed), `every ranged request for the file is closed: ${JSON.stringify(host.fileRequests())}`);
    await new Promise((r) => setTimeout(r, 500)); // the temp file goes on close
    assert.deepEqual(readdirSync(dir).filter((f) => !f.startsWith(".")), []);
    assert.equal(await findDownloaded(HOSTED_MODEL.uri, dir), undefined);
  });

  /** resolveModel in a child process (see downloadChild.ts): how it ended. */
  async function childAsync(stallMs: number, abortAfterMs?: number): Promise<{ code?: string; message?: string; path?: string; ms: number }> {
    const args = ["--import", "tsx", join(import.meta.dirname, "../fixtures/downloadChild.ts"), dir, String(stallMs), ...(abortAfterMs ? [String(abortAfterMs)] : [])];
    const { stdout } = await run(process.execPath, args, { env: { ...process.env, HF_ENDPOINT: host.url }, encoding: "utf8", timeout: 60_000 });
    return JSON.parse(stdout.trim().split("\n").pop()!) as { code?: string; message?: string; path?: string; ms: number };
  }

  test("Cancel before the first byte (while a failing host is retried) rejects at once", async (t) => {
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    host.mode = "500";
    const result = await childAsync(60_000, 5000);
    assert.equal(result.code, "aborted", JSON.stringify(result));
    assert.ok(host.fileRequests().length >= 2, "the failing host was being retried when the user cancelled");
  });

  test("a host answering 500 fails with a clear error once nothing has arrived for the stall time", async (t) => {
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    host.mode = "500";
    const result = await childAsync(1500);
    assert.equal(result.code, "model-download-failed", JSON.stringify(result));
    assert.match(result.message ?? "", /Could not download hf:Qwen\/Qwen3-1\.7B-GGUF:Q8_0: the model host sent nothing for 2 s/);
    assert.ok(host.fileRequests().length >= 2, "the host was asked (and retried)");
    assert.equal(await findDownloaded(HOSTED_MODEL.uri, dir), undefined);
  });

  test("a 404 fails at once with the status", async (t) => {
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    host.mode = "404";
    await assert.rejects(resolveModel(HOSTED_MODEL.uri, { modelsDir: dir }), (e: unknown) => {
      assert.ok(e instanceof RelayError && e.code === "model-download-failed", String(e));
      assert.match(e.message, /404/);
      return true;
    });
  });
});
