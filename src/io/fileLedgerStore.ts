/** The budget ledger on disk: JSON lines, each append fsynced; compaction by atomic rename. */
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { LedgerStore } from "../core/budget.js";

export class FileLedgerStore implements LedgerStore {
  constructor(readonly path: string) {}

  async readLines(): Promise<string[]> {
    try {
      return (await readFile(this.path, "utf8")).split("\n");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  async append(lines: string[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const file = await open(this.path, "a");
    try {
      await file.appendFile(lines.map((l) => l + "\n").join(""));
      await file.sync();
    } finally {
      await file.close();
    }
  }

  async rewrite(lines: string[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const file = await open(tmp, "w");
    try {
      await file.writeFile(lines.map((l) => l + "\n").join(""));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.path);
  }
}
