/**
 * Benchmark 7 — the real models (scripts/real-models.sh) and a real teacher server:
 * a. decode tokens/s through the relay controller (a policy that never calls) against plain
 *    node-llama-cpp on SmolLM2-135M, interleaved pairs, medians and the ratio;
 * b. one relay's wall time with llama-cpp-python's server (Qwen2.5-Coder-0.5B) as the teacher,
 *    at ~256 / 1k / 4k tokens of context, the product's KV-keeping student against the naive
 *    student that re-sends the whole context after each relay (ratio);
 * c. the prompt tokens the server reports reusing from its cache on each relay (its log; the
 *    API's usage does not carry them).
 */
import { runRelay } from "../core/controller.js";
import type { Teacher, TeacherReply, TeacherRequest } from "../core/models.js";
import type { Span } from "../core/spans.js";
import { ensureRealModels, type RealModels } from "../io/realModels.js";
import { promptRenderer } from "../llama/chatFormat.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { OpenAITeacher } from "../teacher/openaiTeacher.js";
import { now, since, type BenchEnv } from "./env.js";
import { startLlamaServer, type LlamaServer } from "./llamaServer.js";
import { MeteredStudent } from "./metered.js";
import { repoRoot } from "./benchModels.js";
import { NaiveRestartStudent } from "./naiveStudent.js";
import { plainGenerate, relayGenerate, type GenerationRun } from "./overhead.js";
import { taskOfLength } from "./prompts.js";
import { periodicPolicy, RELAY_EVERY, RELAY_SPAN } from "./relayCost.js";
import { pairedRatio, ratio, round, roundSummary, summarize, type Summary } from "./stats.js";

export interface RealDecodeResult {
  promptTokens: number;
  maxTokens: number;
  pairs: number;
  order: string;
  plain: { tokensPerSecond: Summary; tokens: number[] };
  relay: { tokensPerSecond: Summary; tokens: number[] };
  /** Median of per-pair ratios relay / plain. */
  ratio: number;
}

export interface ServerRelayRun {
  wallMs: number;
  /** Per relay: the teacher's HTTP round trip (server included) plus the student's splice step. */
  relayMs: Summary;
  teacherMs: Summary;
  spliceStepMs: Summary;
  /** Per relay, from the server: prompt tokens of the request (usage) and reused from its cache (log). */
  serverPromptTokens: number[];
  serverCachedTokens: number[];
  relays: number;
  stopReason: string;
}

export interface ServerContextResult {
  targetContextTokens: number;
  contextTokens: number;
  incremental: ServerRelayRun;
  naive: ServerRelayRun;
  ratios: {
    /** naive / incremental, median relay wall time. */
    relayTime: number;
    /** naive / incremental, the whole answer. */
    wallTime: number;
  };
}

export interface RealBenchResult {
  student: string;
  teacher: string;
  server: string;
  threads: number;
  decode: RealDecodeResult;
  relay: { every: number; span: number; relaysPerAnswer: number; maxTokens: number; contexts: ServerContextResult[] };
}

/** A prompt that keeps SmolLM2 writing (a story), so decoding is measured, not end-of-sequence. */
const DECODE_TASK = { user: "Write a long story about a lighthouse keeper who finds a message in a bottle." };

export async function runReal(env: BenchEnv): Promise<RealBenchResult> {
  env.progress("  real: scripts/real-models.sh (installs the models on first use)");
  const models = await ensureRealModels(repoRoot());
  const decode = await realDecode(env, models);
  const relay = await serverRelays(env, models);
  return { student: "SmolLM2-135M-Instruct Q4_1", teacher: "Qwen2.5-Coder-0.5B-Instruct", server: "llama-cpp-python (llama_cpp.server)", threads: env.threads, decode, relay };
}

async function realDecode(env: BenchEnv, models: RealModels): Promise<RealDecodeResult> {
  const pairs = env.quick ? 3 : 7;
  const maxTokens = env.quick ? 48 : 128;
  const student = await LlamaStudent.load({ model: models.smollm2, gpu: "cpu", threads: env.threads, contextSize: 1024, sequences: 2, logger: env.logger });
  try {
    const sequence = student.context.getSequence();
    const prompt = student.promptTokens(DECODE_TASK);
    // Warm-up: both paths evaluate the prompt once and page the weights in.
    await plainGenerate(student, sequence, prompt, 8);
    await relayGenerate(student, DECODE_TASK, 8);
    const plain: GenerationRun[] = [];
    const relay: GenerationRun[] = [];
    let order = "";
    for (let i = 0; i < pairs; i++) {
      for (const which of i % 2 === 0 ? ["plain", "relay"] : ["relay", "plain"]) {
        if (which === "plain") plain.push(await plainGenerate(student, sequence, prompt, maxTokens));
        else relay.push(await relayGenerate(student, DECODE_TASK, maxTokens));
        order += which === "plain" ? "P" : "R";
      }
      env.progress(`  real decode pair ${i + 1}/${pairs}: plain ${rate(plain[i]).toFixed(1)} tok/s, relay ${rate(relay[i]).toFixed(1)} tok/s`);
    }
    return {
      promptTokens: prompt.length,
      maxTokens,
      pairs,
      order,
      plain: { tokensPerSecond: roundSummary(summarize(plain.map(rate)), 2), tokens: plain.map((r) => r.tokens) },
      relay: { tokensPerSecond: roundSummary(summarize(relay.map(rate)), 2), tokens: relay.map((r) => r.tokens) },
      ratio: round(pairedRatio(relay.map(rate), plain.map(rate)), 4),
    };
  } finally {
    await student.dispose();
  }
}

async function serverRelays(env: BenchEnv, models: RealModels): Promise<RealBenchResult["relay"]> {
  const lengths = env.quick ? [256, 1024] : [256, 1024, 4096];
  const relays = env.quick ? 2 : 3;
  const maxTokens = relays * (RELAY_EVERY + RELAY_SPAN) + RELAY_EVERY;
  const contextSize = Math.max(...lengths) + maxTokens + 256;
  env.progress(`  real: starting llama_cpp.server (Qwen2.5-Coder-0.5B, n_ctx ${2 * contextSize}, ${env.threads} thread(s))`);
  const server = await startLlamaServer({ repoRoot: repoRoot(), model: models.qwenCoder, alias: "qwen2.5-coder-0.5b", contextSize: 2 * contextSize, threads: env.threads });
  const student = await LlamaStudent.load({ model: models.smollm2, gpu: "cpu", threads: env.threads, contextSize, sequences: 2, logger: env.logger });
  try {
    const render = await promptRenderer("qwen");
    const naive = new NaiveRestartStudent(student, student.context.getSequence());
    const contexts: ServerContextResult[] = [];
    for (const [i, target] of lengths.entries()) {
      // A new seed per length and per run: nothing is cached from an earlier prompt, on either side.
      const task = taskOfLength(target, 300 + i, (t) => student.promptTokens(t).length);
      const naiveTask = taskOfLength(target, 400 + i, (t) => student.promptTokens(t).length);
      const incremental = await serverRun(env, server, render, student, task, relays, maxTokens);
      const naiveRun = await serverRun(env, server, render, naive, naiveTask, relays, maxTokens);
      const contextTokens = student.promptTokens(task).length;
      env.progress(`  real relay @${contextTokens}: ours ${incremental.relayMs.median} ms/relay, naive ${naiveRun.relayMs.median} ms/relay; server cached ${incremental.serverCachedTokens.join("/")} of ${incremental.serverPromptTokens.join("/")}`);
      contexts.push({
        targetContextTokens: target,
        contextTokens,
        incremental,
        naive: naiveRun,
        ratios: { relayTime: round(ratio(naiveRun.relayMs.median, incremental.relayMs.median), 2), wallTime: round(ratio(naiveRun.wallMs, incremental.wallMs), 3) },
      });
    }
    return { every: RELAY_EVERY, span: RELAY_SPAN, relaysPerAnswer: relays, maxTokens, contexts };
  } finally {
    await student.dispose();
    await server.stop();
  }
}

/** Records, per request, the prompt tokens the server's log says it reused. */
function cacheWatching(teacher: Teacher, server: LlamaServer, cached: number[]): Teacher {
  return {
    name: teacher.name,
    model: teacher.model,
    renderPrompt: teacher.renderPrompt,
    async generate(request: TeacherRequest): Promise<TeacherReply> {
      const from = server.log().length;
      const reply = await teacher.generate(request);
      const hit = /Llama\.generate: (\d+) prefix-match hit/.exec(server.log().slice(from));
      cached.push(hit ? Number(hit[1]) : 0);
      return reply;
    },
  };
}

async function serverRun(
  env: BenchEnv,
  server: LlamaServer,
  render: (task: { user: string }) => string,
  inner: LlamaStudent | NaiveRestartStudent,
  task: { user: string },
  relays: number,
  maxTokens: number,
): Promise<ServerRelayRun> {
  const cached: number[] = [];
  const http = new OpenAITeacher({ baseURL: server.url, model: server.alias, style: "completions", temperature: 0, maxRetries: 0, timeoutMs: 600_000, renderPrompt: render });
  const student = new MeteredStudent(inner);
  const t0 = now();
  const result = await runRelay({
    task,
    student,
    teacher: cacheWatching(http, server, cached),
    policy: periodicPolicy(RELAY_EVERY, RELAY_SPAN),
    limits: { maxTokens, maxCallsPerAnswer: relays, maxSpanTokens: RELAY_SPAN, maxContextTokens: 16_384 },
    logger: env.logger,
  });
  const wallMs = since(t0);
  const session = student.sessions[0];
  const spliceSteps = session.steps.filter((s) => s.spliced > 0);
  const spans = result.spans.filter((s: Span) => s.kind === "teacher");
  if (spans.length !== relays) env.progress(`  warning: ${spans.length} relays instead of ${relays} (stop: ${result.stats.stopReason})`);
  const teacherMs = spans.map((s) => s.durationMs);
  const spliceMs = spans.map((_, i) => spliceSteps[i]?.ms ?? NaN);
  return {
    wallMs: round(wallMs, 1),
    relayMs: roundSummary(summarize(teacherMs.map((t, i) => t + spliceMs[i])), 1),
    teacherMs: roundSummary(summarize(teacherMs), 1),
    spliceStepMs: roundSummary(summarize(spliceMs), 1),
    serverPromptTokens: spans.map((s) => s.usage?.promptTokens ?? NaN),
    serverCachedTokens: cached,
    relays: spans.length,
    stopReason: result.stats.stopReason,
  };
}

function rate(run: GenerationRun): number {
  return run.tokens / (run.ms / 1000);
}
