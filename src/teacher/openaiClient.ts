/** The one place an OpenAI client is set up: base URL, key, retries, the fetch it uses. */
import OpenAI from "openai";

export interface OpenAIClientOptions {
  baseURL: string;
  apiKey?: string;
  /** Per attempt; the caller's own deadline bounds the whole call. */
  timeoutMs: number;
  maxRetries: number;
  fetch?: typeof fetch;
}

export function createOpenAIClient(options: OpenAIClientOptions): OpenAI {
  return new OpenAI({
    baseURL: options.baseURL,
    // Local servers need no key; the SDK insists on a non-empty string.
    apiKey: options.apiKey || "none",
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    fetch: options.fetch,
  });
}
