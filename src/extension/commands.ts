/**
 * Every command of the extension, as a factory over the window's services (the way
 * rust-analyzer's `ctx.registerCommand(name, factory)` does): the table is the one place that
 * says what each command runs, and `extension.ts` registers it once, owned like every service.
 */
import * as vscode from "vscode";
import { budgetNumbers } from "../core/budgetStatus.js";
import type { Logger } from "../core/logger.js";
import type { TeacherRange } from "../editor/teacherRanges.js";
import type { BudgetService } from "./budgetService.js";
import type { ChatViewProvider } from "./chatView.js";
import type { ExplainStep } from "./explainStep.js";
import { openSettings } from "./fixActions.js";
import type { InlineModelService } from "./inlineModelService.js";
import type { RelayInlineProvider } from "./inlineProvider.js";
import type { Provenance } from "./provenance.js";
import type { StudentService } from "./studentService.js";
import type { TeacherLogView } from "./teacherLogView.js";
import type { TeacherService } from "./teacherService.js";
import type { TeacherSetup } from "./teacherSetup.js";

/** What the commands work with: the window's services, created and owned by activate(). */
export interface CommandContext {
  context: vscode.ExtensionContext;
  channel: vscode.OutputChannel;
  log: Logger;
  student: StudentService;
  teacher: TeacherService;
  teacherSetup: TeacherSetup;
  teacherLog: TeacherLogView;
  budget: BudgetService;
  inlineModel: InlineModelService;
  chat: ChatViewProvider;
  explain: ExplainStep;
  provenance: Provenance;
  inlineProvider: RelayInlineProvider;
}

type Handler = (...args: never[]) => unknown;

const COMMANDS: Record<string, (x: CommandContext) => Handler> = {
  "relay.openChat": (x) => () => x.chat.reveal(),
  "relay.newChat": (x) => () => x.chat.newChat(),
  "relay.showChatHistory": (x) => () => x.chat.showHistory(),
  "relay.getStarted": (x) => () => vscode.commands.executeCommand("workbench.action.openWalkthrough", `${x.context.extension.id}#setup`, false),
  "relay.ask": (x) => async (question?: string) => {
    const q = question ?? (await vscode.window.showInputBox({ title: "Relay: ask", prompt: "A question for the relay (student + teacher)" }));
    if (!q) return;
    await x.chat.reveal();
    return x.chat.ask({ question: q });
  },
  "relay.explainStep": (x) => () => x.explain.run(),
  "relay.insertCode": (x) => async (code: string, teacherRanges: TeacherRange[] = []) => {
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (!editor) return void vscode.window.showInformationMessage("Relay: open an editor to insert the code into.");
    const offset = editor.document.offsetAt(editor.selection.start);
    const done = await editor.edit((edit) => edit.replace(editor.selection, code));
    if (done) x.provenance.add(editor.document, offset, teacherRanges);
  },
  "relay.inlineAccepted": (x) => (uri: string, offset: number, ranges: TeacherRange[], length?: number) => {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (!document) return;
    x.provenance.add(document, offset, ranges);
    // The next suggestion, computed ahead from where the accepted one ends (when the cursor is there).
    const end = length === undefined ? undefined : document.positionAt(offset + length);
    const editor = vscode.window.activeTextEditor;
    if (end && editor?.document === document && editor.selection.active.isEqual(end)) void x.inlineProvider.accepted(document, end);
  },
  "relay.clearTeacherMarks": (x) => () => x.provenance.clear(),
  "relay.toggleInline": () => async () => {
    const inline = vscode.workspace.getConfiguration("relay.inline");
    await inline.update("enabled", !inline.get("enabled", true), vscode.ConfigurationTarget.Global);
  },
  "relay.setTeacherApiKey": (x) => () => x.teacher.setApiKey(),
  "relay.configureTeacher": (x) => () => x.teacherSetup.configure(),
  "relay.testTeacher": (x) => () => x.teacherSetup.test(),
  "relay.continueStudentOnly": (x) => () => x.teacher.continueStudentOnly(),
  "relay.openSettings": () => (query: string) => openSettings(query),
  "relay.clearTeacherApiKey": (x) => () => x.teacher.clearApiKey(),
  "relay.showTeacherLog": (x) => () => x.teacherLog.show(),
  "relay.showTeacherLogRaw": (x) => () => x.teacherLog.showRaw(),
  "relay.showLog": (x) => () => x.channel.show(),
  "relay.budgetActions": (x) => () => x.budget.showActions(),
  "relay.setWorkspaceBudget": (x) => () => x.budget.setWorkspaceBudget(),
  "relay.resetBudgetPeriod": (x) => () => x.budget.resetPeriod(),
  "relay.toggleTeacher": (x) => () => x.teacher.setPaused(!x.teacher.paused),
  "relay.reloadModel": (x) => async () => {
    await x.inlineModel.unload("reload requested");
    await x.student.reload();
  },
  "relay.downloadRecommendedModel": (x) => () => x.student.download(),
  "relay.downloadModel": (x) => (ref?: string) => x.student.download(ref),
  "relay.useRelayStudent": (x) => () => x.student.useRelayStudent(),
  "relay.chooseModelFile": (x) => async () => {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      canSelectFolders: false,
      filters: { "GGUF models": ["gguf"] },
      title: "Relay: choose the student model (a GGUF file)",
      openLabel: "Use as Student Model",
    });
    if (picked?.[0]) await x.student.choose(picked[0].fsPath);
  },
  "relay.showStatus": (x) => () => {
    // The inline model is named when there is one apart from the student.
    const inline = x.inlineModel.state().kind === "student" ? "" : `; ${x.inlineModel.describe()}`;
    const message = `Relay: ${x.student.describe()}${inline}; ${x.teacher.describe()}; ${budgetNumbers(x.budget.status())}.`;
    x.log.info(message);
    void vscode.window.showInformationMessage(message);
  },
};

/** The ids of every command the extension registers. */
export const COMMAND_IDS: readonly string[] = Object.keys(COMMANDS);

/** Registers every command over the window's services; `register` owns what it registers. */
export function registerCommands(x: CommandContext, register: (id: string, run: Handler) => unknown): void {
  for (const [id, make] of Object.entries(COMMANDS)) register(id, make(x));
}
