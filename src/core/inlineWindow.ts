/**
 * How much of the document goes into an inline completion: a bounded window around the cursor
 * (the prefix before it, the suffix after it), chosen so that typing changes only the prompt's
 * end and the model's cached prompt keeps the rest (docs/inline.md, "Latency").
 */
export interface InlineContextOptions {
  maxPrefixChars: number;
  maxSuffixChars: number;
}

export const DEFAULT_INLINE_CONTEXT: InlineContextOptions = { maxPrefixChars: 6000, maxSuffixChars: 256 };

/**
 * The prefix's start moves in steps of a quarter of the window, not with every keystroke: a start
 * that slid with the cursor changed the prompt's first tokens whenever it crossed a line, and the
 * model evaluated the whole prompt again (seconds on a CPU) instead of the few tokens typed. The
 * prefix is then between three quarters of maxPrefixChars and all of it.
 */
export function prefixStart(offset: number, maxPrefixChars: number): number {
  const step = Math.max(1, Math.ceil(maxPrefixChars / 4));
  return Math.max(0, Math.ceil((offset - maxPrefixChars) / step) * step);
}

/**
 * Bounded prefix and suffix around the cursor, cut at line boundaries. `before` is the text
 * before the cursor from document offset `beforeOffset` (at or before the line break ahead of
 * prefixStart()); the prefix begins at the first line that starts at or after prefixStart(), so
 * typing keeps it in place until the cursor passes the next step.
 */
export function inlineContext(before: string, after: string, options: InlineContextOptions = DEFAULT_INLINE_CONTEXT, beforeOffset = 0): { prefix: string; suffix: string } {
  const start = prefixStart(beforeOffset + before.length, options.maxPrefixChars);
  let prefix = before;
  if (start > beforeOffset) {
    // The first line starting at or after `start`: after the line break at or after start - 1.
    const from = start - 1 - beforeOffset;
    const nl = before.indexOf("\n", Math.max(0, from));
    prefix = nl >= 0 ? before.slice(nl + 1) : before.slice(start - beforeOffset);
  }
  return { prefix, suffix: cutSuffix(after, options.maxSuffixChars) };
}

/** The text after the cursor, at most `maxChars`, cut at a line boundary. */
export function cutSuffix(after: string, maxChars: number): string {
  if (after.length <= maxChars) return after;
  const cut = after.slice(0, maxChars);
  const nl = cut.lastIndexOf("\n");
  return nl >= 0 ? cut.slice(0, nl + 1) : cut;
}
