/** `--limit`: one number for every dataset, or per dataset with an optional default. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseLimit } from "../../src/cli/eval.js";
import { limitFor } from "../../src/eval/runEval.js";

test("--limit 25 limits every dataset; arith=80,gsm8k=25 each its own; a plain n is the default for the rest", () => {
  assert.equal(parseLimit("25"), 25);
  assert.deepEqual(parseLimit("arith=80, gsm8k=25"), { arith: 80, gsm8k: 25 });
  assert.deepEqual(parseLimit("25,arith=80"), { "*": 25, arith: 80 });
  assert.equal(limitFor(25, "gsm8k"), 25);
  assert.equal(limitFor({ arith: 80, gsm8k: 25 }, "gsm8k"), 25);
  assert.equal(limitFor({ arith: 80 }, "gsm8k"), undefined);
  assert.equal(limitFor({ "*": 5, arith: 80 }, "math500"), 5);
  assert.equal(limitFor(undefined, "arith"), undefined);
});

test("a bad --limit is a clear error", () => {
  assert.throws(() => parseLimit("0"), /--limit must be a whole number from 1 to 10000000 \(got "0"\)/);
  assert.throws(() => parseLimit("arith=x"), /--limit must be a whole number from 1 to 10000000 \(got "x"\)/);
  assert.throws(() => parseLimit("arith=1,arith=2"), /give each dataset once/);
  assert.throws(() => parseLimit("5,6"), /at most one plain n/);
  assert.throws(() => parseLimit("=5"), /give each dataset once, as name=n/);
});

test("relay eval: a --limit for a dataset not evaluated is refused before anything runs", async () => {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
  await assert.rejects(promisify(execFile)(process.execPath, ["--import", "tsx", main, "eval", "--data", "arith", "--limit", "gsm8k=5", "--student", "/nonexistent.gguf", "--out", "/nonexistent/out"]), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 2); // a usage error
    assert.match(e.stderr, /--limit names gsm8k, not among the datasets \(arith\)/);
    return true;
  });
});
