/** Bad input at the Node level with real files: a half-downloaded (truncated) real GGUF. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { open, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RelayError } from "../../src/core/errors.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { REAL_THREADS, realModels } from "../fixtures/real.js";

let dir: string;
let source: string;
before(async () => {
  source = (await realModels()).smollm2;
  dir = await mkdtemp(join(tmpdir(), "relay-real-truncated-"));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The first `bytes` of the real model, as a download cut off there leaves it. */
async function cutCopy(name: string, bytes: number): Promise<string> {
  const path = join(dir, name);
  const input = await open(source, "r");
  const output = await open(path, "w");
  try {
    const buffer = Buffer.alloc(1 << 20);
    for (let done = 0; done < bytes; ) {
      const { bytesRead } = await input.read(buffer, 0, Math.min(buffer.length, bytes - done), done);
      if (bytesRead === 0) break;
      await output.write(buffer.subarray(0, bytesRead));
      done += bytesRead;
    }
  } finally {
    await input.close();
    await output.close();
  }
  return path;
}

test("a half-downloaded real GGUF: a clear error naming the file, for the student and a local teacher alike", async () => {
  const size = (await stat(source)).size;
  const half = await cutCopy("SmolLM2-half.gguf", Math.floor(size / 2));
  for (const load of [
    () => LlamaStudent.load({ model: half, gpu: "cpu", threads: REAL_THREADS, contextSize: 256, sequences: 1 }),
    () => LocalTeacher.load({ model: half, gpu: "cpu", threads: REAL_THREADS, contextSize: 256 }),
  ]) {
    await assert.rejects(load, (error: unknown) => {
      assert.ok(error instanceof RelayError);
      assert.equal(error.code, "model-corrupt");
      assert.match(error.message, /truncated/);
      assert.ok(error.message.includes(half));
      return true;
    });
  }
});

test("a real GGUF missing only its last bytes: llama.cpp refuses it, the error is clear, the process lives on", async () => {
  const size = (await stat(source)).size;
  const cut = await cutCopy("SmolLM2-cut.gguf", size - 16);
  await assert.rejects(
    () => LlamaStudent.load({ model: cut, gpu: "cpu", threads: REAL_THREADS, contextSize: 256, sequences: 1 }),
    (error: unknown) => error instanceof RelayError && error.code === "model-corrupt" && /corrupt, truncated/.test(error.message) && error.message.includes(cut),
  );
  // The same process still loads the intact file.
  const student = await LlamaStudent.load({ model: source, gpu: "cpu", threads: REAL_THREADS, contextSize: 256, sequences: 1 });
  await student.dispose();
});
