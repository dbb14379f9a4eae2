/** What the teacher is sent: the task prompt plus the answer so far, stripped, redacted, cut. */

import type { Tokenizer } from "./models.js";

export interface TeacherContextOptions {
  maxContextTokens: number;
  tokenizer: Tokenizer;
  redact?: (text: string) => string;
}

export interface TeacherContext {
  promptText: string;
  answer: string;
  /** Estimated input tokens (student tokenizer). */
  tokens: number;
  /** True when the start of the answer was cut to fit maxContextTokens. */
  cut: boolean;
}

/**
 * `answer` must already be the visible text (every command tag removed). Redaction comes
 * before cutting so the count is of what is really sent; it is deterministic, so consecutive
 * requests of one answer keep a byte-identical prefix.
 */
export function buildTeacherContext(promptText: string, answer: string, options: TeacherContextOptions): TeacherContext {
  const redact = options.redact ?? ((t: string) => t);
  const prompt = redact(promptText);
  let body = redact(answer);
  const promptTokens = options.tokenizer.countTokens(prompt);
  let bodyTokens = options.tokenizer.countTokens(body);
  let cut = false;
  const room = Math.max(0, options.maxContextTokens - promptTokens);
  if (bodyTokens > room) {
    // Keep the task and the most recent text: the teacher continues from the end.
    body = room === 0 ? "" : options.tokenizer.lastTokens(body, room);
    bodyTokens = options.tokenizer.countTokens(body);
    cut = true;
  }
  return { promptText: prompt, answer: body, tokens: promptTokens + bodyTokens, cut };
}
