/**
 * Repository context for ghost text in a real VS Code: a definition from another open file
 * reaches the prompt that makes the ghost text (seen in what the teacher server received, since
 * the scripted student asks it), and files excluded by relay.inline.exclude or .gitignore never
 * do, though they were opened too.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { useVSCode, waitUntil, type VSCode } from "./harness.js";
import { useWorld } from "./world.js";

async function ghostText(vs: VSCode): Promise<string> {
  const parts = await Promise.all((await vs.page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text").all()).map((l) => l.textContent()));
  return parts.join("").replace(/\u00a0/g, " ");
}

describe("inline completions with repository context", () => {
  // The scripted student holds 512 tokens (one per character mostly): a small context budget.
  const w = useWorld({ "relay.inline.teacher": true, "relay.inline.contextTokens": 160, "relay.inline.exclude": ["**/private/**"] });
  const suite = useVSCode({
    name: "inline-context",
    nodeModules: ["node-llama-cpp"],
    userSettings: w.settings,
    workspaceFiles: {
      "geo.ts": "export function area(r: number): number {\n  return 3 * r * r; // GEO_DEFINITION\n}\n",
      "private/keys.ts": "export const KEY = 'PRIVATE_MARKER';\n",
      ".gitignore": "build/\n",
      "build/out.ts": "export const BUILD_MARKER = 1;\n",
      "main.ts": "",
    },
  });

  suite.test("ghost text is made from a prompt holding another open file's definition, never an excluded file", async (vs) => {
    await vs.runCommand("Relay: Reload Student Model");
    await vs.waitForLog(/student ready in/, { channel: "Relay", timeout: 60_000 });
    for (const file of ["private/keys.ts", "build/out.ts", "geo.ts", "main.ts"]) await vs.openFile(file);
    await vs.typeInEditor('import { area } from "./geo";\nconst a = ');
    await waitUntil(async () => (await ghostText(vs)).includes("Adding them") || undefined, 60_000, "ghost text with the teacher's span");
    const prompts = w.world.server.requests.map((r) => String(r.body.prompt ?? JSON.stringify(r.body.messages ?? "")));
    assert.ok(prompts.length > 0, "the scripted student asked the teacher");
    const last = prompts[prompts.length - 1];
    assert.match(last, /\/\/ geo\.ts\nexport function area\(r: number\): number \{\n {2}return 3 \* r \* r; \/\/ GEO_DEFINITION/, "the other file's definition is in the prompt, under its name");
    assert.match(last, /\/\/ main\.ts\nimport \{ area \} from "\.\/geo";\nconst a = /, "then the file being completed");
    for (const prompt of prompts) {
      assert.doesNotMatch(prompt, /PRIVATE_MARKER/, "relay.inline.exclude");
      assert.doesNotMatch(prompt, /BUILD_MARKER/, ".gitignore");
    }
    await vs.screenshot("inline-context-ghost-text.png");
  });
});
