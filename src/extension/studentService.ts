/**
 * The window's one student model, shared by chat, explain and inline completions. Loaded on
 * first use by `get()`; `ifLoaded()` never loads (a keystroke must not start a load or a
 * download). Unloading (settings change, Reload, deactivation) cancels the answers using the
 * model first, then frees it.
 *
 * Nothing is downloaded until the user says so: on first run no model is chosen (`state()` is
 * "none") and `get()` refuses; a download starts only from `download()` (the welcome view, the
 * walkthrough, the command) or for an `hf:`/URL model the user put in the settings, and never
 * in Restricted Mode.
 */
import { join } from "node:path";
import * as vscode from "vscode";
import { DEFAULT_MODEL_CONTEXT } from "../core/defaults.js";
import { RelayError, errorMessage, isAbortError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { TagMemory } from "../core/policies.js";
import { RECOMMENDED_STUDENT, RELAY_TRAINED_STUDENT, formatBytes, modelDisplayName } from "../core/recommendedModel.js";
import { convertCheckpoint, downloadCheckpoint } from "../io/checkpoint.js";
import { findDownloaded, isRemoteModel, resolveModel } from "../llama/modelFile.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { onDidChangeConfig, readConfig } from "./config.js";
import { CHOOSE_MODEL, offer, showRelayError, type FixAction } from "./fixActions.js";

/** What the job gets while it uses the student: the model, and a signal that fires on unload. */
export interface StudentUse {
  student: LlamaStudent;
  /** Fires when the job's own signal does, or when the student is unloaded (reason: a model-unloaded RelayError). */
  signal: AbortSignal;
  /** Whether this model has written `<call>` tags (the auto policy); default: the student's. */
  tagMemory?: TagMemory;
}

/** Where the student stands, for the welcome view, the status and Show Status. */
export type StudentState =
  | { kind: "none"; lastDownload?: DownloadOutcome }
  | { kind: "idle"; model: string }
  | { kind: "downloading"; model: string; receivedBytes: number; totalBytes: number; converting?: boolean }
  | { kind: "loading"; model: string }
  | { kind: "ready"; model: string; path: string }
  | { kind: "failed"; model: string; error: string };

/** How the last download the user asked for ended, when it did not give a model. */
export interface DownloadOutcome {
  model: string;
  outcome: "cancelled" | "failed";
  error?: string;
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
  /** Fires when the student's state changes (loaded, unloaded, download progress, failure). */
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private progress: { model: string; kind: "downloading" | "loading"; receivedBytes: number; totalBytes: number; converting?: boolean } | undefined;
  private failure: { model: string; error: string } | undefined;
  /** The download the user asked for, while it runs. */
  private downloading: Promise<boolean> | undefined;
  private lastDownload: DownloadOutcome | undefined;
  /** Files downloaded in this window, by model reference: loading uses them and never downloads again. */
  private readonly downloadedFiles = new Map<string, string>();
  /** Whether the loaded model has been seen writing `<call>` tags (the auto policy). */
  tagMemory: TagMemory = { seenCommand: false };

  constructor(
    private readonly log: Logger,
    private readonly storage: vscode.Uri,
    /** This extension's folder: its scripts/ make the converter environment. */
    private readonly extensionPath: string,
  ) {
    this.subscriptions.push(
      this.changed,
      onDidChangeConfig((change) => {
        if (change.affects("student") && !change.trust) {
          this.failure = undefined;
          void this.unload("settings changed");
          this.changed.fire();
        }
      }),
    );
  }

  private get modelsDir(): string {
    return vscode.Uri.joinPath(this.storage, "models").fsPath;
  }

  /** The model chosen in the settings ("" when none is yet). */
  get model(): string {
    return readConfig().student.model;
  }

  state(): StudentState {
    const model = this.model;
    // A download the user asked for shows even before its model is the chosen one (first run).
    if (this.progress?.kind === "downloading") return { ...this.progress, kind: "downloading" };
    if (!model) return this.lastDownload ? { kind: "none", lastDownload: this.lastDownload } : { kind: "none" };
    if (this.loaded) return { kind: "ready", model, path: this.loaded.path };
    if (this.progress?.model === model) return { kind: "loading", model };
    if (this.failure?.model === model) return { kind: "failed", model, error: this.failure.error };
    return { kind: "idle", model };
  }

  /** "Qwen3 1.7B (Q8_0), loaded": the student for Show Status and the logs. */
  describe(): string {
    const s = this.state();
    if (s.kind === "none") return "no student model chosen";
    const name = modelDisplayName(s.model);
    switch (s.kind) {
      case "ready":
        return `student ${name} (loaded)`;
      case "downloading":
        return `student ${name} (downloading)`;
      case "loading":
        return `student ${name} (loading)`;
      case "failed":
        return `student ${name} (failed to load)`;
      default:
        return `student ${name} (loads with the first question)`;
    }
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
          this.changed.fire();
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

  /**
   * Downloads `ref` (the recommended student by default) because the user asked for it, with a
   * cancellable progress notification; then makes it the student model and loads it. A failure
   * offers Retry and Choose Model File…. Resolves true when the model is loaded.
   */
  download(ref: string = RECOMMENDED_STUDENT.uri): Promise<boolean> {
    this.downloading ??= this.doDownload(ref).finally(() => (this.downloading = undefined));
    return this.downloading;
  }

  private async doDownload(ref: string): Promise<boolean> {
    const name = modelDisplayName(ref);
    if (!vscode.workspace.isTrusted) {
      this.log.warn(`download of ${ref} refused: Restricted Mode`);
      await showRelayError(restrictedError(ref));
      return false;
    }
    const abort = new AbortController();
    this.lastDownload = undefined;
    try {
      await this.fetchWithProgress(ref, abort);
    } catch (error) {
      if (isAbortError(error)) {
        this.log.info(`download of ${ref} cancelled`);
        this.lastDownload = { model: ref, outcome: "cancelled" };
        this.changed.fire();
        void vscode.window.showInformationMessage(`Relay: the download of ${name} was cancelled. Nothing was changed.`);
        return false;
      }
      this.log.error(`download of ${ref} failed: ${errorMessage(error)}`);
      this.lastDownload = { model: ref, outcome: "failed", error: errorMessage(error) };
      this.changed.fire();
      const retry: FixAction = { label: "Retry", command: "relay.downloadModel", args: [ref] };
      void offer("error", `Relay: ${errorMessage(error)}`, [retry, CHOOSE_MODEL]);
      return false;
    }
    return this.use_(ref, `Relay: ${name} is downloaded and loaded. Ask away.`);
  }

  /**
   * The relay-trained student, one click away: its transformers checkpoint downloaded (with
   * progress, cancellable, checked against the hub's sha256), converted to GGUF on this machine
   * by llama.cpp's converter in the project's converter environment (cached and checksummed),
   * then made the student under the `learned` policy and loaded. A cancel or a failure leaves no
   * partial file and changes nothing; a failure offers the vanilla student instead.
   */
  useRelayStudent(ref: string = RELAY_TRAINED_STUDENT.repo): Promise<boolean> {
    this.downloading ??= this.makeRelayStudent(ref).finally(() => (this.downloading = undefined));
    return this.downloading;
  }

  private async makeRelayStudent(ref: string): Promise<boolean> {
    const name = ref === RELAY_TRAINED_STUDENT.repo ? RELAY_TRAINED_STUDENT.name : ref;
    if (!vscode.workspace.isTrusted) {
      await showRelayError(restrictedError(`hf:${ref}`));
      return false;
    }
    const abort = new AbortController();
    this.lastDownload = undefined;
    this.progress = { model: ref, kind: "downloading", receivedBytes: 0, totalBytes: 0 };
    this.changed.fire();
    let path: string;
    try {
      path = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Relay: making the relay-trained student (${name}) on this machine`, cancellable: true }, async (progress, token) => {
        const cancelled = token.onCancellationRequested(() => abort.abort());
        let lastFire = 0;
        let reported = 0;
        try {
          this.log.info(`relay-trained student: downloading the checkpoint ${ref}`);
          const checkpoint = await downloadCheckpoint(ref, {
            endpoint: process.env.HF_ENDPOINT ?? "https://huggingface.co",
            cacheDir: join(this.modelsDir, "checkpoints"),
            signal: abort.signal,
            onProgress: ({ receivedBytes = 0, totalBytes = 0 }) => {
              const pct = totalBytes ? (receivedBytes / totalBytes) * 80 : 0;
              if (Date.now() - lastFire < 500) return;
              lastFire = Date.now();
              progress.report({ message: `downloading the checkpoint: ${formatBytes(receivedBytes)} of ${formatBytes(totalBytes)}`, increment: pct - reported });
              reported = pct;
              if (this.progress) Object.assign(this.progress, { receivedBytes, totalBytes });
              this.changed.fire();
            },
          });
          if (this.progress) this.progress.converting = true;
          this.changed.fire();
          progress.report({ message: "converting to GGUF on this machine (llama.cpp's converter)…", increment: 80 - reported });
          const converted = await convertCheckpoint(checkpoint, {
            outDir: join(this.modelsDir, "converted"),
            repoRoot: this.extensionPath,
            name: ref.split("/").pop(),
            signal: abort.signal,
            onProgress: ({ line }) => line && this.log.debug(`convert: ${line}`),
          });
          this.log.info(`relay-trained student: ${converted.reused ? "a checked conversion from before" : "converted"}: ${converted.path} (sha256 ${converted.sha256})`);
          return converted.path;
        } finally {
          cancelled.dispose();
        }
      });
    } catch (error) {
      this.progress = undefined;
      if (isAbortError(error) || abort.signal.aborted) {
        this.log.info(`relay-trained student: cancelled (${ref}); no partial file kept`);
        this.lastDownload = { model: ref, outcome: "cancelled" };
        this.changed.fire();
        void vscode.window.showInformationMessage(`Relay: making the relay-trained student (${name}) was cancelled. Nothing was changed, and no partial file is kept.`);
        return false;
      }
      this.log.error(`relay-trained student: ${errorMessage(error)}`);
      this.lastDownload = { model: ref, outcome: "failed", error: errorMessage(error) };
      this.changed.fire();
      const retry: FixAction = { label: "Retry", command: "relay.useRelayStudent" };
      const vanilla: FixAction = { label: `Use ${RECOMMENDED_STUDENT.name} Instead`, command: "relay.downloadRecommendedModel" };
      void offer("error", `Relay: the relay-trained student (${name}) could not be made: ${errorMessage(error)} The vanilla student works without relay training (the auto policy asks the teacher where it is unsure).`, [vanilla, retry, CHOOSE_MODEL]);
      return false;
    }
    this.progress = undefined;
    this.changed.fire();
    // It asks the teacher itself: the learned policy.
    await vscode.workspace.getConfiguration("relay").update("policy", "learned", vscode.ConfigurationTarget.Global);
    return this.use_(path, `Relay: the relay-trained student (${name}) is converted on this machine and loaded, under the learned policy: it asks the teacher itself with <call>n</call>.`);
  }

  /** Makes `ref` the student model (user settings; the Remote tab in a remote window) and loads it. */
  async choose(ref: string): Promise<boolean> {
    return this.use_(ref, `Relay: the student model is now ${modelDisplayName(ref)}; it is loaded.`);
  }

  private async use_(ref: string, confirmation: string): Promise<boolean> {
    const relay = vscode.workspace.getConfiguration("relay");
    if (relay.get<string>("student.model") !== ref) await relay.update("student.model", ref, vscode.ConfigurationTarget.Global);
    if (this.model !== ref) {
      // A workspace's own setting wins over the user's: say so rather than load something else.
      void vscode.window.showWarningMessage(`Relay: this workspace's settings choose another student model (${this.model}); remove relay.student.model there to use ${modelDisplayName(ref)}.`);
      return false;
    }
    await this.unloading;
    try {
      await this.get();
    } catch {
      return false; // load() has told the user
    }
    this.log.info(`student model set to ${ref}`);
    void vscode.window.showInformationMessage(confirmation);
    return true;
  }

  /** Unloads and loads the student again, and says so. */
  async reload(): Promise<void> {
    if (!this.model) {
      await showRelayError(notChosenError());
      return;
    }
    await this.unload("reload requested");
    try {
      await this.get();
    } catch {
      return; // load() has told the user
    }
    void vscode.window.showInformationMessage(`Relay: student model reloaded (${modelDisplayName(this.model)}).`);
  }

  /** Downloads `ref` into Relay's models folder with a cancellable progress notification. */
  private async fetchWithProgress(ref: string, abort: AbortController): Promise<string> {
    const name = modelDisplayName(ref);
    const size = ref === RECOMMENDED_STUDENT.uri ? `, about ${formatBytes(RECOMMENDED_STUDENT.approxBytes)}` : "";
    this.log.info(`downloading ${ref} into ${this.modelsDir}`);
    this.progress = { model: ref, kind: "downloading", receivedBytes: 0, totalBytes: 0 };
    this.changed.fire();
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Relay: downloading ${name}${size}`, cancellable: true }, async (progress, token) => {
        const cancelled = token.onCancellationRequested(() => abort.abort());
        let reported = 0;
        let lastFire = 0;
        try {
          const path = await resolveModel(ref, {
            modelsDir: this.modelsDir,
            signal: abort.signal,
            onProgress: ({ downloadedBytes, totalBytes }) => {
              const pct = totalBytes ? (downloadedBytes / totalBytes) * 100 : 0;
              progress.report({ message: `${formatBytes(downloadedBytes)} of ${formatBytes(totalBytes)}`, increment: pct - reported });
              reported = pct;
              if (this.progress) Object.assign(this.progress, { receivedBytes: downloadedBytes, totalBytes });
              if (Date.now() - lastFire > 500) {
                lastFire = Date.now();
                this.changed.fire();
              }
            },
          });
          this.log.info(`downloaded ${ref}: ${path}`);
          this.downloadedFiles.set(ref, path);
          return path;
        } finally {
          cancelled.dispose();
        }
      });
    } finally {
      this.progress = undefined;
      this.changed.fire();
    }
  }

  private async load(): Promise<LlamaStudent> {
    const config = readConfig().student;
    const model = config.model;
    const started = Date.now();
    const abort = new AbortController();
    this.loadAbort = abort;
    try {
      if (!model) throw notChosenError();
      let path = model;
      if (isRemoteModel(model)) {
        // An hf: URI or URL the user chose in the settings: downloaded once, never in Restricted Mode.
        const downloaded = this.downloadedFiles.get(model) ?? (await findDownloaded(model, this.modelsDir));
        if (downloaded) path = downloaded;
        else if (!vscode.workspace.isTrusted) throw restrictedError(model);
        else path = await this.fetchWithProgress(model, abort);
      }
      this.progress = { model, kind: "loading", receivedBytes: 0, totalBytes: 0 };
      this.changed.fire();
      const student = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Relay: loading the student model (${modelDisplayName(model)})` }, () =>
        LlamaStudent.load({
          model: path,
          gpu: config.gpu,
          threads: config.threads || undefined,
          contextSize: config.contextSize,
          thinking: config.thinking,
          sequences: DEFAULT_MODEL_CONTEXT.studentSequences,
          modelsDir: this.modelsDir,
          signal: abort.signal,
          logger: this.log,
        }),
      );
      this.failure = undefined;
      this.log.info(`student ready in ${Date.now() - started} ms: ${student.path}`);
      return student;
    } catch (error) {
      if (!isAbortError(error)) {
        this.failure = { model, error: errorMessage(error) };
        this.log.error(`student model: ${errorMessage(error)}`);
        const retry: FixAction[] = error instanceof RelayError && error.code === "model-download-failed" ? [{ label: "Retry", command: "relay.reloadModel" }] : [];
        void showRelayError(error, retry);
      }
      throw error;
    } finally {
      if (this.progress?.kind === "loading") this.progress = undefined;
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

function notChosenError(): RelayError {
  return new RelayError("model-not-chosen", "No student model is chosen yet. Choose a GGUF file, or download the recommended student; Relay downloads nothing until you do.");
}

function restrictedError(ref: string): RelayError {
  return new RelayError("download-restricted", `Relay downloads nothing in Restricted Mode: ${modelDisplayName(ref)} was not downloaded. Trust this workspace, or choose a model file on this machine.`);
}
