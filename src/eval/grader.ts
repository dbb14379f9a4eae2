/**
 * Graders: the built-in one (TypeScript, no Python) and the paper's (HuggingFace Math-Verify,
 * run through a Python helper). Both grade batches of (response, gold) pairs, so the Python
 * one can stream a whole eval's answers through one process. This module is light on purpose
 * (the CLI registers its options from it); the graders themselves load on use.
 */

export const GRADER_NAMES = ["builtin", "math-verify"] as const;
export type GraderName = (typeof GRADER_NAMES)[number];

export interface GradePair {
  response: string;
  gold: string;
}

export interface GraderVerdict {
  correct: boolean;
  /** The final answer found in the response; null if none. */
  extracted: string | null;
  /** Set when this pair could not be graded (then correct is false). */
  error?: string;
}

export interface Grader {
  readonly name: GraderName;
  /** One verdict per pair, in order; a pair that cannot be graded gets an error, not a throw. */
  gradeAll(pairs: readonly GradePair[], signal?: AbortSignal): Promise<GraderVerdict[]>;
}
