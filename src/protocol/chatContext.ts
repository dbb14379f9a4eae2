/** A chat's earlier turns as the context of its next question. */
import type { ChatExchange } from "../core/prompts.js";
import type { ChatTurn } from "./chat.js";

/** Earlier exchanges a new question carries (the student's KV cache keeps them: cheap to resend). */
export const CONTEXT_TURNS = 6;

/** Plain questions with a finished answer, oldest first; reasoning left out, as chat templates do. */
export function chatHistory(turns: readonly ChatTurn[], max = CONTEXT_TURNS): ChatExchange[] {
  return turns
    .filter((t) => !t.title && !t.error && !t.stopped && t.stats)
    .map((t) => ({ user: t.question, assistant: t.spans.filter((s) => !s.thought).map((s) => s.text).join("").trim() }))
    .filter((e) => e.assistant.length > 0)
    .slice(-max);
}
