/** The relay end to end on the real node-llama-cpp, with the scripted student/teacher pair. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import type { Teacher, TeacherRequest } from "../../src/core/models.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { DEMO_QUESTION, EXPECTED_RELAY_TEXT, STUDENT_SCRIPT, TEACHER_SCRIPT } from "../../src/demo/scriptedPair.js";
import { scriptedPairPaths } from "../fixtures/pair.js";

const task = { user: DEMO_QUESTION };

/** Wraps a teacher to record what it was sent. */
function recording(teacher: Teacher): Teacher & { requests: TeacherRequest[] } {
  const requests: TeacherRequest[] = [];
  return {
    name: teacher.name,
    model: teacher.model,
    requests,
    generate: (r) => {
      requests.push(r);
      return teacher.generate(r);
    },
  };
}

describe("relay on the scripted pair", () => {
  let student: LlamaStudent;
  let teacher: LocalTeacher;

  before(async () => {
    const paths = await scriptedPairPaths();
    student = await LlamaStudent.load({ model: paths.student, gpu: "cpu", contextSize: 512, sequences: 2 });
    teacher = await LocalTeacher.load({ model: paths.teacher, gpu: "cpu", contextSize: 512 });
  });
  after(async () => {
    await teacher?.dispose();
    await student?.dispose();
  });

  test("learned policy: exact text, spans, call ratio, stripped teacher context", async () => {
    const t = recording(teacher);
    const result = await runRelay({ task, student, teacher: t, policy: createPolicy("learned") });
    assert.equal(result.text, EXPECTED_RELAY_TEXT);
    assert.deepEqual(
      result.spans.map((s) => [s.kind, s.text]),
      [
        ["student", "We need 17 * 23. Split it: 17 * 20 = 340, and 17 * 3 ="],
        ["teacher", " 51."],
        ["student", " Adding them:"],
        ["teacher", " 391"],
        ["student", ". So 17 * 23 = \\boxed{391}."],
      ],
    );
    // By hand: the student wrote 11 + 3 + 2 tokens (tags included); each teacher span is
    // 4 tokens in the student's tokenizer (" 51." and " 391", one token per character).
    const studentTokens = STUDENT_SCRIPT.flat().length;
    assert.equal(studentTokens, 16);
    assert.deepEqual(result.spans.map((s) => s.tokens), [11, 4, 3, 4, 2]);
    assert.equal(result.stats.studentTokens, 16);
    assert.equal(result.stats.teacherTokens, 8);
    assert.equal(result.stats.callRatio, 8 / 24);
    assert.equal(result.stats.calls, 2);
    assert.equal(result.stats.stopReason, "eos");
    // The teacher asked for 4 of its own tokens each time and was cut to 4 student tokens.
    assert.deepEqual(t.requests.map((r) => r.maxTokens), [4, 4]);
    assert.equal(result.spans[1].finish, "length");
    for (const r of t.requests) assert.ok(!(r.promptText + r.answer).includes("<call"), r.answer);
    assert.ok(t.requests[0].answer.endsWith("17 * 3 ="));
    assert.ok(t.requests[1].answer.endsWith(" 51. Adding them:"));
    await result.released;
    assert.equal(student.sequencesInUse, 0);
  });

  test("KV reuse: the student evaluates prompt + generated + spliced tokens, not a re-prefill per relay", async () => {
    const result = await runRelay({ task, student, teacher, policy: createPolicy("learned") });
    const { promptTokens, studentEvaluatedTokens, studentTokens, teacherTokens } = result.stats;
    const fullPrompt = student.promptTokens(task).length;
    assert.ok(fullPrompt > 20 && promptTokens >= 1 && promptTokens <= fullPrompt, `prompt tokens ${promptTokens} of ${fullPrompt}`);
    // Every token the student generated is evaluated once (the last, before EOS, too), plus the
    // teacher's spliced tokens, plus the prompt — nothing twice.
    const expected = promptTokens + studentTokens + teacherTokens;
    assert.ok(studentEvaluatedTokens >= expected && studentEvaluatedTokens <= expected + 2 * result.stats.calls, `${studentEvaluatedTokens} vs ${expected}`);
    // A re-prefill per relay would cost the whole prompt again per call.
    assert.ok(studentEvaluatedTokens < expected + fullPrompt);
  });

  test("a repeated question reuses the cached prompt prefix of a free sequence", async () => {
    await (await runRelay({ task, student, teacher, policy: createPolicy("learned") })).released;
    const again = await runRelay({ task, student, teacher, policy: createPolicy("learned") });
    assert.equal(again.stats.promptTokens, 1);
    assert.equal(again.text, EXPECTED_RELAY_TEXT);
  });

  test("local teacher evaluates only the delta between calls", async () => {
    const before = teacher.evaluatedTokens;
    const t = recording(teacher);
    const result = await runRelay({ task, student, teacher: t, policy: createPolicy("learned") });
    assert.equal(result.stats.calls, 2);
    const evaluated = teacher.evaluatedTokens - before;
    const usage = result.spans.filter((s) => s.kind === "teacher").map((s) => s.usage!);
    // The second call's context extends the first's. The teacher had written " 51. Adding them:
    // 340 + 51 = 391." (cut to " 51."); the student then wrote " Adding them:", so the teacher's
    // own " 51." and " Adding" tokens still match and stay cached: only " them:" is new.
    const first = t.requests[0].promptText + t.requests[0].answer;
    const second = t.requests[1].promptText + t.requests[1].answer;
    assert.ok(second.startsWith(first));
    const secondNew = usage[1].promptTokens - (usage[1].cachedPromptTokens ?? 0);
    assert.equal(secondNew, " them:".length);
    assert.ok((usage[1].cachedPromptTokens ?? 0) >= usage[0].promptTokens, JSON.stringify(usage));
    // In all: the first context (less what an earlier answer left cached), the 3 generated
    // tokens evaluated during the first span (the 4th is sampled only), 6 new ones, 3 more.
    const firstNew = usage[0].promptTokens - (usage[0].cachedPromptTokens ?? 0);
    assert.equal(evaluated, firstNew + 3 + 6 + 3);
  });

  test("teacher-only: the teacher writes the whole answer and ends it", async () => {
    const result = await runRelay({ task, student, teacher, policy: createPolicy("teacher-only") });
    assert.equal(result.text, TEACHER_SCRIPT.whole.join(""));
    assert.equal(result.stats.callRatio, 1);
    assert.equal(result.stats.stopReason, "teacher-eos");
  });

  test("fixed-span: the first call asks for 100 tokens and the teacher ends the answer", async () => {
    const result = await runRelay({ task, student, teacher, policy: createPolicy("fixed-span", { fixedSpanTokens: 100 }) });
    assert.equal(result.text, "We need 17 * 23. Split it: 17 * 20 = 340, and 17 * 3 =" + TEACHER_SCRIPT.first.join(""));
    assert.equal(result.stats.stopReason, "teacher-eos");
  });

  test("student-only: the tags are removed, the student carries on alone", async () => {
    const result = await runRelay({ task, student, teacher, policy: createPolicy("student-only"), limits: { maxTokens: 40 } });
    assert.ok(result.text.startsWith("We need 17 * 23. Split it: 17 * 20 = 340, and 17 * 3 ="));
    assert.ok(!result.text.includes("<") && !result.text.includes("call"), result.text);
    assert.equal(result.stats.calls, 0);
    // The scripted student loops back to its start after an unanswered call.
    assert.ok(result.stats.ignoredCalls >= 1);
  });

  test("a failing teacher mid-answer: the answer completes from the student with a failed-call span", async () => {
    let n = 0;
    const flaky: Teacher = {
      name: "flaky",
      model: "flaky",
      generate: (r) => (n++ === 0 ? Promise.reject(new Error("teacher crashed")) : teacher.generate(r)),
    };
    const result = await runRelay({ task, student, teacher: flaky, policy: createPolicy("learned"), limits: { maxTokens: 60 } });
    assert.deepEqual(result.spans.slice(0, 2).map((s) => s.kind), ["student", "failed-call"]);
    assert.match(result.spans[1].error ?? "", /teacher crashed/);
    assert.ok(result.stats.generatedTokens > 11);
    await result.released;
    assert.equal(student.sequencesInUse, 0);
  });

  test("abort mid-student and mid-teacher settles promptly with the spans so far; 1000 aborts leave no sequence in use", async () => {
    // Mid-teacher: a teacher that never answers.
    const stuck: Teacher = { name: "stuck", model: "stuck", generate: () => new Promise(() => {}) };
    const controller = new AbortController();
    const pending = runRelay({ task, student, teacher: stuck, policy: createPolicy("learned"), signal: controller.signal, onEvent: (e) => e.type === "teacher-start" && controller.abort() });
    const r1 = await pending;
    assert.equal(r1.stats.stopReason, "aborted");
    assert.equal(r1.text, "We need 17 * 23. Split it: 17 * 20 = 340, and 17 * 3 =");
    await r1.released;

    // Mid-student, many times over, at different points.
    const results = [];
    for (let i = 0; i < 1000; i++) {
      const c = new AbortController();
      let seen = 0;
      const stopAt = i % 7;
      results.push(
        runRelay({ task, student, teacher, policy: createPolicy("learned"), signal: c.signal, onEvent: (e) => e.type === "text" && ++seen > stopAt && c.abort() }),
      );
      if (i % 50 === 49) await Promise.all(results.splice(0).map(async (p) => (await p).released));
    }
    await Promise.all(results.map(async (p) => (await p).released));
    assert.equal(student.sequencesInUse, 0);
  });
});

describe("model loading errors", () => {
  test("a missing model file is a typed error", async () => {
    await assert.rejects(LlamaStudent.load({ model: "/nonexistent/model.gguf", gpu: "cpu" }), (e: Error & { code?: string }) => e.code === "model-not-found");
  });

  test("a corrupt GGUF is a typed error, and the process lives on", async () => {
    const { writeFileSync, readFileSync, mkdtempSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "relay-corrupt-"));
    const garbage = join(dir, "garbage.gguf");
    writeFileSync(garbage, "this is not a model at all");
    await assert.rejects(LlamaStudent.load({ model: garbage, gpu: "cpu" }), (e: Error & { code?: string }) => e.code === "model-corrupt");
    const { student } = await scriptedPairPaths();
    const truncated = join(dir, "truncated.gguf");
    const bytes = readFileSync(student);
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await assert.rejects(LlamaStudent.load({ model: truncated, gpu: "cpu" }), (e: Error & { code?: string }) => e.code === "model-corrupt");
  });
});

describe("context limits", () => {
  test("a full context ends the answer with stop reason context-full, not a context shift", async () => {
    const { student: path } = await scriptedPairPaths();
    const small = await LlamaStudent.load({ model: path, gpu: "cpu", contextSize: 64, sequences: 1 });
    try {
      const result = await runRelay({ task, student: small, policy: createPolicy("student-only"), limits: { maxTokens: 1000 } });
      assert.equal(result.stats.stopReason, "context-full");
      assert.ok(result.stats.promptTokens + result.stats.generatedTokens <= small.context.contextSize);
      assert.ok(result.stats.generatedTokens > 10);
    } finally {
      await small.dispose();
    }
  });
});
