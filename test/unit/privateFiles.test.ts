/** The teacher-request log and the budget ledger are created readable by their owner only. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FileLedgerStore } from "../../src/io/fileLedgerStore.js";
import { FileTeacherLog } from "../../src/io/fileTeacherLog.js";

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

test("a new teacher-request log and a new or rewritten ledger are 0600, whatever the umask", async () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-private-"));
  const umask = process.umask(0o022);
  try {
    const log = new FileTeacherLog(join(dir, "requests.jsonl"));
    log.record({ ts: "2026-01-01T00:00:00Z", provider: "openai", model: "m", request: { prompt: "p" }, reply: "r", durationMs: 1 });
    await log.flush();
    assert.equal(modeOf(join(dir, "requests.jsonl")), "600");

    const ledger = new FileLedgerStore(join(dir, "ledger.jsonl"));
    await ledger.append(['{"v":2}']);
    assert.equal(modeOf(join(dir, "ledger.jsonl")), "600");
    await ledger.rewrite(['{"v":2}', '{"v":2}']);
    assert.equal(modeOf(join(dir, "ledger.jsonl")), "600", "a rewrite keeps it private");
  } finally {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  }
});
