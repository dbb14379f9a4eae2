/**
 * A chat's earlier exchanges give way, oldest first, so that the prompt leaves the student room
 * to answer: a long conversation must not make the next question fail with "prompt too long".
 * Only the question itself can still be too long.
 */
import type { TaskPrompt } from "./prompts.js";

/** `count` gives a task's prompt tokens; the result keeps the newest exchanges that fit `room`. */
export function fitHistory(task: TaskPrompt, count: (task: TaskPrompt) => number, room: number): { task: TaskPrompt; dropped: number } {
  const history = task.history ?? [];
  let kept = history.length;
  let fitted = task;
  while (kept > 0 && count(fitted) > room) {
    kept--;
    fitted = { ...task, history: history.slice(history.length - kept) };
  }
  if (kept === 0 && history.length > 0) fitted = { ...task, history: undefined };
  return { task: fitted, dropped: history.length - kept };
}
