/**
 * Teacher prefill warming: a 1-token request with the prompt prefix at the start of an answer,
 * through the real OpenAI client against a real HTTP server on 127.0.0.1. Sent only when asked
 * for, only once the server has reported cached prompt tokens, redacted, counted in the budget,
 * and never without a teacher (off, paused or untrusted: the extension then passes none).
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { BudgetGate, SettleUsage } from "../../src/core/budgetGate.js";
import { TeacherBreaker } from "../../src/core/breaker.js";
import { RelayError } from "../../src/core/errors.js";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { OpenAITeacher } from "../../src/teacher/openaiTeacher.js";
import { MemoryStudent, pieces } from "../helpers/memoryModels.js";

const SECRET = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0";
const task = { user: `Fix the client. My key is ${SECRET}` };

interface Seen {
  max_tokens: number;
  prompt: string;
}
let server: Server;
let base = "";
const seen: Seen[] = [];
/** Whether the server's usage carries prompt_tokens_details.cached_tokens. */
let reportsCached = true;

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const json = JSON.parse(body) as Seen;
      seen.push(json);
      const usage = { prompt_tokens: 40, completion_tokens: Math.min(2, json.max_tokens), total_tokens: 42, ...(reportsCached ? { prompt_tokens_details: { cached_tokens: 32 } } : {}) };
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ id: "x", object: "text_completion", created: 0, model: "m", choices: [{ index: 0, text: " 391", finish_reason: "length" }], usage }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const teacherOf = () => new OpenAITeacher({ baseURL: base, model: "m", style: "completions" });
const student = () => new MemoryStudent([pieces("The", " fix", "<call>", "4</call>"), pieces(" done.")]);

function recordingBudget(grant = true) {
  const reserved: Array<[number, number]> = [];
  const settled: SettleUsage[] = [];
  const budget: BudgetGate = {
    reserve: async (prompt, span) => {
      reserved.push([prompt, span]);
      if (!grant) return null;
      return { granted: span, promptTokens: prompt + 64, settle: async (u) => void settled.push(u), release: async () => {} };
    },
  };
  return { budget, reserved, settled };
}

async function answer(teacher: OpenAITeacher, options: { warm?: boolean; budget?: BudgetGate; breaker?: TeacherBreaker } = {}) {
  return runRelay({ task, student: student(), teacher, policy: createPolicy("learned"), warmTeacher: options.warm, budget: options.budget, breaker: options.breaker });
}

test("a server that reports cached tokens is warmed from the next answer on: 1 token, redacted, counted in the budget", async () => {
  reportsCached = true;
  seen.length = 0;
  const teacher = teacherOf();
  const { budget, reserved, settled } = recordingBudget();
  const first = await answer(teacher, { warm: true, budget });
  assert.equal(first.stats.warmingCalls, 0, "not yet known to cache: no warming");
  assert.equal(teacher.warmable, true);
  seen.length = 0;
  reserved.length = 0;
  settled.length = 0;
  const second = await answer(teacher, { warm: true, budget });
  assert.equal(second.stats.warmingCalls, 1);
  assert.equal(second.stats.warmingPromptTokens, 40);
  assert.equal(seen.length, 2, "the warming request and the call");
  const warm = seen.find((s) => s.max_tokens === 1);
  assert.ok(warm, JSON.stringify(seen.map((s) => s.max_tokens)));
  assert.ok(!warm.prompt.includes(SECRET) && !warm.prompt.includes("A1b2C3d4"), "the secret is redacted");
  assert.ok(!/<\/?call>/.test(warm.prompt), "no command tags");
  // The real call's prompt starts with the warmed one: the server can reuse its prefill.
  const call = seen.find((s) => s.max_tokens !== 1)!;
  assert.ok(call.prompt.startsWith(warm.prompt));
  // Counted: a reservation of the prompt + 1 token, settled with the server's usage.
  assert.ok(reserved.some(([, span]) => span === 1), JSON.stringify(reserved));
  assert.equal(settled.length, 2);
});

test("no warming unless asked for, for a server that never reports cached tokens, or when the budget says no", async () => {
  reportsCached = true;
  const warmable = teacherOf();
  await answer(warmable);
  seen.length = 0;
  const off = await answer(warmable);
  assert.equal(off.stats.warmingCalls, 0);
  assert.ok(seen.every((s) => s.max_tokens !== 1));

  reportsCached = false;
  const silent = teacherOf();
  seen.length = 0;
  for (let i = 0; i < 3; i++) assert.equal((await answer(silent, { warm: true })).stats.warmingCalls, 0);
  assert.equal(silent.warmable, false);
  assert.ok(seen.every((s) => s.max_tokens !== 1));

  reportsCached = true;
  seen.length = 0;
  const { budget, reserved } = recordingBudget(false);
  const denied = await answer(warmable, { warm: true, budget });
  assert.equal(denied.stats.warmingCalls, 0);
  assert.ok(reserved.some(([, span]) => span === 1), "warming asked the budget first");
  assert.equal(seen.length, 0, "nothing sent when the budget denies");
});

test("never sent without a teacher (off, paused, untrusted) or while the teacher cools down", async () => {
  reportsCached = true;
  const teacher = teacherOf();
  await answer(teacher);
  seen.length = 0;
  const none = await runRelay({ task, student: student(), policy: createPolicy("learned"), warmTeacher: true });
  assert.equal(none.stats.warmingCalls, 0);
  const breaker = new TeacherBreaker();
  breaker.failure(new RelayError("teacher-unreachable", "connect ECONNREFUSED 127.0.0.1"));
  if (breaker.allow()) assert.fail("the breaker did not open on a connection error; this test needs it open");
  const cooling = await answer(teacher, { warm: true, breaker });
  assert.equal(cooling.stats.warmingCalls, 0);
  assert.equal(seen.length, 0);
});

/** A second server whose warming requests (max_tokens 1) can be held, cut off or refused. */
type WarmBehaviour = "hold" | "cut" | "refuse";
async function warmServer(behaviour: WarmBehaviour) {
  const events: string[] = [];
  const srv = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const json = JSON.parse(body) as Seen & { stream?: boolean };
      const warming = json.max_tokens === 1;
      events.push(warming ? "warm-start" : "call-start");
      const usage = { prompt_tokens: 40, completion_tokens: Math.min(2, json.max_tokens), total_tokens: 42, prompt_tokens_details: { cached_tokens: 32 } };
      const reply = () => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ id: "x", object: "text_completion", created: 0, model: "m", choices: [{ index: 0, text: " 391", finish_reason: "length" }], usage }));
      };
      if (!warming) return reply();
      if (behaviour === "refuse") {
        res.statusCode = 400;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ error: { message: "no" } }));
        return void events.push("warm-end");
      }
      if (behaviour === "cut") {
        // Headers and one event, then the connection drops: the server took the request.
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(`data: ${JSON.stringify({ id: "x", object: "text_completion", created: 0, model: "m", choices: [{ index: 0, text: " 3", finish_reason: null }] })}\n\n`);
        setTimeout(() => {
          events.push("warm-end");
          res.socket?.destroy();
        }, 20);
        return;
      }
      setTimeout(() => {
        events.push("warm-end");
        reply();
      }, 400);
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1`;
  return { url, events, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

function trackingBudget() {
  const settled: SettleUsage[] = [];
  let released = 0;
  const budget: BudgetGate = {
    reserve: async (prompt, span) => ({ granted: span, promptTokens: prompt + 64, settle: async (u) => void settled.push(u), release: async () => void released++ }),
  };
  return { budget, settled, released: () => released };
}

test("the call waits for a warming request still in flight instead of racing it (a one-slot server would cut the warming off)", async () => {
  const srv = await warmServer("hold");
  try {
    const teacher = new OpenAITeacher({ baseURL: srv.url, model: "m", style: "completions", assumePromptCache: true });
    const result = await answer(teacher, { warm: true });
    assert.equal(result.stats.warmingCalls, 1);
    assert.deepEqual(srv.events, ["warm-start", "warm-end", "call-start"]);
    assert.ok(result.spans.some((s) => s.kind === "teacher"), "the call still spliced its span");
  } finally {
    await srv.close();
  }
});

test("a warming request cut off after the server took it is charged what was sent; one the server refused is not", async () => {
  const cut = await warmServer("cut");
  try {
    const teacher = new OpenAITeacher({ baseURL: cut.url, model: "m", style: "completions", stream: true, maxRetries: 0, assumePromptCache: true });
    const { budget, settled, released } = trackingBudget();
    const result = await answer(teacher, { warm: true, budget });
    assert.equal(result.stats.warmingCalls, 1);
    assert.ok(result.stats.warmingPromptTokens > 0, `warming counted: ${JSON.stringify(result.stats)}`);
    const warm = settled.find((u) => u.completionTokens === 0);
    assert.ok(warm && warm.promptTokens === result.stats.warmingPromptTokens, JSON.stringify(settled));
    assert.equal(released(), 0);
  } finally {
    await cut.close();
  }
  const refuse = await warmServer("refuse");
  try {
    const teacher = new OpenAITeacher({ baseURL: refuse.url, model: "m", style: "completions", maxRetries: 0, assumePromptCache: true });
    const { budget, settled, released } = trackingBudget();
    const result = await answer(teacher, { warm: true, budget });
    assert.equal(result.stats.warmingCalls, 0);
    assert.equal(released(), 1, "the refused warming's reservation is released");
    assert.equal(settled.length, 1, "only the call is settled");
  } finally {
    await refuse.close();
  }
});
