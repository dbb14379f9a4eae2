/** The words and numbers the panel shows: footers, tooltips, notes. */
import type { SpanView, StatsView } from "../src/protocol/chat.js";

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function formatInt(n: number): string {
  return int.format(Math.round(n));
}

function plural(n: number, word: string): string {
  return `${formatInt(n)} ${word}${Math.round(n) === 1 ? "" : "s"}`;
}

export function formatPercent(ratio: number): string {
  return `${(Math.max(0, ratio) * 100).toFixed(1)}%`;
}

export function formatSeconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

/** The footer's parts: "N tokens", "K teacher calls", "call ratio X%", "teacher in/out A/B", "T s" (+ failures, denials). */
export function statsParts(stats: StatsView): string[] {
  const parts = [
    plural(stats.generatedTokens, "token"),
    plural(stats.calls, "teacher call"),
    `call ratio ${formatPercent(stats.callRatio)}`,
    `teacher in/out ${formatInt(stats.teacherPromptTokens)}/${formatInt(stats.teacherCompletionTokens)}`,
    formatSeconds(stats.durationMs),
  ];
  if (stats.failedCalls > 0) parts.push(`${formatInt(stats.failedCalls)} failed`);
  if (stats.deniedCalls > 0) parts.push(`${formatInt(stats.deniedCalls)} denied by budget`);
  return parts;
}

export const STATS_SEPARATOR = " · ";

/** Tooltip of a teacher span: "teacher <model> · <tokens> tokens · <latency> ms". */
export function teacherTitle(span: SpanView, open: boolean): string {
  const model = span.model ?? "model";
  if (open) return `teacher ${model} · streaming…`;
  const latency = span.durationMs === undefined ? "" : ` · ${formatInt(span.durationMs)} ms`;
  return `teacher ${model} · ${plural(span.tokens, "token")}${latency}`;
}

export function noteText(span: SpanView): { label: string; title: string } {
  if (span.kind === "budget-denied") {
    return {
      label: "teacher budget spent",
      title: span.error ? `Teacher call denied: ${span.error}` : "Teacher call denied: the teacher budget is spent. The student went on alone.",
    };
  }
  const who = span.model ? `teacher ${span.model}` : "teacher";
  return {
    label: "teacher call failed",
    // Provider messages often end with their own period ("Connection error."): one is enough.
    title: `${who} call failed${span.error ? `: ${span.error.replace(/\.+$/, "")}` : ""}. The student went on alone.`,
  };
}

export function askingText(granted: number): string {
  return `asking teacher · ${plural(granted, "token")}`;
}
