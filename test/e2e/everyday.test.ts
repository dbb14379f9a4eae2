/**
 * Everyday use in a real VS Code with the scripted pair (issue 13): the chat header, \boxed{}
 * rendered, command confirmations, Show Status naming the student, the teacher URL in the log,
 * past chats reopened after New Chat and a window reload, the teacher-down notification once
 * per episode with the status bar's state, and the budget's numbers agreeing everywhere.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { useVSCode, waitUntil, type PWFrame, type VSCode } from "./harness.js";
import { useWorld } from "./world.js";
import { BUDGET_ITEM } from "./relayUi.js";


async function chat(vs: VSCode): Promise<PWFrame> {
  await vs.runCommand("Relay: Open Chat");
  const frame = await vs.webviewFrame("relay.chat");
  await frame.locator("#question").waitFor({ state: "visible" });
  return frame;
}

/** Asks and waits for the answer's footer (it shows the stats once the answer is done). */
async function askAndWait(frame: PWFrame, question: string): Promise<void> {
  const turns = await frame.locator("article.turn").count();
  await frame.locator("#question textarea").fill(question);
  await frame.locator("#send").click();
  await frame.locator("article.turn").nth(turns).locator(".turn-footer .stats").waitFor({ state: "visible", timeout: 90_000 });
}

describe("everyday use with the scripted pair", () => {
  // Short answers: the scripted student repeats itself while its calls are refused.
  const w = useWorld({ "relay.maxTokens": 48 });
  const suite = useVSCode({ name: "everyday", nodeModules: ["node-llama-cpp"], userSettings: w.settings, workspaceFiles: { "steps.md": "17 * 23 = 17 * 20 + 17 * 3\n" } });

  suite.test("the header names the teacher once; \\boxed{391} is rendered as math; the log has the teacher URL and no key", async (vs) => {
    const frame = await chat(vs);
    assert.equal((await frame.locator("#teacher-status").textContent())?.trim(), "Teacher: scripted-teacher");
    // New Chat and Past Chats once, as the view's title actions (not again inside the panel).
    assert.equal(await frame.locator("header vscode-button").count(), 0, "no buttons in the panel's header");
    assert.equal(await vs.page.locator('.part.sidebar .title-actions .action-label[aria-label^="New Chat"]').count(), 1);
    assert.equal(await vs.page.locator('.part.sidebar .title-actions .action-label[aria-label^="Show Past Chats"]').count(), 1);
    await askAndWait(frame, "What is 17 * 23?");
    const answer = frame.locator("article.turn").last().locator(".answer");
    await answer.locator(".katex").first().waitFor({ state: "visible" });
    assert.ok((await answer.locator(".katex .boxpad, .katex .fbox").count()) > 0, "\\boxed draws a box");
    assert.doesNotMatch(await answer.innerText(), /\\boxed/);
    await vs.screenshot("everyday-boxed.png");
    const log = await vs.outputChannelLog("Relay");
    assert.match(log, new RegExp(`teacher: scripted-teacher at ${w.world.server.url.replace(/\/$/, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    assert.doesNotMatch(log, /Bearer|sk-/);
  });

  suite.test("Show Status names the student model; Reload Student Model confirms", async (vs) => {
    await vs.runCommand("Relay: Show Status");
    await vs.waitForNotification(/Relay: student .*\.gguf \(loaded\); teacher scripted-teacher at http:\/\/127\.0\.0\.1:\d+/);
    await vs.runCommand("Relay: Reload Student Model");
    await vs.waitForNotification(/Relay: student model reloaded \(.*\.gguf\)\./, { timeout: 60_000 });
    const log = await vs.outputChannelLog("Relay");
    assert.equal((log.match(/student unloaded \(reload requested\)/g) ?? []).length, 1, "one 'student unloaded' line");
  });

  suite.test("New Chat keeps the conversation; after a window reload it is reopened from Past Chats", async (vs) => {
    let frame = await chat(vs);
    assert.ok((await frame.locator("article.turn").count()) > 0);
    await vs.clickViewTitleAction("New Chat");
    await waitUntil(async () => (await frame.locator("article.turn").count()) === 0 || undefined, 10_000, "an empty transcript");
    await vs.runCommand("Developer: Reload Window");
    await new Promise((r) => setTimeout(r, 5000));
    frame = await chat(vs);
    assert.equal(await frame.locator("article.turn").count(), 0, "the new chat is open after the reload");
    await vs.clickViewTitleAction("Show Past Chats");
    await vs.page.locator(".quick-input-widget .quick-input-title", { hasText: "past chats" }).waitFor({ state: "visible", timeout: 15_000 });
    assert.ok((await vs.quickPickLabels()).includes("What is 17 * 23?"), JSON.stringify(await vs.quickPickLabels()));
    await vs.screenshot("past-chats.png");
    await vs.pickQuickItem("What is 17 * 23?");
    frame = await vs.webviewFrame("relay.chat");
    await frame.locator("article.turn .question", { hasText: "What is 17 * 23?" }).waitFor({ state: "visible", timeout: 15_000 });
    await vs.screenshot("past-chat-reopened.png");
  });

  suite.test("a teacher that fails: one notification per episode with the URL, the status bar says 'unreachable' until it answers again", async (vs) => {
    w.world.server.defaultFault = { kind: "status", status: 503 };
    let frame: PWFrame;
    try {
      await vs.clearNotifications();
      frame = await chat(vs);
      await askAndWait(frame, "What is 17 * 23, teacher down?");
      const note = await vs.waitForNotification(/the teacher at http:\/\/127\.0\.0\.1:\d+\/v1\/completions is unreachable \(HTTP 503\)/, { timeout: 30_000 });
      assert.equal(note.severity, "warning");
      await vs.waitForStatusBarText(BUDGET_ITEM, /Relay: teacher unreachable/);
      assert.match((await frame.locator("#teacher-status").textContent()) ?? "", /scripted-teacher \(unreachable\)/);
      const title = (await frame.locator("article.turn").last().locator(".call-note.failed-call").first().getAttribute("title")) ?? "";
      assert.doesNotMatch(title, /\.\./, "no double period in the failed-call hover");
      await vs.screenshot("teacher-unreachable.png");
      await askAndWait(frame, "What is 17 * 23, still down?");
      const log = await vs.outputChannelLog("Relay");
      assert.equal((log.match(/teacher unreachable at/g) ?? []).length, 1, "one episode, one warning");
      const toasts = (await vs.notifications()).filter((n) => /is unreachable/.test(n.message));
      assert.equal(toasts.length, 1, JSON.stringify(toasts));
    } finally {
      w.world.server.defaultFault = undefined;
    }
    // The breaker lets a trial call through once its cool-down (30 s) has passed: ask until it has.
    await waitUntil(async () => {
      await askAndWait(frame, "What is 17 * 23, teacher back?");
      return /Relay \d/.test(await vs.statusBarText(BUDGET_ITEM)) || undefined;
    }, 120_000, "the teacher to be asked again after the cool-down");
    await vs.waitForLog(/teacher reachable again/, { channel: "Relay" });
  }, { timeout: 300_000 });

  suite.test("Pause Teacher: the status bar reads 'teacher paused' (not 'not configured'); Resume brings the numbers back", async (vs) => {
    await vs.runCommand("Relay: Pause/Resume Teacher");
    await vs.waitForStatusBarText(BUDGET_ITEM, /Relay: teacher paused/);
    await vs.screenshot("teacher-paused.png");
    await vs.runCommand("Relay: Pause/Resume Teacher");
    await vs.waitForStatusBarText(BUDGET_ITEM, /Relay \d/);
  });

  suite.test("the editor's context menu says Explain This Step is Relay's", async (vs) => {
    await vs.openFile("steps.md");
    await vs.activeEditor.locator(".view-lines").click({ button: "right" });
    const item = vs.page.locator(".context-view .monaco-menu .action-label", { hasText: "Explain This Step" });
    await item.first().waitFor({ state: "visible", timeout: 10_000 });
    await vs.screenshot("explain-context-menu.png");
    assert.equal((await item.first().textContent())?.trim(), "Relay: Explain This Step");
    await vs.page.keyboard.press("Escape");
  });

  suite.test("Show Teacher Requests: a readable table (time, URL, tokens) and the redacted text; the raw log a click away", async (vs) => {
    const frame = await chat(vs);
    await askAndWait(frame, "What is 17 * 23? My key is sk-proj-AbCdEf0123456789AbCdEf0123456789AbCdEf01");
    await vs.runCommand("Relay: Show Teacher Requests (what left the machine)");
    await vs.page.locator(".tab .label-name", { hasText: "Teacher requests.md" }).waitFor({ state: "visible", timeout: 15_000 });
    await vs.waitForEditorText(/\| # \| time \| URL \| model \| style \| tokens in\/out \| ms \| result \|/);
    await vs.screenshot("teacher-requests-readable.png");
    // The editor wraps long lines: read the text as one line.
    const text = (await vs.editorText()).replace(/\s+/g, " ");
    assert.match(text, new RegExp(`\\| \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\| ${w.world.server.url.replace(/\/$/, "").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}/completions \\| scripted-teacher \\| completions \\| \\d+\\/\\d+ \\|`));
    assert.match(text, /Raw log \(JSON lines\): .*teacher-requests\.jsonl/);
    // The text sent is there, redacted: Find sees the redaction and not the key.
    const found = async (what: string) => {
      await vs.focusEditor();
      await vs.page.keyboard.press("Control+F");
      await vs.page.keyboard.insertText(what);
      const count = vs.page.locator(".find-widget .matchesCount");
      await new Promise((r) => setTimeout(r, 500));
      const result = ((await count.textContent()) ?? "").trim();
      await vs.page.keyboard.press("Escape");
      return result;
    };
    assert.match(await found("[REDACTED"), /^1 of \d+$/);
    assert.match(await found("sk-proj-AbCdEf"), /^No results$/);
    await vs.page.locator('.editor-actions .action-label[aria-label^="Open Raw Teacher Requests"]').click();
    await vs.page.locator(".tab .label-name", { hasText: "teacher-requests.jsonl" }).waitFor({ state: "visible", timeout: 15_000 });
  });

  suite.test("a spent budget: the toast, the status bar and the answer's line give the same numbers", async (vs) => {
    const used = Number(/budget: (\d+) of/.exec((await vs.statusBarItem(BUDGET_ITEM)).ariaLabel)?.[1]);
    assert.ok(used > 0);
    const limit = used + 5;
    await vs.runCommand("Relay: Set This Workspace's Budget");
    await vs.page.locator(".quick-input-widget .quick-input-title", { hasText: "teacher budget" }).waitFor({ state: "visible" });
    await vs.answerInputBox(String(limit));
    await waitUntil(async () => (await vs.statusBarItem(BUDGET_ITEM)).ariaLabel.includes(`of ${limit} tokens`) || undefined, 10_000, "the new budget");
    await vs.clearNotifications();
    const frame = await chat(vs);
    const note = vs.waitForNotification(/teacher budget for this month is spent/, { timeout: 90_000 });
    await askAndWait(frame, "What is 17 * 23 on a budget?");
    const toast = (await note).message;
    const numbers = /\(([\d,]+) \/ ([\d,]+) tokens used this month/.exec(toast);
    assert.ok(numbers, toast);
    const item = await vs.statusBarItem(BUDGET_ITEM);
    assert.match(item.ariaLabel, new RegExp(`budget: ${numbers[1].replace(/,/g, "")} of ${numbers[2].replace(/,/g, "")} tokens used this month, spent`));
    const line = (await frame.locator("article.turn").last().locator(".turn-notice").textContent()) ?? "";
    assert.match(line, new RegExp(`${numbers[1]} / ${numbers[2]} tokens used this month`));
    await vs.screenshot("budget-spent-consistent.png");
  });
});
