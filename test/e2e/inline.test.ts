/**
 * Inline completions in a real VS Code: ghost text from the student, cancellation by typing,
 * the in-editor help marker while the teacher is asked, and the teacher's text marked after Tab.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { useVSCode, waitUntil, type VSCode } from "./harness.js";
import { useWorld } from "./world.js";

const ghost = (vs: VSCode) => vs.page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text");
/** The help marker is an `after` decoration: CSS ::after content on a span of the line. */
function markerText(vs: VSCode): Promise<string> {
  return vs.page.evaluate(() =>
    [...document.querySelectorAll(".monaco-editor .view-lines span")]
      .map((el) => getComputedStyle(el, "::after").content)
      .filter((c) => c && c !== "none" && c !== "normal")
      .join(" "),
  );
}

async function ghostText(vs: VSCode): Promise<string> {
  const parts = await Promise.all((await ghost(vs).all()).map((l) => l.textContent()));
  // Monaco renders spaces as no-break spaces.
  return parts.join("").replace(/\u00a0/g, " ");
}

/** Inline completions never load the model: load it as a user would, with Reload Student Model. */
async function loadStudent(vs: VSCode): Promise<void> {
  await vs.runCommand("Relay: Reload Student Model");
  await vs.waitForLog(/student ready in/, { channel: "Relay", timeout: 60_000 });
  await vs.waitForStatusBarText({ extension: true, id: "relay-dev.relay.relay.inline" }, /^Relay inline completions on$/);
}

async function goTo(vs: VSCode, line: number, column: number): Promise<void> {
  await vs.runCommand("Go to Line/Column...");
  await vs.page.keyboard.type(`${line}:${column}`);
  await vs.page.keyboard.press("Enter");
}

/** The editor hover's text at a position ("" when there is none). */
async function hoverAt(vs: VSCode, line: number, column: number, timeout = 10_000, screenshot?: string): Promise<string> {
  await goTo(vs, line, column);
  await vs.runCommand("Show or Focus Hover");
  const hover = vs.page.locator(".monaco-hover:not(.hidden) .hover-contents, .monaco-hover:not(.hidden) .rendered-markdown").first();
  try {
    await hover.waitFor({ state: "visible", timeout });
    if (screenshot) await vs.screenshot(screenshot);
    return (await hover.innerText()) ?? "";
  } catch {
    return "";
  } finally {
    await vs.page.keyboard.press("Escape");
  }
}

describe("inline completions with the scripted pair", () => {
  // Inline teacher calls are off by default: this suite is about the ones a user turned on.
  const w = useWorld({ "relay.inline.teacher": true });
  const userSettings = w.settings;
  const suite = useVSCode({ name: "inline", nodeModules: ["node-llama-cpp"], userSettings, workspaceFiles: { "calc.txt": "", "other.txt": "" } });

  suite.test("a keystroke never loads the model: no ghost text until the student is loaded", async (vs) => {
    await vs.openFile("calc.txt");
    await vs.typeInEditor("x = ");
    await vs.waitForLog(/inline completions wait for the student model/, { channel: "Relay" });
    await vs.waitForStatusBarText({ extension: true, id: "relay-dev.relay.relay.inline" }, /waiting for the student model/);
    assert.doesNotMatch(vs.outputChannelLog("Relay"), /student (ready|loaded)/);
    assert.equal(await ghostText(vs), "");
    await vs.page.keyboard.press("Control+A");
    await vs.page.keyboard.press("Delete");
    await loadStudent(vs);
  });

  suite.test("a teacher-assisted completion: help marker while the teacher is asked, typing on cancels it", async (vs) => {
    w.world.server.defaultFault = { kind: "delay", ms: 20_000 };
    try {
      await vs.openFile("other.txt");
      await vs.typeInEditor("answer = ");
      await waitUntil(async () => /asking teacher · 4 tokens/.test(await markerText(vs)) || undefined, 60_000, "the help marker");
      await vs.screenshot("inline-asking-teacher.png");
      const pending = w.world.server.requests[w.world.server.requests.length - 1];
      // Typing on cancels the completion: the teacher's HTTP request is aborted.
      await vs.typeInEditor("z");
      await waitUntil(() => pending.cancelled === true || undefined, 15_000, "the teacher request to be cancelled");
    } finally {
      w.world.server.defaultFault = undefined;
    }
  });

  suite.test("ghost text appears; after Tab the teacher's text is marked, with a hover naming the model and tokens", async (vs) => {
    await vs.openFile("calc.txt");
    await vs.typeInEditor("x = ");
    await waitUntil(async () => (await ghostText(vs)).includes("Adding them") || undefined, 60_000, "ghost text with the teacher's span");
    await vs.screenshot("inline-ghost-text.png");
    await vs.page.keyboard.press("Tab");
    const text = await vs.editorText();
    assert.match(text, /^x = We need 17 \* 23\. Split it: 17 \* 20 = 340, and 17 \* 3 = 51\. Adding them: 391\./);
    // " 51." is teacher text: hover inside it.
    const col = text.indexOf(" 51.") + 2;
    const hover = await hoverAt(vs, 1, col + 1, 10_000, "inline-teacher-hover.png");
    assert.ok(hover, "no hover on the teacher's text");
    assert.match(hover, /Written by the teacher — scripted-teacher · 4 tokens · [\d,]+ ms/);

    // Edits before and inside the range: it moves and grows with them.
    await goTo(vs, 1, 1);
    await vs.typeInEditor("ab");
    // Inside the range, between "5" and "1": the range grows with the edit.
    await goTo(vs, 1, col + 3);
    await vs.typeInEditor("0");
    const moved = await hoverAt(vs, 1, col + 3);
    assert.match(moved, /Written by the teacher — scripted-teacher/);
    assert.match(await vs.editorText(), /17 \* 3 = 501\. Adding/);
    // Where the student wrote, there is no teacher hover.
    assert.doesNotMatch(await hoverAt(vs, 1, 6, 2000), /Written by the teacher/);
    await vs.screenshot("inline-teacher-range-after-edits.png");
  });
});

describe("inline completions with the teacher turned off for inline use", () => {
  const w = useWorld({ "relay.inline.teacher": false });
  const userSettings = w.settings;
  const suite = useVSCode({ name: "inline-no-teacher", nodeModules: ["node-llama-cpp"], userSettings, workspaceFiles: { "calc.txt": "" } });

  suite.test("ghost text from the student alone; no request reaches the teacher server", async (vs) => {
    await loadStudent(vs);
    await vs.openFile("calc.txt");
    await vs.typeInEditor("y = ");
    await waitUntil(async () => (await ghostText(vs)).includes("We need") || undefined, 60_000, "ghost text");
    assert.equal(w.world.server.requests.length, 0);
    await vs.screenshot("inline-student-only.png");
  });
});
