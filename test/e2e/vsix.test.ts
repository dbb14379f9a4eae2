/**
 * The VSIX from `npm run package`: the right files inside, and, installed into a fresh
 * code-server (unpacked, as VS Code installs it), it answers a chat question.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { REPO_ROOT, useVSCode, waitUntil } from "./harness.js";
import { startWorld, type World } from "./world.js";

describe("the packaged VSIX", () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-vsix-"));
  const vsix = join(dir, "relay.vsix");
  const unpacked = join(dir, "unpacked");
  let files: string[] = [];
  let world: World;
  const userSettings: Record<string, unknown> = {};
  const extraExtensions: string[] = [];

  before(async () => {
    execFileSync(process.execPath, [join(REPO_ROOT, "scripts/package.mjs"), "--target", "linux-x64", "--out", vsix], { cwd: REPO_ROOT, stdio: "inherit" });
    files = execFileSync("unzip", ["-Z1", vsix], { encoding: "utf8", maxBuffer: 64 << 20 }).trim().split("\n");
    execFileSync("unzip", ["-q", vsix, "extension/*", "-d", unpacked]);
    const manifest = JSON.parse(readFileSync(join(unpacked, "extension", "package.json"), "utf8")) as { publisher: string; name: string; version: string };
    // VS Code unpacks a VSIX's extension/ folder as publisher.name-version.
    execFileSync("mv", [join(unpacked, "extension"), join(unpacked, `${manifest.publisher}.${manifest.name}-${manifest.version}`)]);
    extraExtensions.push(join(unpacked, `${manifest.publisher}.${manifest.name}-${manifest.version}`));
    world = await startWorld();
    Object.assign(userSettings, world.settings);
  });
  after(async () => world?.close());

  const suite = useVSCode({ name: "vsix", installExtension: false, extraExtensions, userSettings, waitFor: "activation" });

  suite.test("carries the bundles, node-llama-cpp and only the linux-x64 CPU binary", async () => {
    const has = (re: RegExp) => files.some((f) => re.test(f));
    assert.ok(has(/^extension\/dist\/extension\.cjs$/));
    assert.ok(has(/^extension\/dist\/webview\/main\.js$/));
    assert.ok(has(/^extension\/node_modules\/node-llama-cpp\/package\.json$/));
    assert.ok(has(/^extension\/node_modules\/@node-llama-cpp\/linux-x64\/bins\/.*llama-addon\.node$/));
    // The converter environment of the relay-trained student: its two scripts and the pinned requirements, nothing else of scripts/ or python/.
    for (const file of ["scripts/pyenv.sh", "scripts/llama-converter.sh", "python/requirements/train.txt", "python/requirements/server.txt"]) assert.ok(files.includes(`extension/${file}`), `${file} is missing`);
    const tooling = files.filter((f) => /^extension\/(scripts|python)\//.test(f) && !/^extension\/scripts\/(pyenv|llama-converter)\.sh$/.test(f) && !/^extension\/python\/requirements\/[\w-]+\.(txt|in)$/.test(f));
    assert.deepEqual(tooling, [], "only the converter environment's scripts and requirements");
    for (const unwanted of [/@node-llama-cpp\/linux-x64-(cuda|vulkan)/, /@node-llama-cpp\/(linux-arm|mac-|win-)/, /gitRelease\.bundle/, /^extension\/(src|test|webview|data|bench)\//, /test\.jsonl$/, /\.map$/, /^extension\/node_modules\/(typescript|esbuild|eslint|@types)\//]) {
      assert.ok(!has(unwanted), `unwanted file in the VSIX: ${files.find((f) => unwanted.test(f))}`);
    }
  });

  suite.test("installed into a fresh code-server, it answers a chat question", async (vs) => {
    // The freshly unpacked extension's commands can reach the palette a moment after activation.
    await vs.runCommand("Relay: Open Chat").catch(async () => {
      await new Promise((r) => setTimeout(r, 3000));
      await vs.runCommand("Relay: Open Chat");
    });
    const frame = await vs.webviewFrame("relay.chat");
    await frame.locator("#question textarea").fill("What is 17 * 23?");
    await frame.locator("#send").click();
    const stats = frame.locator("article.turn").last().locator(".turn-footer .stats");
    await stats.waitFor({ state: "visible", timeout: 90_000 });
    assert.match((await stats.textContent()) ?? "", /24 tokens · 2 teacher calls/);
    await vs.screenshot("vsix-chat.png");
  });

  suite.test("its page in the Extensions view shows the user README and the icon", async (vs) => {
    await vs.runCommand("Extensions: Show Enabled Extensions");
    const row = vs.page.locator(".extensions-viewlet .monaco-list-row", { hasText: "Relay" }).first();
    await row.waitFor({ state: "visible", timeout: 30_000 });
    await row.click();
    const page = vs.page.locator(".extension-editor");
    await page.locator(".header .name", { hasText: "Relay" }).waitFor({ state: "visible", timeout: 30_000 });
    // The icon is media/icon.png from the VSIX, drawn (not the default puzzle piece).
    const icon = page.locator(".header .icon-container img.icon");
    await icon.waitFor({ state: "visible", timeout: 15_000 });
    await waitUntil(() => icon.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth >= 128) || undefined, 15_000, "the icon to load");
    assert.match((await icon.getAttribute("src")) ?? "", /icon\.png/);
    // The README is rendered in a webview: find the frame that holds it.
    const { text: readme, broken } = await waitUntil(async () => {
      for (const frame of vs.page.frames()) {
        const seen = await frame
          .evaluate(() => ({ text: document.body?.innerText ?? "", broken: [...document.images].filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.getAttribute("src") ?? "") }))
          .catch(() => undefined);
        if (seen && /Getting started/.test(seen.text) && /Privacy/.test(seen.text)) return seen;
      }
      return undefined;
    }, 30_000, "the README on the extension's page");
    // VS Code shows only https images there; a VSIX packaged without a place to serve them leaves them out.
    assert.deepEqual(broken, [], "no broken images on the extension's page");
    assert.doesNotMatch(readme, /npm ci|npx relay demo|npm test/, "the developer README is not what users see");
    assert.match(readme, /Choose GGUF File|Download/);
    await vs.screenshot("vsix-extension-page.png");
  });
});
