/**
 * A failed teacher call is still paid for when the server took it: a stream that sent text and
 * then stalled or dropped, a corrupt gzip body, a 200 reply that is not JSON, a server that
 * never answered within the deadline. Each is charged at least what was sent (the prompt) and
 * what was received (the text before the failure), so a faulty server cannot be used to spend
 * without counting; a request the server refused (no connection, 4xx, 429, 5xx, a redirect to
 * another origin) is released. Through the real OpenAI client against a real HTTP server on
 * 127.0.0.1, into a real ledger file.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as netServer } from "node:net";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BudgetLedger, replayLedger } from "../../src/core/budget.js";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { FileLedgerStore } from "../../src/io/fileLedgerStore.js";
import { OpenAITeacher } from "../../src/teacher/openaiTeacher.js";
import { MemoryStudent, pieces } from "../helpers/memoryModels.js";

const task = { user: "What is 17 * 23?" };
/** What a stream sends before it fails: 8 tokens for the memory student (one per character). */
const SENT_TEXT = " 17 * 23";

type Mode = "stall-after-text" | "drop-after-text" | "gzip" | "gzip-stream" | "not-json" | "html" | "hang" | "status-500" | "status-400" | "status-429" | "redirect";

let mode: Mode = "not-json";
let server: Server;
let other: Server;
let base = "";
let otherBase = "";
/** The prompt of each request the server received. */
const prompts: string[] = [];

const chunk = (text: string) => `data: ${JSON.stringify({ id: "x", object: "text_completion", created: 0, model: "m", choices: [{ index: 0, text, finish_reason: null }] })}\n\n`;

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      prompts.push(String((JSON.parse(body) as { prompt?: string }).prompt ?? ""));
      switch (mode) {
        case "stall-after-text":
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.write(chunk(SENT_TEXT));
          return; // then nothing: the idle timeout ends it
        case "drop-after-text":
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.write(chunk(SENT_TEXT));
          setTimeout(() => res.socket?.destroy(), 30);
          return;
        case "gzip":
        case "gzip-stream":
          res.writeHead(200, { "content-type": mode === "gzip" ? "application/json" : "text/event-stream", "content-encoding": "gzip" });
          res.end(Buffer.from("this is not a gzip stream at all"));
          return;
        case "not-json":
          res.writeHead(200, { "content-type": "application/json" });
          res.end('{"id": "cmpl-1", "choices": [ {"text": "unterminated');
          return;
        case "html":
          res.writeHead(200, { "content-type": "application/json" });
          res.end("<html><body>502 Bad Gateway</body></html>");
          return;
        case "hang":
          return; // no headers, ever
        case "redirect":
          res.writeHead(307, { location: `${otherBase}/completions` });
          res.end();
          return;
        default: {
          const status = Number(mode.slice("status-".length));
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: `injected ${status}` } }));
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  other = createServer((_req, res) => res.end("{}"));
  await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
  otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}/v1`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => other.close(() => r()));
});

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = netServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "relay-failed-call-"));
let n = 0;

/** One answer whose single teacher call meets `m`; what the ledger charged and what was sent. */
async function answerWith(m: Mode, options: { stream?: boolean; url?: string } = {}) {
  mode = m;
  prompts.length = 0;
  const path = join(dir, `ledger-${++n}.jsonl`);
  const ledger = await BudgetLedger.open(new FileLedgerStore(path), { limit: 100_000, period: "total", promptMargin: 1 });
  const teacher = new OpenAITeacher({ baseURL: options.url ?? base, model: "m", style: "completions", stream: options.stream ?? false, maxRetries: 0, timeoutMs: 1500, idleTimeoutMs: 300 });
  const student = new MemoryStudent([pieces("The", " product", "<call>", "16</call>", " is 391.")]);
  const result = await runRelay({ task, student, teacher, policy: createPolicy("learned"), budget: ledger });
  await ledger.flush();
  const replay = replayLedger(readFileSync(path, "utf8").split("\n"), "total");
  const failed = result.spans.find((s) => s.kind === "failed-call");
  assert.ok(failed, `${m}: the call did not fail: ${JSON.stringify(result.spans.map((s) => s.kind))}`);
  assert.equal(result.text, "The product is 391.", `${m}: the student did not carry on: ${JSON.stringify(result.text)}`);
  assert.equal(replay.reserved, 0, `${m}: a reservation is left open`);
  // What was sent, by the student's count (one token per character): the prompt the server got.
  const sent = prompts.length ? [...prompts[0]].length : 0;
  return { charged: replay.settled, calls: replay.calls, sent, failed, stats: result.stats };
}

const TAKEN: Array<{ mode: Mode; stream?: boolean; received: number; what: string }> = [
  { mode: "stall-after-text", stream: true, received: SENT_TEXT.length, what: "a stream that sent text, then stalled" },
  { mode: "drop-after-text", stream: true, received: SENT_TEXT.length, what: "a stream that sent text, then dropped the connection" },
  { mode: "gzip", received: 0, what: "a corrupt gzip body" },
  { mode: "gzip-stream", stream: true, received: 0, what: "a corrupt gzip stream" },
  { mode: "not-json", received: 0, what: "a 200 reply that is not JSON (cut off)" },
  { mode: "html", received: 0, what: "a 200 reply that is an HTML page" },
  { mode: "hang", received: 0, what: "no reply within the deadline" },
];

for (const c of TAKEN) {
  test(`${c.what}: charged what was sent and received, not 0`, async () => {
    const { charged, calls, sent, failed, stats } = await answerWith(c.mode, { stream: c.stream });
    assert.ok(sent > 0, "the server never got the request");
    assert.equal(calls, 1, `${c.mode}: the call was not charged (released)`);
    assert.ok(charged >= sent + c.received, `${c.mode}: charged ${charged} < sent ${sent} + received ${c.received}`);
    // Never more than the reservation allows: the prompt and the 16 tokens granted.
    assert.ok(charged <= sent + 8 + 16, `${c.mode}: charged ${charged}, more than reserved`);
    // The answer's stats (and cost) count it too.
    assert.equal((failed.usage?.promptTokens ?? 0) + (failed.usage?.completionTokens ?? 0), charged, `${c.mode}: the span does not carry the charge`);
    assert.equal(stats.teacherPromptTokens + stats.teacherCompletionTokens, charged);
  });
}

test("a request the server refused is released: connection refused, 400, 429, 500, a redirect to another origin", async () => {
  const refused = `http://127.0.0.1:${await closedPort()}/v1`;
  const cases: Array<[Mode, string | undefined]> = [
    ["status-400", undefined],
    ["status-429", undefined],
    ["status-500", undefined],
    ["redirect", undefined],
    ["not-json", refused],
  ];
  for (const [m, url] of cases) {
    const { charged, calls } = await answerWith(m, { url });
    assert.deepEqual([charged, calls], [0, 0], `${url ? "connection refused" : m}: charged ${charged}`);
  }
});
