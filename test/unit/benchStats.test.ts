import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { max, mean, median, medianHalfWidth, min, p95, pairedRatio, pairsNeeded, quantile, ratio, robustSd, round, roundSummary, summarize } from "../../src/bench/stats.js";

test("median of odd and even counts, unsorted input", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
});

test("quantiles interpolate between closest ranks (R-7)", () => {
  const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(quantile(xs, 0), 1);
  assert.equal(quantile(xs, 1), 10);
  assert.equal(quantile(xs, 0.5), 5.5);
  // h = 9 * 0.95 = 8.55: between the 9th (9) and 10th (10) values.
  assert.ok(Math.abs(p95(xs) - 9.55) < 1e-12);
  // Same as NumPy's default: np.percentile(range(1, 21), 95) == 19.05
  assert.ok(Math.abs(p95(Array.from({ length: 20 }, (_, i) => i + 1)) - 19.05) < 1e-12);
  assert.throws(() => quantile(xs, 1.5), RangeError);
  assert.throws(() => quantile(xs, -0.1), RangeError);
});

test("min, max, mean; empty and non-finite samples", () => {
  assert.equal(min([5, -2, 9]), -2);
  assert.equal(max([5, -2, 9]), 9);
  assert.equal(mean([1, 2, 3, 6]), 3);
  assert.ok(Number.isNaN(median([])));
  assert.ok(Number.isNaN(min([])));
  assert.ok(Number.isNaN(max([])));
  assert.ok(Number.isNaN(mean([])));
  // NaN and infinities (a failed or capped measurement) are left out, not propagated.
  assert.equal(median([1, NaN, 3, Infinity]), 2);
  assert.deepEqual(summarize([NaN, 4]), { n: 1, median: 4, p95: 4, min: 4, max: 4, mean: 4 });
});

test("summarize does not reorder its input", () => {
  const xs = [3, 1, 2];
  const s = summarize(xs);
  assert.deepEqual(xs, [3, 1, 2]);
  assert.deepEqual(s, { n: 3, median: 2, p95: 2.9, min: 1, max: 3, mean: 2 });
});

test("ratio and paired ratio", () => {
  assert.equal(ratio(3, 4), 0.75);
  assert.ok(Number.isNaN(ratio(1, 0)));
  assert.ok(Number.isNaN(ratio(NaN, 1)));
  // Per-pair ratios 0.5, 1, 2 -> median 1 (the ratio of medians would be 20 / 20 = 1 too, but
  // drifts cancel only pair by pair).
  assert.equal(pairedRatio([5, 20, 40], [10, 20, 20]), 1);
  assert.throws(() => pairedRatio([1], [1, 2]), RangeError);
});

test("rounding keeps non-finite values and rounds every summary field", () => {
  assert.equal(round(1.23456, 2), 1.23);
  assert.ok(Number.isNaN(round(NaN)));
  assert.deepEqual(roundSummary({ n: 2, median: 1.23456, p95: 2.34567, min: 1.11111, max: 2.99999, mean: 2.05555 }, 2), {
    n: 2,
    median: 1.23,
    p95: 2.35,
    min: 1.11,
    max: 3,
    mean: 2.06,
  });
});

test("properties: min ≤ median ≤ p95 ≤ max, and quantiles are monotone in q", () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (xs, a, b) => {
      const s = summarize(xs);
      assert.ok(s.min <= s.median && s.median <= s.p95 && s.p95 <= s.max);
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      assert.ok(quantile(xs, lo) <= quantile(xs, hi) + 1e-9);
      // The median of a shifted sample is the shifted median.
      assert.ok(Math.abs(median(xs.map((x) => x + 10)) - (s.median + 10)) < 1e-6);
    }),
  );
});

test("robustSd: the scaled median absolute deviation, deaf to a wild outlier and to non-finite samples", () => {
  // Deviations from the median 1.00: 0.02, 0.01, 0, 0.01, 0.02 → MAD 0.01.
  const pairs = [0.98, 0.99, 1.0, 1.01, 1.02];
  assert.ok(Math.abs(robustSd(pairs) - 0.014826) < 1e-9);
  // An outlier (a pair hit by a neighbour's burst) moves it a little, not by its own size.
  assert.ok(robustSd([...pairs, 40]) < 0.03);
  assert.ok(Math.abs(robustSd([...pairs, NaN, Infinity]) - robustSd(pairs)) < 1e-9);
  assert.equal(robustSd([1, 1, 1]), 0);
  assert.ok(Number.isNaN(robustSd([])));
});

test("pairsNeeded: (1.96 · 1.2533 · σ / halfWidth)², rounded up; tighter goals and noisier pairs need more", () => {
  const pairs = [0.98, 0.99, 1.0, 1.01, 1.02]; // σ ≈ 0.014826
  const expected = Math.ceil(((1.96 * 1.2533 * 0.014826) / 0.01) ** 2); // 14
  assert.equal(pairsNeeded(pairs, 0.01), expected);
  assert.equal(pairsNeeded(pairs, 0.03), Math.ceil(expected / 9));
  const noisy = pairs.map((x) => 1 + (x - 1) * 10);
  assert.ok(pairsNeeded(noisy, 0.01) > 90 * pairsNeeded(pairs, 0.03));
  // Identical pairs: one is enough; fewer than 3 measured pairs cannot tell.
  assert.equal(pairsNeeded([1, 1, 1], 0.01), 1);
  assert.ok(Number.isNaN(pairsNeeded([1.1, 0.9], 0.01)));
  assert.ok(Number.isNaN(pairsNeeded([1.1, 0.9, NaN], 0.01)));
});

test("medianHalfWidth shrinks with √n and agrees with pairsNeeded", () => {
  const pairs = [0.98, 0.99, 1.0, 1.01, 1.02];
  const four = [...pairs, ...pairs, ...pairs, ...pairs];
  assert.ok(Math.abs(medianHalfWidth(four) - medianHalfWidth(pairs) / 2) < 1e-9);
  // With as many pairs as pairsNeeded says, the half-width is within the goal.
  const n = pairsNeeded(pairs, 0.01);
  const many = Array.from({ length: n }, (_, i) => pairs[i % pairs.length]);
  assert.ok(medianHalfWidth(many) <= 0.0105, String(medianHalfWidth(many)));
  assert.ok(Number.isNaN(medianHalfWidth([1, 2])));
});
