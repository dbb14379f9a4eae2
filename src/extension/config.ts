/**
 * The `relay.*` settings as VS Code holds them, parsed in one place (settings.ts): defaults from
 * this extension's package.json, each value checked, workspace values capped so that a
 * repository's .vscode/settings.json cannot raise what the teacher costs. `ConfigProblems`
 * tells the user about values that were not used.
 */
import * as vscode from "vscode";
import type { Logger } from "../core/logger.js";
import { EXTENSION_ID, SECTION, resolveSettings, type ExtensionManifest, type RelayConfig, type ResolvedSettings, type SettingProblem } from "./settings.js";

export type { RelayConfig } from "./settings.js";

let manifest: ExtensionManifest | undefined;

/** This extension's package.json, as the host loaded it. */
function extensionManifest(): ExtensionManifest {
  manifest ??= vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as ExtensionManifest | undefined;
  if (!manifest) throw new Error(`The extension ${EXTENSION_ID} is not known to VS Code: its settings cannot be read.`);
  return manifest;
}

/**
 * Whether the settings `query` names (one setting, or every setting under a prefix such as
 * "relay.student") are machine-scoped: in a remote window they are edited in the Remote tab.
 */
export function machineScoped(query: string): boolean {
  const properties = extensionManifest().contributes?.configuration?.properties ?? {};
  const scopes = Object.entries(properties)
    .filter(([key]) => key === query || key.startsWith(`${query}.`))
    .map(([, p]) => p.scope);
  return scopes.length > 0 && scopes.every((s) => s === "machine" || s === "machine-overridable");
}

/** Every `relay.*` setting, checked, with the problems found. */
export function readSettings(): ResolvedSettings {
  const c = vscode.workspace.getConfiguration();
  return resolveSettings(extensionManifest(), (setting) => c.inspect(setting), { trusted: vscode.workspace.isTrusted });
}

/** The settings in force now (invalid or too costly values replaced). */
export function readConfig(): RelayConfig {
  return readSettings().config;
}

/**
 * Reports settings that were not used: each problem once in the log and once as a warning
 * with Open Settings, again only after it was fixed and came back.
 */
export class ConfigProblems implements vscode.Disposable {
  private reported = new Set<string>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly log: Logger) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) this.check();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.check()),
    );
  }

  /** Reads the settings and reports what is new. */
  check(): void {
    let problems: SettingProblem[];
    try {
      problems = readSettings().problems;
    } catch (error) {
      this.log.error(`settings: ${(error as Error).message}`);
      return;
    }
    const now = new Set(problems.map((p) => p.message));
    const fresh = problems.filter((p) => !this.reported.has(p.message));
    this.reported = now;
    for (const p of fresh) this.log.warn(`settings: ${p.message}`);
    if (fresh.length > 0) void this.notify(fresh);
  }

  private async notify(problems: SettingProblem[]): Promise<void> {
    const text = problems.length === 1 ? problems[0].message : `${problems.length} settings were not used (${problems.map((p) => p.setting).join(", ")}); the log says why.`;
    const workspace = problems.every((p) => p.source === "workspace");
    const open = workspace ? "Open Workspace Settings" : "Open Settings";
    const choice = await vscode.window.showWarningMessage(`Relay: ${text}`, open, "Show Log");
    if (choice === "Open Workspace Settings") await vscode.commands.executeCommand("workbench.action.openWorkspaceSettingsFile");
    else if (choice === "Open Settings") await vscode.commands.executeCommand("relay.openSettings", problems[0].setting);
    else if (choice === "Show Log") await vscode.commands.executeCommand("relay.showLog");
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
