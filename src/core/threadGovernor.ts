/**
 * Chooses the student's CPU thread count from the decode speeds it actually gets.
 *
 * llama.cpp's worker threads spin and wait for each other, so when another process takes a
 * core every token waits for the slowest thread: on a busy 2-core machine 2 threads ran 12×
 * slower than 1. The governor keeps the best speed seen at each thread count; when an answer
 * decodes at under half of what as many threads (or more) did before, the next answer uses one
 * thread fewer; while backed off it
 * periodically tries one more again and keeps it only if it pays. An explicit thread setting
 * bypasses all of this (the caller then never creates a governor).
 */

export interface GovernorOptions {
  /** The ceiling: the thread count a quiet machine runs best with. */
  maxThreads: number;
  minThreads?: number;
  /** A speed below this share of the best seen at the same count counts as slowed down. */
  slowdown?: number;
  /** While backed off, answers between tries of one more thread. */
  probeEvery?: number;
  /** A probe keeps the extra thread only when it is at least this much faster. */
  probeGain?: number;
  /** Answers with fewer decoded tokens are too short to measure. */
  minTokens?: number;
}

export interface DecodeSample {
  threads: number;
  /** Tokens the student decoded (sampled), not prompt or spliced tokens. */
  tokens: number;
  /** Time spent decoding those tokens. */
  ms: number;
}

export type GovernorDecision = "kept" | "backed-off" | "probing" | "probe-kept" | "probe-dropped" | "too-short";

export interface GovernorStep {
  threads: number;
  decision: GovernorDecision;
  tokensPerSecond?: number;
}

export const GOVERNOR_DEFAULTS = { minThreads: 1, slowdown: 0.5, probeEvery: 6, probeGain: 1.1, minTokens: 16 };

export class ThreadGovernor {
  private readonly options: Required<GovernorOptions>;
  private readonly best = new Map<number, number>();
  private readonly recent = new Map<number, number>();
  private threads: number;
  private sinceBackoff = 0;
  /** The count a running probe came from. */
  private probeFrom: number | undefined;

  constructor(options: GovernorOptions) {
    this.options = { ...GOVERNOR_DEFAULTS, ...options };
    const { minThreads, maxThreads } = this.options;
    if (!Number.isInteger(maxThreads) || maxThreads < 1) throw new RangeError(`maxThreads must be a whole number ≥ 1: ${maxThreads}`);
    if (!Number.isInteger(minThreads) || minThreads < 1 || minThreads > maxThreads) throw new RangeError(`minThreads must be in [1, ${maxThreads}]: ${minThreads}`);
    this.threads = maxThreads;
  }

  /** The thread count for the next answer. */
  get current(): number {
    return this.threads;
  }

  /** Records one answer's decode speed and decides the thread count for the next one. */
  record(sample: DecodeSample): GovernorStep {
    if (sample.tokens < this.options.minTokens || sample.ms <= 0 || sample.threads !== this.threads) {
      // Too short to tell, or measured at a count that is no longer current.
      return { threads: this.threads, decision: "too-short" };
    }
    const speed = (sample.tokens * 1000) / sample.ms;
    const t = sample.threads;
    this.recent.set(t, speed);
    this.best.set(t, Math.max(this.best.get(t) ?? 0, speed));
    const decision = this.decide(t, speed);
    return { threads: this.threads, decision, tokensPerSecond: speed };
  }

  private decide(t: number, speed: number): GovernorDecision {
    const { minThreads, maxThreads, slowdown, probeEvery, probeGain } = this.options;
    if (this.probeFrom !== undefined) {
      const from = this.probeFrom;
      this.probeFrom = undefined;
      this.sinceBackoff = 0;
      if (speed >= (this.recent.get(from) ?? 0) * probeGain) return "probe-kept";
      this.threads = from;
      return "probe-dropped";
    }
    if (speed < this.reference(t) * slowdown && t > minThreads) {
      this.threads = t - 1;
      this.sinceBackoff = 0;
      return "backed-off";
    }
    if (t < maxThreads && ++this.sinceBackoff >= probeEvery) {
      this.probeFrom = t;
      this.threads = t + 1;
      return "probing";
    }
    return "kept";
  }

  /** What `t` threads should reach: the best seen with at least as many (fewer never beat it quiet). */
  private reference(t: number): number {
    let best = 0;
    for (const [u, speed] of this.best) if (u >= t) best = Math.max(best, speed);
    return best;
  }
}

/**
 * The default ceiling: every available core on a small machine (measured here: on 2 cores
 * 2 threads beat 1 when quiet), one core left for the editor and its language servers on a
 * bigger one.
 */
export function defaultThreadCeiling(availableCores: number): number {
  const cores = Math.max(1, Math.floor(availableCores));
  return cores <= 2 ? cores : cores - 1;
}
