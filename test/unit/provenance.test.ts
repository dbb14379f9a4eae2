import { test } from "node:test";
import assert from "node:assert/strict";
import { teacherRangesIn, teacherRangesOf } from "../../src/editor/teacherRanges.js";
import type { Span } from "../../src/core/spans.js";

const span = (kind: Span["kind"], text: string, model?: string): Span => ({ kind, text, tokens: text.length, startMs: 0, durationMs: 7, model });

test("teacher ranges of an answer, clipped to what was kept", () => {
  const spans = [span("student", "const x = "), span("teacher", "compute(17, 23)", "big"), span("student", ";\n")];
  assert.deepEqual(teacherRangesOf(spans).map((r) => [r.start, r.end, r.model]), [[10, 25, "big"]]);
  assert.deepEqual(teacherRangesOf(spans, 15).map((r) => [r.start, r.end]), [[10, 15]]);
  assert.deepEqual(teacherRangesOf(spans, 5), []);
});

test("teacher ranges inside an inserted code block", () => {
  const spans = [span("student", "Use:\n```js\nconst y = "), span("teacher", " a * b;", "big"), span("student", "\n```\n")];
  assert.deepEqual(teacherRangesIn("const y = a * b;\n", spans).map((r) => [r.start, r.end]), [[10, 16]]);
  assert.deepEqual(teacherRangesIn("unrelated", spans), []);
});

test("issue 13: a teacher span that crosses the code fence keeps its part inside the block", () => {
  const spans = [span("student", "Use:\n```js\nconst y = "), span("teacher", "a * b;\n```\nThat multiplies", "big"), span("student", " them.\n")];
  const code = "const y = a * b;\n";
  const ranges = teacherRangesIn(code, spans);
  assert.deepEqual(ranges.map((r) => [r.start, r.end, r.model]), [[10, 16, "big"]]);
  assert.equal(code.slice(10, 16), "a * b;");
  // A span starting before the fence and ending inside the block.
  const before = [span("student", "Here:"), span("teacher", "\n```py\nx = 1", "big"), span("student", "\n```\n")];
  assert.deepEqual(teacherRangesIn("x = 1\n", before).map((r) => [r.start, r.end]), [[0, 5]]);
});
