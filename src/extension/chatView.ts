/**
 * The chat side panel: a webview view that streams relay answers with teacher spans marked,
 * keeps the history per workspace, and talks to its front end over the typed protocol.
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { RelayEvent, RelayResult } from "../core/controller.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { Span } from "../core/spans.js";
import { parseFromWebview, type ChatTurn, type FromWebview, type SpanView, type ToWebview } from "../protocol/chat.js";
import { chatHistory } from "../protocol/chatContext.js";
import { loadHistory, storedHistory } from "../protocol/history.js";
import { teacherRangesIn, type TeacherRange } from "../core/provenance.js";
import { HelpMarker } from "./helpMarker.js";
import type { RelayService } from "./relayService.js";
import type { TeacherService } from "./teacherService.js";

const HISTORY_KEY = "relay.chat.history";
const MAX_TURNS = 50;

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
  private turns: ChatTurn[];
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
    private readonly log: Logger,
  ) {
    const history = loadHistory(context.workspaceState.get<unknown>(HISTORY_KEY));
    this.turns = history.turns;
    if (history.dropped > 0) log.warn(`chat: ${history.dropped} unreadable turn(s) of the saved history were left out`);
    if (history.migrated) void this.saveHistory();
    this.subscriptions.push(teacher.onDidChange(() => this.postStatus()));
  }

  private saveHistory(): Thenable<void> {
    return this.context.workspaceState.update(HISTORY_KEY, storedHistory(this.turns));
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
        this.post({ type: "init", turns: this.turns, teacher: this.teacher.describe(), busy: this.busy });
        for (const m of this.pendingPosts.splice(0)) this.post(m);
        return;
      case "ask":
        await this.ask({ question: message.question });
        return;
      case "stop":
        this.running?.abort();
        return;
      case "new-chat":
        this.newChat();
        return;
      case "copy-code":
        await vscode.env.clipboard.writeText(message.code);
        return;
      case "insert-code":
        await vscode.commands.executeCommand("relay.insertCode", message.code, this.teacherRangesFor(message.code));
        return;
    }
  }

  /** Teacher-written parts of a code block the user inserts (searched in the latest answers). */
  private teacherRangesFor(code: string): TeacherRange[] {
    for (const turn of [...this.turns].reverse()) {
      const ranges = teacherRangesIn(code, turn.spans);
      if (ranges.length > 0) return ranges;
    }
    return [];
  }

  newChat(): void {
    this.running?.abort();
    this.turns = [];
    void this.saveHistory();
    this.post({ type: "cleared" });
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
    const controller = new AbortController();
    this.running = controller;
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
      turn.stats = { ...result.stats };
      turn.stopped = result.stats.stopReason === "aborted";
      return result;
    } catch (error) {
      turn.error = errorMessage(error);
      this.log.error(`chat: ${turn.error}`);
      return undefined;
    } finally {
      marker?.dispose();
      this.running = undefined;
      this.turns = [...this.turns, turn].slice(-MAX_TURNS);
      await this.saveHistory();
      this.post({ type: "turn-end", turn });
      this.postStatus();
      request.onDone?.();
    }
  }

  private postStatus(): void {
    this.post({ type: "status", teacher: this.teacher.describe(), busy: this.busy });
  }

  private post(message: ToWebview): void {
    if (!this.view) return;
    if (!this.ready) {
      // The front end asks for the whole state with "ready"; streaming pieces can wait for it.
      if (message.type !== "init" && message.type !== "status") this.pendingPosts.push(message);
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
