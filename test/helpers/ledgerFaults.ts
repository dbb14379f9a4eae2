/**
 * The budget ledger's faults, one scenario each, on real files (and, for the faults a process
 * meets only as a whole — a file size limit, a read-only mount, another user — a real child
 * process): symlinks, FIFOs, directories, devices, a full disk mid-append, a read-only file
 * system, clocks skewed both ways, a huge same-day ledger, leftovers of failed rewrites, many
 * stale reservations. Each scenario asserts what must hold and returns one line saying what
 * happened; the unit and model tests call them one by one, and test/model/ledgerFaults.test.ts
 * runs them all and writes the fault table (bench/results/ledger-faults.md).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, constants, chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { BudgetLedger, periodKey, replayLedger, type BudgetConfig } from "../../src/core/budget.js";
import { RelayError } from "../../src/core/errors.js";
import { FileLedgerStore } from "../../src/io/fileLedgerStore.js";

export interface FaultOutcome {
  /** What happened, for the fault table. */
  outcome: string;
}

export const DAY_MS = 86_400_000;

export function faultDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `relay-fault-${name}-`));
}

export const openLedger = (path: string, config: Partial<BudgetConfig> = {}, now?: () => Date) =>
  BudgetLedger.open(new FileLedgerStore(path), { limit: 1000, period: "month", promptMargin: 1, ...config }, now);

/** Spends `calls` calls of 20 prompt + 30 completion tokens (50 each) on one open ledger. */
export async function spendOn(ledger: BudgetLedger, calls: number): Promise<number> {
  let granted = 0;
  for (let i = 0; i < calls; i++) {
    const r = await ledger.reserve(20, 30);
    if (!r) break;
    granted++;
    await r.settle({ promptTokens: 20, completionTokens: 30 });
  }
  return granted;
}

/** `promise`, or "hung" after `ms` (then `unblock` runs, so nothing is left waiting forever). */
async function within<T>(promise: Promise<T>, ms: number, unblock?: () => void): Promise<{ value?: T; error?: unknown; hung?: true; ms: number }> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<{ hung: true }>((resolve) => (timer = setTimeout(() => resolve({ hung: true }), ms))),
  ]);
  clearTimeout(timer);
  if ("hung" in outcome) {
    unblock?.();
    await promise.catch(() => {});
  }
  return { ...outcome, ms: Date.now() - started };
}

const ledgerError = (e: unknown) => (e instanceof RelayError ? `${e.code}: ${e.message}` : String(e));

/** A symlinked ledger: the link stays a link, and the link and the real path are one ledger. */
export async function symlinkedLedger(): Promise<FaultOutcome> {
  const dir = faultDir("symlink");
  mkdirSync(join(dir, "real"));
  mkdirSync(join(dir, "links"));
  const real = join(dir, "real", "ledger.jsonl");
  const link = join(dir, "links", "ledger.jsonl");
  // A link to a ledger that does not exist yet: the first open creates the target.
  symlinkSync("../real/ledger.jsonl", link);
  const viaLink = await openLedger(link);
  await spendOn(viaLink, 4);
  assert.ok(lstatSync(link).isSymbolicLink(), "the first rewrite replaced the link with a regular file");
  assert.ok(existsSync(real) && statSync(real).isFile(), "the link's target was not created");
  const viaReal = await openLedger(real);
  await spendOn(viaReal, 4);
  await viaLink.reload();
  assert.ok(lstatSync(link).isSymbolicLink(), "the link was replaced");
  assert.equal(viaLink.usage().settled, 400, "the link and the real path are two budgets");
  assert.equal(viaReal.usage().settled, 400);
  // A folder reached through a linked folder: the same file, the same lock.
  symlinkSync(join(dir, "real"), join(dir, "linked-dir"));
  const viaDir = await openLedger(join(dir, "linked-dir", "ledger.jsonl"));
  assert.equal(viaDir.usage().settled, 400);
  // A damaged ledger behind the link is repaired in place: the link stays.
  writeFileSync(real, readFileSync(real, "utf8") + '{"t":"settle","id":');
  const repaired = await openLedger(link);
  assert.ok(repaired.keptAt, "the damage was not kept aside");
  assert.ok(lstatSync(link).isSymbolicLink(), "the repair replaced the link");
  assert.equal(replayLedger(readFileSync(real, "utf8").split("\n"), { period: "total", key: "total" }).problems.length, 0, "the real file was not repaired");
  return { outcome: "the link stays a link; the link, the real path and a linked folder are one ledger (400 = 400 = 400 tokens); a repair rewrites the real file" };
}

/** A path that is not a regular file: refused at once, with a clear error, nothing written. */
async function refusedKind(path: string, kind: RegExp, unblock?: () => void): Promise<{ message: string; ms: number }> {
  const before = lstatSync(path);
  const result = await within(openLedger(path), 3000, unblock);
  assert.ok(!result.hung, `opening hung (${result.ms} ms) instead of refusing`);
  assert.ok(result.error, "a non-regular file was accepted as the ledger");
  const message = ledgerError(result.error);
  assert.match(message, /budget-ledger-unwritable/);
  assert.match(message, /not a regular file/, message);
  assert.match(message, kind, message);
  assert.ok(message.includes(path), `the message does not name ${path}: ${message}`);
  const after = lstatSync(path);
  assert.equal(after.mode, before.mode, "the path was replaced");
  assert.equal(after.ino, before.ino, "the path was replaced");
  return { message, ms: result.ms };
}

export async function fifoLedger(): Promise<FaultOutcome> {
  const dir = faultDir("fifo");
  const path = join(dir, "ledger.jsonl");
  const made = spawnSync("mkfifo", [path]);
  assert.equal(made.status, 0, `mkfifo failed: ${made.stderr?.toString()}`);
  // On a build that reads the FIFO, a writer ends the read (else a thread waits forever).
  const unblock = () => closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
  const { ms } = await refusedKind(path, /FIFO/, unblock);
  return { outcome: `refused in ${ms} ms: "not a regular file (a FIFO)"; nothing read, the lock released` };
}

export async function directoryLedger(): Promise<FaultOutcome> {
  const dir = faultDir("directory");
  const path = join(dir, "ledger.jsonl");
  mkdirSync(path);
  const { ms } = await refusedKind(path, /directory/);
  return { outcome: `refused in ${ms} ms: "not a regular file (a directory)"` };
}

export async function deviceLedger(): Promise<FaultOutcome> {
  const dir = faultDir("device");
  const path = join(dir, "ledger.jsonl");
  // A link to /dev/null: a ledger that would read empty and swallow every entry.
  symlinkSync("/dev/null", path);
  const { ms } = await refusedKind(path, /character device/);
  assert.ok(lstatSync("/dev/null").isCharacterDevice());
  assert.ok(!existsSync("/dev/null.lock"), "a lock was made beside the device");
  return { outcome: `refused in ${ms} ms: "not a regular file (a character device: /dev/null)"; /dev/null untouched` };
}

/** A period reset stamped in the future: it counts as made now; spend after it counts. */
export async function futureReset(): Promise<FaultOutcome> {
  const dir = faultDir("future-reset");
  const path = join(dir, "ledger.jsonl");
  const now = Date.now();
  const key = periodKey("month", new Date(now));
  writeFileSync(path, JSON.stringify({ t: "reset", period: "month", key, ts: now + 10 * DAY_MS }) + "\n");
  const ledger = await openLedger(path, { limit: 300 });
  const granted = await spendOn(ledger, 40);
  const u = ledger.usage();
  assert.ok(u.settled <= 300, `${u.settled} tokens spent against a limit of 300`);
  assert.ok(u.used >= 250, `the display says ${u.used} / 300 after ${granted} calls`);
  const again = await openLedger(path, { limit: 300 });
  assert.equal(again.usage().settled, u.settled, "another process sees another total");
  assert.equal(await again.reserve(20, 30), null, "granted past the limit");
  assert.ok(ledger.problems.some((p) => /future|ahead/.test(p)), `not reported: ${JSON.stringify(ledger.problems)}`);
  return { outcome: `the reset counts as made when first read (reported); ${granted} calls, ${u.settled} / 300 spent, then refused` };
}

/** Spend stamped in the future (a clock that was ahead): it counts now. */
export async function futureSpend(): Promise<FaultOutcome> {
  const dir = faultDir("future-spend");
  const path = join(dir, "ledger.jsonl");
  const now = Date.now();
  const ahead = now + 40 * DAY_MS;
  const lines = [
    { t: "reserve", id: "ahead-1", n: 600, ts: ahead },
    { t: "settle", id: "ahead-1", n: 500, ts: ahead + 1000, r: ahead },
    // Still in flight, on a machine whose clock is ahead (owner on another host).
    { t: "reserve", id: "ahead-2", n: 100, ts: ahead + 2000, o: "elsewhere:1" },
  ];
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const ledger = await openLedger(path, { limit: 1000 });
  const u = ledger.usage();
  assert.equal(u.settled, 500, `spend stamped 40 days ahead counts ${u.settled} this month`);
  assert.equal(u.reserved, 100, "a reservation stamped ahead is not in flight");
  assert.equal(u.remaining, 400);
  assert.ok(ledger.problems.some((p) => /future|ahead/.test(p)), `not reported: ${JSON.stringify(ledger.problems)}`);
  const granted = await spendOn(ledger, 20);
  assert.equal(granted, 8, `${granted} calls of 50 granted with 400 left`);
  return { outcome: "spend and a reservation stamped 40 days ahead count this month (500 + 100 of 1,000; reported); 8 more calls of 50 granted, then refused" };
}

/**
 * The other way: a process whose clock is 40 days behind writes after one with the right time.
 * Its entries come later in the file, so they count from the time of the entries before them.
 */
export async function clockBehind(): Promise<FaultOutcome> {
  const dir = faultDir("clock-behind");
  const path = join(dir, "ledger.jsonl");
  const right = await openLedger(path, { limit: 300 });
  await spendOn(right, 2); // 100 tokens, stamped now
  const behind = await openLedger(path, { limit: 300 }, () => new Date(Date.now() - 40 * DAY_MS));
  const grantedBehind = await spendOn(behind, 10);
  await right.reload();
  const u = right.usage();
  assert.ok(u.settled <= 300, `${u.settled} tokens spent this month against 300 (the late clock's spend went to another month)`);
  assert.ok(u.settled >= 250, `the late clock's spend is missing: ${u.settled}`);
  const grantedAfter = await spendOn(right, 10);
  await right.reload();
  assert.ok(right.usage().settled <= 300, `${right.usage().settled} > 300`);
  return { outcome: `a writer 40 days behind, after one on time: its ${grantedBehind} calls count this month (${u.settled} / 300); ${grantedAfter} more granted, total ${right.usage().settled} / 300` };
}

/** A clock that jumped ahead and came back: what was spent meanwhile counts in the real period. */
export async function clockJumpedBack(): Promise<FaultOutcome> {
  const dir = faultDir("clock-back");
  const path = join(dir, "ledger.jsonl");
  const ahead = await openLedger(path, { limit: 300 }, () => new Date(Date.now() + 40 * DAY_MS));
  const spentAhead = await spendOn(ahead, 10);
  const back = await openLedger(path, { limit: 300 });
  const u = back.usage();
  assert.ok(u.used >= 250 && u.used <= 300, `after the clock came back: ${u.used} / 300`);
  const more = await spendOn(back, 10);
  assert.ok(back.usage().settled <= 300, `${back.usage().settled} > 300`);
  return { outcome: `${spentAhead} calls made 40 days ahead count when the clock is back (${u.used} / 300); ${more} more granted` };
}

/** Tens of thousands of same-day entries: folded, so a reserve + settle stays cheap. */
export async function hugeSameDay(pairs = 15_000): Promise<FaultOutcome> {
  const dir = faultDir("huge");
  const path = join(dir, "ledger.jsonl");
  const now = Date.now();
  const lines = [JSON.stringify({ t: "ledger", v: 2, ts: now - 1000, base: 0, sum: 0 })];
  for (let i = 0; i < pairs; i++) {
    const ts = now - pairs + i; // all within the last seconds: today
    lines.push(JSON.stringify({ t: "reserve", id: `h-${i}`, n: 30, ts }), JSON.stringify({ t: "settle", id: `h-${i}`, n: 12, ts, r: ts }));
  }
  writeFileSync(path, lines.join("\n") + "\n");
  const ledger = await openLedger(path, { limit: 0, period: "day" });
  assert.equal(ledger.usage().settled, pairs * 12);
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    const r = await ledger.reserve(10, 10);
    await r!.settle({ promptTokens: 10, completionTokens: 5 });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const fileLines = readFileSync(path, "utf8").split("\n").filter(Boolean).length;
  assert.equal((await openLedger(path, { limit: 0, period: "day" })).usage().settled, pairs * 12 + 15 * 15, "folding lost spend");
  assert.ok(fileLines < 200, `${fileLines} lines after compaction: today's entries were not folded`);
  // Timing on a busy machine is noisy: the line count above is the check; this catches a gross slowdown.
  assert.ok(median < 100, `a reserve + settle takes ${median.toFixed(0)} ms (median of 15)`);
  return { outcome: `${(pairs * 2).toLocaleString("en-US")} same-day lines folded to ${fileLines}; reserve + settle ${median.toFixed(1)} ms (median of 15), no spend lost` };
}

/** 10,000 reservations of a dead process: counted as spent, reported in one line. */
export async function manyStale(count = 10_000): Promise<FaultOutcome> {
  const dir = faultDir("stale");
  const path = join(dir, "ledger.jsonl");
  const old = Date.now() - 60 * 60_000;
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ t: "reserve", id: `s-${i}`, n: 3, ts: old + i, o: `${hostname()}:999999999` }));
  writeFileSync(path, lines.join("\n") + "\n");
  const ledger = await openLedger(path, { limit: 0 });
  assert.equal(ledger.usage().settled, count * 3);
  assert.equal(ledger.problems.length, 1, `${ledger.problems.length} problem lines for ${count} stale reservations`);
  assert.match(ledger.problems[0], new RegExp(`${count.toLocaleString("en-US")}|${count}`));
  return { outcome: `${count.toLocaleString("en-US")} stale reservations counted as spent (${(count * 3).toLocaleString("en-US")} tokens), reported in 1 line` };
}

/** The child that opens a ledger (test/fixtures/ledgerOpen.ts), as a new `relay ask` would. */
export interface ChildResult {
  ok: boolean;
  error?: string;
  ms: number;
  settled?: number;
  unknownSpend?: boolean;
  problems?: string[];
  granted?: boolean;
}

function childArgs(path: string, action: string): string[] {
  return ["--import", "tsx", "test/fixtures/ledgerOpen.ts", path, action];
}

/** Runs the ledger child under a shell prefix (ulimit, unshare, another user); its JSON line. */
export function runLedgerChild(shell: string, path: string, action: string, options: { uid?: number; gid?: number; timeoutMs?: number } = {}): Promise<ChildResult & { stderr: string; code: number | null }> {
  const node = [process.execPath, ...childArgs(path, action)].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", `${shell}${shell ? " && " : ""}exec ${node}`], { cwd: process.cwd(), uid: options.uid, gid: options.gid, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("close", (code, signal) => {
      if (signal) err += ` (killed by ${signal})`;
      clearTimeout(timer);
      const line = out.trim().split("\n").at(-1) ?? "";
      let parsed: ChildResult;
      try {
        parsed = JSON.parse(line) as ChildResult;
      } catch {
        parsed = { ok: false, error: `the child printed no result (exit ${code}): ${err.slice(-600)}`, ms: -1 };
      }
      resolve({ ...parsed, stderr: err, code });
    });
  });
}

/** Pads a ledger with an ignored entry so that it is exactly `size` bytes long. */
function padTo(path: string, size: number): void {
  const text = readFileSync(path, "utf8");
  const base = JSON.stringify({ t: "release", id: "pad", ts: Date.now(), x: "" }) + "\n";
  const fill = size - Buffer.byteLength(text) - Buffer.byteLength(base);
  assert.ok(fill >= 0, "the ledger is already past the size");
  writeFileSync(path, text + JSON.stringify({ t: "release", id: "pad", ts: Date.now(), x: "x".repeat(fill) }) + "\n");
  assert.equal(statSync(path).size, size);
}

/**
 * A full disk mid-append: the child runs under a file size limit (`ulimit -f`, no root needed)
 * that the reservation's line crosses half-way. The append must leave nothing behind; the next
 * run (without the limit) finds the ledger intact and is granted.
 */
export async function fullDiskMidAppend(): Promise<FaultOutcome> {
  const dir = faultDir("full-disk");
  const path = join(dir, "ledger.jsonl");
  const ledger = await openLedger(path, { limit: 1000 });
  await spendOn(ledger, 3);
  const limitKb = 8;
  padTo(path, limitKb * 1024 - 30); // the next line (~90 bytes) crosses the limit
  const before = readFileSync(path);
  const child = await runLedgerChild(`ulimit -f ${limitKb}`, path, "reserve");
  assert.equal(child.ok, false, `the child was granted past the file size limit: ${JSON.stringify(child)}`);
  assert.match(child.error ?? "", /EFBIG|too large|full|space/i, `the error does not say why: ${child.error}`);
  const after = readFileSync(path);
  assert.equal(after.length, before.length, `the failed append left ${after.length - before.length} bytes (a torn line)`);
  assert.deepEqual(after, before);
  const next = await openLedger(path, { limit: 1000 });
  assert.deepEqual(next.problems, [], "the next run found damage");
  assert.equal(next.usage().unknownSpend, false, "the next run refuses the teacher for the period");
  assert.equal(next.usage().settled, 150);
  assert.ok(await next.reserve(20, 30), "the next run is refused");
  return { outcome: `the append failed (${/EFBIG/.test(child.error ?? "") ? "EFBIG" : "error"}) and was cut back: 0 bytes left; the next run finds the ledger intact (150 / 1,000) and is granted` };
}

/** A rewrite (compaction) that fails on a full disk: no temporary file is left behind. */
export async function fullDiskRewrite(): Promise<FaultOutcome> {
  const dir = faultDir("full-disk-rewrite");
  const path = join(dir, "ledger.jsonl");
  // A main-format (v1) ledger: opening compacts it into a file larger than the limit allows
  // (its open reservations belong to a live process on another machine, so they are kept).
  const now = Date.now();
  const lines = Array.from({ length: 120 }, (_, i) => JSON.stringify({ t: "reserve", id: `live-${i}`, p: "total", n: 30, ts: now - i, o: "elsewhere:1" }));
  writeFileSync(path, lines.join("\n") + "\n");
  const size = statSync(path).size;
  const limitKb = Math.floor(size / 1024) - 2;
  const child = await runLedgerChild(`ulimit -f ${limitKb}`, path, "open");
  assert.equal(child.ok, false, `the compaction did not fail under a ${limitKb} KiB limit: ${JSON.stringify(child)}`);
  const left = readdirSync(dir).filter((f) => f.endsWith(".tmp"));
  assert.deepEqual(left, [], `left behind: ${left.join(", ")}`);
  assert.equal(statSync(path).size, size, "the ledger changed");
  return { outcome: `the compaction failed (${/EFBIG/.test(child.error ?? "") ? "EFBIG" : "error"}); no *.tmp left, the ledger unchanged` };
}

const shellQuote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * A read-only file system: the child mounts a private read-only tmpfs (a user and mount
 * namespace: `unshare -rm`, no root needed where unprivileged namespaces are allowed) holding a
 * ledger, and opens it. It must fail at once, saying why, not after seconds of lock retries.
 */
export async function readOnlyFileSystem(): Promise<FaultOutcome> {
  const probe = spawnSync("unshare", ["-rm", "true"]);
  assert.equal(probe.status, 0, `this test needs a private mount namespace (unshare -rm), which this machine refuses: ${probe.stderr?.toString().trim() || probe.error?.message}. Run it where unprivileged user namespaces are allowed, or as root.`);
  const dir = faultDir("read-only");
  const mount = join(dir, "mnt");
  mkdirSync(mount);
  const source = join(dir, "ledger.jsonl");
  const ledger = await openLedger(source, { limit: 1000 });
  await spendOn(ledger, 2);
  const path = join(mount, "ledger.jsonl");
  const shell = `unshare -rm bash -c ${shellQuote(`mount -t tmpfs tmpfs ${shellQuote(mount)} && cp ${shellQuote(source)} ${shellQuote(path)} && mount -o remount,ro ${shellQuote(mount)} && exec "$0" "$@"`)} ${process.execPath} ${childArgs(path, "reserve").map(shellQuote).join(" ")}`;
  const child = await runRaw(shell);
  assert.equal(child.ok, false, `a ledger on a read-only file system was used: ${JSON.stringify(child)}`);
  assert.match(child.error ?? "", /EROFS|read-only/i, `the error does not say why: ${child.error}`);
  assert.ok(child.ms < 3000, `it took ${child.ms} ms to fail (lock retries)`);
  return { outcome: `refused in ${child.ms} ms: "${/read-only file system/i.test(child.error ?? "") ? "read-only file system (EROFS)" : child.error}"` };
}

/** Another user's folder (EACCES): fails at once too. As root the child runs as nobody. */
export async function permissionDenied(): Promise<FaultOutcome> {
  const dir = faultDir("eacces");
  chmodSync(dir, 0o755);
  const folder = join(dir, "ledgers");
  mkdirSync(folder);
  const path = join(folder, "ledger.jsonl");
  const ledger = await openLedger(path, { limit: 1000 });
  await spendOn(ledger, 2);
  chmodSync(path, 0o644);
  chmodSync(folder, 0o555);
  const asRoot = process.getuid?.() === 0;
  const child = await runLedgerChild("", path, "reserve", asRoot ? { uid: 65534, gid: 65534 } : {});
  chmodSync(folder, 0o755);
  assert.equal(child.ok, false, `a ledger in a folder it cannot write was used: ${JSON.stringify(child)}`);
  assert.match(child.error ?? "", /EACCES|permission/i, `the error does not say why: ${child.error}`);
  assert.ok(child.ms < 3000, `it took ${child.ms} ms to fail (lock retries)`);
  return { outcome: `refused in ${child.ms} ms: "permission denied (EACCES)"${asRoot ? " (run as nobody)" : ""}` };
}

function runRaw(shell: string): Promise<ChildResult & { stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", shell], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code, signal) => {
      if (signal) err += ` (killed by ${signal})`;
      clearTimeout(timer);
      try {
        resolve({ ...(JSON.parse(out.trim().split("\n").at(-1) ?? "") as ChildResult), stderr: err });
      } catch {
        resolve({ ok: false, error: `no result (exit ${code}): ${err.slice(-600)}`, ms: -1, stderr: err });
      }
    });
  });
}
