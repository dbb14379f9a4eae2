/**
 * A model file's chat template is code from the internet. Generated GGUFs carry hostile
 * templates, and the real node-llama-cpp loads them — as the student and as a local teacher —
 * in a child process (test/fixtures/templateLoad.ts), so a template that takes a process down
 * takes down only that one. Before the sandbox: `range(999999999)` crashed the process (V8 out
 * of memory, 2.5 GB), nested loops hung it past 60 s. Now each load fails in seconds with a clear
 * error naming the model, the process alive and its heap small; a template that turns hostile
 * only on some input fails that prompt, not the process; and a real template still loads.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { STUDENT_SPEC, TEACHER_SPEC } from "../../src/demo/scriptedPair.js";
import { writeScriptedModel, type ScriptedModelSpec } from "../../src/gguf/scripted.js";
import { ensureModel, fixtureName } from "../fixtures/gguf/cache.js";
import { THINKING_STUDENT } from "../fixtures/thinking.js";

interface Outcome {
  exit: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stderr: string;
  result?: { loaded: boolean; chatTemplate?: string; error?: { code: string; message: string }; prompts: Array<{ ok: boolean; error?: { code: string; message: string } }>; heapMb?: number };
}

/** Loads `model` as `role` in a child (heap capped at 768 MB, killed after 90 s) and renders a prompt per question. */
function loadInChild(role: "student" | "teacher", model: string, questions: string[] = []): Promise<Outcome> {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", "--max-old-space-size=768", "test/fixtures/templateLoad.ts", role, model, ...questions], { env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("close", (exit, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").at(-1);
      let result: Outcome["result"];
      try {
        result = line ? (JSON.parse(line) as Outcome["result"]) : undefined;
      } catch {
        result = undefined;
      }
      done({ exit, signal, ms: Date.now() - started, stderr, result });
    });
  });
}

async function modelWith(role: "student" | "teacher", label: string, chatTemplate: string): Promise<string> {
  const base = role === "student" ? STUDENT_SPEC : TEACHER_SPEC;
  const spec: ScriptedModelSpec = { ...base, name: `relay-template-${label}-${role}`, chatTemplate };
  return ensureModel(fixtureName(`template-${label}-${role}`, spec), (p) => writeScriptedModel(p, spec));
}

const HOSTILE: Array<[label: string, template: string, reason: RegExp]> = [
  ["range", "{% for m in messages %}{{ m.content }}{% endfor %}{% for i in range(999999999) %}x{% endfor %}", /asked range\(\) for 999999999 numbers/],
  ["nested-loops", "{% for m in messages %}{{ m.content }}{% endfor %}{% for a in range(100000) %}{% for b in range(100000) %}{{ '' }}{% endfor %}{% endfor %}", /ran more than 250000 steps/],
  ["doubling", "{% set ns = namespace(s=messages|string) %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}", /made a text of \d+ characters/],
];

for (const role of ["student", "teacher"] as const) {
  describe(`a hostile chat template, loaded as the ${role}`, () => {
    for (const [label, template, reason] of HOSTILE) {
      test(`${label}: the load fails in seconds naming the model and the limit; the process lives on`, { timeout: 120_000 }, async () => {
        const model = await modelWith(role, label, template);
        const out = await loadInChild(role, model);
        assert.equal(out.signal, null, `killed (${out.signal}) after ${out.ms} ms: ${out.stderr.slice(-400)}`);
        assert.equal(out.exit, 0, `exit ${out.exit} after ${out.ms} ms: ${out.stderr.slice(-400)}`);
        assert.ok(out.result, out.stderr.slice(-400));
        assert.equal(out.result.loaded, false);
        assert.equal(out.result.error?.code, "model-load-failed");
        assert.ok(out.result.error?.message.includes(model), out.result.error?.message);
        assert.match(out.result.error!.message, /^Refused the chat template of .*: it /);
        assert.match(out.result.error!.message, reason);
        assert.ok(out.ms < 60_000, `${out.ms} ms`);
        assert.ok((out.result.heapMb ?? 0) < 200, `${out.result.heapMb} MB of heap`);
      });
    }
  });
}

describe("a template hostile only on some input", () => {
  // Ordinary for the short conversations node-llama-cpp checks it with (so it loads), then, past
  // 40 messages, a loop. (node-llama-cpp renders placeholders for the texts, so a template sees
  // how many messages there are, not what they say.)
  const template = "{% if messages|length > 40 %}{% for i in range(999999999) %}{% endfor %}{% endif %}{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";

  for (const role of ["student", "teacher"] as const) {
    test(`as the ${role}: that prompt fails naming the model, the ones before it worked, the process lives on`, { timeout: 120_000 }, async () => {
      const model = await modelWith(role, "input-dependent", template);
      const out = await loadInChild(role, model, ["What is 2+3?", "@5", "@25", "What is 2+3?"]);
      assert.equal(out.exit, 0, `exit ${out.exit} (${out.signal}) after ${out.ms} ms: ${out.stderr.slice(-400)}`);
      assert.equal(out.result?.loaded, true, JSON.stringify(out.result));
      const [first, short, long, after] = out.result.prompts;
      assert.deepEqual([first, short], [{ ok: true }, { ok: true }]);
      assert.equal(long.ok, false);
      assert.equal(long.error?.code, "model-load-failed");
      assert.match(long.error!.message, /^Refused the chat template of .*\.gguf: it asked range\(\) for 999999999 numbers/);
      // Stopped once, it stays stopped: the template is not trusted again in this process.
      assert.equal(after.ok, false);
      assert.match(after.error!.message, /Refused the chat template/);
      assert.ok(out.ms < 60_000, `${out.ms} ms`);
    });
  }
});

test("relay ask (the built CLI) with a looping template: exit 1 with the reason, nothing else printed", { timeout: 120_000 }, async () => {
  const model = await modelWith("student", "nested-loops", HOSTILE[1][1]);
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ["dist/cli.js", "ask", "What is 2+3?", "--student", model, "--gpu", "cpu"], { env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
  assert.equal(out.code, 1, out.stderr);
  assert.equal(out.stdout, "");
  assert.equal(out.stderr, `relay: Refused the chat template of ${model}: it ran more than 250000 steps. A model file's chat template is code, run with limits (time, steps, size, memory); use another model file. (model-load-failed)\n`);
});

test("a real template (Qwen3's) still resolves to its own format, as the student and as the teacher", { timeout: 120_000 }, async () => {
  const model = await ensureModel(fixtureName("thinking-student", THINKING_STUDENT), (p) => writeScriptedModel(p, THINKING_STUDENT));
  for (const role of ["student", "teacher"] as const) {
    const out = await loadInChild(role, model, ["What is 2+3?", "@30"]);
    assert.equal(out.exit, 0, out.stderr.slice(-400));
    assert.deepEqual(out.result?.prompts, [{ ok: true }, { ok: true }], JSON.stringify(out.result));
    assert.equal(out.result?.chatTemplate, "Qwen", "the template was rendered (in the sandbox) and matched node-llama-cpp's Qwen format");
  }
});
