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
import type { Student } from "../core/models.js";
import type { LlamaStudent } from "../student/llamaStudent.js";
import { reuseCachedPrefix } from "../llama/prefixReuse.js";
import { loadStudent, now, since, type BenchEnv } from "./env.js";
import { taskOfLength } from "./prompts.js";
import { median, medianHalfWidth, pairedRatio, pairsNeeded, ratio, robustSd, roundSummary, summarize, type Summary } from "./stats.js";
import { countAddonCalls } from "./addonCalls.js";
import { MeteredStudent } from "./metered.js";

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
  /** How far the timed ratio can be trusted: the spread of the per-pair ratios. */
  spread: {
    pairRatios: number[];
    /** Robust standard deviation of the per-pair ratios (MAD × 1.4826). */
    sd: number;
    /** 95% confidence half-width of the median ratio with the pairs measured. */
    halfWidth: number;
    /** Interleaved pairs needed for a ±1% / ±3% half-width at this spread. */
    pairsFor1Percent: number;
    pairsFor3Percent: number;
  };
  /** Count-based figures (deterministic: noise cannot move them), one counted run each. */
  counts: {
    plain: CountedRun;
    relay: CountedRun;
    /** plain / relay per generated token (1 = the same work; the goal is ≥ 0.99). */
    evaluatedRatio: number;
    decodeCallRatio: number;
    addonCallRatio: number;
  };
}

export interface CountedRun {
  tokens: number;
  /** Tokens the sequence evaluated (node-llama-cpp's token meter) per generated token. */
  evaluatedPerToken: number;
  /** Native decodeBatch calls per generated token. */
  decodeCallsPerToken: number;
  /** All calls into the native addon (context and model objects) per generated token. */
  addonCallsPerToken: number;
  /** The addon methods called, with counts. */
  calls: Record<string, number>;
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
export async function relayGenerate(student: Student, task: TaskPrompt, maxTokens: number): Promise<GenerationRun & { stop: string }> {
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
    const counts = await countedRuns(student, sequence, task, prompt, maxTokens);
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
      spread: spreadOf(relayRates.map((r, i) => ratio(r, plainRates[i]))),
      counts,
    };
  } finally {
    await student.dispose();
  }
}

function spreadOf(pairRatios: number[]): OverheadResult["spread"] {
  return {
    pairRatios: pairRatios.map(round4),
    sd: round4(robustSd(pairRatios)),
    halfWidth: round4(medianHalfWidth(pairRatios)),
    pairsFor1Percent: pairsNeeded(pairRatios, 0.01),
    pairsFor3Percent: pairsNeeded(pairRatios, 0.03),
  };
}

/**
 * One plain and one relay run with every native addon call counted and the token meter read:
 * both start from the same cached prompt (the warm-up evaluated it), so equal work means equal
 * counts.
 */
async function countedRuns(student: LlamaStudent, sequence: LlamaContextSequence, task: TaskPrompt, prompt: Token[], maxTokens: number): Promise<OverheadResult["counts"]> {
  const counter = countAddonCalls(student.context, student.model);
  try {
    const meter = () => sequence.tokenMeter.usedInputTokens + sequence.tokenMeter.usedOutputTokens;
    const m0 = meter();
    counter.reset();
    const p = await plainGenerate(student, sequence, prompt, maxTokens);
    const plain = counted(p.tokens, meter() - m0, counter.counts);
    const metered = new MeteredStudent(student);
    counter.reset();
    const r = await relayGenerate(metered, task, maxTokens);
    const relay = counted(r.tokens, metered.sessions.reduce((a, s) => a + s.evaluatedTokens, 0), counter.counts);
    return {
      plain,
      relay,
      evaluatedRatio: round4(plain.evaluatedPerToken / relay.evaluatedPerToken),
      decodeCallRatio: round4(plain.decodeCallsPerToken / relay.decodeCallsPerToken),
      addonCallRatio: round4(plain.addonCallsPerToken / relay.addonCallsPerToken),
    };
  } finally {
    counter.restore();
  }
}

function counted(tokens: number, evaluated: number, calls: Map<string, number>): CountedRun {
  const total = [...calls.values()].reduce((a, b) => a + b, 0);
  return {
    tokens,
    evaluatedPerToken: round4(evaluated / tokens),
    decodeCallsPerToken: round4((calls.get("context.decodeBatch") ?? 0) / tokens),
    addonCallsPerToken: round4(total / tokens),
    calls: Object.fromEntries([...calls].sort((a, b) => b[1] - a[1])),
  };
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
