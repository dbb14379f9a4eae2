/**
 * The one "is that process still running?" helper (src/io/processAlive.ts), used by the budget
 * ledger and by the writer of generated files: only "no such process" is dead; anything it
 * cannot tell counts as alive (the safe answer: nothing of a live process is cleaned away).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { processAlive } from "../../src/io/processAlive.js";

const failing = (code: string | undefined) => () => {
  throw Object.assign(new Error(`kill: ${code}`), { code });
};

test("this process is alive; a process that has exited is not", () => {
  assert.equal(processAlive(process.pid), true);
  const child = spawnSync(process.execPath, ["-e", ""]);
  assert.equal(child.status, 0);
  // Its pid is free now (pids are handed out in increasing order: not reused at once).
  assert.equal(processAlive(child.pid!), false);
});

test("only ESRCH is dead: EPERM and unknown errors are alive", () => {
  assert.equal(processAlive(1234, failing("ESRCH")), false);
  assert.equal(processAlive(1234, failing("EPERM")), true, "another user's process");
  assert.equal(processAlive(1234, failing("EINVAL")), true, "an error it cannot interpret");
  assert.equal(processAlive(1234, failing(undefined)), true, "an error without a code");
});

test("a pid that is not a positive whole number is never declared dead", () => {
  for (const pid of [0, -1, 1.5, Number.NaN]) assert.equal(processAlive(pid, failing("ESRCH")), true, String(pid));
});

test("the ledger and the file writer use it (one helper, one answer)", async () => {
  const { readFileSync } = await import("node:fs");
  for (const file of ["src/io/fileLedgerStore.ts", "src/io/writeOnce.ts"]) {
    const text = readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");
    assert.match(text, /import \{ processAlive \} from "\.\/processAlive\.js";/, file);
    assert.doesNotMatch(text, /process\.kill\(/, `${file} asks the helper, not process.kill`);
  }
});
