/**
 * Model setup errors and the smaller commands, in a real VS Code: a missing model gives an
 * error notification with the action that fixes it; the teacher-request log and New Chat work.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { useVSCode, waitUntil } from "./harness.js";

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
    await frame.locator("#new-chat").click();
    await waitUntil(async () => (await frame.locator("article.turn").count()) === 0 || undefined, 10_000, "an empty transcript");
  });

  suite.test("Show Teacher Requests says nothing has left the machine", async (vs) => {
    await vs.runCommand("Relay: Show Teacher Requests (what left the machine)");
    await vs.waitForNotification(/no teacher requests yet — nothing has left this machine/);
  });
});
