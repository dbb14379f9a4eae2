/**
 * Benchmark 9 — teacher prefill warming against a real server: llama-cpp-python's server
 * (Qwen2.5-Coder-0.5B, completions) as the teacher of SmolLM2-135M, one relay per answer after
 * RELAY_EVERY student tokens, answers alternating warming off / on (a fresh prompt each, so
 * nothing is cached from an earlier answer but the chat template's opening). Measured per
 * answer: the time from the call (the controller's `teacher-start`, i.e. right after `</call>`)
 * to the first teacher token on the stream; the relay's prompt tokens and the share the
 * server's log says it reused (this server reports no cached tokens in its usage, so warming
 * is forced with `assumePromptCache`); the warming request's own tokens (what it costs).
 */
import { runRelay, type RelayEvent } from "../core/controller.js";
import { ensureRealModels } from "../io/realModels.js";
import { promptRenderer } from "../llama/chatFormat.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { OpenAITeacher } from "../teacher/openaiTeacher.js";
import type { BenchEnv } from "./env.js";
import { startLlamaServer, type LlamaServer } from "./llamaServer.js";
import { repoRoot } from "./benchModels.js";
import { taskOfLength } from "./prompts.js";
import { periodicPolicy, RELAY_EVERY, RELAY_SPAN } from "./relayCost.js";
import { ratio, round, roundSummary, summarize, type Summary } from "./stats.js";

export interface WarmingAnswer {
  warming: boolean;
  /** `</call>` → the first teacher token on the stream. */
  firstTokenMs: number;
  /** `</call>` → the spliced reply. */
  relayMs: number;
  relayPromptTokens: number;
  /** Prompt tokens of the relay request the server reused from its cache (its log). */
  relayCachedTokens: number;
  warmingPromptTokens: number;
  /** The warming request was still running when the call came (the server serves one at a time). */
  warmingPending: boolean;
}

export interface WarmingSide {
  firstTokenMs: Summary;
  relayMs: Summary;
  /** Median cached share of the relay's prompt. */
  cachedShare: number;
  warmingPromptTokens: number;
}

export interface WarmingResult {
  server: string;
  teacher: string;
  student: string;
  contextTokens: number;
  every: number;
  span: number;
  threads: number;
  answers: WarmingAnswer[];
  off: WarmingSide;
  on: WarmingSide;
  /** on / off, median first-token time (< 1: warming helps). */
  firstTokenRatio: number;
}

const TARGET_CONTEXT = 512;

export async function runWarming(env: BenchEnv): Promise<WarmingResult> {
  const models = await ensureRealModels(repoRoot());
  const pairs = env.quick ? 3 : 5;
  const contextSize = TARGET_CONTEXT + 2 * (RELAY_EVERY + RELAY_SPAN) + 256;
  env.progress(`  warming: starting llama_cpp.server (Qwen2.5-Coder-0.5B, ${env.threads} thread(s))`);
  const server = await startLlamaServer({ repoRoot: repoRoot(), model: models.qwenCoder, alias: "qwen2.5-coder-0.5b", contextSize: 2 * contextSize, threads: env.threads });
  const student = await LlamaStudent.load({ model: models.smollm2, gpu: "cpu", threads: env.threads, contextSize, sequences: 1, logger: env.logger });
  try {
    const render = await promptRenderer("qwen");
    const answers: WarmingAnswer[] = [];
    let contextTokens = 0;
    for (let i = 0; i < 2 * pairs; i++) {
      // Alternate which side goes first in each pair: drift hits both.
      const warming = (i % 2 === 0) !== (Math.floor(i / 2) % 2 === 1);
      const task = taskOfLength(TARGET_CONTEXT, 900 + i, (t) => student.promptTokens(t).length);
      contextTokens = student.promptTokens(task).length;
      const a = await oneAnswer(env, server, render, student, task, warming);
      if (!a) continue;
      answers.push(a);
      env.progress(`  warming ${warming ? "on " : "off"}: first teacher token ${a.firstTokenMs.toFixed(0)} ms after the call, relay ${a.relayMs.toFixed(0)} ms, cached ${a.relayCachedTokens}/${a.relayPromptTokens}${a.warmingPending ? " (warming still running at the call)" : ""}`);
    }
    const side = (on: boolean): WarmingSide => {
      const xs = answers.filter((a) => a.warming === on);
      return {
        firstTokenMs: roundSummary(summarize(xs.map((a) => a.firstTokenMs)), 1),
        relayMs: roundSummary(summarize(xs.map((a) => a.relayMs)), 1),
        cachedShare: round(summarize(xs.map((a) => ratio(a.relayCachedTokens, a.relayPromptTokens))).median, 3),
        warmingPromptTokens: xs.reduce((s, a) => s + a.warmingPromptTokens, 0),
      };
    };
    const off = side(false);
    const on = side(true);
    return {
      server: "llama-cpp-python server",
      teacher: "Qwen2.5-Coder-0.5B-Instruct",
      student: "SmolLM2-135M-Instruct Q4_1",
      contextTokens,
      every: RELAY_EVERY,
      span: RELAY_SPAN,
      threads: env.threads,
      answers,
      off,
      on,
      firstTokenRatio: round(ratio(on.firstTokenMs.median, off.firstTokenMs.median), 3),
    };
  } finally {
    await student.dispose();
    await server.stop();
  }
}

/**
 * A fetch that notes when the first streamed text of a relay request arrives, and when the
 * warming request (max_tokens 1) has been answered in full.
 */
function timingFetch(onFirstText: () => void, onWarmed: () => void): typeof fetch {
  return async (input, init) => {
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as { max_tokens?: number }) : {};
    const response = await fetch(input, init);
    if (!response.body) return response;
    const warmingRequest = body.max_tokens === 1;
    let seen = false;
    const decoder = new TextDecoder();
    const watch = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (!warmingRequest && !seen && /"text":\s*"(?!")/.test(decoder.decode(chunk, { stream: true }))) {
          seen = true;
          onFirstText();
        }
        controller.enqueue(chunk);
      },
      flush() {
        if (warmingRequest) onWarmed();
      },
    });
    return new Response(response.body.pipeThrough(watch), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

async function oneAnswer(env: BenchEnv, server: LlamaServer, render: (task: { user: string }) => string, student: LlamaStudent, task: { user: string }, warming: boolean): Promise<WarmingAnswer | undefined> {
  let callAt = NaN;
  let firstAt = NaN;
  let relayAt = NaN;
  let logAtCall = 0;
  let warmedAt = NaN;
  const teacher = new OpenAITeacher({
    baseURL: server.url,
    model: server.alias,
    style: "completions",
    temperature: 0,
    maxRetries: 0,
    timeoutMs: 600_000,
    // The server streams nothing until its prefill is done; cold prefills on a busy machine
    // outlast the product's 15 s idle timeout, which would turn the "off" side into failed calls.
    idleTimeoutMs: 300_000,
    stream: true,
    renderPrompt: render,
    assumePromptCache: true,
    fetch: timingFetch(
      () => (firstAt = performance.now()),
      () => (warmedAt = performance.now()),
    ),
  });
  const onEvent = (event: RelayEvent) => {
    if (event.type === "teacher-start") {
      callAt = performance.now();
      logAtCall = server.log().length;
    }
    if (event.type === "span" && event.span.kind === "teacher" && Number.isNaN(relayAt)) relayAt = performance.now();
  };
  const result = await runRelay({
    task,
    student,
    teacher,
    policy: periodicPolicy(RELAY_EVERY, RELAY_SPAN),
    limits: { maxTokens: RELAY_EVERY + RELAY_SPAN + 4, maxCallsPerAnswer: 1, maxSpanTokens: RELAY_SPAN, maxContextTokens: 16_384 },
    warmTeacher: warming,
    onEvent,
    logger: env.logger,
  });
  const span = result.spans.find((s) => s.kind === "teacher");
  if (!span) {
    env.progress(`  warming: answer skipped, no relay (the student stopped: ${result.stats.stopReason})`);
    return undefined;
  }
  if (Number.isNaN(firstAt)) throw new Error("no streamed teacher text was seen");
  const hits = [...server.log().slice(logAtCall).matchAll(/Llama\.generate: (\d+) prefix-match hit/g)].map((m) => Number(m[1]));
  return {
    warming,
    firstTokenMs: round(firstAt - callAt, 1),
    relayMs: round(relayAt - callAt, 1),
    relayPromptTokens: span.usage?.promptTokens ?? NaN,
    relayCachedTokens: hits[0] ?? 0,
    warmingPromptTokens: result.stats.warmingPromptTokens,
    warmingPending: warming && !(warmedAt <= callAt),
  };
}
