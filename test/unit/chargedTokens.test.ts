/**
 * The answer's footer and the budget give the same number (issue "Everyday use with real models,
 * round 2", item 4): a provider whose tokenizer counts fewer prompt tokens than Relay's count of
 * what it sent (SmolLM2's tokenizer against Qwen's: footer 170/16, budget +229) is charged Relay's
 * count; the answer's stats carry what the budget charged, and the footer shows it with a hover
 * saying why it differs. Through the real OpenAI client against a real HTTP server on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { BudgetLedger } from "../../src/core/budget.js";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { callTokens } from "../../src/core/spans.js";
import { OpenAITeacher } from "../../src/teacher/openaiTeacher.js";
import { statsParts } from "../../webview/format.js";
import { MemoryLedgerStore } from "../helpers/memoryLedgerStore.js";
import { MemoryStudent, pieces } from "../helpers/memoryModels.js";

let server: Server;
let base = "";
/** The provider's usage claim: fewer prompt tokens than the prompt's characters (the memory student's count). */
const CLAIM = { prompt_tokens: 5, completion_tokens: 3 };
/** false: the provider counts a few more prompt tokens than Relay (one per character for the memory student): charged as reported. */
let lowClaim = true;

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const prompt = String((JSON.parse(body) as { prompt?: string }).prompt ?? "");
      const usage = lowClaim ? CLAIM : { prompt_tokens: [...prompt].length + 2, completion_tokens: [..." 391"].length };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "x", object: "text_completion", created: 0, model: "m", choices: [{ index: 0, text: " 391", finish_reason: "length" }], usage }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test("the budget's charge is in the answer's stats and footer: the same number as the budget rose by, with the reason in the hover", async () => {
  const ledger = await BudgetLedger.open(new MemoryLedgerStore(), { limit: 100_000, period: "total" });
  const teacher = new OpenAITeacher({ baseURL: base, model: "m", style: "completions", stream: false, maxRetries: 0, timeoutMs: 5000 });
  const student = new MemoryStudent([pieces("The", " product", " is", "<call>", "4</call>", "."), pieces(".")]);
  const before = ledger.usage().used;
  const result = await runRelay({ task: { user: "What is 17 * 23?" }, student, teacher, policy: createPolicy("learned"), budget: ledger });
  await ledger.flush();
  const rose = ledger.usage().used - before;
  const { stats } = result;
  assert.equal(stats.calls, 1);
  assert.equal(stats.teacherPromptTokens, CLAIM.prompt_tokens, "the stats keep the provider's numbers");
  assert.ok(rose > stats.teacherPromptTokens + stats.teacherCompletionTokens, `the budget charged Relay's stricter count (${rose})`);
  assert.equal(stats.teacherChargedTokens, rose, "the answer says what the budget charged");

  const parts = statsParts({ ...stats, callTokens: callTokens(result.spans) });
  const charged = parts.find((p) => p.text === `${rose} charged`);
  assert.ok(charged, `the footer shows the charge: ${JSON.stringify(parts.map((p) => p.text))}`);
  assert.equal(charged.title, `Charged ${rose} to the budget (the provider reported 8; Relay counts the prompt it sent with the student's tokenizer and the template's overhead, and never charges less than that). The budget in the status bar rose by ${rose}.`);
  const inOut = parts.find((p) => p.text.startsWith("teacher in/out"));
  assert.match(inOut?.title ?? "", new RegExp(`call 1: 5 in, 3 out, charged ${rose}`));
});

test("when the provider's numbers are what the budget charged, the footer shows no second number", async () => {
  const ledger = await BudgetLedger.open(new MemoryLedgerStore(), { limit: 100_000, period: "total" });
  const teacher = new OpenAITeacher({ baseURL: base, model: "m", style: "completions", stream: false, maxRetries: 0, timeoutMs: 5000 });
  const student = new MemoryStudent([pieces("<call>", "4</call>", "."), pieces(".")]);
  lowClaim = false;
  const result = await runRelay({ task: { user: "?" }, student, teacher, policy: createPolicy("learned"), budget: ledger }).finally(() => (lowClaim = true));
  await ledger.flush();
  assert.equal(result.stats.teacherChargedTokens, ledger.usage().used);
  assert.equal(result.stats.teacherChargedTokens, result.stats.teacherPromptTokens + result.stats.teacherCompletionTokens);
  assert.ok(!statsParts(result.stats).some((p) => p.text.endsWith("charged")));
});

test("a failed call reads '1 failed call', never '1 teacher call'", () => {
  const stats = { generatedTokens: 20, studentTokens: 20, teacherTokens: 0, calls: 1, failedCalls: 1, deniedCalls: 0, callRatio: 0, teacherPromptTokens: 0, teacherCompletionTokens: 0, durationMs: 1200, stopReason: "eos" };
  const texts = statsParts(stats).map((p) => p.text);
  assert.deepEqual(texts, ["20 tokens", "1 failed call", "call ratio 0.0%", "teacher in/out 0/0", "1.2 s"]);
  const mixed = statsParts({ ...stats, calls: 3 }).map((p) => p.text);
  assert.deepEqual(mixed.slice(0, 3), ["20 tokens", "2 teacher calls", "1 failed call"]);
});
