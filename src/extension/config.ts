/**
 * The `relay.*` settings as VS Code holds them, parsed in one place (settings.ts): defaults from
 * this extension's package.json, each value checked, workspace values capped so that a
 * repository's .vscode/settings.json cannot raise what the teacher costs. `ConfigProblems`
 * tells the user about values that were not used. The settings are read once per change into a
 * snapshot that every reader shares; `onDidChangeConfig` says which settings changed.
 */
import * as vscode from "vscode";
import type { Logger } from "../core/logger.js";
import { EXTENSION_ID, SECTION, SETTING_SCHEMAS, resolveSettings, type ExtensionManifest, type RelayConfig, type ResolvedSettings, type SettingProblem } from "./settings.js";

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

/** A setting under `relay.` ("teacher.url"), or a group of them ("teacher"). */
export type SettingKey = keyof typeof SETTING_SCHEMAS;
type GroupOf<K> = K extends `${infer G}.${string}` ? G : never;
export type SettingGroup = GroupOf<SettingKey>;

/** What changed: the settings (and their groups) whose values may differ now. */
export interface ConfigChange {
  /** The workspace became trusted: every workspace value may apply now. */
  readonly trust: boolean;
  affects(setting: SettingKey | SettingGroup): boolean;
}

/** The watcher of this window (activate() creates it first); without one, settings are read afresh. */
let watcher: ConfigWatcher | undefined;

/** Fires once per change of `relay.*` settings or of workspace trust, after the snapshot was dropped. */
export const onDidChangeConfig: vscode.Event<ConfigChange> = (listener, thisArgs, disposables) => {
  if (!watcher) throw new Error("Relay's settings are not watched yet: create the ConfigWatcher first.");
  return watcher.changes.event(listener, thisArgs, disposables);
};

/**
 * Keeps the snapshot current: created first in activate(), so its listener runs before any
 * other and no reader sees a value from before the change.
 */
export class ConfigWatcher implements vscode.Disposable {
  /** The settings as last read; dropped on every change. */
  snapshot: ResolvedSettings | undefined;
  readonly changes = new vscode.EventEmitter<ConfigChange>();
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.subscriptions = [
      this.changes,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SECTION)) return;
        this.snapshot = undefined;
        const changed = (Object.keys(SETTING_SCHEMAS) as SettingKey[]).filter((key) => e.affectsConfiguration(`${SECTION}.${key}`));
        this.changes.fire({ trust: false, affects: (setting) => changed.some((key) => key === setting || key.startsWith(`${setting}.`)) });
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.snapshot = undefined;
        this.changes.fire({ trust: true, affects: () => true });
      }),
    ];
  }

  dispose(): void {
    if (watcher === this) watcher = undefined;
    for (const s of this.subscriptions) s.dispose();
  }
}

/** Starts watching the settings for this window (first thing in activate()). */
export function watchConfig(): ConfigWatcher {
  watcher?.dispose();
  watcher = new ConfigWatcher();
  return watcher;
}

/** Every `relay.*` setting, checked, with the problems found. */
export function readSettings(): ResolvedSettings {
  if (watcher?.snapshot) return watcher.snapshot;
  const c = vscode.workspace.getConfiguration();
  const read = resolveSettings(extensionManifest(), (setting) => c.inspect(setting), { trusted: vscode.workspace.isTrusted });
  if (watcher) watcher.snapshot = read;
  return read;
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
    this.subscriptions.push(onDidChangeConfig(() => this.check()));
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
