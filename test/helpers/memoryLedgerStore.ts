import type { LedgerStore } from "../../src/core/budget.js";

/** A LedgerStore in memory, with optional write latency to interleave concurrent calls. */
export class MemoryLedgerStore implements LedgerStore {
  lines: string[] = [];
  /** Copies kept aside by repairs. */
  aside: string[][] = [];
  readonly location = "memory";
  private queue: Promise<unknown> = Promise.resolve();
  constructor(private readonly delayMs = 0) {}
  locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }
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
  async keepAside(): Promise<string> {
    this.aside.push([...this.lines]);
    return `memory#${this.aside.length}`;
  }
}
