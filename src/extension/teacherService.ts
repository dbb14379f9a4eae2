/**
 * The configured teacher, or none: off in Restricted Mode, when paused, or when no URL and
 * model are set; its outages (a breaker shared by the window's answers, probed for free in the
 * background). The API key lives in SecretStorage; requests are logged to a file that
 * teacherLogView.ts shows (exactly what left the machine); teacherSetup.ts is the set-up wizard.
 */
import * as vscode from "vscode";
import { TeacherBreaker, probeDelayMs, type BreakerStatus } from "../core/breaker.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Teacher } from "../core/models.js";
import type { TeacherLogEntry, TeacherRequestLog } from "../core/teacherLog.js";
import { FileTeacherLog } from "../io/fileTeacherLog.js";
import { OpenAITeacher } from "../teacher/openaiTeacher.js";
import { listModels, type StyleCheck, type TeacherCheck } from "../teacher/serverProbe.js";
import type { TeacherApiStyle } from "../teacher/openaiTeacher.js";
import type { PromptTemplateName } from "../core/promptTemplates.js";
import type { TaskPrompt } from "../core/prompts.js";
import { promptRenderer } from "../llama/chatFormat.js";
import { onDidChangeConfig, readConfig } from "./config.js";

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

const REASONS: Record<string, string> = {
  "teacher-unreachable": "no connection",
  "teacher-timeout": "timed out",
  "teacher-rate-limited": "rate limited",
  "teacher-server-error": "server error",
};

/** What the set-up's test found, in one line: "reachable (models in 22 ms), model listed, completions ✓ 1.0 s, chat ✓ 1.3 s". */
export function testSummary(url: string, model: string, check: TeacherCheck): string {
  const style = (name: string, c: StyleCheck) => (c.ok ? `${name} ✓ ${(c.latencyMs / 1000).toFixed(1)} s` : `${name} ✗ (${c.error ?? "failed"})`);
  const listed = check.modelListed ? "model listed" : `${model} is not among the models it lists (${check.models.models.slice(0, 5).join(", ")}${check.models.models.length > 5 ? ", …" : ""})`;
  return `${displayUrl(url)} reachable (models in ${check.models.latencyMs} ms), ${listed}, ${style("completions", check.completions)}, ${style("chat", check.chat)}`;
}

/** Whether an outage is checked in the background: the server could not be reached at all. */
export function checkedInBackground(status: BreakerStatus): boolean {
  return status.last?.code === "teacher-unreachable";
}

/** What tripped the breaker, in a few words ("HTTP 503", "no connection"). */
function reasonOf(status: BreakerStatus): string {
  const last = status.last;
  return (last?.status ?? (last ? (REASONS[last.code] ?? last.code) : "failed")).replace(/\.+$/, "");
}

export class TeacherService implements vscode.Disposable {
  private teacher: OpenAITeacher | undefined;
  private breakerOff: () => void = () => {};
  /** Shared by every answer of this window; a new one when the teacher settings change. */
  breaker = this.newBreaker();
  /** The renderer of `relay.teacher.promptTemplate`, loaded by forRequest(). */
  private renderer: { name: string; render: (task: TaskPrompt) => string } | undefined;
  private apiKey: string | undefined;
  /** Every teacher request, as sent and received (the file Show Teacher Requests opens). */
  readonly requestLog: FileTeacherLog;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Logger,
  ) {
    const summary: TeacherRequestLog = {
      record: (e: TeacherLogEntry) => {
        log.info(`teacher request → ${e.model}${e.url ? ` at ${displayUrl(e.url)}` : ""} (${e.style}): ${e.error ? `failed: ${e.error}` : `${e.usage?.completionTokens ?? "?"} tokens`} in ${e.durationMs} ms`);
      },
    };
    this.requestLog = new FileTeacherLog(vscode.Uri.joinPath(context.globalStorageUri, "teacher-requests.jsonl").fsPath, summary, {
      onError: (error) => log.warn(`teacher request log: could not write ${this.requestLog.path}: ${(error as Error).message}`),
    });
    this.subscriptions.push(
      this.changed,
      onDidChangeConfig((change) => {
        if (!change.affects("teacher")) return;
        this.invalidate();
        if (!change.trust && (change.affects("teacher.url") || change.affects("teacher.model") || change.affects("teacher.apiStyle"))) this.logConfigured();
      }),
      context.secrets.onDidChange((e) => {
        if (e.key === SECRET_KEY) void this.loadKey().then(() => this.invalidate());
      }),
    );
  }

  async init(): Promise<void> {
    await this.loadKey();
    this.logConfigured();
  }

  /** The teacher's URL goes to the log (never a key): where requests will go. */
  private logConfigured(): void {
    const t = readConfig().teacher;
    if (t.url && t.model) this.log.info(`teacher: ${t.model} at ${displayUrl(t.url)} (${t.apiStyle}${this.apiKey ? ", with an API key" : ""})`);
    else this.log.info("teacher: not configured (the student answers alone)");
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
    this.log.info("going on student-only (no teacher)");
    this.changed.fire();
    void vscode.window.showInformationMessage("Relay: going on with the student alone. Configure a teacher any time with Relay: Configure Teacher….");
  }

  /** The chat header's text after "Teacher: " (short; the state's own words). */
  label(): string {
    const s = this.state();
    switch (s.kind) {
      case "on":
        return this.unreachable() ? `${s.model} (unreachable)` : s.model;
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

  /** The API key in secret storage now (undefined when none). */
  get savedApiKey(): string | undefined {
    return this.apiKey;
  }

  /** Saves what the set-up chose (user settings; the key in secret storage) and turns the teacher on. */
  async saveSetup(setup: { url: string; model: string; style: TeacherApiStyle; template: PromptTemplateName | "student"; apiKey?: string }): Promise<void> {
    const relay = vscode.workspace.getConfiguration("relay");
    await relay.update("teacher.url", setup.url, vscode.ConfigurationTarget.Global);
    await relay.update("teacher.model", setup.model, vscode.ConfigurationTarget.Global);
    await relay.update("teacher.apiStyle", setup.style, vscode.ConfigurationTarget.Global);
    await relay.update("teacher.promptTemplate", setup.template, vscode.ConfigurationTarget.Global);
    if (setup.apiKey) await this.context.secrets.store(SECRET_KEY, setup.apiKey);
    await this.context.globalState.update(STUDENT_ONLY_KEY, false);
    if (this.paused) await this.setPaused(false);
    this.changed.fire();
  }

  get paused(): boolean {
    return this.context.workspaceState.get<boolean>(PAUSED_KEY, false);
  }

  async setPaused(paused: boolean): Promise<void> {
    await this.context.workspaceState.update(PAUSED_KEY, paused);
    // Paused or resumed by the user: a past outage is forgotten (the next call tries the teacher).
    this.breaker = this.newBreaker();
    this.log.info(`teacher ${paused ? "paused" : "resumed"} for this workspace`);
    this.changed.fire();
  }

  /**
   * While the teacher is on but down (its breaker open: from the first failure that trips it until
   * a request succeeds, one episode): where, and why.
   */
  unreachable(): { url: string; error: string; checked: boolean } | undefined {
    const status = this.breaker.current;
    if (status.state === "closed" || this.state().kind !== "on") return undefined;
    return { url: displayUrl(status.last?.url ?? readConfig().teacher.url), error: reasonOf(status), checked: checkedInBackground(status) };
  }

  private newBreaker(): TeacherBreaker {
    const breaker = new TeacherBreaker();
    this.breakerOff();
    this.stopProbing();
    const off = breaker.onChange((status, previous) => {
      this.changed.fire();
      if (status.state === "open" && previous.state === "closed") this.notifyUnreachable(status);
      // Checked in the background while it cannot be reached at all (see startProbing).
      if (status.state === "open" && checkedInBackground(status) && !this.probing) this.startProbing(breaker);
      else if (status.state === "open" && !checkedInBackground(status)) this.stopProbing();
      if (status.state === "closed") {
        this.stopProbing();
        this.log.info("teacher reachable again");
      }
    });
    this.breakerOff = () => {
      off();
      this.stopProbing();
    };
    return breaker;
  }

  /** The background check of a teacher that is down, while one runs. */
  private probing: { timer?: ReturnType<typeof setTimeout>; abort: AbortController } | undefined;

  /**
   * While the teacher cannot be reached, asks its server in the background with a free request
   * (`GET /models`: no tokens, never charged to the budget), waiting longer after each failure
   * (5 s, 10 s, … a minute); when it answers, the outage is over and the state clears, no
   * question needed. (A server that answers but fails its completions — 5xx, rate limits,
   * timeouts — would answer this check too: it is tried again with the next call after the
   * breaker's cool-down instead.)
   */
  private startProbing(breaker: TeacherBreaker): void {
    this.stopProbing();
    const probe = { abort: new AbortController() } as NonNullable<typeof this.probing>;
    this.probing = probe;
    const schedule = (attempt: number) => {
      probe.timer = setTimeout(() => void check(attempt), probeDelayMs(attempt));
    };
    const check = async (attempt: number) => {
      if (this.probing !== probe || breaker !== this.breaker || breaker.current.state === "closed") return;
      const { url } = readConfig().teacher;
      if (this.state().kind !== "on" || !url) return this.stopProbing();
      try {
        const answer = await listModels(url, { apiKey: this.apiKey, signal: probe.abort.signal, timeoutMs: 10_000 });
        if (this.probing !== probe || breaker !== this.breaker) return;
        this.log.info(`teacher check: ${displayUrl(answer.url)} answered in ${answer.latencyMs} ms (a free request, not charged)`);
        breaker.success();
        void vscode.window.showInformationMessage(`Relay: the teacher at ${displayUrl(url)} answers again.`);
      } catch (error) {
        if (this.probing !== probe || probe.abort.signal.aborted) return;
        this.log.info(`teacher check: still unreachable (${errorMessage(error)}); next check in ${Math.round(probeDelayMs(attempt + 1) / 1000)} s`);
        schedule(attempt + 1);
      }
    };
    schedule(0);
  }

  private stopProbing(): void {
    if (!this.probing) return;
    if (this.probing.timer) clearTimeout(this.probing.timer);
    this.probing.abort.abort();
    this.probing = undefined;
  }

  /** One notification per outage (episode), naming the URL and the status. */
  private notifyUnreachable(status: BreakerStatus): void {
    const url = displayUrl(status.last?.url ?? readConfig().teacher.url);
    const retry = Math.max(1, Math.round(((status.retryAt ?? Date.now()) - Date.now()) / 1000));
    this.log.warn(`teacher unreachable at ${url} (${reasonOf(status)}): ${status.last?.message ?? ""}`);
    const again = checkedInBackground(status)
      ? "Relay checks the server in the background (a free request) and uses the teacher again as soon as it answers."
      : `the teacher is tried again in ${retry} s.`;
    void vscode.window
      .showWarningMessage(`Relay: the teacher at ${url} is unreachable (${reasonOf(status)}). The student carries on alone; ${again}`, "Configure Teacher…", "Pause Teacher", "Show Log")
      .then((choice) => {
        if (choice === "Configure Teacher…") void vscode.commands.executeCommand("relay.configureTeacher");
        else if (choice === "Pause Teacher") void this.setPaused(true);
        else if (choice === "Show Log") void vscode.commands.executeCommand("relay.showLog");
      });
  }

  /** Why there is no teacher, or undefined when there is one. */
  offReason(): string | undefined {
    const s = this.state();
    return s.kind === "on" ? undefined : s.kind === "restricted" ? "Restricted Mode" : this.label();
  }

  /** The teacher for a request now (undefined when it is off), its prompt template loaded. */
  async forRequest(): Promise<Teacher | undefined> {
    if (this.offReason()) return undefined;
    const name = readConfig().teacher.promptTemplate;
    if (name !== "student" && this.renderer?.name !== name) {
      this.renderer = { name, render: await promptRenderer(name) };
      this.teacher = undefined;
    }
    if (!this.teacher) {
      const t = readConfig().teacher;
      this.teacher = new OpenAITeacher({
        baseURL: t.url,
        model: t.model,
        apiKey: this.apiKey,
        style: t.apiStyle,
        temperature: t.temperature,
        timeoutMs: t.timeoutMs,
        log: this.requestLog,
        renderPrompt: t.promptTemplate !== "student" && this.renderer?.name === t.promptTemplate ? this.renderer.render : undefined,
      });
    }
    return this.teacher;
  }

  /** The teacher for Show Status and the log: "teacher m at http://host/v1", "teacher paused", … */
  describe(): string {
    const s = this.state();
    return s.kind === "on" ? `teacher ${s.model} at ${displayUrl(s.url)}${this.unreachable() ? ` (unreachable: ${this.unreachable()!.error})` : ""}` : s.kind === "restricted" ? "teacher off (Restricted Mode)" : `teacher ${this.label()}`;
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
    await this.requestLog.close();
  }

  dispose(): void {
    this.breakerOff();
    for (const s of this.subscriptions) s.dispose();
  }
}
