/** A GGUF whose header claims absurd counts fails fast with a clear error (no hang, no memory growth). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { RelayError } from "../../src/core/errors.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { scriptedPairPaths } from "../fixtures/pair.js";

/** Stop waiting here: a build without the check hangs and grows without bound (a hang, not a timing: no speed is asserted). */
const CAP_MS = 30_000;

test("GGUF headers claiming 2^40 tensors or metadata entries: model-corrupt at once", async () => {
  const { student } = await scriptedPairPaths();
  const dir = mkdtempSync(join(tmpdir(), "relay-gguf-"));
  for (const [field, offset] of [["tensors", 8], ["metadata entries", 16]] as const) {
    const path = join(dir, `absurd-${offset}.gguf`);
    copyFileSync(student, path);
    const fd = openSync(path, "r+");
    const count = Buffer.alloc(8);
    count.writeBigUInt64LE(2n ** 40n);
    writeSync(fd, count, 0, 8, offset);
    closeSync(fd);
    let cap: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      LlamaStudent.load({ model: path, gpu: "cpu", contextSize: 256 }).then(
        async (s) => {
          await s.dispose();
          return "loaded";
        },
        (e: unknown) => e,
      ),
      new Promise<string>((resolve) => (cap = setTimeout(() => resolve("hung"), CAP_MS))),
    ]);
    clearTimeout(cap);
    assert.ok(outcome instanceof RelayError, `${field}: ${String(outcome)}`);
    assert.equal(outcome.code, "model-corrupt");
    assert.match(outcome.message, new RegExp(`claims \\d+ tensors and \\d+ metadata entries, which cannot fit`));
  }
});
