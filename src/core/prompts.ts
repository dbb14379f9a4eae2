/** Task prompts: what the user asked, before any chat template is applied. */

export const MATH_SUFFIX = "Please reason step by step, and put your final answer within \\boxed{}.";

export interface TaskPrompt {
  system?: string;
  user: string;
  /**
   * Code completion: continue `prefix` (infill with `suffix` when the student supports it)
   * instead of answering `user` in chat form.
   */
  completion?: { prefix: string; suffix: string };
}

/** The user turn for a math problem, ending with the paper's instruction (added once). */
export function mathPrompt(problem: string, system?: string): TaskPrompt {
  const trimmed = problem.trimEnd();
  const user = trimmed.endsWith(MATH_SUFFIX) ? trimmed : `${trimmed}\n${MATH_SUFFIX}`;
  return { system, user };
}
