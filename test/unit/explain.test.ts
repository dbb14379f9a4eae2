import { test } from "node:test";
import assert from "node:assert/strict";
import { explainPrompt } from "../../src/editor/explain.js";

test("explain prompt: the step with the text above it", () => {
  const p = explainPrompt({ before: "x = 2\ny = x + 3\n", step: "z = y * 4", languageId: "python", fileName: "a.py" });
  assert.match(p.user, /above it from a\.py:\n```python\nx = 2\ny = x \+ 3\n```/);
  assert.match(p.user, /Explain this step.*\n```python\nz = y \* 4\n```$/s);
});

test("explain prompt: long context is bounded, kept nearest the step, from a line start", () => {
  const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join("\n");
  const p = explainPrompt({ before: lines, step: "last" }, 200);
  const context = p.user.split("```")[1];
  assert.ok(context.length <= 210);
  assert.match(context.trimEnd(), /line 1999$/);
  assert.match(context, /^\nline \d+\n/);
});

test("explain prompt: no context, no context block", () => {
  const p = explainPrompt({ before: "  \n", step: "2 + 2 = 4" });
  assert.ok(!p.user.includes("above it"));
});
