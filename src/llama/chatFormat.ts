/**
 * Chat formats through node-llama-cpp's chat wrappers: which wrapper renders a model's prompts
 * (with thinking on or off), a task as chat history, a thinking model's reasoning markers, and a
 * task rendered as plain text in a named format (for a teacher server of another family). A
 * model's own Jinja template is rendered in the sandbox (jinjaSandbox.ts), never unbounded in
 * this process.
 */
import type { ChatHistoryItem, ChatWrapper, LlamaModel, LlamaText, Token } from "node-llama-cpp";
import { RelayError } from "../core/errors.js";
import type { TaskPrompt } from "../core/prompts.js";
import { JinjaLimitError, jinjaSandbox } from "./jinjaSandbox.js";
import { nodeLlamaCpp } from "./llama.js";

import { isPromptTemplateName, PROMPT_TEMPLATES, type PromptTemplateName } from "../core/promptTemplates.js";

export { isPromptTemplateName, PROMPT_TEMPLATES, type PromptTemplateName };

/** A template node-llama-cpp's renderer is found with (rendered in this process once, before the sandbox is in place). */
const PROBE_TEMPLATE = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}";

/** What the pre-flight render gives a template: a short conversation, the model's turn opened. */
const PREFLIGHT_ITEMS = {
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "What is 2+3?" },
    { role: "assistant", content: "5" },
    { role: "user", content: "And 17 * 23?" },
  ],
  add_generation_prompt: true,
  bos_token: "",
  eos_token: "",
};

let sandboxInstalled: Promise<void> | undefined;

/**
 * Routes node-llama-cpp's Jinja rendering through the sandbox (src/llama/jinjaSandbox.ts), once
 * per process. Its renderer class is internal: it is found through a wrapper's renderer, and if
 * it is not where this version of node-llama-cpp keeps it, nothing is loaded (an internal
 * error) rather than a template rendered without limits.
 */
export function installJinjaSandbox(): Promise<void> {
  sandboxInstalled ??= (async () => {
    const { JinjaTemplateChatWrapper } = await nodeLlamaCpp();
    const renderer = (new JinjaTemplateChatWrapper({ template: PROBE_TEMPLATE }) as unknown as { _jinjaTemplate?: { _template?: unknown } })._jinjaTemplate;
    const proto = renderer ? (Object.getPrototypeOf(renderer) as { render?: unknown }) : undefined;
    if (!proto || typeof proto.render !== "function" || renderer?._template !== PROBE_TEMPLATE) {
      throw new RelayError("internal", "node-llama-cpp's Jinja renderer is not where this version of Relay expects it: chat templates cannot be rendered with limits, so no model is loaded.");
    }
    const sandbox = jinjaSandbox();
    proto.render = function (this: { _template: string }, items: Record<string, unknown>): string {
      return sandbox.render(this._template, items);
    };
  })();
  sandboxInstalled.catch(() => (sandboxInstalled = undefined));
  return sandboxInstalled;
}

/**
 * The wrapper for a model, as node-llama-cpp resolves it; `thinking: false` asks for the no-think
 * form. Its chat template is rendered in the sandbox, within the load's time limit; a template
 * that broke a limit fails the load (JinjaLimitError) even where node-llama-cpp would have
 * fallen back to another format.
 */
export async function resolveWrapper(model: LlamaModel, options: { thinking: boolean }): Promise<ChatWrapper> {
  await installJinjaSandbox();
  const { resolveChatWrapper } = await nodeLlamaCpp();
  const sandbox = jinjaSandbox();
  const template = model.fileInfo.metadata?.tokenizer?.chat_template;
  // One render of an ordinary conversation first: a template that loops or allocates on any
  // input is refused before node-llama-cpp tries it ~1,000 times (printing its fallbacks).
  if (typeof template === "string" && template.trim() !== "") {
    try {
      sandbox.duringLoad(() => sandbox.render(template, PREFLIGHT_ITEMS));
    } catch (error) {
      if (error instanceof JinjaLimitError) throw error;
      // A template's own error (it expects other input): node-llama-cpp decides what to do with it.
    }
  }
  const wrapper = sandbox.duringLoad(() =>
    options.thinking
      ? resolveChatWrapper(model)
      : // Qwen3: an empty `<think>\n\n</think>\n\n` opens the answer (the template's enable_thinking=false);
        // a Jinja template gets enable_thinking=false itself.
        resolveChatWrapper(model, { customWrapperSettings: { qwen: { thoughts: "discourage" }, jinjaTemplate: { reasoning: false } } }),
  );
  const reason = typeof template === "string" ? sandbox.trippedReason(template) : undefined;
  if (reason !== undefined) throw new JinjaLimitError(reason);
  return wrapper;
}

/** The wrapper's context state for `history`; a template that breaks a limit now is a RelayError naming the model. */
function contextState(model: LlamaModel, wrapper: ChatWrapper, history: ChatHistoryItem[]): ReturnType<ChatWrapper["generateContextState"]> {
  try {
    return wrapper.generateContextState({ chatHistory: history });
  } catch (error) {
    const template = (wrapper as { template?: unknown }).template;
    const reason = typeof template === "string" ? jinjaSandbox().trippedReason(template) : undefined;
    if (reason !== undefined) throw templateRefused(model.filename ?? "the model", reason, error);
    throw error;
  }
}

/** The error for a chat template that broke a limit of the sandbox. */
export function templateRefused(modelName: string, reason: string, cause?: unknown): RelayError {
  return new RelayError(
    "model-load-failed",
    `Refused the chat template of ${modelName}: it ${reason}. A model file's chat template is code, run with limits (time, steps, size, memory); use another model file.`,
    { cause },
  );
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
  const { contextText } = contextState(model, wrapper, chatHistoryOf(task));
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
