/**
 * Trigger policies: when to ask the teacher, and for how many tokens. One instance per answer
 * (policies keep per-answer state such as a cool-down and the features of the answer so far).
 */

import { SETTING_DEFAULTS } from "./defaults.js";
import { RelayError } from "./errors.js";
import { seededRandom } from "./random.js";
import { FeatureTracker, FEATURE_TOP_K, type TokenView } from "./routing/features.js";
import type { Router } from "./routing/router.js";
import { SIGNAL_NAMES, signalNeedsTopK, signalScore, type SignalName } from "./routing/signals.js";

export type { TokenView } from "./routing/features.js";

export type PolicyName = "learned" | "confidence" | "auto" | "student-only" | "teacher-only" | "random" | "fixed-span" | "entropy" | "margin" | "rolling-entropy" | "step-entropy" | "router";
export const POLICY_NAMES: readonly PolicyName[] = ["learned", "confidence", "auto", "student-only", "teacher-only", "random", "fixed-span", "entropy", "margin", "rolling-entropy", "step-entropy", "router"];
/** Policies that score every token and call above a threshold (calibrated to a teacher share). */
export const SCORED_POLICIES: readonly PolicyName[] = [...SIGNAL_NAMES, "router"];

export interface TriggerPolicy {
  readonly name: PolicyName;
  /** Whether token probabilities are needed (they cost a little per token). */
  readonly needsProbabilities: boolean;
  /** How many of the distribution's top probabilities each token needs (0: none). */
  readonly topK: number;
  /** The whole answer comes from the teacher (the teacher-only baseline). */
  readonly teacherOnly: boolean;
  /**
   * Called for each sampled student token before it is committed. Returning a span size asks
   * the teacher instead of keeping that token (BiLD-style fallback).
   */
  onToken(token: TokenView): number | null;
  /** The token last passed to onToken was kept (no call, or the call could not be made). */
  onKept(token: TokenView): void;
  /** The student wrote `<call>n</call>`: the span to ask for, or null to ignore it. */
  onCommand(n: number): number | null;
  /** A teacher span was spliced in (resets cool-downs); `tokens` in the student's tokenizer. */
  onTeacherSpan(text: string, tokens: number): void;
  /** The score of each token seen (scored policies), for calibrating a teacher share. */
  readonly scores?: readonly number[];
}

export interface PolicyOptions {
  /**
   * The call threshold. confidence: the top-1 probability below which to call (0.2); the other
   * scored policies: the score above which to call (entropy in nats, 1 − margin, the router's
   * probability).
   */
  threshold: number;
  /** Scored policies and random: tokens asked for per call. */
  spanTokens: number;
  /** Scored policies: student tokens after a call (and at the start) before another may be made. */
  cooldownTokens: number;
  /** random: per-token call probability. */
  probability: number;
  seed: number;
  /** fixed-span: every learned call asks for this many tokens (the paper's Fixed-100). */
  fixedSpanTokens: number;
  /** router (and auto, when given): the trained router. */
  router?: Router;
  /** auto with a router: the router's threshold (`threshold` is the confidence fallback's); default: the router file's. */
  routerThreshold?: number;
}

export const DEFAULT_POLICY_OPTIONS: PolicyOptions = {
  // About the 5th percentile of a real small student's top-1 probability on GSM8K
  // (bench/results/real-confidence.md); the threshold and span are the product defaults (src/core/defaults.ts).
  threshold: SETTING_DEFAULTS["confidence.threshold"],
  spanTokens: SETTING_DEFAULTS["confidence.spanTokens"],
  cooldownTokens: 24,
  probability: 0.01,
  seed: 1,
  fixedSpanTokens: 100,
};

/**
 * Default thresholds of the signals other than confidence: where each hands about 5% of the
 * tokens to the teacher on a real small student (SmolLM2-135M, `relay calibrate`: 60 generated
 * problems, span 16, cool-down 24). A teacher share (`--share`) picks them per student instead.
 */
export const DEFAULT_SIGNAL_THRESHOLDS: Record<Exclude<SignalName, "confidence">, number> & { router: number } = {
  entropy: 2.59,
  margin: 0.997,
  "rolling-entropy": 1.98,
  "step-entropy": 2.53,
  // A router file carries its own; this is for one that does not.
  router: 0.5,
};

abstract class BasePolicy implements TriggerPolicy {
  abstract readonly name: PolicyName;
  readonly needsProbabilities: boolean = false;
  readonly topK: number = 0;
  readonly teacherOnly: boolean = false;
  onToken(_token: TokenView): number | null {
    return null;
  }
  onKept(_token: TokenView): void {}
  onCommand(_n: number): number | null {
    return null;
  }
  onTeacherSpan(_text: string, _tokens: number): void {}
}

class LearnedPolicy extends BasePolicy {
  readonly name = "learned";
  override onCommand(n: number): number {
    return n;
  }
}

class FixedSpanPolicy extends BasePolicy {
  readonly name = "fixed-span";
  constructor(private readonly span: number) {
    super();
  }
  override onCommand(): number {
    return this.span;
  }
}

class StudentOnlyPolicy extends BasePolicy {
  readonly name = "student-only";
}

class TeacherOnlyPolicy extends BasePolicy {
  readonly name = "teacher-only";
  override readonly teacherOnly = true;
}

/**
 * Scores every candidate token (a training-free signal or the router) and calls the teacher for
 * a span when the score is above the threshold, past the cool-down.
 */
class ScoredPolicy extends BasePolicy {
  override readonly needsProbabilities = true;
  override readonly topK: number;
  readonly scores: number[] = [];
  private readonly tracker = new FeatureTracker();
  private sinceCall = 0;
  constructor(
    readonly name: PolicyName,
    private readonly score: (features: readonly number[]) => number,
    /** Call when the score is above this. */
    private readonly above: number,
    private readonly span: number,
    private readonly cooldown: number,
    topK: number,
  ) {
    super();
    this.topK = topK;
  }
  override onToken(token: TokenView): number | null {
    this.sinceCall++;
    const score = this.score(this.tracker.features(token));
    this.scores.push(score);
    // No call on the very first tokens either: the teacher needs some answer to continue.
    if (this.sinceCall <= this.cooldown) return null;
    return score > this.above ? this.span : null;
  }
  override onKept(token: TokenView): void {
    this.tracker.commit(token);
  }
  override onTeacherSpan(text: string, tokens: number): void {
    this.tracker.teacher(text, tokens);
    this.sinceCall = 0;
  }
}

/** Learned calls; the fallback's calls too until the model shows it writes commands itself. */
class AutoPolicy extends BasePolicy {
  readonly name = "auto";
  override readonly needsProbabilities = true;
  override readonly topK: number;
  constructor(
    private readonly fallback: TriggerPolicy,
    private readonly memory: TagMemory,
  ) {
    super();
    this.topK = fallback.topK;
  }
  get scores(): readonly number[] | undefined {
    return this.fallback.scores;
  }
  override onToken(token: TokenView): number | null {
    const call = this.fallback.onToken(token);
    return this.memory.seenCommand ? null : call;
  }
  override onKept(token: TokenView): void {
    this.fallback.onKept(token);
  }
  override onCommand(n: number): number {
    this.memory.seenCommand = true;
    return n;
  }
  override onTeacherSpan(text: string, tokens: number): void {
    this.fallback.onTeacherSpan(text, tokens);
  }
}

class RandomPolicy extends BasePolicy {
  readonly name = "random";
  private readonly random: () => number;
  constructor(private readonly options: PolicyOptions) {
    super();
    this.random = seededRandom(options.seed);
  }
  override onToken(): number | null {
    return this.random() < this.options.probability ? this.options.spanTokens : null;
  }
}

/** Remembers, per loaded student model, whether it has ever written a command. */
export interface TagMemory {
  seenCommand: boolean;
}

/** The threshold of a scored policy as its score compares it (confidence: 1 − probability). */
export function scoreThreshold(name: PolicyName, threshold: number): number {
  return name === "confidence" || name === "auto" ? 1 - threshold : threshold;
}

export function createPolicy(name: PolicyName, options: Partial<PolicyOptions> = {}, memory: TagMemory = { seenCommand: false }): TriggerPolicy {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o: PolicyOptions = { ...DEFAULT_POLICY_OPTIONS, ...given };
  const scored = (policy: PolicyName, routerThreshold = options.threshold): ScoredPolicy => {
    if (policy === "router") {
      const router = o.router;
      if (!router) throw new RelayError("invalid-argument", "The router policy needs a router file (--router FILE, relay.router.file).");
      return new ScoredPolicy("router", (f) => router.score(f), routerThreshold ?? router.file.threshold ?? DEFAULT_SIGNAL_THRESHOLDS.router, o.spanTokens, o.cooldownTokens, router.topK);
    }
    const signal = policy as SignalName;
    const threshold = policy === "confidence" ? o.threshold : (options.threshold ?? DEFAULT_SIGNAL_THRESHOLDS[signal as Exclude<SignalName, "confidence">]);
    return new ScoredPolicy(policy, (f) => signalScore(signal, f), scoreThreshold(policy, threshold), o.spanTokens, o.cooldownTokens, signalNeedsTopK(signal) ? FEATURE_TOP_K : 0);
  };
  switch (name) {
    case "learned":
      return new LearnedPolicy();
    case "auto":
      // A router made for this student is the better fallback; confidence otherwise.
      return new AutoPolicy(o.router ? scored("router", o.routerThreshold) : scored("confidence"), memory);
    case "student-only":
      return new StudentOnlyPolicy();
    case "teacher-only":
      return new TeacherOnlyPolicy();
    case "random":
      return new RandomPolicy(o);
    case "fixed-span":
      return new FixedSpanPolicy(o.fixedSpanTokens);
    case "confidence":
    case "entropy":
    case "margin":
    case "rolling-entropy":
    case "step-entropy":
    case "router":
      return scored(name);
    default: {
      // A name from an unchecked source (an old setting, a typo): say which, not "undefined".
      const unknown: never = name;
      throw new RelayError("invalid-argument", `Unknown trigger policy ${JSON.stringify(unknown)}; choose one of ${POLICY_NAMES.join(", ")}.`);
    }
  }
}

export function isPolicyName(value: string): value is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(value);
}
