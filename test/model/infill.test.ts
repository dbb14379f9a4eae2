/** Inline completion prompts: fill-in-the-middle when the student has FIM tokens, plain continuation otherwise. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { writeScriptedModel, type ScriptedModelSpec } from "../../src/gguf/scripted.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { ensureModel, fixtureName } from "../fixtures/gguf/cache.js";

// llama.cpp recognises FIM tokens by their text; after <|fim_middle|> the script writes "infilled",
// after anything else "plain".
// "ab" is a token wherever the two letters meet; after it the script writes "AFTER_AB", after
// "abcd" it ends: a typed "ab" healed becomes the model's own "abcd".
const SPEC: ScriptedModelSpec = {
  pieces: ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "plain", "infilled", "ab", "abcd", "AFTER_AB"],
  transitions: [
    ["<|fim_middle|>", "infilled"],
    ["infilled", "</s>"],
    ["plain", "</s>"],
    ["=", "abcd"],
    ["abcd", "</s>"],
    ["ab", "AFTER_AB"],
    ["AFTER_AB", "</s>"],
  ],
  defaultNext: "plain",
};

let student: LlamaStudent;
/** The same model with the typed line at the prefix's end (the layout before the line moved into the middle). */
let prefixLayout: LlamaStudent;
before(async () => {
  const path = await ensureModel(fixtureName("scripted-fim", SPEC), (p) => writeScriptedModel(p, SPEC));
  student = await LlamaStudent.load({ model: path, gpu: "cpu", contextSize: 256, sequences: 1 });
  prefixLayout = await LlamaStudent.load({ model: path, gpu: "cpu", contextSize: 256, sequences: 1, infillLayout: "prefix" });
});
after(async () => {
  await student?.dispose();
  await prefixLayout?.dispose();
});

const complete = (prefix: string, suffix: string, model = student) =>
  runRelay({ task: { user: prefix, completion: { prefix, suffix } }, student: model, policy: createPolicy("student-only"), limits: { maxTokens: 8 } });

test("a student with FIM tokens infills between prefix and suffix", async () => {
  assert.equal(student.supportsInfill, true);
  assert.equal((await complete("let x = 1;\n", "return x;")).text, "infilled");
});

test("typing along a line evaluates only the typed tokens, not the suffix again", async () => {
  // Each character is one token in the scripted model: the suffix is 60 tokens.
  const suffix = `;\n${"return x + y;\n".repeat(4)}`;
  for (const [model, most, least] of [
    [student, 2, 0],
    [prefixLayout, Infinity, suffix.length],
  ] as const) {
    await (await complete("let y = 2;\nlet x = ", suffix, model)).released;
    const typed = await complete("let y = 2;\nlet x = 4", suffix, model);
    await typed.released;
    const evaluated = typed.stats.promptTokens;
    assert.ok(evaluated <= most && evaluated > least, `${evaluated} prompt tokens evaluated after one typed character (${model === student ? "line in the middle" : "line at the prefix's end"})`);
  }
});

test("the typed line's last token is healed: the model's own token that goes on from it is taken, and what was typed is not written again", async () => {
  // Typed "x =ab": the prompt ends at "x =" and the model, which writes "abcd" there, is taken
  // at its word; left in the prompt, the partial "ab" would have made it write "AFTER_AB".
  const healed = await complete("let y = 2;\nx =ab", ";\nreturn x;");
  assert.equal(healed.text, "cd");
  assert.equal(healed.stats.studentTokens, 1, "one token: the healed one");
});

test("with nothing after the cursor the prefix is simply continued", async () => {
  assert.equal((await complete("let x = ", "")).text, "plain");
});

test("a completion task is sent to a completions teacher as the bare prefix", () => {
  assert.equal(student.renderPrompt({ user: "ignored", completion: { prefix: "let x = ", suffix: ";" } }), "let x = ");
});
