/**
 * The memory check before a second model (a separate inline model beside the student): the
 * estimate comes from the file's header (node-llama-cpp's GGUF insights), so a model too large
 * to sit beside the student is refused before anything is loaded. A real small model fits; a
 * model of Llama 3.1 405B's shape (a real GGUF header over a sparse file: ~430 GB that take no
 * disk) does not, with a sentence that says how much it needs and how much is free.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fitSentence, secondModelFits } from "../../src/core/memoryFit.js";
import { HUGE_405B_LIKE, writeShapeOnlyModel } from "../../src/gguf/randomWeights.js";
import { getSharedLlama, type LlamaHandle } from "../../src/llama/llama.js";
import { estimateModelMemory, freeMemory } from "../../src/llama/memory.js";
import { checkGgufIntegrity } from "../../src/llama/loadModel.js";
import { realModels } from "../fixtures/real.js";

let dir: string;
let huge: string;
let handle: LlamaHandle;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "relay-inline-memory-"));
  huge = join(dir, "huge-405b-like.Q8_0.gguf");
  writeShapeOnlyModel(huge, HUGE_405B_LIKE);
  handle = await getSharedLlama({ gpu: "cpu", threads: 1 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("the shape-only model is a real GGUF of ~430 GB that takes no disk", async () => {
  const st = statSync(huge);
  assert.ok(st.size > 400e9, `size ${st.size}`);
  assert.ok(st.blocks * 512 < 200e6, `it takes ${st.blocks * 512} bytes of disk`);
  await checkGgufIntegrity(huge);
});

test("a model too large to sit beside the student is refused from its header, saying how much it needs and how much is free", async () => {
  const need = await estimateModelMemory(handle, huge, { contextSize: 4096, sequences: 1 });
  const free = await freeMemory(handle);
  assert.ok(need.ramBytes > 400e9, `estimated ${need.ramBytes}`);
  const verdict = secondModelFits(need, free);
  assert.equal(verdict.fits, false);
  assert.equal(verdict.short, "RAM");
  assert.match(fitSentence(verdict), /^needs about \d+(\.\d)? GB of RAM; \d+(\.\d+)? GB is free with the student loaded$/);
});

test("a real small coder fits", async () => {
  const models = await realModels();
  const need = await estimateModelMemory(handle, models.qwenCoder, { contextSize: 4096, sequences: 1 });
  assert.ok(need.ramBytes > 300e6 && need.ramBytes < 2e9, `estimated ${need.ramBytes}`);
  assert.equal(secondModelFits(need, await freeMemory(handle)).fits, true);
});

test("the decision: GPU memory first when the model goes there, a reserve kept free", () => {
  const GB = 2 ** 30;
  assert.deepEqual(secondModelFits({ ramBytes: 1 * GB, vramBytes: 0 }, { ramBytes: 8 * GB, vramBytes: 0 }), { fits: true });
  assert.equal(secondModelFits({ ramBytes: 7.5 * GB, vramBytes: 0 }, { ramBytes: 8 * GB, vramBytes: 0 }).fits, false, "the reserve stays free");
  assert.equal(secondModelFits({ ramBytes: 1 * GB, vramBytes: 5 * GB }, { ramBytes: 8 * GB, vramBytes: 4 * GB }).short, "GPU memory");
});
