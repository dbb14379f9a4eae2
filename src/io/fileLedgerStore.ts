/**
 * The budget ledger on disk: JSON lines, each append fsynced; compaction and repair by atomic
 * rename. Every operation holds a cross-process lock (proper-lockfile: an atomic `mkdir` lock
 * whose mtime is refreshed while held, so a lock left by a killed process goes stale and is
 * taken over), so two windows and the CLI never reserve against the same room.
 */
import { constants } from "node:fs";
import { copyFile, mkdir, open, readFile, rename } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import lockfile from "proper-lockfile";
import type { LedgerStore } from "../core/budget.js";
import { PRIVATE_FILE } from "./privateFile.js";
import { processAlive } from "./processAlive.js";

/** A lock not refreshed for this long belongs to a dead process (proper-lockfile's minimum). */
const STALE_MS = 5_000;
/** How long to wait for the lock: past a stale lock's takeover, with room to spare. */
const RETRIES = { retries: 400, minTimeout: 2, maxTimeout: 60, factor: 1.5, randomize: true };

export class FileLedgerStore implements LedgerStore {
  readonly owner = `${hostname()}:${process.pid}`;
  private queue: Promise<unknown> = Promise.resolve();
  private compromised: Error | undefined;

  constructor(readonly path: string) {}

  get location(): string {
    return this.path;
  }

  locked<T>(fn: () => Promise<T>): Promise<T> {
    // One holder at a time in this process too (proper-lockfile refuses a second lock here).
    const run = this.queue.then(() => this.withFileLock(fn));
    this.queue = run.catch(() => {});
    return run;
  }

  private async withFileLock<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(dirname(this.path), { recursive: true });
    this.compromised = undefined;
    const release = await lockfile.lock(this.path, {
      realpath: false,
      lockfilePath: `${this.path}.lock`,
      stale: STALE_MS,
      update: 1_000,
      retries: RETRIES,
      // The default throws from a timer; a lost lock fails the operation instead.
      onCompromised: (error) => {
        this.compromised = error;
      },
    });
    try {
      const result = await fn();
      const lost = this.compromised as Error | undefined;
      if (lost) throw new Error(`the ledger lock was lost while held: ${lost.message}`);
      return result;
    } finally {
      await release().catch(() => {});
    }
  }

  async readLines(): Promise<string[]> {
    try {
      return (await readFile(this.path, "utf8")).split("\n");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  async append(lines: string[]): Promise<void> {
    const file = await open(this.path, "a+", PRIVATE_FILE);
    try {
      // A torn last line (a killed process) must not swallow the next entry.
      const { size } = await file.stat();
      let lead = "";
      if (size > 0) {
        const last = Buffer.alloc(1);
        await file.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) lead = "\n";
      }
      await file.appendFile(lead + lines.map((l) => l + "\n").join(""));
      await file.sync();
    } finally {
      await file.close();
    }
  }

  async rewrite(lines: string[]): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    const file = await open(tmp, "w", PRIVATE_FILE);
    try {
      await file.writeFile(lines.map((l) => l + "\n").join(""));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.path);
  }

  async keepAside(): Promise<string> {
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    for (let i = 0; ; i++) {
      const target = `${this.path}.damaged-${stamp}${i ? `-${i}` : ""}`;
      try {
        await copyFile(this.path, target, constants.COPYFILE_EXCL);
        return target;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || i > 100) throw error;
      }
    }
  }

  ownerAlive(owner: string): boolean {
    const at = owner.lastIndexOf(":");
    const host = owner.slice(0, at);
    const pid = Number(owner.slice(at + 1));
    // Another machine (a shared home folder): unknown, so alive; the age limit closes it.
    if (host !== hostname()) return true;
    return processAlive(pid);
  }
}
