import { test } from "node:test";
import assert from "node:assert/strict";
import { lmLimits, lmTask, participantHistory, type LmMessage } from "../../src/core/lmRequest.js";
import { statsTexts as statsParts } from "../../src/core/answerFigures.js";

const text = (role: LmMessage["role"], ...texts: string[]): LmMessage => ({ role, parts: texts.map((t) => ({ kind: "text", text: t })) });

test("a conversation becomes the task: system, earlier exchanges, the question", () => {
  const r = lmTask([text("system", "Be brief."), text("user", "What is 2+2?"), text("assistant", "4"), text("user", "And ", "17 * 23?")]);
  assert.deepEqual(r, { ok: true, task: { system: "Be brief.", history: [{ user: "What is 2+2?", assistant: "4" }], user: "And 17 * 23?" } });
});

test("two messages of one role in a row are one turn; an answer with no question keeps its place", () => {
  const r = lmTask([text("assistant", "Hello."), text("user", "One."), text("user", "Two.")]);
  assert.deepEqual(r, { ok: true, task: { history: [{ user: "", assistant: "Hello." }], user: "One.\n\nTwo." } });
});

test("tool calls, tool results and data refuse the request with the reason, never dropped", () => {
  for (const part of [{ kind: "tool-call", name: "search" }, { kind: "tool-result" }] as const) {
    const r = lmTask([{ role: "user", parts: [{ kind: "text", text: "hi" }, part] }]);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : "", /does not call tools/);
  }
  const data = lmTask([{ role: "user", parts: [{ kind: "data", mimeType: "image/png" }] }]);
  assert.match(!data.ok ? data.reason : "", /image\/png/);
  const other = lmTask([{ role: "user", parts: [{ kind: "other", type: "Thing" }] }]);
  assert.match(!other.ok ? other.reason : "", /Thing/);
});

test("a conversation must end with the user's question", () => {
  assert.equal(lmTask([]).ok, false);
  assert.equal(lmTask([text("user", "q"), text("assistant", "a")]).ok, false);
  assert.equal(lmTask([text("user", "  ")]).ok, false);
});

test("a caller may lower the answer's length, nothing else; the rest is named", () => {
  assert.deepEqual(lmLimits(undefined, 512), { maxTokens: 512, ignored: [] });
  assert.deepEqual(lmLimits({ maxTokens: 64 }, 512), { maxTokens: 64, ignored: [] });
  assert.deepEqual(lmLimits({ max_tokens: 4096, temperature: 2, budget: 1e9 }, 512), { maxTokens: 512, ignored: ["temperature", "budget"] });
  assert.deepEqual(lmLimits({ maxTokens: -1 }, 512), { maxTokens: 512, ignored: ["maxTokens"] });
});

test("a participant's history: answered questions only, the most recent ones", () => {
  const turns = [{ question: "a", answer: "1" }, { question: "b" }, { question: "c", answer: " " }, { question: "d", answer: "4 " }];
  assert.deepEqual(participantHistory(turns, 6), [{ user: "a", assistant: "1" }, { user: "d", assistant: "4" }]);
  assert.deepEqual(participantHistory(turns, 1), [{ user: "d", assistant: "4" }]);
});

test("the footer's figures, with the cost where it is known", () => {
  const s = { generatedTokens: 24, calls: 2, callRatio: 1 / 3, teacherPromptTokens: 1234, teacherCompletionTokens: 8, durationMs: 3100, failedCalls: 0, deniedCalls: 1 };
  assert.deepEqual(statsParts(s), ["24 tokens", "2 teacher calls", "call ratio 33.3%", "teacher in/out 1,234/8", "3.1 s", "1 denied by budget"]);
  assert.equal(statsParts(s, { usd: 0.000123, priced: true })[4], "cost $0.00012");
  assert.equal(statsParts(s, { usd: 1.5, priced: true })[4], "cost $1.50");
  assert.equal(statsParts(s, { usd: 0, priced: false })[4], "cost: no teacher price set");
  assert.equal(statsParts({ ...s, calls: 0 }, { usd: 0, priced: false })[4], "cost $0");
});
