/**
 * First run in a real VS Code (issue 13): nothing is downloaded until the user says so. A local
 * HTTP server stands in for Hugging Face (HF_ENDPOINT/MODEL_ENDPOINT point node-llama-cpp at
 * it) and counts every request, so "no download attempted" is measured, not assumed.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe } from "node:test";
import { scriptedPairPaths } from "../fixtures/pair.js";
import { useVSCode, waitUntil, type PWFrame, type VSCode } from "./harness.js";

const MODEL_BYTES = 1_830_000_000;

/** A slow stand-in for the model host: a manifest, then a GGUF that trickles out until the client goes. */
class ModelHost {
  readonly requests: Array<{ method: string; url: string; closed: boolean }> = [];
  private server: Server | undefined;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((done) => this.server!.listen(0, "127.0.0.1", done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  private handle(req: IncomingMessage, res: import("node:http").ServerResponse): void {
    const entry = { method: req.method ?? "", url: req.url ?? "", closed: false };
    this.requests.push(entry);
    res.on("close", () => (entry.closed = true));
    if (/\/manifests\//.test(entry.url)) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ggufFile: { rfilename: "Qwen3-1.7B-Q8_0.gguf", size: MODEL_BYTES } }));
      return;
    }
    if (/\/resolve\/main\/Qwen3-1\.7B-Q8_0\.gguf/.test(entry.url)) {
      const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? "");
      const start = range ? Number(range[1]) : 0;
      const end = range?.[2] ? Number(range[2]) : MODEL_BYTES - 1;
      const headers = { "content-type": "application/octet-stream", "content-length": String(end - start + 1), "accept-ranges": "bytes", etag: '"relay-test"' };
      res.writeHead(range ? 206 : 200, range ? { ...headers, "content-range": `bytes ${start}-${end}/${MODEL_BYTES}` } : headers);
      if (req.method === "HEAD") return void res.end();
      // Exactly the bytes asked for, slowly: a client that probes a small range gets just that.
      let left = end - start + 1;
      const timer = setInterval(() => {
        const n = Math.min(left, 256 * 1024);
        left -= n;
        res.write(Buffer.alloc(n));
        if (left === 0) res.end();
      }, 100);
      res.on("close", () => clearInterval(timer));
      return;
    }
    res.writeHead(404).end();
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}

async function chat(vs: VSCode): Promise<PWFrame> {
  await vs.runCommand("Relay: Open Chat");
  const frame = await vs.webviewFrame("relay.chat");
  await frame.locator("#question").waitFor({ state: "visible" });
  return frame;
}

const budgetItem = { extension: true, id: "relay-dev.relay.relay.budget" } as const;

describe("first run: no model chosen, offline", () => {
  const host = new ModelHost();
  const env: Record<string, string> = {};
  let studentPath = "";
  before(async () => {
    await host.start();
    Object.assign(env, { HF_ENDPOINT: host.url, MODEL_ENDPOINT: host.url });
    studentPath = (await scriptedPairPaths()).student;
  });
  after(() => host.close());

  const suite = useVSCode({
    name: "first-run",
    nodeModules: ["node-llama-cpp"],
    env,
    userSettings: { "relay.student.gpu": "cpu", "relay.student.contextSize": 512, "relay.policy": "learned", "relay.maxTokens": 60, "relay.inline.debounceMs": 50 },
    workspaceFiles: { "notes.py": "def add(a, b):\n" },
  });

  suite.test("the chat opens on the welcome with its four actions; typing and asking download nothing and show no error", async (vs) => {
    const frame = await chat(vs);
    const welcome = frame.locator("#welcome");
    await welcome.waitFor({ state: "visible", timeout: 30_000 });
    for (const id of ["welcome-choose-model", "welcome-download-model", "welcome-configure-teacher", "welcome-student-only"]) {
      await frame.locator(`#${id}`).waitFor({ state: "visible" });
    }
    assert.match((await frame.locator("#welcome-download-model").textContent()) ?? "", /Download Qwen3 1\.7B \(Q8_0\) \(about 1\.8 GB\)/);
    assert.match((await frame.locator("#teacher-status").textContent()) ?? "", /^Teacher: not configured$/);
    assert.match(await vs.statusBarText(budgetItem), /Relay: teacher not configured/);
    await vs.screenshot("first-run-welcome.png");

    // Inline: pauses while typing in an editor start nothing and say nothing.
    await vs.openFile("notes.py");
    await vs.typeInEditor("    return", { atEnd: true });
    await new Promise((r) => setTimeout(r, 1500));
    await vs.typeInEditor(" a", { atEnd: true });
    await new Promise((r) => setTimeout(r, 3000));
    // Asking: the panel points at the welcome; nothing is sent anywhere.
    await frame.locator("#question textarea").fill("What is 17 * 23?");
    await frame.locator("#send").click();
    await waitUntil(async () => /Choose a student model first/.test((await frame.locator(".composer-hint").textContent()) ?? "") || undefined, 10_000, "the hint under the question box");
    assert.equal(await frame.locator("article.turn").count(), 0);
    const errors = (await vs.notifications()).filter((n) => n.severity === "error");
    assert.deepEqual(errors, [], "no error notification on first run");
    assert.deepEqual(host.requests, [], "no request reached the model host");
    const log = await vs.outputChannelLog("Relay");
    assert.doesNotMatch(log, /download|fetch failed/i);
    await vs.screenshot("first-run-ask-hint.png");
  });

  suite.test("Download from the welcome: a cancellable progress with the name and size; Cancel stops it and changes nothing", async (vs) => {
    const frame = await chat(vs);
    await vs.clearNotifications();
    await frame.locator("#welcome-download-model").click();
    const progress = await vs.waitForNotification(/Relay: downloading Qwen3 1\.7B \(Q8_0\), about 1\.8 GB/, { timeout: 30_000 });
    assert.ok(progress);
    await waitUntil(() => host.requests.some((r) => /\.gguf/.test(r.url) && r.method === "GET") || undefined, 30_000, "the model file to be requested");
    await waitUntil(async () => /Downloading Qwen3 1\.7B/.test((await frame.locator("#welcome-student .step-status").textContent()) ?? "") || undefined, 15_000, "the welcome to show the download");
    await vs.screenshot("first-run-downloading.png");
    await vs.page.locator(".notification-toast", { hasText: "downloading Qwen3" }).locator(".monaco-button", { hasText: "Cancel" }).click();
    await vs.waitForNotification(/the download of Qwen3 1\.7B \(Q8_0\) was cancelled\. Nothing was changed\./, { timeout: 30_000 });
    await waitUntil(() => host.requests.filter((r) => /\.gguf/.test(r.url)).every((r) => r.closed) || undefined, 15_000, "the download connection to close");
    await waitUntil(async () => /Not chosen yet/.test((await frame.locator("#welcome-student .step-status").textContent()) ?? "") || undefined, 15_000, "the welcome back to 'not chosen'");
    await vs.screenshot("first-run-download-cancelled.png");
  });

  suite.test("the walkthrough opens from the welcome", async (vs) => {
    const frame = await chat(vs);
    await frame.locator("#welcome-walkthrough").click();
    await vs.page.locator(".gettingStartedContainer", { hasText: "Get Started with Relay" }).first().waitFor({ state: "visible", timeout: 30_000 });
    await vs.page.locator(".gettingStartedContainer", { hasText: "Choose the student model" }).first().waitFor({ state: "visible" });
    await vs.screenshot("walkthrough.png");
  });

  suite.test("Choose GGUF File… from the welcome loads the model and says so; Continue Student-Only closes the welcome", async (vs) => {
    const frame = await chat(vs);
    await frame.locator("#welcome-choose-model").click();
    // code-server's open dialog is the simple file dialog: a quick input holding a path.
    await vs.page.locator(".quick-input-widget .quick-input-title", { hasText: "choose the student model" }).waitFor({ state: "visible", timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 1000)); // the dialog fills in its start folder first
    await vs.quickInput.fill(studentPath);
    await waitUntil(async () => (await vs.quickInput.inputValue()) === studentPath || undefined, 5000, "the path in the dialog");
    await vs.page.locator(".quick-input-widget .monaco-button", { hasText: "Use as Student Model" }).click();
    await vs.waitForNotification(/the student model is now .*\.gguf; it is loaded\./, { timeout: 90_000 });
    await waitUntil(async () => /✓ .*\.gguf \(loaded\)/.test((await frame.locator("#welcome-student .step-status").textContent()) ?? "") || undefined, 15_000, "the welcome to show the loaded student");
    await vs.screenshot("first-run-model-chosen.png");
    await frame.locator("#welcome-student-only").click();
    await vs.waitForNotification(/going on with the student alone/);
    await frame.locator("#welcome").waitFor({ state: "hidden", timeout: 15_000 });
    assert.match(await vs.statusBarText(budgetItem), /Relay: student only/);
    await vs.runCommand("Relay: Show Status");
    await vs.waitForNotification(/Relay: student .*\.gguf \(loaded\); teacher none \(student only\)/);
  });

  suite.test("student-only: an answer whose student asked for help says so in one quiet line", async (vs) => {
    const frame = await chat(vs);
    await frame.locator("#question textarea").fill("What is 17 * 23?");
    await frame.locator("#send").click();
    const notice = frame.locator("article.turn").last().locator(".turn-notice");
    await notice.waitFor({ state: "visible", timeout: 90_000 });
    assert.match((await notice.textContent()) ?? "", /The student asked for help (once|\d+ times), but you chose to go on without a teacher: \d+ calls? refused\./);
    await vs.screenshot("student-only-notice.png");
  });
});
