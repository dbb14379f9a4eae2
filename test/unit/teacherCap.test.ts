import { test } from "node:test";
import assert from "node:assert/strict";
import { TeacherBreaker } from "../../src/core/breaker.js";
import { runRelay } from "../../src/core/controller.js";
import type { Schedule } from "../../src/editor/inlineJob.js";
import { createPolicy } from "../../src/core/policies.js";
import { capTeacher } from "../../src/editor/teacherCap.js";
import { MemoryStudent, MemoryTeacher, pieces } from "../helpers/memoryModels.js";

/** The cap fires when the teacher is asked (no real time passes): the teacher has "missed" it. */
const firesAtOnce: Schedule = (_ms, fn) => {
  queueMicrotask(fn);
  return () => {};
};
const never: Schedule = () => () => {};

test("a teacher that misses the inline cap is stopped; the student's text is shown and the breaker stays closed", async () => {
  let aborted = false;
  const slow = new MemoryTeacher(
    (request) =>
      new Promise((_resolve, reject) =>
        request.signal!.addEventListener("abort", () => {
          aborted = true;
          reject(new Error("aborted"));
        }),
      ),
  );
  const breaker = new TeacherBreaker();
  const student = new MemoryStudent([pieces("return ", "<call>4</call>", "x + 1")]);
  const result = await runRelay({ task: { user: "def f(x):\n    ", completion: { prefix: "def f(x):\n    ", suffix: "" } }, student, teacher: capTeacher(slow, 300, firesAtOnce), breaker, policy: createPolicy("learned") });
  assert.equal(aborted, true, "the teacher's request was aborted");
  assert.match(result.text, /^return x \+ 1/);
  assert.equal(result.stats.calls, 1);
  assert.ok(result.spans.some((s) => s.kind === "failed-call" && /inline latency cap \(300 ms\)/.test(s.error ?? "")));
  assert.equal(breaker.current.state, "closed", "a missed cap is no outage");
});

test("a teacher within the cap is spliced as usual; cap 0 is no cap", async () => {
  for (const [cap, schedule] of [
    [300, never],
    [0, firesAtOnce],
  ] as const) {
    const teacher = new MemoryTeacher(() => ({ text: " 2 * x", finish: "length", model: "memory-teacher" }));
    const student = new MemoryStudent([pieces("return", "<call>8</call>"), pieces("!")]);
    const result = await runRelay({ task: { user: "p", completion: { prefix: "p", suffix: "" } }, student, teacher: capTeacher(teacher, cap, schedule), policy: createPolicy("learned") });
    assert.equal(result.text, "return 2 * x!", `cap ${cap}`);
  }
});
