/**
 * The confidence policy on real probabilities: the distribution of the student's top-1
 * probability, how often each candidate threshold would call (the product's own policy replayed
 * on the recorded probabilities), and what the default really did. Rendered as JSON + Markdown.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createPolicy, DEFAULT_POLICY_OPTIONS } from "../../src/core/policies.js";

export interface AnswerRecord {
  /** The top-1 probability of each token the student sampled, in order (the ones the teacher replaced too). */
  probabilities: number[];
  calls: number;
  studentTokens: number;
  teacherTokens: number;
  callRatio: number;
  stopReason: string;
}

export const CANDIDATE_THRESHOLDS = [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6];

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Calls the product's confidence policy makes on a recorded sequence (a replay: the teacher's text is not there). */
export function replayCalls(probabilities: readonly number[], threshold: number): number {
  const policy = createPolicy("confidence", { threshold });
  let calls = 0;
  for (const p of probabilities) {
    const token = { text: "", probability: p };
    if (policy.onToken(token) !== null) {
      calls++;
      policy.onTeacherSpan("", 0);
    } else policy.onKept(token);
  }
  return calls;
}

export interface ConfidenceReport {
  description: string;
  student: string;
  teacher: string;
  prompts: number;
  maxTokens: number;
  policy: { threshold: number; cooldownTokens: number; spanTokens: number };
  tokens: number;
  quantiles: Record<string, number>;
  /** Share of tokens per probability bucket [lo, hi). */
  histogram: Array<{ from: number; to: number; share: number }>;
  thresholds: Array<{ threshold: number; shareBelow: number; replayedCallsPerAnswer: number; answersWithACall: number }>;
  atDefault: {
    callsPerAnswer: number[];
    meanCallsPerAnswer: number;
    medianCallsPerAnswer: number;
    answersWithACall: number;
    meanCallRatio: number;
    stopReasons: Record<string, number>;
  };
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

export function buildReport(meta: { student: string; teacher: string; maxTokens: number }, answers: readonly AnswerRecord[]): ConfidenceReport {
  const all = answers.flatMap((a) => a.probabilities).sort((a, b) => a - b);
  const qs = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9];
  const edges = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0000001];
  const calls = answers.map((a) => a.calls);
  const sortedCalls = [...calls].sort((a, b) => a - b);
  const stopReasons: Record<string, number> = {};
  for (const a of answers) stopReasons[a.stopReason] = (stopReasons[a.stopReason] ?? 0) + 1;
  return {
    description:
      "SmolLM2-135M-Instruct answering the first 20 GSM8K test questions (greedy, the step-by-step \\boxed{} instruction), relayed under the confidence policy at the product's defaults with a local Qwen2.5-Coder-0.5B teacher. Written by test/real/confidenceOnGsm8k.test.ts.",
    student: meta.student,
    teacher: meta.teacher,
    prompts: answers.length,
    maxTokens: meta.maxTokens,
    policy: { threshold: DEFAULT_POLICY_OPTIONS.threshold, cooldownTokens: DEFAULT_POLICY_OPTIONS.cooldownTokens, spanTokens: DEFAULT_POLICY_OPTIONS.spanTokens },
    tokens: all.length,
    quantiles: Object.fromEntries(qs.map((q) => [`p${Math.round(q * 100)}`, round(quantile(all, q))])),
    histogram: edges.slice(0, -1).map((from, i) => ({ from, to: Math.min(1, edges[i + 1]), share: round(all.filter((p) => p >= from && p < edges[i + 1]).length / all.length) })),
    thresholds: CANDIDATE_THRESHOLDS.map((threshold) => {
      const replayed = answers.map((a) => replayCalls(a.probabilities, threshold));
      return {
        threshold,
        shareBelow: round(all.filter((p) => p < threshold).length / all.length),
        replayedCallsPerAnswer: round(replayed.reduce((s, n) => s + n, 0) / answers.length, 2),
        answersWithACall: replayed.filter((n) => n > 0).length,
      };
    }),
    atDefault: {
      callsPerAnswer: calls,
      meanCallsPerAnswer: round(calls.reduce((s, n) => s + n, 0) / answers.length, 2),
      medianCallsPerAnswer: quantile(sortedCalls, 0.5),
      answersWithACall: calls.filter((n) => n > 0).length,
      meanCallRatio: round(answers.reduce((s, a) => s + a.callRatio, 0) / answers.length),
      stopReasons,
    },
  };
}

export function renderMarkdown(r: ConfidenceReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    "# Confidence policy on real probabilities",
    "",
    r.description,
    "",
    `Student ${r.student}; teacher ${r.teacher}; ${r.prompts} prompts × up to ${r.maxTokens} tokens; policy defaults: threshold ${r.policy.threshold}, cool-down ${r.policy.cooldownTokens} tokens, ${r.policy.spanTokens} tokens per call.`,
    "",
    `## The student's top-1 probability (${r.tokens} tokens)`,
    "",
    `| ${Object.keys(r.quantiles).join(" | ")} |`,
    `|${Object.keys(r.quantiles).map(() => "---").join("|")}|`,
    `| ${Object.values(r.quantiles).map((v) => v.toFixed(3)).join(" | ")} |`,
    "",
    "| probability | share of tokens |",
    "|---|---|",
    ...r.histogram.map((b) => `| ${b.from.toFixed(1)}–${b.to.toFixed(1)} | ${pct(b.share)} |`),
    "",
    "## Candidate thresholds (the policy replayed on the recorded probabilities)",
    "",
    "| threshold | tokens below it | calls per answer (replayed) | answers with a call |",
    "|---|---|---|---|",
    ...r.thresholds.map((t) => `| ${t.threshold}${t.threshold === r.policy.threshold ? " (default)" : ""} | ${pct(t.shareBelow)} | ${t.replayedCallsPerAnswer.toFixed(2)} | ${t.answersWithACall} / ${r.prompts} |`),
    "",
    "## At the default threshold, relayed for real",
    "",
    `Calls per answer: mean ${r.atDefault.meanCallsPerAnswer}, median ${r.atDefault.medianCallsPerAnswer} (${r.atDefault.callsPerAnswer.join(", ")}); answers with a call: ${r.atDefault.answersWithACall} / ${r.prompts}; mean call ratio ${pct(r.atDefault.meanCallRatio)}; stops: ${Object.entries(r.atDefault.stopReasons).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
    "",
  ];
  return lines.join("\n");
}

export function writeReport(jsonPath: string, report: ConfidenceReport): void {
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(report, null, 2) + "\n");
  writeFileSync(jsonPath.replace(/\.json$/, ".md"), renderMarkdown(report));
}
