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
import type { TaskPrompt } from "../core/prompts.js";
import { promptRenderer } from "../llama/chatFormat.js";
import { readConfig } from "./config.js";

const SECRET_KEY = "relay.teacher.apiKey";
const PAUSED_KEY = "relay.teacherPaused";

export class TeacherService implements vscode.Disposable {
  private teacher: OpenAITeacher | undefined;
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
    this.log = new FileTeacherLog(vscode.Uri.joinPath(context.globalStorageUri, "teacher-requests.jsonl").fsPath, summary);
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
    this.changed.fire();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
