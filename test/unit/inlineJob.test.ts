import { test } from "node:test";
import assert from "node:assert/strict";
import { cutAtBoundary, InlineJob, type Schedule } from "../../src/editor/inlineJob.js";

/** Timers the test fires by hand: no real time passes in these tests. */
function manualClock() {
  const timers: Array<{ ms: number; fn: () => void; live: boolean }> = [];
  const schedule: Schedule = (ms, fn) => {
    const t = { ms, fn, live: true };
    timers.push(t);
    return () => (t.live = false);
  };
  const fire = () => {
    const live = timers.filter((t) => t.live);
    assert.equal(live.length, 1, `one live timer expected, found ${live.length}`);
    live[0].live = false;
    live[0].fn();
    return live[0].ms;
  };
  return { schedule, fire, live: () => timers.filter((t) => t.live).map((t) => t.ms) };
}

test("the prompt cap answers with nothing; the run goes on and its text is kept", async () => {
  const clock = manualClock();
  const job = new InlineJob("const x = ", "\n", false, { promptMs: 500, predictMs: 400 }, clock.schedule);
  assert.equal(clock.fire(), 500);
  assert.deepEqual(await job.shown, { text: "", because: "prompt-cap" });
  assert.equal(job.push("compute("), false);
  assert.deepEqual(clock.live(), [], "no predict cap once the request was answered");
  job.push("1, 2);");
  job.end();
  assert.equal(await job.ended, "compute(1, 2);");
  assert.equal(job.running, false);
});

test("the predict cap starts at the first text and shows what is there, cut at a boundary", async () => {
  const clock = manualClock();
  const job = new InlineJob("def f(x):\n", "", true, { promptMs: 500, predictMs: 300 }, clock.schedule);
  job.push("    y = x * 2\n");
  job.push("    ret");
  assert.equal(clock.fire(), 300);
  assert.deepEqual(await job.shown, { text: "    y = x * 2", because: "predict-cap" });
  assert.equal(job.running, true, "the run goes on in the background");
  job.push("urn y\n");
  job.end();
  assert.equal(await job.ended, "    y = x * 2\n    return y\n");
});

test("a single-line completion answers at its line and asks the caller to stop", async () => {
  const clock = manualClock();
  const job = new InlineJob("const x = ", "\n", false, { promptMs: 500, predictMs: 500 }, clock.schedule);
  assert.equal(job.push("\n"), false, "a leading line break is no line yet");
  assert.equal(job.push("a + b;\nmore"), true);
  assert.deepEqual(await job.shown, { text: "\na + b;", because: "line" });
  assert.deepEqual(clock.live(), []);
});

test("caps of 0 mean none: the answer waits for the end", async () => {
  const clock = manualClock();
  const job = new InlineJob("x = ", "", true, { promptMs: 0, predictMs: 0 }, clock.schedule);
  job.push("1");
  assert.deepEqual(clock.live(), []);
  job.end();
  assert.deepEqual(await job.shown, { text: "1", because: "end" });
});

test("boundaries: whole lines, never inside an escape or a surrogate pair", () => {
  assert.equal(cutAtBoundary("a\nb\nc", true), "a\nb");
  assert.equal(cutAtBoundary("print(\"a\\", false), "print(\"a");
  assert.equal(cutAtBoundary("s = \"\\u00", false), "s = \"");
  assert.equal(cutAtBoundary("s = \"\\x4", false), "s = \"");
  assert.equal(cutAtBoundary("s = \"\\u0041", false), "s = \"\\u0041", "a complete escape stays");
  assert.equal(cutAtBoundary("s = \"\\\\", false), "s = \"\\\\", "an escaped backslash stays");
  assert.equal(cutAtBoundary("s = \"\\\\\\", false), "s = \"\\\\");
  assert.equal(cutAtBoundary("s = '\uD83D", false), "s = '");
  assert.equal(cutAtBoundary("x = 1\ny", false), "x = 1");
});

test("a later request is served by the job only when the typed text agrees with it", () => {
  const clock = manualClock();
  const job = new InlineJob("const x = ", "\n", false, { promptMs: 500, predictMs: 500 }, clock.schedule);
  job.push("compute(");
  assert.equal(job.typedAgreeing("const x = comp", "\n"), "comp");
  assert.equal(job.typedAgreeing("const x = compute(1", "\n"), "compute(1", "still running: may yet agree");
  assert.equal(job.typedAgreeing("const x = cx", "\n"), undefined);
  assert.equal(job.typedAgreeing("const x = comp", "other"), undefined, "another suffix");
  assert.equal(job.typedAgreeing("const y = ", "\n"), undefined, "another prefix");
  job.end();
  assert.equal(job.typedAgreeing("const x = compute(1", "\n"), undefined, "ended: the text is all there is");
});
