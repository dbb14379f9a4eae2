/**
 * Trigger policies: when to ask the teacher, and for how many tokens. One instance per answer
 * (policies keep per-answer state such as a cool-down).
 */

import { RelayError } from "./errors.js";
import { seededRandom } from "./random.js";

export type PolicyName = "learned" | "confidence" | "auto" | "student-only" | "teacher-only" | "random" | "fixed-span";
export const POLICY_NAMES: readonly PolicyName[] = ["learned", "confidence", "auto", "student-only", "teacher-only", "random", "fixed-span"];

export interface TriggerPolicy {
  readonly name: PolicyName;
  /** Whether token probabilities are needed (they cost a little per token). */
  readonly needsProbabilities: boolean;
  /** The whole answer comes from the teacher (the teacher-only baseline). */
  readonly teacherOnly: boolean;
  /**
   * Called for each sampled student token before it is committed. Returning a span size asks
   * the teacher instead of keeping that token (BiLD-style fallback).
   */
  onToken(probability: number | undefined): number | null;
  /** The student wrote `<call>n</call>`: the span to ask for, or null to ignore it. */
  onCommand(n: number): number | null;
  /** A teacher span was spliced in (resets cool-downs). */
  onTeacherSpan(): void;
}

export interface PolicyOptions {
  /** confidence: call when the top-1 probability is below this. */
  threshold: number;
  /** confidence and random: tokens asked for per call. */
  spanTokens: number;
  /** confidence: student tokens after a call before another may be made. */
  cooldownTokens: number;
  /** random: per-token call probability. */
  probability: number;
  seed: number;
  /** fixed-span: every learned call asks for this many tokens (the paper's Fixed-100). */
  fixedSpanTokens: number;
}

export const DEFAULT_POLICY_OPTIONS: PolicyOptions = {
  // About the 5th percentile of a real small student's top-1 probability on GSM8K (bench/results/real-confidence.md).
  threshold: 0.2,
  spanTokens: 16,
  cooldownTokens: 24,
  probability: 0.01,
  seed: 1,
  fixedSpanTokens: 100,
};

abstract class BasePolicy implements TriggerPolicy {
  abstract readonly name: PolicyName;
  readonly needsProbabilities: boolean = false;
  readonly teacherOnly: boolean = false;
  onToken(_probability: number | undefined): number | null {
    return null;
  }
  onCommand(_n: number): number | null {
    return null;
  }
  onTeacherSpan(): void {}
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

class ConfidencePolicy extends BasePolicy {
  readonly name: PolicyName = "confidence";
  override readonly needsProbabilities = true;
  private sinceCall: number;
  constructor(protected readonly options: PolicyOptions) {
    super();
    // No call on the very first tokens either: the teacher needs some answer to continue.
    this.sinceCall = 0;
  }
  override onToken(probability: number | undefined): number | null {
    this.sinceCall++;
    if (probability === undefined || this.sinceCall <= this.options.cooldownTokens) return null;
    return probability < this.options.threshold ? this.options.spanTokens : null;
  }
  override onTeacherSpan(): void {
    this.sinceCall = 0;
  }
}

/** Learned calls; confidence calls too until the model shows it writes commands itself. */
class AutoPolicy extends ConfidencePolicy {
  override readonly name = "auto";
  constructor(
    options: PolicyOptions,
    private readonly memory: TagMemory,
  ) {
    super(options);
  }
  override onToken(probability: number | undefined): number | null {
    const call = super.onToken(probability);
    return this.memory.seenCommand ? null : call;
  }
  override onCommand(n: number): number {
    this.memory.seenCommand = true;
    return n;
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

export function createPolicy(name: PolicyName, options: Partial<PolicyOptions> = {}, memory: TagMemory = { seenCommand: false }): TriggerPolicy {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o: PolicyOptions = { ...DEFAULT_POLICY_OPTIONS, ...given };
  switch (name) {
    case "learned":
      return new LearnedPolicy();
    case "confidence":
      return new ConfidencePolicy(o);
    case "auto":
      return new AutoPolicy(o, memory);
    case "student-only":
      return new StudentOnlyPolicy();
    case "teacher-only":
      return new TeacherOnlyPolicy();
    case "random":
      return new RandomPolicy(o);
    case "fixed-span":
      return new FixedSpanPolicy(o.fixedSpanTokens);
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
