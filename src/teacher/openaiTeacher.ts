/**
 * A teacher behind any OpenAI-compatible API, through the official `openai` package.
 * Three request styles:
 * - `completions`: raw continuation of the templated prompt + answer (vLLM, llama-server, ...);
 * - `chat-prefill`: the partial answer as the last assistant message, continued in place;
 * - `chat`: an instruction to continue the partial answer verbatim (hosted chat-only models).
 * Every request of one answer starts with the same bytes, so provider prefix caches hit.
 */
import OpenAI from "openai";
import { RelayError, abortError, errorMessage, isAbortError } from "../core/errors.js";
import type { Teacher, TeacherReply, TeacherRequest } from "../core/models.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { TeacherRequestLog } from "../core/teacherLog.js";

export type TeacherApiStyle = "completions" | "chat-prefill" | "chat";
export const TEACHER_API_STYLES: readonly TeacherApiStyle[] = ["completions", "chat-prefill", "chat"];

export interface OpenAITeacherOptions {
  baseURL: string;
  model: string;
  apiKey?: string;
  style?: TeacherApiStyle;
  temperature?: number;
  topP?: number;
  stop?: string[];
  /** Per request, in milliseconds. */
  timeoutMs?: number;
  /** Retries of the SDK (429 with retry-after, 5xx, connection errors). */
  maxRetries?: number;
  stream?: boolean;
  log?: TeacherRequestLog;
  /** Test seam: the fetch implementation the SDK uses. */
  fetch?: typeof fetch;
  /**
   * `completions`: the task prompt in the teacher's own chat format (see src/llama/chatFormat.ts,
   * `promptRenderer`). Absent: the student's template renders it.
   */
  renderPrompt?: (task: TaskPrompt) => string;
}

export const CONTINUE_INSTRUCTION =
  "You are helping another assistant write an answer. Continue its partial answer from exactly where it stops. " +
  "Reply with the continuation only: do not repeat the partial answer, do not add commentary or formatting around it.";
const PARTIAL_HEADER = "Partial answer (continue it from its last character):";

type Usage = { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null } | null | undefined;

export class OpenAITeacher implements Teacher {
  readonly name = "openai-compatible";
  readonly model: string;
  readonly style: TeacherApiStyle;
  private readonly client: OpenAI;
  readonly renderPrompt?: (task: TaskPrompt) => string;

  constructor(private readonly options: OpenAITeacherOptions) {
    this.model = options.model;
    this.style = options.style ?? "completions";
    if (options.renderPrompt && this.style === "completions") this.renderPrompt = options.renderPrompt;
    this.client = new OpenAI({
      baseURL: options.baseURL,
      // Local servers need no key; the SDK insists on a non-empty string.
      apiKey: options.apiKey || "none",
      timeout: options.timeoutMs ?? 60_000,
      maxRetries: options.maxRetries ?? 2,
      fetch: options.fetch,
    });
  }

  /** The request body for a style (exported through the log: exactly what is sent). */
  buildBody(request: TeacherRequest): Record<string, unknown> {
    const common: Record<string, unknown> = {
      model: this.model,
      max_tokens: request.maxTokens,
      temperature: this.options.temperature ?? 0.7,
    };
    if (this.options.topP !== undefined) common.top_p = this.options.topP;
    if (this.options.stop?.length) common.stop = this.options.stop;
    if (this.options.stream) {
      common.stream = true;
      common.stream_options = { include_usage: true };
    }
    if (this.style === "completions") return { ...common, prompt: request.promptText + request.answer };
    const messages: Array<{ role: "system" | "user" | "assistant"; content: string }> = [];
    if (this.style === "chat-prefill") {
      if (request.task.system) messages.push({ role: "system", content: request.task.system });
      for (const turn of request.task.history ?? []) messages.push({ role: "user", content: turn.user }, { role: "assistant", content: turn.assistant });
      messages.push({ role: "user", content: request.task.user }, { role: "assistant", content: request.answer });
      // vLLM's names for "continue the last assistant message"; llama-server does it by itself.
      return { ...common, messages, continue_final_message: true, add_generation_prompt: false };
    }
    messages.push({ role: "system", content: request.task.system ? `${CONTINUE_INSTRUCTION}\n\n${request.task.system}` : CONTINUE_INSTRUCTION });
    for (const turn of request.task.history ?? []) messages.push({ role: "user", content: turn.user }, { role: "assistant", content: turn.assistant });
    // The growing answer goes last so consecutive requests share their prefix.
    messages.push({ role: "user", content: `${request.task.user}\n\n${PARTIAL_HEADER}\n${request.answer}` });
    return { ...common, messages };
  }

  async generate(request: TeacherRequest): Promise<TeacherReply> {
    if (request.signal?.aborted) throw abortError();
    const body = this.buildBody(request);
    const started = Date.now();
    const entry = { ts: new Date().toISOString(), provider: this.name, model: this.model, url: this.options.baseURL, style: this.style, request: body };
    try {
      const reply = this.options.stream ? await this.streamed(body, request.signal) : await this.single(body, request.signal);
      this.options.log?.record({ ...entry, reply: reply.text, finish: reply.finish, usage: reply.usage, durationMs: Date.now() - started });
      return reply;
    } catch (error) {
      const aborted = isAbortError(error) || request.signal?.aborted;
      this.options.log?.record({ ...entry, error: aborted ? "cancelled" : describe(error), durationMs: Date.now() - started });
      if (aborted) throw abortError();
      if (error instanceof RelayError) throw error;
      const code = error instanceof OpenAI.APIConnectionTimeoutError ? "teacher-timeout" : "teacher-failed";
      throw new RelayError(code, `Teacher request failed: ${describe(error)}`, { cause: error });
    }
  }

  private async single(body: Record<string, unknown>, signal?: AbortSignal): Promise<TeacherReply> {
    const chat = this.style !== "completions";
    const response = (chat
      ? await this.client.chat.completions.create(body as never, { signal })
      : await this.client.completions.create(body as never, { signal })) as unknown as Record<string, unknown>;
    const choice = (Array.isArray(response?.choices) ? response.choices[0] : undefined) as Record<string, unknown> | undefined;
    if (!choice) throw new RelayError("teacher-bad-reply", "The teacher's reply has no choices.");
    const text = chat ? (choice.message as { content?: unknown } | undefined)?.content : choice.text;
    if (text !== null && text !== undefined && typeof text !== "string") throw new RelayError("teacher-bad-reply", "The teacher's reply text is not a string.");
    return this.reply(text ?? "", choice, response.usage as Usage);
  }

  private async streamed(body: Record<string, unknown>, signal?: AbortSignal): Promise<TeacherReply> {
    const chat = this.style !== "completions";
    const stream = (chat
      ? await this.client.chat.completions.create(body as never, { signal })
      : await this.client.completions.create(body as never, { signal })) as unknown as AsyncIterable<Record<string, unknown>>;
    let text = "";
    let last: Record<string, unknown> | undefined;
    let usage: Usage;
    for await (const chunk of stream) {
      const choice = (Array.isArray(chunk.choices) ? chunk.choices[0] : undefined) as Record<string, unknown> | undefined;
      if (choice) {
        const piece = chat ? (choice.delta as { content?: unknown } | undefined)?.content : choice.text;
        if (typeof piece === "string") text += piece;
        if (choice.finish_reason) last = choice;
      }
      if (chunk.usage) usage = chunk.usage as Usage;
    }
    return this.reply(text, last ?? {}, usage);
  }

  private reply(text: string, choice: Record<string, unknown>, usage: Usage): TeacherReply {
    // "stop" without a matched stop string (vLLM reports it in stop_reason) is end-of-sequence.
    const finish = choice.finish_reason === "length" ? "length" : choice.finish_reason === "stop" ? (typeof choice.stop_reason === "string" ? "stop" : "eos") : "length";
    return {
      text,
      finish,
      model: this.model,
      usage:
        usage && typeof usage.prompt_tokens === "number" && typeof usage.completion_tokens === "number"
          ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, cachedPromptTokens: usage.prompt_tokens_details?.cached_tokens ?? undefined }
          : undefined,
    };
  }
}

function describe(error: unknown): string {
  if (error instanceof OpenAI.APIError && error.status) return `HTTP ${error.status}: ${error.message}`;
  return errorMessage(error);
}
