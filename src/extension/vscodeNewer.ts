/**
 * The parts of the VS Code API newer than the pinned `@types/vscode` 1.100, declared here and
 * only here, and found at run time: the extension still installs and runs on VS Code 1.100,
 * where they are missing.
 *
 * `LanguageModelChatProvider` and `lm.registerLanguageModelChatProvider` are stable API since
 * VS Code 1.104: `@types/vscode` 1.104.0 declares them in its index.d.ts (no proposal), and
 * 1.138.0 the same apart from naming the capabilities type. Their shapes below are copied from
 * there, reduced to what Relay uses. The chat participant API (`vscode.chat`, stable since 1.90)
 * is in the pinned types already.
 */
import * as vscode from "vscode";

/** A model a provider offers (`LanguageModelChatInformation`, 1.104). */
export interface LanguageModelChatInformation {
  readonly id: string;
  readonly name: string;
  readonly family: string;
  readonly tooltip?: string;
  readonly detail?: string;
  readonly version: string;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  readonly capabilities: { readonly imageInput?: boolean; readonly toolCalling?: boolean | number };
}

/** A message as a provider receives it (`LanguageModelChatRequestMessage`, 1.104). */
export interface LanguageModelChatRequestMessage {
  readonly role: vscode.LanguageModelChatMessageRole;
  readonly content: ReadonlyArray<unknown>;
  readonly name: string | undefined;
}

/** `ProvideLanguageModelChatResponseOptions` (1.104). */
export interface ProvideLanguageModelChatResponseOptions {
  readonly modelOptions?: { readonly [name: string]: unknown };
  readonly tools?: readonly vscode.LanguageModelChatTool[];
  readonly toolMode: vscode.LanguageModelChatToolMode;
}

/** `LanguageModelChatProvider` (1.104). */
export interface LanguageModelChatProvider<T extends LanguageModelChatInformation = LanguageModelChatInformation> {
  readonly onDidChangeLanguageModelChatInformation?: vscode.Event<void>;
  provideLanguageModelChatInformation(options: { readonly silent: boolean }, token: vscode.CancellationToken): vscode.ProviderResult<T[]>;
  provideLanguageModelChatResponse(model: T, messages: readonly LanguageModelChatRequestMessage[], options: ProvideLanguageModelChatResponseOptions, progress: vscode.Progress<vscode.LanguageModelTextPart>, token: vscode.CancellationToken): Thenable<void>;
  provideTokenCount(model: T, text: string | LanguageModelChatRequestMessage, token: vscode.CancellationToken): Thenable<number>;
}

type Register = (vendor: string, provider: LanguageModelChatProvider) => vscode.Disposable;

/**
 * `vscode.lm.registerLanguageModelChatProvider` where this VS Code has it (1.104 and later),
 * else undefined.
 */
export function languageModelChatProviderApi(): Register | undefined {
  const lm = (vscode as unknown as { lm?: { registerLanguageModelChatProvider?: unknown } }).lm;
  const register = lm?.registerLanguageModelChatProvider;
  return typeof register === "function" ? (register.bind(lm) as Register) : undefined;
}

/** `vscode.chat.createChatParticipant` where this VS Code has it (1.90 and later; also editors without the chat). */
export function chatParticipantApi(): typeof vscode.chat.createChatParticipant | undefined {
  const chat = (vscode as unknown as { chat?: { createChatParticipant?: unknown } }).chat;
  const create = chat?.createChatParticipant;
  return typeof create === "function" ? (create.bind(chat) as typeof vscode.chat.createChatParticipant) : undefined;
}
