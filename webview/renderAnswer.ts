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

export function renderAnswer(model: AnswerModel): DocumentFragment {
  const segments = model.segments();
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
  if (model.asking) pieces.push({ type: "mark", index: askIndex });

  const fragment = sanitizeToFragment(renderMarkdown(buildSource(pieces)));
  collectCode(fragment);
  decorate(fragment, {
    teacherTitle: (index) => {
      const seg = segments[index];
      return seg ? teacherTitle(seg.span, seg.open) : "teacher";
    },
    mark: (index) => {
      if (index === askIndex && model.asking) return askingMarker(model.asking.granted, model.asking.model);
      const seg = segments[index];
      if (!seg || (seg.span.kind !== "failed-call" && seg.span.kind !== "budget-denied")) return undefined;
      const note = noteText(seg.span);
      return h("span", { class: `call-note ${seg.span.kind}`, title: note.title }, note.label);
    },
  });
  addCodeToolbars(fragment);
  return fragment;
}
