/**
 * The student answering alone while every candidate token's features are recorded (router
 * training data, teacher-share calibration): the same tracker as the scored policies at run time.
 */
import type { TriggerPolicy } from "../core/policies.js";
import { FEATURE_TOP_K, FeatureTracker, type TokenView } from "../core/routing/features.js";

export class RecordingPolicy implements TriggerPolicy {
  readonly name = "student-only" as const;
  readonly needsProbabilities = true;
  readonly topK = FEATURE_TOP_K;
  readonly teacherOnly = false;
  readonly tokens: Array<{ t: string; f: number[] }> = [];
  private readonly tracker = new FeatureTracker();
  onToken(token: TokenView): null {
    this.tokens.push({ t: token.text, f: this.tracker.features(token).map(round) });
    return null;
  }
  onKept(token: TokenView): void {
    this.tracker.commit(token);
  }
  onCommand(): null {
    return null;
  }
  onTeacherSpan(): void {}
}

/** Six decimals: what the files keep (the run-time numbers differ below that). */
export function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
