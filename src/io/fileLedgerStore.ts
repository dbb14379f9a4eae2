/**
 * The budget ledger on disk: JSON lines, each append fsynced; compaction and repair by atomic
 * rename. Every operation holds a cross-process lock (proper-lockfile: an atomic `mkdir` lock
 * whose mtime is refreshed while held, so a lock left by a killed process goes stale and is
 * taken over), so two windows and the CLI never reserve against the same room.
 *
 * The file is the one the path resolves to: a symlinked ledger (or one in a linked folder) is
 * locked and written where it really is, and the link is never replaced, so every path that
 * leads to one file is one budget. Only a regular file is a ledger: a FIFO (which would block
 * the read forever), a directory or a device is refused with a clear error before anything is
 * locked, read or written. An append is all or nothing: a write cut short (a full disk, a file
 * size limit) is truncated back, so it never leaves a torn line behind. A folder that cannot be
 * written (read-only file system, permissions) fails at once instead of retrying the lock.
 */
import { constants, type Stats } from "node:fs";
import { copyFile, lstat, mkdir, open, readdir, readlink, realpath, rename, unlink, type FileHandle } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import lockfile from "proper-lockfile";
import type { LedgerStore } from "../core/budget.js";
import { RelayError, errorMessage } from "../core/errors.js";
import { PRIVATE_FILE } from "./privateFile.js";
import { processAlive } from "./processAlive.js";

/** A lock not refreshed for this long belongs to a dead process (proper-lockfile's minimum). */
const STALE_MS = 5_000;
/** How long to wait for a lock another process holds: past a stale lock's takeover, with room to spare. */
const LOCK_TRIES = 400;
const LOCK_WAIT_MS = { min: 2, max: 60, factor: 1.5 };
/** Errors that no amount of waiting for the lock cures: fail at once. */
const FATAL_LOCK_ERRORS = new Set(["EROFS", "EACCES", "EPERM", "ENOSPC", "EDQUOT", "ENOTDIR", "ENAMETOOLONG", "ELOOP"]);
const MAX_LINK_HOPS = 40;

// proper-lockfile's signal-exit listens for SIGXFSZ and re-raises it, which turns a file size
// limit into a kill in the middle of a write (a torn line). Node itself ignores the signal, so
// the write fails with EFBIG and the append below can cut it back: a listener restores that.
if (process.platform !== "win32") process.on("SIGXFSZ", () => {});

const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** "a FIFO", "a directory", ... for a message. */
function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isDirectory()) return "a directory";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  if (stats.isSymbolicLink()) return "a symbolic link";
  return "not a file";
}

function notRegular(given: string, real: string, stats: Stats): RelayError {
  const what = `${kindOf(stats)}${real === given ? "" : ` (${real})`}`;
  return new RelayError("budget-ledger-unwritable", `The budget ledger ${given} is not a regular file: it is ${what}. Give the ledger a path to a regular file (or to one that does not exist yet).`);
}

const code = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

export class FileLedgerStore implements LedgerStore {
  readonly owner = `${hostname()}:${process.pid}`;
  private queue: Promise<unknown> = Promise.resolve();
  private compromised: Error | undefined;
  /** The resolved file while this store holds its lock. */
  private held: string | undefined;

  constructor(readonly path: string) {}

  get location(): string {
    return this.path;
  }

  /**
   * The file the ledger path leads to, following symlinks (a dangling one to where its target
   * will be), its folder created if need be (unless `create` is false: a read-only look). A path
   * that exists and is not a regular file is refused.
   */
  async resolveFile({ create = true } = {}): Promise<string> {
    let path = resolve(this.path);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      let stats: Stats;
      try {
        stats = await lstat(path);
      } catch (error) {
        if (code(error) !== "ENOENT") throw error;
        if (create) await mkdir(dirname(path), { recursive: true });
        return join(await realpath(dirname(path)), basename(path));
      }
      if (stats.isSymbolicLink()) {
        path = resolve(dirname(path), await readlink(path));
        continue;
      }
      const real = join(await realpath(dirname(path)), basename(path));
      if (!stats.isFile()) throw notRegular(this.path, real, stats);
      return real;
    }
    throw new RelayError("budget-ledger-unwritable", `The budget ledger ${this.path} is a chain of more than ${MAX_LINK_HOPS} symbolic links.`);
  }

  locked<T>(fn: () => Promise<T>): Promise<T> {
    // One holder at a time in this process too (proper-lockfile refuses a second lock here).
    const run = this.queue.then(() => this.withFileLock(fn));
    this.queue = run.catch(() => {});
    return run;
  }

  private async withFileLock<T>(fn: () => Promise<T>): Promise<T> {
    const file = await this.resolveFile();
    this.compromised = undefined;
    const release = await this.lock(file);
    this.held = file;
    try {
      const result = await fn();
      const lost = this.compromised as Error | undefined;
      if (lost) throw new Error(`the ledger lock was lost while held: ${lost.message}`);
      return result;
    } finally {
      this.held = undefined;
      await release().catch(() => {});
    }
  }

  /** Takes the lock, waiting only while another holder has it (ELOCKED). */
  private async lock(file: string): Promise<() => Promise<void>> {
    let wait: number = LOCK_WAIT_MS.min;
    for (let attempt = 0; ; attempt++) {
      try {
        return await lockfile.lock(file, {
          realpath: false,
          lockfilePath: `${file}.lock`,
          stale: STALE_MS,
          update: 1_000,
          retries: 0,
          // The default throws from a timer; a lost lock fails the operation instead.
          onCompromised: (error) => {
            this.compromised = error;
          },
        });
      } catch (error) {
        const why = code(error);
        if (why && FATAL_LOCK_ERRORS.has(why)) throw new Error(`its folder cannot be written (${why === "EROFS" ? "read-only file system" : why === "EACCES" || why === "EPERM" ? "permission denied" : why}): ${errorMessage(error)}`, { cause: error });
        if (why !== "ELOCKED" || attempt >= LOCK_TRIES) throw error;
        await new Promise((r) => setTimeout(r, wait * (1 + Math.random())));
        wait = Math.min(LOCK_WAIT_MS.max, wait * LOCK_WAIT_MS.factor);
      }
    }
  }

  /** The file to work on: the locked one, or (outside the lock) the path resolved now. */
  private async target(): Promise<string> {
    return this.held ?? (await this.resolveFile());
  }

  /**
   * Opens the resolved file without following a link and without blocking (a FIFO swapped in
   * since it was resolved), and checks it is still a regular file.
   */
  private async openRegular(file: string, flags: number, mode?: number): Promise<FileHandle> {
    const handle = await open(file, flags | O_NONBLOCK | O_NOFOLLOW, mode);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw notRegular(this.path, file, stats);
      return handle;
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
  }

  /** The ledger's lines; may be called without the lock for a read-only look (`relay budget status`). */
  async readLines(): Promise<string[]> {
    let handle: FileHandle;
    try {
      const file = this.held ?? (await this.resolveFile({ create: false }));
      handle = await this.openRegular(file, constants.O_RDONLY);
    } catch (error) {
      if (code(error) === "ENOENT") return [];
      throw error;
    }
    try {
      return (await handle.readFile("utf8")).split("\n");
    } finally {
      await handle.close();
    }
  }

  async append(lines: string[]): Promise<void> {
    const file = await this.target();
    const handle = await this.openRegular(file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, PRIVATE_FILE);
    try {
      // A torn last line (a crash of the machine) must not swallow the next entry.
      const { size } = await handle.stat();
      let lead = "";
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) lead = "\n";
      }
      const data = Buffer.from(lead + lines.map((l) => l + "\n").join(""), "utf8");
      try {
        for (let done = 0; done < data.length; ) {
          const { bytesWritten } = await handle.write(data, done, data.length - done);
          if (bytesWritten <= 0) throw new Error("the write made no progress");
          done += bytesWritten;
        }
        await handle.sync();
      } catch (error) {
        // All or nothing: what a full disk let through is cut off again.
        const cut = await handle.truncate(size).then(
          () => handle.sync().then(() => true),
          () => false,
        );
        const full = code(error) === "ENOSPC" || code(error) === "EFBIG" || code(error) === "EDQUOT";
        throw new Error(`the entry could not be written${full ? " (the disk is full or the file too large)" : ""}: ${errorMessage(error)}; ${cut ? "nothing of it was kept" : "and the part written could not be removed: the next open reports it"}`, { cause: error });
      }
    } finally {
      await handle.close();
    }
  }

  async rewrite(lines: string[]): Promise<void> {
    const file = await this.target();
    await this.removeLeftovers(file);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | O_NOFOLLOW, PRIVATE_FILE);
      try {
        await handle.writeFile(lines.map((l) => l + "\n").join(""));
        await handle.sync();
      } finally {
        await handle.close();
      }
      // The real file is replaced, never a link that leads to it.
      await rename(tmp, file);
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw error;
    }
  }

  /**
   * Temporary files of rewrites that never finished (a process killed or failed between the
   * write and the rename). Rewrites happen under the lock, so while it is held none is live.
   */
  private async removeLeftovers(file: string): Promise<void> {
    if (!this.held) return;
    const name = basename(file);
    const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.\\d+\\.tmp$`);
    const entries = await readdir(dirname(file)).catch(() => [] as string[]);
    await Promise.all(entries.filter((e) => pattern.test(e)).map((e) => unlink(join(dirname(file), e)).catch(() => {})));
  }

  async keepAside(): Promise<string> {
    const file = await this.target();
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    for (let i = 0; ; i++) {
      const target = `${file}.damaged-${stamp}${i ? `-${i}` : ""}`;
      try {
        await copyFile(file, target, constants.COPYFILE_EXCL);
        return target;
      } catch (error) {
        if (code(error) === "EEXIST" && i <= 100) continue;
        // A copy cut short (a full disk) is not left behind as if it were whole.
        if (code(error) !== "EEXIST") await unlink(target).catch(() => {});
        throw error;
      }
    }
  }

  ownerAlive(owner: string): boolean {
    const at = owner.lastIndexOf(":");
    const host = owner.slice(0, at);
    const pid = Number(owner.slice(at + 1));
    // Another machine (a shared home folder): unknown, so alive; the age limit closes it.
    if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return true;
    return processAlive(pid);
  }
}
