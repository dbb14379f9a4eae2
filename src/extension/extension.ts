/** Extension entry point: creates the window's services and registers commands. Kept thin. */
import * as vscode from "vscode";
import { BudgetService } from "./budgetService.js";
import { ChatViewProvider } from "./chatView.js";
import { ConfigProblems } from "./config.js";
import { explainStep } from "./explainStep.js";
import type { TeacherRange } from "../core/provenance.js";
import { RelayInlineProvider } from "./inlineProvider.js";
import { InlineStatus } from "./inlineStatus.js";
import { Provenance } from "./provenance.js";
import { channelLogger } from "./logger.js";
import { RelayService } from "./relayService.js";
import { StudentService } from "./studentService.js";
import { TeacherService } from "./teacherService.js";

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const channel = vscode.window.createOutputChannel("Relay", { log: true });
  const log = channelLogger(channel);
  const configProblems = new ConfigProblems(log);
  const student = new StudentService(log, context.globalStorageUri);
  const teacher = new TeacherService(context, log);
  const budget = new BudgetService(context, teacher, log);
  const relay = new RelayService(student, teacher, budget, log);
  const chat = new ChatViewProvider(context, relay, teacher, log);
  const provenance = new Provenance();
  const inlineStatus = new InlineStatus();
  context.subscriptions.push(channel, configProblems, student, teacher, budget, chat, provenance, inlineStatus);
  context.subscriptions.push(vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, new RelayInlineProvider(relay, log)));

  const command = (id: string, run: (...args: never[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, run));
  context.subscriptions.push(vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat, { webviewOptions: { retainContextWhenHidden: true } }));
  command("relay.openChat", () => chat.reveal());
  command("relay.newChat", () => chat.newChat());
  command("relay.ask", async (question?: string) => {
    const q = question ?? (await vscode.window.showInputBox({ title: "Relay: ask", prompt: "A question for the relay (student + teacher)" }));
    if (!q) return;
    await chat.reveal();
    return chat.ask({ question: q });
  });
  command("relay.explainStep", () => explainStep(chat));
  command("relay.insertCode", async (code: string, teacherRanges: TeacherRange[] = []) => {
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (!editor) return void vscode.window.showInformationMessage("Relay: open an editor to insert the code into.");
    const offset = editor.document.offsetAt(editor.selection.start);
    const done = await editor.edit((edit) => edit.replace(editor.selection, code));
    if (done) provenance.add(editor.document, offset, teacherRanges);
  });
  command("relay.inlineAccepted", (uri: string, offset: number, ranges: TeacherRange[]) => {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (document) provenance.add(document, offset, ranges);
  });
  command("relay.clearTeacherMarks", () => provenance.clear());
  command("relay.toggleInline", async () => {
    const c = vscode.workspace.getConfiguration("relay.inline");
    await c.update("enabled", !c.get("enabled", true), vscode.ConfigurationTarget.Global);
  });
  command("relay.setTeacherApiKey", () => teacher.setApiKey());
  command("relay.clearTeacherApiKey", () => teacher.clearApiKey());
  command("relay.showTeacherLog", () => teacher.showLog());
  command("relay.showLog", () => channel.show());
  command("relay.budgetActions", () => budget.showActions());
  command("relay.setWorkspaceBudget", () => budget.setWorkspaceBudget());
  command("relay.resetBudgetPeriod", () => budget.resetPeriod());
  command("relay.toggleTeacher", () => teacher.setPaused(!teacher.paused));
  command("relay.reloadModel", async () => {
    await student.unload("reload requested");
    await student.get();
  });
  command("relay.chooseModelFile", async () => {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { "GGUF models": ["gguf"] }, title: "Relay: choose the student model" });
    if (picked?.[0]) await vscode.workspace.getConfiguration("relay").update("student.model", picked[0].fsPath, vscode.ConfigurationTarget.Global);
  });
  command("relay.showStatus", () => {
    const u = budget.usage();
    const message = `Relay: ${teacher.describe()}; ${u.used} / ${u.limit || "∞"} teacher tokens this ${u.period}.`;
    log.info(message);
    void vscode.window.showInformationMessage(message);
  });

  configProblems.check();
  await teacher.init();
  await budget.init();
  log.info(`Relay activated (workspace trusted: ${vscode.workspace.isTrusted}; ${teacher.describe()})`);
}

export function deactivate(): void {}
