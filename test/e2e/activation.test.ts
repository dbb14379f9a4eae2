/**
 * End-to-end: the built extension in a real VS Code 1.100 (code-server) driven in headless
 * Chromium. Needs `bash test/e2e/setup.sh` and `node scripts/build.mjs` first; see README.md here.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { useVSCode } from "./harness.js";

// A configured teacher (unreachable, never called here), so that the teacher counts as on.
const teacher = { "relay.teacher.url": "http://127.0.0.1:9/v1", "relay.teacher.model": "e2e-teacher" };

describe("trusted workspace (workspace trust disabled)", () => {
  const suite = useVSCode({ name: "activation-trusted", userSettings: teacher, workspaceFiles: { "notes.md": "# Notes\n" } });

  suite.test("Relay activates: status bar item, Show Status from the command palette", async (vs) => {
    // the extension's item whose visible text says "Relay" (ids: relay-dev.relay.<item id>)
    const item = await vs.statusBarItem({ extension: true, text: /Relay/ });
    assert.doesNotMatch(item.text, /teacher off/);
    assert.match(vs.extensionHostLog(), /_doActivateExtension relay-dev\.relay/);
    await vs.waitForLog(/Relay activated \(workspace trusted: true/, { channel: "Relay" });

    await vs.runCommand("Relay: Show Status");
    const note = await vs.waitForNotification(/^Relay: .*teacher/);
    assert.doesNotMatch(note.message, /teacher off/);
    assert.match(note.message, /e2e-teacher/);
    assert.equal(note.source, "Relay");
    await vs.screenshot("workbench.png");
  });

  suite.test("the Relay chat view is a webview whose content loads", async (vs) => {
    await vs.runCommand("Relay: Open Chat");
    const frame = await vs.webviewFrame("relay.chat");
    await frame.locator("#app").waitFor({ state: "attached" });
    await frame.waitForFunction(() => (document.getElementById("app")?.childElementCount ?? 0) > 0, undefined, { timeout: 15_000 });
    // the same view, found by its name
    const byName = await vs.webviewLocator("Chat");
    assert.equal(await byName.locator("#app").count(), 1);
    await vs.screenshot("chat-view.png");
  });

  suite.test("typing into a workspace file", async (vs) => {
    await vs.openFile("notes.md");
    await vs.typeInEditor("\nhello from e2e", { atEnd: true });
    await vs.waitForEditorText(/^hello from e2e$/m);
  });
});

describe("Restricted Mode (workspace trust on, folder not trusted)", () => {
  const suite = useVSCode({ name: "activation-restricted", workspaceTrust: true, userSettings: teacher });

  suite.test("the status bar says the teacher is off", async (vs) => {
    const item = await vs.waitForStatusBarText({ extension: true, text: /Relay/ }, /teacher off/);
    assert.match(item.ariaLabel, /Restricted Mode/);
    await vs.runCommand("Relay: Show Status");
    const note = await vs.waitForNotification(/^Relay: /);
    assert.match(note.message, /teacher off/);
    await vs.screenshot("restricted-mode.png");
  });
});
