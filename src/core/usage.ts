/**
 * What a teacher call is charged: the provider's usage claim, made plausible. A provider can
 * report anything (negative numbers, 10^12, fractions, NaN); the charge is a whole number,
 * never below what we sent and received, never above what the reservation allows.
 */

export interface UsageClaim {
  promptTokens: unknown;
  completionTokens: unknown;
}

export interface UsageBounds {
  /** Prompt tokens we sent (our own count): the least a prompt can cost. */
  promptSent: number;
  /** Prompt tokens the reservation holds: the most a prompt can cost. */
  promptMax: number;
  /** Tokens of text we received (our own count). */
  completionReceived: number;
  /** Completion tokens granted: the most a completion can cost. */
  completionMax: number;
}

export interface PlausibleUsage {
  promptTokens: number;
  completionTokens: number;
  /** The provider's own numbers, kept when they were not plausible. */
  claimed?: { promptTokens: number | string; completionTokens: number | string };
}

const whole = (n: number) => (Number.isFinite(n) ? Math.max(0, Math.ceil(n)) : 0);

function clamp(value: unknown, min: number, max: number): number {
  const lo = whole(min);
  const hi = Math.max(lo, whole(max));
  // Fractions round up; a claim that is not a number could be anything: the most it may cost.
  if (typeof value !== "number" || Number.isNaN(value)) return hi;
  return Math.min(hi, Math.max(lo, Math.ceil(value)));
}

/** A JSON-safe record of a claimed number (Infinity and NaN have no JSON form). */
function record(value: unknown): number | string {
  return typeof value === "number" && Number.isFinite(value) ? value : String(value);
}

export function plausibleUsage(claim: UsageClaim, bounds: UsageBounds): PlausibleUsage {
  const promptTokens = clamp(claim.promptTokens, bounds.promptSent, bounds.promptMax);
  const completionTokens = clamp(claim.completionTokens, bounds.completionReceived, bounds.completionMax);
  const same = promptTokens === claim.promptTokens && completionTokens === claim.completionTokens;
  return same ? { promptTokens, completionTokens } : { promptTokens, completionTokens, claimed: { promptTokens: record(claim.promptTokens), completionTokens: record(claim.completionTokens) } };
}

/** Prompt tokens to reserve for an estimate (the teacher's tokenizer may count more). */
export function reservedPromptTokens(estimate: number, margin = 1.15): number {
  return Math.ceil(whole(estimate) * margin) + 8;
}
