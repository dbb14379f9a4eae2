/**
 * Extension entry point: creates the window's services and registers the commands of
 * commands.ts over them. Kept thin.
 * Every service is owned here; `deactivate()` closes them in reverse order and waits for the
 * ones with something to wait for (the answer being written, the student's context and model,
 * the llama.cpp runtime).
 */
import * as vscode from "vscode";
import { disposeSharedLlama } from "../llama/llama.js";
import { BudgetService } from "./budgetService.js";
import { RelayChatParticipant } from "./chatParticipant.js";
import { ChatViewProvider } from "./chatView.js";
import { registerCommands } from "./commands.js";
import { ConfigProblems, watchConfig } from "./config.js";
import { ExplainStep } from "./explainStep.js";
import { InlineContextService } from "./inlineContext.js";
import { RelayInlineProvider } from "./inlineProvider.js";
import { InlineModelService } from "./inlineModelService.js";
import { InlineStatus } from "./inlineStatus.js";
import { RELAY_VENDOR, RelayModelProvider } from "./lmProvider.js";
import { channelLogger } from "./logger.js";
import { Provenance } from "./provenance.js";
import { RelayService } from "./relayService.js";
import { RoutingService } from "./routingService.js";
import { StudentService } from "./studentService.js";
import { TeacherLogView } from "./teacherLogView.js";
import { TeacherService } from "./teacherService.js";
import { TeacherSetup } from "./teacherSetup.js";
import { chatParticipantApi, languageModelChatProviderApi } from "./vscodeNewer.js";

/** A service deactivate() waits for; plain disposables are disposed. */
type Owned = vscode.Disposable & { close?: () => Promise<void> };

/** What this window owns, in creation order; closed in reverse. */
let owned: Owned[] = [];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const own = <T extends Owned>(service: T): T => {
    owned.push(service);
    return service;
  };
  const channel = own(vscode.window.createOutputChannel("Relay", { log: true }));
  const log = channelLogger(channel);
  // First: its listener must run before any other reads the settings after a change.
  own(watchConfig());
  const configProblems = own(new ConfigProblems(log));
  const student = own(new StudentService(log, context.globalStorageUri, context.extensionUri.fsPath));
  const teacher = own(new TeacherService(context, log));
  const teacherSetup = new TeacherSetup(teacher, log);
  const teacherLog = own(new TeacherLogView(teacher.requestLog));
  const routing = own(new RoutingService(context, log));
  const budget = own(new BudgetService(context, teacher, routing, log));
  const inlineModel = own(new InlineModelService(student, log, context.globalStorageUri));
  const relay = new RelayService(student, teacher, budget, routing, inlineModel, log);
  const chat = own(new ChatViewProvider(context, relay, teacher, student, budget, log));
  const provenance = own(new Provenance());
  own(new InlineStatus(student, inlineModel));
  const explain = own(new ExplainStep(chat));
  const inlineProvider = own(new RelayInlineProvider(relay, own(new InlineContextService(log)), log));
  own(vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, inlineProvider));
  // Kept alive while hidden: an answer streaming into a hidden panel is not lost (webview/README.md).
  own(vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat, { webviewOptions: { retainContextWhenHidden: true } }));
  // VS Code's own chat: @relay (1.90+), and Relay as a model of the model picker and vscode.lm
  // (1.104+). Both are found at run time; on an older VS Code the panel is the way in.
  const createParticipant = chatParticipantApi();
  if (createParticipant) own(new RelayChatParticipant(createParticipant, context.extensionUri, relay, student, teacher, budget, log));
  const registerModel = languageModelChatProviderApi();
  if (registerModel) {
    const provider = own(new RelayModelProvider(relay, student, teacher, String(context.extension.packageJSON.version ?? "0"), log));
    own(registerModel(RELAY_VENDOR, provider));
    // VS Code asks a provider for its models lazily; until something does, the native chat's model
    // picker does not list Relay (checked in VS Code 1.139 without Copilot). Ask once now.
    void Promise.resolve(vscode.lm.selectChatModels({ vendor: RELAY_VENDOR })).then(
      (models) => log.info(`language model: ${models.map((m) => m.name).join(", ") || "none"} listed for the model picker`),
      (error: unknown) => log.warn(`language model: could not list Relay's model: ${String(error)}`),
    );
  }
  const nativeChat = `${createParticipant ? "@relay registered" : "no chat participant API"}; ${registerModel ? "model provider registered" : `no language model provider API in VS Code ${vscode.version} (1.104+)`}`;

  registerCommands({ context, channel, log, student, teacher, teacherSetup, teacherLog, budget, inlineModel, chat, explain, provenance, inlineProvider }, (id, run) => own(vscode.commands.registerCommand(id, run)));

  configProblems.check();
  await teacher.init();
  await budget.init();
  log.info(`Relay activated (workspace trusted: ${vscode.workspace.isTrusted}; ${student.describe()}; ${teacher.describe()}; native chat: ${nativeChat})`);
}

/** Closes the services in reverse order, waiting for the answer in progress and the models. */
export async function deactivate(): Promise<void> {
  const services = owned.reverse();
  owned = [];
  for (const service of services) {
    try {
      if (service.close) await service.close();
      else service.dispose();
    } catch {
      // one service failing to close must not keep the others open
    }
  }
  await disposeSharedLlama().catch(() => {});
}
