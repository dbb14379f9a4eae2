/**
 * The extension against a real teacher server in a real VS Code (issue "Everyday use with real
 * models, round 2"): SmolLM2-135M as the student, llama-cpp-python's OpenAI-compatible server
 * serving Qwen2.5-Coder-0.5B as the teacher, both from scripts/real-models.sh.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { startLlamaServer, type LlamaServer } from "../../src/bench/llamaServer.js";
import { REAL_THREADS, REPO_ROOT, realModels } from "../fixtures/real.js";
import { useVSCode, waitUntil, type PWFrame, type VSCode } from "./harness.js";
import { BUDGET_ITEM } from "./relayUi.js";

/** "Relay teacher budget: 229 of 100000 tokens used this month" → 229. */
async function budgetUsed(vs: VSCode): Promise<number> {
  const label = (await vs.statusBarItem(BUDGET_ITEM)).ariaLabel;
  const used = /budget: (\d+) of/.exec(label);
  assert.ok(used, `the budget item shows no numbers: ${label}`);
  return Number(used[1]);
}

async function chat(vs: VSCode): Promise<PWFrame> {
  await vs.runCommand("Relay: Open Chat");
  const frame = await vs.webviewFrame("relay.chat");
  await frame.locator("#question").waitFor({ state: "visible" });
  return frame;
}

/** Asks and returns the new turn's footer stats (the answer is done when they show). */
async function ask(frame: PWFrame, question: string): Promise<{ text: string; parts: Array<{ text: string; title: string }> }> {
  const turns = await frame.locator("article.turn").count();
  await frame.locator("#question textarea").fill(question);
  await frame.locator("#send").click();
  const stats = frame.locator("article.turn").nth(turns).locator(".turn-footer .stats");
  await stats.waitFor({ state: "visible", timeout: 240_000 });
  const parts = await stats.evaluate((el) => [...el.querySelectorAll(".stat")].map((e) => ({ text: e.textContent ?? "", title: e.getAttribute("title") ?? "" })));
  return { text: (await stats.textContent()) ?? "", parts };
}

describe("a real teacher: llama-cpp-python serving Qwen2.5-Coder-0.5B, SmolLM2-135M as the student", () => {
  let server: LlamaServer;
  const userSettings: Record<string, unknown> = {
    "relay.student.gpu": "cpu",
    "relay.student.threads": REAL_THREADS,
    "relay.student.contextSize": 2048,
    "relay.policy": "confidence",
    // Calls early and often in a short answer: the relay is what is under test, not the maths.
    "relay.confidence.threshold": 0.5,
    "relay.confidence.spanTokens": 8,
    "relay.maxTokens": 48,
    "relay.teacher.model": "qwen2.5-coder-0.5b",
    "relay.teacher.apiStyle": "completions",
    "relay.teacher.promptTemplate": "qwen",
    "relay.teacher.temperature": 0,
    "relay.teacher.timeoutMs": 120_000,
    "relay.budget.limit": 100_000,
    "relay.inline.enabled": false,
  };
  before(async () => {
    const models = await realModels();
    server = await startLlamaServer({ repoRoot: REPO_ROOT, model: models.qwenCoder, alias: "qwen2.5-coder-0.5b", contextSize: 4096, threads: REAL_THREADS });
    userSettings["relay.student.model"] = models.smollm2;
    userSettings["relay.teacher.url"] = server.url;
  });
  after(async () => server?.stop());
  const suite = useVSCode({ name: "real-teacher", nodeModules: ["node-llama-cpp"], userSettings });

  suite.test("the answer's footer and the budget give the same number; the hover says why the provider's count differs", async (vs) => {
    const frame = await chat(vs);
    const before = await budgetUsed(vs);
    const { text, parts } = await ask(frame, "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did she sell altogether?");
    const rose = (await waitUntil(async () => ((await budgetUsed(vs)) > before ? budgetUsed(vs) : undefined), 15_000, "the budget to rise")) - before;
    const inOut = parts.find((p) => p.text.startsWith("teacher in/out"));
    assert.ok(inOut, text);
    const [, prompt, completion] = /(\d[\d,]*)\/(\d[\d,]*)/.exec(inOut.text)!.map((n) => Number(n.replace(/,/g, "")));
    const charged = parts.find((p) => p.text.endsWith(" charged"));
    await vs.screenshot("real-teacher-footer.png");
    console.log(`footer: ${text}; budget +${rose}; ${charged ? `hover: ${charged.title}` : "no charge part"}`);
    if (charged) {
      assert.equal(Number(charged.text.replace(/\D/g, "")), rose, `the footer's charge is what the budget rose by: ${text}`);
      assert.match(charged.title, new RegExp(`Charged ${rose.toLocaleString("en-US")} to the budget \\(the provider reported ${(prompt + completion).toLocaleString("en-US")}`));
    } else {
      assert.equal(prompt + completion, rose, `the footer's in/out adds up to what the budget rose by: ${text}`);
    }
    assert.match(inOut.title, /call 1: \d+ in, \d+ out, charged \d+/);
  });

  suite.test("server down, then up: 'unreachable' clears by itself (a free check, no question asked), and the probes are never charged", async (vs) => {
    const frame = await chat(vs);
    const port = Number(new URL(server.url).port);
    await server.stop();
    await vs.clearNotifications();
    // Asked until the student asks the teacher (it does when unsure of a word).
    const outage = /the teacher at http:\/\/127\.0\.0\.1:\d+\/v1\/completions is unreachable/;
    const noticed = async () => (await vs.notifications()).some((n) => outage.test(n.message)) || undefined;
    for (const q of ["What is 12 + 30, with the teacher down?", "Natalia sold 48 clips in April and half as many in May. How many in all?", "A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total?"]) {
      await ask(frame, q);
      if (await waitUntil(noticed, 5000, "the outage notification").catch(() => undefined)) break;
    }
    await vs.waitForNotification(outage, { timeout: 30_000 });
    const down = await vs.waitForStatusBarText(BUDGET_ITEM, /Relay: teacher unreachable/);
    await vs.screenshot("teacher-unreachable-with-budget.png");
    const spent = Number(/budget: (\d+) of/.exec(down.ariaLabel)?.[1] ?? NaN);

    const models = await realModels();
    server = await startLlamaServer({ repoRoot: REPO_ROOT, model: models.qwenCoder, alias: "qwen2.5-coder-0.5b", contextSize: 4096, threads: REAL_THREADS, port });
    const back = Date.now();
    // No question is asked: the extension finds out by itself.
    await waitUntil(async () => /^Relay \d/.test(await vs.statusBarText(BUDGET_ITEM)) || undefined, 150_000, "'unreachable' to clear with no question asked");
    const log = vs.outputChannelLog("Relay");
    assert.match(log, /teacher check: http:\/\/127\.0\.0\.1:\d+\/v1\/models answered in \d+ ms \(a free request, not charged\)/);
    assert.match(log, /teacher reachable again/);
    console.log(`unreachable cleared ${((Date.now() - back) / 1000).toFixed(1)} s after the server was started again`);
    await vs.waitForNotification(/the teacher at http:\/\/127\.0\.0\.1:\d+\/v1 answers again/);
    // While it was down, the budget stayed in sight: in the item's text and its label.
    assert.match(down.textWithIcons, /Relay: teacher unreachable · \d[\d.]*k?\/100k/);
    assert.ok(Number.isFinite(spent), `no budget in the label while down: ${down.ariaLabel}`);
    assert.equal(await budgetUsed(vs), spent, "the checks were not charged");
    // The restarted server saw checks and no completion request.
    // (one of them is the harness's own readiness check)
    assert.ok((server.log().match(/"GET \/v1\/models/g) ?? []).length >= 2, "the extension's check reached the server");
    assert.doesNotMatch(server.log(), /POST \/v1\/(chat\/)?completions/);
    await vs.screenshot("teacher-back.png");
  }, { timeout: 400_000 });
});
