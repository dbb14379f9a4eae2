/** The chat panel's conversations: open, new, reopen, delete, turns landing where they were asked, storage. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConversationStore, type StateStore } from "../../src/extension/conversationStore.js";
import { silentLogger } from "../../src/core/logger.js";
import type { ChatTurn } from "../../src/protocol/chat.js";

/** A workspace state in memory, stored as JSON like VS Code's Memento. */
class MemoryState implements StateStore {
  readonly values = new Map<string, string>();
  get<T>(key: string): T | undefined {
    const v = this.values.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  update(key: string, value: unknown): Thenable<void> {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, JSON.stringify(value));
    return Promise.resolve();
  }
}

const turn = (id: string, question = `question ${id}`): ChatTurn => ({ id, question, spans: [] });
const stored = (state: MemoryState) => state.get<{ current: string; conversations: { id: string; turns: { id: string }[] }[] }>("relay.chat.conversations");

test("a fresh workspace: one empty open conversation, nothing stored until it has a turn", async () => {
  const state = new MemoryState();
  const store = new ConversationStore(state, silentLogger);
  assert.equal(store.current.turns.length, 0);
  assert.ok(store.has(store.currentId));
  assert.deepEqual(store.past(), []);
  await store.startNew();
  assert.equal(stored(state)?.conversations.length, 0, "an empty chat is not stored");
  await store.addTurn(store.currentId, turn("a"));
  assert.deepEqual(stored(state)?.conversations.map((c) => c.turns.map((t) => t.id)), [["a"]]);
});

test("New Chat keeps the last conversation among the past ones; an empty one is not multiplied", async () => {
  const store = new ConversationStore(new MemoryState(), silentLogger);
  const first = store.currentId;
  await store.addTurn(first, turn("a"));
  await store.startNew();
  const second = store.currentId;
  assert.notEqual(second, first);
  await store.startNew();
  assert.equal(store.currentId, second, "New Chat on an empty chat stays on it");
  assert.deepEqual(store.past().map((c) => c.id), [first]);
});

test("a turn lands in the conversation it was asked in, even after another was opened or it was deleted", async () => {
  const store = new ConversationStore(new MemoryState(), silentLogger);
  const asked = store.currentId;
  await store.addTurn(asked, turn("a"));
  await store.startNew();
  await store.addTurn(asked, turn("b"));
  assert.deepEqual(store.past().find((c) => c.id === asked)?.turns.map((t) => t.id), ["a", "b"]);
  assert.equal(store.current.turns.length, 0);
  store.delete(asked);
  await store.addTurn(asked, turn("c"));
  assert.deepEqual(store.past().find((c) => c.id === asked)?.turns.map((t) => t.id), ["c"]);
});

test("reopening a past chat drops the empty one left behind; deleting the open one leaves an empty chat", async () => {
  const store = new ConversationStore(new MemoryState(), silentLogger);
  const first = store.currentId;
  await store.addTurn(first, turn("a"));
  await store.startNew();
  const empty = store.currentId;
  assert.equal(store.open("no-such-chat"), false);
  assert.equal(store.currentId, empty);
  assert.equal(store.open(first), true);
  assert.equal(store.has(empty), false);
  assert.equal(store.delete(first), true);
  assert.notEqual(store.currentId, first);
  assert.equal(store.current.turns.length, 0);
  assert.deepEqual(store.past(), []);
});

test("a stored workspace is read back: the open chat and the past ones; a version-1 history is migrated once", async () => {
  const state = new MemoryState();
  const store = new ConversationStore(state, silentLogger);
  await store.addTurn(store.currentId, turn("a"));
  const open = store.currentId;
  const again = new ConversationStore(state, silentLogger);
  assert.equal(again.currentId, open);
  assert.deepEqual(again.current.turns.map((t) => t.id), ["a"]);

  const legacy = new MemoryState();
  await legacy.update("relay.chat.history", { version: 1, turns: [turn("old")] });
  const migrated = new ConversationStore(legacy, silentLogger);
  assert.deepEqual(migrated.current.turns.map((t) => t.id), ["old"]);
  assert.equal(legacy.get("relay.chat.history"), undefined, "the old key is removed");
  assert.deepEqual(stored(legacy)?.conversations.map((c) => c.turns.map((t) => t.id)), [["old"]]);
});
