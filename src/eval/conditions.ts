/**
 * Evaluation conditions: a trigger policy with its parameters, under the name the report uses.
 * `teacher-free` is the paper's condition "the relay-trained student with its calls refused":
 * the student-only policy, which removes the tags and counts the ignored calls.
 */
import { createHash } from "node:crypto";
import { RelayError } from "../core/errors.js";
import { createPolicy, isPolicyName, type PolicyName, type PolicyOptions, type TriggerPolicy } from "../core/policies.js";

export const CONDITION_NAMES = ["learned", "teacher-free", "student-only", "teacher-only", "random", "fixed-span", "confidence", "auto"] as const;

/** Conditions whose measured call ratio a random router can be calibrated to. */
const RELAY_POLICIES: readonly PolicyName[] = ["learned", "fixed-span", "confidence", "auto"];

export interface Condition {
  /** The name in reports: a policy name, or "teacher-free". */
  name: string;
  policy: PolicyName;
  options: Partial<PolicyOptions>;
  /**
   * Identifies the results this condition produces: name plus the parameters that change
   * them. Rows of another signature are stale (e.g. a random router calibrated to another
   * ratio) and are neither reused nor reported.
   */
  signature: string;
  /** A random router without --random-p: calibrated per dataset to this condition's call ratio. */
  calibrateTo?: string;
  /** A short hash of the teacher's identity, for conditions that call it. */
  teacherTag?: string;
}

export interface ConditionOptions {
  spanTokens?: number;
  threshold?: number;
  fixedSpan?: number;
  randomP?: number;
  /** Which relay condition a random router is calibrated to; default: the first in the list. */
  calibrateTo?: string;
}

export function parseConditions(list: readonly string[], options: ConditionOptions = {}): Condition[] {
  const names = [...new Set(list.map((s) => s.trim()).filter(Boolean))];
  if (names.length === 0) throw new RelayError("invalid-argument", "No condition to evaluate.");
  for (const name of names) {
    if (!(CONDITION_NAMES as readonly string[]).includes(name)) throw new RelayError("invalid-argument", `Unknown condition ${name}; choose from ${CONDITION_NAMES.join(", ")}.`);
  }
  return names.map((name) => {
    const policy: PolicyName = name === "teacher-free" ? "student-only" : isPolicyName(name) ? name : "learned";
    const o: Partial<PolicyOptions> = {};
    if (policy === "confidence" || policy === "auto") Object.assign(o, { threshold: options.threshold, spanTokens: options.spanTokens });
    if (policy === "fixed-span") o.fixedSpanTokens = options.fixedSpan;
    if (policy === "random") Object.assign(o, { spanTokens: options.spanTokens, probability: options.randomP });
    const condition: Condition = { name, policy, options: o, signature: signatureOf(name, o) };
    if (policy === "random" && options.randomP === undefined) condition.calibrateTo = calibrationTarget(names, options.calibrateTo);
    return condition;
  });
}

function calibrationTarget(names: string[], wanted: string | undefined): string {
  const candidates = names.filter((n) => (RELAY_POLICIES as readonly string[]).includes(n));
  if (wanted !== undefined) {
    if (!candidates.includes(wanted)) throw new RelayError("invalid-argument", `--calibrate-to ${wanted}: evaluate it too (one of ${RELAY_POLICIES.join(", ")}).`);
    return wanted;
  }
  if (candidates.length === 0) throw new RelayError("invalid-argument", "The random router needs --random-p, or a relay condition (learned, fixed-span, confidence, auto) to calibrate its call ratio to.");
  return candidates[0];
}

/** "random(p=0.0204,k=16)@3f2a9c01": the name, the parameters that were set, the teacher. */
export function signatureOf(name: string, options: Partial<PolicyOptions>, teacherTag?: string): string {
  const short: Record<string, string> = { probability: "p", spanTokens: "k", threshold: "t", fixedSpanTokens: "n" };
  const params = Object.entries(options)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${short[k] ?? k}=${typeof v === "number" ? Number(v.toPrecision(6)) : String(v)}`);
  return (params.length ? `${name}(${params.join(",")})` : name) + (teacherTag ? `@${teacherTag}` : "");
}

/** The condition with its random router's probability set (calibration done). */
export function withProbability(condition: Condition, probability: number): Condition {
  const options = { ...condition.options, probability: Number(probability.toPrecision(6)) };
  return { ...condition, options, signature: signatureOf(condition.name, options, condition.teacherTag) };
}

/**
 * Ties the results of teacher-calling conditions to the teacher (model, API, temperature): a
 * new teacher makes them stale, while the student-only answers stay reusable.
 */
export function withTeacher(condition: Condition, teacherIdentity: string): Condition {
  if (!needsTeacher(condition)) return condition;
  const teacherTag = createHash("sha256").update(teacherIdentity).digest("hex").slice(0, 8);
  return { ...condition, teacherTag, signature: signatureOf(condition.name, condition.options, teacherTag) };
}

/**
 * The per-token probability p at which the random router's expected call ratio is `ratio`.
 * Each student step calls with probability p and then gets a span of `span` teacher tokens
 * instead of its own token, so teacher/student = p·span/(1−p) and
 * ratio = p·span / (1 − p + p·span), i.e. p = ratio / (span·(1 − ratio) + ratio).
 * (For small ratios this is the familiar p ≈ ratio / (span·(1 − ratio)).)
 */
export function randomProbabilityFor(ratio: number, span: number): number {
  if (!(ratio > 0)) return 0;
  if (ratio >= 1) return 1;
  return ratio / (span * (1 - ratio) + ratio);
}

/** A fresh policy for one answer; its seed varies per item and sample. */
export function policyFor(condition: Condition, seed: number): TriggerPolicy {
  return createPolicy(condition.policy, { ...condition.options, seed });
}

export function needsTeacher(condition: Condition): boolean {
  return condition.policy !== "student-only";
}
