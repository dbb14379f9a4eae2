/**
 * Chat formats through node-llama-cpp's chat wrappers: which wrapper renders a model's prompts
 * (with thinking on or off), a task as chat history, a thinking model's reasoning markers, and a
 * task rendered as plain text in a named format (for a teacher server of another family).
 */
import type { ChatHistoryItem, ChatWrapper, LlamaModel, LlamaText, Token } from "node-llama-cpp";
import { RelayError } from "../core/errors.js";
import type { TaskPrompt } from "../core/prompts.js";
import { nodeLlamaCpp } from "./llama.js";

import { isPromptTemplateName, PROMPT_TEMPLATES, type PromptTemplateName } from "../core/promptTemplates.js";

export { isPromptTemplateName, PROMPT_TEMPLATES, type PromptTemplateName };

/** The wrapper for a model, as node-llama-cpp resolves it; `thinking: false` asks for the no-think form. */
export async function resolveWrapper(model: LlamaModel, options: { thinking: boolean }): Promise<ChatWrapper> {
  const { resolveChatWrapper } = await nodeLlamaCpp();
  if (options.thinking) return resolveChatWrapper(model);
  // Qwen3: an empty `<think>\n\n</think>\n\n` opens the answer (the template's enable_thinking=false);
  // a Jinja template gets enable_thinking=false itself.
  return resolveChatWrapper(model, { customWrapperSettings: { qwen: { thoughts: "discourage" }, jinjaTemplate: { reasoning: false } } });
}

/** A task as node-llama-cpp chat history, the model's turn left open. */
export function chatHistoryOf(task: TaskPrompt): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  if (task.system) history.push({ type: "system", text: task.system });
  for (const turn of task.history ?? []) history.push({ type: "user", text: turn.user }, { type: "model", response: [turn.assistant] });
  history.push({ type: "user", text: task.user }, { type: "model", response: [] });
  return history;
}

/** A chat task's prompt tokens in `model`'s format, the model's turn opened. */
export function chatPromptTokens(model: LlamaModel, wrapper: ChatWrapper, task: TaskPrompt): Token[] {
  const { contextText } = wrapper.generateContextState({ chatHistory: chatHistoryOf(task) });
  const tokens = contextText.tokenize(model.tokenizer);
  // node-llama-cpp's ChatML wrapper starts with the model's BOS token. SmolLM2's BOS is
  // `<|im_start|>` and its tokenizer says not to add one, so its prompt began
  // `<|im_start|><|im_start|>user`: a BOS the model does not want is dropped (unless its own
  // template writes one).
  const bos = model.tokens.bos;
  const template = model.fileInfo.metadata?.tokenizer?.chat_template ?? "";
  if (bos !== null && tokens[0] === bos && !model.tokens.shouldPrependBosToken && !template.includes("bos_token")) return tokens.slice(1);
  return tokens;
}

/**
 * A chat task's prompt as text, special tokens written out. A BOS the tokenizer adds by itself
 * is left out (a server, or the local teacher, adds it); one it does not add stays: SmolLM2's
 * `<|im_start|>` is its BOS token and opens the prompt's first turn.
 */
export function chatPromptText(model: LlamaModel, wrapper: ChatWrapper, task: TaskPrompt): string {
  const tokens = chatPromptTokens(model, wrapper, task);
  const body = tokens[0] === model.tokens.bos && model.tokens.shouldPrependBosToken ? tokens.slice(1) : tokens;
  return model.detokenize(body, true);
}

export interface ThoughtMarkers {
  open: string;
  close: string;
  /** The template itself opens the section at the start of the answer. */
  opensOnStart: boolean;
}

/** Plain text of a LlamaText; special tokens written by name are dropped (a server adds its own BOS). */
export function plainText(text: LlamaText | string): string {
  if (typeof text === "string") return text;
  const json = text.toJSON();
  if (typeof json === "string") return json;
  return json.map((v) => (typeof v === "string" ? v : v.type === "specialTokensText" ? v.value : "")).join("");
}

/** A thinking model's reasoning markers, from its wrapper's thought segment; undefined when it has none. */
export function thoughtMarkers(wrapper: ChatWrapper): ThoughtMarkers | undefined {
  const thought = wrapper.settings.segments?.thought;
  if (!thought?.suffix) return undefined;
  const close = plainText(thought.suffix).trim();
  if (!close) return undefined;
  const prefix = thought.prefix;
  const openedOnStart = typeof prefix === "object" && "type" in prefix && prefix.type === "openedOnStart";
  const open = openedOnStart ? close.replace("</", "<") : plainText(prefix as LlamaText | string).trim();
  if (!open) return undefined;
  return { open, close, opensOnStart: openedOnStart };
}

/**
 * Renders `task` as text in a named chat format, the model's turn left open, for a completions
 * teacher of another family than the student. No tokenizer is involved: special tokens that a
 * format writes by name (BOS) are left to the server, which adds its own.
 */
export async function promptRenderer(name: PromptTemplateName): Promise<(task: TaskPrompt) => string> {
  if (!isPromptTemplateName(name)) throw new RelayError("invalid-argument", `Unknown prompt template "${name}" (known: ${PROMPT_TEMPLATES.join(", ")}).`);
  const { chatWrappers } = await nodeLlamaCpp();
  const wrapper: ChatWrapper = new chatWrappers[name]();
  return (task) => plainText(wrapper.generateContextState({ chatHistory: chatHistoryOf(task) }).contextText);
}
