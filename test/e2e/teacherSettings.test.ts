/**
 * Teacher settings in a real VS Code: the API key goes through SecretStorage into the requests'
 * Authorization header, and the status bar's quick pick pauses and resumes the teacher.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { useVSCode, waitUntil } from "./harness.js";
import { useWorld } from "./world.js";
import { askChat, BUDGET_ITEM } from "./relayUi.js";

describe("teacher settings", () => {
  const w = useWorld();
  const suite = useVSCode({ name: "teacher-settings", nodeModules: ["node-llama-cpp"], userSettings: w.settings });

  suite.test("Set Teacher API Key: the key reaches the teacher as a bearer token, and no log holds it", async (vs) => {
    const key = "sk-relay-e2e-0123456789abcdefghij";
    await vs.runCommand("Relay: Set Teacher API Key");
    await vs.page.locator(".quick-input-widget .quick-input-title", { hasText: "teacher API key" }).waitFor({ state: "visible" });
    await vs.answerInputBox(key);
    await vs.waitForNotification(/teacher API key saved/);
    const from = w.world.server.requests.length;
    assert.match(await askChat(vs, "What is 17 * 23?"), /2 teacher calls/);
    const sent = w.world.server.requests.slice(from);
    assert.equal(sent.length, 2);
    for (const r of sent) assert.equal(r.headers.authorization, `Bearer ${key}`);
    assert.ok(!vs.outputChannelLog("Relay").includes(key));
    assert.ok(!vs.extensionHostLog().includes(key));
  });

  suite.test("the status bar's quick pick pauses the teacher, and resumes it", async (vs) => {
    await vs.page.locator("#relay-dev\\.relay\\.relay\\.budget").click();
    await vs.pickQuickItem(/Pause Teacher/);
    await vs.waitForStatusBarText(BUDGET_ITEM, /teacher paused/);
    const from = w.world.server.requests.length;
    assert.match(await askChat(vs, "What is 17 * 23 while paused?"), /0 teacher calls/);
    assert.equal(w.world.server.requests.length, from);
    await vs.screenshot("teacher-paused.png");

    await vs.page.locator("#relay-dev\\.relay\\.relay\\.budget").click();
    await vs.pickQuickItem(/Resume Teacher/);
    await waitUntil(async () => !/teacher paused/.test(await vs.statusBarText(BUDGET_ITEM)) || undefined, 10_000, "the teacher back on");
  });
});
