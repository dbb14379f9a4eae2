/** Reasoning sections (`<think>…</think>`): the streaming splitter and what the controller makes of it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { runRelay, type RelayEvent } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import type { TaskPrompt } from "../../src/core/prompts.js";
import { ThoughtSplitter, splitThoughts, type ThoughtFormat, type ThoughtPiece } from "../../src/core/thoughts.js";
import { teacherRangesOf } from "../../src/editor/teacherRanges.js";
import { MemoryStudent, MemoryTeacher, pieces, type ScriptPiece } from "../helpers/memoryModels.js";

const QWEN: ThoughtFormat = { open: "<think>", close: "</think>", startsInside: false };

function merged(list: ThoughtPiece[]): ThoughtPiece[] {
  const out: ThoughtPiece[] = [];
  for (const p of list) {
    const last = out[out.length - 1];
    if (last && last.thought === p.thought) last.text += p.text;
    else out.push({ ...p });
  }
  return out;
}

test("splitter: reasoning and answer apart, markers and the newlines around them removed", () => {
  assert.deepEqual(splitThoughts("<think>\nLet me add.\n</think>\n\nIt is 5.", QWEN), [
    { text: "Let me add.\n", thought: true },
    { text: "It is 5.", thought: false },
  ]);
  // No reasoning at all, and the template's empty think block (thinking off) as the model echoes it.
  assert.deepEqual(splitThoughts("It is 5.", QWEN), [{ text: "It is 5.", thought: false }]);
  assert.deepEqual(splitThoughts("<think>\n\n</think>\n\nIt is 5.", QWEN), [{ text: "It is 5.", thought: false }]);
  // A prompt that opens the section itself (DeepSeek-R1 style): the text starts as reasoning.
  assert.deepEqual(splitThoughts("hmm\n</think>\n\nok", { ...QWEN, startsInside: true }), [
    { text: "hmm\n", thought: true },
    { text: "ok", thought: false },
  ]);
  // A stray `<` that turns out not to be a marker is text.
  assert.deepEqual(splitThoughts("a < b <thin", QWEN), [{ text: "a < b <thin", thought: false }]);
});

test("splitter: a marker split across pieces is held back, never shown in part", () => {
  const s = new ThoughtSplitter(QWEN);
  const out = [...s.push("<th"), ...s.push("ink>Hm"), ...s.push("m </th"), ...s.push("ink>"), ...s.push("Yes"), ...s.end()];
  for (const piece of out) assert.ok(!/<\/?th/.test(piece.text), JSON.stringify(piece));
  assert.deepEqual(merged(out), [
    { text: "Hmm ", thought: true },
    { text: "Yes", thought: false },
  ]);
});

test("splitter: any split of a text gives the same pieces (property)", () => {
  const fragments = ["<think>", "</think>", "\n", "\n\n", "a", " b", "<", "</", "<th", "ink>", "x<y", "think", "/"];
  const textArb = fc.array(fc.constantFrom(...fragments), { maxLength: 40 }).map((parts) => parts.join(""));
  fc.assert(
    fc.property(textArb, fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 20 }), fc.boolean(), (text, cuts, startsInside) => {
      const format = { ...QWEN, startsInside };
      const whole = splitThoughts(text, format);
      const s = new ThoughtSplitter(format);
      const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
      const out: ThoughtPiece[] = [];
      let from = 0;
      for (const p of [...points, text.length]) {
        out.push(...s.push(text.slice(from, p)));
        from = p;
      }
      out.push(...s.end());
      assert.deepEqual(merged(out), whole);
      // Nothing is lost but the markers and the newlines right after them.
      const kept = whole.map((p) => p.text).join("");
      assert.ok(kept.length <= text.length);
    }),
  );
});

/** A memory student whose answers carry Qwen3-style reasoning. */
class ThinkingStudent extends MemoryStudent {
  constructor(segments: ScriptPiece[][], private readonly format: ThoughtFormat = QWEN) {
    super(segments);
  }
  thoughtFormat(_task: TaskPrompt): ThoughtFormat {
    return this.format;
  }
}

test("relay: reasoning spans flagged, text is the answer, reasoning apart, the teacher keeps the reasoning", async () => {
  const student = new ThinkingStudent([
    pieces("<think>", "\n", "Add", " 2", " and", "<call>", "8</call>"),
    pieces(" so", "\n", "</think>", "\n\n", "It", " is", " 5."),
  ]);
  const teacher = new MemoryTeacher(() => ({ text: " 3 is 5", finish: "length", model: "t" }));
  const events: RelayEvent[] = [];
  const result = await runRelay({ task: { user: "2+3?" }, student, teacher, policy: createPolicy("learned"), onEvent: (e) => events.push(e) });

  assert.equal(result.text, "It is 5.");
  assert.equal(result.reasoning, "Add 2 and 3 is 5 so\n");
  assert.deepEqual(
    result.spans.map((s) => [s.kind, s.text, Boolean(s.thought)]),
    [
      ["student", "Add 2 and", true],
      ["teacher", " 3 is 5", true],
      ["student", " so\n", true],
      ["student", "It is 5.", false],
    ],
  );
  // The marker tokens count (in the section they open or close): all 14 student tokens are there.
  assert.equal(result.stats.studentTokens, 14);
  assert.equal(result.stats.calls, 1);
  // The `<call>` inside the reasoning worked, and the teacher saw the reasoning with its markers.
  assert.equal(teacher.requests[0].answer, "<think>\nAdd 2 and");
  const streamed = events.filter((e): e is Extract<RelayEvent, { type: "text" }> => e.type === "text");
  assert.equal(streamed.filter((e) => !e.thought).map((e) => e.text).join(""), "It is 5.");
  assert.equal(streamed.filter((e) => e.thought).map((e) => e.text).join(""), "Add 2 and 3 is 5 so\n");
  for (const e of streamed) assert.ok(!e.text.includes("think>"), e.text);
  // Teacher ranges (for inline marks) are offsets into the answer only.
  assert.deepEqual(teacherRangesOf(result.spans), []);
});

test("relay: a teacher span that closes the reasoning is split in two, counted as one call", async () => {
  const student = new ThinkingStudent([pieces("<think>", "Hm", "<call>", "32</call>"), pieces(" Yes", ".")]);
  const teacher = new MemoryTeacher(() => ({ text: " ok</think>\n\nFive", finish: "length", model: "t" }));
  const result = await runRelay({ task: { user: "2+3?" }, student, teacher, policy: createPolicy("learned") });
  assert.equal(result.reasoning, "Hm ok");
  assert.equal(result.text, "Five Yes.");
  const teacherSpans = result.spans.filter((s) => s.kind === "teacher");
  assert.deepEqual(
    teacherSpans.map((s) => [s.text, Boolean(s.thought), Boolean(s.continued)]),
    [
      [" ok", true, false],
      ["Five", false, true],
    ],
  );
  assert.equal(result.stats.calls, 1);
  assert.equal(teacherSpans[0].tokens + teacherSpans[1].tokens, result.stats.teacherTokens);
  assert.deepEqual(teacherRangesOf(result.spans), [{ start: 0, end: 4, model: "memory-teacher", tokens: teacherSpans[1].tokens, latencyMs: 0 }]);
});

test("relay: a model without a thought format shows `<think>` as plain text", async () => {
  const student = new MemoryStudent([pieces("<think>", "x", "</think>", "y")]);
  const result = await runRelay({ task: { user: "q" }, student, policy: createPolicy("student-only") });
  assert.equal(result.text, "<think>x</think>y");
  assert.equal(result.reasoning, "");
});
