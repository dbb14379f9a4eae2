/**
 * Inline completion logic that needs no editor: how much of the document to send, when to
 * complete one line or several, where to cut the model's text, and a small cache keyed on the
 * prefix (which also serves a user typing through a suggestion).
 */
import { LRUCache } from "lru-cache";

export interface InlineContextOptions {
  maxPrefixChars: number;
  maxSuffixChars: number;
}

export const DEFAULT_INLINE_CONTEXT: InlineContextOptions = { maxPrefixChars: 6000, maxSuffixChars: 1500 };

/** Bounded prefix and suffix around the cursor, cut at line boundaries. */
export function inlineContext(before: string, after: string, options: InlineContextOptions = DEFAULT_INLINE_CONTEXT): { prefix: string; suffix: string } {
  let prefix = before;
  if (prefix.length > options.maxPrefixChars) {
    prefix = prefix.slice(prefix.length - options.maxPrefixChars);
    const nl = prefix.indexOf("\n");
    if (nl >= 0) prefix = prefix.slice(nl + 1);
  }
  let suffix = after;
  if (suffix.length > options.maxSuffixChars) {
    suffix = suffix.slice(0, options.maxSuffixChars);
    const nl = suffix.lastIndexOf("\n");
    if (nl >= 0) suffix = suffix.slice(0, nl + 1);
  }
  return { prefix, suffix };
}

/**
 * Several lines when the cursor ends an opening line (a block is starting) on an otherwise
 * empty rest of line; one line otherwise.
 */
export function wantsMultiline(prefix: string, suffix: string): boolean {
  const restOfLine = suffix.split("\n", 1)[0];
  if (restOfLine.trim() !== "") return false;
  const lines = prefix.split("\n");
  const current = lines[lines.length - 1];
  if (current.trim() === "") {
    const previous = lines[lines.length - 2] ?? "";
    return /[{[(:]\s*$/.test(previous) || /=>\s*$/.test(previous);
  }
  return /[{[(:]\s*$/.test(current);
}

/** Cuts a completion to what should be shown: one line, or up to the end of the block. */
export function trimCompletion(text: string, multiline: boolean, suffix: string): string {
  let out = text;
  if (!multiline) {
    const nl = out.indexOf("\n", out.startsWith("\n") ? 1 : 0);
    if (nl >= 0) out = out.slice(0, nl);
  } else {
    // Stop at a blank line: the block is done.
    const blank = out.search(/\n[ \t]*\n/);
    if (blank >= 0) out = out.slice(0, blank);
  }
  // Do not repeat what already follows the cursor.
  const rest = suffix.split("\n", 1)[0].trim();
  if (rest && out.trimEnd().endsWith(rest)) out = out.trimEnd().slice(0, out.trimEnd().length - rest.length);
  return out.trimEnd();
}

/** A completion and where the teacher wrote inside it (offsets into `text`). */
export interface CachedCompletion {
  text: string;
  teacher: Array<{ start: number; end: number; model: string; tokens: number; latencyMs: number }>;
}

/** LRU of completions keyed on the prefix (and suffix), serving typed-through suggestions too. */
export class CompletionCache {
  private readonly entries: LRUCache<string, { prefix: string; suffix: string; completion: CachedCompletion }>;

  constructor(capacity = 250) {
    this.entries = new LRUCache({ max: capacity });
  }

  private key(prefix: string, suffix: string): string {
    return `${prefix}\u0000${suffix}`;
  }

  set(prefix: string, suffix: string, completion: CachedCompletion): void {
    this.entries.set(this.key(prefix, suffix), { prefix, suffix, completion });
  }

  /**
   * The completion for this prefix: an exact hit, or one made for a shorter prefix that the
   * user has since typed into (the rest of it is returned, teacher ranges shifted).
   */
  get(prefix: string, suffix: string): CachedCompletion | undefined {
    // get() also makes the entry the most recently used.
    const exact = this.entries.get(this.key(prefix, suffix));
    if (exact) return exact.completion;
    // Most recently used first.
    for (const entry of this.entries.values()) {
      if (entry.suffix !== suffix || !prefix.startsWith(entry.prefix)) continue;
      const typed = prefix.slice(entry.prefix.length);
      if (typed.length === 0 || typed.includes("\n") || !entry.completion.text.startsWith(typed)) continue;
      const text = entry.completion.text.slice(typed.length);
      if (!text) continue;
      const teacher = entry.completion.teacher
        .map((t) => ({ ...t, start: Math.max(0, t.start - typed.length), end: t.end - typed.length }))
        .filter((t) => t.end > t.start);
      return { text, teacher };
    }
    return undefined;
  }

  get size(): number {
    return this.entries.size;
  }
}
