/** Chat formats a teacher prompt can be rendered in (node-llama-cpp's specialized chat wrappers, by name). */
export const PROMPT_TEMPLATES = ["chatML", "qwen", "gemma", "llama3.1", "llama3", "llama2Chat", "mistral", "deepSeek", "alpacaChat", "falconChat", "general"] as const;
export type PromptTemplateName = (typeof PROMPT_TEMPLATES)[number];

export function isPromptTemplateName(value: string): value is PromptTemplateName {
  return (PROMPT_TEMPLATES as readonly string[]).includes(value);
}

/**
 * Special tokens that mark each chat format, in the order they are tried: a model whose
 * tokenizer reads one of these as a single token (or whose chat template contains it) uses that
 * format. ChatML is Qwen's own; Qwen's wrapper adds Qwen's default system prompt.
 */
export const CHAT_FORMAT_MARKERS: ReadonlyArray<{ marker: string; template: PromptTemplateName }> = [
  { marker: "<|im_start|>", template: "chatML" },
  { marker: "<start_of_turn>", template: "gemma" },
  { marker: "<|start_header_id|>", template: "llama3.1" },
  { marker: "<｜User｜>", template: "deepSeek" },
  { marker: "[INST]", template: "mistral" },
];

/** ChatML models of the Qwen family get Qwen's wrapper (its default system prompt, as its server renders it). */
export function refineTemplate(template: PromptTemplateName, modelName: string): PromptTemplateName {
  return template === "chatML" && /qwen/i.test(modelName) ? "qwen" : template;
}

/** The chat format a chat template (Jinja text, e.g. llama-server's /props) is written in. */
export function templateFromChatTemplate(text: string, modelName: string): PromptTemplateName | undefined {
  const found = CHAT_FORMAT_MARKERS.find((m) => text.includes(m.marker));
  return found && refineTemplate(found.template, modelName);
}

/** A guess from the model's name alone (the last resort: said as a guess). */
export function templateFromModelName(name: string): PromptTemplateName | undefined {
  const n = name.toLowerCase();
  if (/qwen/.test(n)) return "qwen";
  if (/gemma/.test(n)) return "gemma";
  if (/llama[-_. ]?3/.test(n)) return "llama3.1";
  if (/mistral|mixtral/.test(n)) return "mistral";
  if (/deepseek/.test(n)) return "deepSeek";
  if (/smollm|chatml|hermes|yi-/.test(n)) return "chatML";
  return undefined;
}
