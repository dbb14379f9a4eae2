/** The chat history kept per workspace: read through the schema, older shapes migrated, not blanked. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseToWebview } from "../../src/protocol/chat.js";
import { HISTORY_VERSION, loadHistory, storedHistory } from "../../src/protocol/history.js";

const fullStats = {
  generatedTokens: 24,
  studentTokens: 16,
  teacherTokens: 8,
  calls: 2,
  failedCalls: 0,
  deniedCalls: 0,
  callRatio: 1 / 3,
  teacherPromptTokens: 300,
  teacherCompletionTokens: 8,
  durationMs: 900,
  stopReason: "eos",
};
const turn = { id: "a1", question: "What is 17 * 23?", spans: [{ kind: "student", text: "We need ", tokens: 3 }, { kind: "teacher", text: "17 * 23 = 391", tokens: 8, model: "m", durationMs: 40 }], stats: fullStats };

test("nothing stored yet: an empty history", () => {
  assert.deepEqual(loadHistory(undefined), { turns: [], dropped: 0, migrated: false });
});

test("the current shape round-trips", () => {
  const loaded = loadHistory(JSON.parse(JSON.stringify(storedHistory([turn as never]))));
  assert.deepEqual(loaded, { turns: [turn], dropped: 0, migrated: false });
  assert.equal(storedHistory([]).version, HISTORY_VERSION);
});

test("Relay 0.1.0's bare array of turns is migrated, every turn kept", () => {
  const loaded = loadHistory([turn, { ...turn, id: "a2", question: "And 2 + 2?" }]);
  assert.equal(loaded.migrated, true);
  assert.equal(loaded.dropped, 0);
  assert.deepEqual(loaded.turns.map((t) => t.id), ["a1", "a2"]);
});

test("an older turn shape is completed instead of blanking the panel", () => {
  const old = [
    // stats from before deniedCalls and the teacher token counts existed
    { id: "o1", question: "q1", spans: [{ kind: "student", text: "x", tokens: 1 }], stats: { generatedTokens: 1, studentTokens: 1, teacherTokens: 0, calls: 0, failedCalls: 0, callRatio: 0, durationMs: 5, stopReason: "eos" } },
    // the answer as one text, no id, a span kind this version does not know
    { question: "q2", answer: "Forty-two." },
    { id: "o3", question: "q3", spans: [{ kind: "thinking", text: "hmm", tokens: 2 }] },
    // unreadable: no question at all
    { id: "o4", spans: [] },
    "garbage",
  ];
  const loaded = loadHistory(old);
  assert.equal(loaded.migrated, true);
  assert.equal(loaded.dropped, 2);
  assert.deepEqual(loaded.turns.map((t) => t.question), ["q1", "q2", "q3"]);
  assert.equal(loaded.turns[0].stats?.deniedCalls, 0);
  assert.equal(loaded.turns[0].stats?.teacherPromptTokens, 0);
  assert.equal(loaded.turns[0].stats?.generatedTokens, 1);
  assert.deepEqual(loaded.turns[1].spans, [{ kind: "student", text: "Forty-two.", tokens: 0 }]);
  assert.match(loaded.turns[1].id, /^migrated-/);
  assert.equal(loaded.turns[2].spans[0].kind, "student");
  // What the panel is sent on load passes its own check: the panel is not blank.
  assert.equal(parseToWebview({ type: "init", turns: loaded.turns, teacher: "t", busy: false }).ok, true);
});

test("an unreadable store gives an empty history, and says so", () => {
  assert.deepEqual(loadHistory({ version: 99, turns: "nope" }), { turns: [], dropped: 1, migrated: true });
  assert.deepEqual(loadHistory(42), { turns: [], dropped: 1, migrated: true });
});
