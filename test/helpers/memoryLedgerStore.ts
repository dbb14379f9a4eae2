import type { LedgerStore } from "../../src/core/budget.js";

/** A LedgerStore in memory, with optional write latency to interleave concurrent calls. */
export class MemoryLedgerStore implements LedgerStore {
  lines: string[] = [];
  constructor(private readonly delayMs = 0) {}
  async readLines(): Promise<string[]> {
    return [...this.lines];
  }
  async append(lines: string[]): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, Math.random() * this.delayMs));
    this.lines.push(...lines);
  }
  async rewrite(lines: string[]): Promise<void> {
    this.lines = [...lines];
  }
}
