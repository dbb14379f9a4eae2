/**
 * Evaluation conditions: a trigger policy with its parameters, under the name the report uses.
 * `teacher-free` is the paper's condition "the relay-trained student with its calls refused":
 * the student-only policy, which removes the tags and counts the ignored calls.
 */
import { createHash } from "node:crypto";
import { RelayError } from "../core/errors.js";
import { createPolicy, isPolicyName, SCORED_POLICIES, type PolicyName, type PolicyOptions, type TriggerPolicy } from "../core/policies.js";
import type { Router } from "../core/routing/router.js";

export const CONDITION_NAMES = ["learned", "teacher-free", "student-only", "teacher-only", "random", "fixed-span", "confidence", "auto", "entropy", "margin", "rolling-entropy", "step-entropy", "router"] as const;

/** Conditions whose measured call ratio a random router can be calibrated to. */
const RELAY_POLICIES: readonly PolicyName[] = ["learned", "fixed-span", "confidence", "auto", "entropy", "margin", "rolling-entropy", "step-entropy", "router"];

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
  /** A sweep point: the teacher share it was calibrated to (absent for explicit thresholds). */
  targetShare?: number;
  /** Run on these datasets only (a sweep point asked for on some datasets); absent: all. */
  datasets?: string[];
}

/** One operating point of a sweep: a teacher share (0..1) to calibrate to, or a threshold; on one dataset or all. */
export type SweepPoint = ({ share: number } | { threshold: number }) & { dataset?: string };

export interface ConditionOptions {
  spanTokens?: number;
  threshold?: number;
  cooldownTokens?: number;
  /** The router (router and auto conditions) and a short hash of its file, for the signature. */
  router?: Router;
  routerTag?: string;
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
    if (isScored(policy)) Object.assign(o, { threshold: options.threshold, spanTokens: options.spanTokens, cooldownTokens: options.cooldownTokens });
    if (policy === "router" || (policy === "auto" && options.router)) Object.assign(o, { router: options.router, routerTag: options.routerTag });
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

/** Scored policies: a threshold on a per-token score, swept over operating points. */
export function isScored(policy: PolicyName): boolean {
  return (SCORED_POLICIES as readonly string[]).includes(policy) || policy === "auto";
}

/** "random(p=0.0204,k=16)@3f2a9c01": the name, the parameters that were set, the teacher. */
export function signatureOf(name: string, options: Partial<PolicyOptions> & { routerTag?: string }, teacherTag?: string): string {
  const short: Record<string, string> = { probability: "p", spanTokens: "k", threshold: "t", fixedSpanTokens: "n", cooldownTokens: "c", routerTag: "r" };
  const params = Object.entries(options)
    .filter(([k, v]) => v !== undefined && k !== "router")
    .map(([k, v]) => `${short[k] ?? k}=${typeof v === "number" ? Number(v.toPrecision(6)) : String(v)}`);
  return (params.length ? `${name}(${params.join(",")})` : name) + (teacherTag ? `@${teacherTag}` : "");
}

/**
 * One condition per sweep point for each scored condition (`router @5%`, `confidence @t=0.15`),
 * its threshold from `thresholdFor` (a share's calibration); the random router, without a given
 * p, gets one point per point of the condition it is calibrated to. Others are kept as they are.
 */
export function expandSweep(conditions: readonly Condition[], points: readonly SweepPoint[], thresholdFor: (condition: Condition, share: number) => number): Condition[] {
  const label = (p: SweepPoint) => ("share" in p ? `${Number((p.share * 100).toPrecision(4))}%` : `t=${p.threshold}`);
  // One point per label; the datasets that asked for it (any point without one: all of them).
  const byLabel = new Map<string, { point: SweepPoint; datasets?: Set<string> }>();
  for (const p of points) {
    const seen = byLabel.get(label(p));
    if (!seen) byLabel.set(label(p), { point: p, datasets: p.dataset ? new Set([p.dataset]) : undefined });
    else if (!p.dataset) seen.datasets = undefined;
    else seen.datasets?.add(p.dataset);
  }
  const unique = [...byLabel.values()];
  const scope = (d?: Set<string>) => (d ? { datasets: [...d] } : {});
  const out: Condition[] = [];
  for (const c of conditions) {
    if (isScored(c.policy)) {
      for (const { point: p, datasets } of unique) {
        const threshold = "share" in p ? Number(thresholdFor(c, p.share).toPrecision(6)) : p.threshold;
        const options = { ...c.options, threshold };
        const name = `${c.name} @${label(p)}`;
        out.push({ ...c, name, options, signature: signatureOf(c.name, options, c.teacherTag), ...("share" in p ? { targetShare: p.share } : {}), ...scope(datasets) });
      }
    } else if (c.calibrateTo && conditions.some((r) => r.name === c.calibrateTo && isScored(r.policy))) {
      for (const { point: p, datasets } of unique) out.push({ ...c, name: `${c.name} @${label(p)}`, calibrateTo: `${c.calibrateTo} @${label(p)}`, ...scope(datasets) });
    } else out.push(c);
  }
  return out;
}

/** The condition with its random router's probability set (calibration done). */
export function withProbability(condition: Condition, probability: number): Condition {
  const options = { ...condition.options, probability: Number(probability.toPrecision(6)) };
  return { ...condition, options, signature: signatureOf(baseName(condition), options, condition.teacherTag) };
}

/** The scored condition at another threshold (a sweep point's aim corrected). */
export function withThreshold(condition: Condition, threshold: number): Condition {
  const options = { ...condition.options, threshold: Number(threshold.toPrecision(6)) };
  return { ...condition, options, signature: signatureOf(baseName(condition), options, condition.teacherTag) };
}

/** A sweep point's condition name without its point: results are keyed on what they depend on. */
function baseName(condition: Condition): string {
  return condition.name.split(" @")[0];
}

/**
 * Ties the results of teacher-calling conditions to the teacher (model, API, temperature): a
 * new teacher makes them stale, while the student-only answers stay reusable.
 */
export function withTeacher(condition: Condition, teacherIdentity: string): Condition {
  if (!needsTeacher(condition)) return condition;
  const teacherTag = createHash("sha256").update(teacherIdentity).digest("hex").slice(0, 8);
  return { ...condition, teacherTag, signature: signatureOf(baseName(condition), condition.options, teacherTag) };
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
