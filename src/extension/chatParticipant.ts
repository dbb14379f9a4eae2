/**
 * `@relay` in VS Code's own chat (the Chat Participant API, stable since VS Code 1.90): the
 * answer streams from the relay into the native chat with the teacher's text marked (one legend
 * per answer), a progress line while the teacher is asked, and the footer's figures at the end;
 * `/explain` explains the selection (as Explain This Step does), `/budget` shows this
 * workspace's teacher budget; cancelling stops the student and the teacher request. The
 * Markdown is written by core/chatMarkdown.ts; this file only connects it to the chat.
 */
import * as vscode from "vscode";
import { STATS_SEPARATOR, askingText, statsTexts } from "../core/answerFigures.js";
import { budgetNumbers, spentSentence } from "../core/budgetStatus.js";
import { TEACHER_LEGEND, TeacherMarkdown, teacherMark, type AnswerPiece } from "../core/chatMarkdown.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { participantHistory } from "../core/lmRequest.js";
import type { TaskPrompt } from "../core/prompts.js";
import { CONTEXT_TURNS } from "../protocol/chatContext.js";
import type { BudgetService } from "./budgetService.js";
import { unansweredNotice } from "./chatView.js";
import { readConfig } from "./config.js";
import { explainRequest } from "./explainStep.js";
import type { RelayService } from "./relayService.js";
import type { StudentService } from "./studentService.js";
import type { TeacherService } from "./teacherService.js";

/** package.json `chatParticipants[0].id`. */
export const PARTICIPANT_ID = "relay.participant";

/** What an answer keeps for the next turn's history and for the follow-ups (JSON). */
export interface RelayChatMetadata {
  /** The answer's plain text (no marks, no footer): the history of the next question. */
  answer?: string;
  command?: string;
  stopReason?: string;
  deniedCalls?: number;
}

/** Whether this VS Code folds a finished response's steps (`chat.agent.collapseCompletedResponses`, 1.139: on by default). */
function foldsCompletedResponses(): boolean {
  return vscode.workspace.getConfiguration("chat.agent").get<boolean>("collapseCompletedResponses") === true;
}

/** Markdown of the native chat: HTML on for the teacher's marks; every part alike, so the chat joins them. */
function markdown(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(text);
  md.supportHtml = true;
  return md;
}

export class RelayChatParticipant implements vscode.Disposable {
  private readonly participant: vscode.ChatParticipant;
  /** Answers in progress: close() cancels and waits for them. */
  private readonly running = new Map<AbortController, Promise<unknown>>();

  constructor(
    create: typeof vscode.chat.createChatParticipant,
    extensionUri: vscode.Uri,
    private readonly relay: RelayService,
    private readonly student: StudentService,
    private readonly teacher: TeacherService,
    private readonly budget: BudgetService,
    private readonly log: Logger,
  ) {
    this.participant = create(PARTICIPANT_ID, (request, context, stream, token) => this.handle(request, context, stream, token));
    this.participant.iconPath = vscode.Uri.joinPath(extensionUri, "media", "icon.png");
    this.participant.followupProvider = { provideFollowups: (result) => this.followups(result) };
  }

  async handle(request: vscode.ChatRequest, context: vscode.ChatContext, stream: vscode.ChatResponseStream, token: vscode.CancellationToken): Promise<vscode.ChatResult> {
    if (request.command === "budget") return this.showBudget(stream);
    if (this.student.state().kind === "none") {
      stream.markdown(markdown("Relay needs a student model first. Choose one in the Relay chat panel — nothing is downloaded until you do."));
      stream.button({ command: "relay.openChat", title: "Open Relay Chat" });
      return { metadata: { command: request.command } satisfies RelayChatMetadata };
    }
    let task: TaskPrompt;
    if (request.command === "explain") {
      const target = this.explainTarget(request);
      if (!target) {
        stream.markdown(markdown("Select the step to explain in an editor (or put the cursor on its line), or write it after `/explain`."));
        return { metadata: { command: "explain" } satisfies RelayChatMetadata };
      }
      if (target.location) stream.reference(target.location);
      task = target.task;
    } else {
      if (!request.prompt.trim()) {
        stream.markdown(markdown("Ask a question after `@relay`."));
        return {};
      }
      const history = participantHistory(this.historyOf(context), CONTEXT_TURNS);
      task = { user: request.prompt, ...(history.length ? { history } : {}) };
    }
    return this.answer(task, request.command, stream, token);
  }

  /** Streams one relay answer into the chat; the footer ends it. */
  private async answer(task: TaskPrompt, command: string | undefined, stream: vscode.ChatResponseStream, token: vscode.CancellationToken): Promise<vscode.ChatResult> {
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    if (token.isCancellationRequested) controller.abort();
    const writer = new TeacherMarkdown();
    const write = (text: string) => {
      if (text) stream.markdown(markdown(text));
    };
    const pieces: AnswerPiece[] = [];
    let thinking = false;
    let progressShown = false;
    const progress = (text: string) => {
      progressShown = true;
      stream.progress(text);
    };
    const teacherAtStart = this.teacher.state();
    const run = this.relay.run({
      task,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "teacher-start") progress(askingText(event.granted));
        else if (event.type === "text" && event.thought) {
          if (!thinking) progress("the student is thinking…");
          thinking = true;
        } else if (event.type === "text" && event.kind === "student") {
          pieces.push({ text: event.text });
          write(writer.student(event.text));
        } else if (event.type === "span" && event.span.kind === "teacher" && !event.span.thought && event.span.text) {
          // The teacher's text comes whole with its span: marked with its model, tokens and time.
          const mark = teacherMark(event.span);
          pieces.push({ text: event.span.text, mark });
          write(writer.teacher(event.span.text, mark));
        }
      },
    });
    this.running.set(controller, run.catch(() => undefined));
    try {
      const result = await run;
      const s = result.stats;
      const config = readConfig();
      const priced = config.teacher.inputPricePerMillion > 0 || config.teacher.outputPricePerMillion > 0;
      const status = this.budget.status();
      const notice = unansweredNotice(s, teacherAtStart, status.level === "spent" ? spentSentence(status) : undefined);
      const figures = statsTexts(s, { usd: s.estimatedCostUsd, priced });
      if (s.stopReason === "aborted") figures.push("stopped");
      if (s.stopReason === "model-unloaded") figures.push("stopped: the student model was unloaded");
      const footer = `\n\n---\n\n${[writer.teacherSpans > 0 ? TEACHER_LEGEND : "", `<sub>${figures.join(STATS_SEPARATOR)}</sub>`, notice ? `<sub>${notice}</sub>` : ""].filter(Boolean).join("\n\n")}\n`;
      if (progressShown && foldsCompletedResponses()) {
        // VS Code (1.139) folds what came before a response's last progress line under
        // "Completed N steps" once it is done, leaving the text after it in view: the answer as
        // streamed would be hidden up to the last teacher call. So the whole answer is written
        // once more as the response's last part, after a last progress line; the streamed draft
        // stays in the folded steps.
        write(writer.end());
        stream.progress("the answer, with the teacher's text marked");
        write(TeacherMarkdown.render(pieces) + footer);
      } else write(writer.end() + footer);
      const answer = pieces.map((p) => p.text).join("");
      const metadata: RelayChatMetadata = { answer: command ? undefined : answer, command, stopReason: s.stopReason, deniedCalls: s.deniedCalls };
      return { metadata };
    } catch (error) {
      const message = errorMessage(error);
      this.log.error(`chat participant: ${message}`);
      write(writer.end());
      return { errorDetails: { message: `Relay: ${message}` }, metadata: { command } satisfies RelayChatMetadata };
    } finally {
      cancel.dispose();
      this.running.delete(controller);
    }
  }

  /** `/explain`: a selection referenced in the request, else the active editor's, else the text typed after it. */
  private explainTarget(request: vscode.ChatRequest): { task: TaskPrompt; location?: vscode.Location } | undefined {
    for (const ref of request.references) {
      const value = ref.value;
      if (value instanceof vscode.Location) {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === value.uri.toString());
        const found = doc && explainRequest(doc, value.range);
        if (found) return { task: this.withPrompt(found.task, request.prompt), location: new vscode.Location(doc.uri, found.range) };
      }
    }
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (editor) {
      const selection = editor.selection;
      const found = explainRequest(editor.document, selection.isEmpty ? new vscode.Range(selection.active, selection.active) : selection);
      if (found) return { task: this.withPrompt(found.task, request.prompt), location: new vscode.Location(editor.document.uri, found.range) };
    }
    const typed = request.prompt.trim();
    if (!typed) return undefined;
    return { task: { system: "You explain one step of a solution or program clearly and briefly, for a student.", user: `Explain this step: why it is done and why it is correct (or what is wrong with it).\n${typed}` } };
  }

  /** What the user wrote after `/explain` beside a selection: their question about it. */
  private withPrompt(task: TaskPrompt, prompt: string): TaskPrompt {
    return prompt.trim() ? { ...task, user: `${task.user}\n\n${prompt.trim()}` } : task;
  }

  /** `/budget`: this workspace's teacher budget, and the actions on it. */
  private showBudget(stream: vscode.ChatResponseStream): vscode.ChatResult {
    const s = this.budget.status();
    const u = this.budget.usage();
    const lines = [
      `**Teacher budget of this workspace:** ${budgetNumbers(s)}${s.level === "spent" ? ` — ${spentSentence(s)}; the student answers alone` : ""}.`,
      "",
      `| | tokens |`,
      `|---|---:|`,
      `| used this ${u.period} (${u.periodKey}) | ${s.unknownSpend ? "unknown" : u.used} |`,
      `| limit | ${s.level === "unlimited" ? "none" : u.limit} |`,
      `| remaining | ${s.level === "unlimited" ? "∞" : u.remaining} |`,
      `| teacher calls | ${u.calls} |`,
      "",
      `${this.teacher.describe().replace(/^t/, "T")}. A request from another extension through the model picker or \`vscode.lm\` is charged to this budget too.`,
    ];
    stream.markdown(markdown(lines.join("\n")));
    stream.button({ command: "relay.setWorkspaceBudget", title: "Set This Workspace's Budget…" });
    stream.button({ command: "relay.budgetActions", title: "Budget Actions…" });
    return { metadata: { command: "budget" } satisfies RelayChatMetadata };
  }

  /** This participant's earlier questions and their answers' plain text. */
  private historyOf(context: vscode.ChatContext): Array<{ question: string; answer?: string }> {
    const turns: Array<{ question: string; answer?: string }> = [];
    for (const turn of context.history) {
      if (turn instanceof vscode.ChatRequestTurn) {
        if (!turn.command) turns.push({ question: turn.prompt });
      } else if (turn instanceof vscode.ChatResponseTurn) {
        const meta = turn.result.metadata as RelayChatMetadata | undefined;
        const last = turns[turns.length - 1];
        if (last && last.answer === undefined && !meta?.command && meta?.stopReason !== "aborted") last.answer = meta?.answer;
      }
    }
    return turns;
  }

  /** Follow-ups where they help: go on after the length cap; the budget after a refusal. */
  followups(result: vscode.ChatResult): vscode.ChatFollowup[] {
    const meta = result.metadata as RelayChatMetadata | undefined;
    const out: vscode.ChatFollowup[] = [];
    if (meta?.stopReason === "max-tokens" && !meta.command) out.push({ prompt: "Go on from where the answer stopped.", label: "Continue the answer" });
    if ((meta?.deniedCalls ?? 0) > 0) out.push({ prompt: "", command: "budget", label: "Show the teacher budget" });
    return out;
  }

  /** Cancels the answers in progress and waits for them (deactivation). */
  async close(): Promise<void> {
    for (const controller of this.running.keys()) controller.abort();
    await Promise.all(this.running.values());
    this.dispose();
  }

  dispose(): void {
    this.participant.dispose();
  }
}
