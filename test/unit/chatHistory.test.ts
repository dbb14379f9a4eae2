/** The chat history kept per workspace: read through the schema, older shapes migrated, not blanked. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseToWebview } from "../../src/protocol/chat.js";
import { CONVERSATIONS_VERSION, loadConversations } from "../../src/protocol/conversations.js";
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

describe("one bad field loses that field, never the turn's text", () => {
  const bad = (stats: Record<string, unknown>) => ({ id: "b1", question: "What is 2 + 2?", spans: [{ kind: "student", text: "It is 4.", tokens: 4 }], stats: { ...fullStats, ...stats } });

  test("a legacy turn with one bad stats field keeps its question, its text and its other stats", () => {
    for (const field of [{ calls: "two" }, { durationMs: "slow" }, { callRatio: null }, { generatedTokens: Number.NaN }, { stopReason: 42 }, { teacherTokens: { n: 1 } }]) {
      const loaded = loadHistory([bad(field)]);
      assert.equal(loaded.dropped, 0, JSON.stringify(field));
      assert.equal(loaded.turns.length, 1, JSON.stringify(field));
      const [t] = loaded.turns;
      assert.equal(t.question, "What is 2 + 2?");
      assert.deepEqual(t.spans.map((s) => s.text), ["It is 4."]);
      const name = Object.keys(field)[0] as keyof typeof fullStats;
      // The bad field is read as missing (the migration's default); the others are kept.
      assert.equal(t.stats?.[name], name === "stopReason" ? "eos" : 0, name);
      for (const [k, v] of Object.entries(fullStats)) if (k !== name) assert.equal(t.stats?.[k as keyof typeof fullStats], v, k);
    }
  });

  test("the current store with one bad turn: that turn is repaired, the others kept as they were", () => {
    const withEverything = { ...bad({ calls: "two" }), title: "Explain line 3", notice: "The teacher is off.", stopped: true, spans: [{ kind: "student", text: "hmm", tokens: 1, thought: true }, { kind: "teacher", text: "It is 4.", tokens: 4, model: "m", durationMs: 40, error: "e" }] };
    const loaded = loadHistory({ version: HISTORY_VERSION, turns: [turn, withEverything] });
    assert.equal(loaded.dropped, 0);
    assert.deepEqual(loaded.turns.map((t) => t.id), ["a1", "b1"]);
    assert.deepEqual(loaded.turns[0], turn);
    // Everything of the repaired turn that was readable is kept, field for field.
    assert.deepEqual(loaded.turns[1], { ...withEverything, stats: { ...fullStats, calls: 0 } });
    assert.equal(loaded.migrated, true);
  });

  test("a bad id, title, stopped flag or span field is dropped alone", () => {
    const loaded = loadHistory([{ id: 7, question: "q", title: ["x"], stopped: "yes", spans: [{ kind: "teacher", text: "t", tokens: "many", model: 3, durationMs: "slow" }] }]);
    assert.equal(loaded.dropped, 0);
    const [t] = loaded.turns;
    assert.match(t.id, /^migrated-/);
    assert.equal(t.title, undefined);
    assert.equal(t.stopped, undefined);
    assert.deepEqual(t.spans, [{ kind: "teacher", text: "t", tokens: 0 }]);
  });

  test("a saved conversation with one bad turn keeps the conversation and every readable turn", () => {
    const conversation = { id: "c1", createdAt: 1, updatedAt: 2, turns: [turn, bad({ durationMs: "slow" }), { id: "x", spans: [] }] };
    const loaded = loadConversations({ version: CONVERSATIONS_VERSION, current: "c1", conversations: [conversation] }, undefined);
    assert.equal(loaded.current, "c1");
    assert.equal(loaded.conversations.length, 1);
    assert.deepEqual(loaded.conversations[0].turns.map((t) => t.id), ["a1", "b1"]);
    assert.equal(loaded.conversations[0].turns[1].stats?.durationMs, 0);
    assert.equal(loaded.dropped, 1, "only the turn with no question is left out");
    assert.equal(loaded.migrated, true);
  });

  test("a saved conversation with bad times keeps its turns", () => {
    const loaded = loadConversations({ version: CONVERSATIONS_VERSION, current: "c1", conversations: [{ id: "c1", createdAt: "yesterday", updatedAt: null, turns: [turn] }] }, undefined, 1000);
    assert.equal(loaded.conversations.length, 1);
    assert.deepEqual(loaded.conversations[0].turns, [turn]);
    assert.equal(loaded.conversations[0].createdAt, 1000);
    assert.equal(loaded.dropped, 0);
  });
});
