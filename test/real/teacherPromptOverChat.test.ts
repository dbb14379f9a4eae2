/**
 * The teacher's prompt does not grow with the chat (issue "Everyday use with real models, round
 * 2", item 5): a 10-question chat, asked as the chat panel asks it (each question with the
 * earlier exchanges as history), SmolLM2-135M as the student and llama-cpp-python's server
 * serving Qwen2.5-Coder-0.5B as the teacher. Every teacher call's prompt tokens (the server's
 * count) are recorded; each must hold at most `teacherHistoryTokens` of earlier turns beside
 * the question, the answer so far and the template. Writes bench/results/teacher-history.md.
 *
 * RELAY_TEACHER_HISTORY_RUN names the run in the results ("after" by default; "before" was run
 * on the code before the history budget existed).
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startLlamaServer, type LlamaServer } from "../../src/bench/llamaServer.js";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import type { ChatExchange } from "../../src/core/prompts.js";
import type { TeacherLogEntry } from "../../src/core/teacherLog.js";
import { promptRenderer } from "../../src/llama/chatFormat.js";
import { CONTEXT_TURNS } from "../../src/protocol/chatContext.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { OpenAITeacher } from "../../src/teacher/openaiTeacher.js";
import { REAL_THREADS, REPO_ROOT, realModels } from "../fixtures/real.js";

const QUESTIONS = readFileSync(join(REPO_ROOT, "test/fixtures/gsm8k-20.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .slice(0, 10)
  .map((l) => (JSON.parse(l) as { question: string }).question);
const MAX_TOKENS = 64;
/** The product default (src/core/defaults.ts, relay.teacher.historyTokens) as it is set here. */
const HISTORY_TOKENS = 256;
const RUN = process.env.RELAY_TEACHER_HISTORY_RUN ?? "after";
const RESULTS = join(REPO_ROOT, "bench/results/teacher-history.json");

interface Call {
  question: number;
  promptTokens: number;
  completionTokens: number;
  ms: number;
}

describe("a 10-question chat: the teacher's prompt per call", () => {
  let server: LlamaServer;
  let student: LlamaStudent;
  let dir: string;
  before(async () => {
    const models = await realModels();
    dir = await mkdtemp(join(tmpdir(), "relay-teacher-history-"));
    server = await startLlamaServer({ repoRoot: REPO_ROOT, model: models.qwenCoder, alias: "qwen2.5-coder-0.5b", contextSize: 4096, threads: REAL_THREADS });
    student = await LlamaStudent.load({ model: models.smollm2, gpu: "cpu", threads: REAL_THREADS, contextSize: 4096, sequences: 1 });
  });
  after(async () => {
    await student?.dispose();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("each call sends the question, the answer so far and at most the history budget of earlier turns", async () => {
    const log: TeacherLogEntry[] = [];
    const teacher = new OpenAITeacher({ baseURL: server.url, model: server.alias, style: "completions", temperature: 0, maxRetries: 0, timeoutMs: 180_000, log: { record: (e) => log.push(e) }, renderPrompt: await promptRenderer("qwen") });
    const count = async (text: string) =>
      ((await (await fetch(server.url.replace(/\/v1$/, "/extras/tokenize/count"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: text }) })).json()) as { count: number }).count;
    const history: ChatExchange[] = [];
    const calls: Call[] = [];
    const answers: Array<{ ms: number; calls: number }> = [];
    const bounds: number[] = [];
    for (const [i, question] of QUESTIONS.entries()) {
      const from = log.length;
      const started = Date.now();
      const result = await runRelay({
        task: { user: question, ...(history.length ? { history: history.slice(-CONTEXT_TURNS) } : {}) },
        student,
        teacher,
        policy: createPolicy("confidence", { threshold: 0.5, spanTokens: 8, cooldownTokens: 16 }),
        limits: { maxTokens: MAX_TOKENS, maxCallsPerAnswer: 2, teacherHistoryTokens: HISTORY_TOKENS } as never,
      });
      await result.released;
      answers.push({ ms: Date.now() - started, calls: result.stats.calls });
      for (const e of log.slice(from)) {
        assert.ok(e.usage, `the server reported no usage: ${e.error ?? ""}`);
        calls.push({ question: i + 1, promptTokens: e.usage.promptTokens, completionTokens: e.usage.completionTokens, ms: e.durationMs });
      }
      // The most a call needs without earlier turns: the question alone in the template, plus the answer so far (at most the whole answer).
      const alone = await count((await promptRenderer("qwen"))({ user: question }));
      bounds.push(alone + MAX_TOKENS);
      history.push({ user: question, assistant: result.text.trim() });
    }

    const runs = existsSync(RESULTS) ? (JSON.parse(await readFile(RESULTS, "utf8")) as Record<string, unknown>) : {};
    runs[RUN] = { historyTokens: RUN === "before" ? null : HISTORY_TOKENS, calls, answers, at: new Date().toISOString() };
    await writeFile(RESULTS, JSON.stringify(runs, null, 2) + "\n");
    await writeFile(RESULTS.replace(/\.json$/, ".md"), report(runs as Record<string, { calls: Call[]; answers: Array<{ ms: number; calls: number }>; historyTokens: number | null }>));

    assert.ok(calls.length >= 5, `too few teacher calls to measure (${calls.length})`);
    for (const c of calls) {
      // Earlier turns within the budget (counted with the student's tokenizer, which counts more than Qwen's).
      assert.ok(c.promptTokens <= bounds[c.question - 1] + HISTORY_TOKENS, `question ${c.question}: ${c.promptTokens} prompt tokens, more than ${bounds[c.question - 1]} + ${HISTORY_TOKENS} of history`);
    }
  });
});

type Run = { calls: Call[]; answers: Array<{ ms: number; calls: number }>; historyTokens: number | null };

function report(runs: Record<string, Run>): string {
  const names = ["before", "after"].filter((n) => runs[n]);
  const lines = [
    "# The teacher's prompt over a 10-question chat",
    "",
    "`test/real/teacherPromptOverChat.test.ts`: the first 10 GSM8K test questions asked as one chat (each with the earlier exchanges as history, as the chat panel sends them), SmolLM2-135M-Instruct as the student (confidence 0.5, 8-token spans, 64 tokens, 2 calls per answer), llama-cpp-python's server serving Qwen2.5-Coder-0.5B as the teacher (completions, Qwen's template), 1 thread each. Prompt tokens are the server's count per call.",
    "",
    `| question | ${names.map((n) => `${n}: prompt tokens per call | ${n}: answer time`).join(" | ")} |`,
    `|---:|${names.map(() => "---|---:").join("|")}|`,
  ];
  for (let q = 1; q <= 10; q++) {
    const cells = names.map((n) => {
      const r = runs[n];
      const calls = r.calls.filter((c) => c.question === q).map((c) => c.promptTokens);
      return `${calls.length ? calls.join(", ") : "–"} | ${(r.answers[q - 1].ms / 1000).toFixed(1)} s`;
    });
    lines.push(`| ${q} | ${cells.join(" | ")} |`);
  }
  const sum = (r: Run) => r.calls.reduce((s, c) => s + c.promptTokens, 0);
  lines.push(`| all | ${names.map((n) => `${sum(runs[n]).toLocaleString("en-US")} in ${runs[n].calls.length} calls | ${(runs[n].answers.reduce((s, a) => s + a.ms, 0) / 1000).toFixed(1)} s`).join(" | ")} |`);
  lines.push("", names.map((n) => `${n}: ${runs[n].historyTokens === null ? "the whole chat (no history budget)" : `relay.teacher.historyTokens = ${runs[n].historyTokens}`}`).join("; ") + ".");
  return lines.join("\n") + "\n";
}
