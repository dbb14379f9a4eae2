/**
 * One answer to "is the teacher budget spent?", read by everything that says so (the status bar
 * item, its tooltip, the notification, the chat's note on an answer), so that they always show
 * the same numbers against the same threshold.
 *
 * The budget is spent when nothing is left, and also when the ledger refused a call because what
 * is left is too little for one (a prompt alone can need more): from that refusal until more room
 * is made (a higher limit, a reset, a new period), the budget counts as spent at those numbers.
 */
import type { BudgetUsage, ResetReport } from "./budget.js";

/** At this share of the limit the status bar warns. */
export const BUDGET_WARN_AT = 0.8;

export type BudgetLevel = "unlimited" | "ok" | "near" | "spent";

/** A refused reservation, as the budget looked then. */
export interface BudgetRefusal {
  periodKey: string;
  limit: number;
  remaining: number;
}

export interface BudgetStatus {
  level: BudgetLevel;
  used: number;
  limit: number;
  remaining: number;
  period: BudgetUsage["period"];
  periodKey: string;
  /** Spent although some tokens are left: too few for a teacher call. */
  tooLittleLeft: boolean;
  /** The period's spend is unknown (a damaged ledger): refused until a reset, whatever `used` says. */
  unknownSpend: boolean;
}

export function budgetStatus(usage: BudgetUsage, refusal?: BudgetRefusal, warnAt = BUDGET_WARN_AT): BudgetStatus {
  const base = { used: usage.used, limit: usage.limit, remaining: usage.remaining, period: usage.period, periodKey: usage.periodKey, unknownSpend: usage.limit > 0 && usage.unknownSpend };
  if (usage.limit <= 0) return { ...base, level: "unlimited", tooLittleLeft: false };
  const refusedNow = refusal !== undefined && refusal.periodKey === usage.periodKey && refusal.limit === usage.limit && usage.remaining <= refusal.remaining;
  if (usage.remaining <= 0 || refusedNow) return { ...base, level: "spent", tooLittleLeft: usage.remaining > 0 };
  return { ...base, level: usage.used / usage.limit >= warnAt ? "near" : "ok", tooLittleLeft: false };
}

const n = (x: number) => x.toLocaleString("en-US");

/**
 * "965 / 1,000 tokens used this month" — the numbers every message uses. A spend that is
 * unknown is said so, never shown as the (too low) count that could still be read.
 */
export function budgetNumbers(s: BudgetStatus): string {
  if (s.level === "unlimited") return `${n(s.used)} tokens used this ${s.period} (no limit)`;
  if (s.unknownSpend) return `spend unknown / ${n(s.limit)} tokens this ${s.period} (the budget ledger was damaged)`;
  return `${n(s.used)} / ${n(s.limit)} tokens used this ${s.period}`;
}

/** The short form for a status bar: "965/1k", "?/1k" when the spend is unknown. */
export function budgetFigure(s: BudgetStatus, format: (x: number) => string): string {
  if (s.level === "unlimited") return `${format(s.used)}/${format(Number.POSITIVE_INFINITY)}`;
  return `${s.unknownSpend ? "?" : format(s.used)}/${format(s.limit)}`;
}

/** The sentence for a spent budget (notification, tooltip, the chat's note). */
export function spentSentence(s: BudgetStatus): string {
  if (s.unknownSpend) return `the teacher budget for this ${s.period} is refused: its spend is unknown (${budgetNumbers(s)}); resetting the budget period starts it over`;
  const left = s.tooLittleLeft ? `; the ${n(s.remaining)} left are too few for a teacher call` : "";
  return `the teacher budget for this ${s.period} is spent (${budgetNumbers(s)}${left})`;
}

/** What a reset dropped, in one sentence ("nothing" when the period was empty). */
export function resetSummary(r: ResetReport): string {
  const parts: string[] = [];
  if (r.settled > 0 || r.calls > 0) parts.push(`${n(r.settled)} settled tokens (${n(r.calls)} ${r.calls === 1 ? "call" : "calls"})`);
  if (r.reserved > 0) parts.push(`${n(r.reserved)} tokens of calls in flight`);
  const dropped = parts.length ? `${parts.join(" and ")} of ${r.period} ${r.periodKey} no longer count` : `nothing was recorded for ${r.period} ${r.periodKey}`;
  const unknown = r.unknownSpend ? `; the spend the damaged ledger hid is lost with it (${r.unknown.join("; ") || "unknown spend"})` : "";
  return `${dropped}${unknown}.`;
}
