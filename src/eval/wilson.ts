/**
 * The Wilson score interval of a binomial proportion. Unlike the normal approximation it stays
 * inside [0, 1] and does not collapse to a point at 0/n or n/n, which small eval sets hit often.
 */

/** The two-sided 95% normal quantile. */
export const Z95 = 1.959964;

export function wilsonInterval(successes: number, n: number, z = Z95): [number, number] {
  if (n <= 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamped: at 0/n and n/n the bound is 0 or 1 up to rounding.
  return [Math.max(0, center - half), Math.min(1, center + half)];
}
