/**
 * Artefacts: what a test saves under test-results/e2e/ on purpose (screenshots) and on failure
 * (screenshot, DOM, browser console, the logs).
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { RESULTS_DIR } from "./paths.js";
import type { PWPage } from "./browser.js";

/** A file-system-safe folder name for a test or run name. */
export function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 120) || "unnamed";
}

/** Saves a screenshot of `page` under test-results/e2e/ (name may contain folders; .png is added). */
export async function saveScreenshot(page: PWPage, name: string): Promise<string> {
  const path = join(RESULTS_DIR, name.endsWith(".png") ? name : `${name}.png`);
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, timeout: 15_000 });
  return path;
}

/** What a failure report is made of. */
export interface ArtifactSources {
  page?: PWPage;
  consoleLines: readonly string[];
  serverLog(): string;
  extensionHostLog(): string;
  /** USER_DATA_DIR: its logs/ folder is copied whole. */
  userDataDir: string;
}

/**
 * Saves what helps to debug a failure under test-results/e2e/<dirName>/: screenshot.png,
 * dom.html, browser-console.log, error.txt, code-server.log, extension-host.log and a copy of
 * USER_DATA_DIR/logs.
 */
export async function saveArtifacts(sources: ArtifactSources, dirName: string, error?: unknown): Promise<string> {
  const dir = join(RESULTS_DIR, sanitize(dirName));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (error !== undefined) writeFileSync(join(dir, "error.txt"), error instanceof Error ? `${error.stack ?? error.message}\n` : `${String(error)}\n`);
  if (sources.page) {
    await sources.page.screenshot({ path: join(dir, "screenshot.png"), timeout: 10_000 }).catch((e: Error) => writeFileSync(join(dir, "screenshot-failed.txt"), e.message));
    await sources.page.content().then((html) => writeFileSync(join(dir, "dom.html"), html)).catch(() => undefined);
  }
  writeFileSync(join(dir, "browser-console.log"), sources.consoleLines.join("\n"));
  writeFileSync(join(dir, "code-server.log"), sources.serverLog());
  writeFileSync(join(dir, "extension-host.log"), sources.extensionHostLog());
  const logs = join(sources.userDataDir, "logs");
  if (existsSync(logs)) cpSync(logs, join(dir, "logs"), { recursive: true });
  return dir;
}
