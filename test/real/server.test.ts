/**
 * A real OpenAI-compatible teacher server: llama-cpp-python's (`python -m llama_cpp.server`, the
 * `server` requirements set) serving Qwen2.5-Coder-0.5B-Instruct on 127.0.0.1, started and
 * stopped by pid. The Gemma file carries no chat template (the server falls back to a llama-2
 * format and answers chat requests with nothing), so the server gets the Qwen model, which does.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BudgetLedger } from "../../src/core/budget.js";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { mathPrompt } from "../../src/core/prompts.js";
import type { TeacherLogEntry } from "../../src/core/teacherLog.js";
import { freePort, startLlamaServer, type LlamaServer } from "../../src/bench/llamaServer.js";
import { FileLedgerStore } from "../../src/io/fileLedgerStore.js";
import { promptRenderer } from "../../src/llama/chatFormat.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { OpenAITeacher, type TeacherApiStyle } from "../../src/teacher/openaiTeacher.js";
import { REAL_THREADS, REPO_ROOT, SPECIAL_TEXT, realModels } from "../fixtures/real.js";

type Message = { role: string; content: string };

const task = mathPrompt("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?");
/** Calls early and often (two short spans in a short answer): enough consecutive requests to compare. */
const policy = () => createPolicy("confidence", { threshold: 0.9, cooldownTokens: 4, spanTokens: 4 });

describe("a real teacher server: llama-cpp-python serving Qwen2.5-Coder-0.5B", () => {
  let server: LlamaServer;
  let student: LlamaStudent;
  let dir: string;
  before(async () => {
    const models = await realModels();
    dir = await mkdtemp(join(tmpdir(), "relay-real-server-"));
    server = await startLlamaServer({ repoRoot: REPO_ROOT, model: models.qwenCoder, alias: "qwen2.5-coder-0.5b", contextSize: 2048, threads: REAL_THREADS });
    student = await LlamaStudent.load({ model: models.smollm2, gpu: "cpu", threads: REAL_THREADS, contextSize: 1024, sequences: 1 });
  });
  after(async () => {
    await student?.dispose();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const style of ["completions", "chat"] as const satisfies readonly TeacherApiStyle[]) {
    test(`${style}: spliced, consecutive requests share a byte-identical prefix, the budget is charged the server's usage`, async () => {
      const log: TeacherLogEntry[] = [];
      const teacher = new OpenAITeacher({
        baseURL: server.url,
        model: server.alias,
        style,
        temperature: 0,
        maxRetries: 0,
        log: { record: (e) => log.push(e) },
        // The server's model is a Qwen: its own format for raw completions (the student's is ChatML too, but SmolLM2's).
        renderPrompt: style === "completions" ? await promptRenderer("qwen") : undefined,
      });
      const budget = await BudgetLedger.open(new FileLedgerStore(join(dir, `${style}.jsonl`)), { limit: 100_000, period: "total" });
      const hitsBefore = server.prefixHits().length;
      const result = await runRelay({ task, student, teacher, budget, policy: policy(), limits: { maxTokens: 32, maxCallsPerAnswer: 2 } });
      await result.released;
      await budget.flush();

      const spans = result.spans.filter((s) => s.kind === "teacher");
      assert.equal(result.stats.failedCalls, 0, JSON.stringify(result.spans.filter((s) => s.kind === "failed-call")));
      assert.ok(spans.length >= 2, `at least two calls to compare (got ${spans.length})`);
      assert.equal(log.length, spans.length);
      for (const span of spans) assert.ok(span.text.length > 0 && result.text.includes(span.text));
      assert.doesNotMatch(result.text, SPECIAL_TEXT);

      // Each request starts with the previous one's bytes (provider prefix caches hit).
      const bodies = log.map((e) => e.request as { prompt?: string; messages?: Message[] });
      for (let i = 1; i < bodies.length; i++) {
        if (style === "completions") {
          assert.ok(bodies[i].prompt!.startsWith(bodies[i - 1].prompt!), `request ${i} extends request ${i - 1}`);
          assert.ok(bodies[0].prompt!.startsWith("<|im_start|>user\n"), "rendered in Qwen's format");
        } else {
          const [prev, next] = [bodies[i - 1].messages!, bodies[i].messages!];
          assert.equal(next.length, prev.length);
          assert.deepEqual(next.slice(0, -1), prev.slice(0, -1));
          assert.ok(next[next.length - 1].content.startsWith(prev[prev.length - 1].content), `request ${i}'s last message extends request ${i - 1}'s`);
        }
      }
      // llama-cpp-python reused the shared prefix from its cache (it says so only in its log).
      const hits = server.prefixHits().slice(hitsBefore);
      assert.ok(hits.length >= spans.length - 1, `prefix-match hits: ${hits}`);
      for (let i = 1; i < spans.length; i++) assert.ok(hits[hits.length - spans.length + i] >= Math.floor(spans[i - 1].usage!.promptTokens * 0.9), `hit ${hits} vs prompt ${spans[i - 1].usage!.promptTokens}`);

      // The stats show exactly the server's usage numbers; the budget charges them, or more where
      // our own count of what was sent is higher (never below what was sent: Qwen's tokenizer
      // counts fewer tokens than SmolLM2's for the same text).
      let claimed = 0;
      log.forEach((entry, i) => {
        assert.ok(entry.usage, "the server reported usage");
        const { charged, ...reported } = spans[i].usage!;
        assert.deepEqual(reported, { ...entry.usage, estimated: false });
        // The span also says what the budget charged for it: at least the server's claim.
        assert.ok(charged !== undefined && charged >= entry.usage!.promptTokens + entry.usage!.completionTokens, `span ${i} charged ${charged}`);
        claimed += entry.usage!.promptTokens + entry.usage!.completionTokens;
      });
      assert.equal(result.stats.teacherPromptTokens + result.stats.teacherCompletionTokens, claimed);
      const settled = budget.usage().settled;
      assert.ok(settled >= claimed && settled <= claimed * 2, `charged ${settled} for ${claimed} claimed`);
    });
  }

  test("chat-prefill: this server does not continue a final assistant message (it closes it and opens a new turn)", async () => {
    const teacher = new OpenAITeacher({ baseURL: server.url, model: server.alias, style: "chat-prefill", temperature: 0, maxRetries: 0 });
    const question = { user: "What is the capital of France?" };
    const partial = "The capital of France is";
    const reply = await teacher.generate({ task: question, promptText: "", answer: partial, maxTokens: 4 });
    // The prompt it evaluated is the partial answer as a closed turn plus a fresh assistant header…
    const closed = `<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n${question.user}<|im_end|>\n<|im_start|>assistant\n${partial}<|im_end|>\n<|im_start|>assistant\n`;
    const counted = (await (await fetch(server.url.replace(/\/v1$/, "/extras/tokenize/count"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: closed }) })).json()) as { count: number };
    assert.equal(reply.usage?.promptTokens, counted.count);
    // …so it answers anew instead of going on from "is": use `completions` or `chat` with it.
    assert.match(reply.text, /^The capital/);
  });

  test("a teacher server that is not up: a clear error, and the answer still completes", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/v1`;
    const log: TeacherLogEntry[] = [];
    const teacher = new OpenAITeacher({ baseURL: url, model: "none", maxRetries: 0, timeoutMs: 5000, log: { record: (e) => log.push(e) } });
    const budget = await BudgetLedger.open(new FileLedgerStore(join(dir, "down.jsonl")), { limit: 100_000, period: "total" });
    const result = await runRelay({ task, student, teacher, budget, policy: policy(), limits: { maxTokens: 16, maxCallsPerAnswer: 1 } });
    await result.released;
    await budget.flush();
    const failed = result.spans.filter((s) => s.kind === "failed-call");
    assert.equal(failed.length, 1);
    assert.match(failed[0].error ?? "", /Teacher request failed: .*(Connection error|ECONNREFUSED|fetch failed)/i);
    assert.equal(log[0].url, `${url}/completions`); // the URL the request really went to
    // The student went on alone: an answer, and no budget held for the failed call.
    assert.ok(result.text.trim().length > 0);
    assert.ok(["eos", "max-tokens"].includes(result.stats.stopReason), result.stats.stopReason);
    assert.equal(result.stats.teacherTokens, 0);
    assert.equal(budget.usage().used, 0);
  });
});
