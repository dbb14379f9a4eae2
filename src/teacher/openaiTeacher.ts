/**
 * A teacher behind any OpenAI-compatible API, through the official `openai` package.
 * Three request styles:
 * - `completions`: raw continuation of the templated prompt + answer (vLLM, llama-server, ...);
 * - `chat-prefill`: the partial answer as the last assistant message, continued in place;
 * - `chat`: an instruction to continue the partial answer verbatim (hosted chat-only models).
 * Every request of one answer starts with the same bytes, so provider prefix caches hit.
 */
import OpenAI from "openai";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Completion, CompletionCreateParamsNonStreaming, CompletionUsage } from "openai/resources/completions";
import { DEFAULT_TEACHER_TIMEOUTS, SETTING_DEFAULTS } from "../core/defaults.js";
import { RelayError, abortError, errorMessage, isAbortError } from "../core/errors.js";
import type { Teacher, TeacherReply, TeacherRequest } from "../core/models.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { TeacherRequestLog } from "../core/teacherLog.js";
import { createOpenAIClient } from "./openaiClient.js";
import { RequestGuard } from "./requestGuard.js";

export type TeacherApiStyle = "completions" | "chat-prefill" | "chat";
export const TEACHER_API_STYLES: readonly TeacherApiStyle[] = ["completions", "chat-prefill", "chat"];

export interface OpenAITeacherOptions {
  /**
   * Treat the server as caching prompts although its usage does not say so (benchmarks that
   * measure warming on such a server); the product leaves it off.
   */
  assumePromptCache?: boolean;
  baseURL: string;
  model: string;
  apiKey?: string;
  style?: TeacherApiStyle;
  temperature?: number;
  topP?: number;
  stop?: string[];
  /** The whole call's deadline (retries included), in milliseconds. */
  timeoutMs?: number;
  /** Once the reply started: the longest silence (no bytes; no data event for a stream). */
  idleTimeoutMs?: number;
  /** Retries of the SDK (429 with retry-after, 5xx, connection errors), inside the deadline. */
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

/** vLLM's names for "continue the last assistant message" (llama-server does it by itself). */
interface PrefillExtras {
  continue_final_message?: boolean;
  add_generation_prompt?: boolean;
}

/** The request body of each style, in the SDK's own types (streaming is set per call). */
export type TeacherBody = { style: "completions"; body: CompletionCreateParamsNonStreaming } | { style: "chat-prefill" | "chat"; body: ChatCompletionCreateParamsNonStreaming & PrefillExtras };

/** vLLM reports a matched stop string here; the SDK's types do not know it. */
type FinishInfo = { finish_reason?: string | null; stop_reason?: unknown };

/** A stream sending text far past what was asked for is cut here (the controller cuts exactly). */
const STREAM_CHARS_PER_TOKEN = 32;

/** The product defaults (src/core/defaults.ts), the same in the editor and the `relay` command. */
export const DEFAULT_TEACHER_TIMEOUT_MS = DEFAULT_TEACHER_TIMEOUTS.timeoutMs;
export const DEFAULT_TEACHER_IDLE_MS = DEFAULT_TEACHER_TIMEOUTS.idleMs;
export const DEFAULT_TEACHER_TEMPERATURE = SETTING_DEFAULTS["teacher.temperature"];

/**
 * Tokens a chat server's template may add around the messages: role markers, and a default
 * system prompt (Qwen2.5's "You are Qwen, created by Alibaba Cloud…" — llama-cpp-python claimed
 * 123 prompt tokens where the messages counted 88).
 */
const CHAT_TEMPLATE_OVERHEAD = 48;

export class OpenAITeacher implements Teacher {
  readonly name = "openai-compatible";
  readonly model: string;
  /** A reply's usage has carried `prompt_tokens_details.cached_tokens`. */
  private reportsCachedTokens = false;
  readonly style: TeacherApiStyle;
  readonly baseURL: string;
  private readonly client: OpenAI;
  private readonly deadlineMs: number;
  private readonly idleMs: number;
  readonly renderPrompt?: (task: TaskPrompt) => string;
  readonly promptOverheadTokens: number;

  constructor(private readonly options: OpenAITeacherOptions) {
    this.model = options.model;
    this.style = options.style ?? "completions";
    this.baseURL = options.baseURL;
    this.deadlineMs = options.timeoutMs ?? DEFAULT_TEACHER_TIMEOUT_MS;
    this.idleMs = Math.min(this.deadlineMs, options.idleTimeoutMs ?? DEFAULT_TEACHER_IDLE_MS);
    if (options.renderPrompt && this.style === "completions") this.renderPrompt = options.renderPrompt;
    this.promptOverheadTokens = this.style === "completions" ? 0 : CHAT_TEMPLATE_OVERHEAD;
    this.client = createOpenAIClient({ baseURL: options.baseURL, apiKey: options.apiKey, timeoutMs: this.deadlineMs, maxRetries: options.maxRetries ?? 2, fetch: options.fetch });
  }

  /** The request body for a style (exported through the log: exactly what is sent). */
  buildBody(request: TeacherRequest): TeacherBody {
    const common = {
      model: this.model,
      max_tokens: request.maxTokens,
      temperature: this.options.temperature ?? DEFAULT_TEACHER_TEMPERATURE,
      ...(this.options.topP !== undefined ? { top_p: this.options.topP } : {}),
      ...(this.options.stop?.length ? { stop: this.options.stop } : {}),
    };
    if (this.style === "completions") return { style: "completions", body: { ...common, prompt: request.promptText + request.answer } };
    const messages: ChatCompletionMessageParam[] = [];
    if (this.style === "chat-prefill") {
      if (request.task.system) messages.push({ role: "system", content: request.task.system });
      for (const turn of request.task.history ?? []) messages.push({ role: "user", content: turn.user }, { role: "assistant", content: turn.assistant });
      messages.push({ role: "user", content: request.task.user }, { role: "assistant", content: request.answer });
      return { style: "chat-prefill", body: { ...common, messages, continue_final_message: true, add_generation_prompt: false } };
    }
    messages.push({ role: "system", content: request.task.system ? `${CONTINUE_INSTRUCTION}\n\n${request.task.system}` : CONTINUE_INSTRUCTION });
    for (const turn of request.task.history ?? []) messages.push({ role: "user", content: turn.user }, { role: "assistant", content: turn.assistant });
    // The growing answer goes last so consecutive requests share their prefix.
    messages.push({ role: "user", content: `${request.task.user}\n\n${PARTIAL_HEADER}\n${request.answer}` });
    return { style: "chat", body: { ...common, messages } };
  }

  /** Prefill warming is worth sending only to a server known to cache prompts. */
  get warmable(): boolean {
    return this.reportsCachedTokens || this.options.assumePromptCache === true;
  }

  /** The same request with 1 token: the server prefills (and caches) the prompt prefix. */
  warm(request: TeacherRequest): Promise<TeacherReply> {
    return this.generate({ ...request, maxTokens: 1 });
  }

  async generate(request: TeacherRequest): Promise<TeacherReply> {
    if (request.signal?.aborted) throw abortError();
    const built = this.buildBody(request);
    const sent = this.options.stream ? { ...built.body, stream: true as const, stream_options: { include_usage: true } } : built.body;
    const guard = new RequestGuard({ deadlineMs: this.deadlineMs, idleMs: this.idleMs, signal: request.signal, stream: Boolean(this.options.stream) });
    const client = this.client.withOptions({ fetch: guard.fetch(this.options.fetch ?? fetch) });
    const started = Date.now();
    // The text of a stream so far: what a failure part-way still received.
    const got = { text: "" };
    const entry = () => ({
      ts: new Date(started).toISOString(),
      provider: this.name,
      model: this.model,
      // The URL the request really went to (the last one, after any followed redirect).
      url: guard.urls.at(-1) ?? this.baseURL,
      ...(guard.redirects.length ? { redirects: guard.redirects } : {}),
      style: this.style,
      request: sent,
    });
    try {
      const reply = await guard.race(this.options.stream ? this.streamed(client, built, request.maxTokens, guard, got) : this.single(client, built, guard));
      this.options.log?.record({ ...entry(), reply: reply.text, finish: reply.finish, usage: reply.usage, durationMs: Date.now() - started });
      return reply;
    } catch (error) {
      let failure = guard.failure ?? error;
      // Out of time while the SDK waited to retry: the attempt's own failure says more.
      const last = guard.lastAttempt;
      if (guard.failure?.code === "teacher-timeout" && last) failure = last.error ?? new OpenAI.APIError(last.status, undefined, `${guard.failure.message} The last attempt got HTTP ${last.status}.`, new Headers());
      const aborted = request.signal?.aborted || (isAbortError(failure) && !(failure instanceof RelayError && failure.code !== "aborted"));
      const classified = aborted ? abortError() : this.classify(failure, guard.urls.at(-1) ?? this.baseURL);
      // The caller charges a request the server took (a 2xx that went wrong, a timeout) and
      // releases one it refused: it needs to know which, and what text came before the failure.
      const relayError = new RelayError(classified.code, classified.message, { cause: classified.cause, details: classified.details, partial: { answered: guard.answered, text: got.text } });
      this.options.log?.record({ ...entry(), error: aborted ? "cancelled" : relayError.message, ...(got.text ? { reply: got.text } : {}), durationMs: Date.now() - started });
      throw relayError;
    } finally {
      guard.dispose();
    }
  }

  private async single(client: OpenAI, built: TeacherBody, guard: RequestGuard): Promise<TeacherReply> {
    const options = { signal: guard.signal };
    if (built.style === "completions") {
      const response: Completion = await client.completions.create(built.body, options);
      const choice = response?.choices?.[0];
      if (!choice) throw new RelayError("teacher-bad-reply", "The teacher's reply has no choices.");
      return this.reply(textOf(choice.text), choice, response.usage);
    }
    const response: ChatCompletion = await client.chat.completions.create(built.body, options);
    const choice = response?.choices?.[0];
    if (!choice) throw new RelayError("teacher-bad-reply", "The teacher's reply has no choices.");
    return this.reply(textOf(choice.message?.content), choice, response.usage);
  }

  private async streamed(client: OpenAI, built: TeacherBody, maxTokens: number, guard: RequestGuard, got: { text: string }): Promise<TeacherReply> {
    const options = { signal: guard.signal };
    const stream_options = { include_usage: true };
    const chunks: AsyncIterable<Completion | ChatCompletionChunk> =
      built.style === "completions"
        ? await client.completions.create({ ...built.body, stream: true, stream_options }, options)
        : await client.chat.completions.create({ ...built.body, stream: true, stream_options }, options);
    let text = "";
    let last: FinishInfo | undefined;
    let usage: CompletionUsage | undefined;
    const cap = maxTokens * STREAM_CHARS_PER_TOKEN + 256;
    for await (const chunk of chunks) {
      const choice = chunk.choices?.[0];
      const piece = choice ? ("delta" in choice ? choice.delta?.content : choice.text) : undefined;
      // Progress is text, an end or usage: a stream of empty events is a stall.
      if (typeof piece === "string" && piece.length > 0) {
        text += piece;
        got.text = text;
        guard.touch();
      }
      if (choice?.finish_reason) {
        last = choice;
        guard.touch();
      }
      if (chunk.usage) {
        usage = chunk.usage;
        guard.touch();
      }
      // A stream that never ends: far more text than asked for.
      if (text.length > cap) return this.reply(text, { finish_reason: "length" }, undefined);
    }
    return this.reply(text, last ?? {}, usage);
  }

  private reply(text: string, choice: FinishInfo, usage: CompletionUsage | null | undefined): TeacherReply {
    // "stop" without a matched stop string (vLLM reports it in stop_reason) is end-of-sequence.
    if (typeof usage?.prompt_tokens_details?.cached_tokens === "number") this.reportsCachedTokens = true;
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

  /** A typed error that says what happened, where (the URL really used) and with what status. */
  private classify(error: unknown, url: string): RelayError {
    if (error instanceof RelayError) return error.details ? error : new RelayError(error.code, error.message, { cause: error.cause, details: { url, status: error.code === "teacher-timeout" ? error.message : error.code } });
    if (error instanceof OpenAI.APIConnectionTimeoutError) return new RelayError("teacher-timeout", `Teacher request failed: no reply from ${url} in time.`, { cause: error, details: { url, status: "timed out" } });
    if (error instanceof OpenAI.APIConnectionError || (error instanceof TypeError && connectionCause(error))) {
      const cause = connectionCause(error);
      return new RelayError("teacher-unreachable", `Teacher request failed: cannot reach ${url}${cause ? ` (${cause})` : ""}.`, { cause: error, details: { url, status: cause ? `unreachable: ${cause}` : "unreachable" } });
    }
    if (error instanceof OpenAI.APIError && error.status) {
      const status = error.status;
      const code = status >= 500 ? "teacher-server-error" : status === 429 ? "teacher-rate-limited" : "teacher-rejected";
      return new RelayError(code, `Teacher request failed: HTTP ${status}: ${error.message}`, { cause: error, details: { url, status: `HTTP ${status}` } });
    }
    if (error instanceof SyntaxError) return new RelayError("teacher-bad-reply", `Teacher request failed: the reply is not valid JSON (${error.message}).`, { cause: error, details: { url, status: "bad reply" } });
    return new RelayError("teacher-failed", `Teacher request failed: ${errorMessage(error)}`, { cause: error, details: { url, status: "failed" } });
  }
}

function textOf(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") throw new RelayError("teacher-bad-reply", "The teacher's reply text is not a string.");
  return value;
}

/** "connection refused (ECONNREFUSED)" from the SDK's error and its cause chain (undici, AggregateError). */
function connectionCause(error: Error): string | undefined {
  const words: Record<string, string> = { ECONNREFUSED: "connection refused", ENOTFOUND: "host not found", ECONNRESET: "connection reset", EHOSTUNREACH: "host unreachable", ETIMEDOUT: "connection timed out", EAI_AGAIN: "host not found" };
  const seen = new Set<unknown>();
  const queue: unknown[] = [error.cause];
  while (queue.length) {
    const e = queue.shift();
    if (!(e instanceof Error) || seen.has(e)) continue;
    seen.add(e);
    const code = (e as NodeJS.ErrnoException).code ?? /\b(E[A-Z]{4,})\b/.exec(e.message)?.[1];
    if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return `${words[code] ?? "connection error"} (${code})`;
    queue.push(e.cause, ...((e as AggregateError).errors ?? []));
  }
  return undefined;
}
