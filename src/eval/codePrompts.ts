/**
 * The task prompts of the code sets. HumanEval: the function's prompt in a chat turn, the
 * answer a complete function in a fenced block (what instruction-tuned models do when asked; a
 * raw continuation is read too, see codeExtract.ts). Single-line infill: exactly what ghost text
 * asks — a code completion of the prefix (infilled with the suffix where the model has
 * fill-in-the-middle tokens), with the item's repository context when it has some; the answer is
 * its first line.
 */
import { SETTING_DEFAULTS } from "../core/defaults.js";
import { completionTask } from "../core/contextPrompt.js";
import { cutSuffix } from "../core/inlineWindow.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { CodeTask } from "./codeTask.js";

/** Recorded in a results file's settings: a change to these prompts makes old answers stale. */
export const CODE_PROMPT_VERSION = "code-2";

export const FUNCTION_INSTRUCTION = "Complete the following Python function. Reply with the complete function, including its signature, in one ```python code block.";

/** Tokens an infill answer may take: what ghost text may (one line needs far fewer). */
export const LINE_MAX_TOKENS = SETTING_DEFAULTS["inline.maxTokens"];

/** `suffixChars`: an infill item's suffix cut as ghost text cuts it (core/inlineWindow.ts); absent: whole. */
export function codePrompt(task: CodeTask, suffixChars?: number): TaskPrompt {
  // As ghost text asks (src/extension/inlineProvider.ts): a chat-style teacher sees the prefix as the user turn.
  // Repository context (the repo-line set) goes where the editor puts it: before the prefix, in
  // the model's repository format when it has one (src/core/contextPrompt.ts).
  if (task.kind === "line") return completionTask(task.prompt, suffixChars === undefined ? task.suffix : cutSuffix(task.suffix, suffixChars), task.context);
  return { user: `${FUNCTION_INSTRUCTION}\n\n\`\`\`python\n${task.prompt.trimEnd()}\n\`\`\`` };
}
