/**
 * The window's one student model, shared by chat, explain and inline completions. Loaded on
 * first use (with a cancellable progress notification when it downloads), reloaded when its
 * settings change, and explained with a fix action when it cannot load.
 */
import * as vscode from "vscode";
import { RelayError, errorMessage } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { TagMemory } from "../core/policies.js";
import { isRemoteModel } from "../llama/modelFile.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { readConfig } from "./config.js";

export class StudentService implements vscode.Disposable {
  private loading: Promise<LlamaStudent> | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Whether the loaded model has been seen writing `<call>` tags (the auto policy). */
  tagMemory: TagMemory = { seenCommand: false };

  constructor(
    private readonly log: Logger,
    private readonly storage: vscode.Uri,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("relay.student")) void this.unload("settings changed");
      }),
    );
  }

  /** The loaded student, loading it first if needed. Rejects with a RelayError. */
  get(): Promise<LlamaStudent> {
    if (!this.loading) {
      this.loading = this.load();
      this.loading.catch(() => (this.loading = undefined));
    }
    return this.loading;
  }

  /** The student if it is already loaded (for cheap paths such as inline completions). */
  async ifLoaded(): Promise<LlamaStudent | undefined> {
    if (!this.loading) return undefined;
    try {
      return await this.loading;
    } catch {
      return undefined;
    }
  }

  async unload(reason: string): Promise<void> {
    const current = this.loading;
    this.loading = undefined;
    this.tagMemory = { seenCommand: false };
    if (!current) return;
    try {
      const student = await current;
      await student.dispose();
      this.log.info(`student unloaded (${reason})`);
    } catch {
      // it never loaded
    }
  }

  private async load(): Promise<LlamaStudent> {
    const config = readConfig().student;
    const modelsDir = vscode.Uri.joinPath(this.storage, "models").fsPath;
    const started = Date.now();
    const load = (onProgress?: (p: { downloadedBytes: number; totalBytes: number }) => void, signal?: AbortSignal) =>
      LlamaStudent.load({
        model: config.model,
        gpu: config.gpu,
        threads: config.threads || undefined,
        contextSize: config.contextSize,
        thinking: config.thinking,
        sequences: 2,
        modelsDir,
        onProgress,
        signal,
        logger: this.log,
      });
    try {
      const student = isRemoteModel(config.model)
        ? await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `Relay: downloading ${config.model}`, cancellable: true },
            async (progress, token) => {
              const controller = new AbortController();
              token.onCancellationRequested(() => controller.abort());
              let reported = 0;
              return load(({ downloadedBytes, totalBytes }) => {
                const pct = totalBytes ? (downloadedBytes / totalBytes) * 100 : 0;
                progress.report({ message: `${(downloadedBytes / 1e6).toFixed(0)} / ${(totalBytes / 1e6).toFixed(0)} MB`, increment: pct - reported });
                reported = pct;
              }, controller.signal);
            },
          )
        : await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "Relay: loading the student model" }, () => load());
      this.log.info(`student ready in ${Date.now() - started} ms: ${student.path}`);
      return student;
    } catch (error) {
      void this.explain(error);
      throw error;
    }
  }

  /** An error notification with the action that fixes it. */
  private async explain(error: unknown): Promise<void> {
    const code = error instanceof RelayError ? error.code : "model-load-failed";
    if (code === "aborted") return;
    this.log.error(`student model: ${errorMessage(error)}`);
    const actions: Record<string, string> = {
      "model-not-found": "Choose Model File…",
      "model-corrupt": "Choose Model File…",
      "model-out-of-memory": "Open Settings",
      "model-download-failed": "Open Settings",
      "model-load-failed": "Open Settings",
    };
    const hint = code === "model-out-of-memory" ? " Try a smaller model or quantization, or a smaller context size." : "";
    const action = actions[code] ?? "Open Settings";
    const choice = await vscode.window.showErrorMessage(`Relay: ${errorMessage(error)}${hint}`, action, "Show Log");
    if (choice === "Choose Model File…") await vscode.commands.executeCommand("relay.chooseModelFile");
    else if (choice === "Open Settings") await vscode.commands.executeCommand("workbench.action.openSettings", "relay.student");
    else if (choice === "Show Log") await vscode.commands.executeCommand("relay.showLog");
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    void this.unload("extension deactivated");
  }
}
