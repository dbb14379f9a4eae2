/**
 * First run in a real VS Code (issue 13): nothing is downloaded until the user says so. A local
 * HTTP server stands in for Hugging Face (HF_ENDPOINT/MODEL_ENDPOINT point node-llama-cpp at
 * it) and counts every request, so "no download attempted" is measured, not assumed.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { ModelHost } from "../fixtures/modelHost.js";
import { scriptedPairPaths } from "../fixtures/pair.js";
import { useVSCode, waitUntil, type PWFrame, type VSCode } from "./harness.js";
import { BUDGET_ITEM } from "./relayUi.js";

async function chat(vs: VSCode): Promise<PWFrame> {
  await vs.runCommand("Relay: Open Chat");
  const frame = await vs.webviewFrame("relay.chat");
  await frame.locator("#question").waitFor({ state: "visible" });
  return frame;
}


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
    assert.match(await vs.statusBarText(BUDGET_ITEM), /Relay: teacher not configured/);
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
    host.mode = "ok";
    host.requests.length = 0;
    await frame.locator("#welcome-download-model").click();
    const progress = await vs.waitForNotification(/Relay: downloading Qwen3 1\.7B \(Q8_0\), about 1\.8 GB/, { timeout: 30_000 });
    assert.ok(progress);
    await waitUntil(() => host.fileRequests().some((r) => r.range) || undefined, 30_000, "the model file to be downloaded");
    await waitUntil(async () => /Downloading Qwen3 1\.7B.* of 1\.8 GB/.test((await frame.locator("#welcome-student .step-status").textContent()) ?? "") || undefined, 15_000, "the welcome to show the download's progress");
    await vs.screenshot("first-run-downloading.png");
    await vs.page.locator(".notification-toast", { hasText: "downloading Qwen3" }).locator(".monaco-button", { hasText: "Cancel" }).click();
    await vs.waitForNotification(/the download of Qwen3 1\.7B \(Q8_0\) was cancelled\. Nothing was changed\./, { timeout: 30_000 });
    // The download's ranged requests close (ipull's size probe, a GET whose body it never reads, is its own).
    await waitUntil(() => host.fileRequests().filter((r) => r.range).every((r) => r.closed) || undefined, 15_000, "the download's connections to close");
    const status = frame.locator("#welcome-student .step-status");
    await waitUntil(async () => /Not chosen yet: the download of Qwen3 1\.7B \(Q8_0\) was cancelled\./.test((await status.textContent()) ?? "") || undefined, 15_000, "the welcome back to 'not chosen'");
    assert.match((await frame.locator("#welcome-download-model").textContent()) ?? "", /Retry Download of Qwen3 1\.7B/);
    await frame.locator("#welcome-choose-model").waitFor({ state: "visible" });
    // One download per request: nothing starts again on its own, and no model was set.
    const asked = host.fileRequests().length;
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(host.fileRequests().length, asked, `no new request for the file after the cancel: ${JSON.stringify(host.fileRequests())}`);
    assert.deepEqual((await vs.notifications()).filter((n) => /downloading Qwen3/.test(n.message)).map((n) => n.message), [], "no second download notification");
    await vs.screenshot("first-run-download-cancelled.png");
  });

  suite.test("a failed download (the host answers 500) offers Retry and Choose Model File…, and the welcome says so", async (vs) => {
    const frame = await chat(vs);
    await vs.clearNotifications();
    host.mode = "500";
    host.requests.length = 0;
    await frame.locator("#welcome-download-model").click();
    await vs.waitForNotification(/Relay: downloading Qwen3 1\.7B/, { timeout: 30_000 });
    const error = await vs.waitForNotification(/Relay: Could not download hf:Qwen\/Qwen3-1\.7B-GGUF:Q8_0: the model host sent nothing for 30 s/, { timeout: 90_000 });
    assert.ok(error);
    const toast = vs.page.locator(".notification-toast", { hasText: "Could not download" });
    await toast.locator(".monaco-button", { hasText: "Retry" }).waitFor({ state: "visible" });
    await toast.locator(".monaco-button", { hasText: "Choose Model File…" }).waitFor({ state: "visible" });
    assert.ok(host.fileRequests().length >= 1, "the host was asked");
    await waitUntil(async () => /Not chosen yet: the download of Qwen3 1\.7B \(Q8_0\) failed\./.test((await frame.locator("#welcome-student .step-status").textContent()) ?? "") || undefined, 15_000, "the welcome to show the failure");
    await vs.screenshot("first-run-download-failed.png");
    host.mode = "ok";
    await vs.clearNotifications();
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
    assert.match(await vs.statusBarText(BUDGET_ITEM), /Relay: student only/);
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
