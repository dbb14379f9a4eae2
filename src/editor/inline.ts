/**
 * Inline completion logic that needs no editor (the window around the cursor is core/inlineWindow.ts): when to
 * complete one line or several, where to cut the model's text, how it joins the line (its
 * indentation), and a small cache keyed on the prefix (which also serves a user typing through a
 * suggestion) and scoped to the model and settings that made its entries.
 */
import { LRUCache } from "lru-cache";

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

/** How the document indents: VS Code's `insertSpaces`, `tabSize` and `indentSize` of its editor. */
export interface IndentStyle {
  insertSpaces: boolean;
  tabSize: number;
  indentSize: number;
}

/** Columns taken by leading whitespace `ws` starting at column `from` (tabs to the next stop). */
function columns(ws: string, tabSize: number, from = 0): number {
  let col = from;
  for (const ch of ws) col = ch === "\t" ? (Math.floor(col / tabSize) + 1) * tabSize : col + 1;
  return col - from;
}

/** Leading whitespace of `width` columns in the document's style. */
function indentation(width: number, style: IndentStyle): string {
  if (style.insertSpaces) return " ".repeat(width);
  return "\t".repeat(Math.floor(width / style.tabSize)) + " ".repeat(width % style.tabSize);
}

const leading = (line: string) => /^[ \t]*/.exec(line)![0];

/**
 * Makes a completion join the line at the cursor exactly. A model continues text it sees as
 * tokens, so after an indentation the user typed (or VS Code typed on Enter) it often writes its
 * own leading space token or repeats the indentation: " return" after four spaces made five.
 *
 * - On a line that is only indentation so far, the first line's indentation (typed + the
 *   model's) is cut to what the code above calls for: the indentation of the last non-blank line,
 *   one level more when that line opens a block, and never a part of a level; what the user
 *   typed is kept (ghost text cannot take it back).
 * - After other text that ends in whitespace, the model's own leading whitespace is dropped.
 * - Every further line keeps its width, written in the document's style (tabs or spaces).
 */
export function joinCompletion(prefix: string, completion: string, style: IndentStyle): string {
  return joinPlan(prefix, completion, style)
    .map((l) => l.lead + l.line.slice(l.cut))
    .join("\n");
}

/**
 * Where an offset into `completion` lands in `joinCompletion()`'s text (for the teacher's
 * ranges): each line's leading whitespace may have been rewritten, the rest moves with it.
 */
export function joinOffsets(prefix: string, completion: string, style: IndentStyle): (offset: number) => number {
  const plan = joinPlan(prefix, completion, style);
  return (offset) => {
    let from = 0;
    let to = 0;
    for (const l of plan) {
      const o = offset - from;
      if (o <= l.line.length) return to + (o >= l.cut ? l.lead.length + o - l.cut : Math.min(o, l.lead.length));
      from += l.line.length + 1;
      to += l.lead.length + l.line.length - l.cut + 1;
    }
    return to - 1;
  };
}

/** Per line: the model's line, how many leading characters are replaced, and by what. */
function joinPlan(prefix: string, completion: string, style: IndentStyle): Array<{ line: string; cut: number; lead: string }> {
  const plan = completion.split("\n").map((line) => ({ line, cut: 0, lead: "" }));
  const before = prefix.slice(prefix.lastIndexOf("\n") + 1);
  const unit = Math.max(1, style.insertSpaces ? style.indentSize : style.tabSize);
  const first = plan[0];
  const lead = leading(first.line);
  if (/^[ \t]*$/.test(before)) {
    const typed = columns(before, style.tabSize);
    first.cut = lead.length;
    if (first.line.length > lead.length) {
      const above = prefix.slice(0, prefix.length - before.length).split("\n").reverse().find((l) => l.trim() !== "") ?? "";
      const expected = columns(leading(above), style.tabSize) + (opensBlock(above) ? unit : 0);
      let target = Math.min(typed + columns(lead, style.tabSize, typed), Math.max(typed, expected));
      if (target % unit !== 0) target = Math.max(typed, target - (target % unit));
      const whole = indentation(target, style);
      first.lead = whole.startsWith(before) ? whole.slice(before.length) : " ".repeat(target - typed);
    }
  } else if (/[ \t]$/.test(before)) {
    first.cut = lead.length;
  }
  for (const l of plan.slice(1)) {
    const ws = leading(l.line);
    if (ws.length === 0) continue;
    l.cut = ws.length;
    l.lead = indentation(columns(ws, style.tabSize), style);
  }
  return plan;
}

/** Whether a line opens a block: the next line is indented one level more. */
function opensBlock(line: string): boolean {
  return /[{[(:]\s*$/.test(line) || /=>\s*$/.test(line);
}

/** A completion and where the teacher wrote inside it (offsets into `text`). */
export interface CachedCompletion {
  text: string;
  teacher: Array<{ start: number; end: number; model: string; tokens: number; latencyMs: number }>;
}

/**
 * LRU of completions keyed on the prefix (and suffix), serving typed-through suggestions too.
 * Its entries belong to one *scope*: whatever else decides a completion (the model, the
 * settings). `useScope()` with a new scope empties it, so a completion is never served for a
 * model or settings other than the ones that made it.
 */
export class CompletionCache {
  private readonly entries: LRUCache<string, { prefix: string; suffix: string; completion: CachedCompletion }>;
  private scope: string | undefined;

  constructor(capacity = 250) {
    this.entries = new LRUCache({ max: capacity });
  }

  /** Sets the scope of the entries; a different one from before drops them all. */
  useScope(scope: string): void {
    if (scope === this.scope) return;
    this.scope = scope;
    this.entries.clear();
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
