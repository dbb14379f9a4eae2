/**
 * One answer, from spans to a DOM fragment: Markdown source with span sentinels → markdown-it
 * (+ KaTeX, highlight.js) → DOMPurify → sentinels turned into teacher wrappers and notes →
 * code-block toolbars. Sanitizing happens before this module adds any element of its own.
 */
import type { AnswerModel } from "./answerModel.js";
import { addCodeToolbars, collectCode } from "./codeBlocks.js";
import { decorate } from "./decorate.js";
import { h } from "./dom.js";
import { askingText, noteText, teacherTitle } from "./format.js";
import { renderMarkdown } from "./markdown.js";
import { sanitizeToFragment } from "./sanitize.js";
import { buildSource, type SourcePiece } from "./source.js";

function askingMarker(granted: number, model: string): HTMLElement {
  return h(
    "span",
    { class: "asking", role: "status", title: `asking ${model} for up to ${granted} tokens` },
    h("span", { class: "asking-dot", "aria-hidden": "true" }),
    askingText(granted),
  );
}

export interface RenderOptions {
  /** The "Thinking" section starts expanded (the user opened it). */
  thinkingOpen?: boolean;
  /** Still streaming: the section's summary says the model is thinking. */
  streaming?: boolean;
}

/**
 * The answer, with a thinking model's reasoning first in a collapsed "Thinking" section (a
 * native <details>, so it opens with the keyboard too), rendered like the answer.
 */
export function renderAnswer(model: AnswerModel, options: RenderOptions = {}): DocumentFragment {
  const all = model.segments();
  const thought = all.filter((s) => s.span.thought);
  const answer = all.filter((s) => !s.span.thought);
  // While the model is still reasoning, "asking teacher" shows inside the reasoning.
  const inThought = thought.length > 0 && !model.answering;
  const fragment = renderSegments(answer, inThought ? undefined : model.asking);
  if (thought.length === 0) return fragment;
  const stillThinking = Boolean(options.streaming) && inThought;
  const body = h("div", { class: "thinking-body markdown" });
  body.append(renderSegments(thought, inThought ? model.asking : undefined));
  const summary = h("summary", { class: "thinking-summary" }, stillThinking ? "Thinking…" : "Thinking");
  const details = h("details", { class: `thinking${stillThinking ? " live" : ""}` }, summary, body);
  if (options.thinkingOpen) details.setAttribute("open", "");
  fragment.prepend(details);
  return fragment;
}

function renderSegments(segments: ReturnType<AnswerModel["segments"]>, asking: AnswerModel["asking"]): DocumentFragment {
  const pieces: SourcePiece[] = [];
  segments.forEach(({ span }, index) => {
    if (span.kind === "student") pieces.push({ type: "text", text: span.text });
    else if (span.kind === "teacher") pieces.push({ type: "text", text: span.text, teacher: index });
    else {
      if (span.text) pieces.push({ type: "text", text: span.text });
      pieces.push({ type: "mark", index });
    }
  });
  const askIndex = segments.length;
  if (asking) pieces.push({ type: "mark", index: askIndex });

  const fragment = sanitizeToFragment(renderMarkdown(buildSource(pieces)));
  collectCode(fragment);
  decorate(fragment, {
    teacherTitle: (index) => {
      const seg = segments[index];
      return seg ? teacherTitle(seg.span, seg.open) : "teacher";
    },
    mark: (index) => {
      if (index === askIndex && asking) return askingMarker(asking.granted, asking.model);
      const seg = segments[index];
      if (!seg || (seg.span.kind !== "failed-call" && seg.span.kind !== "budget-denied")) return undefined;
      const note = noteText(seg.span);
      return h("span", { class: `call-note ${seg.span.kind}`, title: note.title }, note.label);
    },
  });
  addCodeToolbars(fragment);
  return fragment;
}
