/**
 * Real-VS-Code end-to-end harness for node:test suites (the one import for e2e tests).
 *
 * Starts code-server (VS Code 1.100, or the current 1.139 with `RELAY_E2E_VSCODE=current` or the
 * `vscode` option, as a server + browser workbench, installed by `test/e2e/setup.sh` into a cache
 * folder outside the repository) on a free 127.0.0.1 port with a
 * throw-away user-data dir, extensions dir and workspace, installs the built extension into it as
 * `publisher.name-version`, and drives the workbench in Debian's headless Chromium through
 * playwright-core (also from the cache folder, loaded by absolute path so package.json needn't
 * list it). Builds nothing: run `node scripts/build.mjs` (or `npm run build`) first, or call
 * `ensureBuilt()`.
 *
 *   const vs = await startVSCode({ name: "activation" });
 *   after(() => vs.close());
 *   test("…", vs.wrap(async () => { await vs.runCommand("Relay: Show Status"); … }));
 *
 * `wrap` saves a screenshot, the page's DOM, the browser console and all logs (extension host,
 * output channels, code-server) under test-results/e2e/<test name>/ when the test fails.
 * `close()` stops Chromium and code-server (its whole process group) and is idempotent; a process
 * exit or SIGINT/SIGTERM also stops whatever is still running.
 *
 * The parts live under harness/, by what they drive:
 *   paths.ts      where things are (repository, cache, results) and the tool versions
 *   server.ts     code-server: start, stop, its logs, extension activation
 *   browser.ts    Chromium through playwright-core (structural types, launch, console capture)
 *   extension.ts  building the extension and installing it into an extensions folder
 *   workbench.ts  workbench actions: command palette, quick picks, editors, status bar,
 *                 notifications, webview views
 *   artifacts.ts  screenshots and failure reports under test-results/e2e/
 *   vscode.ts     one window: StartOptions, startVSCode, the VSCode class tying the above together
 *   suite.ts      node:test glue (useVSCode); inHost.ts: in-host test runs
 *   processes.ts, waiting.ts  process groups, free ports, polling
 */
export * from "./harness/paths.js";
export * from "./harness/waiting.js";
export { freePort } from "./harness/processes.js";
export * from "./harness/browser.js";
export * from "./harness/extension.js";
export * from "./harness/server.js";
export * from "./harness/artifacts.js";
export * from "./harness/workbench.js";
export * from "./harness/vscode.js";
export * from "./harness/suite.js";
export * from "./harness/inHost.js";
