/**
 * One VS Code window under test: a temp folder with a fresh profile, extensions folder and
 * workspace; code-server serving it (server.ts); Chromium showing it (browser.ts); the workbench
 * actions (workbench.ts) and failure artefacts (artifacts.ts) on top.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { saveArtifacts, saveScreenshot, sanitize } from "./artifacts.js";
import { launchBrowser, loadPlaywright, type BrowserSession, type PWBrowser, type PWPage } from "./browser.js";
import { extensionId, installExtension, readManifest, type InstallOptions } from "./extension.js";
import { CHROMIUM_PATH, CODE_SERVER_INSTALLS, REPO_ROOT, SETUP_HINT, defaultVSCodeChoice, setupHint, type CodeServerInstall, type VSCodeChoice } from "./paths.js";
import { CodeServer } from "./server.js";
import { waitUntil } from "./waiting.js";
import { Workbench } from "./workbench.js";

export interface StartOptions extends InstallOptions {
  /** A label for the temp folder and startup-failure artifacts. */
  name?: string;
  /**
   * Which VS Code: "1.100" (code-server 4.100.3) or "current" (4.139.1, on Node 24). Default:
   * RELAY_E2E_VSCODE, else "1.100". A test that needs the newer API names "current".
   */
  vscode?: VSCodeChoice;
  /**
   * false (default): the workspace-trust feature is off (settings + --disable-workspace-trust), so
   * everything runs trusted. true: trust is on and the fresh workspace is NOT trusted, i.e. the
   * window is in Restricted Mode (the startup trust prompt is suppressed).
   */
  workspaceTrust?: boolean;
  /** Extra user settings (User/settings.json), merged over the harness defaults. */
  userSettings?: Record<string, unknown>;
  /**
   * Remote settings (code-server's Machine/settings.json, the Settings editor's "Remote" tab):
   * where machine-scoped settings such as `relay.student.model` live in a remote window. Put in
   * the user settings, VS Code reads them at startup but drops them when it re-reads the user
   * settings after any settings write.
   */
  machineSettings?: Record<string, unknown>;
  /** Files to create in the workspace folder: relative path -> content. */
  workspaceFiles?: Record<string, string>;
  /** Workspace settings, written to .vscode/settings.json when given. */
  workspaceSettings?: Record<string, unknown>;
  /** Install the repo's extension (default true). */
  installExtension?: boolean;
  /** Other unpacked extension folders to install (copied as publisher.name-version). */
  extraExtensions?: string[];
  /** Open the workspace folder (default true); false opens an empty window. */
  openFolder?: boolean;
  /** Extra environment for code-server (and so for the extension host). */
  env?: Record<string, string>;
  /** Extra URL query for the workbench page, e.g. { payload: … }; a function gets the chosen port. */
  query?: Record<string, string> | ((server: { port: number; workspaceDir: string }) => Record<string, string>);
  /** Called with the page before the workbench loads (exposeFunction and the like). */
  beforeGoto?: (page: PWPage) => Promise<void>;
  /**
   * What to wait for before returning: the workbench, or (default) the activation of the installed
   * extensions having started (see waitForExtensions).
   */
  waitFor?: "workbench" | "activation";
  /** Extension ids whose activation to wait for (default: the repo's when installed, plus extraExtensions). */
  waitForExtensions?: string[];
  viewport?: { width: number; height: number };
  /** Default timeout of playwright actions (default 15 s). */
  actionTimeoutMs?: number;
  /** Time allowed for code-server + workbench startup (default 90 s). */
  startupTimeoutMs?: number;
  /** Keep the temp folder after close (also RELAY_E2E_KEEP=1). */
  keepTemp?: boolean;
}

/** Settings that keep the workbench quiet and deterministic; userSettings override them. */
export const DEFAULT_USER_SETTINGS: Readonly<Record<string, unknown>> = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.enableExperiments": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "git.enabled": false,
  "git.openRepositoryInParentFolders": "never",
  "editor.acceptSuggestionOnEnter": "off",
  "editor.quickSuggestions": { other: false, comments: false, strings: false },
  "editor.suggestOnTriggerCharacters": false,
  "editor.wordBasedSuggestions": "off",
  "editor.autoClosingBrackets": "never",
  "editor.autoClosingQuotes": "never",
  "files.autoSave": "off",
  "window.restoreWindows": "none",
};


/** How much of the Relay output channel a failure message carries. */
const RELAY_LOG_LINES = 15;

/** Adds lines to an error's message and to its stack (which the test reporter prints when it has one). */
function appendToError(error: unknown, text: string): void {
  if (!(error instanceof Error)) return;
  error.message += `\n${text}`;
  if (error.stack) error.stack += `\n${text}`;
}

// Everything started here is stopped on close, exit, SIGINT and SIGTERM.
const live = new Set<VSCode>();
let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", () => {
    for (const vs of live) vs.killNow();
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      for (const vs of live) vs.killNow();
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
}

/** Starts code-server + Chromium with a fresh profile and workspace; see StartOptions. */
export async function startVSCode(options: StartOptions = {}): Promise<VSCode> {
  const install = CODE_SERVER_INSTALLS[options.vscode ?? defaultVSCodeChoice()];
  if (!existsSync(install.entry)) throw new Error(`code-server ${install.version} not found at ${install.entry}: ${setupHint(install.choice)}`);
  if (!existsSync(install.node)) throw new Error(`Node for code-server ${install.version} not found at ${install.node}: ${setupHint(install.choice)}`);
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`chromium not found at ${CHROMIUM_PATH}: ${SETUP_HINT}`);
  loadPlaywright();
  const vs = new VSCode(options);
  live.add(vs);
  installExitHooks();
  try {
    await vs.start();
    return vs;
  } catch (error) {
    await vs.saveArtifacts(`${sanitize(options.name ?? "vscode")}-startup`, error).catch(() => undefined);
    await vs.close();
    throw error;
  }
}

export class VSCode extends Workbench {
  readonly name: string;
  /** Temp folder holding everything below. */
  readonly root: string;
  readonly userDataDir: string;
  /** Installed folder of the repo's extension (undefined when installExtension is false). */
  extensionDir: string | undefined;
  url = "";
  private readonly server: CodeServer;
  private session: BrowserSession | undefined;
  private closing: Promise<void> | undefined;
  private readonly options: StartOptions;
  /** The code-server this window runs on (its version, VS Code's, its Node). */
  readonly install: CodeServerInstall;

  constructor(options: StartOptions) {
    const name = sanitize(options.name ?? "vscode");
    const root = mkdtempSync(join(tmpdir(), `relay-e2e-${name}-`));
    super(extensionId(), join(root, "workspace"), join(root, "extensions"));
    this.options = options;
    this.install = CODE_SERVER_INSTALLS[options.vscode ?? defaultVSCodeChoice()];
    this.name = name;
    this.root = root;
    this.userDataDir = join(root, "user-data");
    this.server = new CodeServer({
      root,
      userDataDir: this.userDataDir,
      extensionsDir: this.extensionsDir,
      workspaceDir: (options.openFolder ?? true) ? this.workspaceDir : undefined,
      workspaceTrust: options.workspaceTrust ?? false,
      env: options.env,
      install: CODE_SERVER_INSTALLS[options.vscode ?? defaultVSCodeChoice()],
    });
  }

  /** The port code-server listens on (127.0.0.1). */
  get port(): number {
    return this.server.port;
  }

  /** The Chromium instance (undefined before start and after a failed launch). */
  get browser(): PWBrowser | undefined {
    return this.session?.browser;
  }

  /** @internal */
  async start(): Promise<void> {
    const o = this.options;
    const trust = o.workspaceTrust ?? false;
    this.writeProfile(trust);
    const startupTimeout = o.startupTimeoutMs ?? 90_000;
    await this.server.start(startupTimeout);

    this.session = await launchBrowser({ root: this.root, viewport: o.viewport, actionTimeoutMs: o.actionTimeoutMs });
    this.page = this.session.page;
    if (o.beforeGoto) await o.beforeGoto(this.page);
    const query = new URLSearchParams();
    if (o.openFolder ?? true) query.set("folder", this.workspaceDir);
    else query.set("ew", "true");
    const extra = typeof o.query === "function" ? o.query({ port: this.port, workspaceDir: this.workspaceDir }) : o.query;
    for (const [k, v] of Object.entries(extra ?? {})) query.set(k, v);
    this.url = `http://127.0.0.1:${this.port}/?${query.toString()}`;
    await this.page.goto(this.url, { timeout: startupTimeout, waitUntil: "domcontentloaded" });
    await this.page.locator(".monaco-workbench .part.statusbar").waitFor({ state: "visible", timeout: startupTimeout });
    if ((o.waitFor ?? "activation") === "activation") for (const id of this.activationIds()) await this.waitForActivation(startupTimeout, id);
  }

  /** User settings, workspace files and settings, and the installed extensions. */
  private writeProfile(trust: boolean): void {
    const o = this.options;
    for (const d of [join(this.userDataDir, "User"), this.extensionsDir, this.workspaceDir]) mkdirSync(d, { recursive: true });
    const trustSettings = trust
      ? { "security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never", "security.workspace.trust.emptyWindow": false }
      : { "security.workspace.trust.enabled": false };
    const user = { ...DEFAULT_USER_SETTINGS, ...trustSettings, ...o.userSettings };
    writeFileSync(join(this.userDataDir, "User", "settings.json"), JSON.stringify(user, null, 2));
    // The current VS Code's browser workbench takes machine-scoped settings (relay.student.*) in a
    // server window from the server's machine settings only, as any remote window does; the same
    // settings go there (VS Code 1.100's code-server read them from the user settings), and a
    // test's own machine settings on either.
    const machine = this.install.choice !== "1.100" ? { ...user, ...o.machineSettings } : o.machineSettings;
    if (machine) {
      mkdirSync(join(this.userDataDir, "Machine"), { recursive: true });
      writeFileSync(join(this.userDataDir, "Machine", "settings.json"), JSON.stringify(machine, null, 2));
    }
    for (const [rel, content] of Object.entries(o.workspaceFiles ?? {})) {
      const path = join(this.workspaceDir, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    if (o.workspaceSettings) {
      mkdirSync(join(this.workspaceDir, ".vscode"), { recursive: true });
      writeFileSync(join(this.workspaceDir, ".vscode", "settings.json"), JSON.stringify(o.workspaceSettings, null, 2));
    }
    if (o.installExtension ?? true) this.extensionDir = installExtension(this.extensionsDir, o);
    for (const folder of o.extraExtensions ?? []) {
      const m = readManifest(folder);
      cpSync(folder, join(this.extensionsDir, `${m.publisher}.${m.name}-${m.version}`), { recursive: true });
    }
  }

  /** Extensions whose activation start() waits for: waitForExtensions, else the repo's (when installed) and the extra ones. */
  private activationIds(): string[] {
    if (this.options.waitForExtensions) return this.options.waitForExtensions;
    const extra = (this.options.extraExtensions ?? []).map((folder) => extensionId(folder));
    return [...(this.extensionDir ? [this.extensionId] : []), ...extra];
  }

  /** Waits until the extension host has begun activating the extension, and fails if it says activation failed. */
  waitForActivation(timeoutMs = 60_000, id = this.extensionId): Promise<void> {
    return this.server.waitForActivation(id, timeoutMs);
  }

  /** Saves a screenshot under test-results/e2e/ (name may contain folders; .png is added). */
  screenshot(name: string): Promise<string> {
    return saveScreenshot(this.page, name);
  }

  // -------------------------------------------------------------------------------------------
  // Logs (server.ts reads them)

  /** The newest session folder under USER_DATA_DIR/logs. */
  logsDir(): string | undefined {
    return this.server.logsDir();
  }

  /** Files of the extension host logs (logs/<session>/exthost<N>/**), extension output channels included. */
  extensionHostLogFiles(): string[] {
    return this.server.extensionHostLogFiles();
  }

  /** All extension host log files concatenated, each under a "==> path <==" header. */
  extensionHostLog(): string {
    return this.server.extensionHostLog();
  }

  /** An output channel's log ("Relay" -> exthost*\/<extension id>/Relay.log, or output_logging_*\/N-Relay.log). */
  outputChannelLog(channel: string): string {
    return this.server.outputChannelLog(channel);
  }

  /** Waits until the extension host logs match `pattern`; returns the match. */
  async waitForLog(pattern: RegExp, options: { timeout?: number; channel?: string } = {}): Promise<RegExpExecArray> {
    return waitUntil(() => pattern.exec(options.channel ? this.outputChannelLog(options.channel) : this.extensionHostLog()) ?? undefined, options.timeout ?? 30_000, `log ${pattern}`, 250);
  }

  /** code-server's own stdout + stderr. */
  serverLog(): string {
    return this.server.serverLog();
  }

  /** Browser console messages seen so far. */
  browserConsole(): string[] {
    return [...(this.session?.consoleLines ?? [])];
  }

  // -------------------------------------------------------------------------------------------
  // Failures and shutdown

  /**
   * Saves what helps to debug a failure under test-results/e2e/<dirName>/: screenshot.png,
   * dom.html, browser-console.log, error.txt, code-server.log and a copy of USER_DATA_DIR/logs.
   */
  saveArtifacts(dirName: string, error?: unknown): Promise<string> {
    return saveArtifacts(
      {
        page: this.session?.page as PWPage | undefined,
        consoleLines: this.session?.consoleLines ?? [],
        serverLog: () => this.serverLog(),
        extensionHostLog: () => this.extensionHostLog(),
        userDataDir: this.userDataDir,
      },
      dirName,
      error,
    );
  }

  /**
   * Wraps a node:test test function: on failure saves artifacts under
   * test-results/e2e/<test name>/ and rethrows.  test("x", vs.wrap(async (t) => { … }))
   */
  wrap<T extends { name: string }>(fn: (t: T) => Promise<void>): (t: T) => Promise<void> {
    return async (t: T) => {
      try {
        await fn(t);
      } catch (error) {
        const dir = await this.saveArtifacts(t.name, error).catch(() => undefined);
        if (dir) appendToError(error, `(e2e artifacts: ${relative(REPO_ROOT, dir)})`);
        // The extension's own account of what it was doing, where only the failure summary is kept (CI).
        const relayLog = this.outputChannelLog("Relay").trimEnd().split("\n").slice(-RELAY_LOG_LINES).join("\n");
        if (relayLog) appendToError(error, `the Relay log's last lines:\n${relayLog}`);
        throw error;
      }
    };
  }

  /** Stops Chromium and code-server (its process group) and removes the temp folder. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    await this.session?.close();
    await this.server.stop();
    live.delete(this);
    if (!(this.options.keepTemp || process.env.RELAY_E2E_KEEP === "1")) rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }

  /** @internal synchronous last-resort kill (process exit / signal). */
  killNow(): void {
    this.session?.killNow();
    this.server.killNow();
  }
}
