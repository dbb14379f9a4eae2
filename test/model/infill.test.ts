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
const SPEC: ScriptedModelSpec = {
  pieces: ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "plain", "infilled"],
  transitions: [
    ["<|fim_middle|>", "infilled"],
    ["infilled", "</s>"],
    ["plain", "</s>"],
  ],
  defaultNext: "plain",
};

let student: LlamaStudent;
before(async () => {
  const path = await ensureModel(fixtureName("scripted-fim", SPEC), (p) => writeScriptedModel(p, SPEC));
  student = await LlamaStudent.load({ model: path, gpu: "cpu", contextSize: 256, sequences: 1 });
});
after(async () => student?.dispose());

const complete = (prefix: string, suffix: string) =>
  runRelay({ task: { user: prefix, completion: { prefix, suffix } }, student, policy: createPolicy("student-only"), limits: { maxTokens: 8 } });

test("a student with FIM tokens infills between prefix and suffix", async () => {
  assert.equal(student.supportsInfill, true);
  assert.equal((await complete("let x = ", ";\nreturn x;")).text, "infilled");
});

test("with nothing after the cursor the prefix is simply continued", async () => {
  assert.equal((await complete("let x = ", "")).text, "plain");
});

test("a completion task is sent to a completions teacher as the bare prefix", () => {
  assert.equal(student.renderPrompt({ user: "ignored", completion: { prefix: "let x = ", suffix: ";" } }), "let x = ");
});
