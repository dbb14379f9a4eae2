/**
 * The words and numbers under an answer (the footer's figures) and the "asking teacher" line:
 * one wording for the chat panel (webview/format.ts, through src/protocol) and VS Code's native
 * chat (src/extension/chatParticipant.ts).
 */
import type { CallTokens, RelayStats } from "./spans.js";

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function formatInt(n: number): string {
  return int.format(Math.round(n));
}

export function plural(n: number, word: string): string {
  return `${formatInt(n)} ${word}${Math.round(n) === 1 ? "" : "s"}`;
}

export function formatPercent(ratio: number): string {
  return `${(Math.max(0, ratio) * 100).toFixed(1)}%`;
}

export function formatSeconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

/** US dollars: cents and more with 2 decimals, less with up to 6 significant places. */
export function formatUsd(usd: number): string {
  const v = Math.max(0, usd);
  if (v === 0) return "$0";
  if (v >= 0.01) return `$${v.toFixed(2)}`;
  return `$${v.toPrecision(2).replace(/0+$/, "")}`;
}

export type FigureStats = Pick<RelayStats, "generatedTokens" | "calls" | "callRatio" | "teacherPromptTokens" | "teacherCompletionTokens" | "durationMs" | "failedCalls" | "deniedCalls"> & {
  /** What the budget rose by (absent when no budget counted it). */
  teacherChargedTokens?: number;
  /** Prefill-warming prompt tokens (in the charge, not in the calls). */
  warmingPromptTokens?: number;
  /** Each teacher call's tokens, in order. */
  callTokens?: CallTokens[];
};

/** One part of the footer, with its hover. */
export interface StatPart {
  text: string;
  title?: string;
}

/**
 * The footer's parts: "N tokens", "K teacher calls" (and "F failed calls"; a failed call is never
 * counted as a teacher call), "call ratio X%", "teacher in/out A/B" (hover: each call's prompt
 * tokens and what the budget charged), "C charged" when the budget charged another number than the
 * provider reported (hover: why), ["cost $C",] "T s", denials. The cost shows when `cost` is given:
 * the estimate when the teacher has a price, "no price set" when it has none and was asked.
 */
export function statsParts(stats: FigureStats, cost?: { usd: number; priced: boolean }): StatPart[] {
  const answered = stats.calls - stats.failedCalls;
  const parts: StatPart[] = [{ text: plural(stats.generatedTokens, "token") }];
  if (answered > 0 || stats.failedCalls === 0) parts.push({ text: plural(answered, "teacher call") });
  if (stats.failedCalls > 0) parts.push({ text: plural(stats.failedCalls, "failed call"), title: "A failed call wrote nothing: the student went on alone. The answer marks where." });
  parts.push({ text: `call ratio ${formatPercent(stats.callRatio)}` });
  const reported = stats.teacherPromptTokens + stats.teacherCompletionTokens;
  parts.push({ text: `teacher in/out ${formatInt(stats.teacherPromptTokens)}/${formatInt(stats.teacherCompletionTokens)}`, title: callsTitle(stats) });
  const charged = stats.teacherChargedTokens;
  if (charged !== undefined && charged !== reported) parts.push({ text: `${formatInt(charged)} charged`, title: chargeTitle(stats, charged, reported) });
  if (cost) parts.push({ text: cost.priced || stats.calls === 0 ? `cost ${formatUsd(cost.usd)}` : "cost: no teacher price set" });
  parts.push({ text: formatSeconds(stats.durationMs) });
  if (stats.deniedCalls > 0) parts.push({ text: `${formatInt(stats.deniedCalls)} denied by budget` });
  return parts;
}

/** The footer's parts as plain text (where there is no hover: the native chat). */
export function statsTexts(stats: FigureStats, cost?: { usd: number; priced: boolean }): string[] {
  return statsParts(stats, cost).map((p) => p.text);
}

/** The in/out hover: the teacher's tokens per call (prompt in, completion out), and the charge. */
function callsTitle(stats: FigureStats): string {
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
function chargeTitle(stats: FigureStats, charged: number, reported: number): string {
  const warming = stats.warmingPromptTokens ? ` and ${formatInt(stats.warmingPromptTokens)} prompt tokens of prefill warming` : "";
  return (
    `Charged ${formatInt(charged)} to the budget (the provider reported ${formatInt(reported)}${warming}; ` +
    `Relay counts the prompt it sent with the student's tokenizer and the template's overhead, and never charges less than that). ` +
    `The budget in the status bar rose by ${formatInt(charged)}.`
  );
}

export const STATS_SEPARATOR = " · ";

/** "asking teacher · 4 tokens": while a teacher request is in flight. */
export function askingText(granted: number): string {
  return `asking teacher · ${plural(granted, "token")}`;
}
