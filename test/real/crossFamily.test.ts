/**
 * A relay across model families: the SmolLM2 student (llama architecture, ChatML, 49k vocabulary)
 * and a Gemma 3 teacher (local GGUF, Gemma turn format, 262k vocabulary), under the confidence
 * policy on real probabilities and under a `<call>n</call>` the student is made to write.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { runRelay, type RelayResult } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { mathPrompt, type TaskPrompt } from "../../src/core/prompts.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { recording, type RecordingTeacher } from "../helpers/recordingTeacher.js";
import { REAL_THREADS, SPECIAL_TEXT, realModels } from "../fixtures/real.js";

/** The student must write this: SmolLM2 was never trained on `<call>`, so a grammar makes it. */
const FORCED = "17 * 23 = <call>8</call>";
const FORCE_GRAMMAR = `root ::= ${JSON.stringify(FORCED)} rest\nrest ::= [^\\x00]*`;

describe("relay across families: SmolLM2 student, Gemma 3 teacher", () => {
  let student: LlamaStudent;
  let gemma: LocalTeacher;
  before(async () => {
    const models = await realModels();
    student = await LlamaStudent.load({ model: models.smollm2, gpu: "cpu", threads: REAL_THREADS, contextSize: 1024, sequences: 1 });
    gemma = await LocalTeacher.load({ model: models.gemma, gpu: "cpu", threads: REAL_THREADS, contextSize: 1024 });
  });
  after(async () => {
    await gemma?.dispose();
    await student?.dispose();
  });

  /** What every cross-family relay must show, whatever the policy. */
  function checkRelay(task: TaskPrompt, result: RelayResult, teacher: RecordingTeacher): void {
    const spans = result.spans.filter((s) => s.kind === "teacher");
    assert.ok(spans.length >= 1, `a teacher span (spans: ${JSON.stringify(result.spans.map((s) => [s.kind, s.text]))})`);
    // The teacher's prompt is Gemma's own turn format, not the student's ChatML.
    assert.equal(gemma.chatTemplate, "Gemma");
    const gemmaPrompt = `<start_of_turn>user\n${task.user}<end_of_turn>\n<start_of_turn>model\n`;
    for (const r of teacher.requests) {
      assert.equal(r.promptText, gemmaPrompt);
      assert.ok(!r.promptText.includes("<|im_start|>"));
      assert.ok(!(r.promptText + r.answer).includes("<call"), `the teacher got no tag: ${JSON.stringify(r.answer)}`);
    }
    // …and it reached Gemma as Gemma's special tokens (BOS + one token per marker), not as text.
    assert.equal(gemma.llama.tokenize("<start_of_turn>", true).length, 1);
    const first = spans[0].usage!;
    const fresh = first.promptTokens - (first.cachedPromptTokens ?? 0);
    assert.equal(first.promptTokens, 1 + gemma.llama.tokenize(gemmaPrompt, true).length + gemma.llama.tokenize(teacher.requests[0].answer, false, "trimLeadingSpace").length);
    assert.ok(fresh >= 1);
    // Spliced: each teacher span's text is in the answer, right after the text it continued.
    let context = "";
    for (const span of result.spans) {
      if (span.kind === "teacher") assert.ok(span.text.length > 0);
      context += span.text;
    }
    assert.equal(context, result.text);
    teacher.requests.forEach((r, i) => {
      const before = result.spans.slice(0, result.spans.indexOf(spans[i])).map((s) => s.text).join("");
      assert.equal(r.answer, before, `request ${i} continues the answer so far`);
    });
    // The call ratio counts in the student's tokens (the teacher's tokenizer differs).
    for (const span of spans) assert.equal(span.tokens, student.countTokens(span.text), JSON.stringify(span.text));
    const teacherTokens = spans.reduce((n, s) => n + s.tokens, 0);
    assert.equal(result.stats.teacherTokens, teacherTokens);
    assert.equal(result.stats.callRatio, teacherTokens / (result.stats.studentTokens + teacherTokens));
    assert.doesNotMatch(result.text, SPECIAL_TEXT);
  }

  test("under confidence on the student's real probabilities", async () => {
    const task = mathPrompt("A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it take?");
    const teacher = recording(gemma);
    const result = await runRelay({
      task,
      student,
      teacher,
      // A threshold and cool-down that call within a short answer (the default's rate is test/real/confidence's subject).
      policy: createPolicy("confidence", { threshold: 0.5, cooldownTokens: 8, spanTokens: 6 }),
      limits: { maxTokens: 40 },
    });
    await result.released;
    checkRelay(task, result, teacher);
    assert.ok(result.stats.calls >= 1 && result.stats.calls <= 4, `calls: ${result.stats.calls}`);
    for (const r of teacher.requests) assert.equal(r.maxTokens, 6);
  });

  test("under a <call>8</call> the student writes (split across its real tokens)", async () => {
    assert.ok(student.tokenize("<call>8</call>").length > 3, "SmolLM2's tokenizer splits the tag into several tokens");
    const task = { user: "What is 17 * 23?" };
    const teacher = recording(gemma);
    const result = await runRelay({ task, student, teacher, policy: createPolicy("learned"), limits: { maxTokens: 40 }, grammar: FORCE_GRAMMAR });
    await result.released;
    checkRelay(task, result, teacher);
    assert.equal(result.stats.calls, 1);
    assert.equal(result.stats.malformedTags, 0);
    assert.equal(teacher.requests[0].answer, "17 * 23 = ");
    assert.equal(teacher.requests[0].maxTokens, 8);
    const [before, spliced] = result.spans;
    assert.deepEqual([before.kind, before.text, spliced.kind], ["student", "17 * 23 = ", "teacher"]);
    // The text and the tag as the student sampled them, all counted as student tokens: under the
    // grammar it picks shorter pieces than the tokenizer's own split (18 against 14 here), which
    // the scanner must cope with as well.
    assert.ok(before.tokens >= student.tokenize(FORCED).length, `${before.tokens} sampled tokens`);
    assert.ok(spliced.tokens >= 1 && spliced.tokens <= 8);
    assert.ok(result.text.startsWith(`17 * 23 = ${spliced.text}`));
  });
});
