/**
 * Setting up the teacher in a real VS Code against a real server (issue "Everyday use with real
 * models, round 2", item 6): llama-cpp-python's OpenAI-compatible server serving
 * Qwen2.5-Coder-0.5B. The URL box shows a placeholder, not a value; the model is picked from
 * the server's /v1/models; a test request says what works (reachable, model listed, completions
 * and chat with their latency); the request style and the chat format are detected, offered
 * first, and saved.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { startLlamaServer, type LlamaServer } from "../../src/bench/llamaServer.js";
import { REAL_THREADS, REPO_ROOT, realModels } from "../fixtures/real.js";
import { useVSCode, waitUntil, type VSCode } from "./harness.js";
import { askChat } from "./relayUi.js";

/** The open quick pick's rows: label and description. */
function quickPickRows(vs: VSCode): Promise<Array<{ label: string; description: string }>> {
  return vs.page.evaluate(() =>
    [...document.querySelectorAll(".quick-input-widget .quick-input-list .monaco-list-row")].map((row) => ({
      label: (row.querySelector(".label-name")?.textContent ?? "").trim(),
      description: (row.querySelector(".label-description")?.textContent ?? "").trim(),
    })),
  );
}

async function waitForQuickPick(vs: VSCode, title: RegExp, timeout = 120_000): Promise<Array<{ label: string; description: string }>> {
  await vs.page.locator(".quick-input-widget .quick-input-title", { hasText: title }).waitFor({ state: "visible", timeout });
  return waitUntil(async () => {
    const rows = await quickPickRows(vs);
    return rows.length > 0 ? rows : undefined;
  }, 10_000, `the rows of ${title}`);
}

describe("teacher set-up against llama-cpp-python's server", () => {
  let server: LlamaServer;
  // The student's settings are machine-scoped: in code-server they live in the Remote settings,
  // where "Choose GGUF File…" writes them (and where they survive the set-up's settings writes).
  const machineSettings: Record<string, unknown> = {
    "relay.student.gpu": "cpu",
    "relay.student.threads": REAL_THREADS,
    "relay.student.contextSize": 1024,
  };
  const userSettings: Record<string, unknown> = {
    "relay.policy": "confidence",
    // Ask early: the point is that the saved teacher answers.
    "relay.confidence.threshold": 0.95,
    "relay.maxTokens": 32,
    "relay.inline.enabled": false,
  };
  before(async () => {
    const models = await realModels();
    server = await startLlamaServer({ repoRoot: REPO_ROOT, model: models.qwenCoder, alias: "qwen2.5-coder-0.5b", contextSize: 2048, threads: REAL_THREADS });
    machineSettings["relay.student.model"] = models.smollm2;
  });
  after(async () => server?.stop());
  const suite = useVSCode({ name: "teacher-setup", nodeModules: ["node-llama-cpp"], userSettings, machineSettings });

  suite.test("URL (a placeholder), key, the model from /v1/models, a test with a clear result, style and chat format detected and saved", async (vs) => {
    await vs.runCommand("Relay: Configure Teacher…");
    await vs.page.locator(".quick-input-widget .quick-input-title", { hasText: "set up the teacher (1/5)" }).waitFor({ state: "visible" });
    assert.equal(await vs.quickInput.inputValue(), "", "no pre-filled URL");
    assert.equal(await vs.quickInput.getAttribute("placeholder"), "http://127.0.0.1:8000/v1");
    await vs.screenshot("teacher-setup-url.png");
    await vs.answerInputBox(server.url);
    await vs.page.locator(".quick-input-widget .quick-input-title", { hasText: "set up the teacher (2/5)" }).waitFor({ state: "visible" });
    await vs.answerInputBox("");

    const models = await waitForQuickPick(vs, /set up the teacher \(3\/5\)/);
    assert.deepEqual(models.map((r) => r.label).filter((l) => !l.includes("Enter Another Name")), ["qwen2.5-coder-0.5b"], JSON.stringify(models));
    await vs.screenshot("teacher-setup-models.png");
    await vs.pickQuickItem("qwen2.5-coder-0.5b");

    const styles = await waitForQuickPick(vs, /set up the teacher \(4\/5\)/);
    assert.equal(styles[0].label, "completions", JSON.stringify(styles));
    assert.match(styles[0].description, /^✓ \d+\.\d s — detected, recommended$/);
    const chat = styles.find((s) => s.label === "chat");
    assert.match(chat?.description ?? "", /^✓ \d+\.\d s$/);
    await vs.screenshot("teacher-setup-style.png");
    // The detected style is first and active: Enter takes it, as a user would.
    await vs.quickInput.press("Enter");

    const formats = await waitForQuickPick(vs, /set up the teacher \(5\/5\)/);
    assert.equal(formats[0].label, "qwen", JSON.stringify(formats.slice(0, 3)));
    assert.match(formats[0].description, /detected: the model reads <\|im_start\|> as one special token/);
    await vs.screenshot("teacher-setup-format.png");
    await vs.quickInput.press("Enter");

    const note = await vs.waitForNotification(/the teacher is qwen2\.5-coder-0\.5b at http:\/\/127\.0\.0\.1:\d+\/v1: http:\/\/127\.0\.0\.1:\d+\/v1 reachable \(models in \d+ ms\), model listed, completions ✓ \d+\.\d s, chat ✓ \d+\.\d s; request style completions, chat format qwen \(detected/);
    await vs.screenshot("teacher-setup-done.png");
    assert.equal(note.severity, "info");
    const saved = JSON.parse(readFileSync(join(vs.userDataDir, "User", "settings.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(
      { url: saved["relay.teacher.url"], model: saved["relay.teacher.model"], style: saved["relay.teacher.apiStyle"], template: saved["relay.teacher.promptTemplate"] },
      { url: server.url, model: "qwen2.5-coder-0.5b", style: "completions", template: "qwen" },
    );
    // The test requests are in the request log like every request that left the machine.
    assert.match(vs.outputChannelLog("Relay"), /teacher set-up test: .* completions ✓/);
    // And the teacher now answers.
    assert.match(await askChat(vs, "Natalia sold clips to 48 of her friends in April, and then half as many in May. How many clips did she sell altogether?", 240_000), /[1-9]\d* teacher calls?/);
  }, { timeout: 420_000 });
});
