/** One teacher call's charge against the real BudgetLedger (an in-memory store). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BudgetLedger } from "../../src/core/budget.js";
import { RelayError } from "../../src/core/errors.js";
import { receivedBefore, serverTook, TeacherCharge } from "../../src/core/teacherCharge.js";
import { MemoryLedgerStore } from "../helpers/memoryLedgerStore.js";

async function ledger(limit = 10_000) {
  const store = new MemoryLedgerStore();
  return { store, budget: await BudgetLedger.open(store, { limit, period: "total" }) };
}

test("settle charges what was used, once; a second close is a no-op", async () => {
  const { budget } = await ledger();
  const errors: unknown[] = [];
  const charge = await TeacherCharge.open({ budget, promptTokens: 100, span: 16, onLedgerError: (e) => errors.push(e) });
  assert.ok(charge?.held);
  assert.equal(charge.granted, 16);
  assert.equal(await charge.settle({ promptTokens: 100, completionTokens: 10, receivedTokens: 10 }), 110);
  assert.equal(charge.held, false);
  assert.equal(await charge.settle({ promptTokens: 100, completionTokens: 10 }), undefined);
  await charge.release();
  assert.equal(budget.usage().settled, 110);
  assert.equal(budget.usage().reserved, 0);
  assert.deepEqual(errors, []);
});

test("a short budget grants fewer tokens; an empty one refuses (null)", async () => {
  const { budget } = await ledger(100);
  const short = await TeacherCharge.open({ budget, promptTokens: 40, span: 64, onLedgerError: () => {} });
  assert.ok(short && short.granted < 64 && short.granted > 0, `granted ${short?.granted}`);
  await short.settle({ promptTokens: 40, completionTokens: short.granted, receivedTokens: short.granted });
  assert.equal(await TeacherCharge.open({ budget, promptTokens: 90, span: 16, onLedgerError: () => {} }), null);
});

test("without a budget: the span asked is granted and nothing is charged", async () => {
  const charge = await TeacherCharge.open({ budget: undefined, promptTokens: 100, span: 16, onLedgerError: () => assert.fail("no ledger") });
  assert.ok(charge);
  assert.equal(charge.granted, 16);
  assert.equal(charge.held, false);
  assert.equal(await charge.settle({ promptTokens: 100, completionTokens: 16 }), undefined);
});

test("the stats' usage: the claim bounded by the reservation; our own counts without a claim", async () => {
  const { budget } = await ledger();
  const charge = (await TeacherCharge.open({ budget, promptTokens: 100, span: 16, onLedgerError: () => {} }))!;
  assert.deepEqual(charge.usage({ promptTokens: 90, completionTokens: 12 }, 12, 16), { promptTokens: 90, completionTokens: 12 });
  const wild = charge.usage({ promptTokens: 1e12, completionTokens: -3 }, 12, 16);
  assert.ok(wild.promptTokens <= Math.ceil(100 * 1.15) + 8, `prompt ${wild.promptTokens}`);
  assert.equal(wild.completionTokens, 0);
  assert.deepEqual(wild.claimed, { promptTokens: 1e12, completionTokens: -3 });
  assert.deepEqual(charge.usage(undefined, 7, 16), { promptTokens: 100, completionTokens: 7 });
  await charge.release();
});

test("a failed request the server took: what was sent and received (at most the grant) is charged", async () => {
  const { budget } = await ledger();
  const charge = (await TeacherCharge.open({ budget, promptTokens: 100, span: 16, onLedgerError: () => {} }))!;
  const usage = await charge.chargeFailed(40);
  assert.deepEqual(usage, { promptTokens: 100, completionTokens: 16, estimated: true, charged: 116 });
  assert.equal(budget.usage().settled, 116);
});

test("a ledger that fails while settling is reported, not thrown", async () => {
  const { store, budget } = await ledger();
  const errors: unknown[] = [];
  const charge = (await TeacherCharge.open({ budget, promptTokens: 100, span: 16, onLedgerError: (e) => errors.push(e) }))!;
  store.append = () => Promise.reject(new Error("disk full"));
  assert.equal(await charge.settle({ promptTokens: 100, completionTokens: 10 }), undefined);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /disk full/);
});

test("serverTook: refusals are not charged, anything that may have been worked on is", () => {
  assert.equal(serverTook(new RelayError("teacher-unreachable", "no connection")), false);
  assert.equal(serverTook(new RelayError("teacher-rate-limited", "429")), false);
  assert.equal(serverTook(new RelayError("teacher-timeout", "no reply in time")), true);
  assert.equal(serverTook(new Error("unknown")), true);
  const partial = new RelayError("teacher-server-error", "dropped", { partial: { answered: true, text: "12 +" } });
  assert.equal(serverTook(partial), true);
  assert.equal(receivedBefore(partial), "12 +");
  assert.equal(receivedBefore(new Error("x")), "");
});
