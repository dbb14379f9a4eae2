/**
 * `relay budget status|reset` as a user runs it (the CLI spawned from source): a ledger torn by
 * a full disk made every later `relay ask` refuse the teacher for the period, and the CLI had
 * no way to reset it. `status` says what the ledger holds and what is wrong without changing
 * it; `reset` repairs (keeping a copy), starts the period over and says what was lost; bad
 * options exit 2; a ledger that is not a regular file exits 1 with the reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { openLedger, spendOn } from "../helpers/ledgerFaults.js";

const env = { ...process.env, NO_COLOR: "1" };

function relay(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), "relay-cli-budget-"));

/** A ledger with 3 calls (150 tokens) and a torn last line, as a full disk used to leave it. */
async function tornLedger(name: string): Promise<string> {
  const path = join(dir, name);
  const ledger = await openLedger(path, { limit: 1000 });
  await spendOn(ledger, 3);
  appendFileSync(path, '{"t":"reserve","id":"torn-by-a-full-di');
  return path;
}

test("relay budget status on a torn ledger: says the spend is unknown and why, not 0 / 1,000; changes nothing", async () => {
  const path = await tornLedger("status.jsonl");
  const before = readFileSync(path);
  const { code, stdout, stderr } = await relay(["budget", "status", "--ledger", path, "--budget-tokens", "1000"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /period\s+month \(\d{4}-\d{2}\)/);
  assert.match(stdout, /used\s+spend unknown \/ 1,000 tokens/);
  assert.match(stdout, /150 settled, 0 in flight, 3 calls/);
  assert.match(stdout, /refused this month until `relay budget reset`/);
  assert.match(stdout, /damage\s+line 8: unreadable entry/);
  assert.doesNotMatch(stdout, /\b0 \/ 1,000/);
  assert.deepEqual(readFileSync(path), before, "status changed the ledger");
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("status.jsonl.")), [], "status left files beside the ledger");
  const json = await relay(["budget", "status", "--ledger", path, "--budget-tokens", "1000", "--json"]);
  const parsed = JSON.parse(json.stdout) as { unknownSpend: boolean; settled: number; limit: number; remaining: number; problems: string[] };
  assert.deepEqual([parsed.unknownSpend, parsed.settled, parsed.limit, parsed.remaining], [true, 150, 1000, 0]);
  assert.ok(parsed.problems.some((p) => p.includes("unreadable entry")));
});

test("relay budget reset: repairs, keeps a copy, reports what was lost; the next run is granted", async () => {
  const path = await tornLedger("reset.jsonl");
  const refused = await openLedger(path, { limit: 1000 });
  assert.equal(await refused.reserve(20, 30), null, "a torn ledger must refuse before the reset");
  const { code, stdout, stderr } = await relay(["budget", "reset", "--ledger", path, "--budget-tokens", "1000"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /reset\s+month \(\d{4}-\d{2}\) of .*reset\.jsonl starts over at 0/);
  assert.match(stdout, /dropped\s+150 settled tokens \(3 calls\) of month \d{4}-\d{2} no longer count; the spend the damaged ledger hid is lost with it \(line 8: unreadable entry/);
  assert.ok(readdirSync(dir).some((f) => f.startsWith("reset.jsonl.damaged-")), "the damaged ledger was not kept aside");
  const after = await relay(["budget", "status", "--ledger", path, "--budget-tokens", "1000"]);
  assert.match(after.stdout, /used\s+0 \/ 1,000 tokens used this month/);
  assert.match(after.stdout, /damage\s+none/);
  // What `relay ask` does next: open the ledger and reserve.
  const next = await openLedger(path, { limit: 1000 });
  assert.deepEqual(next.problems, []);
  assert.ok(await next.reserve(20, 30), "the run after the reset is refused");
  const json = await relay(["budget", "reset", "--ledger", path, "--json"]);
  const report = JSON.parse(json.stdout) as { unknownSpend: boolean; reserved: number; period: string };
  assert.deepEqual([report.unknownSpend, report.reserved, report.period], [false, 58, "month"], "the open reservation (20 + 8 + 30) is what the second reset drops");
});

test("relay budget: usage errors exit 2 naming the option; a ledger that is not a regular file exits 1 with the reason", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["budget"], /Usage: relay budget/],
    [["budget", "frobnicate"], /unknown command|Usage: relay budget/],
    [["budget", "status", "--budget-tokens", "abc"], /--budget-tokens must be a whole number/],
    [["budget", "reset", "--budget-tokens", "0"], /--budget-tokens must be a whole number/],
    [["budget", "status", "--budget-period", "year"], /--budget-period must be one of day, week, month, total/],
    [["budget", "reset", "--ledger", ""], /--ledger must be a non-empty text/],
    [["budget", "status", "--no-such-option"], /no-such-option/],
  ];
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await relay(args);
    assert.equal(code, 2, `${args.join(" ")}: exit ${code}`);
    assert.match(stderr + stdout, message, args.join(" "));
  }
  const fifo = join(dir, "fifo.jsonl");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo failed");
  for (const action of ["status", "reset"]) {
    const { code, stderr } = await relay(["budget", action, "--ledger", fifo]);
    assert.equal(code, 1, `${action} on a FIFO: exit ${code}`);
    assert.match(stderr, /is not a regular file: it is a FIFO.*\(budget-ledger-unwritable\)/);
  }
});
