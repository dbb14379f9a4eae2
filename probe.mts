import { runRelay } from "./src/core/controller.js";
import { createPolicy } from "./src/core/policies.js";
import { LlamaStudent } from "./src/student/llamaStudent.js";
import { writeFileSync, readFileSync } from "node:fs";
const s = await LlamaStudent.load({ model: "/tmp/demo/s.gguf", gpu: "cpu", contextSize: 512 });
const r = await runRelay({ task: { user: "What is 17 * 23?" }, student: s, policy: createPolicy("student-only"), limits: { maxTokens: 40 } });
console.log(JSON.stringify(r.text), r.stats.ignoredCalls);
await s.dispose();
writeFileSync("/tmp/demo/g.gguf", "this is not a model at all");
const b = readFileSync("/tmp/demo/s.gguf"); writeFileSync("/tmp/demo/tr.gguf", b.subarray(0, b.length/2));
for (const m of ["/tmp/demo/g.gguf", "/tmp/demo/tr.gguf"]) {
  try { await LlamaStudent.load({ model: m, gpu: "cpu" }); } catch (e) { console.log(m, (e as any).code, (e as Error).message); }
}
