/**
 * Thinking models on the real node-llama-cpp: a scripted GGUF with Qwen3's real chat template and
 * special tokens (test/fixtures/thinking.ts), relayed with a scripted local teacher.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { runRelay, type RelayEvent } from "../../src/core/controller.js";
import { trimCompletion, wantsMultiline } from "../../src/editor/inline.js";
import { createPolicy } from "../../src/core/policies.js";
import type { Teacher, TeacherRequest } from "../../src/core/models.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { TEACHER_PIECE, THINKING_QUESTION, thinkingPairPaths } from "../fixtures/thinking.js";

const task = { user: THINKING_QUESTION };

function recording(teacher: Teacher): Teacher & { requests: TeacherRequest[] } {
  const requests: TeacherRequest[] = [];
  return {
    name: teacher.name,
    model: teacher.model,
    renderPrompt: teacher.renderPrompt?.bind(teacher),
    requests,
    generate: (r) => {
      requests.push(r);
      return teacher.generate(r);
    },
  };
}

describe("a thinking student (Qwen3 template, scripted)", () => {
  let paths: { student: string; teacher: string };
  let thinking: LlamaStudent;
  let teacher: LocalTeacher;
  before(async () => {
    paths = await thinkingPairPaths();
    thinking = await LlamaStudent.load({ model: paths.student, gpu: "cpu", threads: 2, contextSize: 512, sequences: 1 });
    teacher = await LocalTeacher.load({ model: paths.teacher, gpu: "cpu", threads: 2, contextSize: 512 });
  });
  after(async () => {
    await teacher?.dispose();
    await thinking?.dispose();
  });

  test("node-llama-cpp renders it with its Qwen wrapper; thinking on leaves the turn open for `<think>`", () => {
    assert.equal(thinking.chatTemplate, "Qwen");
    assert.equal(thinking.renderPrompt(task), "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n");
    assert.deepEqual(thinking.thoughtFormat(task), { open: "<think>", close: "</think>", startsInside: false });
  });

  test("reasoning streams apart from the answer; `<call>` inside it works; the teacher continues the thought", async () => {
    const t = recording(teacher);
    const events: RelayEvent[] = [];
    const result = await runRelay({ task, student: thinking, teacher: t, policy: createPolicy("learned"), onEvent: (e) => events.push(e) });
    assert.equal(result.reasoning, `The user asks for 2+3.${TEACHER_PIECE} Done`);
    assert.equal(result.text, "The answer is \\boxed{5}.");
    assert.deepEqual(
      result.spans.map((s) => [s.kind, s.text, Boolean(s.thought)]),
      [
        ["student", "The user asks for 2+3.", true],
        ["teacher", TEACHER_PIECE, true],
        ["student", " Done", true],
        ["student", "The answer is \\boxed{5}.", false],
      ],
    );
    assert.equal(result.stats.calls, 1);
    assert.equal(result.stats.stopReason, "eos");
    // The teacher got the reasoning with its markers (tags stripped), in its own prompt format.
    assert.equal(t.requests.length, 1);
    assert.equal(t.requests[0].answer, "<think>\nThe user asks for 2+3.");
    assert.equal(t.requests[0].promptText, teacher.renderPrompt(task));
    assert.equal(t.requests[0].maxTokens, 3);
    const texts = events.filter((e): e is Extract<RelayEvent, { type: "text" }> => e.type === "text");
    for (const e of texts) assert.ok(!/think>|<call|<\|im_/.test(e.text), JSON.stringify(e.text));
    assert.equal(texts.filter((e) => e.thought).map((e) => e.text).join(""), result.reasoning);
    assert.equal(texts.filter((e) => !e.thought).map((e) => e.text).join(""), result.text);
  });

  test("ghost text (a code completion through the inline path) never shows reasoning", async () => {
    const prefix = "def add(a, b):\n";
    const result = await runRelay({ task: { user: prefix, completion: { prefix, suffix: "" } }, student: thinking, teacher, policy: createPolicy("learned"), limits: { maxTokens: 64 } });
    assert.ok(result.reasoning.length > 0, "the scripted model thinks here too");
    const ghost = trimCompletion(result.text, wantsMultiline(prefix, ""), "");
    assert.equal(ghost, "The answer is \\boxed{5}.");
    assert.ok(!ghost.includes("user asks") && !ghost.includes(TEACHER_PIECE.trim()));
  });

  test("thinking off: the template's own empty think block, the answer without reasoning", async () => {
    const off = await LlamaStudent.load({ model: paths.student, gpu: "cpu", threads: 2, contextSize: 512, sequences: 1, thinking: false });
    try {
      assert.equal(off.renderPrompt(task), "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
      assert.equal(off.thoughtFormat(task)?.startsInside, false);
      const t = recording(teacher);
      const result = await runRelay({ task, student: off, teacher: t, policy: createPolicy("learned") });
      assert.equal(result.text, "The answer is \\boxed{5}.");
      assert.equal(result.reasoning, "");
      assert.equal(t.requests.length, 0);
    } finally {
      await off.dispose();
    }
  });

  test("relay ask --thinking on|off (the built CLI): reasoning apart in --json, or none", async () => {
    const run = promisify(execFile);
    const ask = async (mode: string) => {
      const args = ["dist/cli.js", "ask", THINKING_QUESTION, "--student", paths.student, "--teacher-gguf", paths.teacher, "--policy", "learned", "--gpu", "cpu", "--threads", "1", "--thinking", mode, "--json"];
      const { stdout } = await run(process.execPath, args, { env: { ...process.env, NO_COLOR: "1" } });
      return JSON.parse(stdout) as { text: string; reasoning?: string; stats: { calls: number } };
    };
    const on = await ask("on");
    assert.equal(on.text, "The answer is \\boxed{5}.");
    assert.equal(on.reasoning, `The user asks for 2+3.${TEACHER_PIECE} Done`);
    assert.equal(on.stats.calls, 1);
    const off = await ask("off");
    assert.equal(off.text, "The answer is \\boxed{5}.");
    assert.equal(off.reasoning, undefined);
    assert.equal(off.stats.calls, 0);
    await assert.rejects(() => ask("maybe"), /--thinking/);
  });
});
