/**
 * A teacher share in everyday use: the scores the active policy gave the user's own answers are
 * kept (per policy, a bounded window), the threshold for the target share is picked from them
 * (seeded by `relay calibrate`'s recording until enough answers are seen), and the share the
 * teacher really wrote is measured over recent answers, to show beside the target.
 */
import { thresholdForShare, type ReplayRules, type ScoreTrace, type ShareThreshold } from "./share.js";

export interface ShareSnapshot {
  version: 1;
  answers: Array<{ key: string; capped: boolean; scores: number[]; teacher: number; generated: number }>;
}

/** Answers of its own before a policy's threshold is picked from them alone. */
export const OWN_ANSWERS_NEEDED = 20;
/** Answers over which the achieved share is measured. */
export const ACHIEVED_WINDOW = 50;
/** Answers of its own before what a policy reached corrects its aim. */
export const CORRECTION_ANSWERS = 10;

/**
 * The share to aim the replay at so that the policy reaches `share`, given that aiming at
 * `share` reached `reached`: the achieved share is taken as proportional to the aim near it,
 * and the correction is held within a factor of 2 either way (a few answers are noisy).
 */
export function correctedAim(share: number, reached: number): number {
  return reached > 0 ? share * Math.min(2, Math.max(0.5, share / reached)) : share;
}

export class ShareTracker {
  private answers: ShareSnapshot["answers"];
  constructor(
    snapshot?: ShareSnapshot,
    private readonly limit = 200,
  ) {
    this.answers = snapshot?.version === 1 && Array.isArray(snapshot.answers) ? snapshot.answers.slice(-limit) : [];
  }

  /** One finished answer under the policy `key` (e.g. "router:1a2b3c4d"): its scores and what the teacher wrote. */
  record(key: string, scores: readonly number[], capped: boolean, teacherTokens: number, generatedTokens: number): void {
    if (generatedTokens <= 0) return;
    // Long answers are sampled down: the replay needs the shape, not every token.
    const kept = scores.length > 1024 ? scores.slice(0, 1024) : scores;
    this.answers.push({ key, capped, scores: kept.map((s) => Math.round(s * 1e4) / 1e4), teacher: teacherTokens, generated: generatedTokens });
    if (this.answers.length > this.limit) this.answers.splice(0, this.answers.length - this.limit);
  }

  /** How many answers of its own the policy has. */
  own(key: string): number {
    return this.answers.filter((a) => a.key === key).length;
  }

  /**
   * The score threshold for `share` (0..1) from the policy's own answers, topped up with `seed`
   * (a calibration recording) while it has fewer than OWN_ANSWERS_NEEDED; undefined with neither.
   */
  threshold(key: string, share: number, rules: ReplayRules, seed: readonly ScoreTrace[] = []): (ShareThreshold & { answers: number; aimed: number }) | undefined {
    const mine = this.answers.filter((a) => a.key === key);
    const own: ScoreTrace[] = mine.map((a) => ({ scores: a.scores, capped: a.capped }));
    const traces = own.length >= OWN_ANSWERS_NEEDED ? own : [...own, ...seed];
    if (traces.length === 0) return undefined;
    // The replay misses what a real call changes (the student's next words, a teacher that ends
    // the answer), so what the policy's own recent answers reached corrects the aim.
    const recent = mine.slice(-ACHIEVED_WINDOW);
    const generated = recent.reduce((n, a) => n + a.generated, 0);
    const reached = generated > 0 ? recent.reduce((n, a) => n + a.teacher, 0) / generated : 0;
    const aimed = recent.length >= CORRECTION_ANSWERS ? correctedAim(share, reached) : share;
    return { ...thresholdForShare(traces, aimed, rules), answers: traces.length, aimed };
  }

  /** The share of tokens the teacher wrote over the last answers (any policy). */
  achieved(): { share: number; answers: number } | undefined {
    const recent = this.answers.slice(-ACHIEVED_WINDOW);
    const generated = recent.reduce((n, a) => n + a.generated, 0);
    if (generated === 0) return undefined;
    return { share: recent.reduce((n, a) => n + a.teacher, 0) / generated, answers: recent.length };
  }

  snapshot(): ShareSnapshot {
    return { version: 1, answers: this.answers.slice() };
  }
}
