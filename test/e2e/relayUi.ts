/** Relay's own pieces of the workbench, as the e2e tests reach them. */
import { waitUntil, type VSCode } from "./harness.js";

/** The budget / teacher status bar item. */
export const BUDGET_ITEM = { extension: true as const, id: "relay-dev.relay.relay.budget" };

/** Asks in the chat panel (opening it) and returns the new turn's stats line once it shows. */
export async function askChat(vs: VSCode, question: string, timeoutMs = 90_000): Promise<string> {
  await vs.runCommand("Relay: Open Chat");
  const frame = await vs.webviewFrame("relay.chat");
  const turns = await frame.locator("article.turn").count();
  await frame.locator("#question textarea").fill(question);
  await frame.locator("#send").click();
  const stats = frame.locator("article.turn").nth(turns).locator(".turn-footer .stats");
  await stats.waitFor({ state: "visible", timeout: timeoutMs });
  return (await stats.textContent()) ?? "";
}

/** The ghost text shown in the editor now ("" when none). Monaco renders spaces as no-break spaces. */
export async function ghostText(vs: VSCode): Promise<string> {
  const parts = await Promise.all((await vs.page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text").all()).map((l) => l.textContent()));
  return parts.join("").replace(/\u00a0/g, " ");
}

/** Inline completions never load the model: load it as a user would, with Reload Student Model. */
export async function loadStudent(vs: VSCode): Promise<void> {
  const before = (vs.outputChannelLog("Relay").match(/student ready in/g) ?? []).length;
  await vs.runCommand("Relay: Reload Student Model");
  await waitUntil(() => (vs.outputChannelLog("Relay").match(/student ready in/g) ?? []).length > before || undefined, 90_000, "the student to load");
}

/** Number of inline completions generated so far (the log's "inline completion:" lines). */
export function inlineGenerations(vs: VSCode): string[] {
  return vs.outputChannelLog("Relay").match(/inline completion: .*/g) ?? [];
}

/** Relay: Choose Student Model File… through code-server's simple file dialog; waits for the load. */
export async function chooseStudentFile(vs: VSCode, path: string): Promise<void> {
  await vs.runCommand("Relay: Choose Student Model File…");
  await vs.page.locator(".quick-input-widget .quick-input-title", { hasText: "choose the student model" }).waitFor({ state: "visible", timeout: 15_000 });
  await new Promise((r) => setTimeout(r, 1000)); // the dialog fills in its start folder first
  await vs.quickInput.fill(path);
  await waitUntil(async () => (await vs.quickInput.inputValue()) === path || undefined, 5000, "the path in the dialog");
  // The dialog may still be reading the folder when first asked: click until it closes.
  const widget = vs.page.locator(".quick-input-widget .quick-input-title", { hasText: "choose the student model" });
  await waitUntil(async () => {
    if (!(await widget.isVisible())) return true;
    await vs.page.locator(".quick-input-widget .monaco-button", { hasText: "Use as Student Model" }).click().catch(() => {});
    await new Promise((r) => setTimeout(r, 1000));
    return undefined;
  }, 20_000, "the file dialog to accept the path");
  await vs.waitForNotification(/the student model is now .*\.gguf; it is loaded\./, { timeout: 90_000 });
}
