/**
 * The configured teacher, or none: off in Restricted Mode, when paused, or when no URL and
 * model are set. The API key lives in SecretStorage; requests are logged to a file that the
 * "Show Teacher Requests" command opens (exactly what left the machine).
 */
import * as vscode from "vscode";
import type { Logger } from "../core/logger.js";
import type { Teacher } from "../core/models.js";
import type { TeacherLogEntry, TeacherRequestLog } from "../core/teacherLog.js";
import { FileTeacherLog } from "../io/fileTeacherLog.js";
import { OpenAITeacher } from "../teacher/openaiTeacher.js";
import { readConfig } from "./config.js";
import { SETTING_SCHEMAS } from "./settings.js";

const SECRET_KEY = "relay.teacher.apiKey";
const PAUSED_KEY = "relay.teacherPaused";
/** The user chose to go on without a teacher (the welcome view's "Continue Student-Only"). */
const STUDENT_ONLY_KEY = "relay.studentOnly";

/**
 * Why the teacher is (not) asked now. The status bar and the chat header show each with its own
 * text: "restricted" (Restricted Mode), "paused" (this workspace), "not-configured" (no URL or
 * model), "student-only" (the user chose to go on without one), "on".
 */
export type TeacherState = { kind: "on"; model: string; url: string } | { kind: "restricted" | "paused" | "not-configured" | "student-only" };

/** A URL as it may be logged and shown: no user name, password, query or fragment. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(invalid URL)";
  }
}

export class TeacherService implements vscode.Disposable {
  private teacher: OpenAITeacher | undefined;
  private apiKey: string | undefined;
  readonly log: FileTeacherLog;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The teacher's requests are failing: from the first failure until one succeeds (an episode). */
  private failing: { url: string; error: string } | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly logger: Logger,
  ) {
    const summary: TeacherRequestLog = {
      record: (e: TeacherLogEntry) => {
        logger.info(`teacher request → ${e.model}${e.url ? ` at ${displayUrl(e.url)}` : ""} (${e.style}): ${e.error ? `failed: ${e.error}` : `${e.usage?.completionTokens ?? "?"} tokens`} in ${e.durationMs} ms`);
        this.observe(e);
      },
    };
    this.log = new FileTeacherLog(vscode.Uri.joinPath(context.globalStorageUri, "teacher-requests.jsonl").fsPath, summary, {
      onError: (error) => logger.warn(`teacher request log: could not write ${this.log.path}: ${(error as Error).message}`),
    });
    this.subscriptions.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("relay.teacher")) {
          this.invalidate();
          if (e.affectsConfiguration("relay.teacher.url") || e.affectsConfiguration("relay.teacher.model") || e.affectsConfiguration("relay.teacher.apiStyle")) this.logConfigured();
        }
      }),
      context.secrets.onDidChange((e) => {
        if (e.key === SECRET_KEY) void this.loadKey().then(() => this.invalidate());
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.invalidate()),
    );
  }

  /**
   * Follows each teacher request: the first failure starts an "unreachable" episode (one
   * notification with the URL and the reason, the status bar says so); a success ends it.
   */
  private observe(e: TeacherLogEntry): void {
    if (e.error === "cancelled") return;
    if (!e.error) {
      if (this.failing) {
        this.logger.info(`teacher reachable again at ${displayUrl(this.failing.url)}`);
        this.failing = undefined;
        this.changed.fire();
      }
      return;
    }
    if (this.failing) return;
    const url = displayUrl(e.url ?? readConfig().teacher.url);
    const error = e.error.replace(/\.+$/, "");
    this.failing = { url, error };
    this.logger.warn(`teacher unreachable at ${url}: ${error}`);
    this.changed.fire();
    void vscode.window
      .showErrorMessage(`Relay: the teacher at ${url} is not answering (${error}). The student goes on alone; Relay tries the teacher again with the next call.`, "Configure Teacher…", "Pause Teacher", "Show Log")
      .then((choice) => {
        if (choice === "Configure Teacher…") void vscode.commands.executeCommand("relay.configureTeacher");
        else if (choice === "Pause Teacher") void this.setPaused(true);
        else if (choice === "Show Log") void vscode.commands.executeCommand("relay.showLog");
      });
  }

  /** While the teacher is on but its requests fail: where, and why (the last episode's first failure). */
  get unreachable(): { url: string; error: string } | undefined {
    return this.state().kind === "on" ? this.failing : undefined;
  }

  async init(): Promise<void> {
    await this.loadKey();
    this.logConfigured();
  }

  /** The teacher's URL goes to the log (never a key): where requests will go. */
  private logConfigured(): void {
    const t = readConfig().teacher;
    if (t.url && t.model) this.logger.info(`teacher: ${t.model} at ${displayUrl(t.url)} (${t.apiStyle}${this.apiKey ? ", with an API key" : ""})`);
    else this.logger.info("teacher: not configured (the student answers alone)");
  }

  /** The teacher's state now (see TeacherState). */
  state(): TeacherState {
    if (!vscode.workspace.isTrusted) return { kind: "restricted" };
    const { url, model } = readConfig().teacher;
    if (!url || !model) return { kind: this.studentOnly ? "student-only" : "not-configured" };
    if (this.paused) return { kind: "paused" };
    return { kind: "on", model, url };
  }

  /** Whether the user chose to go on without a teacher. */
  get studentOnly(): boolean {
    return this.context.globalState.get<boolean>(STUDENT_ONLY_KEY, false);
  }

  async continueStudentOnly(): Promise<void> {
    await this.context.globalState.update(STUDENT_ONLY_KEY, true);
    this.logger.info("going on student-only (no teacher)");
    this.changed.fire();
    void vscode.window.showInformationMessage("Relay: going on with the student alone. Configure a teacher any time with Relay: Configure Teacher….");
  }

  /** The chat header's text after "Teacher: " (short; the state's own words). */
  label(): string {
    const s = this.state();
    switch (s.kind) {
      case "on":
        return this.failing ? `${s.model} (unreachable)` : s.model;
      case "restricted":
        return "off (Restricted Mode)";
      case "paused":
        return "paused";
      case "not-configured":
        return "not configured";
      case "student-only":
        return "none (student only)";
    }
  }

  /**
   * Asks for the teacher's URL, model and (optional) API key, in that order, and saves them:
   * URL and model in the user settings (they decide where code is sent), the key in
   * SecretStorage. Escape at any step changes nothing.
   */
  async configure(): Promise<boolean> {
    const current = readConfig().teacher;
    const title = (step: number) => `Relay: configure the teacher (${step}/3)`;
    const url = await vscode.window.showInputBox({
      title: title(1),
      prompt: "The base URL of an OpenAI-compatible API (llama-server, vLLM, a hosted provider)",
      value: current.url || "http://127.0.0.1:8000/v1",
      ignoreFocusOut: true,
      validateInput: (v) => {
        const r = SETTING_SCHEMAS["teacher.url"].safeParse(v);
        return !r.success ? r.error.issues[0]?.message : v.trim() === "" ? "A URL is needed (Escape to cancel)" : undefined;
      },
    });
    if (url === undefined) return false;
    const model = await vscode.window.showInputBox({
      title: title(2),
      prompt: "The teacher model's name at that API",
      value: current.model,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : "A model name is needed (Escape to cancel)"),
    });
    if (model === undefined) return false;
    const key = await vscode.window.showInputBox({
      title: title(3),
      prompt: this.apiKey ? "API key (empty keeps the saved key). Stored in VS Code's secret storage, never in settings or logs." : "API key, if the provider needs one (empty for none). Stored in VS Code's secret storage, never in settings or logs.",
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) return false;
    const relay = vscode.workspace.getConfiguration("relay");
    await relay.update("teacher.url", url.trim(), vscode.ConfigurationTarget.Global);
    await relay.update("teacher.model", model.trim(), vscode.ConfigurationTarget.Global);
    if (key.trim()) await this.context.secrets.store(SECRET_KEY, key.trim());
    await this.context.globalState.update(STUDENT_ONLY_KEY, false);
    if (this.paused) await this.setPaused(false);
    this.changed.fire();
    void vscode.window.showInformationMessage(`Relay: the teacher is ${model.trim()} at ${displayUrl(url.trim())}${key.trim() ? " (API key saved)" : ""}.`);
    return true;
  }

  get paused(): boolean {
    return this.context.workspaceState.get<boolean>(PAUSED_KEY, false);
  }

  async setPaused(paused: boolean): Promise<void> {
    await this.context.workspaceState.update(PAUSED_KEY, paused);
    this.failing = undefined;
    this.logger.info(`teacher ${paused ? "paused" : "resumed"} for this workspace`);
    this.changed.fire();
  }

  /** Why there is no teacher, or undefined when there is one. */
  offReason(): string | undefined {
    const s = this.state();
    return s.kind === "on" ? undefined : s.kind === "restricted" ? "Restricted Mode" : this.label();
  }

  /** The teacher for a request now, or undefined. */
  current(): Teacher | undefined {
    if (this.offReason()) return undefined;
    if (!this.teacher) {
      const t = readConfig().teacher;
      this.teacher = new OpenAITeacher({
        baseURL: t.url,
        model: t.model,
        apiKey: this.apiKey,
        style: t.apiStyle,
        temperature: t.temperature,
        timeoutMs: t.timeoutMs,
        log: this.log,
      });
    }
    return this.teacher;
  }

  /** The teacher for Show Status and the log: "teacher m at http://host/v1", "teacher paused", … */
  describe(): string {
    const s = this.state();
    return s.kind === "on" ? `teacher ${s.model} at ${displayUrl(s.url)}${this.failing ? ` (unreachable: ${this.failing.error})` : ""}` : s.kind === "restricted" ? "teacher off (Restricted Mode)" : `teacher ${this.label()}`;
  }

  async setApiKey(): Promise<void> {
    const key = await vscode.window.showInputBox({
      title: "Relay: teacher API key",
      prompt: "Stored in VS Code's secret storage; never written to settings or logs.",
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) return;
    await this.context.secrets.store(SECRET_KEY, key.trim());
    void vscode.window.showInformationMessage("Relay: teacher API key saved.");
  }

  async clearApiKey(): Promise<void> {
    await this.context.secrets.delete(SECRET_KEY);
    void vscode.window.showInformationMessage("Relay: teacher API key removed.");
  }

  async showLog(): Promise<void> {
    const uri = vscode.Uri.file(this.log.path);
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      void vscode.window.showInformationMessage("Relay: no teacher requests yet — nothing has left this machine.");
      return;
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  private async loadKey(): Promise<void> {
    this.apiKey = await this.context.secrets.get(SECRET_KEY);
  }

  private invalidate(): void {
    this.teacher = undefined;
    this.failing = undefined;
    this.changed.fire();
  }

  /** Stops listening and waits for the request log to be written (deactivation). */
  async close(): Promise<void> {
    this.dispose();
    await this.log.close();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
