/**
 * What one answer shows, as it streams: the spans closed so far plus the text still streaming
 * for the open span, and the "asking teacher" marker while a teacher request is in flight.
 *
 * The host streams text pieces (`text`), then closes each span (`span`) with its final text and
 * numbers; a closed span replaces the streamed text of its kind that it covers. `turn-end`
 * replaces everything with the final, authoritative spans.
 */
import type { SpanView } from "../src/protocol/chat.js";

export type StreamKind = "student" | "teacher";

export interface Asking {
  granted: number;
  model: string;
}

/** A span as shown: a closed span, or streamed text not closed yet. */
export type Segment = { span: SpanView; open: boolean };

interface Pending {
  kind: StreamKind;
  text: string;
  thought: boolean;
}

export class AnswerModel {
  private closed: SpanView[];
  private pending: Pending[] = [];
  private pendingModel: string | undefined;
  asking: Asking | undefined;

  constructor(spans: readonly SpanView[] = []) {
    this.closed = [...spans];
  }

  /** `thought`: a thinking model's reasoning (the collapsed "Thinking" section). */
  appendText(kind: StreamKind, text: string, thought = false): void {
    this.asking = undefined;
    const last = this.pending[this.pending.length - 1];
    if (last && last.kind === kind && last.thought === thought) last.text += text;
    else this.pending.push({ kind, text, thought });
  }

  teacherStart(granted: number, model: string): void {
    this.asking = { granted, model };
    this.pendingModel = model;
  }

  closeSpan(span: SpanView): void {
    this.asking = undefined;
    const last = this.pending[this.pending.length - 1];
    const covered = last && last.kind === span.kind && last.thought === Boolean(span.thought) ? this.pending.pop() : undefined;
    // Streamed text before the covered part was never closed by the host: keep it as it came.
    for (const p of this.pending) this.closed.push(this.implicit(p));
    this.pending = [];
    if (covered && span.text === "" && covered.text !== "") this.closed.push({ ...span, text: covered.text });
    else this.closed.push(span);
    if (span.kind === "teacher") this.pendingModel = undefined;
  }

  finish(spans: readonly SpanView[]): void {
    this.closed = [...spans];
    this.pending = [];
    this.asking = undefined;
    this.pendingModel = undefined;
  }

  segments(): Segment[] {
    return [
      ...this.closed.map((span) => ({ span, open: false })),
      ...this.pending.map((p) => ({ span: this.implicit(p), open: true })),
    ];
  }

  /** The whole answer as plain text, reasoning left out (for tests and copy). */
  text(): string {
    return this.segments()
      .filter((s) => !s.span.thought)
      .map((s) => s.span.text)
      .join("");
  }

  /** The reasoning so far ("" for a model that does not think). */
  reasoning(): string {
    return this.segments()
      .filter((s) => s.span.thought)
      .map((s) => s.span.text)
      .join("");
  }

  /** Whether the answer proper has begun (the reasoning, if any, is over). */
  get answering(): boolean {
    return this.segments().some((s) => !s.span.thought && s.span.text.trim().length > 0);
  }

  private implicit(p: Pending): SpanView {
    const span: SpanView = { kind: p.kind, text: p.text, tokens: 0 };
    if (p.kind === "teacher" && this.pendingModel) span.model = this.pendingModel;
    if (p.thought) span.thought = true;
    return span;
  }
}
