/** In-host tests: run inside code-server's extension host with the real `vscode` API. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import * as vscode from "vscode";
import { test } from "./runner.js";

const ID = "relay-dev.relay";

test("the extension is loaded from the repository (extension development mode)", () => {
  const ext = vscode.extensions.getExtension(ID);
  assert.ok(ext, `${ID} is installed`);
  // the repository itself, not an installed copy named publisher.name-version
  assert.doesNotMatch(basename(ext.extensionPath), /^relay-dev\.relay-\d/);
  assert.ok(existsSync(join(ext.extensionPath, "package.json")));
});

test("it activates", async () => {
  const ext = vscode.extensions.getExtension(ID)!;
  await ext.activate();
  assert.equal(ext.isActive, true);
});

test("its commands are registered", async () => {
  const commands = await vscode.commands.getCommands(true);
  for (const id of ["relay.showStatus", "relay.showLog", "relay.openChat"]) assert.ok(commands.includes(id), `${id} is registered`);
});

test("relay.showStatus runs", async () => {
  await vscode.commands.executeCommand("relay.showStatus");
});

test("the workspace is trusted (trust disabled) and opened", () => {
  assert.equal(vscode.workspace.isTrusted, true);
  assert.equal(vscode.workspace.workspaceFolders?.length, 1);
});
