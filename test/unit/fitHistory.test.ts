/** A long chat leaves the oldest exchanges out of the prompt instead of failing the next question. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fitHistory } from "../../src/core/fitHistory.js";
import type { TaskPrompt } from "../../src/core/prompts.js";

// One "token" per character: easy to reason about.
const count = (t: TaskPrompt) => (t.system ?? "").length + t.user.length + (t.history ?? []).reduce((n, h) => n + h.user.length + h.assistant.length, 0);
const exchange = (i: number) => ({ user: `q${i}`.padEnd(10, "."), assistant: `a${i}`.padEnd(10, ".") });

test("everything is kept when it fits", () => {
  const task = { user: "question", history: [exchange(1), exchange(2)] };
  assert.deepEqual(fitHistory(task, count, 100), { task, dropped: 0 });
});

test("the oldest exchanges give way first, the newest are kept in order", () => {
  const task = { user: "question", history: [exchange(1), exchange(2), exchange(3), exchange(4)] };
  const { task: fitted, dropped } = fitHistory(task, count, 8 + 2 * 20);
  assert.equal(dropped, 2);
  assert.deepEqual(fitted.history, [exchange(3), exchange(4)]);
  assert.equal(fitted.user, "question");
});

test("a question too long on its own keeps no history (the student then says the prompt is too long)", () => {
  const task = { user: "x".repeat(50), history: [exchange(1)] };
  const { task: fitted, dropped } = fitHistory(task, count, 20);
  assert.equal(dropped, 1);
  assert.equal(fitted.history, undefined);
});

test("no history: nothing to drop", () => {
  const task = { user: "x".repeat(50) };
  assert.deepEqual(fitHistory(task, count, 20), { task, dropped: 0 });
});
