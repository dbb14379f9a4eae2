/**
 * Free requests to an OpenAI-compatible server: `GET /models`, which costs no tokens. Used to
 * tell when a teacher that was down answers again (never charged to the budget), and to list
 * the models a server offers when the teacher is set up. Redirects are followed only within the
 * server's own origin (the API key is never sent elsewhere); the key is never logged.
 */
import { RelayError, abortError } from "../core/errors.js";

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
