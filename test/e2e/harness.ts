/**
 * Real-VS-Code end-to-end harness for node:test suites.
 *
 * Starts code-server (VS Code 1.100 as a server + browser workbench, installed by
 * `test/e2e/setup.sh` into a cache folder outside the repository) on a free 127.0.0.1 port with a
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
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------------------------------------
// Locations and versions

/** The repository root (two folders above this file). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Where failure artifacts and on-purpose screenshots go (git-ignored). */
export const RESULTS_DIR = join(REPO_ROOT, "test-results", "e2e");
/** Cache folder filled by test/e2e/setup.sh. */
export const E2E_CACHE = process.env.RELAY_E2E_CACHE || join(homedir(), ".cache", "relay-e2e");
/** Keep in sync with test/e2e/setup.sh. */
export const CODE_SERVER_VERSION = "4.100.3";
export const PLAYWRIGHT_CORE_VERSION = "1.65.1";
export const CODE_SERVER_ENTRY = join(E2E_CACHE, "code-server", "node_modules", "code-server", "out", "node", "entry.js");
export const CHROMIUM_PATH = process.env.RELAY_E2E_CHROMIUM || "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];

const SETUP_HINT = "run `bash test/e2e/setup.sh` first";

// ---------------------------------------------------------------------------------------------
// The part of playwright-core's API the harness uses, typed structurally so that the project
// needn't depend on playwright-core for `npm run typecheck`. With `"playwright-core": "1.65.1"`
// in devDependencies these can become `import type { Page, … } from "playwright-core"`.

export interface PWKeyboard {
  press(key: string, options?: { delay?: number }): Promise<void>;
  type(text: string, options?: { delay?: number }): Promise<void>;
  insertText(text: string): Promise<void>;
}
export interface PWLocator {
  click(options?: { timeout?: number; position?: { x: number; y: number }; force?: boolean }): Promise<void>;
  fill(value: string, options?: { timeout?: number }): Promise<void>;
  press(key: string, options?: { timeout?: number }): Promise<void>;
  waitFor(options?: { state?: "attached" | "detached" | "visible" | "hidden"; timeout?: number }): Promise<void>;
  textContent(options?: { timeout?: number }): Promise<string | null>;
  innerText(options?: { timeout?: number }): Promise<string>;
  inputValue(options?: { timeout?: number }): Promise<string>;
  getAttribute(name: string, options?: { timeout?: number }): Promise<string | null>;
  isVisible(): Promise<boolean>;
  count(): Promise<number>;
  all(): Promise<PWLocator[]>;
  first(): PWLocator;
  last(): PWLocator;
  nth(index: number): PWLocator;
  locator(selector: string, options?: { hasText?: string | RegExp; has?: PWLocator }): PWLocator;
  filter(options: { hasText?: string | RegExp; has?: PWLocator; hasNot?: PWLocator }): PWLocator;
  evaluate<R, A = undefined>(fn: (element: Element, arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  screenshot(options?: { path?: string; timeout?: number }): Promise<Buffer>;
}
export interface PWElementHandle {
  contentFrame(): Promise<PWFrame | null>;
  getAttribute(name: string): Promise<string | null>;
}
export interface PWFrameLocator {
  locator(selector: string, options?: { hasText?: string | RegExp }): PWLocator;
  frameLocator(selector: string): PWFrameLocator;
  owner(): PWLocator;
}
export interface PWFrame {
  name(): string;
  url(): string;
  isDetached(): boolean;
  parentFrame(): PWFrame | null;
  childFrames(): PWFrame[];
  content(): Promise<string>;
  locator(selector: string, options?: { hasText?: string | RegExp; has?: PWLocator }): PWLocator;
  frameLocator(selector: string): PWFrameLocator;
  waitForSelector(selector: string, options?: { state?: "attached" | "detached" | "visible" | "hidden"; timeout?: number }): Promise<PWElementHandle | null>;
  evaluate<R, A = undefined>(fn: string | ((arg: A) => R | Promise<R>), arg?: A): Promise<R>;
  waitForFunction<A = undefined>(fn: string | ((arg: A) => unknown), arg?: A, options?: { timeout?: number; polling?: number | "raf" }): Promise<unknown>;
}
export interface PWConsoleMessage {
  type(): string;
  text(): string;
}
export interface PWPage extends PWFrame {
  keyboard: PWKeyboard;
  mainFrame(): PWFrame;
  frames(): PWFrame[];
  goto(url: string, options?: { timeout?: number; waitUntil?: "load" | "domcontentloaded" | "commit" }): Promise<unknown>;
  screenshot(options?: { path?: string; fullPage?: boolean; timeout?: number }): Promise<Buffer>;
  setDefaultTimeout(ms: number): void;
  waitForTimeout(ms: number): Promise<void>;
  exposeFunction(name: string, fn: (...args: never[]) => unknown): Promise<void>;
  addInitScript(script: string | { content: string }): Promise<void>;
  on(event: "console", listener: (message: PWConsoleMessage) => void): void;
  on(event: "pageerror", listener: (error: Error) => void): void;
  on(event: "crash" | "close", listener: () => void): void;
  close(): Promise<void>;
}
export interface PWBrowser {
  newPage(options?: { viewport?: { width: number; height: number } | null }): Promise<PWPage>;
  close(): Promise<void>;
}
export interface PWChromium {
  launch(options: { executablePath: string; headless?: boolean; args?: string[]; env?: Record<string, string | undefined>; timeout?: number }): Promise<PWBrowser>;
}

let playwright: { chromium: PWChromium } | undefined;
/**
 * playwright-core: the project's own copy if it has one, else the one setup.sh put in the cache
 * (or RELAY_E2E_PLAYWRIGHT, a folder that holds node_modules/playwright-core).
 */
export function loadPlaywright(): { chromium: PWChromium } {
  if (playwright) return playwright;
  const places = [process.env.RELAY_E2E_PLAYWRIGHT, REPO_ROOT, join(E2E_CACHE, "playwright")].filter((p): p is string => !!p);
  for (const place of places) {
    try {
      playwright = createRequire(join(place, "package.json"))("playwright-core") as { chromium: PWChromium };
      return playwright;
    } catch {
      // try the next place
    }
  }
  throw new Error(`playwright-core not found in ${places.join(", ")}: ${SETUP_HINT}`);
}

// ---------------------------------------------------------------------------------------------
// Build and extension installation

let built = false;
/** Runs `node scripts/build.mjs` once per process (always with force, else only when dist/ lacks the extension). */
export function ensureBuilt(options: { force?: boolean } = {}): void {
  if (built && !options.force) return;
  if (!options.force && existsSync(join(REPO_ROOT, extensionMain()))) {
    built = true;
    return;
  }
  const r = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: REPO_ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`node scripts/build.mjs failed (exit ${r.status})`);
  built = true;
}

interface Manifest {
  name: string;
  publisher: string;
  version: string;
  main?: string;
  contributes?: { views?: Record<string, Array<{ id: string; name: string; type?: string }>> };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readManifest(folder: string): Manifest {
  return JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as Manifest;
}

function extensionMain(): string {
  return (readManifest(REPO_ROOT).main ?? "./dist/extension.cjs").replace(/^\.\//, "");
}

/** `publisher.name` of the extension in this repository. */
export function extensionId(folder = REPO_ROOT): string {
  const m = readManifest(folder);
  return `${m.publisher}.${m.name}`;
}

/** Runtime dependency closure of `names`, resolved in `nodeModules` (top-level folders only). */
export function runtimeDependencyTree(names: string[], nodeModules = join(REPO_ROOT, "node_modules")): string[] {
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    const folder = join(nodeModules, name);
    if (!existsSync(join(folder, "package.json"))) continue; // optional or nested elsewhere
    seen.add(name);
    const m = readManifest(folder);
    queue.push(...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {}));
  }
  return [...seen].sort();
}

export interface InstallOptions {
  /** Extra paths, relative to the repo root, copied into the installed extension (e.g. "webview-dist"). */
  extraPaths?: string[];
  /**
   * Packages of the repo's node_modules the installed extension needs at run time:
   * "all" links the whole node_modules folder; a list links those packages and their runtime
   * dependency tree (e.g. ["node-llama-cpp"]). Symlinks by default; `copyNodeModules` copies.
   */
  nodeModules?: "all" | string[];
  copyNodeModules?: boolean;
}

/** Installs the repository's extension into `extensionsDir` as publisher.name-version; returns its folder. */
export function installExtension(extensionsDir: string, options: InstallOptions = {}): string {
  const m = readManifest(REPO_ROOT);
  const target = join(extensionsDir, `${m.publisher}.${m.name}-${m.version}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const main = extensionMain();
  if (!existsSync(join(REPO_ROOT, main))) throw new Error(`${main} is missing: run \`node scripts/build.mjs\` (or call ensureBuilt()) before the e2e tests`);
  const copies = ["package.json", "dist", "media", "README.md", "LICENSE", "LICENSE.md", "CHANGELOG.md", "package.nls.json", ...(options.extraPaths ?? [])];
  for (const rel of copies) {
    const from = join(REPO_ROOT, rel);
    if (!existsSync(from)) {
      if (options.extraPaths?.includes(rel)) throw new Error(`extra path ${rel} does not exist`);
      continue;
    }
    cpSync(from, join(target, rel), { recursive: true });
  }
  const nm = join(REPO_ROOT, "node_modules");
  if (options.nodeModules === "all") {
    if (options.copyNodeModules) cpSync(nm, join(target, "node_modules"), { recursive: true });
    else symlinkSync(nm, join(target, "node_modules"), "dir");
  } else if (options.nodeModules?.length) {
    for (const name of runtimeDependencyTree(options.nodeModules, nm)) {
      const to = join(target, "node_modules", name);
      mkdirSync(dirname(to), { recursive: true });
      if (options.copyNodeModules) cpSync(join(nm, name), to, { recursive: true });
      else symlinkSync(join(nm, name), to, "dir");
    }
  }
  return target;
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: everything started here is stopped on close, exit, SIGINT and SIGTERM.

const live = new Set<VSCode>();
let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", () => {
    for (const vs of live) vs.killNow();
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      for (const vs of live) vs.killNow();
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Pids of processes whose command line holds `arg` (Linux /proc). */
function pidsWithArg(arg: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").includes(arg)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Pids whose process group is `pgid` (Linux /proc). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms);
    timer.unref();
    child.once("exit", () => {
      clearTimeout(timer);
      done(true);
    });
  });
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
/** Resolves `fallback` after ms without keeping the process alive (for races against timeouts). */
const deadline = <T>(ms: number, fallback: T) => new Promise<T>((done) => setTimeout(() => done(fallback), ms).unref());

/** Polls `probe` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitUntil<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
    await sleep(intervalMs);
  }
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 120) || "unnamed";
}

function listFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------------
// Starting VS Code

export interface StartOptions extends InstallOptions {
  /** A label for the temp folder and startup-failure artifacts. */
  name?: string;
  /**
   * false (default): the workspace-trust feature is off (settings + --disable-workspace-trust), so
   * everything runs trusted. true: trust is on and the fresh workspace is NOT trusted, i.e. the
   * window is in Restricted Mode (the startup trust prompt is suppressed).
   */
  workspaceTrust?: boolean;
  /** Extra user settings (User/settings.json), merged over the harness defaults. */
  userSettings?: Record<string, unknown>;
  /** Files to create in the workspace folder: relative path -> content. */
  workspaceFiles?: Record<string, string>;
  /** Workspace settings, written to .vscode/settings.json when given. */
  workspaceSettings?: Record<string, unknown>;
  /** Install the repo's extension (default true). */
  installExtension?: boolean;
  /** Other unpacked extension folders to install (copied as publisher.name-version). */
  extraExtensions?: string[];
  /** Open the workspace folder (default true); false opens an empty window. */
  openFolder?: boolean;
  /** Extra environment for code-server (and so for the extension host). */
  env?: Record<string, string>;
  /** Extra URL query for the workbench page, e.g. { payload: … }; a function gets the chosen port. */
  query?: Record<string, string> | ((server: { port: number; workspaceDir: string }) => Record<string, string>);
  /** Called with the page before the workbench loads (exposeFunction and the like). */
  beforeGoto?: (page: PWPage) => Promise<void>;
  /**
   * What to wait for before returning: the workbench, or (default) the activation of the installed
   * extensions having started (see waitForExtensions).
   */
  waitFor?: "workbench" | "activation";
  /** Extension ids whose activation to wait for (default: the repo's when installed, plus extraExtensions). */
  waitForExtensions?: string[];
  viewport?: { width: number; height: number };
  /** Default timeout of playwright actions (default 15 s). */
  actionTimeoutMs?: number;
  /** Time allowed for code-server + workbench startup (default 90 s). */
  startupTimeoutMs?: number;
  /** Keep the temp folder after close (also RELAY_E2E_KEEP=1). */
  keepTemp?: boolean;
}

/** Settings that keep the workbench quiet and deterministic; userSettings override them. */
export const DEFAULT_USER_SETTINGS: Readonly<Record<string, unknown>> = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.enableExperiments": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "git.enabled": false,
  "git.openRepositoryInParentFolders": "never",
  "editor.acceptSuggestionOnEnter": "off",
  "editor.quickSuggestions": { other: false, comments: false, strings: false },
  "editor.suggestOnTriggerCharacters": false,
  "editor.wordBasedSuggestions": "off",
  "editor.autoClosingBrackets": "never",
  "editor.autoClosingQuotes": "never",
  "files.autoSave": "off",
  "window.restoreWindows": "none",
};

export interface StatusBarItem {
  /** DOM id: `publisher.name.itemId` for extension items (e.g. relay-dev.relay.relay.budget), `status.*` for the workbench's own. */
  id: string;
  /** Visible text; codicons are omitted. */
  text: string;
  /** Text with codicons written back as $(name), as the extension set it. */
  textWithIcons: string;
  /** aria-label (the item's accessibilityInformation.label, else text and tooltip). */
  ariaLabel: string;
  visible: boolean;
}

export interface Notification {
  message: string;
  /** "info" | "warning" | "error" (from the icon). */
  severity: string;
  /** e.g. "Relay" (from the aria-label "…, source: Relay, notification"). */
  source: string;
  ariaLabel: string;
  /** The toast finished fading in. */
  shown: boolean;
}

/** Defines esbuild's __name helper (see start()). */
export const NAME_SHIM = "globalThis.__name = globalThis.__name || function (target) { return target; };";

export type Matcher = string | RegExp;
const matches = (m: Matcher, s: string) => (typeof m === "string" ? s.includes(m) : m.test(s));

export type StatusBarMatcher =
  | string
  | RegExp
  | { id?: string; text?: Matcher; ariaLabel?: Matcher; /** true: this repo's extension; or an extension id */ extension?: true | string }
  | ((item: StatusBarItem) => boolean);
const describeMatcher = (m: StatusBarMatcher) => (typeof m === "function" ? "(predicate)" : m instanceof RegExp || typeof m === "string" ? String(m) : JSON.stringify(m, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v)));

/** Starts code-server + Chromium with a fresh profile and workspace; see StartOptions. */
export async function startVSCode(options: StartOptions = {}): Promise<VSCode> {
  if (!existsSync(CODE_SERVER_ENTRY)) throw new Error(`code-server not found at ${CODE_SERVER_ENTRY}: ${SETUP_HINT}`);
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`chromium not found at ${CHROMIUM_PATH}: ${SETUP_HINT}`);
  const pw = loadPlaywright();
  const vs = new VSCode(options);
  live.add(vs);
  installExitHooks();
  try {
    await vs.start(pw);
    return vs;
  } catch (error) {
    await vs.saveArtifacts(`${sanitize(options.name ?? "vscode")}-startup`, error).catch(() => undefined);
    await vs.close();
    throw error;
  }
}

export class VSCode {
  readonly name: string;
  /** Temp folder holding everything below. */
  readonly root: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly workspaceDir: string;
  /** Installed folder of the repo's extension (undefined when installExtension is false). */
  extensionDir: string | undefined;
  readonly extensionId: string;
  port = 0;
  url = "";
  page!: PWPage;
  browser: PWBrowser | undefined;
  private server: ChildProcess | undefined;
  private browserPid: number | undefined;
  private closing: Promise<void> | undefined;
  private readonly consoleLines: string[] = [];
  private readonly options: StartOptions;

  constructor(options: StartOptions) {
    this.options = options;
    this.name = sanitize(options.name ?? "vscode");
    this.root = mkdtempSync(join(tmpdir(), `relay-e2e-${this.name}-`));
    this.userDataDir = join(this.root, "user-data");
    this.extensionsDir = join(this.root, "extensions");
    this.workspaceDir = join(this.root, "workspace");
    this.extensionId = extensionId();
  }

  /** @internal */
  async start(pw: { chromium: PWChromium }): Promise<void> {
    const o = this.options;
    const trust = o.workspaceTrust ?? false;
    for (const d of [join(this.userDataDir, "User"), this.extensionsDir, this.workspaceDir]) mkdirSync(d, { recursive: true });
    const trustSettings = trust
      ? { "security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never", "security.workspace.trust.emptyWindow": false }
      : { "security.workspace.trust.enabled": false };
    writeFileSync(join(this.userDataDir, "User", "settings.json"), JSON.stringify({ ...DEFAULT_USER_SETTINGS, ...trustSettings, ...o.userSettings }, null, 2));
    for (const [rel, content] of Object.entries(o.workspaceFiles ?? {})) {
      const path = join(this.workspaceDir, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    if (o.workspaceSettings) {
      mkdirSync(join(this.workspaceDir, ".vscode"), { recursive: true });
      writeFileSync(join(this.workspaceDir, ".vscode", "settings.json"), JSON.stringify(o.workspaceSettings, null, 2));
    }
    if (o.installExtension ?? true) this.extensionDir = installExtension(this.extensionsDir, o);
    for (const folder of o.extraExtensions ?? []) {
      const m = readManifest(folder);
      cpSync(folder, join(this.extensionsDir, `${m.publisher}.${m.name}-${m.version}`), { recursive: true });
    }

    const startupTimeout = o.startupTimeoutMs ?? 90_000;
    await this.startServer(trust, startupTimeout);

    const xdg = { XDG_CONFIG_HOME: join(this.root, "xdg-config"), XDG_CACHE_HOME: join(this.root, "xdg-cache") };
    // playwright's Browser does not expose its process; a marker switch (ignored by Chromium)
    // finds it in /proc so that close() can kill its process group if browser.close() hangs.
    const marker = `--relay-e2e-run=${basename(this.root)}`;
    this.browser = await pw.chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, marker], env: { ...process.env, ...xdg }, timeout: 60_000 });
    this.browserPid = pidsWithArg(marker).find((pid) => parentPid(pid) === process.pid) ?? pidsWithArg(marker)[0];
    this.page = await this.browser.newPage({ viewport: o.viewport ?? { width: 1400, height: 900 } });
    this.page.setDefaultTimeout(o.actionTimeoutMs ?? 15_000);
    // tsx compiles test files with esbuild's keepNames, which wraps named functions inside
    // callbacks passed to evaluate() in __name(...); define it in every frame of the page.
    await this.page.addInitScript({ content: NAME_SHIM });
    this.page.on("console", (m) => this.consoleLines.push(`[${new Date().toISOString()}] ${m.type()}: ${m.text()}`));
    this.page.on("pageerror", (e) => this.consoleLines.push(`[${new Date().toISOString()}] pageerror: ${e.stack ?? e.message}`));
    if (o.beforeGoto) await o.beforeGoto(this.page);
    const query = new URLSearchParams();
    if (o.openFolder ?? true) query.set("folder", this.workspaceDir);
    else query.set("ew", "true");
    const extra = typeof o.query === "function" ? o.query({ port: this.port, workspaceDir: this.workspaceDir }) : o.query;
    for (const [k, v] of Object.entries(extra ?? {})) query.set(k, v);
    this.url = `http://127.0.0.1:${this.port}/?${query.toString()}`;
    await this.page.goto(this.url, { timeout: startupTimeout, waitUntil: "domcontentloaded" });
    await this.page.locator(".monaco-workbench .part.statusbar").waitFor({ state: "visible", timeout: startupTimeout });
    if ((o.waitFor ?? "activation") === "activation") for (const id of this.activationIds()) await this.waitForActivation(startupTimeout, id);
  }

  private async startServer(trust: boolean, timeoutMs: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      const configFile = join(this.root, "code-server.yaml");
      writeFileSync(configFile, `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`);
      const args = [
        CODE_SERVER_ENTRY,
        "--config", configFile,
        "--auth", "none",
        "--bind-addr", `127.0.0.1:${this.port}`,
        "--user-data-dir", this.userDataDir,
        "--extensions-dir", this.extensionsDir,
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-getting-started-override",
        "--disable-proxy",
        "--ignore-last-opened",
        ...(trust ? [] : ["--disable-workspace-trust"]),
        ...((this.options.openFolder ?? true) ? [this.workspaceDir] : []),
      ];
      const env: Record<string, string | undefined> = {
        ...process.env,
        XDG_CONFIG_HOME: join(this.root, "xdg-config"),
        XDG_DATA_HOME: join(this.root, "xdg-data"),
        ...this.options.env,
      };
      for (const k of ["PORT", "PASSWORD", "HASHED_PASSWORD", "VSCODE_IPC_HOOK_CLI", "VSCODE_PROXY_URI", "CS_DISABLE_FILE_DOWNLOADS"]) if (!this.options.env?.[k]) delete env[k];
      const out = openSync(join(this.root, "code-server.out.log"), "a");
      const err = openSync(join(this.root, "code-server.err.log"), "a");
      this.server = spawn(process.execPath, args, { cwd: this.root, env, detached: true, stdio: ["ignore", out, err] });
      closeSync(out);
      closeSync(err);
      const server = this.server;
      try {
        await waitUntil(async () => {
          if (exited(server)) throw new Error(`code-server exited (${server.exitCode ?? server.signalCode}): ${this.serverLog().slice(-2000)}`);
          const r = await fetch(`http://127.0.0.1:${this.port}/healthz`).catch(() => undefined);
          return r?.ok;
        }, timeoutMs, `code-server on 127.0.0.1:${this.port}`);
        return;
      } catch (error) {
        const portTaken = /EADDRINUSE/.test(this.serverLog());
        killGroup(server.pid, "SIGKILL");
        await waitExit(server, 5000);
        if (!portTaken || attempt >= 3) throw error;
      }
    }
  }

  /** Extensions whose activation start() waits for: waitForExtensions, else the repo's (when installed) and the extra ones. */
  private activationIds(): string[] {
    if (this.options.waitForExtensions) return this.options.waitForExtensions;
    const extra = (this.options.extraExtensions ?? []).map((folder) => extensionId(folder));
    return [...(this.extensionDir ? [this.extensionId] : []), ...extra];
  }

  /** Waits until the extension host has begun activating the extension, and fails if it says activation failed. */
  async waitForActivation(timeoutMs = 60_000, id = this.extensionId): Promise<void> {
    const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    await waitUntil(() => {
      const log = this.extensionHostLog();
      const failed = new RegExp(`Activating extension '?${escaped}'? failed[^\\n]*`, "i").exec(log);
      if (failed) throw new Error(failed[0]);
      return new RegExp(`_doActivateExtension ${escaped}\\b`, "i").test(log);
    }, timeoutMs, `activation of ${id}`, 250).catch((error: Error) => {
      throw new Error(`${error.message}\n--- extension host log ---\n${this.extensionHostLog().slice(-4000)}`);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Workbench helpers

  /** The quick-input box (command palette, quick open, showInputBox, showQuickPick). */
  get quickInput(): PWLocator {
    return this.page.locator(".quick-input-widget .quick-input-box input");
  }

  /** Quick-pick rows currently shown, by their label. */
  async quickPickLabels(): Promise<string[]> {
    return this.page.evaluate(() => [...document.querySelectorAll(".quick-input-widget .quick-input-list .monaco-list-row .label-name")].map((e) => (e.textContent ?? "").trim()));
  }

  /**
   * Runs a command through the command palette: F1, type the title, pick the row whose label is
   * exactly `title` (e.g. "Relay: Show Status").
   */
  async runCommand(title: string, options: { timeout?: number } = {}): Promise<void> {
    const timeout = options.timeout ?? 15_000;
    const end = Date.now() + timeout;
    const exact = new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`);
    const row = this.page.locator(".quick-input-widget .quick-input-list .monaco-list-row").filter({ has: this.page.locator(".label-name", { hasText: exact }) }).first();
    // The palette lists the commands known when it opens; commands contributed by an extension
    // host that is still starting appear on a later try.
    for (;;) {
      await this.page.keyboard.press("Escape");
      await this.page.keyboard.press("F1");
      await this.quickInput.waitFor({ state: "visible", timeout: Math.max(1000, end - Date.now()) });
      await this.quickInput.fill(`>${title}`);
      try {
        await row.waitFor({ state: "visible", timeout: Math.max(500, Math.min(5000, end - Date.now())) });
        break;
      } catch {
        if (Date.now() < end) continue;
        const shown = await this.quickPickLabels().catch(() => []);
        await this.page.keyboard.press("Escape");
        throw new Error(`command "${title}" not found in the command palette within ${timeout} ms; it showed: ${JSON.stringify(shown)}`);
      }
    }
    await row.click({ timeout: Math.max(1000, end - Date.now()) });
  }

  /** Answers an open quick pick by clicking the row whose label matches. */
  async pickQuickItem(label: Matcher, options: { timeout?: number } = {}): Promise<void> {
    const row = this.page.locator(".quick-input-widget .quick-input-list .monaco-list-row").filter({ has: this.page.locator(".label-name", { hasText: label }) }).first();
    await row.click({ timeout: options.timeout ?? 15_000 });
  }

  /** Types into an open input box (showInputBox) and presses Enter. */
  async answerInputBox(text: string, options: { timeout?: number } = {}): Promise<void> {
    await this.quickInput.waitFor({ state: "visible", timeout: options.timeout ?? 15_000 });
    await this.quickInput.fill(text);
    await this.quickInput.press("Enter");
  }

  /** Opens a workspace file (path relative to the workspace folder) with Quick Open; waits for its editor. */
  async openFile(relPath: string, options: { timeout?: number } = {}): Promise<void> {
    const timeout = options.timeout ?? 20_000;
    const absolute = join(this.workspaceDir, relPath);
    if (!existsSync(absolute)) throw new Error(`no such workspace file: ${relPath}`);
    const file = basename(relPath);
    await this.page.keyboard.press("Escape");
    await this.page.keyboard.press("Control+P");
    await this.quickInput.waitFor({ state: "visible", timeout });
    await this.quickInput.fill(relPath.split(sep).join("/"));
    const exact = new RegExp(`^\\s*${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`);
    const rows = this.page.locator(".quick-input-widget .quick-input-list .monaco-list-row").filter({ has: this.page.locator(".label-name", { hasText: exact }) });
    // The row of this file: its name, and its folder as the description ("" at the root).
    const folder = dirname(relPath) === "." ? "" : dirname(relPath).split(sep).join("/");
    const index = await waitUntil(async () => {
      const descriptions = await this.page.evaluate((name) =>
        [...document.querySelectorAll(".quick-input-widget .quick-input-list .monaco-list-row")]
          .filter((row) => row.querySelector(".label-name")?.textContent?.trim() === name)
          .map((row) => (row.querySelector(".label-description")?.textContent ?? "").trim().replace(/\\/g, "/")), file);
      const i = descriptions.findIndex((d) => d === folder || (folder !== "" && d.endsWith(`/${folder}`)));
      return i >= 0 ? i : undefined;
    }, timeout, `${relPath} in Quick Open`);
    const pick = rows.nth(index);
    await pick.click({ timeout });
    await this.page.locator(`.editor-group-container.active .tab.active .tab-label[aria-label="${absolute.replace(/"/g, '\\"')}"]`).waitFor({ state: "visible", timeout });
    await this.focusEditor();
  }

  /** The active text editor's element. */
  get activeEditor(): PWLocator {
    return this.page.locator(".editor-group-container.active .editor-instance .monaco-editor").first();
  }

  /** Puts the keyboard focus into the active text editor (without moving its cursor). */
  async focusEditor(): Promise<void> {
    await this.activeEditor.waitFor({ state: "visible" });
    const focused = await this.activeEditor.evaluate((editor) => {
      const input = editor.querySelector<HTMLElement>("textarea.inputarea, .native-edit-context");
      input?.focus();
      return !!input && editor.contains(document.activeElement);
    });
    if (!focused) await this.activeEditor.locator(".view-lines").click();
  }

  /**
   * Types into the active editor with real key presses (so auto-indent and completions react as
   * for a user; the harness turns suggest-on-type and auto-closing off by default). `raw: true`
   * inserts the text in one go instead. `atEnd: true` moves the cursor to the end first.
   */
  async typeInEditor(text: string, options: { raw?: boolean; atEnd?: boolean; delay?: number } = {}): Promise<void> {
    await this.focusEditor();
    if (options.atEnd) await this.page.keyboard.press("Control+End");
    if (options.raw) await this.page.keyboard.insertText(text);
    else await this.page.keyboard.type(text, { delay: options.delay ?? 5 });
  }

  /** The text of the active editor's rendered lines (only what is on screen; nbsp made spaces). */
  async editorText(): Promise<string> {
    const text = await this.activeEditor.locator(".view-lines").innerText();
    return text.replace(/\u00a0/g, " ");
  }

  /** Waits until the active editor's rendered text matches; returns it. */
  async waitForEditorText(text: Matcher, options: { timeout?: number } = {}): Promise<string> {
    let last = "";
    return waitUntil(async () => {
      last = await this.editorText();
      return matches(text, last) ? last : undefined;
    }, options.timeout ?? 10_000, `editor text ${String(text)}`).catch((error: Error) => {
      throw new Error(`${error.message}; editor shows: ${JSON.stringify(last)}`);
    });
  }

  /** Status bar entries (left and right), in DOM order. */
  async statusBarItems(): Promise<StatusBarItem[]> {
    return this.page.locator(".part.statusbar").evaluate((bar) =>
      [...bar.querySelectorAll<HTMLElement>(".statusbar-item")].map((item) => {
        const label = item.querySelector<HTMLElement>(".statusbar-item-label") ?? item;
        let withIcons = "";
        const walk = (node: Node) => {
          for (const child of node.childNodes) {
            if (child.nodeType === Node.TEXT_NODE) withIcons += child.textContent ?? "";
            else if (child instanceof HTMLElement) {
              const icon = [...child.classList].find((c) => c.startsWith("codicon-") && c !== "codicon-modifier-spin");
              if (child.classList.contains("codicon") && icon) withIcons += `$(${icon.slice("codicon-".length)}${child.classList.contains("codicon-modifier-spin") ? "~spin" : ""})`;
              else walk(child);
            }
          }
        };
        walk(label);
        return {
          id: item.id,
          text: (label.textContent ?? "").replace(/\s+/g, " ").trim(),
          textWithIcons: withIcons.replace(/\s+/g, " ").trim(),
          ariaLabel: item.getAttribute("aria-label") ?? label.getAttribute("aria-label") ?? "",
          visible: item.offsetParent !== null && getComputedStyle(item).display !== "none",
        };
      }),
    );
  }

  /**
   * Finds a visible status bar item. `match` is
   *  - a string: an item id, either the full DOM id or the extension's own id ("relay.budget",
   *    prefixed with publisher.name automatically);
   *  - a RegExp: tested against the visible text (with and without $(icon) markers);
   *  - an object: every given field must match (strings: substring; id: exact as above);
   *  - a predicate on StatusBarItem.
   * Waits up to `timeout` (default 30 s).
   */
  async statusBarItem(match: StatusBarMatcher, options: { timeout?: number } = {}): Promise<StatusBarItem> {
    const test = this.statusBarPredicate(match);
    return waitUntil(async () => (await this.statusBarItems()).find((i) => i.visible && test(i)), options.timeout ?? 30_000, `status bar item ${describeMatcher(match)}`).catch(async (error: Error) => {
      const items = await this.statusBarItems().catch(() => []);
      throw new Error(`${error.message}; status bar has: ${JSON.stringify(items.map((i) => ({ id: i.id, text: i.textWithIcons, ariaLabel: i.ariaLabel })))}`);
    });
  }

  private statusBarPredicate(match: StatusBarMatcher): (item: StatusBarItem) => boolean {
    const idMatches = (id: string, want: string) => id === want || id === `${this.extensionId}.${want}`;
    if (typeof match === "function") return match;
    if (typeof match === "string") return (i) => idMatches(i.id, match);
    if (match instanceof RegExp) return (i) => match.test(i.text) || match.test(i.textWithIcons);
    return (i) =>
      (match.id === undefined || idMatches(i.id, match.id)) &&
      (match.text === undefined || matches(match.text, i.text) || matches(match.text, i.textWithIcons)) &&
      (match.ariaLabel === undefined || matches(match.ariaLabel, i.ariaLabel)) &&
      (match.extension === undefined || i.id.startsWith(`${match.extension === true ? this.extensionId : match.extension}.`));
  }

  /** Text of a status bar item (see statusBarItem); `withIcons: true` keeps $(icon) markers. */
  async statusBarText(match: StatusBarMatcher, options: { timeout?: number; withIcons?: boolean } = {}): Promise<string> {
    const item = await this.statusBarItem(match, options);
    return options.withIcons ? item.textWithIcons : item.text;
  }

  /** Waits until the status bar item `match` shows text (with $(icon) markers) or an aria-label matching `text`. */
  async waitForStatusBarText(match: StatusBarMatcher, text: Matcher, options: { timeout?: number } = {}): Promise<StatusBarItem> {
    const test = this.statusBarPredicate(match);
    let last: StatusBarItem[] = [];
    return waitUntil(async () => {
      last = (await this.statusBarItems()).filter((i) => i.visible && test(i));
      return last.find((i) => matches(text, i.textWithIcons) || matches(text, i.ariaLabel));
    }, options.timeout ?? 30_000, `status bar item ${describeMatcher(match)} to show ${String(text)}`).catch((error: Error) => {
      throw new Error(`${error.message}; matching items: ${JSON.stringify(last)}`);
    });
  }

  /** Notification toasts now on screen, newest first. */
  async notifications(): Promise<Notification[]> {
    return this.page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>(".notifications-toasts .notification-toast-container .monaco-list-row")].map((row) => {
        const aria = row.getAttribute("aria-label") ?? "";
        const icon = row.querySelector(".notification-list-item-icon");
        const severity = icon?.classList.contains("codicon-error") ? "error" : icon?.classList.contains("codicon-warning") ? "warning" : "info";
        return {
          message: (row.querySelector(".notification-list-item-message")?.textContent ?? "").trim(),
          severity,
          source: /, source: (.*?), notification/.exec(aria)?.[1] ?? "",
          ariaLabel: aria,
          shown: !!row.closest(".notification-toast.notification-fade-in-done"),
        };
      }),
    );
  }

  /** Waits for a notification toast whose message matches (and for it to have faded in). */
  async waitForNotification(message: Matcher, options: { timeout?: number } = {}): Promise<Notification> {
    let seen: Notification[] = [];
    return waitUntil(async () => {
      seen = await this.notifications();
      return seen.find((n) => n.shown && matches(message, n.message));
    }, options.timeout ?? 15_000, `a notification matching ${String(message)}`).catch((error: Error) => {
      throw new Error(`${error.message}; toasts: ${JSON.stringify(seen.map((n) => n.message))}`);
    });
  }

  /** Clears all notifications (command "Notifications: Clear All Notifications"). */
  async clearNotifications(): Promise<void> {
    await this.runCommand("Notifications: Clear All Notifications");
  }

  /**
   * The outer <iframe> element of a webview view. `view` is a view id from a contributes.views
   * entry of an installed extension (e.g. "relay.chat"), or a title: the view's name ("Chat") or
   * the side bar title ("Relay: Chat"). The view must be open (e.g. after runCommand("Relay: Open Chat")).
   */
  async webviewIframe(view: string, options: { timeout?: number } = {}): Promise<PWLocator> {
    const contributed = this.viewContributions().find((v) => v.id === view);
    const query = contributed ? { container: contributed.container, name: contributed.name, title: "" } : { container: "", name: view, title: view };
    const name = await waitUntil(() =>
      this.page.evaluate((q) => {
        const visible = (e: Element) => {
          const r = e.getBoundingClientRect();
          return r.width > 0 && r.height > 0;
        };
        const bodies: Element[] = [];
        for (const composite of document.querySelectorAll(".composite.viewlet, .composite.panel, .pane-composite-part .composite")) {
          if (q.container && composite.id !== `workbench.view.extension.${q.container}` && composite.id !== `workbench.view.${q.container}`) continue;
          const titleOfPart = composite.closest(".part")?.querySelector(".composite.title .title-label h2")?.textContent?.trim() ?? "";
          const panes = [...composite.querySelectorAll(".pane")];
          for (const pane of panes) {
            const name = pane.querySelector(".pane-header .title")?.textContent?.trim() ?? "";
            const single = panes.length === 1;
            if (name.toLowerCase() === q.name.toLowerCase() || (q.title && single && titleOfPart.toLowerCase() === q.title.toLowerCase())) {
              const body = pane.querySelector(".pane-body");
              if (body && visible(body)) bodies.push(body);
            }
          }
        }
        let best: { name: string; overlap: number } | undefined;
        for (const body of bodies) {
          const b = body.getBoundingClientRect();
          for (const iframe of document.querySelectorAll<HTMLIFrameElement>("iframe.webview")) {
            const holder = iframe.parentElement;
            if (!holder || holder.style.visibility === "hidden" || !visible(iframe)) continue;
            const r = iframe.getBoundingClientRect();
            const overlap = Math.max(0, Math.min(r.right, b.right) - Math.max(r.left, b.left)) * Math.max(0, Math.min(r.bottom, b.bottom) - Math.max(r.top, b.top));
            if (overlap > 0 && (!best || overlap > best.overlap)) best = { name: iframe.name, overlap };
          }
        }
        return best?.name;
      }, query),
      options.timeout ?? 20_000,
      `webview view ${view}`,
    );
    return this.page.locator(`iframe.webview[name="${name}"]`);
  }

  /**
   * The webview's content frame (the nested `#active-frame` inside VS Code's webview host
   * iframe) as a playwright Frame. A webview that re-renders its HTML gets a new inner frame;
   * call again then, or use webviewLocator(), which re-resolves by itself.
   */
  async webviewFrame(view: string, options: { timeout?: number } = {}): Promise<PWFrame> {
    const timeout = options.timeout ?? 20_000;
    const iframe = await this.webviewIframe(view, { timeout });
    const name = await iframe.getAttribute("name");
    const host = await this.page.waitForSelector(`iframe.webview[name="${name}"]`, { state: "attached", timeout });
    const hostFrame = await host?.contentFrame();
    if (!hostFrame) throw new Error(`webview ${view}: no host frame`);
    const active = await hostFrame.waitForSelector("iframe#active-frame", { state: "attached", timeout });
    const content = await active?.contentFrame();
    if (!content) throw new Error(`webview ${view}: no active frame`);
    await content.waitForFunction(() => document.readyState !== "loading" && !!document.body, undefined, { timeout });
    return content;
  }

  /** A FrameLocator for the webview's content (re-resolves if the webview re-renders). */
  async webviewLocator(view: string, options: { timeout?: number } = {}): Promise<PWFrameLocator> {
    const iframe = await this.webviewIframe(view, options);
    const name = await iframe.getAttribute("name");
    return this.page.frameLocator(`iframe.webview[name="${name}"]`).frameLocator("iframe#active-frame");
  }

  /** Views contributed by the installed extensions: id, name and container. */
  viewContributions(): Array<{ id: string; name: string; container: string; extension: string }> {
    const out: Array<{ id: string; name: string; container: string; extension: string }> = [];
    if (!existsSync(this.extensionsDir)) return out;
    for (const entry of readdirSync(this.extensionsDir)) {
      const manifest = join(this.extensionsDir, entry, "package.json");
      if (!existsSync(manifest)) continue;
      const m = JSON.parse(readFileSync(manifest, "utf8")) as Manifest;
      for (const [container, views] of Object.entries(m.contributes?.views ?? {})) for (const v of views) out.push({ id: v.id, name: v.name, container, extension: `${m.publisher}.${m.name}` });
    }
    return out;
  }

  /** Saves a screenshot under test-results/e2e/ (name may contain folders; .png is added). */
  async screenshot(name: string): Promise<string> {
    const path = join(RESULTS_DIR, name.endsWith(".png") ? name : `${name}.png`);
    mkdirSync(dirname(path), { recursive: true });
    await this.page.screenshot({ path, timeout: 15_000 });
    return path;
  }

  // -------------------------------------------------------------------------------------------
  // Logs

  /** The newest session folder under USER_DATA_DIR/logs. */
  logsDir(): string | undefined {
    const logs = join(this.userDataDir, "logs");
    if (!existsSync(logs)) return undefined;
    const sessions = readdirSync(logs).filter((d) => statSync(join(logs, d)).isDirectory()).sort();
    return sessions.length ? join(logs, sessions[sessions.length - 1]!) : undefined;
  }

  /** Files of the extension host logs (logs/<session>/exthost<N>/**), extension output channels included. */
  extensionHostLogFiles(): string[] {
    const session = this.logsDir();
    if (!session) return [];
    return readdirSync(session)
      .filter((d) => d.startsWith("exthost"))
      .flatMap((d) => listFiles(join(session, d)));
  }

  /** All extension host log files concatenated, each under a "==> path <==" header. */
  extensionHostLog(): string {
    const session = this.logsDir() ?? "";
    return this.extensionHostLogFiles()
      .map((f) => `==> ${relative(session, f)} <==\n${readFileSync(f, "utf8")}`)
      .join("\n");
  }

  /** An output channel's log ("Relay" -> exthost*\/<extension id>/Relay.log, or output_logging_*\/N-Relay.log). */
  outputChannelLog(channel: string): string {
    const files = this.extensionHostLogFiles().filter((f) => basename(f) === `${channel}.log` || new RegExp(`^\\d+-${channel.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.log$`).test(basename(f)));
    return files.map((f) => readFileSync(f, "utf8")).join("\n");
  }

  /** Waits until the extension host logs match `pattern`; returns the match. */
  async waitForLog(pattern: RegExp, options: { timeout?: number; channel?: string } = {}): Promise<RegExpExecArray> {
    return waitUntil(() => pattern.exec(options.channel ? this.outputChannelLog(options.channel) : this.extensionHostLog()) ?? undefined, options.timeout ?? 30_000, `log ${pattern}`, 250);
  }

  /** code-server's own stdout + stderr. */
  serverLog(): string {
    return ["code-server.out.log", "code-server.err.log"]
      .map((f) => join(this.root, f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
  }

  /** Browser console messages seen so far. */
  browserConsole(): string[] {
    return [...this.consoleLines];
  }

  // -------------------------------------------------------------------------------------------
  // Failures and shutdown

  /**
   * Saves what helps to debug a failure under test-results/e2e/<dirName>/: screenshot.png,
   * dom.html, browser-console.log, error.txt, code-server.log and a copy of USER_DATA_DIR/logs.
   */
  async saveArtifacts(dirName: string, error?: unknown): Promise<string> {
    const dir = join(RESULTS_DIR, sanitize(dirName));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    if (error !== undefined) writeFileSync(join(dir, "error.txt"), error instanceof Error ? `${error.stack ?? error.message}\n` : `${String(error)}\n`);
    if (this.page) {
      await this.page.screenshot({ path: join(dir, "screenshot.png"), timeout: 10_000 }).catch((e: Error) => writeFileSync(join(dir, "screenshot-failed.txt"), e.message));
      await this.page.content().then((html) => writeFileSync(join(dir, "dom.html"), html)).catch(() => undefined);
    }
    writeFileSync(join(dir, "browser-console.log"), this.consoleLines.join("\n"));
    writeFileSync(join(dir, "code-server.log"), this.serverLog());
    writeFileSync(join(dir, "extension-host.log"), this.extensionHostLog());
    const logs = join(this.userDataDir, "logs");
    if (existsSync(logs)) cpSync(logs, join(dir, "logs"), { recursive: true });
    return dir;
  }

  /**
   * Wraps a node:test test function: on failure saves artifacts under
   * test-results/e2e/<test name>/ and rethrows.  test("x", vs.wrap(async (t) => { … }))
   */
  wrap<T extends { name: string }>(fn: (t: T) => Promise<void>): (t: T) => Promise<void> {
    return async (t: T) => {
      try {
        await fn(t);
      } catch (error) {
        const dir = await this.saveArtifacts(t.name, error).catch(() => undefined);
        if (dir && error instanceof Error) error.message += `\n(e2e artifacts: ${relative(REPO_ROOT, dir)})`;
        throw error;
      }
    };
  }

  /** Stops Chromium and code-server (its process group) and removes the temp folder. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (this.browser) {
      const closed = await Promise.race([this.browser.close().then(() => true, () => false), deadline(10_000, false)]);
      if (!closed) killGroup(this.browserPid, "SIGKILL");
    }
    const server = this.server;
    if (server && !exited(server)) {
      killGroup(server.pid, "SIGTERM");
      if (!(await waitExit(server, 8000))) {
        killGroup(server.pid, "SIGKILL");
        await waitExit(server, 5000);
      }
    }
    // the extension host and other children share code-server's process group
    if (server?.pid && groupMembers(server.pid).length) killGroup(server.pid, "SIGKILL");
    live.delete(this);
    if (!(this.options.keepTemp || process.env.RELAY_E2E_KEEP === "1")) rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }

  /** @internal synchronous last-resort kill (process exit / signal). */
  killNow(): void {
    killGroup(this.browserPid, "SIGKILL");
    killGroup(this.server?.pid, "SIGKILL");
  }
}

// ---------------------------------------------------------------------------------------------
// node:test glue

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

// ---------------------------------------------------------------------------------------------
// In-host tests (like @vscode/test-electron, but in code-server)

export interface InHostResult {
  /** The exit code VS Code reported: 0 when run() resolved, 1 when it threw. */
  code: number;
  /** The extension host's console and log lines forwarded by the workbench (codeAutomationLog). */
  output: string[];
  /** Log files the workbench passed to codeAutomationExit. */
  logs: Array<{ relativePath: string; contents: string }>;
}

/**
 * Runs an in-host test module in code-server's extension host, as @vscode/test-electron does
 * with Electron: the workbench is opened with the `payload` URL parameter carrying
 * extensionDevelopmentPath (this repository, loaded in place) and extensionTestsPath (a
 * CommonJS module exporting `run(): Promise<void>`), both as vscode-remote:// URIs; VS Code calls
 * run() once the extension host is up and reports the result through window.codeAutomationExit.
 * code-server's own CLI rejects --extensionDevelopmentPath/--extensionTestsPath; the URL route is
 * the one VS Code's own browser integration tests use.
 */
export async function runInHostTests(options: {
  /** Absolute path of the CommonJS test module (exports run()). */
  testsPath: string;
  /** Default: the repository root. */
  extensionDevelopmentPath?: string;
  timeoutMs?: number;
  onOutput?: (line: string) => void;
} & Omit<StartOptions, "installExtension" | "query" | "beforeGoto" | "waitFor">): Promise<InHostResult> {
  const output: string[] = [];
  let finish: (r: { code: number; logs: InHostResult["logs"] }) => void = () => undefined;
  const finished = new Promise<{ code: number; logs: InHostResult["logs"] }>((done) => (finish = done));
  const note = (line: string) => {
    output.push(line);
    options.onOutput?.(line);
  };
  const vs = await startVSCode({
    ...options,
    name: options.name ?? "inhost",
    installExtension: false,
    waitFor: "workbench",
    query: ({ port }) => {
      const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${resolve(p).split(sep).join("/")}`;
      const payload = [
        ["extensionDevelopmentPath", remote(options.extensionDevelopmentPath ?? REPO_ROOT)],
        ["extensionTestsPath", remote(options.testsPath)],
        ["skipWelcome", "true"],
      ];
      return { payload: JSON.stringify(payload) };
    },
    beforeGoto: async (page) => {
      await page.exposeFunction("codeAutomationLog", (type: string, args: unknown[]) => note(`[${type}] ${args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")}`));
      await page.exposeFunction("codeAutomationExit", (code: number, logs: InHostResult["logs"]) => finish({ code, logs: logs ?? [] }));
    },
  });
  try {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const result = await Promise.race([finished, deadline(timeoutMs, undefined)]);
    if (!result) {
      await vs.saveArtifacts(`${vs.name}-timeout`, new Error("in-host tests timed out")).catch(() => undefined);
      throw new Error(`in-host tests did not finish within ${timeoutMs} ms\n${output.slice(-40).join("\n")}`);
    }
    if (result.code !== 0) await vs.saveArtifacts(`${vs.name}-failed`, new Error(`in-host tests exited with ${result.code}`)).catch(() => undefined);
    return { code: result.code, output, logs: result.logs };
  } finally {
    await vs.close();
  }
}
