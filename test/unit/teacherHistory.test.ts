/**
 * A teacher call carries the question, the answer so far and only a small budget of the chat
 * before it (`relay.teacher.historyTokens`): the prompt no longer grows with the conversation.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { redact } from "../../src/core/redact.js";
import { historyForTeacher } from "../../src/core/teacherHistory.js";
import { MemoryStudent, MemoryTeacher, pieces } from "../helpers/memoryModels.js";

/** One token per character (the memory student's count). */
const chars = new MemoryStudent([]);
const turn = (i: number) => ({ user: `question ${i}`, assistant: `answer ${i} `.padEnd(40, ".") });
const history = Array.from({ length: 10 }, (_, i) => turn(i + 1));

test("the most recent exchanges that fit the budget, oldest first; none with a budget of 0", () => {
  const cost = 10 + 40; // "question 10" is 11
  const kept = historyForTeacher(history, 2 * cost + 5, chars, (t) => t);
  assert.deepEqual(kept.map((h) => h.user), ["question 9", "question 10"]);
  assert.deepEqual(historyForTeacher(history, 0, chars, (t) => t), []);
  assert.deepEqual(historyForTeacher(undefined, 256, chars, (t) => t), []);
  assert.equal(historyForTeacher(history, 10_000, chars, (t) => t).length, 10);
});

test("a last exchange too long for the budget is cut to fit, keeping its question's context", () => {
  const long = [{ user: "What is the derivative of x^3 + 2x?", assistant: "Let us differentiate term by term. ".repeat(20) + "So the answer is 3x^2 + 2." }];
  const [kept] = historyForTeacher(long, 120, chars, (t) => t);
  assert.ok(chars.countTokens(kept.user) + chars.countTokens(kept.assistant) <= 120 + 10, JSON.stringify(kept));
  assert.match(kept.assistant, /3x\^2 \+ 2\.$/, "the end of the answer is kept");
  assert.match(kept.user, /^What is/);
});

test("a secret in an earlier turn is redacted whole before the turn is cut", () => {
  const key = "sk-proj-AbCdEf0123456789AbCdEf0123456789AbCdEf01";
  const secret = [{ user: "Why does this fail?", assistant: `${"x".repeat(60)} OPENAI_API_KEY=${key} ${"y".repeat(60)}` }];
  for (let budget = 40; budget <= 200; budget += 7) {
    const [kept] = historyForTeacher(secret, budget, chars, redact);
    assert.ok(!kept.assistant.includes("AbCdEf0123"), `budget ${budget}: ${kept.assistant}`);
  }
});

test("each teacher call of an answer in a long chat carries only the history budget, the same for every call", async () => {
  const student = new MemoryStudent([pieces("Step", "<call>", "4</call>"), pieces(" and", "<call>", "4</call>"), pieces(".")]);
  const teacher = new MemoryTeacher(() => ({ text: " one", finish: "length", model: "memory-teacher" }));
  const task = { user: "And the eleventh?", history };
  await runRelay({ task, student, teacher, policy: createPolicy("learned"), limits: { teacherHistoryTokens: 120 } });
  assert.equal(teacher.requests.length, 2);
  for (const r of teacher.requests) {
    assert.deepEqual(r.task.history?.map((h) => h.user), ["question 9", "question 10"]);
    assert.equal(r.task.user, "And the eleventh?");
  }
  // One view per answer: the calls' prompts are byte-identical (provider prefix caches hit).
  assert.equal(teacher.requests[1].promptText, teacher.requests[0].promptText);
});
