/**
 * kill -9 at any point of a ledger operation: the next process opens the ledger (taking over
 * a lock left behind), loses no settlement that was on disk, charges an open reservation of the
 * dead process in full (never as a refund), and repairs a torn line without letting it glue
 * onto the next entry.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { BudgetLedger, replayLedger } from "../../src/core/budget.js";
import { FileLedgerStore } from "../../src/io/fileLedgerStore.js";

const POINTS = ["holding-lock", "torn-reserve", "after-reserve", "before-settle-write", "torn-settle", "after-settle", "mid-compaction"];
/** One reservation of the child: 10 prompt tokens + 8 safety + a 10-token span. */
const ONE_RESERVATION = 28;

function runChild(path: string, point: string, after: number, killAfterLines?: number): Promise<{ reported: number; signal: string | null }> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/ledgerKiller.ts", path, point, String(after)], { stdio: ["ignore", "pipe", "inherit"] });
  let reported = 0;
  let lines = 0;
  let buffer = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    for (const line of parts) {
      reported = Number(line.split(" ")[1]);
      if (killAfterLines !== undefined && ++lines >= killAfterLines) child.kill("SIGKILL");
    }
  });
  return new Promise((resolve) => child.on("close", (_code, signal) => resolve({ reported, signal })));
}

/** A v1 ledger (main's format) long enough to be compacted on open. */
function bigV1Ledger(path: string, pairs: number): number {
  const lines: string[] = [];
  let total = 0;
  for (let i = 0; i < pairs; i++) {
    lines.push(JSON.stringify({ t: "reserve", id: `old-${i}`, p: "total", n: 30, ts: 1_700_000_000_000 + i * 60_000 }));
    lines.push(JSON.stringify({ t: "settle", id: `old-${i}`, n: 12, ts: 1_700_000_000_000 + i * 60_000 + 5 }));
    total += 12;
  }
  writeFileSync(path, lines.join("\n") + "\n");
  return total;
}

/**
 * `torn`: half a line reached the disk (a machine crash mid-write; a killed process cannot tear
 * one, each append being one write): the spend is then unknown until the user resets the period.
 */
async function checkAfterKill(path: string, reported: number, label: string, torn = false): Promise<void> {
  let opened = await BudgetLedger.open(new FileLedgerStore(path), { limit: 100_000_000, period: "total", promptMargin: 1 });
  let u = opened.usage();
  if (torn) {
    assert.equal(u.unknownSpend, true, `${label}: a torn line must make the spend unknown`);
    assert.equal(await opened.reserve(10, 10), null, `${label}: granted with unknown spend`);
    assert.ok(opened.keptAt, `${label}: the damaged ledger was not kept aside`);
    await opened.reset();
    opened = await BudgetLedger.open(new FileLedgerStore(path), { limit: 0, period: "total", promptMargin: 1 });
    u = { ...u, unknownSpend: false, reserved: opened.usage().reserved };
  }
  // Every settlement the child saw on disk is there; at most one reservation more is charged.
  assert.ok(u.settled >= reported, `${label}: ${u.settled} < ${reported} (a settlement was lost)`);
  assert.ok(u.settled <= reported + ONE_RESERVATION, `${label}: ${u.settled} > ${reported} + ${ONE_RESERVATION}`);
  assert.equal(u.reserved, 0, `${label}: the dead process's reservation is still open`);
  assert.equal(u.unknownSpend, false, `${label}: a torn write must not make the spend unknown`);
  // The ledger goes on: a new call is reserved and settled, and the file reads clean.
  const before = opened.usage().settled;
  const r = await opened.reserve(10, 10);
  await r!.settle({ promptTokens: 10, completionTokens: 3 });
  const again = await BudgetLedger.open(new FileLedgerStore(path), { limit: 0, period: "total", promptMargin: 1 });
  assert.deepEqual(again.problems, [], `${label}: problems reported twice`);
  assert.equal(again.usage().settled, before + 13, label);
  const replay = replayLedger(readFileSync(path, "utf8").split("\n"), "total");
  assert.equal(replay.problems.length, 0, `${label}: ${replay.problems.join("; ")}`);
  // A rewrite killed between its temporary file and the rename leaves nothing behind for long.
  const leftovers = readdirSync(dirname(path)).filter((f) => f.startsWith(`${basename(path)}.`) && f.endsWith(".tmp"));
  assert.deepEqual(leftovers, [], `${label}: temporary files left behind`);
}

test("kill -9 at every point of a ledger operation: nothing settled is lost, nothing is refunded", { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-kill-"));
  const survived: string[] = [];
  for (const point of POINTS) {
    for (const after of point === "mid-compaction" ? [0] : [0, 3]) {
      const path = join(dir, `${point}-${after}.jsonl`);
      const before = point === "mid-compaction" ? bigV1Ledger(path, 2100) : 0;
      const { reported, signal } = await runChild(path, point, after);
      assert.equal(signal, "SIGKILL", `${point}: the child was not killed`);
      if (point === "holding-lock") assert.ok(existsSync(`${path}.lock`), "the killed holder left its lock behind");
      await checkAfterKill(path, before + reported, `${point} (cycle ${after + 1})`, point.startsWith("torn"));
      survived.push(`${point}@${after + 1}`);
    }
  }
  // And at random moments of a busy loop.
  for (let trial = 0; trial < 6; trial++) {
    const path = join(dir, `random-${trial}.jsonl`);
    const { reported, signal } = await runChild(path, "random", 0, 5 + trial * 7);
    assert.equal(signal, "SIGKILL");
    await checkAfterKill(path, reported, `random kill ${trial}`);
    survived.push(`random#${trial}`);
  }
  process.stdout.write(`# kill -9: ${survived.length} kill points survived: ${survived.join(", ")}\n`);
});
