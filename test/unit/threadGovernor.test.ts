/** The thread governor on recorded sequences of decode speeds (no timing: speeds are given). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultThreadCeiling, startThreads, ThreadGovernor, type GovernorDecision } from "../../src/core/threadGovernor.js";

interface Answer {
  /** Threads the answer started with. */
  threads: number;
  decision: GovernorDecision;
  /** Mid-answer changes. */
  mid: GovernorDecision[];
  /** Tokens decoded at each count. */
  tokensAt: Map<number, number>;
  /** Tokens/s over the whole answer. */
  speed: number;
}

/**
 * Feeds answers of `tokens` decode steps, token by token at the given tokens/s for whatever
 * count the governor picks, with the student's mid-answer check after each token and its
 * end-of-answer record of the last sample.
 */
function replay(governor: ThreadGovernor, speedAt: (threads: number, answer: number) => number, answers: number, tokens = 48): Answer[] {
  const trace: Answer[] = [];
  for (let i = 0; i < answers; i++) {
    const answer: Answer = { threads: governor.current, decision: "kept", mid: [], tokensAt: new Map(), speed: 0 };
    let threads = governor.current;
    let sample = { threads, tokens: 0, ms: 0 };
    let totalMs = 0;
    for (let k = 0; k < tokens; k++) {
      const ms = 1000 / speedAt(threads, i);
      sample = { threads, tokens: sample.tokens + 1, ms: sample.ms + ms };
      totalMs += ms;
      answer.tokensAt.set(threads, (answer.tokensAt.get(threads) ?? 0) + 1);
      const step = governor.check(sample);
      if (step) {
        answer.mid.push(step.decision);
        threads = step.threads;
        sample = { threads, tokens: 0, ms: 0 };
      }
    }
    answer.decision = governor.record(sample).decision;
    answer.speed = (tokens * 1000) / totalMs;
    trace.push(answer);
  }
  return trace;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Speeds measured on this 2-core machine (relay bench --quick): quiet 1 → 17.6, 2 → 24.9 tokens/s;
// with another process busy on one core, 1 → 15, 2 → 1.3.
const quiet = (t: number) => (t === 1 ? 17.6 : 24.9);
const loaded = (t: number) => (t === 1 ? 15 : 1.3);
// bench/results/load-quick.md (2026-12-02, load average 7 from other jobs): bench model 1 → 573, 2 → 3.5 tokens/s.
const busyBench = (t: number) => (t === 1 ? 573 : 3.5);

test("a quiet machine keeps the ceiling; its probes of one thread fewer are abandoned within a few tokens, each wait twice as long", () => {
  const g = new ThreadGovernor({ maxThreads: 2 });
  const trace = replay(g, quiet, 100);
  const probes = trace.map((a, i) => ({ a, i })).filter(({ a }) => a.mid.includes("probe-abandoned"));
  assert.ok(trace.every((a) => a.threads === 2 || a.mid.includes("probe-abandoned")), JSON.stringify(trace.map((a) => a.threads)));
  // Each abandoned after probeTokens (4) tokens at 1 thread; the rest of the answer at 2.
  for (const { a } of probes) assert.equal(a.tokensAt.get(1), 4);
  // The first probe right after the first measured answer (nothing is known yet); then gaps of
  // 6, doubling, capped at 48.
  assert.equal(probes[0].i, 1);
  const gaps = probes.slice(1).map((p, k) => p.i - probes[k].i);
  assert.deepEqual(gaps, [6, 12, 24, 48].slice(0, gaps.length));
  assert.ok(probes.length >= 4);
  assert.equal(g.current, 2);
});

test("a load arriving mid-answer makes the rest of that answer use one thread fewer", () => {
  const g = new ThreadGovernor({ maxThreads: 2 });
  // Answers 0–2 quiet; from answer 3 on, loaded.
  const trace = replay(g, (t, i) => (i < 3 ? quiet(t) : loaded(t)), 12);
  assert.deepEqual(trace[3].mid, ["backed-off"]);
  assert.equal(trace[3].tokensAt.get(2), 16); // minTokens at the slowed count, then 1 thread
  assert.equal(trace[4].threads, 1);
  // Only its probe up ran a token at 2 threads.
  assert.ok(trace.slice(4).every((a) => a.threads === 1 || (a.mid.includes("probe-abandoned") && a.tokensAt.get(2) === 1)), JSON.stringify(trace.map((a) => a.threads)));
});

test("while the load lasts failed probes up are abandoned after one token and come ever more rarely", () => {
  const g = new ThreadGovernor({ maxThreads: 2, startThreads: 1 });
  const trace = replay(g, loaded, 120);
  const probes = trace.map((a, i) => ({ a, i })).filter(({ a }) => a.mid.includes("probe-abandoned"));
  // At 1.3 tokens/s one token already takes longer than 1 thread needs for 4 × 1.1.
  for (const { a } of probes) assert.equal(a.tokensAt.get(2), 1);
  assert.deepEqual(probes.map((p) => p.i), [1, 7, 19, 43, 91]);
  assert.equal(g.probeInterval, 48);
  // No whole answer ran at 2 threads.
  assert.ok(trace.every((a) => (a.tokensAt.get(2) ?? 0) <= 1));
});

test("when the load goes away a probe finds the extra thread pays and keeps it; the waits start short again", () => {
  const g = new ThreadGovernor({ maxThreads: 2, probeEvery: 3 });
  const trace = replay(g, (t, i) => (i >= 2 && i < 10 ? loaded(t) : quiet(t)), 30);
  const kept = trace.findIndex((a) => a.decision === "probe-kept");
  assert.ok(kept >= 10, JSON.stringify(trace.map((a) => [a.threads, a.decision, a.mid])));
  assert.ok(trace.slice(kept + 1).every((a) => a.threads === 2 || a.mid.includes("probe-abandoned")));
  assert.equal(g.probeInterval, 3 * 2 ** trace.slice(kept + 1).filter((a) => a.mid.includes("probe-abandoned")).length);
});

test("the recorded busy machine: starting at 1, the adaptive default decodes at ≥ 80% of the best fixed setting", () => {
  // A load average of 6.9 on 2 cores starts at 1 thread.
  const start = startThreads(2, 2, 6.9);
  assert.equal(start, 1);
  const g = new ThreadGovernor({ maxThreads: 2, startThreads: start });
  const trace = replay(g, busyBench, 16);
  assert.ok(median(trace.map((a) => a.speed)) >= 0.8 * busyBench(1), JSON.stringify(trace.map((a) => a.speed)));
  // Started at the ceiling instead, the probe of 1 thread finds it and keeps it.
  const high = new ThreadGovernor({ maxThreads: 2 });
  const fromTop = replay(high, busyBench, 16);
  const kept = fromTop.findIndex((a) => a.decision === "probe-kept");
  assert.equal(kept, 1, "the early first probe finds it at the second answer");
  assert.ok(fromTop.slice(kept + 1).every((a) => a.threads === 1 || a.mid.includes("probe-abandoned")));
});

test("a probe down is kept when as fast (headroom for the editor), a probe up only when 10% faster", () => {
  const same = new ThreadGovernor({ maxThreads: 2, probeEvery: 1 });
  replay(same, () => 20, 2);
  assert.equal(same.current, 1);
  const up = new ThreadGovernor({ maxThreads: 2, startThreads: 1, probeEvery: 1 });
  const trace = replay(up, (t) => (t === 1 ? 20 : 21), 2);
  assert.equal(trace[1].threads, 2);
  assert.equal(trace[1].decision, "probe-dropped");
  assert.equal(up.current, 1);
});

test("it steps down one thread at a time and never below the minimum", () => {
  const g = new ThreadGovernor({ maxThreads: 4, probeEvery: 100, firstProbeAfter: 100 });
  // Every count above 1 collapses after the first answer; each back-off comes after minTokens.
  const trace = replay(g, (t, i) => (i === 0 ? 40 : t === 1 ? 10 : 1), 4);
  assert.deepEqual(trace.map((a) => a.threads), [4, 4, 1, 1]);
  assert.deepEqual(trace[1].mid, ["backed-off", "backed-off", "backed-off"]);
  assert.equal(g.current, 1);
});

test("answers too short to measure change nothing", () => {
  const g = new ThreadGovernor({ maxThreads: 2, firstProbeAfter: 6 });
  g.record({ threads: 2, tokens: 100, ms: 4000 });
  const step = g.record({ threads: 2, tokens: 3, ms: 10_000 });
  assert.equal(step.decision, "too-short");
  assert.equal(g.current, 2);
  // Mid-answer, a back-off waits for minTokens.
  assert.equal(g.check({ threads: 2, tokens: 15, ms: 100_000 }), undefined);
});

test("a sample measured at a stale thread count is ignored", () => {
  const g = new ThreadGovernor({ maxThreads: 2, firstProbeAfter: 6 });
  g.record({ threads: 2, tokens: 100, ms: 4000 });
  assert.equal(g.record({ threads: 1, tokens: 100, ms: 100_000 }).decision, "too-short");
  assert.equal(g.check({ threads: 1, tokens: 100, ms: 100_000 }), undefined);
});

test("invalid options are refused", () => {
  assert.throws(() => new ThreadGovernor({ maxThreads: 0 }), /maxThreads/);
  assert.throws(() => new ThreadGovernor({ maxThreads: 2, minThreads: 3 }), /minThreads/);
  assert.throws(() => new ThreadGovernor({ maxThreads: 2, probeEvery: 0 }), /probeEvery/);
});

test("the start is clamped to the bounds", () => {
  assert.equal(new ThreadGovernor({ maxThreads: 4, startThreads: 9 }).current, 4);
  assert.equal(new ThreadGovernor({ maxThreads: 4, minThreads: 2, startThreads: 1 }).current, 2);
});

test("the first count leaves the cores other work holds", () => {
  // ceiling, cores, load average
  assert.equal(startThreads(2, 2, 0.2), 2);
  assert.equal(startThreads(2, 2, 1.0), 1);
  assert.equal(startThreads(2, 2, 7), 1);
  assert.equal(startThreads(7, 8, 2.4), 6);
  assert.equal(startThreads(7, 8, 0), 7);
  assert.equal(startThreads(3, 4, Number.NaN), 3);
});

test("the default ceiling leaves a core for the editor on machines with more than two", () => {
  assert.deepEqual([1, 2, 3, 4, 8, 16].map(defaultThreadCeiling), [1, 2, 2, 3, 7, 15]);
});

test("each step reports the speed it measured and the reference it was judged against", () => {
  const g = new ThreadGovernor({ maxThreads: 2, firstProbeAfter: 6 });
  g.record({ threads: 2, tokens: 100, ms: 4000 }); // 25 tokens/s
  const step = g.record({ threads: 2, tokens: 100, ms: 80_000 }); // 1.25 tokens/s
  assert.equal(step.decision, "backed-off");
  assert.equal(step.tokensPerSecond, 1.25);
  assert.equal(step.reference, 25);
  // At 1 thread the reference is the best at ≥ 1 thread: the quiet 2-thread speed.
  const at1 = g.record({ threads: 1, tokens: 100, ms: 100_000 }); // 1 token/s < 0.5 × 25, but 1 is the floor
  assert.equal(at1.reference, 25);
  assert.equal(at1.decision, "kept");
});

test("hints between answers: a core taken steps down before the answer, a core freed is probed at once; only changes act", () => {
  const g = new ThreadGovernor({ maxThreads: 2 });
  replay(g, quiet, 2);
  assert.equal(g.hint(2), undefined, "quiet: nothing to do");
  // A build takes a core: the next answer starts at 1 thread, without 16 slow tokens first.
  assert.deepEqual(g.hint(1), { threads: 1, decision: "cores-taken" });
  assert.equal(g.current, 1);
  const loadedRun = replay(g, loaded, 3);
  assert.ok(loadedRun.every((a) => a.threads === 1 && (a.tokensAt.get(2) ?? 0) === 0), JSON.stringify(loadedRun.map((a) => [a.threads, a.decision])));
  assert.equal(g.hint(1), undefined, "still busy: nothing new");
  // The build ends: one more thread at once, kept because it pays.
  assert.deepEqual(g.hint(2), { threads: 2, decision: "core-freed" });
  const back = replay(g, quiet, 1);
  assert.equal(back[0].decision, "probe-kept");
  assert.equal(g.current, 2);
});

test("a hint that stays wrong costs one probe, never overrides the speeds, and a taken hint gives up a probe in flight", () => {
  // The hint says a core is free (a container counting its host), but 2 threads are slow here.
  const g = new ThreadGovernor({ maxThreads: 2, startThreads: 1, firstProbeAfter: 6 });
  assert.equal(g.hint(2), undefined, "no speed at 1 thread yet: nothing to compare a probe with");
  replay(g, loaded, 1);
  assert.equal(g.hint(2)?.decision, "core-freed");
  const probe = replay(g, loaded, 1);
  assert.ok(probe[0].mid.includes("probe-abandoned"));
  for (let i = 0; i < 5; i++) {
    assert.equal(g.hint(2), undefined, "the same hint again: no new probe");
    replay(g, loaded, 1);
  }
  // The hint says busy (another tenant) while 2 threads measured fast: a change steps down once...
  const h = new ThreadGovernor({ maxThreads: 2, probeEvery: 3, firstProbeAfter: 3 });
  replay(h, quiet, 1);
  assert.equal(h.hint(1)?.decision, "cores-taken");
  // ...then the speeds decide: the scheduled probe finds 2 threads pay and keeps them, and the same hint does not undo it.
  const trace = replay(h, quiet, 5);
  assert.ok(trace.some((a) => a.decision === "probe-kept"), JSON.stringify(trace.map((a) => a.decision)));
  assert.equal(h.current, 2);
  assert.equal(h.hint(1), undefined);
  assert.equal(h.current, 2);
  // A probe up in flight when a core is taken is given up.
  const p = new ThreadGovernor({ maxThreads: 2, startThreads: 1, probeEvery: 1 });
  replay(p, quiet, 1);
  assert.equal(p.probing, true);
  assert.equal(p.current, 2);
  assert.equal(p.hint(1)?.decision, "cores-taken");
  assert.equal(p.probing, false);
  assert.equal(p.current, 1);
  assert.equal(p.hint(Number.NaN), undefined, "no measurement yet: no hint");
  // Its own probe is not a change of the machine: after the early probe up fails, the same free core probes no more.
  const q = new ThreadGovernor({ maxThreads: 2, startThreads: 1 });
  assert.equal(q.hint(2), undefined);
  replay(q, loaded, 1);
  assert.equal(q.probing, true, "the early first probe");
  assert.equal(q.hint(2), undefined);
  assert.ok(replay(q, loaded, 1)[0].mid.includes("probe-abandoned"));
  assert.equal(q.hint(2), undefined);
  assert.equal(q.current, 1);
  // A core that frees up while a probe up is in flight is what that probe tries: no second probe after it.
  const r = new ThreadGovernor({ maxThreads: 2, startThreads: 1 });
  assert.equal(r.hint(1.5), undefined, "the start: not free enough to count");
  replay(r, loaded, 1);
  assert.equal(r.hint(2), undefined, "freed during the early probe up");
  assert.ok(replay(r, loaded, 1)[0].mid.includes("probe-abandoned"));
  assert.equal(r.hint(2), undefined);
});

test("readings that wobble around a threshold do not read as changes (hysteresis)", () => {
  const g = new ThreadGovernor({ maxThreads: 2, startThreads: 1, firstProbeAfter: 100 });
  replay(g, loaded, 1);
  assert.equal(g.hint(2)?.decision, "core-freed", "a free core: probed");
  replay(g, loaded, 1); // the probe fails
  // Other processes' small uneven use: 1.9, 1.6, 1.95, 1.5 free cores — still room, never a new probe.
  for (const free of [1.9, 1.6, 1.95, 1.5]) {
    assert.equal(g.hint(free), undefined, `free ${free}`);
    replay(g, loaded, 1);
  }
  // Only a real change (a core taken, then freed again) probes again.
  assert.equal(g.hint(1), undefined, "at 1 thread a taken core is nothing to step down from");
  assert.equal(g.hint(2)?.decision, "core-freed");
});
