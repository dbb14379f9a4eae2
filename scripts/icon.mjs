// Renders media/icon.svg to media/icon.png (128×128, the Marketplace size) in headless Chromium
// through playwright-core from the e2e cache (bash test/e2e/setup.sh installs both). The PNG is
// committed, so packaging needs neither; run this after changing the SVG.
//   node scripts/icon.mjs
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const cache = process.env.RELAY_E2E_CACHE ?? join(homedir(), ".cache", "relay-e2e");
const playwrightDir = process.env.RELAY_E2E_PLAYWRIGHT ?? join(cache, "playwright");
const require = createRequire(join(playwrightDir, "package.json"));
let chromium;
try {
  ({ chromium } = require("playwright-core"));
} catch {
  throw new Error(`playwright-core not found under ${playwrightDir}: run bash test/e2e/setup.sh first`);
}
const svg = readFileSync(join(root, "media", "icon.svg"), "utf8");
const browser = await chromium.launch({ executablePath: process.env.RELAY_E2E_CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator("svg").screenshot({ path: join(root, "media", "icon.png"), omitBackground: true });
  console.log("wrote media/icon.png");
} finally {
  await browser.close();
}
