/** Polling and timeouts shared by the harness modules. */

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Resolves `fallback` after ms without keeping the process alive (for races against timeouts). */
export const deadline = <T>(ms: number, fallback: T) => new Promise<T>((done) => setTimeout(() => done(fallback), ms).unref());

/** Polls `probe` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitUntil<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
    await sleep(intervalMs);
  }
}

export type Matcher = string | RegExp;
export const matches = (m: Matcher, s: string) => (typeof m === "string" ? s.includes(m) : m.test(s));

/** Escapes a string for use inside a RegExp. */
export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
