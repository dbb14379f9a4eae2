/**
 * Chooses the student's CPU thread count from the decode speeds it actually gets.
 *
 * llama.cpp's worker threads spin and wait for each other, so when another process takes a
 * core every token waits for the slowest thread: on a busy 2-core machine 2 threads ran 10–100×
 * slower than 1. The governor keeps the speed seen at each thread count and:
 * - starts below the ceiling when the machine is already busy (startThreads);
 * - backs off one thread when an answer (or the first minTokens of one) decodes at under half of
 *   what as many threads or more did before;
 * - probes a neighbouring count (one more, or one fewer from the ceiling) after the first
 *   measured answer and then now and then, and keeps it only if it pays; a probe that is
 *   clearly slower is abandoned mid-answer (check), and each failed probe doubles the wait
 *   before the next one (capped), so a slow setting costs a few tokens now and then, not
 *   whole answers.
 * - between answers, takes a hint of the cores other processes left free (hint): threads on a
 *   core someone else holds step down before the answer starts, and a core freed since the
 *   last look is probed at once instead of at the next scheduled probe (the speed it brings
 *   still decides whether it is kept).
 * An explicit thread setting bypasses all of this (the caller then never creates a governor).
 */

export interface GovernorOptions {
  /** The ceiling: the thread count a quiet machine runs best with. */
  maxThreads: number;
  minThreads?: number;
  /** The count the first answer uses (clamped to [minThreads, maxThreads]); default maxThreads. */
  startThreads?: number;
  /** A speed below this share of the best seen at as many threads or more counts as slowed down. */
  slowdown?: number;
  /** Measured answers before the first probe: early, since nothing is known yet (a tiny model can run best on fewer threads even on a quiet machine). */
  firstProbeAfter?: number;
  /** Answers between probes after a change; doubles after each failed probe. */
  probeEvery?: number;
  /** The longest wait between probes, in answers. */
  maxProbeEvery?: number;
  /** A probe up keeps the extra thread only when it is at least this much faster; one below this inverse is abandoned. */
  probeGain?: number;
  /** Answers with fewer decoded tokens are too short to measure; a back-off mid-answer waits for as many. */
  minTokens?: number;
  /** Decoded tokens after which a probe may be judged mid-answer. */
  probeTokens?: number;
}

export interface DecodeSample {
  threads: number;
  /** Tokens the student decoded (sampled), not prompt or spliced tokens. */
  tokens: number;
  /** Time spent decoding those tokens. */
  ms: number;
}

export type GovernorDecision = "kept" | "backed-off" | "probing" | "probe-kept" | "probe-dropped" | "probe-abandoned" | "too-short" | "cores-taken" | "core-freed";

export interface GovernorStep {
  threads: number;
  decision: GovernorDecision;
  tokensPerSecond?: number;
  /** The speed the sample was judged against (the best at ≥ its count, or the probe's origin). */
  reference?: number;
}

type HintClass = "taken" | "room" | "neutral";
/** How far (in cores) the free cores must fall short of the threads, or exceed them, to count. */
const HINT_SLACK = 0.75;
/** How far back a reading must come before its class is left (hysteresis). */
const HINT_KEEP = 0.25;

export const GOVERNOR_DEFAULTS = { minThreads: 1, slowdown: 0.5, firstProbeAfter: 1, probeEvery: 6, maxProbeEvery: 48, probeGain: 1.1, minTokens: 16, probeTokens: 4 };

export class ThreadGovernor {
  private readonly options: Required<Omit<GovernorOptions, "startThreads">>;
  private readonly best = new Map<number, number>();
  private readonly recent = new Map<number, number>();
  private threads: number;
  private sinceProbe = 0;
  private interval: number;
  /** The count a running probe came from. */
  private probeFrom: number | undefined;
  /** Direction of the last probe, so a count between the bounds tries both ways in turn. */
  private lastProbeUp = false;
  /** The last hint's class (hint acts on changes only) and a core freed not yet probed. */
  private lastHint: HintClass = "neutral";
  private roomPending = false;

  constructor(options: GovernorOptions) {
    const { startThreads, ...rest } = options;
    this.options = { ...GOVERNOR_DEFAULTS, ...rest };
    const { minThreads, maxThreads, probeEvery, maxProbeEvery } = this.options;
    if (!Number.isInteger(maxThreads) || maxThreads < 1) throw new RangeError(`maxThreads must be a whole number ≥ 1: ${maxThreads}`);
    if (!Number.isInteger(minThreads) || minThreads < 1 || minThreads > maxThreads) throw new RangeError(`minThreads must be in [1, ${maxThreads}]: ${minThreads}`);
    if (!(probeEvery >= 1) || !(maxProbeEvery >= 1)) throw new RangeError(`probeEvery and maxProbeEvery must be ≥ 1: ${probeEvery}, ${maxProbeEvery}`);
    this.threads = Math.min(maxThreads, Math.max(minThreads, Math.round(startThreads ?? maxThreads)));
    this.interval = Math.max(1, Math.min(probeEvery, this.options.firstProbeAfter));
  }

  /** The thread count for the next answer (or, after check, for the rest of this one). */
  get current(): number {
    return this.threads;
  }

  get ceiling(): number {
    return this.options.maxThreads;
  }

  /** Answers between probes now (grows after failed probes). */
  get probeInterval(): number {
    return this.interval;
  }

  /** Whether the current count is a probe not yet judged. */
  get probing(): boolean {
    return this.probeFrom !== undefined;
  }

  /**
   * Mid-answer: the decode steps so far at the current count. Returns a step only when the
   * count changes for the rest of the answer (the caller then starts a new sample at it):
   * a probe clearly slower than where it came from is abandoned, and a count that has slowed
   * down backs off without waiting for the answer's end.
   */
  check(sample: DecodeSample): GovernorStep | undefined {
    if (sample.threads !== this.threads || sample.ms <= 0 || sample.tokens < 1) return undefined;
    const { probeTokens, probeGain, minTokens, slowdown, minThreads } = this.options;
    const speed = (sample.tokens * 1000) / sample.ms;
    if (this.probeFrom !== undefined) {
      const from = this.probeFrom;
      const reference = this.recent.get(from);
      if (reference === undefined) return undefined;
      // Slower than 1/probeGain of the origin over at least probeTokens tokens, or already
      // longer than the origin would take for probeTokens: it cannot pay.
      const limitMs = (Math.max(sample.tokens, probeTokens) * 1000 * probeGain) / reference;
      if (sample.ms <= limitMs) return undefined;
      this.probeFrom = undefined;
      this.threads = from;
      this.failedProbe();
      return { threads: from, decision: "probe-abandoned", tokensPerSecond: speed, reference };
    }
    if (sample.tokens < minTokens || this.threads <= minThreads) return undefined;
    const reference = this.reference(this.threads);
    if (speed >= reference * slowdown) return undefined;
    this.note(sample.threads, speed);
    this.backOff();
    return { threads: this.threads, decision: "backed-off", tokensPerSecond: speed, reference };
  }

  /**
   * Before an answer: `freeCores` is what other processes left of the cores since the last
   * look (cores minus their average use). Only a change acts, so a hint that stays the same
   * never overrides what the speeds showed: other work taking a core our threads use
   * (about a core fewer free than threads) steps down to the free cores at once, and a core
   * becoming free (about a core more than threads) probes one more thread at the next
   * chance. Returns a step when the count changes.
   */
  hint(freeCores: number): GovernorStep | undefined {
    if (!Number.isFinite(freeCores)) return undefined;
    const { minThreads, maxThreads } = this.options;
    // Judged against the settled count, so a probe of our own does not read as a change.
    const settled = this.probeFrom ?? this.threads;
    // Hysteresis: a class is entered at HINT_SLACK and left only past HINT_KEEP, so readings
    // that wobble around a threshold (other processes' small, uneven use) do not read as changes.
    const stays = (this.lastHint === "taken" && freeCores <= settled - HINT_KEEP) || (this.lastHint === "room" && freeCores >= settled + HINT_KEEP);
    const now: HintClass = stays ? this.lastHint : freeCores <= settled - HINT_SLACK ? "taken" : freeCores >= settled + HINT_SLACK ? "room" : "neutral";
    const changed = now !== this.lastHint;
    this.lastHint = now;
    const from = this.probeFrom;
    const probingUp = from !== undefined && this.threads > from;
    // A probe up in flight already tries the freed core.
    if (now !== "room" || probingUp) this.roomPending = false;
    else if (changed) this.roomPending = true;
    if (probingUp && freeCores <= this.threads - HINT_SLACK) {
      // A probe up onto a core someone else now holds would only spin: given up, not failed.
      this.threads = from;
      this.probeFrom = undefined;
      this.sinceProbe = 0;
      return { threads: this.threads, decision: "cores-taken" };
    }
    if (now === "taken" && changed && settled > minThreads) {
      this.probeFrom = undefined;
      this.threads = Math.min(settled - 1, Math.max(minThreads, Math.floor(freeCores + 1 - HINT_SLACK)));
      this.sinceProbe = 0;
      this.interval = this.options.probeEvery;
      return { threads: this.threads, decision: "cores-taken" };
    }
    if (this.roomPending && this.threads < maxThreads && this.probeFrom === undefined && this.recent.has(this.threads)) {
      this.roomPending = false;
      this.lastProbeUp = true;
      this.probeFrom = this.threads;
      this.threads += 1;
      this.sinceProbe = 0;
      return { threads: this.threads, decision: "core-freed" };
    }
    return undefined;
  }

  /** Records one answer's decode speed (its last sample) and decides the count for the next one. */
  record(sample: DecodeSample): GovernorStep {
    if (sample.tokens < this.options.minTokens || sample.ms <= 0 || sample.threads !== this.threads) {
      // Too short to tell, or measured at a count that is no longer current.
      return { threads: this.threads, decision: "too-short" };
    }
    const speed = (sample.tokens * 1000) / sample.ms;
    const t = sample.threads;
    const from = this.probeFrom;
    const reference = from !== undefined ? this.recent.get(from) : this.reference(t);
    this.note(t, speed);
    const decision = this.decide(t, speed);
    return { threads: this.threads, decision, tokensPerSecond: speed, reference };
  }

  private note(t: number, speed: number): void {
    this.recent.set(t, speed);
    this.best.set(t, Math.max(this.best.get(t) ?? 0, speed));
  }

  private decide(t: number, speed: number): GovernorDecision {
    const { minThreads, maxThreads, slowdown, probeGain } = this.options;
    if (this.probeFrom !== undefined) {
      const from = this.probeFrom;
      this.probeFrom = undefined;
      const origin = this.recent.get(from) ?? 0;
      // More threads must pay for themselves; fewer are kept when as fast (headroom for the editor).
      if (speed >= origin * (t > from ? probeGain : 1)) {
        this.sinceProbe = 0;
        this.interval = this.options.probeEvery;
        return "probe-kept";
      }
      this.threads = from;
      this.failedProbe();
      return "probe-dropped";
    }
    if (speed < this.reference(t) * slowdown && t > minThreads) {
      this.backOff();
      return "backed-off";
    }
    if (++this.sinceProbe >= this.interval && maxThreads > minThreads) {
      const up = t < maxThreads && (t === minThreads || !this.lastProbeUp);
      this.lastProbeUp = up;
      if (up) this.roomPending = false;
      this.probeFrom = t;
      this.threads = up ? t + 1 : t - 1;
      this.sinceProbe = 0;
      return "probing";
    }
    return "kept";
  }

  private backOff(): void {
    this.threads -= 1;
    this.sinceProbe = 0;
    // The machine changed: look again soon.
    this.interval = this.options.probeEvery;
  }

  private failedProbe(): void {
    this.sinceProbe = 0;
    const { probeEvery, maxProbeEvery } = this.options;
    // After the first (early) probe the waits are probeEvery, doubling.
    this.interval = Math.min(Math.max(probeEvery, maxProbeEvery), Math.max(probeEvery, this.interval * 2));
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

/**
 * The first answer's thread count: the cores other work leaves free (the 1-minute load
 * average, taken before the student runs), within [1, ceiling]. A core already busy makes
 * threads that share it spin and wait, so a busy machine starts low and probes up.
 */
export function startThreads(ceiling: number, cores: number, loadAverage: number): number {
  if (!Number.isFinite(loadAverage) || loadAverage < 0) return ceiling;
  const free = Math.round(Math.max(0, cores - loadAverage));
  return Math.min(ceiling, Math.max(1, free));
}
