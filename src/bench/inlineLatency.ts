/**
 * Benchmark 4 — inline completion latency: time from a request to the first visible ghost text,
 * with a warm model, on a ~1k-token code prefix that grows by a few characters per request (the
 * user typing), so each request shares its prefix with the previous one and the student reuses
 * the cached prefix of its free sequence. Compared with raw node-llama-cpp: sequence.evaluate of
 * the same tokens on a sequence holding the previous request's tokens, until the first text.
 *
 * The measured call is an `InlineCore`: one function from request to first text. Today it is
 * the relay controller, student-only, with a short maxTokens — the inline provider's path minus
 * VS Code; swap in the provider's own core function when it exists outside the extension.
 */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { runRelay } from "../core/controller.js";
import { createPolicy } from "../core/policies.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { LlamaStudent } from "../student/llamaStudent.js";
import { reuseCachedPrefix } from "../llama/prefixReuse.js";
import { loadStudent, now, since, type BenchEnv } from "./env.js";
import type { InlineRealResult } from "./inlineReal.js";
import { codeOfLength, pseudoCode } from "./prompts.js";
import { pairedRatio, ratio, round, roundSummary, summarize, type Summary } from "./stats.js";

/** What the editor asks for: the text before and after the cursor. */
export interface InlineRequest {
  prefix: string;
  suffix: string;
}

export interface InlineFirstText {
  /** The first visible text ("" when the model produced none). */
  text: string;
  /**
   * Settles when the rest of the request is over and the model is free (not timed), with the
   * prompt tokens the model evaluated for it (after the reused prefix).
   */
  done: Promise<{ evaluatedPromptTokens: number }>;
}

/** The measured call: resolves at the first visible text of the completion. */
export type InlineCore = (request: InlineRequest) => Promise<InlineFirstText>;

/** The task the inline provider builds (infill when the model supports it, else the prefix). */
export function inlineTask(request: InlineRequest): TaskPrompt {
  return { user: request.prefix, completion: { prefix: request.prefix, suffix: request.suffix } };
}

/** The provider's core path without VS Code: runRelay, student-only, a short maxTokens. */
export function relayInlineCore(student: LlamaStudent, maxTokens: number): InlineCore {
  return async (request) => {
    let onFirst!: (text: string) => void;
    const firstText = new Promise<string>((resolve) => (onFirst = resolve));
    let seen = false;
    const run = runRelay({
      task: inlineTask(request),
      student,
      policy: createPolicy("student-only"),
      limits: { maxTokens },
      onEvent: (event) => {
        if (event.type !== "text" || event.text.length === 0 || seen) return;
        seen = true;
        onFirst(event.text);
      },
    });
    const done = run.then((result) => ({ evaluatedPromptTokens: result.stats.promptTokens }));
    // The first text, or "" when the answer ends without any.
    const text = await Promise.race([firstText, run.then(() => "")]);
    return { text, done };
  };
}

/** Raw node-llama-cpp: evaluate the same prompt tokens on a sequence, reusing its cached prefix. */
export function rawInlineCore(student: LlamaStudent, sequence: LlamaContextSequence): InlineCore {
  return async (request) => {
    const prompt = student.promptTokens(inlineTask(request));
    const input = await reuseCachedPrefix(sequence, prompt);
    const tokens: Token[] = [];
    let text = "";
    for await (const token of sequence.evaluate(input, { temperature: 0 })) {
      tokens.push(token);
      text = student.model.detokenize(tokens, false, prompt.slice(-8));
      if (text.length > 0 || tokens.length >= 8) break;
    }
    return { text, done: Promise.resolve({ evaluatedPromptTokens: input.length }) };
  };
}

export interface InlineLatencyResult {
  model: string;
  threads: number;
  requests: number;
  promptTokens: { first: number; last: number };
  charsTypedPerRequest: number;
  maxTokens: number;
  relay: { firstTextMs: Summary; evaluatedPromptTokens: Summary };
  raw: { firstTextMs: Summary; evaluatedPromptTokens: Summary };
  /** Median of per-request differences relay − raw (ms): the controller's cost on this path. */
  overheadMs: number;
  /** relay / raw: median of per-request ratios, and ratio of the p95s. */
  ratioMedian: number;
  ratioP95: number;
  /** The real inline model under the default caps (src/bench/inlineReal.ts), or why it did not run. */
  real?: InlineRealResult;
  realError?: string;
}

export async function runInlineLatency(env: BenchEnv, makeCore?: (student: LlamaStudent) => InlineCore): Promise<InlineLatencyResult> {
  const requests = env.quick ? 30 : 40;
  const maxTokens = 4;
  const charsPerRequest = 3;
  const student = await loadStudent(env, { contextSize: 2048, sequences: 2 });
  try {
    const raw = rawInlineCore(student, student.context.getSequence());
    const core = makeCore ? makeCore(student) : relayInlineCore(student, maxTokens);
    const promptLength = (prefix: string) => student.promptTokens(inlineTask({ prefix, suffix: "" })).length;
    const base = codeOfLength(1000, 300, promptLength);
    const typed = pseudoCode(40, 301).replace(/\n/g, " ");
    const requestAt = (i: number): InlineRequest => ({ prefix: base + typed.slice(0, i * charsPerRequest), suffix: "\n" });

    const relayMs: number[] = [];
    const rawMs: number[] = [];
    const relayEval: number[] = [];
    const rawEval: number[] = [];
    // Request 0 warms both paths up (and fills their caches with the base prefix): not measured.
    for (let i = 0; i <= requests; i++) {
      const request = requestAt(i);
      for (const which of i % 2 === 0 ? ["relay", "raw"] : ["raw", "relay"]) {
        const t0 = now();
        const first = await (which === "relay" ? core : raw)(request);
        const ms = since(t0);
        const { evaluatedPromptTokens } = await first.done;
        if (i === 0) continue;
        (which === "relay" ? relayMs : rawMs).push(ms);
        (which === "relay" ? relayEval : rawEval).push(evaluatedPromptTokens);
      }
    }
    env.progress(`  inline: relay p50 ${summarize(relayMs).median.toFixed(1)} ms, raw p50 ${summarize(rawMs).median.toFixed(1)} ms`);
    return {
      model: env.student.id,
      threads: env.threads,
      requests,
      promptTokens: { first: promptLength(requestAt(1).prefix), last: promptLength(requestAt(requests).prefix) },
      charsTypedPerRequest: charsPerRequest,
      maxTokens,
      relay: { firstTextMs: roundSummary(summarize(relayMs), 2), evaluatedPromptTokens: roundSummary(summarize(relayEval), 1) },
      raw: { firstTextMs: roundSummary(summarize(rawMs), 2), evaluatedPromptTokens: roundSummary(summarize(rawEval), 1) },
      overheadMs: round(summarize(relayMs.map((x, i) => x - rawMs[i])).median, 2),
      ratioMedian: round(pairedRatio(relayMs, rawMs), 3),
      ratioP95: round(ratio(summarize(relayMs).p95, summarize(rawMs).p95), 3),
    };
  } finally {
    await student.dispose();
  }
}
