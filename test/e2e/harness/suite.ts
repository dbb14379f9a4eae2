/** node:test glue: one VS Code per suite, started in before() and stopped in after(). */
import { after, before, test, type TestContext } from "node:test";
import { startVSCode, type StartOptions, type VSCode } from "./vscode.js";

export interface VSCodeSuite {
  /** The running VS Code (throws before the suite's before() hook has run). */
  readonly vs: VSCode;
  /** node:test `test` whose failure saves artifacts under test-results/e2e/<test name>/. */
  test(name: string, fn: (vs: VSCode, t: TestContext) => Promise<void>, options?: { timeout?: number; skip?: boolean | string; only?: boolean }): void;
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
      void test(name, { timeout: 120_000, ...testOptions }, async (t) => {
        const vs = suite.vs;
        await vs.wrap((tc: TestContext) => fn(vs, tc))(t);
      });
    },
  };
  return suite;
}

