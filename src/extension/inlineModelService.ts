/**
 * The model that writes ghost text. By default the student (`relay.inline.model` empty, or the
 * student's own model); otherwise a second model, e.g. a fill-in-the-middle coder beside a chat
 * student. The second model:
 *
 * - loads lazily, after the student (by the first chat or explain, or Reload Student Model) —
 *   never on a keystroke, and never downloaded in Restricted Mode;
 * - shares the window's one llama.cpp runtime (the student's GPU and thread settings, so
 *   `getSharedLlama()` returns the same `Llama`);
 * - is loaded only when it fits beside the student: its memory (weights and context, from the
 *   file's header) is checked against what is free first; when both will not fit the user is
 *   told, and the student writes the ghost text instead;
 * - is unloaded (its jobs cancelled first) when its setting or the student's settings change.
 */
import * as vscode from "vscode";
import { DEFAULT_MODEL_CONTEXT } from "../core/defaults.js";
import { RelayError, errorMessage, isAbortError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { fitSentence, secondModelFits } from "../core/memoryFit.js";
import type { TagMemory } from "../core/policies.js";
import { modelDisplayName } from "../core/recommendedModel.js";
import { getSharedLlama } from "../llama/llama.js";
import { estimateModelMemory, freeMemory } from "../llama/memory.js";
import { findDownloaded, isRemoteModel, resolveModel } from "../llama/modelFile.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { onDidChangeConfig, readConfig } from "./config.js";
import { offer, SHOW_LOG } from "./fixActions.js";
import type { StudentService, StudentUse } from "./studentService.js";

/** Where the inline model stands; every state but "ready" means the student writes ghost text. */
export type InlineModelState =
  | { kind: "student" }
  | { kind: "idle" | "loading"; model: string }
  | { kind: "ready"; model: string; path: string }
  | { kind: "no-room" | "failed"; model: string; reason: string };

const INLINE_SETTINGS: { label: string; command: string; args: unknown[] } = { label: "Open Settings", command: "relay.openSettings", args: ["relay.inline.model"] };

export class InlineModelService implements vscode.Disposable {
  private loaded: LlamaStudent | undefined;
  private loading: Promise<LlamaStudent | undefined> | undefined;
  private loadAbort: AbortController | undefined;
  private problem: { model: string; kind: "no-room" | "failed"; reason: string } | undefined;
  private unloading: Promise<void> = Promise.resolve();
  private readonly jobs = new Map<AbortController, Promise<unknown>>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Whether the inline model has been seen writing `<call>` tags (the auto policy). */
  tagMemory: TagMemory = { seenCommand: false };

  constructor(
    private readonly student: StudentService,
    private readonly log: Logger,
    private readonly storage: vscode.Uri,
  ) {
    this.subscriptions.push(
      this.changed,
      onDidChangeConfig((change) => {
        if (!change.trust && (change.affects("inline.model") || change.affects("student"))) {
          this.problem = undefined;
          void this.unload("settings changed").then(() => this.loadIfWanted());
          this.changed.fire();
        }
      }),
      // Lazily, after the student: when it has loaded, the inline model follows.
      student.onDidChange(() => void this.loadIfWanted()),
    );
  }

  /** The separate inline model chosen ("" when the student writes ghost text). */
  get model(): string {
    const { inline, student } = readConfig();
    return inline.model && inline.model !== student.model ? inline.model : "";
  }

  state(): InlineModelState {
    const model = this.model;
    if (!model) return { kind: "student" };
    if (this.loaded) return { kind: "ready", model, path: this.loaded.path };
    if (this.problem?.model === model) return { kind: this.problem.kind, model, reason: this.problem.reason };
    if (this.loading) return { kind: "loading", model };
    return { kind: "idle", model };
  }

  /** For Show Status and the log: "inline completions: the student", "inline model X (loaded)". */
  describe(): string {
    const s = this.state();
    if (s.kind === "student") return "inline completions by the student";
    const name = modelDisplayName(s.model);
    switch (s.kind) {
      case "ready":
        return `inline model ${name} (loaded)`;
      case "loading":
        return `inline model ${name} (loading)`;
      case "idle":
        return `inline model ${name} (loads after the student)`;
      default:
        return `inline model ${name} (${s.kind === "no-room" ? "does not fit beside the student" : "failed to load"}; the student writes ghost text)`;
    }
  }

  /** The model that serves inline completions now, if loaded (never loads): the inline model, or the student. */
  serving(): { model: LlamaStudent; role: "inline" | "student" } | undefined {
    if (this.loaded) return { model: this.loaded, role: "inline" };
    if (this.state().kind === "loading") return undefined; // not the student's ghost text while the chosen model loads
    const student = this.student.ifLoaded();
    return student ? { model: student, role: "student" } : undefined;
  }

  /**
   * Runs an inline job on the model that serves inline completions, only if it is loaded
   * (undefined otherwise). The job's signal also fires when that model is unloaded.
   */
  async use<T>(options: { signal: AbortSignal; settled?: (result: T) => Promise<unknown> }, job: (use: StudentUse) => Promise<T>): Promise<T | undefined> {
    const serving = this.serving();
    if (!serving) return undefined;
    if (serving.role === "student") return this.student.use({ ...options, load: false }, job);
    const controller = new AbortController();
    const forward = () => controller.abort(options.signal.reason);
    if (options.signal.aborted) forward();
    else options.signal.addEventListener("abort", forward, { once: true });
    const running = job({ student: serving.model, signal: controller.signal, tagMemory: this.tagMemory });
    const done = running.then((r) => options.settled?.(r)).catch(() => {});
    this.jobs.set(controller, done);
    try {
      return await running;
    } finally {
      options.signal.removeEventListener("abort", forward);
      void done.finally(() => this.jobs.delete(controller));
    }
  }

  /** Loads the inline model once the student is loaded, if one is chosen and not loaded or refused yet. */
  private loadIfWanted(): Promise<LlamaStudent | undefined> | undefined {
    const model = this.model;
    if (!model || this.loaded || this.loading || this.problem?.model === model || !this.student.ifLoaded()) return this.loading;
    const loading = this.unloading.then(() => this.load(model));
    this.loading = loading;
    this.changed.fire();
    void loading.finally(() => {
      if (this.loading === loading) this.loading = undefined;
      this.changed.fire();
    });
    return loading;
  }

  private async load(model: string): Promise<LlamaStudent | undefined> {
    const config = readConfig().student;
    const abort = new AbortController();
    this.loadAbort = abort;
    const name = modelDisplayName(model);
    const started = Date.now();
    try {
      const modelsDir = vscode.Uri.joinPath(this.storage, "models").fsPath;
      let path = model;
      if (isRemoteModel(model)) {
        const downloaded = await findDownloaded(model, modelsDir);
        if (downloaded) path = downloaded;
        else if (!vscode.workspace.isTrusted) throw new RelayError("download-restricted", `Relay downloads nothing in Restricted Mode: the inline model ${name} was not downloaded.`);
        else {
          path = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Relay: downloading the inline model ${name}`, cancellable: true }, (progress, token) => {
            const cancel = token.onCancellationRequested(() => abort.abort());
            return resolveModel(model, { modelsDir, signal: abort.signal }).finally(() => cancel.dispose());
          });
        }
      } else {
        path = await resolveModel(model);
      }
      // The student's GPU and thread settings: the same key, so the same runtime.
      const threads = config.threads || undefined;
      const handle = await getSharedLlama({ gpu: config.gpu, threads, logger: this.log });
      const contextSize = Math.min(config.contextSize, DEFAULT_MODEL_CONTEXT.inlineContextSize);
      const verdict = secondModelFits(await estimateModelMemory(handle, path, { contextSize, sequences: 1 }), await freeMemory(handle));
      if (!verdict.fits) {
        const reason = `it ${fitSentence(verdict)}`;
        this.problem = { model, kind: "no-room", reason };
        this.log.warn(`inline model ${path} not loaded: ${reason}; the student writes ghost text`);
        void offer("warning", `Relay: the inline model ${name} and the student will not both fit: ${reason}. Ghost text comes from the student instead. Choose a smaller inline model, or leave relay.inline.model empty.`, [INLINE_SETTINGS, SHOW_LOG]);
        return undefined;
      }
      const loaded = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Relay: loading the inline model (${name})` }, () =>
        LlamaStudent.load({ model: path, gpu: config.gpu, threads, contextSize, sequences: 1, thinking: false, modelsDir, signal: abort.signal, logger: this.log }),
      );
      if (abort.signal.aborted || this.model !== model) {
        await loaded.dispose("settings changed");
        return undefined;
      }
      this.loaded = loaded;
      this.tagMemory = { seenCommand: false };
      this.log.info(`inline model ready in ${Date.now() - started} ms: ${loaded.path} (inline completions; the student answers chat and explain)`);
      return loaded;
    } catch (error) {
      if (isAbortError(error) || abort.signal.aborted) return undefined;
      const reason = errorMessage(error);
      this.problem = { model, kind: "failed", reason };
      this.log.error(`inline model: ${reason}`);
      void offer("error", `Relay: the inline model ${name} could not be loaded: ${reason} Ghost text comes from the student instead.`, [INLINE_SETTINGS, SHOW_LOG]);
      return undefined;
    } finally {
      if (this.loadAbort === abort) this.loadAbort = undefined;
    }
  }

  /** Cancels the jobs using the inline model, waits for them, and frees it. */
  unload(reason: string): Promise<void> {
    const current = this.loaded;
    const loading = this.loading;
    this.loaded = undefined;
    this.loading = undefined;
    this.loadAbort?.abort();
    this.loadAbort = undefined;
    const previous = this.unloading;
    this.unloading = (async () => {
      await previous;
      await loading?.catch(() => undefined);
      if (!current) return;
      const stop = new RelayError("model-unloaded", `The inline model was unloaded (${reason}).`);
      for (const controller of this.jobs.keys()) controller.abort(stop);
      await Promise.all(this.jobs.values());
      await current.dispose(reason);
      this.log.info(`inline model unloaded (${reason})`);
      this.changed.fire();
    })();
    return this.unloading;
  }

  /** Unloads the model and waits for it (deactivation, before the student). */
  async close(): Promise<void> {
    for (const s of this.subscriptions) s.dispose();
    await this.unload("extension deactivated");
  }

  dispose(): void {
    void this.close();
  }
}
