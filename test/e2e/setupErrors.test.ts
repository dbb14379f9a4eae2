/**
 * Model setup errors and the smaller commands, in a real VS Code: a missing model gives an
 * error notification with the action that fixes it; the teacher-request log and New Chat work;
 * Open Settings lands where the student's settings can be edited, and the settings are ordered.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { ModelHost } from "../fixtures/modelHost.js";
import { REPO_ROOT, useVSCode, waitUntil, type VSCode } from "./harness.js";

describe("a missing student model", () => {
  const suite = useVSCode({
    name: "setup-errors",
    nodeModules: ["node-llama-cpp"],
    userSettings: { "relay.student.model": "/nonexistent/relay/model.gguf", "relay.student.gpu": "cpu" },
  });

  suite.test("asking shows a clear error with a fix action, and the chat says what went wrong", async (vs) => {
    await vs.runCommand("Relay: Open Chat");
    const frame = await vs.webviewFrame("relay.chat");
    await frame.locator("#question textarea").fill("What is 17 * 23?");
    await frame.locator("#send").click();
    const note = await vs.waitForNotification(/Model file not found: \/nonexistent\/relay\/model\.gguf/, { timeout: 60_000 });
    assert.equal(note.severity, "error");
    // The fix action and the log are offered as buttons on the notification.
    const buttons = await Promise.all((await vs.page.locator(".notification-toast .monaco-button").all()).map((b) => b.innerText()));
    assert.ok(buttons.some((b) => /Choose Model File/.test(b)), JSON.stringify(buttons));
    await frame.locator("article.turn .turn-error").waitFor({ state: "visible", timeout: 30_000 });
    assert.match((await frame.locator("article.turn .turn-error").textContent()) ?? "", /Model file not found/);
    await vs.screenshot("model-missing.png");
  });

  suite.test("New Chat clears the transcript", async (vs) => {
    const frame = await vs.webviewFrame("relay.chat");
    assert.ok((await frame.locator("article.turn").count()) > 0);
    await vs.clickViewTitleAction("New Chat");
    await waitUntil(async () => (await frame.locator("article.turn").count()) === 0 || undefined, 10_000, "an empty transcript");
  });

  suite.test("Show Teacher Requests says nothing has left the machine", async (vs) => {
    await vs.runCommand("Relay: Show Teacher Requests (what left the machine)");
    await vs.waitForNotification(/no teacher requests yet — nothing has left this machine/);
  });
});

/** "Teacher: Input Price Per Million": how the Settings editor titles a setting key. */
function settingTitle(key: string): string {
  const words = (s: string) => s.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());
  const parts = key.split(".").slice(1);
  const label = words(parts.pop()!);
  return parts.length ? `${parts.map(words).join(" › ")}: ${label}` : label;
}

/** The Settings editor's rows on screen, as "Category: Label" without the leading "Relay › ", top to bottom. */
async function settingRows(vs: VSCode): Promise<string[]> {
  return vs.page.evaluate(() =>
    [...document.querySelectorAll(".settings-editor .settings-tree-container .monaco-list-row")]
      .map((row) => ({ top: row.getBoundingClientRect().top, text: `${row.querySelector(".setting-item-category")?.textContent ?? ""}${row.querySelector(".setting-item-label")?.textContent ?? ""}`.trim() }))
      .filter((r) => r.text)
      .sort((a, b) => a.top - b.top)
      .map((r) => r.text.replace(/^Relay(: | › )/, "")),
  );
}

describe("Open Settings from a student error, in a remote window (code-server is one)", () => {
  const host = new ModelHost();
  const userSettings: Record<string, unknown> = { "relay.student.gpu": "cpu" };
  before(async () => {
    await host.start();
    host.mode = "404";
    // A model URL the user put in the settings, which the host does not have.
    userSettings["relay.student.model"] = `${host.url}missing/model.gguf`;
  });
  after(() => host.close());
  const suite = useVSCode({ name: "open-settings", nodeModules: ["node-llama-cpp"], userSettings });

  suite.test("the error's Open Settings opens the Remote tab, where the student's machine-scoped settings are", async (vs) => {
    await vs.runCommand("Relay: Open Chat");
    const frame = await vs.webviewFrame("relay.chat");
    await frame.locator("#question textarea").fill("What is 17 * 23?");
    await frame.locator("#send").click();
    await vs.waitForNotification(/Could not download http:\/\/127\.0\.0\.1:\d+\/missing\/model\.gguf: .*404/, { timeout: 60_000 });
    await vs.page.locator(".notification-toast", { hasText: "Could not download" }).locator(".monaco-button", { hasText: "Open Settings" }).click();
    const tab = vs.page.locator(".settings-editor .settings-tabs-widget .action-label.checked");
    await tab.waitFor({ state: "visible", timeout: 15_000 });
    assert.match((await tab.textContent()) ?? "", /Remote/);
    await waitUntil(async () => (await settingRows(vs)).includes(settingTitle("relay.student.model")) || undefined, 15_000, "the student's model setting in the Remote tab");
    assert.equal(await vs.page.locator(".settings-editor .no-results-message").isVisible(), false, "not 'No Settings Found'");
    assert.equal(await vs.page.locator(".settings-editor .settings-header .monaco-editor .view-line").first().textContent().then((t) => t?.replace(/\u00a0/g, " ").trim()), "relay.student", "the search holds the student's settings");
    await vs.screenshot("open-settings-remote-tab.png");
  });

  suite.test("the settings come in the order a user configures them (student, teacher, budget, then tuning)", async (vs) => {
    const properties = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { contributes: { configuration: { properties: Record<string, { order?: number }> } } }).contributes.configuration.properties;
    const byOrder = Object.entries(properties)
      .sort(([, a], [, b]) => (a.order ?? 1e9) - (b.order ?? 1e9))
      .map(([key]) => settingTitle(key));
    assert.deepEqual(byOrder.slice(0, 5), ["Student: Model", "Student: Gpu", "Student: Thinking", "Teacher: Url", "Teacher: Model"]);
    // The User tab: everything but the machine-scoped student settings, in `order`.
    await vs.runCommand("Preferences: Open User Settings");
    await vs.page.locator(".settings-editor .settings-tabs-widget .action-label.checked", { hasText: "User" }).waitFor({ state: "visible", timeout: 15_000 });
    // Typed, not filled: VS Code 1.139's editors take input through an EditContext, not a textarea.
    await vs.page.locator(".settings-editor .settings-header .monaco-editor").first().click();
    await vs.page.keyboard.press("ControlOrMeta+a");
    await vs.page.keyboard.type("@ext:relay-dev.relay");
    const rows = await waitUntil(async () => {
      const seen = (await settingRows(vs)).filter((t) => byOrder.includes(t));
      return seen.length >= 5 ? seen : undefined;
    }, 15_000, "Relay's settings in the User tab");
    const expected = byOrder.filter((t) => rows.includes(t));
    assert.deepEqual(rows, expected, "the rows on screen follow `order`");
    assert.equal(rows[0], "Teacher: Url", "the first one the User tab can edit");
    await vs.screenshot("settings-order.png");
  });
});
