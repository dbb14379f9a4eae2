/** The labelled spans of one answer, and the statistics derived from them. */

/** The labels of an answer's spans (src/protocol derives its schema from this list). */
export const SPAN_KINDS = ["student", "teacher", "failed-call", "budget-denied"] as const;
export type SpanKind = (typeof SPAN_KINDS)[number];

export interface TeacherUsage {
  promptTokens: number;
  completionTokens: number;
  cachedPromptTokens?: number;
  /** True when the provider returned no usage and the numbers were counted locally. */
  estimated: boolean;
  /** The provider's own numbers, when they were not plausible and were clamped. */
  claimed?: { promptTokens: number | string; completionTokens: number | string };
  /**
   * Tokens the budget charged for this call (prompt + completion), when a budget counted it. It
   * can exceed the provider's numbers: the budget never charges less than the prompt we sent,
   * counted with the student's tokenizer.
   */
  charged?: number;
}

export interface Span {
  kind: SpanKind;
  /** Text the user sees (command tags removed). Empty for failed and denied calls. */
  text: string;
  /** Generated tokens, counted with the student's tokenizer. */
  tokens: number;
  startMs: number;
  durationMs: number;
  /** Teacher spans and calls: tokens asked for by the policy, and tokens granted. */
  requested?: number;
  granted?: number;
  model?: string;
  usage?: TeacherUsage;
  finish?: "eos" | "length" | "stop";
  error?: string;
  /** Reasoning (a thinking model's `<think>` section), shown apart from the answer. */
  thought?: boolean;
  /**
   * The rest of the previous teacher span, past the end of the reasoning: the same call (not
   * counted again; its usage and timing are on the first part).
   */
  continued?: boolean;
}

export interface RelayStats {
  studentTokens: number;
  teacherTokens: number;
  generatedTokens: number;
  /** Teacher-generated tokens / all generated tokens (the paper's metric). */
  callRatio: number;
  calls: number;
  failedCalls: number;
  deniedCalls: number;
  malformedTags: number;
  /** Valid commands not honoured (policy refused them or maxCallsPerAnswer was reached). */
  ignoredCalls: number;
  teacherPromptTokens: number;
  teacherCompletionTokens: number;
  teacherCachedPromptTokens: number;
  estimatedCostUsd: number;
  /** Tokens the student evaluated (prompt + accepted + spliced): shows KV reuse. */
  studentEvaluatedTokens: number;
  promptTokens: number;
  durationMs: number;
  timeToFirstTokenMs: number | null;
  teacherMs: number;
  stopReason: StopReason;
  /** Prefill-warming requests sent (1-token prompt prefixes; counted in the budget and the cost). */
  warmingCalls: number;
  warmingPromptTokens: number;
  /**
   * What the budget charged for this answer (calls, failed calls the server took, warming), when
   * a budget counted it: the number the budget rose by.
   */
  teacherChargedTokens?: number;
}

/** Why an answer ended; "model-unloaded": the student was unloaded mid-answer (settings, Reload). */
export type StopReason = "eos" | "teacher-eos" | "max-tokens" | "max-calls" | "aborted" | "model-unloaded" | "context-full" | "error";

export interface TeacherPricing {
  /** USD per million input and output tokens. */
  inputPerMillion: number;
  outputPerMillion: number;
  cachedInputPerMillion?: number;
}

export interface StatsExtras {
  malformedTags: number;
  ignoredCalls: number;
  studentEvaluatedTokens: number;
  promptTokens: number;
  durationMs: number;
  timeToFirstTokenMs: number | null;
  stopReason: StopReason;
  pricing?: TeacherPricing;
  warming?: { calls: number; promptTokens: number; completionTokens: number; cachedPromptTokens: number; charged?: number };
}

export function computeStats(spans: readonly Span[], extras: StatsExtras): RelayStats {
  let studentTokens = 0;
  let teacherTokens = 0;
  let calls = 0;
  let failedCalls = 0;
  let deniedCalls = 0;
  let teacherPromptTokens = 0;
  let teacherCompletionTokens = 0;
  let teacherCachedPromptTokens = 0;
  let teacherMs = 0;
  let charged: number | undefined = extras.warming?.charged;
  for (const span of spans) {
    if (span.kind === "student") studentTokens += span.tokens;
    if (span.kind === "teacher") teacherTokens += span.tokens;
    if ((span.kind === "teacher" && !span.continued) || span.kind === "failed-call") {
      calls++;
      teacherMs += span.durationMs;
    }
    if (span.kind === "failed-call") failedCalls++;
    if (span.kind === "budget-denied") deniedCalls++;
    if (span.usage) {
      teacherPromptTokens += span.usage.promptTokens;
      teacherCompletionTokens += span.usage.completionTokens;
      teacherCachedPromptTokens += span.usage.cachedPromptTokens ?? 0;
      if (span.usage.charged !== undefined) charged = (charged ?? 0) + span.usage.charged;
    }
  }
  const generatedTokens = studentTokens + teacherTokens;
  return {
    studentTokens,
    teacherTokens,
    generatedTokens,
    callRatio: generatedTokens === 0 ? 0 : teacherTokens / generatedTokens,
    calls,
    failedCalls,
    deniedCalls,
    malformedTags: extras.malformedTags,
    ignoredCalls: extras.ignoredCalls,
    teacherPromptTokens,
    teacherCompletionTokens,
    teacherCachedPromptTokens,
    estimatedCostUsd:
      estimateCost(teacherPromptTokens, teacherCachedPromptTokens, teacherCompletionTokens, extras.pricing) +
      (extras.warming ? estimateCost(extras.warming.promptTokens, extras.warming.cachedPromptTokens, extras.warming.completionTokens, extras.pricing) : 0),
    studentEvaluatedTokens: extras.studentEvaluatedTokens,
    promptTokens: extras.promptTokens,
    durationMs: extras.durationMs,
    timeToFirstTokenMs: extras.timeToFirstTokenMs,
    teacherMs,
    stopReason: extras.stopReason,
    warmingCalls: extras.warming?.calls ?? 0,
    warmingPromptTokens: extras.warming?.promptTokens ?? 0,
    ...(charged !== undefined ? { teacherChargedTokens: charged } : {}),
  };
}

export function estimateCost(prompt: number, cached: number, completion: number, pricing?: TeacherPricing): number {
  if (!pricing) return 0;
  const cachedRate = pricing.cachedInputPerMillion ?? pricing.inputPerMillion;
  return ((prompt - cached) * pricing.inputPerMillion + cached * cachedRate + completion * pricing.outputPerMillion) / 1e6;
}

/** The answer a user sees (a thinking model's reasoning left out). */
export function answerText(spans: readonly Span[]): string {
  return spans
    .filter((s) => !s.thought)
    .map((s) => s.text)
    .join("");
}

/** The reasoning of a thinking model ("" when there was none). */
export function reasoningText(spans: readonly Span[]): string {
  return spans
    .filter((s) => s.thought)
    .map((s) => s.text)
    .join("");
}

/** One teacher call of an answer as the chat's footer lists it: prompt and completion tokens, the charge. */
export interface CallTokens {
  promptTokens: number;
  completionTokens: number;
  /** What the budget charged for it, when a budget counted it. */
  charged?: number;
  /** The call failed (what the server took of it is still counted). */
  failed?: boolean;
}

/** The answer's teacher calls in order, with their tokens (continuations of a call are not calls). */
export function callTokens(spans: readonly Span[]): CallTokens[] {
  return spans
    .filter((s) => (s.kind === "teacher" && !s.continued) || s.kind === "failed-call")
    .map((s) => ({
      promptTokens: s.usage?.promptTokens ?? 0,
      completionTokens: s.usage?.completionTokens ?? 0,
      ...(s.usage?.charged !== undefined ? { charged: s.usage.charged } : {}),
      ...(s.kind === "failed-call" ? { failed: true } : {}),
    }));
}
