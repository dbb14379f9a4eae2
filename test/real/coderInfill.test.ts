/**
 * Inline completions with a real coder model: Qwen2.5-Coder-0.5B-Instruct as the inline student,
 * real fill-in-the-middle infill (its FIM tokens), through the inline provider's core path
 * (src/editor/inline.ts: the bounded window, one line or a block, the cut) and the relay controller.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { runRelay } from "../../src/core/controller.js";
import { trimCompletion, wantsMultiline } from "../../src/editor/inline.js";
import { inlineContext } from "../../src/core/inlineWindow.js";
import { createPolicy } from "../../src/core/policies.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { REAL_THREADS, SPECIAL_TEXT, realModels } from "../fixtures/real.js";

const BEFORE = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n    return ';
const AFTER = "\n\n\nprint(fibonacci(10))\n";
/** A partial `<call>` tag or a stray special token at the end of ghost text. */
const PARTIAL_TAG = /<(c(a(l(l(>)?)?)?)?)?$|<\/(c(a(l(l)?)?)?)?$|<\|[a-z_]*$/;

describe("inline completion from a real coder model (FIM infill)", () => {
  let coder: LlamaStudent;
  before(async () => {
    const models = await realModels();
    coder = await LlamaStudent.load({ model: models.qwenCoder, gpu: "cpu", threads: REAL_THREADS, contextSize: 512, sequences: 1 });
  });
  after(async () => {
    await coder?.dispose();
  });

  test("the completion fills the middle: real code, one line, no special token or tag fragment in the ghost text", async () => {
    assert.equal(coder.supportsInfill, true);
    const { prefix, suffix } = inlineContext(BEFORE, AFTER);
    const task = { user: prefix, completion: { prefix, suffix } };
    // The prompt is the model's own FIM layout: prefix token, code, suffix token, code, middle
    // token, then the cursor line's text typed so far (the answer's start).
    const { infill } = coder.model.tokens;
    const prompt = coder.promptTokens(task);
    const [p, s, m] = [prompt.indexOf(infill.prefix!), prompt.indexOf(infill.suffix!), prompt.indexOf(infill.middle!)];
    assert.ok(p === 0 && s > p && m > s, `${p} ${s} ${m}`);
    // Its last token is left out, healed by the model's own next token.
    const typed = coder.model.detokenize(prompt.slice(m + 1));
    assert.ok("    return ".startsWith(typed) && typed.length >= "    return".length, JSON.stringify(typed));

    const multiline = wantsMultiline(prefix, suffix);
    assert.equal(multiline, false);
    // As the provider does: stop generating once a line is complete.
    const controller = new AbortController();
    const streamed: string[] = [];
    const result = await runRelay({
      task,
      student: coder,
      policy: createPolicy("auto"),
      limits: { maxTokens: 24 },
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type !== "text") return;
        streamed.push(e.text);
        if (/\S[^\n]*\n/.test(streamed.join(""))) controller.abort();
      },
    });
    await result.released;
    const ghost = trimCompletion(result.text, multiline, suffix);
    assert.match(ghost, /fibonacci\(n ?- ?1\) ?\+ ?fibonacci\(n ?- ?2\)/, JSON.stringify(ghost));
    assert.ok(!ghost.includes("\n"));
    assert.doesNotMatch(ghost, SPECIAL_TEXT);
    assert.doesNotMatch(ghost, PARTIAL_TAG);
    for (const piece of streamed) assert.doesNotMatch(piece, SPECIAL_TEXT);
  });
});
