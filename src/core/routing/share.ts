/**
 * A teacher share instead of a raw threshold: given the scores a policy gave the student's own
 * tokens (answers made without the teacher), the threshold at which replaying those answers
 * under the policy's rules (span, cool-down, the answer's token limit) hands the target share of
 * the tokens to the teacher.
 */

/** One answer's per-token scores, as the policy saw them; `capped`: it stopped at the token limit. */
export interface ScoreTrace {
  scores: number[];
  capped?: boolean;
}

export interface ReplayRules {
  /** Teacher tokens per call. */
  span: number;
  /** Student tokens after a call (and at the start) before another call. */
  cooldown: number;
  /** All tokens per answer (a capped answer keeps this length when the teacher writes). */
  maxTokens?: number;
  /** Calls per answer. */
  maxCalls?: number;
}

/**
 * The pooled call ratio (teacher tokens / all tokens) of the traces at `threshold`: a token
 * whose score is above it, past the cool-down, is replaced by a span of teacher tokens, and the
 * student's recorded tokens go on after it (the replay's approximation: a real relay changes
 * what the student writes next).
 */
export function replayRatio(traces: readonly ScoreTrace[], threshold: number, rules: ReplayRules): number {
  let teacher = 0;
  let all = 0;
  for (const trace of traces) {
    let since = 0;
    let calls = 0;
    let t = 0;
    let s = 0;
    const cap = trace.capped && rules.maxTokens ? rules.maxTokens : Infinity;
    for (const score of trace.scores) {
      if (t + s >= cap) break;
      since++;
      if (since > rules.cooldown && score > threshold && calls < (rules.maxCalls ?? Infinity)) {
        const span = Math.min(rules.span, cap - t - s);
        t += span;
        calls++;
        since = 0;
      } else s++;
    }
    teacher += t;
    all += t + s;
  }
  return all === 0 ? 0 : teacher / all;
}

export interface ShareThreshold {
  threshold: number;
  /** The replayed call ratio at that threshold. */
  expected: number;
}

/**
 * The threshold whose replayed call ratio is closest to `share` (0..1). The ratio falls as the
 * threshold rises, so a binary search over the recorded scores finds it.
 */
export function thresholdForShare(traces: readonly ScoreTrace[], share: number, rules: ReplayRules): ShareThreshold {
  const values = [...new Set(traces.flatMap((t) => t.scores))].sort((a, b) => a - b);
  if (values.length === 0) return { threshold: Infinity, expected: 0 };
  // Candidates: just below each recorded score (a call at every score above), and above the top.
  const candidates = [...values.map((v, i) => (i === 0 ? v - 1e-9 : (values[i - 1] + v) / 2)), values[values.length - 1] + 1e-9];
  let lo = 0;
  let hi = candidates.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (replayRatio(traces, candidates[mid], rules) > share) lo = mid;
    else hi = mid;
  }
  const a = { threshold: candidates[lo], expected: replayRatio(traces, candidates[lo], rules) };
  const b = { threshold: candidates[hi], expected: replayRatio(traces, candidates[hi], rules) };
  return Math.abs(a.expected - share) <= Math.abs(b.expected - share) ? a : b;
}
