import { test } from "node:test";
import assert from "node:assert/strict";
import { runRelay, type RelayEvent } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import type { BudgetGate } from "../../src/core/budgetGate.js";
import { RelayError } from "../../src/core/errors.js";
import { MemoryStudent, MemoryTeacher, pieces } from "../helpers/memoryModels.js";

const task = { user: "What is 17 * 23?" };

function twoCallStudent() {
  return new MemoryStudent([
    pieces("17 * 23", " =", "<ca", "ll>", "4", "</ca", "ll>"),
    pieces(" so", " the answer", "<call>", "8</call>"),
    pieces(" done."),
  ]);
}

test("learned calls: spans, visible text, stats and stripped teacher context", async () => {
  const student = twoCallStudent();
  const teacher = new MemoryTeacher((_req, call) => ({ text: [" 391", " is 391."][call], finish: "length", model: "memory-teacher" }));
  const events: RelayEvent[] = [];
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned"), onEvent: (e) => events.push(e) });

  assert.equal(result.text, "17 * 23 = 391 so the answer is 391. done.");
  assert.deepEqual(
    result.spans.map((s) => [s.kind, s.text, s.tokens]),
    [
      ["student", "17 * 23 =", 7],
      ["teacher", " 391", 4],
      ["student", " so the answer", 4],
      ["teacher", " is 391.", 8],
      ["student", " done.", 1],
    ],
  );
  assert.equal(result.stats.studentTokens, 12);
  assert.equal(result.stats.teacherTokens, 12);
  assert.equal(result.stats.callRatio, 12 / 24);
  assert.equal(result.stats.calls, 2);
  assert.equal(result.stats.stopReason, "eos");
  assert.deepEqual(teacher.requests.map((r) => r.maxTokens), [4, 8]);
  assert.equal(teacher.requests[0].answer, "17 * 23 =");
  assert.equal(teacher.requests[1].answer, "17 * 23 = 391 so the answer");
  for (const r of teacher.requests) assert.ok(!(r.promptText + r.answer).includes("<call"));
  // The second request extends the first byte for byte (provider prefix caches hit).
  assert.ok((teacher.requests[1].promptText + teacher.requests[1].answer).startsWith(teacher.requests[0].promptText + teacher.requests[0].answer));
  // The streamed text equals the final text and never shows a tag fragment.
  const streamed = events.filter((e) => e.type === "text").map((e) => (e as { text: string }).text);
  assert.equal(streamed.join(""), result.text);
  for (const piece of streamed) assert.ok(!/[<>]/.test(piece));
  assert.equal(events.filter((e) => e.type === "teacher-start").length, 2);
  assert.equal(student.open, 0);
});

test("a teacher failure yields a failed-call span and the student carries on", async () => {
  const student = new MemoryStudent([pieces("a", "<call>5</call>", "b", "c")]);
  const teacher = new MemoryTeacher(() => {
    throw new Error("connection refused");
  });
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned") });
  assert.equal(result.text, "abc");
  assert.deepEqual(result.spans.map((s) => s.kind), ["student", "failed-call", "student"]);
  assert.match(result.spans[1].error ?? "", /connection refused/);
  assert.equal(result.stats.failedCalls, 1);
  assert.equal(result.stats.callRatio, 0);
});

test("teacher end-of-sequence ends the answer", async () => {
  const student = new MemoryStudent([pieces("x", "<call>9</call>"), pieces("never")]);
  const teacher = new MemoryTeacher(() => ({ text: "END", finish: "eos", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned") });
  assert.equal(result.text, "xEND");
  assert.equal(result.stats.stopReason, "teacher-eos");
});

test("maxCallsPerAnswer: later commands are removed but not honoured", async () => {
  const student = new MemoryStudent([pieces("a<call>1</call>"), pieces("b<call>1</call>", "c")]);
  const teacher = new MemoryTeacher(() => ({ text: "T", finish: "length", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned"), limits: { maxCallsPerAnswer: 1 } });
  assert.equal(result.text, "aTbc");
  assert.equal(result.stats.calls, 1);
  assert.equal(result.stats.ignoredCalls, 1);
});

test("maxTokens counts student and teacher tokens", async () => {
  const student = new MemoryStudent([pieces("a", "<call>3</call>"), pieces("b", "c", "d", "e")]);
  const teacher = new MemoryTeacher(() => ({ text: "TTT", finish: "length", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned"), limits: { maxTokens: 6 } });
  assert.equal(result.stats.generatedTokens, 6);
  assert.equal(result.text, "aTTTb");
  assert.equal(result.stats.stopReason, "max-tokens");
});

test("the span asked for is clamped to maxSpanTokens and to the tokens left", async () => {
  const student = new MemoryStudent([pieces("a", "<call>500</call>"), pieces("z")]);
  const teacher = new MemoryTeacher((req) => ({ text: "x".repeat(req.maxTokens), finish: "length", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned"), limits: { maxSpanTokens: 20, maxTokens: 10 } });
  assert.equal(teacher.requests[0].maxTokens, 8);
  assert.equal(result.stats.generatedTokens, 10);
});

test("an over-long teacher reply is cut to the granted span", async () => {
  const student = new MemoryStudent([pieces("a", "<call>3</call>"), pieces("b")]);
  const teacher = new MemoryTeacher(() => ({ text: "123456789", finish: "stop", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned") });
  assert.equal(result.text, "a123b");
  assert.equal(result.spans[1].finish, "length");
});

test("tags written by the teacher are removed", async () => {
  const student = new MemoryStudent([pieces("a", "<call>30</call>"), pieces("b")]);
  const teacher = new MemoryTeacher(() => ({ text: "x<call>4</call>y", finish: "length", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned") });
  assert.equal(result.text, "axyb");
});

test("an empty teacher reply is a failed call", async () => {
  const student = new MemoryStudent([pieces("a", "<call>3</call>", "b")]);
  const teacher = new MemoryTeacher(() => ({ text: "", finish: "length", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned") });
  assert.equal(result.text, "ab");
  assert.deepEqual(result.spans.map((s) => s.kind), ["student", "failed-call", "student"]);
});

test("budget: a denied call is recorded and the student carries on; a shrunk grant is honoured", async () => {
  let calls = 0;
  const budget: BudgetGate = {
    async reserve(_prompt, span) {
      calls++;
      if (calls === 1) return null;
      return { granted: Math.min(span, 2), settle: async () => {}, release: async () => {} };
    },
  };
  const student = new MemoryStudent([pieces("a", "<call>5</call>", "b", "<call>5</call>"), pieces("c")]);
  const teacher = new MemoryTeacher((req) => ({ text: "t".repeat(req.maxTokens), finish: "length", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned"), budget });
  assert.deepEqual(result.spans.map((s) => s.kind), ["student", "budget-denied", "student", "teacher", "student"]);
  assert.equal(result.text, "abttc");
  assert.equal(result.stats.deniedCalls, 1);
});

test("budget reservations are settled on success, released when the server refused the call, charged what was sent when it may have taken it", async () => {
  const log: string[] = [];
  const budget: BudgetGate = {
    async reserve(_p, span) {
      return {
        granted: span,
        settle: async (u) => void log.push(`settle ${u.promptTokens}+${u.completionTokens}`),
        release: async () => void log.push("release"),
      };
    },
  };
  let n = 0;
  const teacher = new MemoryTeacher(() => {
    n++;
    // Refused: nothing to pay. Unknown: the server may have done the work, so what was sent counts.
    if (n === 1) throw new RelayError("teacher-rejected", "Teacher request failed: HTTP 400");
    if (n === 2) throw new Error("something broke after the request went out");
    return { text: "ok", finish: "length", model: "m", usage: { promptTokens: 7, completionTokens: 2 } };
  });
  const student = new MemoryStudent([pieces("a", "<call>5</call>", "b", "<call>5</call>", "d", "<call>5</call>"), pieces("c")]);
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned"), budget });
  const sent = teacher.requests[1].promptText.length + teacher.requests[1].answer.length;
  assert.deepEqual(log, ["release", `settle ${sent}+0`, "settle 7+2"]);
  assert.deepEqual(result.spans.map((s) => s.kind), ["student", "failed-call", "student", "failed-call", "student", "teacher", "student"]);
  assert.equal(result.spans[1].usage, undefined, "a refused call costs nothing");
  assert.deepEqual(result.spans[3].usage, { promptTokens: sent, completionTokens: 0, estimated: true });
  assert.equal(result.spans[5].usage?.promptTokens, 7);
  assert.equal(result.stats.teacherPromptTokens, sent + 7);
});

test("student-only ignores commands; the answer shows none of them", async () => {
  const student = new MemoryStudent([pieces("a", "<call>5</call>", "b")]);
  const teacher = new MemoryTeacher(() => ({ text: "T", finish: "length", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("student-only") });
  assert.equal(result.text, "ab");
  assert.equal(teacher.requests.length, 0);
  assert.equal(result.stats.ignoredCalls, 1);
});

test("fixed-span asks for N tokens whatever n the student wrote", async () => {
  const student = new MemoryStudent([pieces("a", "<call>5</call>"), pieces("b")]);
  const teacher = new MemoryTeacher(() => ({ text: "T", finish: "length", model: "m" }));
  await runRelay({ task, student, teacher, policy: createPolicy("fixed-span", { fixedSpanTokens: 100 }) });
  assert.equal(teacher.requests[0].maxTokens, 100);
});

test("teacher-only: the whole answer comes from the teacher", async () => {
  const student = new MemoryStudent([pieces("never")]);
  const teacher = new MemoryTeacher((_r, call) => ({ text: call === 0 ? "abc" : "de", finish: call === 0 ? "length" : "eos", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("teacher-only"), limits: { maxSpanTokens: 3 } });
  assert.equal(result.text, "abcde");
  assert.equal(result.stats.callRatio, 1);
  assert.equal(student.sessions, 0);
});

test("confidence: an uncertain token is replaced by the teacher's span, after the cool-down", async () => {
  const student = new MemoryStudent([
    [{ text: "a", probability: 0.1 }, { text: "b" }, { text: "c", probability: 0.2 }],
    [{ text: "d", probability: 0.1 }],
  ]);
  const teacher = new MemoryTeacher(() => ({ text: "T", finish: "length", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("confidence", { threshold: 0.5, cooldownTokens: 2, spanTokens: 4 }) });
  // "a" is within the cool-down; "c" is uncertain and replaced; "d" comes right after a span.
  assert.equal(result.text, "abTd");
  assert.equal(teacher.requests[0].maxTokens, 4);
  assert.equal(teacher.requests[0].answer, "ab");
});

test("confidence: when the teacher fails, the student's own token is kept", async () => {
  const student = new MemoryStudent([[{ text: "a" }, { text: "b", probability: 0.01 }, { text: "c" }]]);
  const teacher = new MemoryTeacher(() => {
    throw new Error("down");
  });
  const result = await runRelay({ task, student, teacher, policy: createPolicy("confidence", { threshold: 0.5, cooldownTokens: 1 }) });
  assert.equal(result.text, "abc");
});

test("auto: confidence calls stop once the model writes its own commands", async () => {
  const memory = { seenCommand: false };
  const student = new MemoryStudent([
    [{ text: "a" }, { text: "<call>2</call>" }],
    [{ text: "b", probability: 0.01 }, { text: "c" }],
  ]);
  const teacher = new MemoryTeacher(() => ({ text: "T", finish: "length", model: "m" }));
  const result = await runRelay({ task, student, teacher, policy: createPolicy("auto", { threshold: 0.5, cooldownTokens: 0 }, memory) });
  assert.equal(result.text, "aTbc");
  assert.equal(memory.seenCommand, true);
});

test("random router is reproducible with a seed", async () => {
  const run = async () => {
    const student = new MemoryStudent(Array.from({ length: 50 }, () => pieces(..."abcdefghij")));
    const teacher = new MemoryTeacher(() => ({ text: "T", finish: "length", model: "m" }));
    const r = await runRelay({ task, student, teacher, policy: createPolicy("random", { probability: 0.2, seed: 42, spanTokens: 1 }), limits: { maxTokens: 60 } });
    return r.text;
  };
  const a = await run();
  assert.equal(a, await run());
  assert.ok(a.includes("T"));
});

test("abort mid-student settles promptly with the spans so far and frees the session", async () => {
  const student = new MemoryStudent([pieces(...Array.from({ length: 1000 }, () => "x"))], 2);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 30);
  const result = await runRelay({ task, student, policy: createPolicy("learned"), signal: controller.signal });
  await result.released;
  assert.equal(result.stats.stopReason, "aborted");
  assert.ok(result.text.length > 0 && result.text.length < 1000);
  assert.equal(student.open, 0);
});

test("abort mid-teacher settles promptly even if the teacher ignores the signal", async () => {
  const student = new MemoryStudent([pieces("a", "<call>5</call>"), pieces("b")]);
  const teacher = new MemoryTeacher(() => new Promise(() => {}));
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 20);
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned"), signal: controller.signal });
  assert.ok(Date.now() - started < 2000);
  assert.equal(result.stats.stopReason, "aborted");
  assert.equal(result.text, "a");
  await result.released;
  assert.equal(student.open, 0);
});

test("a throwing event listener does not break the answer", async () => {
  const student = new MemoryStudent([pieces("a", "b")]);
  const result = await runRelay({ task, student, policy: createPolicy("learned"), onEvent: () => { throw new Error("ui gone"); } });
  assert.equal(result.text, "ab");
});
