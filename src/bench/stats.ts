/** Summary statistics for benchmark samples: medians and percentiles, never means alone. */

export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

function finiteSorted(samples: readonly number[]): number[] {
  const values = samples.filter((x) => Number.isFinite(x));
  return values.sort((a, b) => a - b);
}

/**
 * The q-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks (the "R-7" rule of
 * R, NumPy and spreadsheets). NaN for no samples; non-finite samples are ignored.
 */
export function quantile(samples: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`);
  const s = finiteSorted(samples);
  if (s.length === 0) return NaN;
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  // Clamped: rounding must not take the value outside its two neighbours.
  return Math.min(s[hi], Math.max(s[lo], s[lo] + (h - lo) * (s[hi] - s[lo])));
}

export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

export function p95(samples: readonly number[]): number {
  return quantile(samples, 0.95);
}

export function min(samples: readonly number[]): number {
  const s = finiteSorted(samples);
  return s.length ? s[0] : NaN;
}

export function max(samples: readonly number[]): number {
  const s = finiteSorted(samples);
  return s.length ? s[s.length - 1] : NaN;
}

export function mean(samples: readonly number[]): number {
  const s = finiteSorted(samples);
  return s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: finiteSorted(samples).length,
    median: median(samples),
    p95: p95(samples),
    min: min(samples),
    max: max(samples),
    mean: mean(samples),
  };
}

/** a / b, or NaN when either is not a finite number or b is 0. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}

/**
 * Median of the per-pair ratios a[i] / b[i]: for interleaved runs this cancels slow drifts of
 * the machine that a ratio of medians would keep.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError("paired samples must have the same length");
  return median(a.map((x, i) => ratio(x, b[i])));
}

/** Rounds for the results file: enough digits to be useful, no float noise. */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A summary with every figure rounded. */
export function roundSummary(s: Summary, digits = 3): Summary {
  return {
    n: s.n,
    median: round(s.median, digits),
    p95: round(s.p95, digits),
    min: round(s.min, digits),
    max: round(s.max, digits),
    mean: round(s.mean, digits),
  };
}

/** Robust spread: the median absolute deviation scaled to a normal's standard deviation. */
export function robustSd(samples: readonly number[]): number {
  const m = median(samples);
  return 1.4826 * median(samples.map((x) => Math.abs(x - m)));
}

/**
 * Pairs needed for the median of per-pair ratios to have a 95% confidence half-width of
 * `halfWidth` (e.g. 0.01 = ±1%): the median's standard error is ≈ 1.2533·σ/√n for near-normal
 * samples, σ taken robustly from the pairs measured. NaN with fewer than 3 pairs.
 */
export function pairsNeeded(ratios: readonly number[], halfWidth: number): number {
  if (ratios.filter(Number.isFinite).length < 3) return NaN;
  const sd = robustSd(ratios);
  return Math.max(1, Math.ceil(((1.96 * 1.2533 * sd) / halfWidth) ** 2));
}

/** The 95% confidence half-width of the median of `samples` (same approximation). */
export function medianHalfWidth(samples: readonly number[]): number {
  const n = samples.filter(Number.isFinite).length;
  return n < 3 ? NaN : (1.96 * 1.2533 * robustSd(samples)) / Math.sqrt(n);
}
