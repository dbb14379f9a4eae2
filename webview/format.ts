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

/** One part of the footer, with its hover. */
export interface StatPart {
  text: string;
  title?: string;
}

/**
 * The footer's parts: "N tokens", "K teacher calls" (and "F failed calls"; a failed call is never
 * counted as a teacher call), "call ratio X%", "teacher in/out A/B" (hover: each call's prompt
 * tokens and what the budget charged), "C charged" when the budget charged another number than the
 * provider reported (hover: why), "T s", denials.
 */
export function statsParts(stats: StatsView): StatPart[] {
  const answered = stats.calls - stats.failedCalls;
  const parts: StatPart[] = [{ text: plural(stats.generatedTokens, "token") }];
  if (answered > 0 || stats.failedCalls === 0) parts.push({ text: plural(answered, "teacher call") });
  if (stats.failedCalls > 0) parts.push({ text: plural(stats.failedCalls, "failed call"), title: "A failed call wrote nothing: the student went on alone. The answer marks where." });
  parts.push({ text: `call ratio ${formatPercent(stats.callRatio)}` });
  const reported = stats.teacherPromptTokens + stats.teacherCompletionTokens;
  parts.push({ text: `teacher in/out ${formatInt(stats.teacherPromptTokens)}/${formatInt(stats.teacherCompletionTokens)}`, title: callsTitle(stats) });
  const charged = stats.teacherChargedTokens;
  if (charged !== undefined && charged !== reported) parts.push({ text: `${formatInt(charged)} charged`, title: chargeTitle(stats, charged, reported) });
  parts.push({ text: formatSeconds(stats.durationMs) });
  if (stats.deniedCalls > 0) parts.push({ text: `${formatInt(stats.deniedCalls)} denied by budget` });
  return parts;
}

/** The in/out hover: the teacher's tokens per call (prompt in, completion out), and the charge. */
function callsTitle(stats: StatsView): string {
  const lines = [`Teacher tokens: ${formatInt(stats.teacherPromptTokens)} in (prompt), ${formatInt(stats.teacherCompletionTokens)} out, as the provider reported them.`];
  const calls = stats.callTokens ?? [];
  if (calls.length > 0) {
    lines.push("Prompt tokens per call:");
    calls.forEach((c, i) => lines.push(`  call ${i + 1}: ${formatInt(c.promptTokens)} in, ${formatInt(c.completionTokens)} out${c.charged !== undefined ? `, charged ${formatInt(c.charged)}` : ""}${c.failed ? " (failed)" : ""}`));
  }
  if (stats.teacherChargedTokens !== undefined) lines.push(`Charged to the budget: ${formatInt(stats.teacherChargedTokens)}.`);
  return lines.join("\n");
}

/** Why the budget charged another number than the provider reported. */
function chargeTitle(stats: StatsView, charged: number, reported: number): string {
  const warming = stats.warmingPromptTokens ? ` and ${formatInt(stats.warmingPromptTokens)} prompt tokens of prefill warming` : "";
  return (
    `Charged ${formatInt(charged)} to the budget (the provider reported ${formatInt(reported)}${warming}; ` +
    `Relay counts the prompt it sent with the student's tokenizer and the template's overhead, and never charges less than that). ` +
    `The budget in the status bar rose by ${formatInt(charged)}.`
  );
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
