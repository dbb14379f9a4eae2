/** Teacher prompts in a named chat format (node-llama-cpp's wrappers), for a completions teacher of another family. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RelayError } from "../../src/core/errors.js";
import { PROMPT_TEMPLATES, promptRenderer, type PromptTemplateName } from "../../src/llama/chatFormat.js";
import { OpenAITeacher } from "../../src/teacher/openaiTeacher.js";

const task = { system: "Be brief.", user: "What is 2+3?", history: [{ user: "Hi", assistant: "Hello!" }] };

test("gemma and chatML render the task with its history, the model's turn left open, no BOS text", async () => {
  const gemma = await promptRenderer("gemma");
  const text = gemma(task);
  // Gemma has no system turn: the system text opens the first user turn, as Gemma's own template does.
  assert.ok(text.startsWith("<start_of_turn>user\nBe brief."), text);
  assert.ok(text.includes("Hi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"), text);
  assert.ok(text.endsWith("What is 2+3?<end_of_turn>\n<start_of_turn>model\n"), text);
  assert.ok(!/<bos>|BOS/.test(text));
  const chatML = (await promptRenderer("chatML"))(task);
  assert.ok(chatML.startsWith("<|im_start|>system\nBe brief.<|im_end|>\n"), chatML);
  assert.ok(chatML.endsWith("<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n"), chatML);
});

test("every advertised template renders; an unknown one is a clear error", async () => {
  for (const name of PROMPT_TEMPLATES) assert.ok((await promptRenderer(name))({ user: "x" }).includes("x"), name);
  await assert.rejects(() => promptRenderer("nope" as PromptTemplateName), (e: unknown) => e instanceof RelayError && e.code === "invalid-argument" && /Unknown prompt template "nope"/.test(e.message));
});

test("an OpenAI-compatible teacher renders with it only for raw completions", async () => {
  const render = await promptRenderer("gemma");
  const completions = new OpenAITeacher({ baseURL: "http://127.0.0.1:1/v1", model: "m", style: "completions", renderPrompt: render });
  assert.equal(completions.renderPrompt?.({ user: "q" }), "<start_of_turn>user\nq<end_of_turn>\n<start_of_turn>model\n");
  const chat = new OpenAITeacher({ baseURL: "http://127.0.0.1:1/v1", model: "m", style: "chat", renderPrompt: render });
  assert.equal(chat.renderPrompt, undefined);
});
