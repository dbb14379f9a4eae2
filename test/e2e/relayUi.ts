/** Relay's own pieces of the workbench, as the e2e tests reach them. */
import type { VSCode } from "./harness.js";

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
