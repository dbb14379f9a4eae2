/**
 * Training-free trigger signals: one score per candidate token, higher = the teacher is more
 * likely needed. Each is read off the tracker's feature vector, so the calibration, the policy
 * and the router's training data all see the same number.
 */
import { FEATURE_NAMES, type FeatureName } from "./features.js";

export const SIGNAL_NAMES = ["confidence", "entropy", "margin", "rolling-entropy", "step-entropy"] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

const at = (name: FeatureName) => FEATURE_NAMES.indexOf(name);
const P_CHOSEN = at("p_chosen");
const ENTROPY = at("entropy");
const MARGIN = at("margin");
const ROLLING = at("rolling_entropy");
const LINE_START = at("line_start");

/** The score of a signal from a feature vector (FEATURE_NAMES order). */
export function signalScore(signal: SignalName, f: readonly number[]): number {
  switch (signal) {
    case "confidence":
      // BiLD-style: a low top-1 probability of the chosen token.
      return 1 - f[P_CHOSEN];
    case "entropy":
      return f[ENTROPY];
    case "margin":
      // A small gap between the two most likely tokens.
      return 1 - f[MARGIN];
    case "rolling-entropy":
      // Entropy Adaptive Decoding: the mean over the last few tokens.
      return f[ROLLING];
    case "step-entropy":
      // GlimpRouter: only the first token of a step (a line) decides; elsewhere never.
      return f[LINE_START] ? f[ENTROPY] : -1;
  }
}

/** Signals that need the distribution's top-K (confidence needs the chosen token's probability only). */
export function signalNeedsTopK(signal: SignalName): boolean {
  return signal !== "confidence";
}
