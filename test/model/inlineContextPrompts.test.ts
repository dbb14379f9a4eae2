/**
 * Repository context in real prompts (node-llama-cpp, scripted GGUFs): Qwen2.5-Coder's
 * repository format where the model has `<|repo_name|>` and `<|file_sep|>` tokens, plain text
 * otherwise; and what a teacher is sent of the context is redacted.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { runRelay } from "../../src/core/controller.js";
import { completionTask, type CompletionContext } from "../../src/core/contextPrompt.js";
import { createPolicy } from "../../src/core/policies.js";
import { writeScriptedModel, type ScriptedModelSpec } from "../../src/gguf/scripted.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { ensureModel, fixtureName } from "../fixtures/gguf/cache.js";
import { MemoryTeacher } from "../helpers/memoryModels.js";

// The models add BOS (<s>). After <|fim_middle|> the student asks the teacher for 4 tokens, then writes "done".
const BASE: ScriptedModelSpec = {
  pieces: ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<call>", "4</call>", "done"],
  transitions: [
    ["<|fim_middle|>", "<call>"],
    ["<call>", "4</call>"],
    ["4</call>", "</s>"],
    ["done", "</s>"],
  ],
  defaultNext: "done",
};
const REPO: ScriptedModelSpec = {
  ...BASE,
  specialTokens: [
    { text: "<|repo_name|>", type: "control" },
    { text: "<|file_sep|>", type: "control" },
  ],
};

const SECRET = `ghp_${"A1b2C3".repeat(6)}`;
const context: CompletionContext = {
  repo: "proj",
  name: "main.py",
  chunks: [{ path: "/ws/proj/geo.py", name: "geo.py", line: 0, kind: "definition", text: `TOKEN = "${SECRET}"\ndef area(r):\n    return 3 * r * r` }],
};

let repoModel: LlamaStudent;
let plainModel: LlamaStudent;
before(async () => {
  const repoPath = await ensureModel(fixtureName("scripted-fim-repo", REPO), (p) => writeScriptedModel(p, REPO));
  const plainPath = await ensureModel(fixtureName("scripted-fim-calls", BASE), (p) => writeScriptedModel(p, BASE));
  repoModel = await LlamaStudent.load({ model: repoPath, gpu: "cpu", contextSize: 512, sequences: 1 });
  plainModel = await LlamaStudent.load({ model: plainPath, gpu: "cpu", contextSize: 512, sequences: 1 });
});
after(async () => {
  await repoModel?.dispose();
  await plainModel?.dispose();
});

test("a model with repository tokens gets Qwen2.5-Coder's repository format, each marker one token", () => {
  const task = completionTask("print(area(", "))\n", context);
  const tokens = repoModel.promptTokens(task);
  const text = repoModel.model.detokenize(tokens, true);
  // The cursor line's typed text starts the middle (llamaStudent.ts: a keystroke re-evaluates only
  // it), its last token left out to be healed: the answer starts with it.
  assert.equal(text, `<s><|repo_name|>proj\n<|file_sep|>geo.py\n${context.chunks[0].text}\n<|file_sep|>main.py\n<|fim_prefix|><|fim_suffix|>))\n<|fim_middle|>print(area`);
  const fileSep = repoModel.model.tokenize("<|file_sep|>", true);
  assert.equal(fileSep.length, 1);
  assert.equal(tokens.filter((t) => t === fileSep[0]).length, 2);
});

test("a model without them gets the context as plain text before the prefix", () => {
  const text = plainModel.model.detokenize(plainModel.promptTokens(completionTask("print(area(", "))\n", context)), true);
  assert.equal(text, `<s><|fim_prefix|># geo.py\n${context.chunks[0].text}\n\n# main.py\n<|fim_suffix|>))\n<|fim_middle|>print(area`);
  assert.equal(plainModel.model.detokenize(plainModel.promptTokens(completionTask("x = ", "\n", undefined)), true), "<s><|fim_prefix|><|fim_suffix|>\n<|fim_middle|>x =", "no context, no header");
  assert.equal(plainModel.model.detokenize(plainModel.promptTokens(completionTask("x = 1\n", "y\n", undefined)), true), "<s><|fim_prefix|>x = 1\n<|fim_suffix|>y\n<|fim_middle|>", "at a line's start the middle is empty");
});

for (const [name, model] of [
  ["repository format", () => repoModel],
  ["plain", () => plainModel],
] as const) {
  test(`the teacher is sent the context redacted (${name})`, async () => {
    const teacher = new MemoryTeacher(() => ({ text: " 2)", finish: "length", model: "memory-teacher" }));
    // At a line's start: the scripted student asks right after the middle token.
    const result = await runRelay({ task: completionTask("r = 2\n", "\nprint(area(r))\n", context), student: model(), teacher, policy: createPolicy("learned"), limits: { maxTokens: 16 } });
    assert.equal(teacher.requests.length, 1, "the scripted student asked the teacher once");
    const sent = teacher.requests[0].promptText;
    assert.ok(sent.includes("def area(r):"), "the context reached the teacher");
    assert.ok(sent.includes("r = 2"), "after it, the prefix");
    assert.ok(!sent.includes(SECRET), "the secret in the context did not");
    assert.match(result.text, / 2\)/);
  });
}
