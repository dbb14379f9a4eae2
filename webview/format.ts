/** The words and numbers the panel shows: footers, tooltips, notes. */
import type { SpanView } from "../src/protocol/chat.js";
import { formatInt, plural } from "../src/protocol/format.js";

export { STATS_SEPARATOR, askingText, formatInt, formatPercent, formatSeconds, statsParts, type StatPart } from "../src/protocol/format.js";

/** Tooltip of a teacher span: "teacher <model> · <tokens> tokens · <latency> ms". */
export function teacherTitle(span: SpanView, open: boolean): string {
  const model = span.model ?? "model";
  if (open) return `teacher ${model} · streaming…`;
  const latency = span.durationMs === undefined ? "" : ` · ${formatInt(span.durationMs)} ms`;
  return `teacher ${model} · ${plural(span.tokens, "token")}${latency}`;
}

export function noteText(span: SpanView): { label: string; title: string } {
  if (span.kind === "budget-denied") {
    return {
      label: "teacher budget spent",
      title: span.error ? `Teacher call denied: ${span.error}` : "Teacher call denied: the teacher budget is spent. The student went on alone.",
    };
  }
  const who = span.model ? `teacher ${span.model}` : "teacher";
  return {
    label: "teacher call failed",
    // Provider messages often end with their own period ("Connection error."): one is enough.
    title: `${who} call failed${span.error ? `: ${span.error.replace(/\.+$/, "")}` : ""}. The student went on alone.`,
  };
}
