/** node:test glue: one VS Code per suite, started in before() and stopped in after(). */
import { after, before, test, type TestContext } from "node:test";
import { startVSCode, type StartOptions, type VSCode } from "./vscode.js";

export interface VSCodeSuite {
  /** The running VS Code (throws before the suite's before() hook has run). */
  readonly vs: VSCode;
  /** node:test `test` whose failure saves artifacts under test-results/e2e/<test name>/. */
  test(name: string, fn: (vs: VSCode, t: TestContext) => Promise<void>, options?: { timeout?: number; skip?: boolean | string; only?: boolean }): void;
}

/** Time left for saving artifacts (screenshot, DOM, logs) when a test runs out of time. */
const ARTIFACT_MARGIN_MS = 15_000;

function withinTime(running: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`the test ran past ${Math.round(ms / 1000)} s (its limit less the time kept for saving artifacts)`)), ms);
  });
  return Promise.race([running, limit]).finally(() => clearTimeout(timer));
}

/**
 * Registers before()/after() hooks in the current node:test suite (or file) that start one VS Code
 * for all its tests and stop it afterwards, whatever happened.
 */
export function useVSCode(options: StartOptions = {}): VSCodeSuite {
  let current: VSCode | undefined;
  before(async () => {
    current = await startVSCode(options);
  });
  after(async () => {
    await current?.close();
  });
  const suite: VSCodeSuite = {
    get vs(): VSCode {
      if (!current) throw new Error("VS Code is not running (did its before() hook fail?)");
      return current;
    },
    test(name, fn, testOptions = {}) {
      const timeout = testOptions.timeout ?? 120_000;
      void test(name, { ...testOptions, timeout }, async (t) => {
        const vs = suite.vs;
        // Ends the test before node:test cancels it: a cancelled test saves no artifacts and
        // says only "timed out", not what the extension was doing.
        await vs.wrap((tc: TestContext) => withinTime(fn(vs, tc), timeout - ARTIFACT_MARGIN_MS))(t);
      });
    },
  };
  return suite;
}

