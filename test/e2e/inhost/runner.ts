/**
 * A tiny mocha-free test runner for code running inside VS Code's extension host. VS Code loads
 * the bundled entry (index.ts -> a CommonJS file) as extensionTestsPath and calls its exported
 * run(); resolving means success (exit code 0), throwing means failure (exit code 1).
 */
import { writeFileSync } from "node:fs";

export type InHostTest = () => void | Promise<void>;
interface Registered {
  name: string;
  fn: InHostTest;
  timeoutMs: number;
}
export interface InHostTestResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

const registered: Registered[] = [];

/** Registers a test; tests run in registration order, one at a time. */
export function test(name: string, fn: InHostTest, options: { timeoutMs?: number } = {}): void {
  registered.push({ name, fn, timeoutMs: options.timeoutMs ?? 30_000 });
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Called by VS Code. Logs TAP-like lines (forwarded to the test driver) and throws when a test failed. */
export async function run(): Promise<void> {
  const results: InHostTestResult[] = [];
  console.log(`in-host: ${registered.length} tests`);
  for (const t of registered) {
    const started = Date.now();
    try {
      await withTimeout(Promise.resolve().then(t.fn), t.timeoutMs);
      results.push({ name: t.name, ok: true, ms: Date.now() - started });
      console.log(`ok - ${t.name} (${Date.now() - started} ms)`);
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      results.push({ name: t.name, ok: false, ms: Date.now() - started, error: text });
      console.error(`not ok - ${t.name}\n${text}`);
    }
  }
  const out = process.env.RELAY_INHOST_RESULTS;
  if (out) writeFileSync(out, JSON.stringify(results, null, 2));
  const failed = results.filter((r) => !r.ok);
  console.log(`in-host: ${results.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length) throw new Error(`${failed.length} of ${results.length} in-host tests failed: ${failed.map((f) => f.name).join("; ")}`);
}
