import { test } from "node:test";
import assert from "node:assert/strict";
import { TeacherBreaker } from "../../src/core/breaker.js";
import { RelayError } from "../../src/core/errors.js";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { BudgetLedger } from "../../src/core/budget.js";
import type { BudgetGate } from "../../src/core/budgetGate.js";
import { CUT_MARKER } from "../../src/core/teacherContext.js";
import { MemoryStudent, MemoryTeacher, pieces } from "../helpers/memoryModels.js";
import { MemoryLedgerStore } from "../helpers/memoryLedgerStore.js";

const task = { user: "What is 17 * 23?" };
const down = () => new RelayError("teacher-unreachable", "cannot reach http://127.0.0.1:9/v1 (connection refused (ECONNREFUSED))", { details: { url: "http://127.0.0.1:9/v1", status: "unreachable: connection refused (ECONNREFUSED)" } });
/** Four calls whose replies are spliced (the student moves on to the next segment after each). */
const chain = () => new MemoryStudent([pieces("a", "<call>3</call>"), pieces("b", "<call>3</call>"), pieces("c", "<call>3</call>"), pieces("d", "<call>3</call>"), pieces("e")]);
/** Four calls in one segment (a refused or failed call does not move the student on). */
const manyCalls = () => new MemoryStudent([pieces("a", "<call>3</call>", "b", "<call>3</call>", "c", "<call>3</call>", "d", "<call>3</call>", "e"), pieces("x"), pieces("y"), pieces("z"), pieces("w")]);

test("breaker: trips on connection errors, 5xx, timeouts, rate limits; not on a bad request", () => {
  const now = 0;
  const b = new TeacherBreaker({ coolDownMs: 1000, now: () => now });
  assert.equal(b.failure(new RelayError("teacher-rejected", "HTTP 400")), false);
  assert.equal(b.failure(new RelayError("teacher-bad-reply", "no choices")), false);
  assert.equal(b.current.state, "closed");
  for (const code of ["teacher-unreachable", "teacher-server-error", "teacher-timeout", "teacher-rate-limited"] as const) {
    const fresh = new TeacherBreaker({ now: () => now });
    assert.equal(fresh.failure(new RelayError(code, code)), true, code);
    assert.equal(fresh.allow(), false, code);
  }
});

test("breaker: cool-down, one episode until a success, doubling cool-down on failed trials", () => {
  let now = 0;
  const b = new TeacherBreaker({ coolDownMs: 1000, maxCoolDownMs: 3000, now: () => now });
  const seen: string[] = [];
  b.onChange((s) => seen.push(`${s.state}#${s.episode}`));
  b.failure(down());
  assert.deepEqual([b.allow(), b.current.last?.url, b.current.last?.status], [false, "http://127.0.0.1:9/v1", "unreachable: connection refused (ECONNREFUSED)"]);
  now = 1000;
  assert.equal(b.allow(), true, "a trial after the cool-down");
  b.failure(down());
  now = 2999;
  assert.equal(b.allow(), false, "the cool-down doubled");
  now = 3000;
  assert.equal(b.allow(), true);
  b.failure(down());
  now = 6000;
  assert.equal(b.allow(), true, "capped at maxCoolDownMs");
  b.success();
  assert.equal(b.current.state, "closed");
  b.failure(down());
  assert.deepEqual(seen, ["open#1", "half-open#1", "open#1", "half-open#1", "open#1", "half-open#1", "closed#1", "open#2"]);
});

test("a teacher that is down: the rest of the answer goes on without it (one failed call, not one per command)", async () => {
  const teacher = new MemoryTeacher(() => {
    throw down();
  });
  const result = await runRelay({ task, student: manyCalls(), teacher, policy: createPolicy("learned") });
  assert.equal(teacher.requests.length, 1);
  assert.equal(result.text, "abcde");
  assert.deepEqual(result.spans.filter((s) => s.kind !== "student").map((s) => s.kind), ["failed-call"]);
  assert.equal(result.stats.ignoredCalls, 3);
});

test("a shared breaker keeps the next answer off the teacher until the cool-down ends", async () => {
  let now = 0;
  const breaker = new TeacherBreaker({ coolDownMs: 30_000, now: () => now });
  let fail = true;
  const teacher = new MemoryTeacher(() => {
    if (fail) throw down();
    return { text: "T", finish: "length", model: "m" };
  });
  await runRelay({ task, student: manyCalls(), teacher, policy: createPolicy("learned"), breaker });
  await runRelay({ task, student: manyCalls(), teacher, policy: createPolicy("learned"), breaker });
  assert.equal(teacher.requests.length, 1, "the second answer did not ask");
  now = 30_000;
  fail = false;
  const third = await runRelay({ task, student: chain(), teacher, policy: createPolicy("learned"), breaker });
  assert.equal(third.stats.calls, 4);
  assert.equal(breaker.current.state, "closed");
});

test("a bad reply does not trip the breaker: later calls still go out", async () => {
  const teacher = new MemoryTeacher(() => {
    throw new RelayError("teacher-bad-reply", "no choices");
  });
  await runRelay({ task, student: manyCalls(), teacher, policy: createPolicy("learned") });
  assert.equal(teacher.requests.length, 4);
});

test("teacher-only honours maxCallsPerAnswer", async () => {
  const teacher = new MemoryTeacher(() => ({ text: "tt", finish: "length", model: "m" }));
  const result = await runRelay({ task, student: new MemoryStudent([]), teacher, policy: createPolicy("teacher-only"), limits: { maxCallsPerAnswer: 3, maxSpanTokens: 2, maxTokens: 500 } });
  assert.equal(teacher.requests.length, 3);
  assert.equal(result.stats.calls, 3);
  assert.equal(result.stats.stopReason, "max-calls");
});

test("a budget ledger that fails: the call is recorded as failed with the reason, no more calls, the answer completes", async () => {
  const budget: BudgetGate = {
    async reserve() {
      throw new RelayError("budget-ledger-unwritable", "The budget ledger /x cannot be used: EROFS");
    },
  };
  const teacher = new MemoryTeacher(() => ({ text: "T", finish: "length", model: "m" }));
  const result = await runRelay({ task, student: manyCalls(), teacher, policy: createPolicy("learned"), budget });
  assert.equal(result.text, "abcde");
  assert.equal(teacher.requests.length, 0);
  const failed = result.spans.filter((s) => s.kind === "failed-call");
  assert.equal(failed.length, 1);
  assert.match(failed[0].error ?? "", /EROFS/);
});

test("absurd usage from the teacher is clamped in the span and the ledger, the claim kept", async () => {
  const ledger = await BudgetLedger.open(new MemoryLedgerStore(), { limit: 10_000, period: "total" });
  const teacher = new MemoryTeacher(() => ({ text: "TTT", finish: "length", model: "m", usage: { promptTokens: -50, completionTokens: 1e12 } }));
  const result = await runRelay({ task, student: new MemoryStudent([pieces("a", "<call>3</call>"), pieces("b")]), teacher, policy: createPolicy("learned"), budget: ledger });
  const span = result.spans.find((s) => s.kind === "teacher")!;
  // Stats: the claim made sane (not negative, not above the grant), the claim kept.
  assert.deepEqual([span.usage?.promptTokens, span.usage?.completionTokens], [0, 3]);
  assert.deepEqual(span.usage?.claimed, { promptTokens: -50, completionTokens: 1e12 });
  // The budget: never below the prompt that was sent.
  const sent = [..."<user>What is 17 * 23?</user><assistant>a"].length;
  assert.equal(ledger.usage().settled, sent + 3);
});

test("a task prompt too long for the teacher is cut in the middle, the same way in every request", async () => {
  const long = "BEGIN " + "x".repeat(5000) + " END?";
  const teacher = new MemoryTeacher(() => ({ text: "T", finish: "length", model: "m" }));
  await runRelay({ task: { user: long }, student: chain(), teacher, policy: createPolicy("learned"), limits: { maxContextTokens: 400 } });
  assert.equal(teacher.requests.length, 4);
  for (const r of teacher.requests) {
    assert.ok(r.promptText.length + r.answer.length <= 400, `${r.promptText.length + r.answer.length} chars sent`);
    assert.ok(r.promptText.includes(CUT_MARKER) && r.promptText.startsWith("<user>BEGIN") && r.promptText.endsWith("END?</user><assistant>"));
    assert.ok([...r.task.user].length <= 300 && r.task.user.startsWith("BEGIN") && r.task.user.endsWith("END?"));
  }
  assert.equal(new Set(teacher.requests.map((r) => r.promptText)).size, 1);
});
