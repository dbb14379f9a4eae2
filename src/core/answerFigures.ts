/**
 * The words and numbers under an answer (the footer's figures) and the "asking teacher" line:
 * one wording for the chat panel (webview/format.ts, through src/protocol) and VS Code's native
 * chat (src/extension/chatParticipant.ts).
 */
import type { RelayStats } from "./spans.js";

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

export type FigureStats = Pick<RelayStats, "generatedTokens" | "calls" | "callRatio" | "teacherPromptTokens" | "teacherCompletionTokens" | "durationMs" | "failedCalls" | "deniedCalls">;

/**
 * The footer's parts: "N tokens", "K teacher calls", "call ratio X%", "teacher in/out A/B",
 * ["cost $C",] "T s" (+ failures, denials). The cost shows when `cost` is given: the estimate
 * when the teacher has a price, "no price set" when it has none and was asked.
 */
export function statsParts(stats: FigureStats, cost?: { usd: number; priced: boolean }): string[] {
  const parts = [
    plural(stats.generatedTokens, "token"),
    plural(stats.calls, "teacher call"),
    `call ratio ${formatPercent(stats.callRatio)}`,
    `teacher in/out ${formatInt(stats.teacherPromptTokens)}/${formatInt(stats.teacherCompletionTokens)}`,
  ];
  if (cost) parts.push(cost.priced || stats.calls === 0 ? `cost ${formatUsd(cost.usd)}` : "cost: no teacher price set");
  parts.push(formatSeconds(stats.durationMs));
  if (stats.failedCalls > 0) parts.push(`${formatInt(stats.failedCalls)} failed`);
  if (stats.deniedCalls > 0) parts.push(`${formatInt(stats.deniedCalls)} denied by budget`);
  return parts;
}

export const STATS_SEPARATOR = " · ";

/** "asking teacher · 4 tokens": while a teacher request is in flight. */
export function askingText(granted: number): string {
  return `asking teacher · ${plural(granted, "token")}`;
}
