/**
 * Relay in VS Code's own chat, on the current VS Code (code-server 4.139.1, VS Code 1.139) with
 * no Copilot installed: `@relay` in the native chat view (Ask mode, the Relay model picked), and
 * "Relay (student + teacher)" as a language model that a second extension
 * (test/fixtures/lmClient) reaches through `vscode.lm` — charged to the workspace budget, refused
 * when it is spent, without the teacher in Restricted Mode. On VS Code 1.100 the extension still
 * works and simply has no model provider there.
 */
import assert from "node:assert/strict";
import { after, describe } from "node:test";
import { EXPECTED_RELAY_TEXT } from "../../src/demo/scriptedPair.js";
import { useVSCode, waitUntil, type PWLocator, type VSCode } from "./harness.js";
import { buildLmClient, lmRequest } from "./lmClient.js";
import { BUDGET_ITEM } from "./relayUi.js";
import { useWorld } from "./world.js";

const SOLUTION = "Problem: 17 * 23\n17 * 20 = 340\n17 * 3 = 51\n340 + 51 = 391\n";
const MODEL_NAME = "Relay (student + teacher)";
/** The footer's figures, to their last one (the chat reveals an answer word by word). */
// "N charged" shows where the budget charged another number than the server reported (ours is
// counted with the student's tokenizer and never below what was sent).
const FOOTER = /teacher calls? · call ratio [\d.]+% · teacher in\/out [\d,]+\/[\d,]+ · ([\d,]+ charged · )?(cost [^·]+ · )?[\d.]+ s/;
/** Priced, so the footer shows a cost (USD per million tokens). */
const PRICES = { "relay.teacher.inputPricePerMillion": 3, "relay.teacher.outputPricePerMillion": 15 };

/** The budget status bar's exact numbers, from its accessible label. */
async function budgetUsed(vs: VSCode): Promise<number> {
  const item = await vs.statusBarItem({ ...BUDGET_ITEM, ariaLabel: /budget: \d+ of/ });
  const m = /budget: (\d+) of/.exec(item.ariaLabel);
  assert.ok(m, `no budget in ${item.ariaLabel}`);
  return Number(m[1]);
}

const input = (vs: VSCode) => vs.page.locator(".interactive-input-part").first();

/** Opens the native chat in Ask mode and waits until the model picker shows the Relay model. */
async function openNativeChat(vs: VSCode): Promise<void> {
  await vs.runCommand("Chat: Open Chat (Ask)");
  await input(vs).waitFor({ state: "visible", timeout: 30_000 });
  await waitUntil(async () => (await input(vs).innerText()).includes(MODEL_NAME) || undefined, 30_000, `the model picker to show ${MODEL_NAME}`);
}

/**
 * Sends `text` from the native chat's input and returns its response, once it has begun. The
 * chat's list is virtual (DOM order is not the list's order, rows scrolled away leave the DOM):
 * the request is the newest row labelled with `text`, its response the row after it.
 */
async function send(vs: VSCode, text: string): Promise<PWLocator> {
  const rowOf = () =>
    vs.page.evaluate((t) => {
      const rows = Array.from(document.querySelectorAll(".monaco-list-row.request[data-index]"));
      const mine = rows.filter((r) => (r.getAttribute("aria-label") ?? "").replace(/\s+/g, " ").trim() === t).map((r) => Number(r.getAttribute("data-index")));
      return mine.length ? Math.max(...mine) : -1;
    }, text);
  const before = await rowOf();
  const editor = input(vs).locator(".monaco-editor").first();
  await editor.click();
  // A sticky participant leaves "@relay " in the box: start from an empty one.
  await vs.page.keyboard.press("ControlOrMeta+a");
  await vs.page.keyboard.press("Backspace");
  await vs.page.keyboard.type(text, { delay: 10 });
  // Close a suggestion list (participants, slash commands) so that Enter sends.
  await vs.page.keyboard.press("Escape");
  await editor.click();
  await vs.page.keyboard.press("End");
  await vs.page.keyboard.press("Enter");
  const index = await waitUntil(async () => {
    const i = await rowOf();
    return i > before ? i : undefined;
  }, 30_000, `the request "${text}" in the chat`);
  const response = vs.page.locator(`.monaco-list-row.response[data-index="${index + 1}"]`);
  await response.waitFor({ state: "attached", timeout: 30_000 });
  return response;
}

/** The rendered Markdown of a response once `done` matches its text. */
async function responseWhen(response: PWLocator, done: RegExp, timeoutMs = 90_000): Promise<{ text: string; html: string }> {
  const value = response.locator(".value").first();
  return waitUntil(
    async () => {
      const text = ((await value.textContent()) ?? "").replace(/\s+/g, " ");
      return done.test(text) ? { text, html: await value.innerHTML() } : undefined;
    },
    timeoutMs,
    `the native chat's answer to match ${done}`,
    300,
  );
}

describe("@relay in VS Code's native chat and the Relay language model (VS Code 1.139)", () => {
  const w = useWorld(PRICES);
  const client = buildLmClient();
  after(() => client.dispose());
  const suite = useVSCode({
    name: "native-chat",
    vscode: "current",
    nodeModules: ["node-llama-cpp"],
    userSettings: w.settings,
    extraExtensions: [client.folder],
    waitForExtensions: ["relay-dev.relay"],
    workspaceFiles: { "solution.md": SOLUTION },
  });

  suite.test("the extension says it registered @relay and the model provider", async (vs) => {
    const log = await vs.waitForLog(/Relay activated .*native chat: ([^)]*)\)/, { channel: "Relay" });
    assert.match(log[1]!, /@relay registered; model provider registered/);
  });

  suite.test("@relay answers in the native chat (its model in the picker, no other extension asked first): progress while the teacher is asked, teacher text marked, legend and footer", async (vs) => {
    await openNativeChat(vs);
    const requestsBefore = w.world.server.requests.length;
    // A teacher slow enough for the progress line to be seen while it is asked.
    w.world.server.defaultFault = { kind: "delay", ms: 2500 };
    let response: PWLocator;
    try {
      response = await send(vs, "@relay What is 17 * 23?");
      await responseWhen(response, /asking teacher · 4 tokens/, 60_000);
    } finally {
      w.world.server.defaultFault = undefined;
    }
    const { text, html } = await responseWhen(response, FOOTER);
    await response.locator("details.completed-response-disclosure").first().waitFor({ state: "attached", timeout: 30_000 });
    // What stays in view once the response is done: VS Code folds the steps (the streamed draft
    // and the progress lines) under "Completed N steps"; the whole answer must be outside them.
    const shown = await response.locator(".value").first().evaluate((value) => {
      const copy = value.cloneNode(true) as HTMLElement;
      for (const folded of Array.from(copy.querySelectorAll("details.completed-response-disclosure"))) folded.remove();
      return {
        text: (copy.textContent ?? "").replace(/\s+/g, " "),
        marks: Array.from(copy.querySelectorAll("ins")).map((m) => ({ text: m.textContent ?? "", title: m.getAttribute("title") ?? "" })),
      };
    });
    // 16 student + 8 teacher tokens, 2 calls, 8/24 = 33.3%, a cost from the prices
    assert.match(shown.text, /24 tokens · 2 teacher calls · call ratio 33\.3% · teacher in\/out [\d,]+\/8 · ([\d,]+ charged · )?cost \$[\d.]+ · [\d.]+ s/, html);
    assert.ok(shown.text.includes("We need 17 * 23. Split it: 17 * 20 = 340, and 17 * 3 = 51."), shown.text);
    const teacherMarks = shown.marks.filter((m) => m.title.startsWith("teacher scripted-teacher"));
    assert.equal(teacherMarks.length, 2, html);
    assert.equal(teacherMarks[0]!.text.trim(), "51.");
    assert.match(teacherMarks[0]!.title, /^teacher scripted-teacher · 4 tokens · [\d,]+ ms$/);
    // the legend, once in view
    assert.equal((shown.text.match(/Underlined text was written by the teacher/g) ?? []).length, 1);
    assert.doesNotMatch(text, /Language model unavailable/);
    assert.equal(w.world.server.requests.length - requestsBefore, 2);
    await vs.screenshot("native-chat-answer.png");

    // The student is loaded now: typing in the chat's input gets no ghost text from Relay.
    await input(vs).locator(".monaco-editor").first().click();
    await vs.page.keyboard.press("ControlOrMeta+a");
    await vs.page.keyboard.type("@relay We need 17 * 23. Split it:", { delay: 20 });
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(await input(vs).locator("[class*='ghost-text']").count(), 0, "no inline completion in the chat input");
    await vs.page.keyboard.press("ControlOrMeta+a");
    await vs.page.keyboard.press("Backspace");
  });

  suite.test("the provider is listed by vscode.lm.selectChatModels({ vendor: 'relay' }) and answers through the relay, charged to the budget", async (vs) => {
    const before = await budgetUsed(vs);
    const requestsBefore = w.world.server.requests.length;
    const result = await lmRequest(vs, { vendor: "relay", prompt: "What is 17 * 23?" });
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.deepEqual(result.models.map((m) => [m.id, m.name, m.vendor, m.family]), [["relay", MODEL_NAME, "relay", "relay"]]);
    // the student's tokenizer counted the prompt (a GGUF tokenizer, not a character estimate)
    assert.ok(result.tokens !== undefined && result.tokens > 0, `token count ${result.tokens}`);
    // the whole relay answer, as plain text: the teacher's words without marks
    assert.equal(result.text?.replace(/\s+/g, " ").trim(), EXPECTED_RELAY_TEXT.replace(/\s+/g, " ").trim());
    assert.equal(w.world.server.requests.length - requestsBefore, 2, "two teacher requests, as in the panel");
    await waitUntil(async () => ((await budgetUsed(vs)) > before ? true : undefined), 10_000, "the workspace budget to rise");
    await vs.waitForLog(/language model request: 1 message\(s\), up to 120 tokens/, { channel: "Relay" });
  });

  suite.test("a caller cannot raise the limits; tools and tool results are refused with the reason", async (vs) => {
    const raised = await lmRequest(vs, { vendor: "relay", prompt: "What is 17 * 23?", modelOptions: { maxTokens: 100000, temperature: 2 } });
    assert.equal(raised.error, undefined);
    await vs.waitForLog(/up to 120 tokens; options ignored: temperature/, { channel: "Relay" });
    const requestsBefore = w.world.server.requests.length;
    const tool = await lmRequest(vs, { vendor: "relay", prompt: "Search for it", tools: ["search"], requireTool: true });
    assert.match(tool.error?.message ?? "", /Relay does not call tools, and this request requires a tool call \(search\)/);
    const result = await lmRequest(vs, { vendor: "relay", part: "tool-result" });
    assert.match(result.error?.message ?? "", /Relay does not call tools/);
    assert.equal(w.world.server.requests.length, requestsBefore, "a refused request asks no teacher");
  });

  suite.test("cancelling a vscode.lm request cancels the teacher request", async (vs) => {
    w.world.server.defaultFault = { kind: "delay", ms: 15_000 };
    try {
      const requestsBefore = w.world.server.requests.length;
      const result = await lmRequest(vs, { vendor: "relay", prompt: "What is 17 * 23, slowly?", cancelAfterMs: 4000 });
      assert.equal(result.cancelled, true);
      assert.ok(result.ms < 14_000, `ended after ${result.ms} ms, not after the slow teacher`);
      const pending = w.world.server.requests[requestsBefore];
      assert.ok(pending, "the teacher was asked");
      await waitUntil(() => pending.cancelled === true || undefined, 15_000, "the teacher request to be cancelled");
    } finally {
      w.world.server.defaultFault = undefined;
    }
  });

  suite.test("@relay /budget shows this workspace's budget; /explain explains the selected line", async (vs) => {
    await openNativeChat(vs);
    const budget = await send(vs, "@relay /budget");
    // The table's last row: the whole response has been rendered (it streams in as Markdown).
    const { text } = await responseWhen(budget, /teacher calls\s*\d+/);
    assert.match(text, /Teacher budget of this workspace/);
    assert.match(text, /tokens used this month/);

    await vs.openFile("solution.md");
    await vs.focusEditor();
    await vs.runCommand("Go to Line/Column...");
    await vs.page.keyboard.type("3");
    await vs.page.keyboard.press("Enter");
    await openNativeChat(vs);
    const requestsBefore = w.world.server.requests.length;
    const explain = await send(vs, "@relay /explain");
    await responseWhen(explain, FOOTER);
    // the explain prompt (as Explain This Step builds it) with line 3 as the step went to the teacher
    const sent = JSON.stringify(w.world.server.requests[requestsBefore]?.body ?? {});
    assert.match(sent, /Explain this step[^"]*\\n```markdown\\n17 \* 3 = 51\\n```/, sent.slice(0, 2000));
    assert.match(sent, /text above it from solution\.md/);
    await vs.screenshot("native-chat-explain.png");
  });

  suite.test("stopping an @relay answer cancels the teacher request", async (vs) => {
    w.world.server.defaultFault = { kind: "delay", ms: 15_000 };
    try {
      await openNativeChat(vs);
      const requestsBefore = w.world.server.requests.length;
      const response = await send(vs, "@relay What is 17 * 23, slowly?");
      await waitUntil(() => w.world.server.requests.length > requestsBefore || undefined, 30_000, "the teacher to be asked");
      const pending = w.world.server.requests[requestsBefore]!;
      await responseWhen(response, /asking teacher · 4 tokens/, 30_000);
      // the chat's own Stop (its Cancel action, not in the command palette)
      await input(vs).locator(".codicon-stop-circle").first().click();
      await waitUntil(() => pending.cancelled === true || undefined, 15_000, "the teacher request to be cancelled");
      const { text } = await responseWhen(response, /17 \* 3 =/, 30_000);
      assert.doesNotMatch(text, /2 teacher calls/);
    } finally {
      w.world.server.defaultFault = undefined;
    }
  });

  suite.test("a second extension's request is refused the teacher once the workspace budget is spent", async (vs) => {
    await vs.runCommand("Relay: Set This Workspace's Budget");
    await vs.page.locator(".quick-input-widget .quick-input-title", { hasText: "teacher budget" }).waitFor({ state: "visible" });
    await vs.answerInputBox("50");
    await waitUntil(async () => (await vs.statusBarItem(BUDGET_ITEM)).ariaLabel.includes("of 50 tokens") || undefined, 10_000, "the new budget");
    const requestsBefore = w.world.server.requests.length;
    const note = vs.waitForNotification(/teacher budget for this month is spent/, { timeout: 60_000 });
    const result = await lmRequest(vs, { vendor: "relay", prompt: "What is 17 * 23 on a budget?" });
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.ok((result.text ?? "").length > 0, "the student still answers");
    assert.equal(w.world.server.requests.length, requestsBefore, "no teacher request past the budget");
    await note;
    await vs.waitForLog(/teacher call\(s\) refused by the budget/, { channel: "Relay" });
    assert.match((await vs.statusBarItem(BUDGET_ITEM)).ariaLabel, /of 50 tokens/);
  });
});

describe("the Relay language model in Restricted Mode (VS Code 1.139)", () => {
  const w = useWorld();
  const client = buildLmClient();
  after(() => client.dispose());
  const suite = useVSCode({
    name: "native-chat-restricted",
    vscode: "current",
    workspaceTrust: true,
    nodeModules: ["node-llama-cpp"],
    userSettings: w.settings,
    extraExtensions: [client.folder],
    waitForExtensions: ["relay-dev.relay"],
  });

  suite.test("a vscode.lm request is answered by the student alone: the recording server sees no request", async (vs) => {
    const result = await lmRequest(vs, { vendor: "relay", prompt: "What is 17 * 23?" });
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal(result.models.length, 1);
    assert.ok((result.text ?? "").length > 0);
    assert.equal(w.world.server.requests.length, 0);
    assert.match(await vs.statusBarText(BUDGET_ITEM), /teacher off/);
  });

  suite.test("VS Code's own chat offers no model in Restricted Mode (so @relay cannot be asked there)", async (vs) => {
    await vs.runCommand("Chat: Open Chat (Ask)");
    await input(vs).waitFor({ state: "visible", timeout: 30_000 });
    await input(vs).locator(".model-picker-split").first().click();
    const widget = vs.page.locator(".action-widget").first();
    await widget.waitFor({ state: "visible", timeout: 15_000 });
    assert.match(await widget.innerText(), /Models unavailable while in Restricted mode/);
    await vs.page.keyboard.press("Escape");
  });
});

describe("on VS Code 1.100 the extension works without the model provider API", () => {
  const client = buildLmClient();
  after(() => client.dispose());
  const suite = useVSCode({ name: "native-chat-1100", vscode: "1.100", extraExtensions: [client.folder], waitForExtensions: ["relay-dev.relay"] });

  suite.test("it activates, says the API is missing, and vscode.lm lists no Relay model", async (vs) => {
    const log = await vs.waitForLog(/Relay activated .*native chat: ([^)]*)\)/, { channel: "Relay" });
    assert.match(log[1]!, /@relay registered; no language model provider API in VS Code 1\.100/);
    const result = await lmRequest(vs, { vendor: "relay" });
    assert.equal(result.error, undefined);
    assert.deepEqual(result.models, []);
  });
});
