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
import { REPO_ROOT, useVSCode } from "./harness.js";
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
    for (const unwanted of [/@node-llama-cpp\/linux-x64-(cuda|vulkan)/, /@node-llama-cpp\/(linux-arm|mac-|win-)/, /gitRelease\.bundle/, /^extension\/(src|test|webview|scripts|data|python|bench)\//, /test\.jsonl$/, /\.map$/, /^extension\/node_modules\/(typescript|esbuild|eslint|@types)\//]) {
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
});
