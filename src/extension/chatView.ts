/**
 * The chat side panel: a webview view that streams relay answers with teacher spans marked,
 * keeps past conversations per workspace (New Chat starts another; Show Past Chats reopens or
 * deletes one), shows the first-run welcome until a student model is chosen, and talks to its
 * front end over the typed protocol.
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { RelayEvent, RelayResult } from "../core/controller.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { Span } from "../core/spans.js";
import { parseFromWebview, type ChatTurn, type FromWebview, type SetupAction, type SetupView, type SpanView, type ToWebview } from "../protocol/chat.js";
import { chatHistory } from "../protocol/chatContext.js";
import { teacherRangesIn, type TeacherRange } from "../editor/teacherRanges.js";
import { spentSentence } from "../core/budgetStatus.js";
import { RECOMMENDED_STUDENT, RELAY_TRAINED_STUDENT, formatBytes, modelDisplayName } from "../core/recommendedModel.js";
import { callTokens, type RelayStats } from "../core/spans.js";
import type { BudgetService } from "./budgetService.js";
import { ConversationStore } from "./conversationStore.js";
import { pickPastChat } from "./pastChatsPicker.js";
import { HelpMarker } from "./helpMarker.js";
import type { RelayService } from "./relayService.js";
import type { StudentService } from "./studentService.js";
import type { TeacherService, TeacherState } from "./teacherService.js";
import { hiddenCodeWarning, stripHiddenChars } from "../core/hiddenText.js";

const SETUP_COMMANDS: Record<SetupAction, string> = {
  "choose-model": "relay.chooseModelFile",
  "download-model": "relay.downloadRecommendedModel",
  "relay-student": "relay.useRelayStudent",
  "configure-teacher": "relay.configureTeacher",
  "student-only": "relay.continueStudentOnly",
  "open-walkthrough": "relay.getStarted",
};

/**
 * The quiet line under an answer whose student asked for help and got none: how many calls
 * went unanswered and why. Undefined when nothing was refused.
 */
export function unansweredNotice(stats: Pick<RelayStats, "deniedCalls" | "ignoredCalls">, teacher: TeacherState, spent: string | undefined): string | undefined {
  const times = (n: number) => (n === 1 ? "once" : `${n} times`);
  if (stats.deniedCalls > 0) {
    const calls = `${stats.deniedCalls} teacher call${stats.deniedCalls === 1 ? " was" : "s were"} refused`;
    return `The student asked for help; ${calls}${spent ? `: ${spent}` : " by the budget"}. This answer is the student's alone from there.`;
  }
  if (teacher.kind !== "on" && stats.ignoredCalls > 0) {
    const why: Record<Exclude<TeacherState["kind"], "on">, string> = {
      restricted: "the teacher is off in Restricted Mode",
      paused: "the teacher is paused",
      "not-configured": "no teacher is configured",
      "student-only": "you chose to go on without a teacher",
    };
    return `The student asked for help ${times(stats.ignoredCalls)}, but ${why[teacher.kind]}: ${stats.ignoredCalls} call${stats.ignoredCalls === 1 ? "" : "s"} refused. This answer is the student's alone.`;
  }
  return undefined;
}

export interface TurnRequest {
  question: string;
  title?: string;
  task?: TaskPrompt;
  /** Runs when the answer has finished (also after Stop or an error). */
  onDone?: () => void;
  /** The editor position the answer belongs to: the help marker shows there. */
  anchor?: { editor: vscode.TextEditor; position: vscode.Position };
}

export function spanView(span: Span): SpanView {
  const view: SpanView = { kind: span.kind, text: span.text, tokens: span.tokens, model: span.model, durationMs: span.durationMs, error: span.error };
  if (span.thought) view.thought = true;
  return view;
}

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = "relay.chat";
  private view: vscode.WebviewView | undefined;
  private readonly store: ConversationStore;
  private running: AbortController | undefined;
  /** The answer being written: close() waits for it. */
  private answering: Promise<unknown> = Promise.resolve();
  private readonly pendingPosts: ToWebview[] = [];
  private ready = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Listeners of the current webview; replaced when VS Code resolves the view again. */
  private viewSubscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly relay: RelayService,
    private readonly teacher: TeacherService,
    private readonly student: StudentService,
    private readonly budget: BudgetService,
    private readonly log: Logger,
  ) {
    this.store = new ConversationStore(context.workspaceState, log);
    this.subscriptions.push(
      teacher.onDidChange(() => {
        this.postStatus();
        this.postSetup();
      }),
      student.onDidChange(() => this.postSetup()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.postSetup()),
    );
  }

  /** The open conversation's turns. */
  private get turns(): ChatTurn[] {
    return this.store.current.turns;
  }

  /** What the welcome view shows: the student's and the teacher's state. */
  setupView(): SetupView {
    const s = this.student.state();
    const t = this.teacher.state();
    const student: SetupView["student"] = { state: s.kind };
    if (s.kind !== "none") student.name = modelDisplayName(s.model);
    if (s.kind === "downloading") student.progress = s.converting ? "converting to GGUF on this machine…" : s.totalBytes ? `${formatBytes(s.receivedBytes)} of ${formatBytes(s.totalBytes)}` : "starting…";
    if (s.kind === "failed") student.error = s.error;
    if (s.kind === "none" && s.lastDownload) student.download = { outcome: s.lastDownload.outcome, name: modelDisplayName(s.lastDownload.model), error: s.lastDownload.error };
    return {
      student,
      teacher: { state: t.kind, label: this.teacher.label() },
      recommended: { name: RECOMMENDED_STUDENT.name, size: `about ${formatBytes(RECOMMENDED_STUDENT.approxBytes)}` },
      relayTrained: { name: RELAY_TRAINED_STUDENT.name, size: `about ${formatBytes(RELAY_TRAINED_STUDENT.approxBytes)}` },
      trusted: vscode.workspace.isTrusted,
    };
  }

  private postSetup(): void {
    this.post({ type: "setup", setup: this.setupView() });
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const root = vscode.Uri.joinPath(this.context.extensionUri, "dist", "webview");
    view.webview.options = { enableScripts: true, localResourceRoots: [root] };
    view.webview.html = this.html(view.webview, root);
    for (const s of this.viewSubscriptions) s.dispose();
    this.viewSubscriptions = [
      view.webview.onDidReceiveMessage((data: unknown) => {
        const parsed = parseFromWebview(data);
        if (!parsed.ok) {
          this.log.warn(`chat: ignored an invalid message from the webview: ${parsed.error}`);
          return;
        }
        void this.handle(parsed.message);
      }),
      view.onDidDispose(() => {
        // Closing the panel cancels the answer in progress.
        this.running?.abort();
        this.view = undefined;
        this.ready = false;
        for (const s of this.viewSubscriptions) s.dispose();
        this.viewSubscriptions = [];
      }),
    ];
  }

  private html(webview: vscode.Webview, root: vscode.Uri): string {
    const nonce = randomBytes(16).toString("base64");
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(root, name)).toString();
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource} 'unsafe-inline'`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join("; ");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset("chat.css")}">
<title>Relay</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${asset("main.js")}"></script>
</body>
</html>`;
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case "ready":
        this.ready = true;
        this.postInit();
        for (const m of this.pendingPosts.splice(0)) this.post(m);
        return;
      case "ask":
        await this.ask({ question: message.question });
        return;
      case "stop":
        this.running?.abort();
        return;
      case "copy-code": {
        const code = await confirmHiddenChars(message.code, "copy");
        if (code !== undefined) await vscode.env.clipboard.writeText(code);
        return;
      }
      case "insert-code": {
        const code = await confirmHiddenChars(message.code, "insert");
        if (code !== undefined) await vscode.commands.executeCommand("relay.insertCode", code, this.teacherRangesFor(code));
        return;
      }
      case "setup-action":
        await vscode.commands.executeCommand(SETUP_COMMANDS[message.action]);
        return;
    }
  }

  private postInit(): void {
    this.post({ type: "init", turns: this.turns, teacher: this.teacher.label(), busy: this.busy, setup: this.setupView() });
  }

  /** Teacher-written parts of a code block the user inserts (searched in the latest answers). */
  private teacherRangesFor(code: string): TeacherRange[] {
    for (const turn of [...this.turns].reverse()) {
      const ranges = teacherRangesIn(code, turn.spans);
      if (ranges.length > 0) return ranges;
    }
    return [];
  }

  /** Starts a new conversation; the last one stays in the list of past chats. */
  newChat(): void {
    this.running?.abort();
    void this.store.startNew();
    this.post({ type: "cleared" });
  }

  /** Opens a past conversation in the panel. */
  open(id: string): void {
    if (!this.store.has(id)) return;
    this.running?.abort();
    this.store.open(id);
    this.postInit();
  }

  /** Deletes a past conversation; deleting the open one leaves an empty chat. */
  delete(id: string): void {
    if (id === this.store.currentId) this.running?.abort();
    if (this.store.delete(id)) this.postInit();
  }

  /** The list of past chats (newest first): pick one to reopen it, the trash button deletes it. */
  showHistory(): Promise<void> {
    return pickPastChat(this.store, { open: (id) => this.open(id), delete: (id) => this.delete(id) }, this.log);
  }

  /** Reveals the panel (for commands such as Explain This Step). */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
  }

  /** Runs one question through the relay, streaming into the panel. */
  ask(request: TurnRequest): Promise<RelayResult | undefined> {
    const busy = this.running !== undefined;
    const answer = this.answer(request);
    if (!busy) this.answering = answer;
    return answer;
  }

  private async answer(request: TurnRequest): Promise<RelayResult | undefined> {
    if (this.running) {
      void vscode.window.showInformationMessage("Relay: an answer is still being written — stop it first.");
      request.onDone?.();
      return undefined;
    }
    if (this.student.state().kind === "none") {
      // First run: point at the welcome, download nothing.
      this.post({ type: "hint", text: "Choose a student model first (above). Nothing is downloaded until you do." });
      this.postSetup();
      void vscode.window.showInformationMessage("Relay: choose a student model first — the chat panel shows how. Nothing was downloaded.", "Open Chat").then((c) => c && this.reveal());
      request.onDone?.();
      return undefined;
    }
    const controller = new AbortController();
    this.running = controller;
    const conversationId = this.store.currentId;
    const teacherAtStart = this.teacher.state();
    const turn: ChatTurn = { id: randomBytes(6).toString("hex"), question: request.question, title: request.title, spans: [] };
    this.post({ type: "turn-start", turn });
    this.postStatus();
    const marker = request.anchor ? new HelpMarker(request.anchor.editor, request.anchor.position) : undefined;
    const onEvent = (event: RelayEvent) => {
      marker?.onEvent(event);
      if (event.type === "text") this.post({ type: "text", id: turn.id, kind: event.kind, text: event.text, ...(event.thought ? { thought: true } : {}) });
      else if (event.type === "teacher-start") this.post({ type: "teacher-start", id: turn.id, granted: event.granted, model: event.model });
      else this.post({ type: "span", id: turn.id, span: spanView(event.span) });
    };
    try {
      const history = chatHistory(this.turns);
      const task = request.task ?? { user: request.question, ...(history.length ? { history } : {}) };
      const result = await this.relay.run({ task, signal: controller.signal, onEvent });
      turn.spans = result.spans.map(spanView);
      turn.stats = { ...result.stats, callTokens: callTokens(result.spans) };
      turn.stopped = result.stats.stopReason === "aborted";
      const budget = this.budget.status();
      const notice = unansweredNotice(result.stats, teacherAtStart, budget.level === "spent" ? spentSentence(budget) : undefined);
      if (notice) turn.notice = notice;
      return result;
    } catch (error) {
      turn.error = errorMessage(error);
      this.log.error(`chat: ${turn.error}`);
      return undefined;
    } finally {
      marker?.dispose();
      this.running = undefined;
      // The turn belongs to the conversation it was asked in, even if another one is open now.
      await this.store.addTurn(conversationId, turn);
      if (conversationId === this.store.currentId) this.post({ type: "turn-end", turn });
      this.postStatus();
      request.onDone?.();
    }
  }

  private postStatus(): void {
    this.post({ type: "status", teacher: this.teacher.label(), busy: this.busy });
  }

  private post(message: ToWebview): void {
    if (!this.view) return;
    if (!this.ready) {
      // The front end asks for the whole state with "ready"; streaming pieces can wait for it.
      if (message.type !== "init" && message.type !== "status" && message.type !== "setup") this.pendingPosts.push(message);
      return;
    }
    void this.view.webview.postMessage(message);
  }

  /** Cancels the answer in progress and waits until it has ended (deactivation). */
  async close(): Promise<void> {
    this.dispose();
    await this.answering.catch(() => {});
  }

  dispose(): void {
    this.running?.abort();
    for (const s of [...this.subscriptions, ...this.viewSubscriptions]) s.dispose();
    this.subscriptions.length = 0;
    this.viewSubscriptions = [];
  }
}

/**
 * Code from an answer that holds bidirectional or invisible characters is copied or inserted
 * only after the user says how: as it is, or without them (undefined: cancelled). The panel
 * shows them already; this is the check that holds whatever the panel sent.
 */
async function confirmHiddenChars(code: string, action: "copy" | "insert"): Promise<string | undefined> {
  const warning = hiddenCodeWarning(code, action);
  if (!warning) return code;
  const choice = await vscode.window.showWarningMessage(warning.message, { modal: true, detail: warning.detail }, warning.without, warning.asIs);
  if (choice === warning.asIs) return code;
  if (choice === warning.without) return stripHiddenChars(code);
  return undefined;
}
