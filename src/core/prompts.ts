/** Task prompts: what the user asked, before any chat template is applied. */
import type { CompletionContext } from "./contextPrompt.js";

export const MATH_SUFFIX = "Please reason step by step, and put your final answer within \\boxed{}.";

/** One earlier exchange of the same chat. */
export interface ChatExchange {
  user: string;
  /** The answer as the user saw it (a thinking model's reasoning left out, as templates do). */
  assistant: string;
}

export interface TaskPrompt {
  system?: string;
  /** Earlier exchanges of the same chat, oldest first (the student's KV cache keeps them). */
  history?: readonly ChatExchange[];
  user: string;
  /**
   * Code completion: continue `prefix` (infill with `suffix` when the student supports it)
   * instead of answering `user` in chat form; `context`: repository context (other files'
   * chunks) in the model's repository format, or as plain text before the prefix.
   */
  completion?: { prefix: string; suffix: string; context?: CompletionContext };
}

/** The user turn for a math problem, ending with the paper's instruction (added once). */
export function mathPrompt(problem: string, system?: string): TaskPrompt {
  const trimmed = problem.trimEnd();
  const user = trimmed.endsWith(MATH_SUFFIX) ? trimmed : `${trimmed}\n${MATH_SUFFIX}`;
  return { system, user };
}
