/** Which chat format the teacher's prompt is rendered in, and what a chat's history carries. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import type { TaskPrompt } from "../../src/core/prompts.js";
import type { ChatTurn } from "../../src/protocol/chat.js";
import { chatHistory } from "../../src/protocol/chatContext.js";
import { MemoryStudent, MemoryTeacher, pieces } from "../helpers/memoryModels.js";

const task = { user: "What is 2+3?" };
const calling = () => new MemoryStudent([pieces("So", "<call>4</call>"), pieces(" done.")]);

test("a teacher that renders its own format gets it; the student's template otherwise; an explicit text wins", async () => {
  const plain = new MemoryTeacher(() => ({ text: " it", finish: "length", model: "m" }));
  await runRelay({ task, student: calling(), teacher: plain, policy: createPolicy("learned") });
  assert.equal(plain.requests[0].promptText, "<user>What is 2+3?</user><assistant>");

  const own = Object.assign(new MemoryTeacher(() => ({ text: " it", finish: "length", model: "m" })), {
    renderPrompt: (t: TaskPrompt) => `<start_of_turn>user\n${t.user}<end_of_turn>\n<start_of_turn>model\n`,
  });
  await runRelay({ task, student: calling(), teacher: own, policy: createPolicy("learned") });
  assert.equal(own.requests[0].promptText, "<start_of_turn>user\nWhat is 2+3?<end_of_turn>\n<start_of_turn>model\n");

  const given = Object.assign(new MemoryTeacher(() => ({ text: " it", finish: "length", model: "m" })), { renderPrompt: () => "unused" });
  await runRelay({ task, student: calling(), teacher: given, policy: createPolicy("learned"), teacherPromptText: "EXPLICIT:" });
  assert.equal(given.requests[0].promptText, "EXPLICIT:");
});

test("the task a chat-style teacher sees keeps the history, redacted like the rest", async () => {
  const teacher = new MemoryTeacher(() => ({ text: " it", finish: "length", model: "m" }));
  const secret = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0";
  const history = [{ user: `my key is ${secret}`, assistant: "noted" }];
  await runRelay({ task: { user: "and now?", history }, student: calling(), teacher, policy: createPolicy("learned") });
  const sent = teacher.requests[0].task;
  assert.equal(sent.history?.length, 1);
  assert.ok(!JSON.stringify(sent).includes(secret), JSON.stringify(sent));
  assert.equal(sent.history?.[0].assistant, "noted");
});

test("chat history: finished plain questions only, reasoning left out, the last few", () => {
  const turn = (id: string, over: Partial<ChatTurn> = {}): ChatTurn => ({
    id,
    question: `q${id}`,
    spans: [
      { kind: "student", text: "thinking…", tokens: 2, thought: true },
      { kind: "student", text: `a${id} `, tokens: 2 },
      { kind: "teacher", text: "(t)", tokens: 1 },
    ],
    stats: { generatedTokens: 5, studentTokens: 4, teacherTokens: 1, calls: 1, failedCalls: 0, deniedCalls: 0, callRatio: 0.2, teacherPromptTokens: 1, teacherCompletionTokens: 1, durationMs: 1, stopReason: "eos" },
    ...over,
  });
  const turns = [turn("1"), turn("2", { title: "Explain line 3" }), turn("3", { error: "boom" }), turn("4", { stopped: true }), turn("5", { stats: undefined }), turn("6")];
  assert.deepEqual(chatHistory(turns), [
    { user: "q1", assistant: "a1 (t)" },
    { user: "q6", assistant: "a6 (t)" },
  ]);
  const many = Array.from({ length: 10 }, (_, i) => turn(String(i)));
  assert.deepEqual(chatHistory(many, 3).map((h) => h.user), ["q7", "q8", "q9"]);
});
