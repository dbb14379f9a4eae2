/** A process killed mid-run loses nothing it had settled; its open reservation counts as spent. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { BudgetLedger, replayLedger } from "../../src/core/budget.js";
import { FileLedgerStore } from "../../src/io/fileLedgerStore.js";

test("ledger crash: SIGKILL mid-run, the ledger replays to the settled total", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "relay-ledger-")), "ledger.jsonl");
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/ledgerChild.ts", path], { stdio: ["ignore", "pipe", "inherit"] });
  let reported = 0;
  let lines = 0;
  await new Promise<void>((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const line of parts) {
        reported = Number(line.split(" ")[1]);
        if (++lines === 40) {
          child.kill("SIGKILL");
          resolve();
        }
      }
    });
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`child exited early: ${code}`))));
  });
  await new Promise((r) => child.once("close", r));

  const fileLines = readFileSync(path, "utf8").split("\n");
  const replay = replayLedger(fileLines, "total");
  const parsed = fileLines.flatMap((l) => {
    try {
      return [JSON.parse(l) as { t: string; n: number }];
    } catch {
      return []; // a line torn by the kill: reported by replay, never a refund
    }
  });
  const settledInFile = parsed.filter((e) => e.t === "settle").reduce((sum, e) => sum + e.n, 0);
  // Everything the child saw settled (fsynced before it printed) is in the file; at most one
  // more settlement landed between its fsync and its print.
  assert.ok(settledInFile >= reported, `${settledInFile} < ${reported}`);
  assert.ok(settledInFile <= reported + 11);
  // An open reservation of the killed process counts as spent, never as a refund.
  const staleSum = replay.stale.reduce((s, r) => s + r.n, 0);
  assert.ok(replay.stale.length <= 1);
  assert.equal(replay.settled, settledInFile + staleSum);
  const reopened = await BudgetLedger.open(new FileLedgerStore(path), { limit: 0, period: "total" });
  assert.equal(reopened.usage().settled, settledInFile + staleSum);
});
