/**
 * The configured teacher, or none: off in Restricted Mode, when paused, or when no URL and
 * model are set. The API key lives in SecretStorage; requests are logged to a file that the
 * "Show Teacher Requests" command opens (exactly what left the machine).
 */
import * as vscode from "vscode";
import { TeacherBreaker, type BreakerStatus } from "../core/breaker.js";
import type { Logger } from "../core/logger.js";
import type { Teacher } from "../core/models.js";
import type { TeacherLogEntry, TeacherRequestLog } from "../core/teacherLog.js";
import { FileTeacherLog } from "../io/fileTeacherLog.js";
import { OpenAITeacher } from "../teacher/openaiTeacher.js";
import type { TaskPrompt } from "../core/prompts.js";
import { promptRenderer } from "../llama/chatFormat.js";
import { readConfig } from "./config.js";

const SECRET_KEY = "relay.teacher.apiKey";
const PAUSED_KEY = "relay.teacherPaused";

export class TeacherService implements vscode.Disposable {
  private teacher: OpenAITeacher | undefined;
  private breakerOff: () => void = () => {};
  /** Shared by every answer of this window; a new one when the teacher settings change. */
  breaker = this.newBreaker();
  /** The renderer of `relay.teacher.promptTemplate`, made ready by prepare(). */
  private renderer: { name: string; render: (task: TaskPrompt) => string } | undefined;
  private apiKey: string | undefined;
  readonly log: FileTeacherLog;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly logger: Logger,
  ) {
    const summary: TeacherRequestLog = {
      record: (e: TeacherLogEntry) =>
        logger.info(`teacher request → ${e.model} (${e.style}): ${e.error ? `failed: ${e.error}` : `${e.usage?.completionTokens ?? "?"} tokens`} in ${e.durationMs} ms`),
    };
    this.log = new FileTeacherLog(vscode.Uri.joinPath(context.globalStorageUri, "teacher-requests.jsonl").fsPath, summary, {
      onError: (error) => logger.warn(`teacher request log: could not write ${this.log.path}: ${(error as Error).message}`),
    });
    this.subscriptions.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("relay.teacher")) this.invalidate();
      }),
      context.secrets.onDidChange((e) => {
        if (e.key === SECRET_KEY) void this.loadKey().then(() => this.invalidate());
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.invalidate()),
    );
  }

  async init(): Promise<void> {
    await this.loadKey();
  }

  get paused(): boolean {
    return this.context.workspaceState.get<boolean>(PAUSED_KEY, false);
  }

  async setPaused(paused: boolean): Promise<void> {
    await this.context.workspaceState.update(PAUSED_KEY, paused);
    this.logger.info(`teacher ${paused ? "paused" : "resumed"} for this workspace`);
    this.changed.fire();
  }

  /** The teacher is down (its breaker is open): what failed, where, and when it is tried again. */
  unreachable(): BreakerStatus | undefined {
    const status = this.breaker.current;
    return status.state === "closed" ? undefined : status;
  }

  private newBreaker(): TeacherBreaker {
    const breaker = new TeacherBreaker();
    this.breakerOff();
    this.breakerOff = breaker.onChange((status, previous) => {
      this.changed.fire();
      if (status.state === "open" && previous.state === "closed") this.notifyUnreachable(status);
      if (status.state === "closed") this.logger.info("teacher reachable again");
    });
    return breaker;
  }

  /** One notification per outage (episode), naming the URL and the status. */
  private notifyUnreachable(status: BreakerStatus): void {
    const url = status.last?.url ?? readConfig().teacher.url;
    const what = status.last?.status ?? status.last?.code ?? "failed";
    const retry = Math.max(1, Math.round(((status.retryAt ?? Date.now()) - Date.now()) / 1000));
    this.logger.warn(`teacher unreachable at ${url} (${what}): ${status.last?.message ?? ""}`);
    void vscode.window
      .showWarningMessage(`Relay: the teacher at ${url} is unreachable (${what}). The student carries on alone; the teacher is tried again in ${retry} s.`, "Open Settings", "Show Log")
      .then((choice) => {
        if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", "relay.teacher");
        if (choice === "Show Log") void vscode.commands.executeCommand("relay.showLog");
      });
  }

  /** Why there is no teacher, or undefined when there is one. */
  offReason(): string | undefined {
    if (!vscode.workspace.isTrusted) return "Restricted Mode";
    if (this.paused) return "paused";
    const { url, model } = readConfig().teacher;
    if (!url || !model) return "not configured";
    return undefined;
  }

  /** Loads what current() needs that cannot be had synchronously (a teacher prompt template). */
  async prepare(): Promise<void> {
    const name = readConfig().teacher.promptTemplate;
    if (name === "student" || this.renderer?.name === name) return;
    this.renderer = { name, render: await promptRenderer(name) };
    this.teacher = undefined;
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
        renderPrompt: t.promptTemplate !== "student" && this.renderer?.name === t.promptTemplate ? this.renderer.render : undefined,
      });
    }
    return this.teacher;
  }

  describe(): string {
    const reason = this.offReason();
    return reason ? `teacher off (${reason})` : `teacher ${readConfig().teacher.model}`;
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
    this.breaker = this.newBreaker();
    this.changed.fire();
  }

  /** Stops listening and waits for the request log to be written (deactivation). */
  async close(): Promise<void> {
    this.dispose();
    await this.log.close();
  }

  dispose(): void {
    this.breakerOff();
    for (const s of this.subscriptions) s.dispose();
  }
}
