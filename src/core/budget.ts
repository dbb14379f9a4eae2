/**
 * The teacher-token budget of one scope (a workspace): reserve before a call, settle with the
 * provider's usage after, release on failure. The state is an append-only ledger of JSON lines
 * shared by every process that uses the scope (windows, the CLI): each operation runs under the
 * store's cross-process lock and starts from the file, never from one process's memory. Every
 * entry keeps its time, so any period (day, week, month, total = all time) is replayed from the
 * same history, and changing the period loses nothing. The file itself is behind `LedgerStore`.
 *
 * A corrupt ledger never grants more than an intact one would: a charge is never dropped by a
 * damaged line (a settlement counts without its reservation, a reservation without its
 * settlement counts in full), and where the damage could hide spend (an unreadable header or
 * compacted base, a bad number) the spend before it is unknown and the period counts as spent.
 *
 * Time is never a way around the limit. Entries are appended under the lock, so the file's order
 * is the order they were written in: an entry stamped earlier than the ones before it (a clock
 * that is behind) counts from the time of those. An entry stamped ahead of the reader's clock
 * counts as of now (spend and reservations keep their stamp, so they count in their own period
 * once it comes); a period reset or unknown-spend marker from the future is rewritten as of now.
 * Each is reported.
 */

import type { BudgetGate, Reservation, SettledUsage, SettleUsage } from "./budgetGate.js";
import { RelayError, errorMessage } from "./errors.js";
import { plausibleUsage, reservedPromptTokens } from "./usage.js";

export type BudgetPeriod = "day" | "week" | "month" | "total";
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ["day", "week", "month", "total"];

export interface BudgetConfig {
  /** Teacher tokens (prompt + completion) per period; 0 means no limit. */
  limit: number;
  period: BudgetPeriod;
  /** Reserved prompt tokens = estimate × this (the teacher's tokenizer may count more). */
  promptMargin?: number;
  /** An open reservation older than this counts as spent (its process is gone). Default 15 min. */
  staleAfterMs?: number;
}

/** Format version written in the header line. */
const VERSION = 2;

export type LedgerEntry =
  /** First line: `base` lines of compacted history follow; `sum` = their day totals. */
  | { t: "ledger"; v: number; ts: number; base: number; sum: number }
  /** `o`: the owning process, so another process never closes a live reservation. */
  | { t: "reserve"; id: string; n: number; ts: number; o?: string; p?: string }
  /** `r`: when it was reserved (the period it belongs to); `claim`: the provider's numbers when clamped. */
  | { t: "settle"; id: string; n: number; ts: number; r?: number; stale?: boolean; claim?: [number | string, number | string] }
  | { t: "release"; id: string; ts: number }
  /** The user's "reset period": spend of that period before `ts` no longer counts. (`p`: v1 key.) */
  | { t: "reset"; period?: BudgetPeriod; key?: string; p?: string; ts: number }
  /** Compacted history: the charges of one local day. */
  | { t: "day"; d: string; n: number; calls: number }
  /** Compacted history kept with its time (days with a reset, today). */
  | { t: "charge"; n: number; at: number; calls: number }
  /** Spend before `to` is unknown (a damaged ledger was kept aside): those periods count as spent. */
  | { t: "unknown"; to: number; ts: number; note: string }
  /** v1 compaction (read only). */
  | { t: "snapshot"; p: string; settled: number; calls?: number; ts: number };

export interface LedgerStore {
  /** Runs `fn` holding the ledger's lock: one holder at a time across processes and in this one. */
  locked<T>(fn: () => Promise<T>): Promise<T>;
  /** The ledger's lines (call under the lock). */
  readLines(): Promise<string[]>;
  /** Appends lines durably (fsync), on a fresh line even after a torn write. */
  append(lines: string[]): Promise<void>;
  /** Atomically replaces the whole ledger (compaction, repair). */
  rewrite(lines: string[]): Promise<void>;
  /** Copies the ledger aside, never overwriting anything; returns where it went. */
  keepAside(): Promise<string>;
  /** Where the ledger is, for messages. */
  readonly location: string;
  /** This process as a reservation owner (e.g. "host:pid"). */
  readonly owner?: string;
  /** False only when `owner` is known to be gone. */
  ownerAlive?(owner: string): boolean;
}

export interface BudgetUsage {
  period: BudgetPeriod;
  periodKey: string;
  limit: number;
  /** Settled tokens this period (including stale reservations of a dead process). */
  settled: number;
  /** Reservations in flight, of every process. */
  reserved: number;
  used: number;
  remaining: number;
  /** Calls settled this period. */
  calls: number;
  /** This period's spend is unknown (a damaged ledger): nothing is granted until a reset. */
  unknownSpend: boolean;
}

export interface ReplayOptions {
  period: BudgetPeriod;
  key: string;
  /** For stale reservations (default: never stale by age). */
  now?: number;
  staleAfterMs?: number;
  ownerAlive?: (owner: string) => boolean;
}

export interface OpenReservation {
  id: string;
  n: number;
  ts: number;
  owner?: string;
}

export interface ReplayResult {
  settled: number;
  calls: number;
  /** Live reservations (any process) of this period. */
  reserved: number;
  /** Reservations never settled nor released whose process is gone: counted as spent. */
  stale: OpenReservation[];
  /** This period's spend is unknown: count it as spent. */
  unknownSpend: boolean;
  /** What was found wrong, for the user. */
  problems: string[];
  /** Worth telling that needs no repair (entries stamped by a skewed clock): told at each open. */
  notices: string[];
  /** The file needs repair: kept aside, then rewritten clean. */
  damaged: boolean;
  /** When the damage hides spend: spend before this time is unknown. */
  unknownBefore?: number;
  /** Why this period's spend is unknown (when it is). */
  unknownNotes: string[];
}

/** A long-lived ledger is compacted once it grows past this. */
const COMPACT_AFTER_LINES = 4000;
const DEFAULT_STALE_MS = 15 * 60_000;
/** Clocks of two machines may differ by this much without a report. */
const CLOCK_SLACK_MS = 2 * 60_000;
/** Problems listed one by one at most; the rest are counted. */
const MAX_PROBLEMS_LISTED = 8;

const pad = (n: number) => String(n).padStart(2, "0");

/** The key of the period containing `date` (local time). Keys of one period sort in time order. */
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

/** The period a key belongs to (v1 ledgers stored keys only). */
export function periodOfKey(key: string): BudgetPeriod | undefined {
  if (key === "total") return "total";
  if (/^\d{4}-\d{2}-\d{2}$/.test(key)) return "day";
  if (/^\d{4}-W\d{2}$/.test(key)) return "week";
  if (/^\d{4}-\d{2}$/.test(key)) return "month";
  return undefined;
}

/** Noon of a local day key: a time inside that day whatever the DST shift. */
function dayTime(d: string): number {
  const [y, m, day] = d.split("-").map(Number);
  return new Date(y, m - 1, day, 12).getTime();
}

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n >= 0 && Number.isInteger(n);
const isTime = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n >= 0;
const isId = (s: unknown): s is string => typeof s === "string" && s.length > 0 && s.length < 200;

interface Charge {
  n: number;
  /** When the tokens were reserved (decides the period). */
  at: number;
  calls: number;
}

interface Parsed {
  charges: Charge[];
  open: Map<string, OpenReservation>;
  closed: Set<string>;
  resets: Array<{ period?: BudgetPeriod; key: string; ts: number }>;
  unknown: Array<{ to: number; note: string }>;
  problems: string[];
  notices: string[];
  damaged: boolean;
  header?: Extract<LedgerEntry, { t: "ledger" }>;
}

/** "3 days", "2 h", "5 min" */
function span(ms: number): string {
  if (ms >= 2 * 86_400_000) return `${Math.round(ms / 86_400_000)} days`;
  if (ms >= 2 * 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.max(1, Math.round(ms / 60_000))} min`;
}

function parseLine(line: string): LedgerEntry | undefined {
  try {
    const entry = JSON.parse(line) as LedgerEntry;
    return typeof entry === "object" && entry !== null && typeof entry.t === "string" ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** Reads every line once; charges keep their time so any period can be replayed. */
function parseLedger(lines: readonly string[], now: number): Parsed {
  const p: Parsed = { charges: [], open: new Map(), closed: new Set(), resets: [], unknown: [], problems: [], notices: [], damaged: false };
  const lost = (to: number, note: string) => {
    p.unknown.push({ to: Math.min(to, now), note });
    p.damaged = true;
    p.problems.push(note);
  };
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first < 0) return p;
  const head = parseLine(lines[first]);
  let baseEnd = first;
  let daySum = 0;
  if (head?.t === "ledger") {
    if (!isCount(head.base) || !isCount(head.sum) || !isTime(head.ts)) lost(now, "line 1: the ledger header is damaged: earlier spend is unknown");
    else {
      p.header = head;
      baseEnd = first + head.base;
    }
  } else if (!head) {
    // A v2 ledger's first line is written atomically: an unreadable one is not a torn write.
    lost(now, `line ${first + 1}: unreadable start of the ledger (${JSON.stringify(lines[first].slice(0, 40))}…): earlier spend is unknown`);
  }
  const hidden = (i: number) => i <= baseEnd && p.header !== undefined;
  // Appended entries are never earlier than the ones before them (the lock orders the writes):
  // `floor` is the latest time written so far, as far as this clock can tell.
  let floor = p.header ? Math.min(p.header.ts, now) : Number.NEGATIVE_INFINITY;
  const skew = { ahead: 0, aheadMs: 0, behind: 0, behindMs: 0 };
  /** The time an appended entry counts from; base lines (compacted history) are taken as they are. */
  const timeOf = (i: number, ts: number): number => {
    if (ts > now + CLOCK_SLACK_MS) {
      skew.ahead++;
      skew.aheadMs = Math.max(skew.aheadMs, ts - now);
    }
    if (hidden(i)) return ts;
    const at = Math.max(ts, floor);
    if (floor - ts > CLOCK_SLACK_MS) {
      skew.behind++;
      skew.behindMs = Math.max(skew.behindMs, floor - ts);
    }
    floor = Math.max(floor, Math.min(ts, now));
    return at;
  };
  for (let i = first + (p.header ? 1 : 0); i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    const e = parseLine(line);
    const where = `line ${i + 1}`;
    if (!e) {
      if (i === first && !p.header) continue; // already reported
      // A killed process cannot tear a line (each append is one write), so an unreadable line
      // is damage (a crash of the machine, a truncated or edited file): what followed it may be
      // gone, so the spend up to now is unknown.
      lost(hidden(i) ? p.header!.ts : now, `${where}: unreadable entry (${JSON.stringify(line.slice(0, 40))}): the ledger may have lost entries, spend up to now is unknown`);
      continue;
    }
    switch (e.t) {
      case "reserve":
        if (!isId(e.id) || !isCount(e.n) || !isTime(e.ts)) lost(isTime(e.ts) ? e.ts : now, `${where}: a reservation with bad values: spend before it is unknown`);
        else {
          const ts = timeOf(i, e.ts);
          if (!p.closed.has(e.id)) p.open.set(e.id, { id: e.id, n: e.n, ts, owner: typeof e.o === "string" ? e.o : undefined });
        }
        break;
      case "settle": {
        if (!isId(e.id) || !isCount(e.n) || !isTime(e.ts)) {
          // Its reservation stays open and counts in full.
          p.damaged = true;
          p.problems.push(`${where}: a settlement with bad values, ignored (its reservation counts in full)`);
          break;
        }
        const before = floor;
        timeOf(i, e.ts);
        if (p.closed.has(e.id)) break; // already charged (e.g. closed as stale)
        const r = p.open.get(e.id);
        p.open.delete(e.id);
        p.closed.add(e.id);
        // It counts when it was reserved: the reservation's time as read, else its own stamp.
        const stamp = isTime(e.r) ? e.r : e.ts;
        const at = r ? r.ts : hidden(i) ? stamp : Math.max(stamp, before);
        p.charges.push({ n: e.n, at, calls: 1 });
        break;
      }
      case "release":
        if (isTime(e.ts)) timeOf(i, e.ts);
        if (isId(e.id) && p.open.has(e.id)) {
          p.open.delete(e.id);
          p.closed.add(e.id);
        }
        break;
      case "reset": {
        const key = typeof e.key === "string" ? e.key : typeof e.p === "string" ? e.p : undefined;
        const period = e.period ?? (key ? periodOfKey(key) : undefined);
        if (key && period && isTime(e.ts)) {
          let ts = timeOf(i, e.ts);
          if (ts > now) {
            // A reset from the future would lift the limit until then: it counts as made now
            // (the repair rewrites it so), and spend after it counts.
            p.damaged = true;
            p.problems.push(`${where}: a period reset stamped ${span(ts - now)} in the future (a clock that was ahead): it counts as made now`);
            ts = now;
          }
          p.resets.push({ period, key, ts });
        } else {
          p.damaged = true;
          p.problems.push(`${where}: a reset with bad values, ignored`);
        }
        break;
      }
      case "day":
        if (typeof e.d !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(e.d) || !isCount(e.n) || !isCount(e.calls)) lost(p.header?.ts ?? now, `${where}: compacted history with bad values: spend before it is unknown`);
        else {
          p.charges.push({ n: e.n, at: dayTime(e.d), calls: e.calls });
          daySum += e.n;
        }
        break;
      case "charge":
        if (!isCount(e.n) || !isTime(e.at) || !isCount(e.calls)) lost(p.header?.ts ?? now, `${where}: compacted history with bad values: spend before it is unknown`);
        else {
          p.charges.push({ n: e.n, at: timeOf(i, e.at), calls: e.calls });
          daySum += e.n;
        }
        break;
      case "unknown":
        if (isTime(e.to)) {
          // From the future, no reset could ever lift it: it counts up to now.
          if (e.to > now) {
            p.damaged = true;
            p.problems.push(`${where}: an unknown-spend marker stamped ${span(e.to - now)} in the future: it counts up to now`);
          }
          p.unknown.push({ to: Math.min(e.to, now), note: typeof e.note === "string" ? e.note : "unknown spend" });
        } else lost(now, `${where}: a damaged marker: spend before now is unknown`);
        break;
      case "snapshot":
        if (!isCount(e.settled) || !isTime(e.ts)) lost(isTime(e.ts) ? e.ts : now, `${where}: a snapshot with a bad total (${JSON.stringify(e.settled)}): spend before it is unknown`);
        else p.charges.push({ n: e.settled, at: e.ts, calls: isCount(e.calls) ? e.calls : 0 });
        break;
      case "ledger":
        lost(now, `${where}: a second ledger header: earlier spend is unknown`);
        break;
      default:
        p.damaged = true;
        p.problems.push(`${where}: unknown entry type ${JSON.stringify((e as { t: unknown }).t)}, ignored`);
    }
  }
  if (skew.ahead) p.notices.push(`${skew.ahead} ledger ${skew.ahead === 1 ? "entry is" : "entries are"} stamped up to ${span(skew.aheadMs)} ahead of this clock (a clock that was ahead, or this one is behind): counted as of now`);
  if (skew.behind) p.notices.push(`${skew.behind} ledger ${skew.behind === 1 ? "entry was" : "entries were"} stamped up to ${span(skew.behindMs)} before entries written ahead of ${skew.behind === 1 ? "it" : "them"} (a clock that is behind): counted from the time of those`);
  if (p.header) {
    const baseLines = lines.slice(first + 1, baseEnd + 1).filter((l) => l.trim() !== "").length;
    if (baseLines !== p.header.base || daySum !== p.header.sum) lost(p.header.ts, `the compacted history does not add up (${baseLines}/${p.header.base} lines, ${daySum}/${p.header.sum} tokens): spend before it is unknown`);
  }
  return p;
}

function replayParsed(p: Parsed, options: ReplayOptions): ReplayResult {
  const { period, key } = options;
  const now = options.now ?? Date.now();
  const inKey = (at: number) => periodKey(period, new Date(at)) === key;
  const resetAt = Math.max(-1, ...p.resets.filter((r) => r.period === period && r.key === key).map((r) => Math.min(r.ts, now)));
  // What is stamped ahead of this clock counts now (and in its own period once that comes).
  const counts = (stamp: number) => {
    const at = Math.min(stamp, now);
    return inKey(at) && at > resetAt;
  };
  let settled = 0;
  let calls = 0;
  for (const c of p.charges) {
    if (!counts(c.at)) continue;
    settled += c.n;
    calls += c.calls;
  }
  const staleAfter = options.staleAfterMs ?? Number.POSITIVE_INFINITY;
  const stale: OpenReservation[] = [];
  let reserved = 0;
  for (const r of p.open.values()) {
    const gone = (r.owner !== undefined && options.ownerAlive?.(r.owner) === false) || now - Math.min(r.ts, now) > staleAfter;
    if (gone) stale.push(r);
    if (!counts(r.ts)) continue;
    if (gone) settled += r.n;
    else reserved += r.n;
  }
  // Spend before `to` is unknown: every period starting before it counts as spent, unless reset since.
  const unknownBefore = p.unknown.length ? Math.max(...p.unknown.map((u) => u.to)) : undefined;
  const unknownHere = p.unknown.filter((u) => periodKey(period, new Date(u.to)) >= key && !(resetAt >= u.to));
  const unknownSpend = unknownHere.length > 0;
  return { settled, calls, reserved, stale, unknownSpend, problems: p.problems, notices: p.notices, damaged: p.damaged, unknownBefore, unknownNotes: [...new Set(unknownHere.map((u) => u.note))] };
}

/**
 * Replays a ledger for one period. `keyOrOptions` may be a period key alone (its period is
 * read from its shape).
 */
export function replayLedger(lines: readonly string[], keyOrOptions: string | ReplayOptions): ReplayResult {
  const options = typeof keyOrOptions === "string" ? { period: periodOfKey(keyOrOptions) ?? "total", key: keyOrOptions } : keyOrOptions;
  return replayParsed(parseLedger(lines, options.now ?? Date.now()), options);
}

/**
 * The ledger rewritten small: closed charges folded into one line per day, open reservations,
 * resets and unknown markers kept. Today and days with a reset are folded between resets only
 * (one line per stretch, stamped with its latest time), so a reset, made now or found in the
 * file, still splits them; what is stamped ahead of `now` keeps its time. Replaying it gives
 * the same totals for every period.
 */
export function compactLedger(lines: readonly string[], now: number): string[] {
  const p = parseLedger(lines, now);
  const dayOf = (at: number) => periodKey("day", new Date(at));
  const today = dayOf(now);
  const resetDays = new Set(p.resets.map((r) => dayOf(r.ts)));
  const resetTimes = [...new Set(p.resets.map((r) => r.ts))].sort((a, b) => a - b);
  /** How many resets were made before `at`: charges with the same count are on one side of every reset. */
  const stretch = (at: number) => {
    let lo = 0;
    let hi = resetTimes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (resetTimes[mid] < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const days = new Map<string, { n: number; calls: number }>();
  const stretches = new Map<string, { n: number; calls: number; at: number }>();
  const base: LedgerEntry[] = [];
  let sum = 0;
  for (const c of p.charges) {
    sum += c.n;
    if (c.at > now) {
      base.push({ t: "charge", n: c.n, at: c.at, calls: c.calls });
      continue;
    }
    const d = dayOf(c.at);
    if (d === today || resetDays.has(d)) {
      const key = `${d} ${stretch(c.at)}`;
      const s = stretches.get(key) ?? { n: 0, calls: 0, at: c.at };
      s.n += c.n;
      s.calls += c.calls;
      s.at = Math.max(s.at, c.at);
      stretches.set(key, s);
      continue;
    }
    const day = days.get(d) ?? { n: 0, calls: 0 };
    day.n += c.n;
    day.calls += c.calls;
    days.set(d, day);
  }
  const dayLines: LedgerEntry[] = [...days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([d, v]) => ({ t: "day", d, n: v.n, calls: v.calls }));
  for (const r of p.resets) base.push({ t: "reset", period: r.period, key: r.key, ts: r.ts });
  for (const u of p.unknown) base.push({ t: "unknown", to: u.to, ts: now, note: u.note });
  for (const r of p.open.values()) base.push({ t: "reserve", id: r.id, n: r.n, ts: r.ts, ...(r.owner ? { o: r.owner } : {}) });
  const stretchLines: LedgerEntry[] = [...stretches.values()].sort((a, b) => a.at - b.at).map((s) => ({ t: "charge", n: s.n, at: s.at, calls: s.calls }));
  const all = [...dayLines, ...stretchLines, ...base];
  return [JSON.stringify({ t: "ledger", v: VERSION, ts: now, base: all.length, sum }), ...all.map((e) => JSON.stringify(e))];
}

export interface LedgerReport {
  /** What was wrong with the ledger; reported once (the file is repaired after). */
  problems: string[];
  /** Where the damaged file was kept. */
  keptAt?: string;
}

/** What a period reset dropped: the user is told what no longer counts. */
export interface ResetReport {
  period: BudgetPeriod;
  periodKey: string;
  /** Settled tokens of the period (including reservations of dead processes) that no longer count. */
  settled: number;
  calls: number;
  /** Tokens of reservations in flight that no longer count. */
  reserved: number;
  /** The period's spend was unknown (a damaged ledger), and why: that spend is lost with the reset. */
  unknownSpend: boolean;
  unknown: string[];
}

/** A look at a ledger without changing it (`relay budget status`). */
export interface LedgerStatus {
  usage: BudgetUsage;
  /** Damage not repaired yet, reservations of dead processes, skewed clocks. */
  problems: string[];
  /** Why the period's spend is unknown (when it is). */
  unknown: string[];
}

/** The numbers of one period from a replay. */
function usageOf(r: ReplayResult, config: BudgetConfig, key: string): BudgetUsage {
  const limit = config.limit;
  const used = r.settled + r.reserved;
  const remaining = limit > 0 ? (r.unknownSpend ? 0 : Math.max(0, limit - used)) : Number.POSITIVE_INFINITY;
  return { period: config.period, periodKey: key, limit, settled: r.settled, reserved: r.reserved, used, remaining, calls: r.calls, unknownSpend: limit > 0 && r.unknownSpend };
}

/** One line for any number of reservations of dead processes. */
function staleSummary(stale: readonly OpenReservation[]): string {
  if (stale.length === 1) return `reservation ${stale[0].id} (${stale[0].n} tokens) was never settled by its process: counted as spent`;
  const tokens = stale.reduce((sum, s) => sum + s.n, 0);
  return `${stale.length.toLocaleString("en-US")} reservations (${tokens.toLocaleString("en-US")} tokens) were never settled by their processes: counted as spent`;
}

/** The first problems one by one, the rest counted (a ledger of 10,000 bad lines is one report). */
function listed(problems: readonly string[], keptAt?: string): string[] {
  if (problems.length <= MAX_PROBLEMS_LISTED) return [...problems];
  const rest = problems.length - (MAX_PROBLEMS_LISTED - 1);
  return [...problems.slice(0, MAX_PROBLEMS_LISTED - 1), `… and ${rest.toLocaleString("en-US")} more problems${keptAt ? ` (all in the copy kept at ${keptAt})` : ""}`];
}

export class BudgetLedger implements BudgetGate {
  private lines: string[] = [];
  private replay!: ReplayResult;
  private key: string;
  private seq = 0;
  private readonly runId = Math.random().toString(36).slice(2, 8);
  private pending = new Set<Promise<unknown>>();
  private readonly listeners = new Set<(usage: BudgetUsage) => void>();
  /** Problems found when opening (damaged lines, stale reservations): reported once. */
  problems: string[] = [];
  /** Where a damaged ledger was kept aside, when one was. */
  keptAt: string | undefined;

  private constructor(
    private readonly store: LedgerStore,
    private config: BudgetConfig,
    private readonly now: () => Date,
  ) {
    this.key = periodKey(config.period, now());
  }

  /**
   * Reads a ledger without changing it: no lock, no repair, no closing of dead reservations
   * (they are counted as spent all the same).
   */
  static async inspect(store: LedgerStore, config: BudgetConfig, now: () => Date = () => new Date()): Promise<LedgerStatus> {
    const at = now();
    const key = periodKey(config.period, at);
    let lines: string[];
    try {
      lines = await store.readLines();
    } catch (error) {
      if (error instanceof RelayError) throw error;
      throw new RelayError("budget-ledger-unwritable", `The budget ledger ${store.location} cannot be read: ${errorMessage(error)}`, { cause: error });
    }
    const r = replayLedger(lines, { period: config.period, key, now: at.getTime(), staleAfterMs: config.staleAfterMs ?? DEFAULT_STALE_MS, ownerAlive: store.ownerAlive?.bind(store) });
    const problems = [...listed(r.problems), ...r.notices];
    if (r.stale.length) problems.push(staleSummary(r.stale));
    return { usage: usageOf(r, config, key), problems, unknown: r.unknownNotes };
  }

  /** Opens (and if need be repairs) the ledger; a ledger that cannot be written is an error. */
  static async open(store: LedgerStore, config: BudgetConfig, now: () => Date = () => new Date()): Promise<BudgetLedger> {
    const ledger = new BudgetLedger(store, config, now);
    await ledger.reload();
    return ledger;
  }

  /** Re-reads the ledger (another window or process may have written to it). */
  async reload(): Promise<void> {
    const report = await this.run(() => this.sync());
    this.problems = report.problems;
    this.keptAt = report.keptAt;
    this.notify();
  }

  setConfig(config: BudgetConfig): void {
    this.config = config;
    this.refresh();
    this.notify();
  }

  usage(): BudgetUsage {
    this.rotate();
    return usageOf(this.replay, this.config, this.key);
  }

  /** Why this period's spend is unknown (empty when it is known). */
  unknownSpendNotes(): string[] {
    this.rotate();
    return this.replay.unknownSpend ? [...this.replay.unknownNotes] : [];
  }

  onChange(listener: (usage: BudgetUsage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async reserve(promptTokens: number, spanTokens: number, options: { promptOverhead?: number } = {}): Promise<Reservation | null> {
    const whole = (n: number | undefined) => Math.max(0, Math.ceil(n !== undefined && Number.isFinite(n) ? n : 0));
    const promptSent = whole(promptTokens);
    const promptMax = reservedPromptTokens(promptSent + whole(options.promptOverhead), this.config.promptMargin);
    const span = Math.floor(spanTokens);
    if (!(span >= 1)) return null;
    const taken = await this.run(async () => {
      await this.sync();
      const remaining = this.usage().remaining;
      if (remaining < promptMax + 1) return null;
      const granted = Math.min(span, remaining - promptMax);
      const id = `${this.runId}-${++this.seq}`;
      const ts = this.now().getTime();
      const entry: LedgerEntry = { t: "reserve", id, n: promptMax + granted, ts, ...(this.store.owner ? { o: this.store.owner } : {}) };
      await this.write([entry]);
      this.refresh();
      return { id, ts, granted };
    });
    this.notify();
    if (!taken) return null;
    const { id, ts, granted } = taken;
    let done: Promise<SettledUsage> | undefined;
    const finish = (entry: LedgerEntry, charge: SettledUsage) =>
      (done ??= this.run(async () => {
        await this.write([entry]);
        this.refresh();
        return charge;
      }).finally(() => this.notify()));
    return {
      granted,
      promptTokens: promptMax,
      settle: (usage: SettleUsage) => {
        const bounds = { promptSent, promptMax, completionReceived: Math.min(usage.receivedTokens ?? 0, granted), completionMax: granted };
        const plausible = plausibleUsage(usage, bounds);
        const claimed = usage.claimed ?? plausible.claimed;
        const charge: SettledUsage = { promptTokens: plausible.promptTokens, completionTokens: plausible.completionTokens, ...(claimed ? { claimed } : {}) };
        const n = charge.promptTokens + charge.completionTokens;
        return finish({ t: "settle", id, n, ts: this.now().getTime(), r: ts, ...(claimed ? { claim: [claimed.promptTokens, claimed.completionTokens] } : {}) }, charge);
      },
      release: async () => {
        await finish({ t: "release", id, ts: this.now().getTime() }, { promptTokens: 0, completionTokens: 0 });
      },
    };
  }

  /**
   * Starts the current period over (the user's "reset period" action); lifts unknown spend.
   * Returns what no longer counts.
   */
  async reset(): Promise<ResetReport> {
    const report = await this.run(async () => {
      await this.sync();
      const u = this.usage();
      const dropped: ResetReport = { period: u.period, periodKey: u.periodKey, settled: u.settled, calls: u.calls, reserved: u.reserved, unknownSpend: this.replay.unknownSpend, unknown: this.unknownSpendNotes() };
      await this.write([{ t: "reset", period: this.config.period, key: this.key, ts: this.now().getTime() }]);
      await this.sync();
      return dropped;
    });
    this.notify();
    return report;
  }

  /** Waits for ledger operations in progress. */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** One operation under the store's lock; store failures become a clear error. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const op = this.store.locked(fn).catch((error: unknown) => {
      if (error instanceof RelayError) throw error;
      throw new RelayError("budget-ledger-unwritable", `The budget ledger ${this.store.location} cannot be used: ${errorMessage(error)}`, { cause: error });
    });
    this.pending.add(op);
    void op.then(
      () => this.pending.delete(op),
      () => this.pending.delete(op),
    );
    return op;
  }

  /** Under the lock: reads the file, closes dead reservations, repairs damage, compacts. */
  private async sync(): Promise<LedgerReport> {
    const now = this.now().getTime();
    let lines = await this.store.readLines();
    const report: LedgerReport = { problems: [] };
    const parsed = replayLedger(lines, this.replayOptions(now));
    const fresh = lines.every((l) => l.trim() === "");
    if (parsed.damaged) {
      report.keptAt = await this.store.keepAside();
      report.problems.push(...listed(parsed.problems, report.keptAt), `the damaged ledger was kept at ${report.keptAt}; ${this.store.location} was rewritten from what could be read`);
      if (parsed.unknownBefore !== undefined) report.problems.push("spend before the damage is unknown: the teacher is refused for the periods it covers until you reset the budget period");
      lines = compactLedger(lines, now);
      await this.store.rewrite(lines);
    } else if (fresh || !lines[0].startsWith('{"t":"ledger"') || lines.length > COMPACT_AFTER_LINES) {
      // A new ledger gets its header (this also proves the file can be written); v1 and long ones are compacted.
      lines = compactLedger(lines, now);
      await this.store.rewrite(lines);
    }
    const replay = replayLedger(lines, this.replayOptions(now));
    report.problems.push(...replay.notices);
    const stale = replay.stale;
    if (stale.length > 0) {
      // Their process is gone: they count as spent, closed so they are not reported again.
      const closes: LedgerEntry[] = stale.map((s) => ({ t: "settle", id: s.id, n: s.n, ts: now, r: s.ts, stale: true }));
      await this.write(closes);
      lines = [...lines, ...closes.map((e) => JSON.stringify(e))];
      report.problems.push(staleSummary(stale));
    }
    this.lines = lines;
    this.refresh();
    return report;
  }

  private replayOptions(now: number): ReplayOptions {
    const ownerAlive = this.store.ownerAlive?.bind(this.store);
    return { period: this.config.period, key: this.key, now, staleAfterMs: this.config.staleAfterMs ?? DEFAULT_STALE_MS, ownerAlive };
  }

  /** Replays the lines last read for the current period (no I/O). */
  private refresh(): void {
    this.key = periodKey(this.config.period, this.now());
    // Stale reservations are closed only under the lock (sync); here they count as in flight.
    this.replay = replayLedger(this.lines, { period: this.config.period, key: this.key, now: this.now().getTime() });
  }

  private rotate(): void {
    if (periodKey(this.config.period, this.now()) !== this.key) this.refresh();
  }

  private async write(entries: LedgerEntry[]): Promise<void> {
    await this.store.append(entries.map((e) => JSON.stringify(e)));
    this.lines.push(...entries.map((e) => JSON.stringify(e)));
  }

  private notify(): void {
    const usage = this.usage();
    for (const l of this.listeners) l(usage);
  }
}
