/** Where teacher-written text lies inside a piece of text built from an answer's spans. */
import type { Span } from "../core/spans.js";

/** What these functions need of a span (the chat panel keeps only this much). */
export type SpanLike = Pick<Span, "kind" | "text" | "tokens" | "model"> & { durationMs?: number; thought?: boolean };

export interface TeacherRange {
  start: number;
  end: number;
  model: string;
  tokens: number;
  latencyMs: number;
}

/**
 * Teacher ranges of `answer` (the concatenated span texts, reasoning left out as in the
 * relay's `text`), clipped to its first `length` characters.
 */
export function teacherRangesOf(spans: readonly SpanLike[], length = Infinity): TeacherRange[] {
  const out: TeacherRange[] = [];
  let offset = 0;
  for (const span of spans) {
    if (span.thought) continue;
    const end = offset + span.text.length;
    if (span.kind === "teacher" && span.text.length > 0 && offset < length) {
      out.push({ start: offset, end: Math.min(end, length), model: span.model ?? "teacher", tokens: span.tokens, latencyMs: span.durationMs ?? 0 });
    }
    offset = end;
  }
  return out;
}

/**
 * Teacher ranges inside a snippet taken from an answer (a code block the user inserts). Where the
 * snippet is found verbatim in the answer, the teacher ranges of the answer are clipped to it, so
 * a teacher span that crosses the code fence keeps the part inside the block. Otherwise (the
 * block was re-indented), each teacher span's text (ignoring surrounding whitespace) is looked
 * for in the snippet, in order.
 */
export function teacherRangesIn(snippet: string, spans: readonly SpanLike[]): TeacherRange[] {
  const answer = spans.map((s) => s.text).join("");
  const body = snippet.replace(/\n$/, "");
  const at = body ? answer.indexOf(body) : -1;
  if (at >= 0) {
    const end = at + body.length;
    return teacherRangesOf(spans)
      .filter((r) => r.end > at && r.start < end)
      .map((r) => ({ ...r, start: Math.max(r.start, at) - at, end: Math.min(r.end, end) - at }))
      .filter((r) => r.end > r.start && snippet.slice(r.start, r.end).trim().length > 0);
  }
  const out: TeacherRange[] = [];
  let from = 0;
  for (const span of spans) {
    if (span.kind !== "teacher" || span.thought) continue;
    const text = span.text.trim();
    if (text.length < 2) continue;
    const at = snippet.indexOf(text, from);
    if (at < 0) continue;
    out.push({ start: at, end: at + text.length, model: span.model ?? "teacher", tokens: span.tokens, latencyMs: span.durationMs ?? 0 });
    from = at + text.length;
  }
  return out;
}
