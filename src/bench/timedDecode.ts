/**
 * One timed decode run, shared by the thread benchmarks: tokens after the first (which carries
 * the prompt evaluation) over their time, with a token limit and a time cap for settings that
 * collapse (oversubscribed threads).
 */

export interface DecodeLimits {
  maxTokens: number;
  capMs: number;
  /** The cap never cuts a run before this many tokens (the governor ignores shorter answers). */
  minTokens?: number;
}

export interface TimedDecode {
  tokens: number;
  /** From the start to the first token: the prompt's evaluation. */
  firstTokenMs: number;
  /** 0 when the cap came before a second token (a NaN would drop the worst runs from a median). */
  tokensPerSecond: number;
  /** Cut off by the time cap before maxTokens. */
  capped: boolean;
}

/** Runs `next` (false: the generation ended) until the limits, timing each token. */
export async function timedDecode(next: () => Promise<boolean>, limits: DecodeLimits): Promise<TimedDecode> {
  const t0 = performance.now();
  let n = 0;
  let tFirst = 0;
  let tLast = 0;
  let capped = false;
  while (n < limits.maxTokens && (await next())) {
    tLast = performance.now();
    if (n === 0) tFirst = tLast;
    n++;
    if (n < limits.maxTokens && n >= (limits.minTokens ?? 1) && tLast - t0 > limits.capMs) {
      capped = true;
      break;
    }
  }
  return { tokens: n, firstTokenMs: n > 0 ? tFirst - t0 : NaN, tokensPerSecond: n > 1 ? (n - 1) / ((tLast - tFirst) / 1000) : 0, capped };
}

/** Times an async iterable of tokens (node-llama-cpp's `sequence.evaluate`), closing it after. */
export async function timedTokens(tokens: AsyncIterable<unknown>, limits: DecodeLimits): Promise<TimedDecode> {
  const it = tokens[Symbol.asyncIterator]();
  try {
    return await timedDecode(async () => !(await it.next()).done, limits);
  } finally {
    // What `break` in a for-await does: stops the generation.
    await it.return?.();
  }
}
