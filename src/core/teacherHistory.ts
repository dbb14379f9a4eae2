/**
 * How much of the chat a teacher call carries. The teacher is asked to continue *this* answer:
 * it needs the question and the answer so far, and of the earlier turns only what a small budget
 * holds (`relay.teacher.historyTokens`, `--teacher-history`). Sending the whole conversation made
 * every call of a long chat pay for all of it: 632 prompt tokens for 16 output tokens, and 30 s.
 */
import type { ChatExchange, TaskPrompt } from "./prompts.js";
import type { Tokenizer } from "./models.js";
import { cutMiddle } from "./teacherContext.js";

/**
 * The most recent earlier exchanges whose tokens (question + answer, in the student's tokens)
 * fit `maxTokens`, oldest first. When the most recent one alone is too long it is cut in the
 * middle to fit (its question keeps at most a third), so a follow-up question keeps its context.
 * Each exchange is redacted whole before anything is cut (a cut through a secret could hide the
 * rest of it from the rules that recognise it whole).
 */
export function historyForTeacher(history: readonly ChatExchange[] | undefined, maxTokens: number, tokenizer: Tokenizer, redact: (text: string) => string): ChatExchange[] {
  const kept: ChatExchange[] = [];
  if (!history?.length || maxTokens <= 0) return kept;
  let room = maxTokens;
  for (let i = history.length - 1; i >= 0; i--) {
    const user = redact(history[i].user);
    const assistant = redact(history[i].assistant);
    const cost = tokenizer.countTokens(user) + tokenizer.countTokens(assistant);
    if (cost <= room) {
      kept.unshift({ user, assistant });
      room -= cost;
      continue;
    }
    if (kept.length === 0 && room >= 16) {
      const question = cutMiddle(user, Math.max(8, Math.floor(room / 3)), tokenizer);
      kept.unshift({ user: question, assistant: cutMiddle(assistant, Math.max(8, room - tokenizer.countTokens(question)), tokenizer) });
    }
    break;
  }
  return kept;
}

/** The task as a teacher call carries it: the same task, earlier turns within `maxTokens`. */
export function teacherView(task: TaskPrompt, maxTokens: number, tokenizer: Tokenizer, redact: (text: string) => string): TaskPrompt {
  if (!task.history?.length) return task;
  const history = historyForTeacher(task.history, maxTokens, tokenizer, redact);
  const { history: _all, ...rest } = task;
  return history.length ? { ...rest, history } : rest;
}
