/**
 * Turns the sentinels left in sanitized HTML into this UI's own elements: `span.teacher` wrappers
 * (tint + tooltip) around teacher text, and inline marks (call notes, the asking-teacher marker).
 * Runs after DOMPurify, on a fragment that is not in the page yet, and only ever creates
 * elements itself with text set through the DOM, so nothing from the model becomes markup.
 *
 * Wrapping is per text node, so a teacher span that crosses paragraphs, list items or a code
 * block becomes several wrappers with the same tooltip. KaTeX output is treated as one unit.
 */
import { splitSentinels } from "./sentinels.js";

export interface Decorations {
  /** Tooltip of teacher span `index`. */
  teacherTitle(index: number): string;
  /** A fresh element for inline mark `index`, or undefined to drop it. */
  mark(index: number): HTMLElement | undefined;
}

const ATOMIC = ["katex", "katex-display", "math-error"];

export function decorate(root: DocumentFragment | Element, deco: Decorations): void {
  let current: number | null = null;

  const wrap = (text: string, inPre: boolean): Node => {
    if (current === null || (!inPre && !/\S/.test(text) && text.includes("\n"))) return document.createTextNode(text);
    const span = document.createElement("span");
    span.className = "teacher";
    span.title = deco.teacherTitle(current);
    span.textContent = text;
    return span;
  };

  const visit = (parent: Node, inPre: boolean): void => {
    for (const node of [...parent.childNodes]) {
      if (node.nodeType === Node.TEXT_NODE) {
        const text = (node as Text).data;
        const pieces = splitSentinels(text);
        if (pieces.length === 1 && typeof pieces[0] === "string" && current === null) continue;
        const out = document.createDocumentFragment();
        for (const piece of pieces) {
          if (typeof piece === "string") out.append(wrap(piece, inPre));
          else if (piece.type === "open") current = piece.index;
          else if (piece.type === "close") {
            if (current === piece.index) current = null;
          } else {
            const el = deco.mark(piece.index);
            if (el) out.append(el);
          }
        }
        node.replaceWith(out);
      } else if (node instanceof Element) {
        if (ATOMIC.some((c) => node.classList.contains(c))) {
          if (current !== null) {
            node.classList.add("teacher");
            node.setAttribute("title", deco.teacherTitle(current));
          }
          continue;
        }
        visit(node, inPre || node.localName === "pre");
      }
    }
  };
  visit(root, false);
}
