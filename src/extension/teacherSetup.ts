/**
 * Configure Teacher… and Test Teacher: the set-up wizard (URL, API key, the model from the
 * server's own list, a test of each request style, the style and chat format) and the test of
 * the teacher as configured. What it saves goes through TeacherService.saveSetup.
 */
import * as vscode from "vscode";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { PROMPT_TEMPLATES, type PromptTemplateName } from "../core/promptTemplates.js";
import type { TeacherApiStyle } from "../teacher/openaiTeacher.js";
import { checkTeacher, listModels, type StyleCheck, type TeacherCheck } from "../teacher/serverProbe.js";
import { readConfig } from "./config.js";
import { SETTING_SCHEMAS } from "./settings.js";
import { displayUrl, testSummary, type TeacherService } from "./teacherService.js";

export class TeacherSetup {
  constructor(
    private readonly teacher: TeacherService,
    private readonly logger: Logger,
  ) {}

  /**
   * Sets up the teacher as a user expects (Escape at any step changes nothing):
   *
   * 1. the server's base URL (a placeholder shows the form; nothing is pre-filled but the URL
   *    already set);
   * 2. the API key, if the server needs one (SecretStorage, never settings or logs);
   * 3. the model, picked from the server's own list (`GET /models`), or typed when it has none;
   * 4. a test: reachable, the model listed, a request of a few tokens in each request style
   *    (completions, chat) with its latency, and the model's chat format detected;
   * 5. the request style and (for completions) the chat format, the detected ones first;
   *
   * then saves URL, model, style and format in the user settings and says what the test found.
   */
  async configure(): Promise<boolean> {
    const current = readConfig().teacher;
    const title = (step: number) => `Relay: set up the teacher (${step}/5)`;
    const url = (
      await vscode.window.showInputBox({
        title: title(1),
        prompt: "The base URL of an OpenAI-compatible API, ending in /v1 (llama-server, llama-cpp-python, vLLM, Ollama, LM Studio, a hosted provider)",
        placeHolder: "http://127.0.0.1:8000/v1",
        value: current.url,
        ignoreFocusOut: true,
        validateInput: (v) => {
          const r = SETTING_SCHEMAS["teacher.url"].safeParse(v);
          return !r.success ? r.error.issues[0]?.message : v.trim() === "" ? "A URL is needed (Escape to cancel)" : undefined;
        },
      })
    )?.trim();
    if (url === undefined) return false;
    const key = await vscode.window.showInputBox({
      title: title(2),
      prompt: this.teacher.savedApiKey ? "API key (empty keeps the saved key). Stored in VS Code's secret storage, never in settings or logs." : "API key, if the server needs one (empty for none). Stored in VS Code's secret storage, never in settings or logs.",
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) return false;
    const apiKey = key.trim() || this.teacher.savedApiKey;
    const model = await this.pickModel(url, apiKey, current.url === url ? current.model : "", title(3));
    if (model === undefined) return false;

    const check = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Relay: testing ${model} at ${displayUrl(url)} (a request of a few tokens per request style)…` }, () =>
      checkTeacher(url, model, {
        apiKey,
        onRequest: ({ url: sent, body, check }) =>
          this.teacher.requestLog.record({ ts: new Date().toISOString(), provider: "openai", model, url: sent, style: "set-up test", request: body, reply: check.text, ...(check.usage ? { usage: check.usage } : {}), ...(check.error ? { error: check.error } : {}), durationMs: check.latencyMs }),
      }).catch((error: unknown) => error as Error),
    );
    if (check instanceof Error) {
      void vscode.window.showErrorMessage(`Relay: the teacher at ${displayUrl(url)} failed the test: ${errorMessage(check)} Nothing was changed.`, "Configure Teacher…").then((c) => c && this.configure());
      return false;
    }
    this.logger.info(`teacher set-up test: ${testSummary(url, model, check)}`);
    if (!check.completions.ok && !check.chat.ok) {
      const choice = await vscode.window.showErrorMessage(`Relay: ${model} at ${displayUrl(url)} answered neither a completions nor a chat request (completions: ${check.completions.error}; chat: ${check.chat.error}).`, { modal: true }, "Save Anyway");
      if (choice !== "Save Anyway") return false;
    }
    const style = await this.pickStyle(check, current.apiStyle, title(4));
    if (style === undefined) return false;
    const template = style === "completions" ? await this.pickTemplate(check, current.promptTemplate, title(5)) : current.promptTemplate;
    if (template === undefined) return false;

    await this.teacher.saveSetup({ url, model, style, template, apiKey: key.trim() || undefined });
    const format = style === "completions" ? `, chat format ${template}${check.chatFormat?.template === template ? ` (detected: ${check.chatFormat.how})` : ""}` : "";
    void vscode.window.showInformationMessage(`Relay: the teacher is ${model} at ${displayUrl(url)}${key.trim() ? " (API key saved)" : ""}: ${testSummary(url, model, check)}; request style ${style}${format}.`);
    return true;
  }

  /** The model, from the server's own list (`GET /models`), or typed when the list cannot be had. */
  private async pickModel(url: string, apiKey: string | undefined, current: string, title: string): Promise<string | undefined> {
    const listing = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Relay: asking ${displayUrl(url)} for its models…` }, () => listModels(url, { apiKey }).catch((error: unknown) => error as Error));
    const type = async (why?: string) =>
      (
        await vscode.window.showInputBox({
          title,
          prompt: `${why ? `${why} ` : ""}The teacher model's name at that API.`,
          value: current,
          ignoreFocusOut: true,
          validateInput: (v) => (v.trim() ? undefined : "A model name is needed (Escape to cancel)"),
        })
      )?.trim();
    if (listing instanceof Error) return type(`${displayUrl(url)} did not list its models (${errorMessage(listing).replace(/\.$/, "")}).`);
    if (listing.models.length === 0) return type(`${displayUrl(url)} lists no models.`);
    type Item = vscode.QuickPickItem & { model?: string };
    const sorted = [...listing.models].sort((a, b) => Number(b === current) - Number(a === current));
    const items: Item[] = [
      ...sorted.map((m) => ({ label: m, model: m, description: m === current ? "current" : undefined })),
      { label: "", kind: vscode.QuickPickItemKind.Separator },
      { label: "$(edit) Enter Another Name…" },
    ];
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: `The models ${displayUrl(url)} offers (answered in ${listing.latencyMs} ms)`, ignoreFocusOut: true });
    if (!pick) return undefined;
    return pick.model ?? type();
  }

  /** The request style, the one the test recommends first, each with what the test found. */
  private async pickStyle(check: TeacherCheck, current: TeacherApiStyle, title: string): Promise<TeacherApiStyle | undefined> {
    const detected: TeacherApiStyle = check.completions.ok || !check.chat.ok ? "completions" : "chat";
    const result = (c: StyleCheck) => (c.ok ? `✓ ${(c.latencyMs / 1000).toFixed(1)} s` : `✗ ${c.error ?? "failed"}`);
    type Item = vscode.QuickPickItem & { style: TeacherApiStyle };
    const items: Item[] = [
      { style: "completions", label: "completions", description: `${result(check.completions)}`, detail: "The chat-formatted prompt plus the answer so far, continued as text: best with servers that cache prompt prefixes (llama-server, llama-cpp-python, vLLM)." },
      { style: "chat", label: "chat", description: `${result(check.chat)}`, detail: "Messages, with an instruction to continue the partial answer: for chat-only APIs (hosted providers)." },
      { style: "chat-prefill", label: "chat-prefill", description: `${result(check.chat)} (chat); needs a server that continues a final assistant message`, detail: "The partial answer as the last assistant message, continued (vLLM's continue_final_message, llama-server). llama-cpp-python's server does not: it starts a new turn." },
    ];
    for (const item of items) if (item.style === detected) item.description = `${item.description} — detected, recommended`;
    items.sort((a, b) => Number(b.style === detected) - Number(a.style === detected));
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: `How to ask the teacher (now: ${current})`, ignoreFocusOut: true });
    return pick?.style;
  }

  /** The chat format of a completions prompt: the detected one first, then the student's own, then the others. */
  private async pickTemplate(check: TeacherCheck, current: PromptTemplateName | "student", title: string): Promise<PromptTemplateName | "student" | undefined> {
    const detected = check.chatFormat?.template;
    type Item = vscode.QuickPickItem & { template: PromptTemplateName | "student" };
    const items: Item[] = [
      ...(detected ? [{ template: detected, label: detected, description: `detected: ${check.chatFormat!.how}` }] : []),
      { template: "student", label: "student", description: "the student's own chat format (right when both are of one family)" },
      ...PROMPT_TEMPLATES.filter((t) => t !== detected).map((t) => ({ template: t, label: t, description: t === current ? "current" : undefined })),
    ];
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: detected ? `The chat format of the teacher's prompt (detected: ${detected})` : "The chat format of the teacher's prompt (not detected: the student's own, or pick the teacher's family)", ignoreFocusOut: true });
    return pick?.template;
  }

  /** Runs the set-up's test on the teacher as configured and says what it found. */
  async test(): Promise<void> {
    const t = readConfig().teacher;
    if (!t.url || !t.model) {
      void vscode.window.showInformationMessage("Relay: no teacher is configured.", "Configure Teacher…").then((c) => c && this.configure());
      return;
    }
    const check = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Relay: testing ${t.model} at ${displayUrl(t.url)}…` }, () => checkTeacher(t.url, t.model, { apiKey: this.teacher.savedApiKey }).catch((error: unknown) => error as Error));
    if (check instanceof Error) {
      void vscode.window.showErrorMessage(`Relay: the teacher at ${displayUrl(t.url)} failed the test: ${errorMessage(check)}`, "Configure Teacher…").then((c) => c && this.configure());
      return;
    }
    const styleOk = t.apiStyle === "completions" ? check.completions.ok : check.chat.ok;
    const message = `Relay: ${testSummary(t.url, t.model, check)}; the request style in use (${t.apiStyle}) ${styleOk ? "works" : "failed"}.`;
    this.logger.info(message);
    if (styleOk && check.modelListed) void vscode.window.showInformationMessage(message);
    else void vscode.window.showWarningMessage(message, "Configure Teacher…").then((c) => c && this.configure());
  }
}
