import assert from "node:assert/strict";
import { test } from "node:test";
import type { BudgetUsage } from "../../src/core/budget.js";
import { budgetNumbers, budgetStatus, spentSentence } from "../../src/core/budgetStatus.js";

const usage = (used: number, limit: number, periodKey = "2026-12"): BudgetUsage => ({
  period: "month",
  periodKey,
  limit,
  settled: used,
  reserved: 0,
  used,
  remaining: limit > 0 ? Math.max(0, limit - used) : Infinity,
  calls: 0,
  unknownSpend: false,
});

test("levels: ok below the warning share, near from it, spent at the limit, unlimited without one", () => {
  assert.equal(budgetStatus(usage(10, 100)).level, "ok");
  assert.equal(budgetStatus(usage(80, 100)).level, "near");
  assert.equal(budgetStatus(usage(100, 100)).level, "spent");
  assert.equal(budgetStatus(usage(5000, 0)).level, "unlimited");
});

test("issue 13: a refused call with tokens left makes the budget spent at the same numbers (toast and status bar agree)", () => {
  const u = usage(965, 1000);
  assert.equal(budgetStatus(u).level, "near");
  const refusal = { periodKey: u.periodKey, limit: u.limit, remaining: u.remaining };
  const s = budgetStatus(u, refusal);
  assert.equal(s.level, "spent");
  assert.equal(s.tooLittleLeft, true);
  assert.equal(spentSentence(s), "the teacher budget for this month is spent (965 / 1,000 tokens used this month; the 35 left are too few for a teacher call)");
  // The same budget after refusal with no tokens used at all (a prompt bigger than a tiny budget).
  const tiny = usage(0, 50);
  assert.equal(budgetStatus(tiny, { periodKey: tiny.periodKey, limit: 50, remaining: 50 }).level, "spent");
});

test("more room ends 'spent': a higher limit, a reset, a new period", () => {
  const refusal = { periodKey: "2026-12", limit: 1000, remaining: 35 };
  assert.equal(budgetStatus(usage(965, 2000), refusal).level, "ok");
  assert.equal(budgetStatus(usage(0, 1000), refusal).level, "ok");
  assert.equal(budgetStatus(usage(965, 1000, "2027-01"), refusal).level, "near");
  // Spending more keeps it spent.
  assert.equal(budgetStatus(usage(990, 1000), refusal).level, "spent");
});

test("numbers: thousands separated, no limit said so", () => {
  assert.equal(budgetNumbers(budgetStatus(usage(1234, 100000))), "1,234 / 100,000 tokens used this month");
  assert.equal(budgetNumbers(budgetStatus(usage(7, 0))), "7 tokens used this month (no limit)");
});

test("unknown spend (a damaged ledger) is said so, never shown as 0 / limit", () => {
  const u = { ...usage(0, 300), remaining: 0, unknownSpend: true };
  const s = budgetStatus(u);
  assert.equal(s.level, "spent");
  assert.doesNotMatch(budgetNumbers(s), /^0 \//);
  assert.equal(budgetNumbers(s), "spend unknown / 300 tokens this month (the budget ledger was damaged)");
  assert.match(spentSentence(s), /spend is unknown.*reset/);
  // Without a limit nothing is refused: the plain numbers.
  assert.equal(budgetNumbers(budgetStatus({ ...usage(12, 0), unknownSpend: true })), "12 tokens used this month (no limit)");
});
