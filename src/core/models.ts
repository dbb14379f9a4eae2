/** The seams between the relay controller and the models that drive it. */

import type { TaskPrompt } from "./prompts.js";
import type { TeacherUsage } from "./spans.js";
import type { ThoughtFormat } from "./thoughts.js";

export interface Tokenizer {
  /** Token count of plain text (no special tokens). */
  countTokens(text: string): number;
  /** The longest prefix of `text` that fits in `maxTokens` tokens. */
  truncateToTokens(text: string, maxTokens: number): string;
  /** The longest suffix of `text` that fits in `maxTokens` tokens. */
  lastTokens(text: string, maxTokens: number): string;
}

export interface StudentStep {
  /** Text of this token; "" while a multi-byte character is still incomplete. */
  text: string;
  /** Probability of the chosen token, when asked for. */
  probability?: number;
  /**
   * The `SessionOptions.topK` most likely next tokens' probabilities, highest first (over the
   * whole vocabulary: their sum is the top-K mass), when asked for.
   */
  top?: number[];
}

/** One answer being generated on the student's own context sequence. */
export interface StudentSession {
  /** Prompt tokens evaluated when the session opened (after any reused prefix). */
  readonly promptTokens: number;
  /**
   * Samples the next token; the previous step's token is committed first unless it was
   * discarded. Resolves null at end of sequence.
   */
  next(): Promise<StudentStep | null>;
  /** Drops the last sampled token: it never enters the context. */
  discardLast(): void;
  /**
   * Splices text into the context after the last committed token; evaluated with the next
   * `next()`. Returns its token count (student tokenizer).
   */
  append(text: string): number;
  /** Tokens the student has evaluated since the session opened (prompt included). */
  readonly evaluatedTokens: number;
  /** True once `next()` returned null because the context is full (not end of sequence). */
  readonly contextFull?: boolean;
  /** Frees the context sequence. Safe to call twice, and while a step is in flight. */
  dispose(): Promise<void>;
}

export interface SessionOptions {
  signal?: AbortSignal;
  /** Ask for each token's probability (confidence policies). */
  probabilities: boolean;
  /** Also the top-K probabilities of each step's distribution (entropy, margin, router); 0: none. */
  topK?: number;
  temperature?: number;
  seed?: number;
  /**
   * A GBNF grammar the student's own tokens must follow (spliced teacher text is not checked
   * against it), e.g. to make a model that was never trained on `<call>` write one.
   */
  grammar?: string;
}

export interface Student extends Tokenizer {
  readonly name: string;
  /** The chat-templated prompt as text (what a completions-style teacher is sent). */
  renderPrompt(task: TaskPrompt): string;
  /** The reasoning markers of a thinking model's answer to `task`; undefined for other models. */
  thoughtFormat?(task: TaskPrompt): ThoughtFormat | undefined;
  openSession(task: TaskPrompt, options: SessionOptions): Promise<StudentSession>;
}

export interface TeacherRequest {
  task: TaskPrompt;
  /** The task prompt rendered with the teacher's template, for raw-completion teachers. */
  promptText: string;
  /** The answer so far: command tags stripped, secrets redacted. */
  answer: string;
  maxTokens: number;
  signal?: AbortSignal;
}

export interface TeacherReply {
  text: string;
  /** "eos": the teacher ended the answer inside its span. */
  finish: "eos" | "length" | "stop";
  usage?: Omit<TeacherUsage, "estimated">;
  model: string;
}

export interface Teacher {
  readonly name: string;
  readonly model: string;
  /**
   * The task prompt in this teacher's own chat format, for teachers that know it (a local GGUF,
   * or a completions API given a template). Absent: the student's template is used.
   */
  renderPrompt?(task: TaskPrompt): string;
  /** Tokens its server may add around the prompt (a chat template's markers and default system prompt). */
  readonly promptOverheadTokens?: number;
  generate(request: TeacherRequest): Promise<TeacherReply>;
  /**
   * True once the server has reported cached prompt tokens in a reply's usage: only then is a
   * warmed prefix known to be reused, and only then does the controller warm.
   */
  readonly warmable?: boolean;
  /** Sends the prompt prefix as a 1-token request the server caches (prefill warming). */
  warm?(request: TeacherRequest): Promise<TeacherReply>;
}
