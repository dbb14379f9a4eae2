/**
 * Benchmark 1 — controller overhead: plain node-llama-cpp greedy generation against the relay
 * controller with a policy that never calls, on the same model, context and prompt, in
 * interleaved runs (A B B A …). Both evaluate the same tokens: the sequence keeps the prompt
 * from the previous run, so each run evaluates the last prompt token and then decodes.
 */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { runRelay } from "../core/controller.js";
import { createPolicy } from "../core/policies.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { LlamaStudent } from "../student/llamaStudent.js";
import { reuseCachedPrefix } from "../llama/prefix.js";
import { loadStudent, now, since, type BenchEnv } from "./env.js";
import { taskOfLength } from "./prompts.js";
import { median, pairedRatio, ratio, roundSummary, summarize, type Summary } from "./stats.js";

export interface GenerationRun {
  /** Tokens generated. */
  tokens: number;
  /** Request to last token (prompt tail + decoding + clean-up). */
  ms: number;
  /** First token to last token. */
  decodeMs: number;
}

export interface OverheadResult {
  model: string;
  threads: number;
  promptTokens: number;
  maxTokens: number;
  pairs: number;
  order: string;
  plain: { tokensPerSecond: Summary; decodeTokensPerSecond: Summary; tokens: number[] };
  relay: { tokensPerSecond: Summary; decodeTokensPerSecond: Summary; tokens: number[]; stopReasons: string[] };
  /** Median of per-pair ratios relay / plain (end to end): the goal is ≥ 0.97. */
  ratio: number;
  /** The same for decoding only (first token to last). */
  decodeRatio: number;
  /** Ratio of the medians, for comparison. */
  ratioOfMedians: number;
  /**
   * What the controller adds per token (ms), median over pairs of relay − plain time per token:
   * independent of the model's size, so it predicts the ratio on other models.
   */
  perTokenOverheadMs: number;
  /** Runs that stopped at end-of-sequence before maxTokens (their rates use the tokens they made). */
  earlyEos: number;
}

/** Plain greedy generation on a sequence, reusing its cached prompt prefix as the student does. */
export async function plainGenerate(student: LlamaStudent, sequence: LlamaContextSequence, prompt: Token[], maxTokens: number): Promise<GenerationRun> {
  const t0 = now();
  const input = await reuseCachedPrefix(sequence, prompt);
  const tokens: Token[] = [];
  let tFirst = 0;
  for await (const token of sequence.evaluate(input, { temperature: 0 })) {
    if (tokens.length === 0) tFirst = now();
    tokens.push(token);
    if (tokens.length >= maxTokens) break;
  }
  const tLast = now();
  // What a caller does with the tokens: turn them into text.
  student.model.detokenize(tokens);
  return { tokens: tokens.length, ms: since(t0), decodeMs: tLast - tFirst };
}

/** The same generation through the relay controller, student-only (no teacher, no calls). */
export async function relayGenerate(student: LlamaStudent, task: TaskPrompt, maxTokens: number): Promise<GenerationRun & { stop: string }> {
  const t0 = now();
  let tFirst = 0;
  let tLast = 0;
  let chars = 0;
  const result = await runRelay({
    task,
    student,
    policy: createPolicy("student-only"),
    limits: { maxTokens },
    onEvent: (event) => {
      if (event.type !== "text") return;
      tLast = now();
      if (chars === 0) tFirst = tLast;
      chars += event.text.length;
    },
  });
  const ms = since(t0);
  const tokens = result.stats.studentTokens;
  // Text events follow tokens; with no text at all fall back to the controller's own clock.
  const decodeMs = chars > 0 ? tLast - tFirst : ms - (result.stats.timeToFirstTokenMs ?? 0);
  return { tokens, ms, decodeMs, stop: result.stats.stopReason };
}

export async function runOverhead(env: BenchEnv): Promise<OverheadResult> {
  const pairs = env.quick ? 4 : 5;
  const maxTokens = env.quick ? 96 : 128;
  const student = await loadStudent(env, { contextSize: 1024, sequences: 2 });
  try {
    // The plain path's own sequence, taken before the pool takes the other one.
    const sequence = student.context.getSequence();
    // Warm-up (not measured): both paths evaluate the prompt once and page the weights in. A
    // random-weight model may hit end-of-sequence early for a given prompt: then take another.
    let task = taskOfLength(64, 101, (t) => student.promptTokens(t).length);
    for (let seed = 102; (await plainGenerate(student, sequence, student.promptTokens(task), maxTokens)).tokens < maxTokens && seed < 105; seed++) {
      env.progress(`  overhead: the prompt reached end-of-sequence early; trying another`);
      task = taskOfLength(64, seed, (t) => student.promptTokens(t).length);
    }
    const prompt = student.promptTokens(task);
    await relayGenerate(student, task, 8);

    const plain: GenerationRun[] = [];
    const relay: Array<GenerationRun & { stop: string }> = [];
    let order = "";
    for (let i = 0; i < pairs; i++) {
      const plainFirst = i % 2 === 0;
      for (const which of plainFirst ? ["plain", "relay"] : ["relay", "plain"]) {
        if (which === "plain") plain.push(await plainGenerate(student, sequence, prompt, maxTokens));
        else relay.push(await relayGenerate(student, task, maxTokens));
        order += which === "plain" ? "P" : "R";
      }
      env.progress(`  overhead pair ${i + 1}/${pairs}: plain ${rate(plain[i]).toFixed(1)} tok/s, relay ${rate(relay[i]).toFixed(1)} tok/s`);
    }
    const plainRates = plain.map(rate);
    const relayRates = relay.map(rate);
    const plainDecode = plain.map(decodeRate);
    const relayDecode = relay.map(decodeRate);
    return {
      model: env.student.id,
      threads: env.threads,
      promptTokens: prompt.length,
      maxTokens,
      pairs,
      order,
      plain: { tokensPerSecond: roundSummary(summarize(plainRates), 2), decodeTokensPerSecond: roundSummary(summarize(plainDecode), 2), tokens: plain.map((r) => r.tokens) },
      relay: {
        tokensPerSecond: roundSummary(summarize(relayRates), 2),
        decodeTokensPerSecond: roundSummary(summarize(relayDecode), 2),
        tokens: relay.map((r) => r.tokens),
        stopReasons: [...new Set(relay.map((r) => r.stop))],
      },
      ratio: round4(pairedRatio(relayRates, plainRates)),
      decodeRatio: round4(pairedRatio(relayDecode, plainDecode)),
      ratioOfMedians: round4(ratio(summarize(relayRates).median, summarize(plainRates).median)),
      perTokenOverheadMs: round4(median(relay.map((r, i) => r.ms / r.tokens - plain[i].ms / plain[i].tokens))),
      earlyEos: [...plain, ...relay].filter((r) => r.tokens < maxTokens).length,
    };
  } finally {
    await student.dispose();
  }
}

function rate(run: GenerationRun): number {
  return run.tokens / (run.ms / 1000);
}

function decodeRate(run: GenerationRun): number {
  return run.decodeMs > 0 ? (run.tokens - 1) / (run.decodeMs / 1000) : NaN;
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
