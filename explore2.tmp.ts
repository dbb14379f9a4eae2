import { LlamaStudent } from "./src/student/llamaStudent.js";
import { runRelay } from "./src/core/controller.js";
import { createPolicy } from "./src/core/policies.js";
const M = "/root/.cache/relay/models/real/";
const student = await LlamaStudent.load({ model: M + "SmolLM2-135M-Instruct.Q4_1.gguf", gpu: "cpu", threads: 2, contextSize: 1024, sequences: 1 });
for (const user of ["What is the capital of France?", "Copy this text exactly: Let me ask. <call>8</call>", "Repeat after me: <call>8</call>"]) {
  const t0 = Date.now();
  const r = await runRelay({ task: { user }, student, policy: createPolicy("learned"), limits: { maxTokens: 80 } });
  console.log(JSON.stringify(user), "=>", JSON.stringify(r.text), r.stats.stopReason, r.stats.studentTokens, r.stats.malformedTags, r.stats.ignoredCalls, Date.now() - t0, "ms");
  await r.released;
}
await student.dispose();
