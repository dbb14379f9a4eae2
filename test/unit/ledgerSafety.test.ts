/**
 * The ledger as an attacker or an unlucky user meets it: period changes, corrupt files, absurd
 * provider usage, an unwritable path, symlinks, FIFOs, devices, skewed clocks, huge and stale
 * ledgers. Real files in a temporary folder (FileLedgerStore).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import fc from "fast-check";
import { BUDGET_PERIODS, BudgetLedger, compactLedger, periodKey, replayLedger, type BudgetConfig } from "../../src/core/budget.js";
import { RelayError } from "../../src/core/errors.js";
import { FileLedgerStore } from "../../src/io/fileLedgerStore.js";
import { clockBehind, clockJumpedBack, deviceLedger, directoryLedger, fifoLedger, futureReset, futureSpend, hugeSameDay, manyStale, symlinkedLedger } from "../helpers/ledgerFaults.js";

const dir = mkdtempSync(join(tmpdir(), "relay-ledger-safety-"));
let n = 0;
const fresh = () => join(dir, `l${++n}.jsonl`);
const open = (path: string, config: Partial<BudgetConfig> = {}) => BudgetLedger.open(new FileLedgerStore(path), { limit: 1000, period: "month", promptMargin: 1, ...config });

async function spend(path: string, calls: number, config: Partial<BudgetConfig> = {}): Promise<void> {
  const ledger = await open(path, config);
  for (let i = 0; i < calls; i++) {
    const r = await ledger.reserve(20, 30);
    await r!.settle({ promptTokens: 20, completionTokens: 30 });
  }
}

test("period changes keep every period's history; total = all time", async () => {
  const path = fresh();
  await spend(path, 4); // 200 tokens this month
  const ledger = await open(path);
  assert.equal(ledger.usage().settled, 200);
  for (const period of ["total", "month", "week", "day", "total", "month"] as const) {
    ledger.setConfig({ limit: 1000, period, promptMargin: 1 });
    assert.equal(ledger.usage().settled, 200, `after switching to ${period}`);
    assert.equal((await open(path, { period })).usage().settled, 200, `reopened as ${period}`);
  }
});

test("unwritable ledger path: a clear error naming the path and the reason", async () => {
  const file = fresh();
  writeFileSync(file, "");
  const path = join(file, "ledger.jsonl"); // a regular file as a folder: ENOTDIR even for root
  await assert.rejects(open(path), (e: unknown) => e instanceof RelayError && e.code === "budget-ledger-unwritable" && e.message.includes(path) && /ENOTDIR|EEXIST|not a directory/i.test(e.message));
});

test("absurd provider usage is charged plausibly and the claim is recorded", async () => {
  const path = fresh();
  const ledger = await open(path, { limit: 200, period: "total" });
  // Negative usage never refunds: the budget still runs out.
  let granted = 0;
  for (let i = 0; i < 40; i++) {
    const r = await ledger.reserve(10, 10);
    if (!r) break;
    granted++;
    await r.settle({ promptTokens: -1000, completionTokens: -5, receivedTokens: 4 });
  }
  assert.ok(granted < 40, "negative usage refunded the budget");
  assert.ok(ledger.usage().settled <= 200);
  const cases: Array<[unknown, unknown, number, number]> = [
    // claim (prompt, completion) → charged (prompt, completion); reserved: prompt 18, span 10
    [1e12, 1e12, 18, 10],
    [1e308, 1e308 * 10, 18, 10],
    [Number.NaN, "7", 18, 10],
    [Number.NEGATIVE_INFINITY, -3, 10, 4],
    [10.2, 3.5, 11, 4],
    [12, 6, 12, 6],
  ];
  const big = await open(fresh(), { limit: 0, period: "total" });
  for (const [p, c, wantP, wantC] of cases) {
    const r = await big.reserve(10, 10);
    const charged = await r!.settle({ promptTokens: p as number, completionTokens: c as number, receivedTokens: 4 });
    assert.deepEqual([charged?.promptTokens, charged?.completionTokens], [wantP, wantC], `claim ${String(p)}/${String(c)}`);
    assert.ok(Number.isInteger(charged!.promptTokens) && Number.isInteger(charged!.completionTokens));
    assert.equal(charged?.claimed !== undefined, !(p === 12 && c === 6), "the claim is kept when it was not plausible");
  }
  assert.equal(big.usage().settled, 28 + 28 + 28 + 14 + 15 + 18);
  // The same after a restart (1e308 is not turned into null and charged 0).
  const reopened = await BudgetLedger.open(new FileLedgerStore((big as unknown as { store: FileLedgerStore }).store.path), { limit: 0, period: "total" });
  assert.equal(reopened.usage().settled, 28 + 28 + 28 + 14 + 15 + 18);
});

/** The ledger as compaction writes it (tomorrow, so today's calls fold into a day line). */
const compacted = (text: string) => compactLedger(text.split("\n"), Date.now() + 86_400_000);

/** Damage done to an intact ledger file; `name` goes into the figures. */
const CORRUPTIONS: Array<[string, (text: string) => string]> = [
  ["last line torn (no newline), next entry appended", (t) => t.slice(0, -20)],
  ["file of random bytes", () => randomBytes(2048).toString("latin1")],
  ["file of NUL bytes", () => "\0".repeat(4096)],
  ["random bytes appended", (t) => t + randomBytes(300).toString("latin1")],
  ["truncated in the middle", (t) => t.slice(0, Math.floor(t.length / 2))],
  ["header removed", (t) => t.split("\n").slice(1).join("\n")],
  ["header garbled", (t) => "#" + t.slice(1)],
  ["a settle line's number made negative", (t) => t.replace(/("t":"settle".*?"n":)(\d+)/, "$1-$2")],
  ["a settle line's number made a string", (t) => t.replace(/("t":"settle".*?"n":)(\d+)/, '$1"$2"')],
  ["a reserve line removed", (t) => t.split("\n").filter((l) => !l.includes('"reserve"') || l.includes("keep")).join("\n")],
  ["a settle line removed", (t) => t.split("\n").filter((l, i, all) => i !== all.findIndex((x) => x.includes('"settle"'))).join("\n")],
  ["a release appended after a settle", (t) => t + JSON.stringify({ t: "release", id: (/"settle","id":"([^"]+)"/.exec(t) ?? [])[1], ts: Date.now() }) + "\n"],
  ["a settle duplicated", (t) => t + (t.split("\n").find((l) => l.includes('"settle"')) ?? "") + "\n"],
  ["an unknown entry type", (t) => t + '{"t":"refund","n":100000}\n'],
  ["a v1 snapshot with negative settled", () => JSON.stringify({ t: "snapshot", p: "total", settled: -5, ts: Date.now() }) + "\n"],
  ["a v1 snapshot with non-numeric settled", () => JSON.stringify({ t: "snapshot", p: "total", settled: "abc", ts: Date.now() }) + "\n"],
  ["a v1 snapshot without settled", () => JSON.stringify({ t: "snapshot", p: "total", ts: Date.now() }) + "\n"],
  ["a v1 snapshot with settled null (was 1e308)", () => JSON.stringify({ t: "snapshot", p: "total", settled: null, ts: Date.now() }) + "\n"],
  ["a bit flipped in a line", (t) => t.replace('"settle"', '"set\u0000le"')],
  ["blank lines inserted", (t) => t.replace(/\n/g, "\n\n")],
  ["compacted history: a line removed", (t) => compacted(t).filter((_, i) => i !== 1).join("\n")],
  ["compacted history: a total edited", (t) => compacted(t).map((l, i) => (i === 1 ? l.replace(/"n":\d+/, '"n":1') : l)).join("\n")],
  ["compacted history: a line garbled", (t) => compacted(t).map((l, i) => (i === 1 ? l.slice(0, 10) : l)).join("\n")],
  ["compacted history: header count edited", (t) => compacted(t).map((l, i) => (i === 0 ? l.replace(/"base":\d+/, '"base":0') : l)).join("\n")],
];

/**
 * A compacted ledger is read as of tomorrow, by the clock that compacted it: its day line for
 * today stands at today's noon, which read before noon is an entry from a clock ahead (a notice
 * at each open, as it should be — but not the damage this test is about).
 */
const reader = (name: string) => (path: string) =>
  BudgetLedger.open(new FileLedgerStore(path), { limit: 1000, period: "total", promptMargin: 1 }, name.startsWith("compacted history") ? () => new Date(Date.now() + 86_400_000) : undefined);

test(`corrupt ledgers (${CORRUPTIONS.length} kinds) never grant more than the intact one; reported once, kept aside`, async () => {
  const results: string[] = [];
  for (const [name, damage] of CORRUPTIONS) {
    const path = fresh();
    const read = reader(name);
    // The intact ledger: 600 of 1000 tokens spent, one more settled call of 50.
    await spend(path, 11, { period: "total" });
    const intactText = readFileSync(path, "utf8");
    const intact = await read(path);
    const intactRoom = intact.usage().remaining;
    writeFileSync(path, damage(intactText), "latin1");
    const before = readFileSync(path);
    const damaged = await read(path);
    const room = damaged.usage().remaining;
    assert.ok(room <= intactRoom, `${name}: grants ${room} > ${intactRoom}`);
    const r = await damaged.reserve(10, 1000);
    assert.ok((r?.granted ?? 0) <= Math.max(0, intactRoom - 18), `${name}: reserved ${r?.granted}`);
    await r?.settle({ promptTokens: 10, completionTokens: 1 });
    if (damaged.problems.length > 0) {
      // Kept aside byte for byte, reported once.
      assert.ok(damaged.keptAt, `${name}: not kept aside`);
      assert.deepEqual(readFileSync(damaged.keptAt!), before, `${name}: the copy kept aside differs`);
      const again = await read(path);
      assert.deepEqual(again.problems, [], `${name}: reported twice`);
      assert.ok(again.usage().remaining <= intactRoom);
    }
    results.push(`${name}: room ${room}/${intactRoom}${damaged.problems.length ? " (reported, kept aside)" : ""}${damaged.usage().unknownSpend ? " (spend unknown: refused until reset)" : ""}`);
  }
  process.stdout.write(`# corruption: ${results.length} kinds, none grants more than the intact ledger\n${results.map((r) => `#   ${r}`).join("\n")}\n`);
  assert.ok(readdirSync(dir).some((f) => f.includes(".damaged-")));
});

test("a torn last line does not swallow the next entry (glued line), and never refunds", async () => {
  const path = fresh();
  await spend(path, 2, { period: "total" });
  const store = new FileLedgerStore(path);
  await store.append(['{"t":"reserve","id":"before","n":5,"ts":1}']);
  appendFileSync(path, '{"t":"settle","id":"before","n":'); // no newline: a machine crash mid-write
  await store.append(['{"t":"settle","id":"before","n":5,"ts":2}']);
  const lines = readFileSync(path, "utf8").split("\n");
  assert.equal(lines.at(-2), '{"t":"settle","id":"before","n":5,"ts":2}', "the next entry is on a line of its own");
  // The torn line may hide lost entries: the spend is unknown until a reset, never refunded.
  const ledger = await open(path, { period: "total" });
  assert.equal(ledger.usage().settled, 105);
  assert.equal(ledger.usage().remaining, 0);
  assert.ok(ledger.problems.some((p) => p.includes("unreadable entry")));
});

test("a reset lifts unknown spend; the period starts over", async () => {
  const path = fresh();
  writeFileSync(path, randomBytes(512));
  const ledger = await open(path);
  assert.equal(ledger.usage().unknownSpend, true);
  assert.equal(await ledger.reserve(1, 1), null);
  assert.ok(ledger.problems.some((p) => /unknown/.test(p)));
  await ledger.reset();
  assert.equal(ledger.usage().unknownSpend, false);
  assert.ok(await ledger.reserve(1, 1));
});

test("property: compaction keeps the totals of every period", () => {
  const day = 86_400_000;
  const start = new Date(2026, 0, 10).getTime();
  const entry = fc.oneof(
    fc.record({ kind: fc.constant("call" as const), at: fc.integer({ min: 0, max: 90 * day }), n: fc.integer({ min: 0, max: 500 }), settle: fc.constantFrom("settle", "release", "open") }),
    fc.record({ kind: fc.constant("reset" as const), at: fc.integer({ min: 0, max: 90 * day }), period: fc.constantFrom(...BUDGET_PERIODS) }),
  );
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 60 }), fc.integer({ min: 0, max: 95 * day }), (entries, nowOffset) => {
      const sorted = [...entries].sort((a, b) => a.at - b.at);
      const lines = sorted.flatMap((e, i) => {
        const ts = start + e.at;
        if (e.kind === "reset") return [JSON.stringify({ t: "reset", period: e.period, key: periodKey(e.period, new Date(ts)), ts })];
        const out = [JSON.stringify({ t: "reserve", id: `r${i}`, n: e.n + 10, ts })];
        if (e.settle === "settle") out.push(JSON.stringify({ t: "settle", id: `r${i}`, n: e.n, ts: ts + 1000, r: ts }));
        if (e.settle === "release") out.push(JSON.stringify({ t: "release", id: `r${i}`, ts: ts + 1000 }));
        return out;
      });
      const now = start + Math.max(nowOffset, sorted.at(-1)?.at ?? 0) + 2000;
      const compacted = compactLedger(lines, now);
      for (const period of BUDGET_PERIODS) {
        for (const at of [now, start + (sorted[0]?.at ?? 0), start + 45 * day]) {
          const key = periodKey(period, new Date(at));
          const a = replayLedger(lines, { period, key, now });
          const b = replayLedger(compacted, { period, key, now });
          assert.deepEqual([b.settled, b.calls, b.reserved, b.problems], [a.settled, a.calls, a.reserved, []], `${period} ${key}`);
        }
      }
    }),
    { numRuns: 200 },
  );
});

test("a v1 ledger (main's format) is read and migrated without losing spend", async () => {
  const path = fresh();
  const ts = Date.now();
  const v1 = [
    { t: "snapshot", p: "total", settled: 300, calls: 3, ts: ts - 5000 },
    { t: "reserve", id: "a", p: "total", n: 40, ts: ts - 4000 },
    { t: "settle", id: "a", n: 25, ts: ts - 3000 },
  ];
  writeFileSync(path, v1.map((e) => JSON.stringify(e)).join("\n") + "\n");
  const ledger = await open(path, { period: "total" });
  assert.deepEqual([ledger.usage().settled, ledger.usage().calls], [325, 4]);
  assert.match(readFileSync(path, "utf8"), /^\{"t":"ledger"/);
  assert.equal((await open(path, { period: "total" })).usage().settled, 325);
});

// The ledger's file faults and clocks (issue §2); each scenario is in test/helpers/ledgerFaults.ts.

test("a symlinked ledger: the link is never replaced; the link, the real path and a linked folder are one budget", async () => {
  await symlinkedLedger();
});

test("a FIFO as the ledger is refused at once with a clear error (it used to hang holding the lock)", async () => {
  await fifoLedger();
});

test("a directory or a device as the ledger is refused as not a regular file; /dev/null is left alone", async () => {
  await directoryLedger();
  await deviceLedger();
});

test("a period reset stamped in the future counts as made now: spend after it counts, the limit holds", async () => {
  await futureReset();
});

test("spend and reservations stamped in the future count this month (reported)", async () => {
  await futureSpend();
});

test("clock skew the other way: a writer whose clock is behind, and a clock that jumped ahead and came back, stay within the limit", async () => {
  await clockBehind();
  await clockJumpedBack();
});

test("a ledger of tens of thousands of same-day entries is folded: a reserve + settle stays cheap, nothing is lost", async () => {
  await hugeSameDay();
});

test("10,000 stale reservations are counted as spent and reported in one line", async () => {
  await manyStale();
});

test("10,000 unreadable lines are reported in a few lines, the rest counted", async () => {
  const path = fresh();
  await spend(path, 2, { period: "total" });
  appendFileSync(path, Array.from({ length: 10_000 }, (_, i) => `garbage ${i}`).join("\n") + "\n");
  const ledger = await open(path, { period: "total" });
  assert.ok(ledger.problems.length <= 10, `${ledger.problems.length} problem lines`);
  assert.ok(ledger.problems.some((p) => /9,99\d more problems/.test(p)), JSON.stringify(ledger.problems));
  assert.equal(ledger.usage().unknownSpend, true, "the damage must still make the spend unknown");
});

test("property: compaction folds today's charges between resets and keeps every period's totals", () => {
  const start = new Date(2026, 2, 10, 0, 30).getTime();
  const hour = 3_600_000;
  fc.assert(
    fc.property(
      fc.array(fc.record({ at: fc.integer({ min: 0, max: 20 * hour }), n: fc.integer({ min: 0, max: 90 }), reset: fc.oneof({ arbitrary: fc.constant(undefined), weight: 8 }, { arbitrary: fc.constantFrom(...BUDGET_PERIODS), weight: 1 }) }), { minLength: 12, maxLength: 80 }),
      fc.integer({ min: 0, max: 3 * hour }),
      (entries, after) => {
        const sorted = [...entries].sort((a, b) => a.at - b.at);
        const lines = sorted.flatMap((e, i) => {
          const ts = start + e.at;
          if (e.reset) return [JSON.stringify({ t: "reset", period: e.reset, key: periodKey(e.reset, new Date(ts)), ts })];
          return [JSON.stringify({ t: "reserve", id: `r${i}`, n: e.n + 5, ts }), JSON.stringify({ t: "settle", id: `r${i}`, n: e.n, ts: ts + 10, r: ts })];
        });
        const now = start + (sorted.at(-1)?.at ?? 0) + 20 + after;
        const compacted = compactLedger(lines, now);
        // Today's settled calls fold into one line per stretch between resets.
        const resets = sorted.filter((e) => e.reset).length;
        assert.ok(compacted.filter((l) => l.includes('"charge"')).length <= resets + 1);
        for (const period of BUDGET_PERIODS) {
          const key = periodKey(period, new Date(now));
          const a = replayLedger(lines, { period, key, now });
          const b = replayLedger(compacted, { period, key, now });
          assert.deepEqual([b.settled, b.calls, b.problems], [a.settled, a.calls, []], period);
          // And after a reset made later, the same again.
          const reset = JSON.stringify({ t: "reset", period, key, ts: now + 5 });
          const c = replayLedger([...lines, reset], { period, key, now: now + 10 });
          const d = replayLedger([...compacted, reset], { period, key, now: now + 10 });
          assert.deepEqual([d.settled, d.calls], [c.settled, c.calls], `${period} after a reset`);
        }
      },
    ),
    { numRuns: 300 },
  );
});
