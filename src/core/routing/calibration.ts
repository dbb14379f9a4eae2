/**
 * Teacher-share calibration data: the student's own answers (made without the teacher) with
 * every token's features. Any scored policy's threshold for a target share is picked from them
 * by replaying its rules (share.ts). Recorded by `relay calibrate` (or `relay eval --sweep`) on
 * generated train problems, never on evaluation items.
 */
import type { PolicyName } from "../policies.js";
import { scoreThreshold } from "../policies.js";
import type { Router } from "./router.js";
import { thresholdForShare, type ReplayRules, type ScoreTrace, type ShareThreshold } from "./share.js";
import { signalScore, type SignalName } from "./signals.js";

export const CALIBRATION_FORMAT = "relay-calibration";

export interface CalibrationFile {
  format: typeof CALIBRATION_FORMAT;
  version: 1;
  featureVersion: number;
  student: { name: string; fingerprint: string };
  maxTokens: number;
  /** Generator seed and count of the train problems answered. */
  problems: { seed: number; count: number };
  answers: Array<{ capped: boolean; f: number[][] }>;
}

/** A scored policy's score for each recorded token. */
export function traces(file: CalibrationFile, policy: PolicyName, router?: Router): ScoreTrace[] {
  const score = policy === "router" || (policy === "auto" && router) ? (f: number[]) => (router as Router).score(f) : (f: number[]) => signalScore((policy === "auto" ? "confidence" : policy) as SignalName, f);
  return file.answers.map((a) => ({ capped: a.capped, scores: a.f.map(score) }));
}

/**
 * The policy's threshold (in its own terms: a probability for confidence and auto) at which the
 * recorded answers replay to `share` of the tokens from the teacher.
 */
export function thresholdFor(file: CalibrationFile, policy: PolicyName, share: number, rules: Omit<ReplayRules, "maxTokens">, router?: Router): ShareThreshold {
  const found = thresholdForShare(traces(file, policy, router), share, { ...rules, maxTokens: file.maxTokens });
  return { expected: found.expected, threshold: policyThreshold(policy, found.threshold, router) };
}

/** A score threshold in the policy's own terms: confidence (and auto without a router) take a probability. */
export function policyThreshold(policy: PolicyName, scoreThresholdValue: number, router?: Router): number {
  const usesRouter = policy === "router" || (policy === "auto" && router !== undefined);
  return usesRouter ? scoreThresholdValue : scoreThreshold(policy, scoreThresholdValue);
}
