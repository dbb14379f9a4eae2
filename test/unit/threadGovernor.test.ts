/** The thread governor on recorded sequences of decode speeds (no timing: speeds are given). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultThreadCeiling, ThreadGovernor, type GovernorDecision } from "../../src/core/threadGovernor.js";

/** Feeds answers decoding at the given tokens/s at whatever count the governor picks. */
function replay(governor: ThreadGovernor, speedAt: (threads: number, answer: number) => number, answers: number) {
  const trace: { threads: number; decision: GovernorDecision }[] = [];
  for (let i = 0; i < answers; i++) {
    const threads = governor.current;
    const tokens = 100;
    const step = governor.record({ threads, tokens, ms: (tokens * 1000) / speedAt(threads, i) });
    trace.push({ threads, decision: step.decision });
  }
  return trace;
}

// Speeds measured on this 2-core machine (relay bench --quick): quiet 1 → 17.6, 2 → 24.9 tokens/s;
// with another process busy on one core, 1 → 15, 2 → 1.3.
const quiet = (t: number) => (t === 1 ? 17.6 : 24.9);
const loaded = (t: number) => (t === 1 ? 15 : 1.3);

test("a quiet machine keeps the ceiling", () => {
  const trace = replay(new ThreadGovernor({ maxThreads: 2 }), quiet, 30);
  assert.ok(trace.every((s) => s.threads === 2 && s.decision === "kept"), JSON.stringify(trace));
});

test("a load arriving makes the next answer use one thread fewer, and probes up do not stick while it lasts", () => {
  const g = new ThreadGovernor({ maxThreads: 2, probeEvery: 4 });
  const trace = replay(g, (t, i) => (i < 3 ? quiet(t) : loaded(t)), 20);
  assert.deepEqual(trace.slice(0, 4).map((s) => s.decision), ["kept", "kept", "kept", "backed-off"]);
  assert.equal(trace[4].threads, 1);
  const probes = trace.filter((s) => s.decision === "probe-dropped");
  assert.ok(probes.length >= 2, JSON.stringify(trace));
  // Only the probe answers ran at 2 threads once the load was there.
  const slowAnswers = trace.slice(4).filter((s) => s.threads === 2).length;
  assert.equal(slowAnswers, probes.length);
});

test("when the load goes away a probe finds the extra thread pays and keeps it", () => {
  const g = new ThreadGovernor({ maxThreads: 2, probeEvery: 3 });
  const trace = replay(g, (t, i) => (i >= 2 && i < 10 ? loaded(t) : quiet(t)), 24);
  const kept = trace.findIndex((s) => s.decision === "probe-kept");
  assert.ok(kept >= 10, JSON.stringify(trace)); // the first quiet answer
  assert.ok(trace.slice(kept).every((s) => s.threads === 2), JSON.stringify(trace.slice(kept)));
});

test("it steps down one thread at a time and never below the minimum", () => {
  const g = new ThreadGovernor({ maxThreads: 4, probeEvery: 100 });
  // Every count above 1 collapses after the first answer.
  const trace = replay(g, (t, i) => (i === 0 ? 40 : t === 1 ? 10 : 1), 8);
  assert.deepEqual(trace.map((s) => s.threads), [4, 4, 3, 2, 1, 1, 1, 1]);
});

test("answers too short to measure change nothing", () => {
  const g = new ThreadGovernor({ maxThreads: 2 });
  g.record({ threads: 2, tokens: 100, ms: 4000 });
  const step = g.record({ threads: 2, tokens: 3, ms: 10_000 });
  assert.equal(step.decision, "too-short");
  assert.equal(g.current, 2);
});

test("a sample measured at a stale thread count is ignored", () => {
  const g = new ThreadGovernor({ maxThreads: 2 });
  g.record({ threads: 2, tokens: 100, ms: 4000 });
  assert.equal(g.record({ threads: 1, tokens: 100, ms: 100_000 }).decision, "too-short");
});

test("invalid options are refused", () => {
  assert.throws(() => new ThreadGovernor({ maxThreads: 0 }), /maxThreads/);
  assert.throws(() => new ThreadGovernor({ maxThreads: 2, minThreads: 3 }), /minThreads/);
});

test("the default ceiling leaves a core for the editor on machines with more than two", () => {
  assert.deepEqual([1, 2, 3, 4, 8, 16].map(defaultThreadCeiling), [1, 2, 2, 3, 7, 15]);
});
