/** The command table (src/extension/commands.ts) and package.json's contributed commands agree. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
/** Commands the views and fix actions run that the palette does not list. */
const INTERNAL = ["relay.insertCode", "relay.inlineAccepted", "relay.openSettings", "relay.downloadModel"];

test("every contributed command is registered, and every registered one is contributed or internal", () => {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { contributes: { commands: { command: string }[] } };
  const contributed = manifest.contributes.commands.map((c) => c.command);
  // The table's keys, read from its source: the module imports vscode, which only the host has.
  const table = [...readFileSync(join(root, "src", "extension", "commands.ts"), "utf8").matchAll(/^ {2}"(relay\.[A-Za-z]+)": /gm)].map((m) => m[1]);
  assert.ok(table.length >= 25, `only ${table.length} commands found in the table`);
  assert.deepEqual(contributed.filter((id) => !table.includes(id)), [], "contributed but not registered");
  assert.deepEqual(table.filter((id) => !contributed.includes(id) && !INTERNAL.includes(id)), [], "registered but neither contributed nor internal");
  assert.equal(new Set(table).size, table.length, "a command registered twice");
});
