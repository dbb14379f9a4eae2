/**
 * The budget holds across processes: N separate Node processes race on one ledger file, trial
 * after trial. Never more than the limit is settled, and every settlement a process made is in
 * the ledger (none lost to another process closing it as stale). The same when half of them
 * reach the ledger through a symlink: one file, one lock, and the link stays a link.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { replayLedger } from "../../src/core/budget.js";

const PROCESSES = 4;
const TRIALS = 30;
const CALLS = 6;

interface Worker {
  child: ChildProcessWithoutNullStreams;
  next(): Promise<string>;
}

function startWorker(): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/ledgerRacer.ts"], { stdio: ["pipe", "pipe", "pipe"] });
  child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
  const waiting: Array<(line: string) => void> = [];
  const ready: string[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else ready.push(line);
  });
  return { child, next: () => new Promise((resolve) => (ready.length ? resolve(ready.shift()!) : waiting.push(resolve))) };
}

let workers: Worker[] = [];
before(() => {
  workers = Array.from({ length: PROCESSES }, startWorker);
});
after(() => {
  for (const w of workers) w.child.kill("SIGKILL");
});

test(`${PROCESSES} processes × ${TRIALS} trials racing on one ledger: 0 overspend, 0 lost settlements`, { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-race-"));
  const overspent: string[] = [];
  const lost: string[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const path = join(dir, `ledger-${t}.jsonl`);
    const limit = 150 + ((t * 37) % 200);
    for (const [i, w] of workers.entries()) w.child.stdin.write(`trial ${t} ${path} ${limit} ${CALLS} ${t * 100 + i + 1}\n`);
    const replies = await Promise.all(workers.map((w) => w.next()));
    const failed = replies.filter((r) => !r.startsWith("done"));
    assert.deepEqual(failed, [], `trial ${t}: a worker failed`);
    const charged = replies.reduce((sum, r) => sum + Number(r.split(" ")[2]), 0);
    const replay = replayLedger(readFileSync(path, "utf8").split("\n"), "total");
    if (replay.settled > limit) overspent.push(`trial ${t}: ${replay.settled} > ${limit}`);
    if (replay.settled !== charged) lost.push(`trial ${t}: ledger ${replay.settled}, processes settled ${charged}`);
  }
  process.stdout.write(`# race: ${PROCESSES} processes × ${TRIALS} trials: ${overspent.length} overspent, ${lost.length} with lost or extra settlements\n`);
  assert.deepEqual(overspent, []);
  assert.deepEqual(lost, []);
});

test(`${PROCESSES} processes, half through a symlink, half on the real path: one budget, 0 overspend, the link kept`, { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-race-link-"));
  const overspent: string[] = [];
  const lost: string[] = [];
  const trials = 10;
  for (let t = 0; t < trials; t++) {
    mkdirSync(join(dir, `real-${t}`));
    mkdirSync(join(dir, `link-${t}`));
    const real = join(dir, `real-${t}`, "ledger.jsonl");
    const link = join(dir, `link-${t}`, "ledger.jsonl");
    symlinkSync(real, link);
    const limit = 150 + ((t * 37) % 200);
    for (const [i, w] of workers.entries()) w.child.stdin.write(`trial ${t} ${i % 2 ? link : real} ${limit} ${CALLS} ${t * 100 + i + 1}\n`);
    const replies = await Promise.all(workers.map((w) => w.next()));
    const failed = replies.filter((r) => !r.startsWith("done"));
    assert.deepEqual(failed, [], `trial ${t}: a worker failed`);
    assert.ok(lstatSync(link).isSymbolicLink(), `trial ${t}: the link was replaced by a regular file (the budget split in two)`);
    const charged = replies.reduce((sum, r) => sum + Number(r.split(" ")[2]), 0);
    const replay = replayLedger(readFileSync(real, "utf8").split("\n"), "total");
    if (replay.settled > limit) overspent.push(`trial ${t}: ${replay.settled} > ${limit}`);
    if (replay.settled !== charged) lost.push(`trial ${t}: ledger ${replay.settled}, processes settled ${charged}`);
  }
  process.stdout.write(`# race through a symlink: ${PROCESSES} processes × ${trials} trials: ${overspent.length} overspent, ${lost.length} with lost or extra settlements\n`);
  assert.deepEqual(overspent, []);
  assert.deepEqual(lost, []);
});
