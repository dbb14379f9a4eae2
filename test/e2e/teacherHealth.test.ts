/**
 * A teacher that is down, in a real VS Code: after the first failed call the rest of the answer
 * goes on without it, the status bar says "teacher unreachable", and the user gets ONE
 * notification per outage naming the URL and the status, with Configure Teacher / Pause / Show Log. Real
 * local servers: one that answers 500 to everything, and a port where nothing listens.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { useVSCode, type VSCode } from "./harness.js";
import { useWorld } from "./world.js";
import { askChat, BUDGET_ITEM } from "./relayUi.js";

/** The toasts whose message matches, with their buttons. */
async function toasts(vs: VSCode, message: RegExp): Promise<Array<{ message: string; buttons: string[] }>> {
  const rows = await vs.page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>(".notifications-toasts .notification-toast-container .monaco-list-row")].map((row) => ({
      message: (row.querySelector(".notification-list-item-message")?.textContent ?? "").trim(),
      buttons: [...row.querySelectorAll<HTMLElement>(".monaco-button")].map((b) => (b.textContent ?? "").trim()).filter(Boolean),
    })),
  );
  return rows.filter((r) => message.test(r.message));
}

/** `requests`: the server's request count, where there is a server (nothing listens on a refused port). */
async function outage(vs: VSCode, url: string, status: RegExp, requests?: () => number): Promise<void> {
  const from = requests?.() ?? 0;
  const message = new RegExp(`teacher at ${url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}/completions is unreachable \\(${status.source}`);
  // The toast comes while the answer goes on without the teacher.
  const answer = askChat(vs, "What is 17 * 23?");
  await vs.waitForNotification(message, { timeout: 60_000 });
  const shown = await toasts(vs, message);
  assert.equal(shown.length, 1);
  assert.deepEqual(shown[0].buttons, ["Configure Teacher…", "Pause Teacher", "Show Log"]);
  await vs.waitForStatusBarText(BUDGET_ITEM, /teacher unreachable/);
  await vs.screenshot(`teacher-unreachable-${status.source.replace(/\W+/g, "")}.png`);
  // The answer completes; one call was tried (and failed: never counted as a teacher call), the second command was not sent.
  assert.match(await answer, /\b1 failed call\b/);
  assert.doesNotMatch(await answer, /teacher call/);
  // Still down: the next answer asks at most once (a trial after the cool-down), and no second
  // notification is shown for the same outage.
  assert.match(await askChat(vs, "What is 17 * 23, again?"), /\b(0 teacher calls|1 failed call)\b/);
  assert.match(await vs.statusBarText(BUDGET_ITEM), /teacher unreachable/);
  const notified = vs.outputChannelLog("Relay").split("\n").filter((l) => /teacher unreachable at /.test(l));
  assert.equal(notified.length, 1, "one notification per outage");
  if (requests) assert.ok(requests() - from >= 1);
}

describe("teacher health: a server answering 500", () => {
  // Short answers: the scripted student repeats itself when a call fails.
  const w = useWorld({ "relay.maxTokens": 40 });
  const suite = useVSCode({ name: "teacher-health-500", nodeModules: ["node-llama-cpp"], userSettings: w.settings });

  suite.test("status bar 'teacher unreachable', one notification naming the URL and HTTP 500", async (vs) => {
    w.world.server.defaultFault = { kind: "status", status: 500 };
    try {
      await outage(vs, w.world.server.url, /HTTP 500/, () => w.world.server.requests.length);
    } finally {
      w.world.server.defaultFault = undefined;
    }
  });
});

describe("teacher health: connection refused", () => {
  // Port 9 (discard): nothing listens on the loopback here.
  const refused = "http://127.0.0.1:9/v1";
  const w = useWorld({ "relay.teacher.url": refused, "relay.maxTokens": 40 });
  const suite = useVSCode({ name: "teacher-health-refused", nodeModules: ["node-llama-cpp"], userSettings: w.settings });

  suite.test("status bar 'teacher unreachable', one notification naming the URL and the refusal", async (vs) => {
    await outage(vs, refused, /unreachable/);
  });
});
