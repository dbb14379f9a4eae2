/**
 * Benchmarks 2 and 3 — what a relay costs the student, and the naive baseline side by side.
 *
 * At each context length (prompt of ~256, 1k, 4k tokens) one answer asks a local teacher for a
 * span every 32 student tokens, through the real controller. The product's student keeps its KV
 * cache and evaluates only the spliced tokens; the naive student (the reference implementation's
 * way) re-sends the whole context after each relay. Both runs use a freshly loaded teacher so
 * neither inherits the other's teacher cache.
 */
import { runRelay } from "../core/controller.js";
import type { TriggerPolicy } from "../core/policies.js";
import type { Span } from "../core/spans.js";
import type { LlamaStudent } from "../student/llamaStudent.js";
import { LocalTeacher } from "../teacher/localTeacher.js";
import { loadStudent, now, since, type BenchEnv } from "./env.js";
import { MeteredStudent, type SessionRecord } from "./metered.js";
import { NaiveRestartStudent } from "./naiveStudent.js";
import { taskOfLength } from "./prompts.js";
import { median, ratio, round, roundSummary, summarize, type Summary } from "./stats.js";

export const RELAY_EVERY = 32;
export const RELAY_SPAN = 16;

/** Asks for `span` tokens after every `every` student tokens (the token sampled then is replaced). */
export function periodicPolicy(every: number, span: number): TriggerPolicy {
  let since = 0;
  return {
    name: "fixed-span",
    needsProbabilities: false,
    topK: 0,
    teacherOnly: false,
    onToken: () => (++since > every ? span : null),
    onKept: () => {},
    onCommand: () => null,
    onTeacherSpan: () => {
      since = 0;
    },
  };
}

export interface RelayDetail {
  /** Student tokens of the spliced teacher text. */
  spanTokens: number;
  /** Tokens the student evaluated for this relay (the step right after the splice). */
  evaluated: number;
  /** evaluated − spanTokens. */
  extra: number;
  /** The teacher span as the controller timed it: building the teacher input, the teacher's generation, splicing. */
  teacherMs: number;
  /** The student's step after the splice: evaluating the spliced tokens and sampling the next one. */
  spliceStepMs: number;
}

export interface RelayRunResult {
  /** The whole answer: prompt, generation, relays. */
  wallMs: number;
  /** The student's first step: evaluating the prompt (the same work in both runs). */
  promptMs: number;
  /** wallMs without opening the session and evaluating the prompt: where relays cost. */
  afterPromptMs: number;
  promptTokens: number;
  generatedTokens: number;
  relays: RelayDetail[];
  evaluatedTokens: number;
  /** A plain decode step (one token in, one out), for scale. */
  decodeStepMs: number;
  stopReason: string;
  perRelay: {
    evaluated: Summary;
    spanTokens: Summary;
    extra: Summary;
    teacherMs: Summary;
    spliceStepMs: Summary;
    /** teacherMs + spliceStepMs: the wall-time cost of one relay. */
    relayMs: Summary;
  };
}

export interface RelayContextResult {
  targetContextTokens: number;
  contextTokens: number;
  incremental: RelayRunResult;
  naive: RelayRunResult;
  ratios: {
    /** naive / incremental, median over relays: tokens the student evaluates per relay. */
    evaluatedPerRelay: number;
    /** naive / incremental, whole answers. */
    evaluatedTotal: number;
    /** naive / incremental, the student's step after a splice (median over relays). */
    spliceStepMs: number;
    /** naive / incremental, whole answers' wall time. */
    wallTime: number;
    /** naive / incremental, wall time after the prompt's evaluation. */
    afterPromptTime: number;
  };
}

export interface RelayCostResult {
  model: string;
  teacher: string;
  threads: number;
  every: number;
  span: number;
  relaysPerAnswer: number;
  maxTokens: number;
  contexts: RelayContextResult[];
  /** Incremental: (evaluated − span) over every relay at every context length. */
  extraTokensMax: number;
  /** Incremental: median relay cost (ms) at the longest context / at the shortest. */
  relayMsGrowth: number;
}

export async function runRelayCost(env: BenchEnv): Promise<RelayCostResult> {
  const lengths = [256, 1024, 4096];
  const relays = 3;
  const maxTokens = relays * (RELAY_EVERY + RELAY_SPAN) + RELAY_EVERY;
  const student = await loadStudent(env, { contextSize: Math.max(...lengths) + maxTokens + 256, sequences: 2 });
  try {
    const naive = new NaiveRestartStudent(student, student.context.getSequence());
    const contexts: RelayContextResult[] = [];
    for (const [i, target] of lengths.entries()) {
      // A different seed per length: no prompt shares a cached prefix with the previous one. A
      // random-weight student or teacher may end the answer early (end-of-sequence) on some
      // prompt: then another prompt of the same length is taken.
      let task = taskOfLength(target, 200 + i, (t) => student.promptTokens(t).length);
      let incremental = await relayRun(env, student, task, relays, maxTokens);
      for (let attempt = 1; attempt < 3 && incremental.relays.length < relays; attempt++) {
        env.progress(`  relay @${target}: the answer ended early (${incremental.stopReason}); trying another prompt`);
        task = taskOfLength(target, 200 + i + 10 * attempt, (t) => student.promptTokens(t).length);
        incremental = await relayRun(env, student, task, relays, maxTokens);
      }
      const contextTokens = student.promptTokens(task).length;
      env.progress(`  relay @${contextTokens} tokens: incremental ${(incremental.wallMs / 1000).toFixed(1)} s, ${incremental.perRelay.evaluated.median} evaluated/relay`);
      const naiveRun = await relayRun(env, naive, task, relays, maxTokens);
      env.progress(`  relay @${contextTokens} tokens: naive ${(naiveRun.wallMs / 1000).toFixed(1)} s, ${naiveRun.perRelay.evaluated.median} evaluated/relay`);
      contexts.push({
        targetContextTokens: target,
        contextTokens,
        incremental,
        naive: naiveRun,
        ratios: {
          evaluatedPerRelay: round(ratio(naiveRun.perRelay.evaluated.median, incremental.perRelay.evaluated.median), 2),
          evaluatedTotal: round(ratio(naiveRun.evaluatedTokens, incremental.evaluatedTokens), 3),
          spliceStepMs: round(ratio(naiveRun.perRelay.spliceStepMs.median, incremental.perRelay.spliceStepMs.median), 2),
          wallTime: round(ratio(naiveRun.wallMs, incremental.wallMs), 3),
          afterPromptTime: round(ratio(naiveRun.afterPromptMs, incremental.afterPromptMs), 3),
        },
      });
    }
    const allExtra = contexts.flatMap((c) => c.incremental.relays.map((r) => r.extra));
    return {
      model: env.student.id,
      teacher: env.teacher.id,
      threads: env.threads,
      every: RELAY_EVERY,
      span: RELAY_SPAN,
      relaysPerAnswer: relays,
      maxTokens,
      contexts,
      extraTokensMax: Math.max(...allExtra),
      relayMsGrowth: round(ratio(contexts[contexts.length - 1].incremental.perRelay.relayMs.median, contexts[0].incremental.perRelay.relayMs.median), 2),
    };
  } finally {
    await student.dispose();
  }
}

async function relayRun(
  env: BenchEnv,
  inner: LlamaStudent | NaiveRestartStudent,
  task: { user: string },
  relays: number,
  maxTokens: number,
): Promise<RelayRunResult> {
  const teacher = await LocalTeacher.load({ model: env.teacher.path, gpu: "cpu", threads: env.threads, contextSize: 8192, logger: env.logger });
  try {
    const student = new MeteredStudent(inner);
    const t0 = now();
    const result = await runRelay({
      task,
      student,
      teacher,
      policy: periodicPolicy(RELAY_EVERY, RELAY_SPAN),
      limits: { maxTokens, maxCallsPerAnswer: relays, maxSpanTokens: RELAY_SPAN },
      logger: env.logger,
    });
    const wallMs = since(t0);
    const session: SessionRecord = student.sessions[0];
    const spliceSteps = session.steps.filter((s) => s.spliced > 0);
    const teacherSpans = result.spans.filter((s: Span) => s.kind === "teacher");
    const details: RelayDetail[] = teacherSpans.map((span, i) => {
      const step = spliceSteps[i];
      return {
        spanTokens: span.tokens,
        evaluated: step?.evaluated ?? NaN,
        extra: (step?.evaluated ?? NaN) - span.tokens,
        teacherMs: round(span.durationMs, 1),
        spliceStepMs: round(step?.ms ?? NaN, 1),
      };
    });
    if (teacherSpans.length !== relays) env.progress(`  warning: ${teacherSpans.length} relays instead of ${relays} (stop: ${result.stats.stopReason})`);
    const decodeSteps = session.steps.filter((s) => !s.first && s.spliced === 0).map((s) => s.ms);
    const promptMs = session.steps[0]?.ms ?? NaN;
    return {
      wallMs: round(wallMs, 1),
      promptMs: round(promptMs, 1),
      afterPromptMs: round(wallMs - session.openMs - promptMs, 1),
      promptTokens: session.promptTokens,
      generatedTokens: result.stats.generatedTokens,
      relays: details,
      evaluatedTokens: result.stats.studentEvaluatedTokens,
      decodeStepMs: round(median(decodeSteps), 2),
      stopReason: result.stats.stopReason,
      perRelay: {
        evaluated: roundSummary(summarize(details.map((d) => d.evaluated)), 1),
        spanTokens: roundSummary(summarize(details.map((d) => d.spanTokens)), 1),
        extra: roundSummary(summarize(details.map((d) => d.extra)), 1),
        teacherMs: roundSummary(summarize(details.map((d) => d.teacherMs)), 1),
        spliceStepMs: roundSummary(summarize(details.map((d) => d.spliceStepMs)), 1),
        relayMs: roundSummary(summarize(details.map((d) => d.teacherMs + d.spliceStepMs)), 1),
      },
    };
  } finally {
    await teacher.dispose();
  }
}
