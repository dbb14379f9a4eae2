/**
 * The answer as labelled spans while it is made: the open student span, the teacher's spliced
 * text (split where it opens or closes a thinking model's reasoning), the refused calls, and the
 * events that show each piece as it comes.
 */

import type { Span } from "./spans.js";
import type { ThoughtPiece, ThoughtSplitter } from "./thoughts.js";

export type RelayEvent =
  /** `thought`: reasoning of a thinking model (shown apart from the answer, never as ghost text). */
  | { type: "text"; kind: "student" | "teacher"; text: string; thought?: boolean }
  | { type: "teacher-start"; requested: number; granted: number; model: string }
  | { type: "span"; span: Span };

/** What every teacher span of one call shares. */
export type CallFields = Pick<Span, "startMs" | "durationMs" | "requested" | "granted" | "model">;

export class SpanRecorder {
  readonly spans: Span[] = [];
  /** The open student span. */
  private current: Span;

  constructor(
    private readonly t0: number,
    /** Splits reasoning from answer; absent for models that do not think. */
    private readonly thoughts: ThoughtSplitter | undefined,
    private readonly emit: (event: RelayEvent) => void,
  ) {
    this.current = this.newStudentSpan();
  }

  /** Milliseconds since the answer started. */
  now(): number {
    return Date.now() - this.t0;
  }

  /** One more student token kept in the open span. */
  studentToken(): void {
    this.current.tokens++;
  }

  /** Student text the user sees; a change between reasoning and answer starts a new span. */
  studentText(text: string): void {
    for (const piece of this.split(text)) this.showStudent(piece);
  }

  /** The end of the answer: whatever the reasoning splitter still held. */
  endThoughts(): void {
    for (const piece of this.thoughts?.end() ?? []) this.showStudent(piece);
  }

  closeStudent(): void {
    const span = this.current;
    if (span.tokens > 0 || span.text.length > 0) {
      span.durationMs = this.now() - span.startMs;
      this.spans.push(span);
      this.emit({ type: "span", span });
    }
    this.current = this.newStudentSpan();
  }

  /** A call that spliced nothing: refused by the budget, or failed (with the reason). */
  refused(kind: "failed-call" | "budget-denied", call: CallFields, extra: Pick<Span, "usage" | "error"> = {}): void {
    this.push({ kind, text: "", tokens: 0, ...call, ...(extra.usage ? { usage: extra.usage } : {}), ...(extra.error !== undefined ? { error: extra.error } : {}) });
  }

  /** The teacher's spliced text: one span, or one per side where it opens or closes the reasoning. */
  teacher(text: string, tokens: number, call: CallFields, rest: Pick<Span, "usage" | "finish">, countTokens: (text: string) => number): void {
    const thoughtBefore = this.thoughts?.inside ?? false;
    const pieces = this.split(text);
    for (const piece of pieces) this.emit({ type: "text", kind: "teacher", text: piece.text, ...(piece.thought ? { thought: true } : {}) });
    const spliced: Span = { kind: "teacher", text: "", tokens, ...call, ...rest };
    if (pieces.length <= 1) {
      const thought = pieces[0]?.thought ?? thoughtBefore;
      this.push({ ...spliced, text: pieces[0]?.text ?? "", ...(thought ? { thought } : {}) });
    } else {
      // The second and later parts are continuations of the same call.
      let left = tokens;
      pieces.forEach((piece, i) => {
        const last = i === pieces.length - 1;
        const part = last ? left : Math.min(left, countTokens(piece.text));
        left -= part;
        const flag = piece.thought ? { thought: true } : {};
        if (i === 0) this.push({ ...spliced, text: piece.text, tokens: part, ...flag });
        else this.push({ kind: "teacher", text: piece.text, tokens: part, startMs: spliced.startMs + spliced.durationMs, durationMs: 0, model: call.model, continued: true, ...flag });
      });
    }
    setThought(this.current, this.thoughts?.inside ?? false);
  }

  private push(span: Span): void {
    this.spans.push(span);
    this.emit({ type: "span", span });
    // The next student span starts after this one.
    if (this.current.tokens === 0) this.current.startMs = this.now();
  }

  private showStudent(piece: ThoughtPiece): void {
    if (piece.thought !== Boolean(this.current.thought)) {
      // A span holding only the marker token joins the section the marker opens.
      if (this.current.text.length > 0) this.closeStudent();
      setThought(this.current, piece.thought);
    }
    this.current.text += piece.text;
    this.emit({ type: "text", kind: "student", text: piece.text, ...(piece.thought ? { thought: true } : {}) });
  }

  private split(text: string): ThoughtPiece[] {
    if (!this.thoughts) return text ? [{ text, thought: false }] : [];
    return this.thoughts.push(text);
  }

  private newStudentSpan(): Span {
    const span: Span = { kind: "student", text: "", tokens: 0, startMs: this.now(), durationMs: 0 };
    if (this.thoughts?.inside) span.thought = true;
    return span;
  }
}

function setThought(span: Span, thought: boolean): void {
  if (thought) span.thought = true;
  else delete span.thought;
}
