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

/** The most of the teacher's context a task prompt may take: the answer so far keeps a quarter. */
export function promptRoom(maxContextTokens: number): number {
  return Math.max(1, Math.floor(maxContextTokens * 0.75));
}

export const CUT_MARKER = "\n[… cut to fit the teacher's context …]\n";

/**
 * `text` cut in the middle to at most `maxTokens` tokens: its beginning (the instructions, a
 * chat template's opening) and its end (the question, the template's open turn) are kept.
 * Deterministic, so every request of one answer sends the same bytes.
 */
export function cutMiddle(text: string, maxTokens: number, tokenizer: Tokenizer): string {
  const total = tokenizer.countTokens(text);
  if (total <= maxTokens) return text;
  const room = Math.max(2, maxTokens - tokenizer.countTokens(CUT_MARKER));
  const head = tokenizer.truncateToTokens(text, Math.ceil(room / 2));
  const tail = tokenizer.lastTokens(text, Math.floor(room / 2));
  return head + CUT_MARKER + tail;
}
