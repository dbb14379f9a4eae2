/** The benchmarks' timed decode loop: limits, cap and the closed generation (no timing asserted). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { timedDecode, timedTokens } from "../../src/bench/timedDecode.js";

function counter(total: number) {
  let made = 0;
  return { next: async () => made++ < total, made: () => Math.min(made, total) };
}

test("stops at maxTokens without calling it capped, and at the end of the generation", async () => {
  const many = counter(100);
  const run = await timedDecode(many.next, { maxTokens: 5, capMs: 60_000 });
  assert.equal(run.tokens, 5);
  assert.equal(run.capped, false);
  assert.ok(run.tokensPerSecond > 0);
  const few = await timedDecode(counter(3).next, { maxTokens: 5, capMs: 60_000 });
  assert.equal(few.tokens, 3);
  assert.equal(few.capped, false);
});

test("the cap cuts a run, never before minTokens; fewer than two tokens read 0 tokens/s", async () => {
  const cut = await timedDecode(counter(100).next, { maxTokens: 50, capMs: -1 });
  assert.equal(cut.tokens, 1);
  assert.equal(cut.capped, true);
  assert.equal(cut.tokensPerSecond, 0, "one token says nothing about decode speed");
  const held = await timedDecode(counter(100).next, { maxTokens: 50, capMs: -1, minTokens: 17 });
  assert.equal(held.tokens, 17);
  assert.equal(held.capped, true);
  const none = await timedDecode(counter(0).next, { maxTokens: 5, capMs: 60_000 });
  assert.equal(none.tokens, 0);
  assert.ok(Number.isNaN(none.firstTokenMs));
});

test("an iterable is closed after the run, as a for-await break would", async () => {
  let closed = false;
  async function* tokens() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      closed = true;
    }
  }
  const run = await timedTokens(tokens(), { maxTokens: 4, capMs: 60_000 });
  assert.equal(run.tokens, 4);
  assert.equal(closed, true);
});
