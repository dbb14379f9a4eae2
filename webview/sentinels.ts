/**
 * Span boundaries carried through Markdown rendering.
 *
 * An answer is rendered as one Markdown document, so a teacher span can start in one paragraph
 * and end inside a code block. Before rendering, each boundary is written into the source as a
 * sentinel: a Unicode noncharacter (U+FDD0..U+FDD2, "for a program's internal use") followed by
 * the span's index spelled in the noncharacter digits U+FDE0..U+FDE9. Markdown, highlight.js and
 * DOMPurify leave these characters alone, so after sanitizing they are still in the text nodes,
 * where `decorate.ts` turns them into trusted wrapper elements. Model text is stripped of the
 * whole reserved range first, so it can never forge a boundary.
 */

export const OPEN = "\uFDD0";
export const CLOSE = "\uFDD1";
export const MARK = "\uFDD2";
const DIGIT_ZERO = 0xfde0;

/** Every character this module reserves (U+FDD0..U+FDEF). */
const RESERVED_RE = /[\uFDD0-\uFDEF]/g;
const SENTINEL_RE = /([\uFDD0-\uFDD2])([\uFDE0-\uFDE9]*)/g;

export type SentinelToken = { type: "open" | "close" | "mark"; index: number };

export function stripSentinels(text: string): string {
  return text.replace(RESERVED_RE, "");
}

function encodeIndex(index: number): string {
  return [...String(index)].map((d) => String.fromCharCode(DIGIT_ZERO + Number(d))).join("");
}

function decodeIndex(digits: string): number {
  let n = 0;
  for (const ch of digits) n = n * 10 + (ch.charCodeAt(0) - DIGIT_ZERO);
  return n;
}

export function sentinel(type: SentinelToken["type"], index: number): string {
  return (type === "open" ? OPEN : type === "close" ? CLOSE : MARK) + encodeIndex(index);
}

/** Splits text into plain pieces and sentinel tokens, in order. Empty pieces are left out. */
export function splitSentinels(text: string): Array<string | SentinelToken> {
  const out: Array<string | SentinelToken> = [];
  let last = 0;
  for (const m of text.matchAll(SENTINEL_RE)) {
    const at = m.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    const type = m[1] === OPEN ? "open" : m[1] === CLOSE ? "close" : "mark";
    out.push({ type, index: decodeIndex(m[2] ?? "") });
    last = at + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/**
 * For text that must not contain sentinels (a math formula, a code fence's info string):
 * the clean text, and the sentinels it held, in order, as one string.
 */
export function extractSentinels(text: string): { clean: string; sentinels: SentinelToken[] } {
  const sentinels: SentinelToken[] = [];
  let clean = "";
  for (const piece of splitSentinels(text)) {
    if (typeof piece === "string") clean += piece;
    else sentinels.push(piece);
  }
  return { clean: stripSentinels(clean), sentinels };
}

/**
 * Wraps a rendered atom (a formula) that swallowed some sentinels so that the boundaries stay
 * balanced and the atom counts as teacher text when any teacher span touches it.
 */
export function wrapAtom(sentinels: readonly SentinelToken[], html: string): string {
  if (sentinels.length === 0) return html;
  const all = sentinels.map((s) => sentinel(s.type, s.index)).join("");
  const touching = sentinels.find((s) => s.type !== "mark");
  if (!touching) return all + html;
  const lastBoundary = [...sentinels].reverse().find((s) => s.type !== "mark");
  const reopen = lastBoundary?.type === "open" ? sentinel("open", lastBoundary.index) : "";
  return all + sentinel("open", touching.index) + html + sentinel("close", touching.index) + reopen;
}
