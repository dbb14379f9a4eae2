/** Chat formats a teacher prompt can be rendered in (node-llama-cpp's specialized chat wrappers, by name). */
export const PROMPT_TEMPLATES = ["chatML", "qwen", "gemma", "llama3.1", "llama3", "llama2Chat", "mistral", "deepSeek", "alpacaChat", "falconChat", "general"] as const;
export type PromptTemplateName = (typeof PROMPT_TEMPLATES)[number];

export function isPromptTemplateName(value: string): value is PromptTemplateName {
  return (PROMPT_TEMPLATES as readonly string[]).includes(value);
}
