/**
 * The browser side: the part of playwright-core's API the harness uses, loading playwright-core
 * from the e2e cache, and launching Debian's headless Chromium on a page of its own.
 */
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { CHROMIUM_ARGS, CHROMIUM_PATH, E2E_CACHE, REPO_ROOT, SETUP_HINT } from "./paths.js";
import { killGroup, parentPid, pidsWithArg } from "./processes.js";
import { deadline } from "./waiting.js";

// Typed structurally so that the project needn't depend on playwright-core for `npm run
// typecheck`. With `"playwright-core": "1.65.1"` in devDependencies these can become
// `import type { Page, … } from "playwright-core"`.

export interface PWKeyboard {
  press(key: string, options?: { delay?: number }): Promise<void>;
  type(text: string, options?: { delay?: number }): Promise<void>;
  insertText(text: string): Promise<void>;
}
export interface PWLocator {
  click(options?: { timeout?: number; position?: { x: number; y: number }; force?: boolean; button?: "left" | "right" | "middle" }): Promise<void>;
  hover(options?: { timeout?: number }): Promise<void>;
  fill(value: string, options?: { timeout?: number }): Promise<void>;
  press(key: string, options?: { timeout?: number }): Promise<void>;
  waitFor(options?: { state?: "attached" | "detached" | "visible" | "hidden"; timeout?: number }): Promise<void>;
  textContent(options?: { timeout?: number }): Promise<string | null>;
  innerText(options?: { timeout?: number }): Promise<string>;
  innerHTML(options?: { timeout?: number }): Promise<string>;
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


/** Defines esbuild's __name helper (see launchBrowser()). */
export const NAME_SHIM = "globalThis.__name = globalThis.__name || function (target) { return target; };";

/** A launched Chromium with one page, whose console is recorded. */
export interface BrowserSession {
  browser: PWBrowser;
  page: PWPage;
  /** Browser console messages and page errors, time-stamped. */
  consoleLines: string[];
  /** Closes the browser; kills its process group when close() hangs. */
  close(): Promise<void>;
  /** Synchronous last-resort kill (process exit / signal). */
  killNow(): void;
}

/**
 * Launches Chromium with XDG folders under `root` and opens one page. `marker` tags the browser's
 * command line: playwright's Browser does not expose its process, and the marker (a switch
 * Chromium ignores) finds it in /proc so that close() can kill its process group if
 * browser.close() hangs.
 */
export async function launchBrowser(options: { root: string; viewport?: { width: number; height: number }; actionTimeoutMs?: number }): Promise<BrowserSession> {
  const pw = loadPlaywright();
  const xdg = { XDG_CONFIG_HOME: join(options.root, "xdg-config"), XDG_CACHE_HOME: join(options.root, "xdg-cache") };
  const marker = `--relay-e2e-run=${basename(options.root)}`;
  const browser = await pw.chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, marker], env: { ...process.env, ...xdg }, timeout: 60_000 });
  const pid = pidsWithArg(marker).find((p) => parentPid(p) === process.pid) ?? pidsWithArg(marker)[0];
  const consoleLines: string[] = [];
  const session: BrowserSession = {
    browser,
    page: undefined as unknown as PWPage,
    consoleLines,
    async close() {
      const closed = await Promise.race([browser.close().then(() => true, () => false), deadline(10_000, false)]);
      if (!closed) killGroup(pid, "SIGKILL");
    },
    killNow() {
      killGroup(pid, "SIGKILL");
    },
  };
  try {
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    page.setDefaultTimeout(options.actionTimeoutMs ?? 15_000);
    // tsx compiles test files with esbuild's keepNames, which wraps named functions inside
    // callbacks passed to evaluate() in __name(...); define it in every frame of the page.
    await page.addInitScript({ content: NAME_SHIM });
    page.on("console", (m) => consoleLines.push(`[${new Date().toISOString()}] ${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => consoleLines.push(`[${new Date().toISOString()}] pageerror: ${e.stack ?? e.message}`));
    session.page = page;
    return session;
  } catch (error) {
    await session.close();
    throw error;
  }
}
