/**
 * Incremental scanner for the relay command `<call>n</call>`.
 *
 * Fed text pieces of any split (token pieces), it emits visible text and complete commands.
 * Text that could still become a tag is held back until it is decided, so a consumer never
 * shows a fragment of a tag. Feeding the same text in any split yields the same events
 * (after merging adjacent text events).
 */

export type ScanEvent =
  | { type: "text"; text: string }
  | { type: "call"; n: number; requested: number; raw: string }
  | { type: "malformed"; raw: string; reason: MalformedReason };

export type MalformedReason = "zero" | "missing-number" | "not-a-number" | "unclosed" | "stray-close";

const OPEN = "<call>";
const CLOSE = "</call>";
/** Content longer than this between `<call>` and `</call>` cannot be a command. */
const MAX_TAG_CONTENT = 64;
const VALID_CONTENT = /^\s*(\d+)\s*$/;
/** What an unfinished command looks like: digits, spaces, and the start of `</call>`. */
const TAG_MATERIAL = /^\s*\d*\s*(<(\/(c(a(l(l)?)?)?)?)?)?$/;

export interface TagScannerOptions {
  /** Upper clamp for n: a command asks for n clamped to [1, maxSpanTokens] (README, "How a relay works"). */
  maxSpanTokens: number;
}

export class TagScanner {
  private buffer = "";
  /** Content seen since an opening `<call>`, or undefined outside a tag. */
  private inside: string | undefined;

  constructor(private readonly options: TagScannerOptions) {}

  /** True while text is being held back (a possible or open tag). */
  get holding(): boolean {
    return this.inside !== undefined || this.buffer.length > 0;
  }

  push(piece: string): ScanEvent[] {
    const events: ScanEvent[] = [];
    this.buffer += piece;
    this.drain(events, false);
    return events;
  }

  /** End of stream: whatever is held is decided now. */
  end(): ScanEvent[] {
    const events: ScanEvent[] = [];
    this.drain(events, false);
    if (this.inside === undefined && this.buffer.length >= 2) {
      // A stream cut inside "<call>" or "</call>" (e.g. by maxTokens): a fragment, never shown.
      events.push({ type: "malformed", raw: this.buffer, reason: "unclosed" });
      this.buffer = "";
    }
    this.drain(events, true);
    if (this.inside !== undefined) {
      const content = this.inside;
      this.inside = undefined;
      events.push({ type: "malformed", raw: OPEN + content, reason: "unclosed" });
      // Words after a stray opener are the model's text; a half-written number is not.
      if (!TAG_MATERIAL.test(content)) {
        this.buffer = content;
        this.drain(events, true);
      }
    }
    return mergeText(events);
  }

  private drain(events: ScanEvent[], final: boolean): void {
    while (this.buffer.length > 0) {
      if (this.inside !== undefined) {
        if (!this.scanInside(events)) return;
      } else if (!this.scanOutside(events, final)) {
        return;
      }
    }
  }

  /** Outside a tag: emit text up to the next `<` that may start a tag. Returns false to wait. */
  private scanOutside(events: ScanEvent[], final: boolean): boolean {
    const buf = this.buffer;
    let from = 0;
    while (true) {
      const lt = buf.indexOf("<", from);
      if (lt < 0) {
        this.emitText(events, buf);
        this.buffer = "";
        return true;
      }
      const rest = buf.slice(lt);
      if (rest.startsWith(OPEN)) {
        this.emitText(events, buf.slice(0, lt));
        this.buffer = rest.slice(OPEN.length);
        this.inside = "";
        return true;
      }
      if (rest.startsWith(CLOSE)) {
        this.emitText(events, buf.slice(0, lt));
        events.push({ type: "malformed", raw: CLOSE, reason: "stray-close" });
        this.buffer = rest.slice(CLOSE.length);
        return true;
      }
      if (!final && (OPEN.startsWith(rest) || CLOSE.startsWith(rest))) {
        // Could still become a tag: hold it back.
        this.emitText(events, buf.slice(0, lt));
        this.buffer = rest;
        return false;
      }
      from = lt + 1;
    }
  }

  /** Inside `<call>`: wait for `</call>`, or decide the tag is broken. Returns false to wait. */
  private scanInside(events: ScanEvent[]): boolean {
    const content = (this.inside ?? "") + this.buffer;
    const close = content.indexOf(CLOSE);
    const nested = content.indexOf(OPEN);
    if (close >= 0 && (nested < 0 || close < nested) && close <= MAX_TAG_CONTENT) {
      const inner = content.slice(0, close);
      this.inside = undefined;
      this.buffer = content.slice(close + CLOSE.length);
      events.push(this.decide(inner));
      return true;
    }
    if (nested >= 0 && nested <= MAX_TAG_CONTENT) {
      // A second opener before any close: the first one is broken.
      this.breakTag(events, content.slice(0, nested), content.slice(nested));
      return true;
    }
    const window = MAX_TAG_CONTENT + CLOSE.length;
    if (content.length > window) {
      // Decide on a fixed window so every split of the text breaks the tag the same way.
      this.breakTag(events, content.slice(0, window), content.slice(window));
      return true;
    }
    // Wait for more; at the end of the stream, end() decides the unclosed tag.
    this.inside = content;
    this.buffer = "";
    return false;
  }

  private breakTag(events: ScanEvent[], content: string, after: string): void {
    this.inside = undefined;
    events.push({ type: "malformed", raw: OPEN, reason: "unclosed" });
    this.buffer = (TAG_MATERIAL.test(content) ? "" : content) + after;
  }

  private decide(inner: string): ScanEvent {
    const raw = OPEN + inner + CLOSE;
    const match = VALID_CONTENT.exec(inner);
    if (!match) {
      return { type: "malformed", raw, reason: inner.trim() === "" ? "missing-number" : "not-a-number" };
    }
    // Digits can exceed Number's range; any such n is simply "huge" and clamps to the max.
    const requested = Number(match[1]);
    if (requested === 0) return { type: "malformed", raw, reason: "zero" };
    const n = Math.min(Math.max(1, requested), this.options.maxSpanTokens);
    return { type: "call", n, requested, raw };
  }

  private emitText(events: ScanEvent[], text: string): void {
    if (text.length === 0) return;
    const last = events[events.length - 1];
    if (last?.type === "text") last.text += text;
    else events.push({ type: "text", text });
  }
}

/** Joins adjacent text events (used to compare scans of different splits). */
export function mergeText(events: ScanEvent[]): ScanEvent[] {
  const out: ScanEvent[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e.type === "text" && last?.type === "text") last.text += e.text;
    else if (e.type !== "text" || e.text.length > 0) out.push({ ...e });
  }
  return out;
}

/** Scans a whole text at once. */
export function scanAll(text: string, options: TagScannerOptions): ScanEvent[] {
  const s = new TagScanner(options);
  return mergeText([...s.push(text), ...s.end()]);
}

/** The text a user sees: every command tag, valid or not, removed. */
export function visibleText(text: string, options: TagScannerOptions): string {
  return scanAll(text, options)
    .map((e) => (e.type === "text" ? e.text : ""))
    .join("");
}
