/**
 * Teacher faults × request styles against a real HTTP server on 127.0.0.1: every request ends
 * within its deadline (or sooner, on a stall), whatever the server does; a redirect to another
 * origin is never followed with the prompt; the request log names the URL really used.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { RelayError } from "../../src/core/errors.js";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { MemoryStudent } from "../helpers/memoryModels.js";
import { MemoryTeacherLog } from "../../src/core/teacherLog.js";
import { OpenAITeacher, TEACHER_API_STYLES } from "../../src/teacher/openaiTeacher.js";
import { startOpenAIServer, type Fault, type OpenAITestServer } from "../fixtures/openaiServer.js";

const DEADLINE_MS = 1500;
const IDLE_MS = 400;
/** Timers and the loopback: what a finished-in-time request may take beyond its deadline. */
const SLACK_MS = 700;
/** On a build without deadlines a request hangs: stop waiting here and count it as a failure. */
const HARD_CAP_MS = DEADLINE_MS + 5000;

const echo = async () => ({ text: " 51.", finish: "length" as const, promptTokens: 10, completionTokens: 4 });
const request = { task: { user: "What is 17 * 3?" }, promptText: "Q: What is 17 * 3?\nA:", answer: " 17 * 3 =", maxTokens: 4 };

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

describe("teacher faults × request styles", () => {
  let server: OpenAITestServer;
  let elsewhere: OpenAITestServer;
  let refusedUrl: string;
  before(async () => {
    server = await startOpenAIServer(echo);
    elsewhere = await startOpenAIServer(echo);
    refusedUrl = `http://127.0.0.1:${await closedPort()}/v1`;
  });
  after(async () => {
    await server?.close();
    await elsewhere?.close();
  });

  const kinds: Array<{ name: string; fault?: Fault; url?: () => string; expect: RegExp; resolves?: "stream" }> = [
    { name: "no headers (server hangs)", fault: { kind: "timeout" }, expect: /teacher-timeout/ },
    { name: "body stalls after the headers", fault: { kind: "stall-body" }, expect: /teacher-timeout/ },
    { name: "data forever", fault: { kind: "forever" }, expect: /teacher-timeout/, resolves: "stream" },
    { name: "SSE comments only, forever", fault: { kind: "comments" }, expect: /teacher-timeout/ },
    { name: "empty events forever", fault: { kind: "empty-events" }, expect: /teacher-timeout/ },
    { name: "HTTP 500 on every try", fault: { kind: "status", status: 500 }, expect: /teacher-server-error/ },
    { name: "HTTP 503 with retry-after 30 s", fault: { kind: "status", status: 503, retryAfterSeconds: 30 }, expect: /teacher-timeout|teacher-server-error/ },
    { name: "307 to another origin", fault: { kind: "redirect", status: 307, location: "" }, expect: /teacher-redirect/ },
    { name: "308 to another origin", fault: { kind: "redirect", status: 308, location: "" }, expect: /teacher-redirect/ },
    { name: "connection refused", url: () => refusedUrl, expect: /teacher-unreachable/ },
  ];

  test(`${kinds.length} fault kinds × ${TEACHER_API_STYLES.length * 2} request styles: every request finishes within its deadline`, { timeout: 300_000 }, async () => {
    const late: string[] = [];
    const wrong: string[] = [];
    let cases = 0;
    for (const kind of kinds) {
      const fault = kind.fault?.kind === "redirect" ? { ...kind.fault, location: `${elsewhere.url}/completions` } : kind.fault;
      server.defaultFault = fault;
      const from = elsewhere.requests.length;
      await Promise.all(
        TEACHER_API_STYLES.flatMap((style) =>
          [false, true].map(async (stream) => {
            cases++;
            const label = `${kind.name} / ${style}${stream ? " streamed" : ""}`;
            const log = new MemoryTeacherLog();
            const teacher = new OpenAITeacher({ baseURL: kind.url?.() ?? server.url, model: "m", style, stream, timeoutMs: DEADLINE_MS, idleTimeoutMs: IDLE_MS, maxRetries: 2, log });
            const started = Date.now();
            let cap: ReturnType<typeof setTimeout> | undefined;
            const outcome = await Promise.race([
              teacher.generate(request).then((r) => ({ ok: r }), (e: unknown) => ({ error: e })),
              new Promise<{ hung: true }>((resolve) => (cap = setTimeout(() => resolve({ hung: true }), HARD_CAP_MS))),
            ]);
            clearTimeout(cap);
            const elapsed = Date.now() - started;
            if ("hung" in outcome || elapsed > DEADLINE_MS + SLACK_MS) late.push(`${label}: ${"hung" in outcome ? "never finished" : `${elapsed} ms`}`);
            else if ("ok" in outcome) {
              if (!(kind.resolves === "stream" && stream)) wrong.push(`${label}: resolved`);
            } else {
              const e = outcome.error;
              const text = e instanceof RelayError ? `${e.code}: ${e.message}` : String(e);
              if (!kind.expect.test(text)) wrong.push(`${label}: ${text}`);
              if (!log.entries.at(-1)?.error) wrong.push(`${label}: the failure is not in the request log`);
            }
          }),
        ),
      );
      if (kind.fault?.kind === "redirect" && elsewhere.requests.length > from) wrong.push(`${kind.name}: the prompt was re-sent to the other origin ${elsewhere.requests.length - from} time(s)`);
    }
    server.defaultFault = undefined;
    process.stdout.write(`# faults: ${kinds.length} kinds × ${TEACHER_API_STYLES.length * 2} styles = ${cases} requests, ${cases - late.length} within the ${DEADLINE_MS} ms deadline\n${[...late, ...wrong].map((l) => `#   ${l}`).join("\n")}\n`);
    assert.deepEqual(late, [], "requests past their deadline");
    assert.deepEqual(wrong, []);
  });

  test("a redirect to another origin is logged and fails the call; a same-origin 307 is followed and logged with the URL really used", async () => {
    const log = new MemoryTeacherLog();
    const teacher = new OpenAITeacher({ baseURL: server.url, model: "m", timeoutMs: DEADLINE_MS, maxRetries: 0, log });
    server.faults.push({ kind: "redirect", status: 307, location: `${elsewhere.url}/completions` });
    await assert.rejects(teacher.generate(request), (e: unknown) => e instanceof RelayError && e.code === "teacher-redirect" && e.message.includes(elsewhere.url));
    const refused = log.entries.at(-1)!;
    assert.deepEqual(refused.redirects, [{ status: 307, from: `${server.url}/completions`, to: `${elsewhere.url}/completions`, followed: false }]);
    server.faults.push({ kind: "redirect", status: 307, location: "/v1/completions?moved=1" });
    const reply = await teacher.generate(request);
    assert.equal(reply.text, " 51.");
    const followed = log.entries.at(-1)!;
    assert.equal(followed.url, `${server.url}/completions?moved=1`);
    assert.equal(followed.redirects?.[0].followed, true);
  });

  test("more than 10 calls in one answer on one signal: no MaxListenersExceededWarning; teacher-only honours the call limit", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      const from = server.requests.length;
      const controller = new AbortController();
      const teacher = new OpenAITeacher({ baseURL: server.url, model: "m", timeoutMs: 5000, maxRetries: 0 });
      const result = await runRelay({ task: request.task, student: new MemoryStudent([]), teacher, policy: createPolicy("teacher-only"), limits: { maxCallsPerAnswer: 15, maxSpanTokens: 4, maxTokens: 10_000 }, signal: controller.signal });
      assert.equal(server.requests.length - from, 15);
      assert.equal(result.stats.calls, 15);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", onWarning);
    }
    assert.deepEqual(warnings.filter((w) => /MaxListeners/.test(w)), []);
  });
});
