/** The prompt for "Explain this step": the step, with the text above it as bounded context. */
import type { TaskPrompt } from "../core/prompts.js";

export const EXPLAIN_CONTEXT_CHARS = 4000;

export interface StepSource {
  /** Text above the step (the part nearest the step is kept when it is long). */
  before: string;
  step: string;
  languageId?: string;
  fileName?: string;
}

export function explainPrompt(source: StepSource, maxContextChars = EXPLAIN_CONTEXT_CHARS): TaskPrompt {
  let before = source.before;
  if (before.length > maxContextChars) {
    before = before.slice(before.length - maxContextChars);
    // Start at a line boundary so the context does not begin mid-line.
    const nl = before.indexOf("\n");
    if (nl >= 0 && nl < before.length - 1) before = before.slice(nl + 1);
  }
  const fence = "```";
  const lang = source.languageId && source.languageId !== "plaintext" ? source.languageId : "";
  const where = source.fileName ? ` from ${source.fileName}` : "";
  const context = before.trim() ? `Here is the text above it${where}:\n${fence}${lang}\n${before.trimEnd()}\n${fence}\n\n` : "";
  return {
    system: "You explain one step of a solution or program clearly and briefly, for a student.",
    user: `${context}Explain this step: why it is done and why it is correct (or what is wrong with it).\n${fence}${lang}\n${source.step.trim()}\n${fence}`,
  };
}
