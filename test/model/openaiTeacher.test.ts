/**
 * The relay through the official `openai` client against a real HTTP server on 127.0.0.1
 * that speaks the OpenAI wire format and answers from the scripted GGUF teacher.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { BudgetLedger } from "../../src/core/budget.js";
import { MemoryTeacherLog } from "../../src/core/teacherLog.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { OpenAITeacher, TEACHER_API_STYLES, type TeacherApiStyle } from "../../src/teacher/openaiTeacher.js";
import { DEMO_QUESTION, EXPECTED_RELAY_TEXT } from "../../src/demo/scriptedPair.js";
import { scriptedPairPaths } from "../fixtures/pair.js";
import { startOpenAIServer, teacherBackend, type OpenAITestServer } from "../fixtures/openaiServer.js";
import { MemoryLedgerStore } from "../helpers/memoryLedgerStore.js";

const task = { user: DEMO_QUESTION };
const FIRST_CALL_PREFIX = "We need 17 * 23. Split it: 17 * 20 = 340, and 17 * 3 =";

describe("OpenAI-compatible teacher against a real server", () => {
  let student: LlamaStudent;
  let local: LocalTeacher;
  let server: OpenAITestServer;

  before(async () => {
    const paths = await scriptedPairPaths();
    student = await LlamaStudent.load({ model: paths.student, gpu: "cpu", contextSize: 512, sequences: 2 });
    local = await LocalTeacher.load({ model: paths.teacher, gpu: "cpu", contextSize: 1024 });
    server = await startOpenAIServer(teacherBackend(local), { model: "scripted-teacher" });
  });
  after(async () => {
    await server?.close();
    await local?.dispose();
    await student?.dispose();
  });

  const teacherFor = (style: TeacherApiStyle, extra: Partial<ConstructorParameters<typeof OpenAITeacher>[0]> = {}) =>
    new OpenAITeacher({ baseURL: server.url, model: "scripted-teacher", style, temperature: 0, maxRetries: 0, timeoutMs: 10_000, ...extra });

  for (const style of TEACHER_API_STYLES) {
    for (const stream of [false, true]) {
      test(`relay end to end, ${style}${stream ? ", streaming" : ""}: exact text, usage, byte-identical prefixes`, async () => {
        const from = server.requests.length;
        const log = new MemoryTeacherLog();
        const result = await runRelay({ task, student, teacher: teacherFor(style, { stream, log }), policy: createPolicy("learned") });
        assert.equal(result.text, EXPECTED_RELAY_TEXT);
        assert.deepEqual(result.spans.map((s) => s.kind), ["student", "teacher", "student", "teacher", "student"]);
        const requests = server.requests.slice(from);
        assert.equal(requests.length, 2);
        assert.equal(requests[0].path, style === "completions" ? "/v1/completions" : "/v1/chat/completions");
        assert.deepEqual(requests.map((r) => r.body.max_tokens), [4, 4]);
        // Consecutive requests of one answer share a byte-identical prefix.
        if (style === "completions") {
          const [a, b] = requests.map((r) => String(r.body.prompt));
          assert.ok(b.startsWith(a) && a.endsWith(FIRST_CALL_PREFIX));
          assert.ok(!a.includes("<call") && !b.includes("<call"));
        } else {
          const [a, b] = requests.map((r) => r.body.messages as Array<{ role: string; content: string }>);
          assert.equal(a.length, b.length);
          assert.deepEqual(a.slice(0, -1), b.slice(0, -1));
          assert.ok(b[b.length - 1].content.startsWith(a[a.length - 1].content));
          assert.ok(a[a.length - 1].content.endsWith(FIRST_CALL_PREFIX));
          if (style === "chat-prefill") {
            assert.equal(a[a.length - 1].role, "assistant");
            assert.equal(requests[0].body.continue_final_message, true);
          } else {
            assert.equal(a[0].role, "system");
          }
        }
        // Provider usage is recorded; the second request hit the server's prefix cache.
        const usage = result.spans.filter((s) => s.kind === "teacher").map((s) => s.usage!);
        assert.ok(usage.every((u) => !u.estimated && u.completionTokens === 4));
        assert.ok((usage[1].cachedPromptTokens ?? 0) > 0);
        assert.equal(result.stats.teacherPromptTokens, usage[0].promptTokens + usage[1].promptTokens);
        // The request log holds exactly what was sent and what came back.
        assert.equal(log.entries.length, 2);
        assert.deepEqual(log.entries[0].request, requests[0].body);
        assert.ok(log.entries[0].reply?.startsWith(" 51."));
      });
    }
  }

  test("no usage from the provider: estimated with the student's tokenizer", async () => {
    server.faults.push({ kind: "no-usage" });
    const result = await runRelay({ task, student, teacher: teacherFor("completions"), policy: createPolicy("learned") });
    const first = result.spans.find((s) => s.kind === "teacher")!;
    assert.equal(first.usage?.estimated, true);
    assert.equal(first.usage?.completionTokens, 4);
    assert.equal(first.usage?.promptTokens, student.countTokens(student.renderPrompt(task) + FIRST_CALL_PREFIX));
  });

  /** Runs one relay whose first teacher call meets `setup`'s fault, with a budget and a log. */
  async function faultRun(setup: () => void, teacher: OpenAITeacher | undefined = undefined, log = new MemoryTeacherLog()) {
    const ledger = await BudgetLedger.open(new MemoryLedgerStore(), { limit: 100_000, period: "total" });
    setup();
    const started = Date.now();
    const result = await runRelay({ task, student, teacher: teacher ?? teacherFor("completions", { log }), policy: createPolicy("learned"), budget: ledger, limits: { maxTokens: 40 } });
    await ledger.flush();
    assert.equal(ledger.usage().reserved, 0, "a reservation leaked");
    assert.ok(["eos", "max-tokens"].includes(result.stats.stopReason), result.stats.stopReason);
    assert.ok(result.text.startsWith(FIRST_CALL_PREFIX));
    return { result, ledger, log, elapsed: Date.now() - started };
  }

  test("fault: timeout → failed call, the answer completes, nothing reserved, what was sent charged", async () => {
    const log = new MemoryTeacherLog();
    const { result, ledger } = await faultRun(() => server.faults.push({ kind: "timeout" }), teacherFor("completions", { timeoutMs: 300, log }), log);
    assert.equal(result.spans[1].kind, "failed-call");
    assert.match(result.spans[1].error ?? "", /time/i);
    assert.match(log.entries[0].error ?? "", /time/i);
    // The server may have prefilled the prompt before the deadline: what was sent is charged.
    assert.ok((result.spans[1].usage?.promptTokens ?? 0) > 0, "the timed-out call was charged nothing");
    assert.equal(ledger.usage().calls, result.stats.calls);
    assert.equal(ledger.usage().settled, result.stats.teacherPromptTokens + result.stats.teacherCompletionTokens);
  });

  test("fault: 429 with retry-after → the SDK waits and retries, the span arrives", async () => {
    const from = server.requests.length;
    const { result, elapsed } = await faultRun(() => server.faults.push({ kind: "status", status: 429, retryAfterSeconds: 1 }), teacherFor("completions", { maxRetries: 2 }));
    assert.equal(result.spans[1].kind, "teacher");
    assert.equal(result.spans[1].text, " 51.");
    assert.ok(server.requests.length - from >= 3);
    assert.ok(elapsed >= 1000, `retry-after not respected: ${elapsed} ms`);
  });

  test("fault: persistent 500 → failed call after the retries, logged", async () => {
    const log = new MemoryTeacherLog();
    const { result, ledger } = await faultRun(() => server.faults.push(...Array.from({ length: 3 }, () => ({ kind: "status" as const, status: 500 }))), teacherFor("completions", { maxRetries: 2, log }), log);
    assert.equal(result.spans[1].kind, "failed-call");
    assert.match(result.spans[1].error ?? "", /500/);
    assert.match(log.entries[0].error ?? "", /500/);
    assert.equal(ledger.usage().calls, result.stats.calls - result.stats.failedCalls);
  });

  test("fault: connection refused → failed call", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const refused = new OpenAITeacher({ baseURL: `http://127.0.0.1:${port}/v1`, model: "m", maxRetries: 0 });
    const { result } = await faultRun(() => {}, refused);
    assert.equal(result.spans[1].kind, "failed-call");
    assert.match(result.spans[1].error ?? "", /connect|ECONNREFUSED|fetch/i);
  });

  test("fault: malformed JSON → failed call, charged what was sent (the server did the work)", async () => {
    const { result, ledger } = await faultRun(() => server.faults.push({ kind: "bad-json" }));
    assert.equal(result.spans[1].kind, "failed-call");
    assert.ok((result.spans[1].usage?.promptTokens ?? 0) > 0, "the call was charged nothing");
    assert.equal(ledger.usage().calls, result.stats.calls);
  });

  test("fault: empty reply → failed call, the provider's usage still settled", async () => {
    const { result } = await faultRun(() => server.faults.push({ kind: "empty" }));
    assert.equal(result.spans[1].kind, "failed-call");
    assert.match(result.spans[1].error ?? "", /empty/);
  });

  test("fault: over-long reply → clamped to the granted span", async () => {
    const { result } = await faultRun(() => server.faults.push({ kind: "overlong", text: " 51. and a great deal more than four tokens" }));
    assert.equal(result.spans[1].kind, "teacher");
    assert.equal(result.spans[1].text, " 51.");
    assert.equal(result.spans[1].tokens, 4);
  });

  test("cancel mid-request aborts the HTTP request", async () => {
    server.faults.push({ kind: "timeout" });
    const controller = new AbortController();
    const started = Date.now();
    const result = await runRelay({ task, student, teacher: teacherFor("completions"), policy: createPolicy("learned"), signal: controller.signal, onEvent: (e) => e.type === "teacher-start" && setTimeout(() => controller.abort(), 50) });
    assert.equal(result.stats.stopReason, "aborted");
    assert.ok(Date.now() - started < 5000);
    await result.released;
  });
});
