import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BudgetLedger, periodKey, replayLedger } from "../../src/core/budget.js";
import { MemoryLedgerStore } from "../helpers/memoryLedgerStore.js";

const noMargin = { promptMargin: 1 };

test("period keys: day, ISO week, month, total", () => {
  const d = new Date(2026, 10, 23, 12); // Monday 23 Nov 2026
  assert.equal(periodKey("day", d), "2026-11-23");
  assert.equal(periodKey("week", d), "2026-W48");
  assert.equal(periodKey("month", d), "2026-11");
  assert.equal(periodKey("total", d), "total");
  assert.equal(periodKey("week", new Date(2027, 0, 1)), "2026-W53");
  assert.equal(periodKey("week", new Date(2021, 0, 4)), "2021-W01");
});

test("reserve shrinks the span to fit and denies when nothing fits", async () => {
  const ledger = await BudgetLedger.open(new MemoryLedgerStore(), { limit: 100, period: "total", ...noMargin });
  // The prompt estimate carries a fixed safety of 8 tokens.
  const a = await ledger.reserve(50, 100);
  assert.equal(a?.granted, 42);
  assert.equal(ledger.usage().reserved, 100);
  assert.equal(await ledger.reserve(1, 1), null);
  await a!.settle({ promptTokens: 50, completionTokens: 20 });
  assert.deepEqual([ledger.usage().settled, ledger.usage().reserved, ledger.usage().remaining], [70, 0, 30]);
  const b = await ledger.reserve(10, 50);
  assert.equal(b?.granted, 12);
  await b!.release();
  assert.equal(ledger.usage().used, 70);
});

test("a chat template's overhead is reserved, so an honest claim above our count is charged as claimed; the floor stays what we sent", async () => {
  const ledger = await BudgetLedger.open(new MemoryLedgerStore(), { limit: 1000, period: "total", ...noMargin });
  // llama-cpp-python's Qwen2.5 chat server: 88 tokens of messages by our count, 123 claimed.
  const plain = await ledger.reserve(88, 4);
  assert.deepEqual(await plain!.settle({ promptTokens: 123, completionTokens: 4 }), { promptTokens: 96, completionTokens: 4, claimed: { promptTokens: 123, completionTokens: 4 } });
  const chat = await ledger.reserve(88, 4, { promptOverhead: 48 });
  assert.equal(chat!.promptTokens, 88 + 48 + 8);
  assert.deepEqual(await chat!.settle({ promptTokens: 123, completionTokens: 4 }), { promptTokens: 123, completionTokens: 4 });
  const low = await ledger.reserve(88, 4, { promptOverhead: 48 });
  assert.equal((await low!.settle({ promptTokens: 10, completionTokens: 4 }))!.promptTokens, 88, "never below what was sent");
});

test("no limit: every call is granted in full", async () => {
  const ledger = await BudgetLedger.open(new MemoryLedgerStore(), { limit: 0, period: "day" });
  const r = await ledger.reserve(1e6, 256);
  assert.equal(r?.granted, 256);
});

test("replay: a corrupt line never refunds; a reservation whose process is gone counts in full", async () => {
  const store = new MemoryLedgerStore();
  const ledger = await BudgetLedger.open(store, { limit: 1000, period: "total", ...noMargin });
  const r1 = await ledger.reserve(10, 20);
  await r1!.settle({ promptTokens: 10, completionTokens: 5 });
  const r2 = await ledger.reserve(10, 20);
  await r2!.settle({ promptTokens: 12, completionTokens: 20 });
  const r3 = await ledger.reserve(30, 10); // its process "dies" with this one open
  assert.ok(r3);
  // Tear the last settle line (as a killed write would), and add garbage.
  const settleLine = store.lines.findLastIndex((l) => l.includes('"settle"'));
  store.lines[settleLine] = store.lines[settleLine].slice(0, 12);
  store.lines.push("{not json");
  const replay = replayLedger(store.lines, { period: "total", key: "total", now: Date.now() + 60 * 60_000, staleAfterMs: 15 * 60_000 });
  assert.equal(replay.problems.length, 2);
  // r1 settled 15; r2's settlement is unreadable so its reservation (38) counts; r3 stale (48).
  assert.equal(replay.settled, 15 + 38 + 48);
  const later = () => new Date(Date.now() + 60 * 60_000);
  const reopened = await BudgetLedger.open(store, { limit: 1000, period: "total", ...noMargin }, later);
  assert.equal(reopened.usage().settled, 101);
  assert.ok(reopened.problems.some((p) => p.includes("never settled")));
  assert.equal(store.aside.length, 1, "the damaged ledger is kept aside");
  // Reopening again gives the same total, and reports nothing twice.
  const again = await BudgetLedger.open(store, { limit: 1000, period: "total", ...noMargin }, later);
  assert.equal(again.usage().settled, 101);
  assert.deepEqual(again.problems, []);
});

test("a live reservation of another process is never closed by a process that opens the ledger", async () => {
  const store = new MemoryLedgerStore();
  const a = await BudgetLedger.open(store, { limit: 1000, period: "total", ...noMargin });
  const r = await a.reserve(10, 20);
  // A second "process" opens while the call is in flight: it sees the reservation as in flight.
  const b = await BudgetLedger.open(store, { limit: 1000, period: "total", ...noMargin });
  assert.deepEqual([b.usage().settled, b.usage().reserved], [0, 38]);
  await r!.settle({ promptTokens: 10, completionTokens: 7 });
  await b.reload();
  assert.deepEqual([b.usage().settled, b.usage().reserved], [17, 0], "the real settlement counts");
});

test("a new period starts from zero; the history stays (compaction keeps every period)", async () => {
  let now = new Date(2026, 10, 23, 23, 59);
  const store = new MemoryLedgerStore();
  const ledger = await BudgetLedger.open(store, { limit: 100, period: "day", ...noMargin }, () => now);
  const r = await ledger.reserve(10, 10);
  await r!.settle({ promptTokens: 10, completionTokens: 10 });
  assert.equal(ledger.usage().used, 20);
  now = new Date(2026, 10, 24, 0, 1);
  const r2 = await ledger.reserve(10, 10);
  assert.equal(ledger.usage().periodKey, "2026-11-24");
  assert.equal(ledger.usage().settled, 0);
  await r2!.settle({ promptTokens: 10, completionTokens: 1 });
  assert.equal((await BudgetLedger.open(store, { limit: 100, period: "day" }, () => now)).usage().settled, 11);
  assert.equal((await BudgetLedger.open(store, { limit: 100, period: "total" }, () => now)).usage().settled, 31);
});

test("reset starts the period over", async () => {
  const store = new MemoryLedgerStore();
  const ledger = await BudgetLedger.open(store, { limit: 100, period: "month", ...noMargin });
  const r = await ledger.reserve(10, 10);
  await r!.settle({ promptTokens: 10, completionTokens: 10 });
  await ledger.reset();
  assert.equal(ledger.usage().used, 0);
  assert.equal((await BudgetLedger.open(store, { limit: 100, period: "month" })).usage().settled, 0);
});

test("property: 100+ concurrent reservations racing a small budget never overspend", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 50, max: 2000 }),
      fc.array(fc.record({ prompt: fc.integer({ min: 0, max: 80 }), span: fc.integer({ min: 1, max: 64 }), use: fc.double({ min: 0, max: 1, noNaN: true }), fail: fc.boolean() }), { minLength: 100, maxLength: 160 }),
      async (limit, calls) => {
        const store = new MemoryLedgerStore(3);
        const ledger = await BudgetLedger.open(store, { limit, period: "total" });
        await Promise.all(
          calls.map(async (c) => {
            const r = await ledger.reserve(c.prompt, c.span);
            if (!r) return;
            assert.ok(ledger.usage().used <= limit);
            await new Promise((res) => setTimeout(res, Math.random() * 3));
            if (c.fail) await r.release();
            // Actual usage never above what was reserved: the prompt as estimated, at most the grant.
            else await r.settle({ promptTokens: c.prompt, completionTokens: Math.floor(c.use * r.granted) });
          }),
        );
        await ledger.flush();
        assert.equal(ledger.usage().reserved, 0);
        assert.ok(ledger.usage().settled <= limit, `${ledger.usage().settled} > ${limit}`);
        assert.equal(replayLedger(store.lines, "total").settled, ledger.usage().settled);
      },
    ),
    { numRuns: 40 },
  );
});
