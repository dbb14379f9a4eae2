/**
 * The extension in a real VS Code with the scripted student/teacher pair and a real
 * OpenAI-format server on 127.0.0.1: chat, Stop, explain-this-step, the budget status bar.
 */
import assert from "node:assert/strict";
import { before, describe } from "node:test";
import { EXPECTED_RELAY_TEXT } from "../../src/demo/scriptedPair.js";
import { useVSCode, waitUntil, type PWFrame, type VSCode } from "./harness.js";
import { useWorld } from "./world.js";
import { xssStudentPath } from "../fixtures/xssStudent.js";
import { BUDGET_ITEM } from "./relayUi.js";

const SOLUTION = "Problem: 17 * 23\n17 * 20 = 340\n17 * 3 = 51\n340 + 51 = 391\n";

async function chat(vs: VSCode): Promise<PWFrame> {
  await vs.runCommand("Relay: Open Chat");
  const frame = await vs.webviewFrame("relay.chat");
  await frame.locator("#question").waitFor({ state: "visible" });
  return frame;
}

/** Asks a question and waits until its own turn (not an earlier one) is on the page. */
async function ask(frame: PWFrame, question: string): Promise<void> {
  const turns = await frame.locator("article.turn").count();
  await frame.locator("#question textarea").fill(question);
  await frame.locator("#send").click();
  await frame.locator("article.turn").nth(turns).waitFor({ state: "attached", timeout: 30_000 });
}

const lastTurn = (frame: PWFrame) => frame.locator("article.turn").last();

/** The footer of the last answer once it has finished (the footer shows stats only then). */
async function finishedFooter(frame: PWFrame): Promise<string> {
  const stats = lastTurn(frame).locator(".turn-footer .stats");
  await stats.waitFor({ state: "visible", timeout: 60_000 });
  return (await stats.textContent()) ?? "";
}

/** The budget status bar's exact numbers, from its accessible label. */
async function budgetUsed(vs: VSCode): Promise<number> {
  // The item shows at once; its numbers come once the ledger is open (it is read under a lock).
  const item = await vs.statusBarItem({ ...BUDGET_ITEM, ariaLabel: /budget: \d+ of/ });
  const m = /budget: (\d+) of/.exec(item.ariaLabel);
  assert.ok(m, `no budget in ${item.ariaLabel}`);
  return Number(m[1]);
}

describe("chat, explain and budget with the scripted pair", () => {
  const w = useWorld();
  const userSettings = w.settings;
  const suite = useVSCode({ name: "chat", nodeModules: ["node-llama-cpp"], userSettings, workspaceFiles: { "solution.md": SOLUTION } });

  suite.test("a chat question is answered with teacher spans marked and the footer right; the budget rises by the teacher tokens", async (vs) => {
    const before = await budgetUsed(vs);
    const frame = await chat(vs);
    const requestsBefore = w.world.server.requests.length;
    await ask(frame, "What is 17 * 23?");
    const footer = await finishedFooter(frame);
    // 16 student + 8 teacher tokens, 2 calls, 8/24 = 33.3%.
    assert.match(footer, /24 tokens · 2 teacher calls · call ratio 33\.3% · teacher in\/out [\d,]+\/8 · /);
    const answer = lastTurn(frame).locator(".answer");
    const shown = (await answer.innerText()).replace(/\s+/g, " ").trim();
    assert.ok(shown.startsWith(EXPECTED_RELAY_TEXT.slice(0, EXPECTED_RELAY_TEXT.indexOf("\\boxed"))), shown);
    const teacher = answer.locator("span.teacher");
    assert.equal(await teacher.count(), 2);
    assert.equal((await teacher.first().textContent())?.trim(), "51.");
    assert.match((await teacher.first().getAttribute("title")) ?? "", /^teacher scripted-teacher · 4 tokens · [\d,]+ ms$/);
    await vs.screenshot("chat-answer.png");

    // The footer shows what the provider reported, prompt + completion, for the two requests; the
    // budget charges that, or more where our own count of what was sent is higher (never below it).
    const requests = w.world.server.requests.slice(requestsBefore);
    assert.equal(requests.length, 2);
    const inOut = /teacher in\/out ([\d,]+)\/(\d+)/.exec(footer)!;
    const spent = Number(inOut[1].replace(/,/g, "")) + Number(inOut[2]);
    const risen = await waitUntil(async () => {
      const now = (await budgetUsed(vs)) - before;
      return now >= spent && now <= 2 * spent ? now : undefined;
    }, 10_000, `budget to rise by ${spent} or a little more`);
    assert.ok(risen >= spent);
  });

  suite.test("the count survives a window reload, and the history too", async (vs) => {
    const used = await budgetUsed(vs);
    assert.ok(used > 0);
    await vs.runCommand("Developer: Reload Window");
    await new Promise((r) => setTimeout(r, 5000));
    await waitUntil(async () => (await budgetUsed(vs)) === used || undefined, 30_000, "budget after reload");
    const frame = await chat(vs);
    await lastTurn(frame).locator(".turn-footer .stats").waitFor({ state: "visible" });
    assert.match((await lastTurn(frame).locator(".question").textContent()) ?? "", /17 \* 23/);
  });

  suite.test("Stop ends an answer that is waiting on a slow teacher", async (vs) => {
    w.world.server.defaultFault = { kind: "delay", ms: 15_000 };
    try {
      const frame = await chat(vs);
      await ask(frame, "What is 17 * 23, slowly?");
      await lastTurn(frame).locator(".asking").waitFor({ state: "visible", timeout: 30_000 });
      await vs.screenshot("chat-asking-teacher.png");
      await frame.locator("#stop").click();
      await finishedFooter(frame);
      assert.equal(await lastTurn(frame).evaluate((el) => el.classList.contains("stopped")), true);
      assert.match(await lastTurn(frame).locator(".answer").innerText(), /17 \* 3 =/);
      await frame.locator("#send").waitFor({ state: "visible" });
    } finally {
      w.world.server.defaultFault = undefined;
    }
  });

  suite.test("Reload Student Model during an answer ends it with a clear reason, cancels the teacher request, and the next answer works", async (vs) => {
    w.world.server.defaultFault = { kind: "delay", ms: 15_000 };
    try {
      const frame = await chat(vs);
      await ask(frame, "What is 17 * 23, before a reload?");
      await lastTurn(frame).locator(".asking").waitFor({ state: "visible", timeout: 30_000 });
      const pending = w.world.server.requests[w.world.server.requests.length - 1];
      await vs.runCommand("Relay: Reload Student Model");
      await finishedFooter(frame);
      assert.match(await lastTurn(frame).locator(".turn-footer").innerText(), /stopped: the student model was unloaded/);
      await waitUntil(() => pending.cancelled === true || undefined, 15_000, "the teacher request to be cancelled");
    } finally {
      w.world.server.defaultFault = undefined;
    }
    await vs.waitForLog(/student unloaded \(reload requested\)/, { channel: "Relay" });
    const frame = await chat(vs);
    await ask(frame, "What is 17 * 23?");
    assert.match(await finishedFooter(frame), /2 teacher calls/);
  });

  suite.test("Explain This Step on a selected line streams an explanation into the chat", async (vs) => {
    await vs.openFile("solution.md");
    await vs.focusEditor();
    // Go to line 3 ("17 * 3 = 51") and run the command from the palette.
    await vs.runCommand("Go to Line/Column...");
    await vs.page.keyboard.type("3");
    await vs.page.keyboard.press("Enter");
    await vs.runCommand("Relay: Explain This Step");
    const frame = await vs.webviewFrame("relay.chat");
    await waitUntil(async () => ((await lastTurn(frame).locator(".question").textContent()) ?? "").includes("Explain line 3 of solution.md") || undefined, 30_000, "the explain turn");
    await finishedFooter(frame);
    assert.ok((await lastTurn(frame).locator(".answer").innerText()).length > 20);
    await vs.screenshot("explain-step.png");
  });

  suite.test("with a tiny budget the teacher is refused, the answer completes, one notification", async (vs) => {
    await vs.runCommand("Relay: Set This Workspace's Budget");
    // Answer our input box, not the closing command palette.
    await vs.page.locator(".quick-input-widget .quick-input-title", { hasText: "teacher budget" }).waitFor({ state: "visible" });
    await vs.answerInputBox("50");
    await waitUntil(async () => (await vs.statusBarItem(BUDGET_ITEM)).ariaLabel.includes("of 50 tokens") || undefined, 10_000, "the new budget");
    const frame = await chat(vs);
    const requestsBefore = w.world.server.requests.length;
    await ask(frame, "What is 17 * 23 on a budget?");
    // The notification comes at the first refused call; a toast fades while a long answer runs.
    const note = vs.waitForNotification(/teacher budget for this month is spent/, { timeout: 60_000 });
    const footer = await finishedFooter(frame);
    assert.match(footer, /denied by budget/);
    assert.equal(w.world.server.requests.length, requestsBefore);
    await note;
    const item = await vs.statusBarItem(BUDGET_ITEM);
    assert.match(item.ariaLabel, /of 50 tokens/);
    await vs.screenshot("budget-spent.png");
  });
});

describe("model output is rendered inert", () => {
  const userSettings: Record<string, unknown> = {};
  before(async () => {
    Object.assign(userSettings, { "relay.student.model": await xssStudentPath(), "relay.student.gpu": "cpu", "relay.student.contextSize": 256, "relay.policy": "student-only", "relay.maxTokens": 64 });
  });
  const suite = useVSCode({ name: "chat-xss", nodeModules: ["node-llama-cpp"], userSettings });

  suite.test("<img onerror> and <script> in an answer do nothing", async (vs) => {
    const frame = await chat(vs);
    await ask(frame, "Show me some HTML");
    await finishedFooter(frame);
    const answer = lastTurn(frame).locator(".answer");
    assert.match(await answer.innerText(), /Here is/);
    assert.equal(await answer.locator("img, script").count(), 0);
    assert.equal(await frame.evaluate(() => document.title), "Relay");
    await vs.screenshot("chat-xss.png");
  });
});

describe("Restricted Mode sends nothing to the teacher", () => {
  const w = useWorld();
  const userSettings = w.settings;
  const suite = useVSCode({ name: "chat-restricted", nodeModules: ["node-llama-cpp"], workspaceTrust: true, userSettings });

  suite.test("a chat answer in an untrusted workspace makes no teacher request", async (vs) => {
    const frame = await chat(vs);
    await ask(frame, "What is 17 * 23?");
    const footer = await finishedFooter(frame);
    assert.match(footer, /0 teacher calls/);
    assert.equal(w.world.server.requests.length, 0);
    assert.match(await vs.statusBarText(BUDGET_ITEM), /teacher off/);
  });
});
