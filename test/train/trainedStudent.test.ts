/**
 * The student the CPU smoke run trained (scripts/test-train.sh runs the whole path with real TRL
 * on SmolLM2-135M and exports it with llama.cpp's converter): node-llama-cpp loads its GGUF, and
 * on a held-out question `relay ask --policy learned` relays the student's own `<call>n</call>`
 * to the real teacher GGUF at least once in a few samples.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { LlamaStudent } from "../../src/student/llamaStudent.js";

const run = promisify(execFile);

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through scripts/test-train.sh (npm run test:train)`);
  return value;
}

interface Summary {
  gguf: string;
  heldout_prompt: string;
}

interface AskJson {
  text: string;
  spans: Array<{ kind: string; text: string; tokens: number; requested?: number }>;
  stats: { calls: number; teacherTokens: number; malformedTags: number };
}

const SAMPLES = 8;

describe("the smoke-trained relay student", () => {
  let summary: Summary;
  let teacher: string;
  let student: LlamaStudent;

  before(async () => {
    const runDir = required("RELAY_TRAIN_RUN");
    teacher = required("RELAY_TEACHER_GGUF");
    const file = join(runDir, "summary.json");
    assert.ok(existsSync(file), `the training run left no ${file}`);
    summary = JSON.parse(readFileSync(file, "utf8")) as Summary;
    student = await LlamaStudent.load({ model: summary.gguf, gpu: "cpu", threads: 1, contextSize: 512, sequences: 1 });
  });
  after(async () => {
    await student?.dispose();
  });

  test("node-llama-cpp loads the exported GGUF and renders its chat prompt", () => {
    const prompt = student.renderPrompt({ user: "What is 2 + 3?" });
    assert.match(prompt, /<\|im_start\|>user\nWhat is 2 \+ 3\?<\|im_end\|>\n<\|im_start\|>assistant\n$/);
    assert.ok(student.countTokens("<call>8</call>") > 0);
  });

  test("on a held-out question it writes a well-formed <call>n</call> and relay ask relays it to the teacher", async () => {
    const outcomes: string[] = [];
    for (let seed = 1; seed <= SAMPLES; seed++) {
      const { stdout } = await run(process.execPath, [
        "dist/cli.js", "ask", summary.heldout_prompt, "--math", "--json", "--policy", "learned",
        "--student", summary.gguf, "--teacher-gguf", teacher, "--gpu", "cpu", "--threads", "1",
        "--temperature", "1", "--seed", String(seed), "--max-tokens", "64", "--max-span", "16", "--context-size", "512",
      ], { env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 1 << 22 });
      const out = JSON.parse(stdout) as AskJson;
      outcomes.push(`seed ${seed}: ${out.stats.calls} call(s), spans ${out.spans.map((s) => s.kind).join(",")}`);
      const taught = out.spans.filter((s) => s.kind === "teacher" && s.tokens > 0);
      if (out.stats.calls > 0 && taught.length > 0) {
        assert.ok(out.stats.teacherTokens > 0);
        assert.ok(!out.text.includes("<call>"), "the user never sees a command tag");
        return;
      }
    }
    assert.fail(`no relayed call in ${SAMPLES} samples:\n${outcomes.join("\n")}`);
  });
});
