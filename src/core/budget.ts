/**
 * The teacher-token budget of one scope (a workspace): reserve before a call, settle with the
 * provider's usage after, release on failure. State is an append-only ledger of JSON lines;
 * replaying it gives the state back after a crash. The file itself is behind `LedgerStore`.
 */

import type { BudgetGate, Reservation } from "./budgetGate.js";

export type BudgetPeriod = "day" | "week" | "month" | "total";
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ["day", "week", "month", "total"];

export interface BudgetConfig {
  /** Teacher tokens (prompt + completion) per period; 0 means no limit. */
  limit: number;
  period: BudgetPeriod;
  /** Reserved prompt tokens = estimate × this (the teacher's tokenizer may count more). */
  promptMargin?: number;
}

export type LedgerEntry =
  | { t: "reserve"; id: string; p: string; n: number; ts: number }
  | { t: "settle"; id: string; n: number; ts: number }
  | { t: "release"; id: string; ts: number }
  | { t: "reset"; p: string; ts: number }
  | { t: "snapshot"; p: string; settled: number; calls?: number; ts: number };

export interface LedgerStore {
  readLines(): Promise<string[]>;
  /** Appends lines durably (fsync) before resolving. */
  append(lines: string[]): Promise<void>;
  /** Atomically replaces the whole ledger (compaction). */
  rewrite(lines: string[]): Promise<void>;
}

export interface BudgetUsage {
  period: BudgetPeriod;
  periodKey: string;
  limit: number;
  /** Settled tokens this period (including stale reservations of a dead process). */
  settled: number;
  /** Reservations in flight. */
  reserved: number;
  used: number;
  remaining: number;
  /** Calls settled this period. */
  calls: number;
}

export interface ReplayResult {
  settled: number;
  calls: number;
  /** Reservations never settled nor released (a process died): counted as spent. */
  stale: Array<{ id: string; n: number }>;
  problems: string[];
}

/** A long-lived "total" ledger is compacted on open once it grows past this. */
const COMPACT_AFTER_LINES = 5000;

const pad = (n: number) => String(n).padStart(2, "0");

/** The key of the period containing `date` (local time). */
export function periodKey(period: BudgetPeriod, date: Date): string {
  const y = date.getFullYear();
  switch (period) {
    case "day":
      return `${y}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
    case "month":
      return `${y}-${pad(date.getMonth() + 1)}`;
    case "week": {
      // ISO week: the week with the year's first Thursday is week 1.
      const d = new Date(Date.UTC(y, date.getMonth(), date.getDate()));
      const day = d.getUTCDay() || 7;
      d.setUTCDate(d.getUTCDate() + 4 - day);
      const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
      const week = Math.ceil(((d.getTime() - yearStart) / 86400000 + 1) / 7);
      return `${d.getUTCFullYear()}-W${pad(week)}`;
    }
    case "total":
      return "total";
  }
}

/** Rebuilds the settled total of one period from ledger lines. Corrupt lines never refund. */
export function replayLedger(lines: readonly string[], key: string): ReplayResult {
  const open = new Map<string, number>();
  const problems: string[] = [];
  let settled = 0;
  let calls = 0;
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let entry: LedgerEntry;
    try {
      entry = JSON.parse(line) as LedgerEntry;
      if (typeof entry !== "object" || entry === null || typeof entry.t !== "string") throw new Error("not an entry");
    } catch {
      problems.push(`line ${i + 1}: unreadable, ignored (no refund): ${line.slice(0, 80)}`);
      return;
    }
    switch (entry.t) {
      case "reserve":
        if (entry.p === key && Number.isFinite(entry.n) && entry.n >= 0) open.set(entry.id, entry.n);
        else if (entry.p === key) problems.push(`line ${i + 1}: bad reservation`);
        break;
      case "settle":
        if (open.has(entry.id)) {
          open.delete(entry.id);
          if (Number.isFinite(entry.n) && entry.n >= 0) {
            settled += entry.n;
            calls++;
          } else {
            problems.push(`line ${i + 1}: bad settlement`);
          }
        }
        break;
      case "release":
        open.delete(entry.id);
        break;
      case "reset":
        if (entry.p === key) {
          settled = 0;
          calls = 0;
        }
        break;
      case "snapshot":
        if (entry.p === key) {
          settled = entry.settled;
          calls = entry.calls ?? 0;
        }
        break;
      default:
        problems.push(`line ${i + 1}: unknown entry type`);
    }
  });
  const stale = [...open].map(([id, n]) => ({ id, n }));
  for (const s of stale) settled += s.n;
  return { settled, calls, stale, problems };
}

export class BudgetLedger implements BudgetGate {
  private key: string;
  private settled = 0;
  private calls = 0;
  private readonly inFlight = new Map<string, number>();
  private seq = 0;
  private readonly runId = Math.random().toString(36).slice(2, 8);
  private writes: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(usage: BudgetUsage) => void>();
  /** Problems found on replay (corrupt lines, stale reservations). */
  problems: string[] = [];

  private constructor(
    private readonly store: LedgerStore,
    private config: BudgetConfig,
    private readonly now: () => Date,
  ) {
    this.key = periodKey(config.period, now());
  }

  static async open(store: LedgerStore, config: BudgetConfig, now: () => Date = () => new Date()): Promise<BudgetLedger> {
    const ledger = new BudgetLedger(store, config, now);
    await ledger.reload();
    return ledger;
  }

  /** Re-reads the ledger (after a restart, or when another window wrote to it). */
  async reload(): Promise<void> {
    const lines = await this.store.readLines();
    const replay = replayLedger(lines, this.key);
    this.settled = replay.settled;
    this.calls = replay.calls;
    this.problems = [...replay.problems, ...replay.stale.map((s) => `reservation ${s.id} (${s.n} tokens) was never settled: counted as spent`)];
    if (lines.length > COMPACT_AFTER_LINES && replay.stale.length === 0) {
      await this.store.rewrite([JSON.stringify({ t: "snapshot", p: this.key, settled: this.settled, calls: this.calls, ts: this.now().getTime() })]);
    } else if (replay.stale.length > 0) {
      // Close stale reservations so they are not reported again; they stay counted.
      const ts = this.now().getTime();
      await this.write(replay.stale.map((s) => ({ t: "settle", id: s.id, n: s.n, ts })));
    }
    this.notify();
  }

  setConfig(config: BudgetConfig): void {
    this.config = config;
    void this.rotateIfNeeded();
    this.notify();
  }

  usage(): BudgetUsage {
    const reserved = [...this.inFlight.values()].reduce((a, b) => a + b, 0);
    const used = this.settled + reserved;
    const limit = this.config.limit;
    return {
      period: this.config.period,
      periodKey: this.key,
      limit,
      settled: this.settled,
      reserved,
      used,
      remaining: limit > 0 ? Math.max(0, limit - used) : Number.POSITIVE_INFINITY,
      calls: this.calls,
    };
  }

  onChange(listener: (usage: BudgetUsage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async reserve(promptTokens: number, spanTokens: number): Promise<Reservation | null> {
    await this.rotateIfNeeded();
    // Check and take synchronously: concurrent callers can never both see the same room.
    const prompt = Math.ceil(promptTokens * (this.config.promptMargin ?? 1.15)) + 8;
    const remaining = this.usage().remaining;
    if (remaining < prompt + 1 || spanTokens < 1) return null;
    const granted = Math.min(spanTokens, remaining - prompt);
    const amount = prompt + granted;
    const id = `${this.runId}-${++this.seq}`;
    const key = this.key;
    this.inFlight.set(id, amount);
    this.notify();
    const ts = this.now().getTime();
    try {
      await this.write([{ t: "reserve", id, p: key, n: amount, ts }]);
    } catch (error) {
      this.inFlight.delete(id);
      this.notify();
      throw error;
    }
    let done = false;
    const finish = async (entry: LedgerEntry, spent: number) => {
      if (done) return;
      done = true;
      this.inFlight.delete(id);
      if (key === this.key) {
        this.settled += spent;
        if (entry.t === "settle") this.calls++;
      }
      this.notify();
      await this.write([entry]);
    };
    return {
      granted,
      settle: (usage) => finish({ t: "settle", id, n: usage.promptTokens + usage.completionTokens, ts: this.now().getTime() }, usage.promptTokens + usage.completionTokens),
      release: () => finish({ t: "release", id, ts: this.now().getTime() }, 0),
    };
  }

  /** Starts the current period over (the user's "reset period" action). */
  async reset(): Promise<void> {
    this.settled = 0;
    this.calls = 0;
    this.notify();
    await this.write([{ t: "reset", p: this.key, ts: this.now().getTime() }]);
  }

  /** Waits for pending ledger writes. */
  flush(): Promise<void> {
    return this.writes;
  }

  private async rotateIfNeeded(): Promise<void> {
    const key = periodKey(this.config.period, this.now());
    if (key === this.key) return;
    this.key = key;
    this.settled = 0;
    this.calls = 0;
    // Compaction: the new period starts from a one-line ledger plus what is in flight.
    const ts = this.now().getTime();
    const lines = [JSON.stringify({ t: "snapshot", p: key, settled: 0, ts })];
    const run = this.writes.then(() => this.store.rewrite(lines));
    this.writes = run.catch(() => {});
    await run;
    this.notify();
  }

  private write(entries: LedgerEntry[]): Promise<void> {
    const run = this.writes.then(() => this.store.append(entries.map((e) => JSON.stringify(e))));
    this.writes = run.catch(() => {});
    return run;
  }

  private notify(): void {
    const usage = this.usage();
    for (const l of this.listeners) l(usage);
  }
}
