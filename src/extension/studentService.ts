/**
 * The window's one student model, shared by chat, explain and inline completions. Loaded on
 * first use by `get()` (with a cancellable progress notification when it downloads); `ifLoaded()`
 * never loads (a keystroke must not start a load or a download). Unloading (settings change,
 * Reload, deactivation) cancels the answers using the model first, then frees it.
 */
import * as vscode from "vscode";
import { RelayError, errorMessage } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { TagMemory } from "../core/policies.js";
import { isRemoteModel } from "../llama/modelFile.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { readConfig } from "./config.js";
import { showRelayError } from "./fixActions.js";

/** What a job gets while it uses the student: the model, and a signal that fires on unload. */
export interface StudentUse {
  student: LlamaStudent;
  /** Fires when the job's own signal does, or when the student is unloaded (reason: a model-unloaded RelayError). */
  signal: AbortSignal;
}

export class StudentService implements vscode.Disposable {
  private loading: Promise<LlamaStudent> | undefined;
  /** The student once loading has finished. */
  private loaded: LlamaStudent | undefined;
  private loadAbort: AbortController | undefined;
  private unloading: Promise<void> = Promise.resolve();
  /** Jobs using the student: cancelled and awaited before it is unloaded. */
  private readonly jobs = new Map<AbortController, Promise<unknown>>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the student has loaded or been unloaded. */
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Whether the loaded model has been seen writing `<call>` tags (the auto policy). */
  tagMemory: TagMemory = { seenCommand: false };

  constructor(
    private readonly log: Logger,
    private readonly storage: vscode.Uri,
  ) {
    this.subscriptions.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("relay.student")) void this.unload("settings changed");
      }),
    );
  }

  /** The loaded student, loading it first if needed. Rejects with a RelayError. */
  get(): Promise<LlamaStudent> {
    if (!this.loading) {
      const loading = this.unloading.then(() => this.load());
      this.loading = loading;
      loading.then(
        (student) => {
          if (this.loading === loading) this.loaded = student;
          this.changed.fire();
        },
        () => {
          if (this.loading === loading) this.loading = undefined;
        },
      );
    }
    return this.loading;
  }

  /** The student if it has finished loading, else undefined: never starts a load or a download. */
  ifLoaded(): LlamaStudent | undefined {
    return this.loaded;
  }

  /**
   * Runs `job` with the student (`load: false`: only if it is loaded already; undefined when it
   * is not). The job's signal also fires when the student is unloaded; the unload waits for the
   * job (and for `settled`, e.g. the sequence being freed) to finish.
   */
  async use<T>(options: { signal: AbortSignal; load?: boolean; settled?: (result: T) => Promise<unknown> }, job: (use: StudentUse) => Promise<T>): Promise<T | undefined> {
    const student = options.load === false ? this.ifLoaded() : await this.get();
    if (!student) return undefined;
    const controller = new AbortController();
    const forward = () => controller.abort(options.signal.reason);
    if (options.signal.aborted) forward();
    else options.signal.addEventListener("abort", forward, { once: true });
    const running = job({ student, signal: controller.signal });
    const done = running.then((r) => options.settled?.(r)).catch(() => {});
    this.jobs.set(controller, done);
    try {
      return await running;
    } finally {
      options.signal.removeEventListener("abort", forward);
      void done.finally(() => this.jobs.delete(controller));
    }
  }

  /** Cancels the jobs using the student, waits for them, and frees the model. */
  unload(reason: string): Promise<void> {
    const current = this.loading;
    this.loading = undefined;
    this.loaded = undefined;
    this.tagMemory = { seenCommand: false };
    this.loadAbort?.abort();
    this.loadAbort = undefined;
    const previous = this.unloading;
    this.unloading = (async () => {
      await previous;
      if (!current) return;
      const stop = new RelayError("model-unloaded", `The student model was unloaded (${reason}).`);
      for (const controller of this.jobs.keys()) controller.abort(stop);
      await Promise.all(this.jobs.values());
      let student: LlamaStudent;
      try {
        student = await current;
      } catch {
        return; // it never loaded
      }
      await student.dispose(reason); // logs "student unloaded (reason)"
      this.changed.fire();
    })();
    return this.unloading;
  }

  private async load(): Promise<LlamaStudent> {
    const config = readConfig().student;
    const modelsDir = vscode.Uri.joinPath(this.storage, "models").fsPath;
    const started = Date.now();
    const abort = new AbortController();
    this.loadAbort = abort;
    const load = (onProgress?: (p: { downloadedBytes: number; totalBytes: number }) => void, signal: AbortSignal = abort.signal) =>
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
              const cancelled = token.onCancellationRequested(() => abort.abort());
              let reported = 0;
              try {
                return await load(({ downloadedBytes, totalBytes }) => {
                  const pct = totalBytes ? (downloadedBytes / totalBytes) * 100 : 0;
                  progress.report({ message: `${(downloadedBytes / 1e6).toFixed(0)} / ${(totalBytes / 1e6).toFixed(0)} MB`, increment: pct - reported });
                  reported = pct;
                });
              } finally {
                cancelled.dispose();
              }
            },
          )
        : await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "Relay: loading the student model" }, () => load());
      this.log.info(`student ready in ${Date.now() - started} ms: ${student.path}`);
      return student;
    } catch (error) {
      this.log.error(`student model: ${errorMessage(error)}`);
      void showRelayError(error);
      throw error;
    } finally {
      if (this.loadAbort === abort) this.loadAbort = undefined;
    }
  }

  /** Unloads the model and waits for it (deactivation). */
  async close(): Promise<void> {
    for (const s of this.subscriptions) s.dispose();
    await this.unload("extension deactivated");
  }

  dispose(): void {
    void this.close();
  }
}
