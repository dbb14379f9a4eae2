/**
 * "Relay (student + teacher)" as a language model of VS Code (`LanguageModelChatProvider`, VS Code
 * 1.104+): the model picker of the native chat and any extension calling `vscode.lm` get the relay
 * — the same student, teacher, policy, budget, trust and redaction as the chat panel, because the
 * request runs through the same RelayService. A caller cannot raise what the teacher may cost:
 * only a lower `maxTokens` is taken from its options. Text only: tool calls, tool results and
 * data parts refuse the request with a message saying so; a request that *requires* a tool call
 * is refused too. Token counts come from the student's tokenizer.
 */
import * as vscode from "vscode";
import { errorMessage, isAbortError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { lmLimits, lmTask, type LmMessage, type LmPart } from "../core/lmRequest.js";
import { modelDisplayName } from "../core/recommendedModel.js";
import { onDidChangeConfig, readConfig } from "./config.js";
import type { RelayService } from "./relayService.js";
import type { StudentService } from "./studentService.js";
import type { TeacherService } from "./teacherService.js";
import type { LanguageModelChatInformation, LanguageModelChatProvider, LanguageModelChatRequestMessage, ProvideLanguageModelChatResponseOptions } from "./vscodeNewer.js";

/** The vendor in package.json's `languageModelChatProviders` and `vscode.lm.selectChatModels({ vendor })`. */
export const RELAY_VENDOR = "relay";
export const RELAY_MODEL_ID = "relay";
export const RELAY_MODEL_NAME = "Relay (student + teacher)";

/** A message part of the API, as the relay sees it. */
export function lmPart(part: unknown): LmPart {
  if (part instanceof vscode.LanguageModelTextPart) return { kind: "text", text: part.value };
  if (part instanceof vscode.LanguageModelToolCallPart) return { kind: "tool-call", name: part.name };
  if (part instanceof vscode.LanguageModelToolResultPart) return { kind: "tool-result" };
  const p = part as { mimeType?: unknown; value?: unknown; constructor?: { name?: string } } | null;
  if (p && typeof p.mimeType === "string") return { kind: "data", mimeType: p.mimeType };
  if (p && typeof p.value === "string") return { kind: "text", text: p.value };
  return { kind: "other", type: p?.constructor?.name ?? typeof part };
}

export function lmMessage(message: Pick<LanguageModelChatRequestMessage, "role" | "content">): LmMessage {
  const role = message.role === vscode.LanguageModelChatMessageRole.Assistant ? "assistant" : message.role === vscode.LanguageModelChatMessageRole.User ? "user" : "system";
  return { role, parts: message.content.map(lmPart) };
}

export class RelayModelProvider implements LanguageModelChatProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Answers in progress: close() cancels and waits for them. */
  private readonly running = new Map<AbortController, Promise<unknown>>();

  constructor(
    private readonly relay: RelayService,
    private readonly student: StudentService,
    private readonly teacher: TeacherService,
    private readonly version: string,
    private readonly log: Logger,
  ) {
    this.subscriptions.push(
      this.changed,
      student.onDidChange(() => this.changed.fire()),
      teacher.onDidChange(() => this.changed.fire()),
      onDidChangeConfig((change) => {
        if (change.affects("maxTokens") || change.affects("student")) this.changed.fire();
      }),
    );
  }

  /** The one model: its limits are the settings' (the student's context, the answer cap). */
  information(): LanguageModelChatInformation {
    const config = readConfig();
    const s = this.student.state();
    const studentName = s.kind === "none" ? "no student model chosen yet" : modelDisplayName(s.model);
    return {
      id: RELAY_MODEL_ID,
      name: RELAY_MODEL_NAME,
      family: "relay",
      version: this.version,
      detail: `${studentName} + ${this.teacher.label()}`,
      tooltip: `The local student (${studentName}) answers; it asks the teacher (${this.teacher.label()}) for a few tokens only where it is stuck, inside this workspace's teacher budget. Text only: no tools, no images.`,
      maxInputTokens: Math.max(1, config.student.contextSize - config.maxTokens),
      maxOutputTokens: config.maxTokens,
      capabilities: { toolCalling: false, imageInput: false },
    };
  }

  provideLanguageModelChatInformation(): LanguageModelChatInformation[] {
    return [this.information()];
  }

  async provideLanguageModelChatResponse(
    _model: LanguageModelChatInformation,
    messages: readonly LanguageModelChatRequestMessage[],
    options: ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelTextPart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    if (options.tools?.length && options.toolMode === vscode.LanguageModelChatToolMode.Required) {
      throw this.refuse(`Relay does not call tools, and this request requires a tool call (${options.tools.map((t) => t.name).join(", ")}). Use another model for agent mode and tools.`);
    }
    const parsed = lmTask(messages.map(lmMessage));
    if (!parsed.ok) throw this.refuse(parsed.reason);
    if (this.student.state().kind === "none") throw this.refuse("Relay has no student model yet: choose one in the Relay chat panel (Relay: Open Chat). Nothing was downloaded.");
    const config = readConfig();
    const limits = lmLimits(options.modelOptions, config.maxTokens);
    const notes: string[] = [];
    if (options.tools?.length) notes.push(`${options.tools.length} tool(s) offered and not used (Relay answers in text)`);
    if (limits.ignored.length) notes.push(`options ignored: ${limits.ignored.join(", ")} (a caller cannot change the relay's policy, limits or budget)`);
    this.log.info(`language model request: ${messages.length} message(s), up to ${limits.maxTokens} tokens${notes.length ? `; ${notes.join("; ")}` : ""}`);

    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    if (token.isCancellationRequested) controller.abort();
    const run = this.relay.run({
      task: parsed.task,
      signal: controller.signal,
      maxTokens: limits.maxTokens,
      onEvent: (event) => {
        // Plain text for the caller: the teacher's text is not marked, reasoning is left out.
        if (event.type === "text" && !event.thought && event.text) progress.report(new vscode.LanguageModelTextPart(event.text));
      },
    });
    this.running.set(controller, run.catch(() => undefined));
    try {
      const result = await run;
      const s = result.stats;
      if (s.stopReason === "aborted" || s.stopReason === "model-unloaded") {
        if (token.isCancellationRequested) return;
        throw this.refuse(s.stopReason === "model-unloaded" ? "The student model was unloaded during the answer." : "The answer was stopped.");
      }
      if (s.deniedCalls > 0) this.log.info(`language model request: ${s.deniedCalls} teacher call(s) refused by the budget; the student answered alone from there`);
    } catch (error) {
      if (isAbortError(error) && token.isCancellationRequested) return;
      if (error instanceof Error && error.message.startsWith("Relay:")) throw error;
      throw this.refuse(errorMessage(error));
    } finally {
      cancel.dispose();
      this.running.delete(controller);
    }
  }

  async provideTokenCount(_model: LanguageModelChatInformation, text: string | LanguageModelChatRequestMessage): Promise<number> {
    const plain = typeof text === "string" ? text : lmMessage(text).parts.map((p) => (p.kind === "text" ? p.text : "")).join("");
    // The student's tokenizer: the loaded student, or the chosen one loaded now (a request follows).
    // With no student chosen there is no tokenizer: an estimate of 4 characters a token.
    if (this.student.state().kind === "none") return Math.ceil(plain.length / 4);
    const student = this.student.ifLoaded() ?? (await this.student.get());
    return student.countTokens(plain);
  }

  private refuse(reason: string): Error {
    this.log.warn(`language model request refused: ${reason}`);
    return new Error(`Relay: ${reason}`);
  }

  /** Cancels the answers in progress and waits for them (deactivation). */
  async close(): Promise<void> {
    for (const controller of this.running.keys()) controller.abort();
    await Promise.all(this.running.values());
    this.dispose();
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
