/**
 * Requests to an OpenAI-compatible server outside answers. `GET /models` costs no tokens: it
 * tells when a teacher that was down answers again (never charged to the budget) and lists the
 * models a server offers. The teacher set-up's test (`checkTeacher`) also sends one request of a
 * few tokens per request style, and reads the model's chat format (its chat template, or which
 * markers its tokenizer reads as special tokens, on servers that say). Redirects are followed only within the
 * server's own origin (the API key is never sent elsewhere); the key is never logged.
 */
import { RelayError, abortError, errorMessage } from "../core/errors.js";
import { CHAT_FORMAT_MARKERS, refineTemplate, templateFromChatTemplate, templateFromModelName, type PromptTemplateName } from "../core/promptTemplates.js";

export interface ProbeOptions {
  apiKey?: string;
  signal?: AbortSignal;
  /** The whole request, in ms (default 10 s). */
  timeoutMs?: number;
}

export interface ModelList {
  /** The model ids the server lists, in its order. */
  models: string[];
  /** How long the server took to answer, in ms. */
  latencyMs: number;
  /** The URL that answered (after any same-origin redirect). */
  url: string;
}

const MAX_REDIRECTS = 3;

/** `GET <baseURL>/models`: the models the server offers. Rejects with a RelayError saying why not. */
export async function listModels(baseURL: string, options: ProbeOptions = {}): Promise<ModelList> {
  let url = `${baseURL.replace(/\/+$/, "")}/models`;
  const origin = new URL(url).origin;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const started = Date.now();
  for (let hop = 0; ; hop++) {
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: "application/json", ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) }, redirect: "manual", signal });
    } catch (error) {
      if (options.signal?.aborted) throw abortError();
      if (timeout.aborted) throw new RelayError("teacher-timeout", `${url} did not answer within ${Math.round((options.timeoutMs ?? 10_000) / 1000)} s.`, { details: { url } });
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new RelayError("teacher-unreachable", `${url} cannot be reached${cause ? ` (${cause})` : ""}.`, { details: { url } });
    }
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get("location");
      const next = location ? new URL(location, url) : undefined;
      if (!next || next.origin !== origin || hop >= MAX_REDIRECTS) {
        throw new RelayError("teacher-redirect", `${url} redirected${next ? ` to ${next.origin}` : ""}; Relay follows redirects only within the server's own origin.`, { details: { url, status: `HTTP ${response.status}` } });
      }
      url = next.toString();
      continue;
    }
    const latencyMs = Date.now() - started;
    if (response.status === 401 || response.status === 403) throw new RelayError("teacher-rejected", `${url} refused the request (HTTP ${response.status}): check the API key.`, { details: { url, status: `HTTP ${response.status}` } });
    if (response.status === 429) throw new RelayError("teacher-rate-limited", `${url} is rate limiting (HTTP 429).`, { details: { url, status: "HTTP 429" } });
    if (response.status >= 500) throw new RelayError("teacher-server-error", `${url} answered HTTP ${response.status}.`, { details: { url, status: `HTTP ${response.status}` } });
    if (!response.ok) throw new RelayError("teacher-rejected", `${url} answered HTTP ${response.status}: is this the base URL of an OpenAI-compatible API (ending in /v1)?`, { details: { url, status: `HTTP ${response.status}` } });
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new RelayError("teacher-bad-reply", `${url} did not answer with JSON: is this the base URL of an OpenAI-compatible API (ending in /v1)?`, { details: { url } });
    }
    const data = (body as { data?: unknown })?.data;
    if (!Array.isArray(data)) throw new RelayError("teacher-bad-reply", `${url} answered without a list of models ("data").`, { details: { url } });
    const models = data.map((m: { id?: unknown }) => (typeof m?.id === "string" ? m.id : "")).filter(Boolean);
    return { models, latencyMs, url };
  }
}

/** One test request: did it work, how long it took, what came back or why not. */
export interface StyleCheck {
  ok: boolean;
  latencyMs: number;
  /** The text the server wrote (a few tokens). */
  text?: string;
  /** The server's usage, when it reported one. */
  usage?: { promptTokens: number; completionTokens: number };
  error?: string;
}

export interface TeacherCheck {
  models: ModelList;
  /** The model is among those the server lists. */
  modelListed: boolean;
  completions: StyleCheck;
  chat: StyleCheck;
  /** The chat format the model uses, and how that was found (undefined: not found). */
  chatFormat?: { template: PromptTemplateName; how: string };
}

const TEST_PROMPT = "Count: 1, 2, 3,";

async function post(url: string, body: unknown, options: ProbeOptions): Promise<{ status: number; json: unknown; latencyMs: number }> {
  const started = Date.now();
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
    body: JSON.stringify(body),
    redirect: "error",
    signal,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, latencyMs: Date.now() - started };
}

/** A failed test request, in a few words. */
function why(status: number, json: unknown): string {
  const message = (json as { error?: { message?: unknown } | string })?.error;
  const text = typeof message === "string" ? message : typeof message?.message === "string" ? message.message : "";
  return `HTTP ${status}${text ? `: ${text.slice(0, 160)}` : ""}`;
}

async function checkStyle(run: () => Promise<{ status: number; json: unknown; latencyMs: number }>, read: (json: unknown) => unknown): Promise<StyleCheck> {
  const started = Date.now();
  try {
    const { status, json, latencyMs } = await run();
    if (status < 200 || status >= 300) return { ok: false, latencyMs, error: why(status, json) };
    const text = read(json);
    if (typeof text !== "string") return { ok: false, latencyMs, error: "the reply holds no text" };
    const u = (json as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } })?.usage;
    const usage = typeof u?.prompt_tokens === "number" && typeof u.completion_tokens === "number" ? { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens } : undefined;
    return { ok: true, latencyMs, text, ...(usage ? { usage } : {}) };
  } catch (error) {
    return { ok: false, latencyMs: Date.now() - started, error: (error as Error).name === "TimeoutError" ? "no reply in time" : errorMessage(error) };
  }
}

/**
 * How many tokens `text` is for the server's model, special tokens read as such (llama-cpp-python's
 * /extras/tokenize/count, llama-server's /tokenize); undefined when the server has no such route.
 */
async function countTokens(origin: string, model: string, text: string, options: ProbeOptions): Promise<number | undefined> {
  for (const [path, body, read] of [
    ["/extras/tokenize/count", { model, input: text }, (j: unknown) => (j as { count?: unknown })?.count],
    ["/tokenize", { content: text, add_special: false, parse_special: true }, (j: unknown) => (j as { tokens?: unknown[] })?.tokens?.length],
  ] as const) {
    try {
      const { status, json } = await post(`${origin}${path}`, body, { ...options, timeoutMs: 10_000 });
      const n = read(json);
      if (status === 200 && typeof n === "number") return n;
    } catch {
      // not this server's route
    }
  }
  return undefined;
}

/** The chat format the served model uses: its chat template (llama-server's /props), its special tokens, or its name (a guess). */
export async function detectChatFormat(baseURL: string, model: string, options: ProbeOptions = {}): Promise<{ template: PromptTemplateName; how: string } | undefined> {
  const origin = new URL(baseURL).origin;
  try {
    const response = await fetch(`${origin}/props`, { headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}, redirect: "error", signal: AbortSignal.timeout(10_000) });
    const template = response.ok ? ((await response.json()) as { chat_template?: unknown }).chat_template : undefined;
    const found = typeof template === "string" ? templateFromChatTemplate(template, model) : undefined;
    if (found) return { template: found, how: "the model's chat template (the server's /props)" };
  } catch {
    // not llama-server
  }
  for (const { marker, template } of CHAT_FORMAT_MARKERS) {
    const n = await countTokens(origin, model, marker, options);
    if (n === undefined) break;
    if (n === 1) return { template: refineTemplate(template, model), how: `the model reads ${marker} as one special token` };
  }
  const guess = templateFromModelName(model);
  return guess && { template: guess, how: "a guess from the model's name" };
}

/**
 * The teacher set-up's test: the server lists its models (is this one of them?), a test request
 * of a few tokens in each request style (completions, chat), with their latencies, and the chat
 * format the model uses. Each request's own failure is reported, not thrown; only a server that
 * cannot list its models at all rejects (with why).
 */
export async function checkTeacher(baseURL: string, model: string, options: ProbeOptions & { onRequest?: (entry: { url: string; body: unknown; check: StyleCheck }) => void } = {}): Promise<TeacherCheck> {
  const base = baseURL.replace(/\/+$/, "");
  const models = await listModels(base, options);
  const completionsBody = { model, prompt: TEST_PROMPT, max_tokens: 4, temperature: 0 };
  const completions = await checkStyle(() => post(`${base}/completions`, completionsBody, options), (j) => (j as { choices?: Array<{ text?: unknown }> })?.choices?.[0]?.text);
  options.onRequest?.({ url: `${base}/completions`, body: completionsBody, check: completions });
  const chatBody = { model, messages: [{ role: "user", content: `Continue the list: ${TEST_PROMPT}` }], max_tokens: 4, temperature: 0 };
  const chat = await checkStyle(() => post(`${base}/chat/completions`, chatBody, options), (j) => (j as { choices?: Array<{ message?: { content?: unknown } }> })?.choices?.[0]?.message?.content);
  options.onRequest?.({ url: `${base}/chat/completions`, body: chatBody, check: chat });
  const chatFormat = completions.ok ? await detectChatFormat(base, model, options) : undefined;
  return { models, modelListed: models.models.includes(model), completions, chat, ...(chatFormat ? { chatFormat } : {}) };
}
