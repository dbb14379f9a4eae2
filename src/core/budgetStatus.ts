/**
 * One answer to "is the teacher budget spent?", read by everything that says so (the status bar
 * item, its tooltip, the notification, the chat's note on an answer), so that they always show
 * the same numbers against the same threshold.
 *
 * The budget is spent when nothing is left, and also when the ledger refused a call because what
 * is left is too little for one (a prompt alone can need more): from that refusal until more room
 * is made (a higher limit, a reset, a new period), the budget counts as spent at those numbers.
 */
import type { BudgetUsage } from "./budget.js";

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
}

export function budgetStatus(usage: BudgetUsage, refusal?: BudgetRefusal, warnAt = BUDGET_WARN_AT): BudgetStatus {
  const base = { used: usage.used, limit: usage.limit, remaining: usage.remaining, period: usage.period, periodKey: usage.periodKey };
  if (usage.limit <= 0) return { ...base, level: "unlimited", tooLittleLeft: false };
  const refusedNow = refusal !== undefined && refusal.periodKey === usage.periodKey && refusal.limit === usage.limit && usage.remaining <= refusal.remaining;
  if (usage.remaining <= 0 || refusedNow) return { ...base, level: "spent", tooLittleLeft: usage.remaining > 0 };
  return { ...base, level: usage.used / usage.limit >= warnAt ? "near" : "ok", tooLittleLeft: false };
}

/** "965 / 1,000 tokens used this month" — the numbers every message uses. */
export function budgetNumbers(s: BudgetStatus): string {
  const n = (x: number) => x.toLocaleString("en-US");
  return s.level === "unlimited" ? `${n(s.used)} tokens used this ${s.period} (no limit)` : `${n(s.used)} / ${n(s.limit)} tokens used this ${s.period}`;
}

/** The sentence for a spent budget (notification, tooltip, the chat's note). */
export function spentSentence(s: BudgetStatus): string {
  const left = s.tooLittleLeft ? `; the ${s.remaining.toLocaleString("en-US")} left are too few for a teacher call` : "";
  return `the teacher budget for this ${s.period} is spent (${budgetNumbers(s)}${left})`;
}
