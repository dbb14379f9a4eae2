import { test } from "node:test";
import assert from "node:assert/strict";
import { parseFromWebview, parseToWebview } from "../../src/protocol/chat.js";

test("messages from the webview are validated on receipt", () => {
  assert.deepEqual(parseFromWebview({ type: "ask", question: "What is 17 * 23?" }), { ok: true, message: { type: "ask", question: "What is 17 * 23?" } });
  assert.equal(parseFromWebview({ type: "stop" }).ok, true);
  for (const bad of [null, 42, "ask", {}, { type: "ask" }, { type: "ask", question: "" }, { type: "ask", question: 5 }, { type: "run-shell", command: "rm -rf /" }, { type: "insert-code" }]) {
    assert.equal(parseFromWebview(bad).ok, false, JSON.stringify(bad));
  }
});

test("messages to the webview are validated too", () => {
  assert.equal(parseToWebview({ type: "text", id: "1", kind: "teacher", text: "x" }).ok, true);
  assert.equal(parseToWebview({ type: "text", id: "1", kind: "narrator", text: "x" }).ok, false);
  assert.equal(parseToWebview({ type: "turn-end", turn: { id: "1", question: "q", spans: [{ kind: "teacher", text: "t", tokens: 1 }] } }).ok, true);
});
