/**
 * `--teacher-stop` on a local GGUF teacher (real Qwen2.5-Coder-0.5B): the reply ends before the
 * first stop string, as an OpenAI-compatible server ends it, and the teacher's cached sequence
 * stays right for the next call — greedy text after a stop is the text the teacher would have
 * written without one.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { TeacherRequest } from "../../src/core/models.js";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { REAL_THREADS, realModels } from "../fixtures/real.js";

describe("a local teacher with a stop string", () => {
  let stopping: LocalTeacher;
  let plain: LocalTeacher;
  before(async () => {
    const { qwenCoder } = await realModels();
    stopping = await LocalTeacher.load({ model: qwenCoder, gpu: "cpu", threads: REAL_THREADS, contextSize: 1024, stop: ["\n"] });
    plain = await LocalTeacher.load({ model: qwenCoder, gpu: "cpu", threads: REAL_THREADS, contextSize: 1024 });
  });
  after(async () => {
    await stopping?.dispose();
    await plain?.dispose();
  });

  test("ends before the newline with finish 'stop'; the next call goes on as the teacher would have", async () => {
    const task = { system: "You are a helpful assistant.", user: "List the numbers 1 to 6, one per line, each followed by its square, like '1: 1'." };
    const request = (answer: string, maxTokens: number): TeacherRequest => ({ task, promptText: stopping.renderPrompt(task), answer, maxTokens });
    const whole = await plain.generate(request("", 64));
    assert.ok(whole.text.trim().includes("\n"), `the plain teacher writes several lines: ${JSON.stringify(whole.text)}`);

    const first = await stopping.generate(request("", 64));
    assert.equal(first.finish, "stop");
    assert.ok(!first.text.includes("\n"), JSON.stringify(first.text));
    assert.ok(whole.text.startsWith(first.text), `${JSON.stringify(first.text)} is where ${JSON.stringify(whole.text)} begins`);
    assert.ok(first.usage && first.usage.completionTokens < 64);

    // The caller splices the line end (as the student would write it) and asks again.
    const answer = whole.text.slice(0, first.text.length + 1);
    const second = await stopping.generate(request(answer, 64));
    assert.ok(second.text.length > 0 && !second.text.includes("\n"), JSON.stringify(second.text));
    assert.ok(whole.text.startsWith(answer + second.text), `after the stop: ${JSON.stringify(second.text)}; without one: ${JSON.stringify(whole.text)}`);
    assert.ok((second.usage?.cachedPromptTokens ?? 0) > 0, "the sequence was reused, not evaluated again");
  });
});
