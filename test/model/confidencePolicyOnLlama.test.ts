/** The confidence policy on real node-llama-cpp probabilities (BiLD-style fallback). */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { writeScriptedModel, type ScriptedModelSpec } from "../../src/gguf/scripted.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { ensureModel, fixtureName } from "../fixtures/gguf/cache.js";
import { MemoryTeacher } from "../helpers/memoryModels.js";

// "Alpha beta gamma delta." where the step after " beta" is unsure (top-1 p = 0.2).
const SPEC: ScriptedModelSpec = {
  pieces: ["Alpha", " beta", " gamma", " delta.", " GAMMA!"],
  transitions: [
    ["Alpha", " beta"],
    [" beta", " gamma"],
    [" gamma", " delta."],
    [" delta.", "</s>"],
    ["!", " delta."],
  ],
  defaultNext: "Alpha",
  confidence: { " beta": 0.2 },
};

let student: LlamaStudent;
before(async () => {
  const path = await ensureModel(fixtureName("scripted-unsure", SPEC), (p) => writeScriptedModel(p, SPEC));
  student = await LlamaStudent.load({ model: path, gpu: "cpu", contextSize: 256, sequences: 1 });
});
after(async () => {
  await student?.dispose();
});

test("node-llama-cpp reports the top-1 probability of each token", async () => {
  const session = await student.openSession({ user: "go" }, { probabilities: true });
  const steps = [];
  for (let step = await session.next(); step; step = await session.next()) steps.push(step);
  await session.dispose();
  assert.deepEqual(steps.map((s) => s.text), ["Alpha", " beta", " gamma", " delta."]);
  const [p1, p2, p3] = steps.map((s) => s.probability ?? NaN);
  assert.ok(p1 > 0.99 && p2 > 0.99, `${p1} ${p2}`);
  assert.ok(Math.abs(p3 - 0.2) < 0.02, `unsure step p = ${p3}`);
});

test("confidence policy: the unsure token is replaced by a teacher span, then the student resumes", async () => {
  const teacher = new MemoryTeacher(() => ({ text: " GAMMA!", finish: "length", model: "m" }));
  const result = await runRelay({
    task: { user: "go" },
    student,
    teacher,
    policy: createPolicy("confidence", { threshold: 0.5, cooldownTokens: 0, spanTokens: 8 }),
  });
  assert.equal(result.text, "Alpha beta GAMMA! delta.");
  assert.deepEqual(result.spans.map((s) => s.kind), ["student", "teacher", "student"]);
  assert.equal(teacher.requests.length, 1);
  assert.equal(teacher.requests[0].answer, "Alpha beta");
  assert.equal(teacher.requests[0].maxTokens, 8);
  // The discarded " gamma" was never evaluated: prompt + 2 + 7 spliced + " delta." (+ EOS step).
  assert.equal(result.stats.studentTokens, 3);
});

test("auto policy falls back to confidence for a model that never writes tags", async () => {
  const teacher = new MemoryTeacher(() => ({ text: " GAMMA!", finish: "length", model: "m" }));
  const result = await runRelay({ task: { user: "go" }, student, teacher, policy: createPolicy("auto", { threshold: 0.5, cooldownTokens: 0 }) });
  assert.equal(result.text, "Alpha beta GAMMA! delta.");
});
