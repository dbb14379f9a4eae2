/**
 * Chat with a real model (SmolLM2-135M-Instruct) through the code the extension runs: the
 * student on node-llama-cpp, the relay controller under the default policy, the chat panel's
 * history for the second turn.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { runRelay, type RelayEvent, type RelayResult } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import type { TaskPrompt } from "../../src/core/prompts.js";
import type { ChatTurn } from "../../src/protocol/chat.js";
import { chatHistory } from "../../src/protocol/chatContext.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { REAL_THREADS, SPECIAL_TEXT, realModels } from "../fixtures/real.js";

const FIRST = "What is the capital of France? Answer in one sentence.";
const SECOND = "And the capital of Germany?";

async function ask(student: LlamaStudent, task: TaskPrompt): Promise<{ result: RelayResult; streamed: string[] }> {
  const streamed: string[] = [];
  const onEvent = (e: RelayEvent) => {
    if (e.type === "text") streamed.push(e.text);
  };
  const result = await runRelay({ task, student, policy: createPolicy("auto"), limits: { maxTokens: 48 }, onEvent });
  await result.released;
  return { result, streamed };
}

function asTurn(question: string, result: RelayResult): ChatTurn {
  return {
    id: "t1",
    question,
    spans: result.spans.map((s) => ({ kind: s.kind, text: s.text, tokens: s.tokens, ...(s.thought ? { thought: true } : {}) })),
    stats: { ...result.stats },
  };
}

describe("chat with the real SmolLM2 student", () => {
  let student: LlamaStudent;
  before(async () => {
    const models = await realModels();
    student = await LlamaStudent.load({ model: models.smollm2, gpu: "cpu", threads: REAL_THREADS, contextSize: 1024, sequences: 2 });
  });
  after(async () => {
    await student?.dispose();
  });

  test("its prompt is SmolLM2's ChatML with one <|im_start|> per turn (node-llama-cpp's wrapper had doubled the BOS)", () => {
    assert.equal(student.chatTemplate, "ChatML");
    const tokens = student.promptTokens({ user: FIRST });
    const bos = student.model.tokens.bos;
    assert.equal(tokens[0], bos, "the first turn opens with <|im_start|>, which is SmolLM2's BOS token");
    assert.notEqual(tokens[1], bos);
    assert.equal(student.renderPrompt({ user: FIRST }), `<|im_start|>user\n${FIRST}<|im_end|>\n<|im_start|>assistant\n`);
  });

  test("an answer ends at end-of-turn with no template text; the second turn of the chat reuses the cached prefix", async () => {
    const first = await ask(student, { user: FIRST });
    assert.equal(first.result.stats.stopReason, "eos", `ended at end-of-turn, not by the token limit: ${JSON.stringify(first.result.text)}`);
    assert.ok(first.result.text.trim().length > 0);
    assert.match(first.result.text, /Paris/);
    assert.doesNotMatch(first.result.text, SPECIAL_TEXT);
    for (const piece of first.streamed) assert.doesNotMatch(piece, SPECIAL_TEXT);
    assert.equal(first.streamed.join(""), first.result.text);

    const history = chatHistory([asTurn(FIRST, first.result)]);
    assert.deepEqual(history, [{ user: FIRST, assistant: first.result.text.trim() }]);
    const task: TaskPrompt = { user: SECOND, history };
    const firstPrompt = student.promptTokens({ user: FIRST });
    const fullPrompt = student.promptTokens(task);
    assert.deepEqual(fullPrompt.slice(0, firstPrompt.length), firstPrompt, "the chat's rendering only grows at the end");

    const second = await ask(student, task);
    const { promptTokens, studentEvaluatedTokens, studentTokens } = second.result.stats;
    // The first prompt (and the answer as the model wrote it) stayed in the sequence's KV cache.
    assert.ok(promptTokens >= 1 && promptTokens <= fullPrompt.length - firstPrompt.length, `evaluated ${promptTokens} of ${fullPrompt.length} prompt tokens (first turn's prompt: ${firstPrompt.length})`);
    assert.ok(studentEvaluatedTokens <= promptTokens + studentTokens + 1, `evaluated ${studentEvaluatedTokens} in all`);
    assert.equal(second.result.stats.stopReason, "eos");
    assert.match(second.result.text, /Berlin/);
    assert.doesNotMatch(second.result.text, SPECIAL_TEXT);
    for (const piece of second.streamed) assert.doesNotMatch(piece, SPECIAL_TEXT);
  });
});
