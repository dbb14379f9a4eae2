/**
 * Builds the Markdown source of one answer with its span boundaries written in as sentinels.
 *
 * A sentinel placed carelessly would change how the Markdown parses: one at the start of a line
 * turns `# Title` into plain text, one after a closing code fence stops the fence from closing.
 * So an opening boundary moves forward past whitespace and line-start syntax (list markers,
 * heading marks, quote marks, fence and `$$` lines), and a closing boundary or an inline mark
 * moves back past whitespace and off lines that are only syntax. The tint then covers the
 * teacher's visible words, which is what the user needs to see.
 */
import { sentinel, stripSentinels } from "./sentinels.js";

export type SourcePiece =
  | { type: "text"; text: string; teacher?: number }
  | { type: "mark"; index: number };

const WS = /\s/;
/** Lines that are syntax only: code fences, display-math delimiters, rules, table delimiters. */
const SYNTAX_LINE = [
  /^ {0,3}(`{3,}|~{3,})/,
  /^\s*(\$\$|\\\[|\\\])\s*$/,
  /^\s*([-*_=])[ \t]*(\1[ \t]*){2,}$/,
  /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/,
];
/** Block markers at the start of a line (quote, bullet, ordered item, heading, table pipe). */
const LINE_PREFIX = /^[ \t]*(?:(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)|#{1,6}(?=[ \t]|$)|\|)[ \t]*)+/;
const ONLY_PREFIX = /^[ \t]*(?:(?:>|[-*+]|\d{1,9}[.)]|#{1,6}|\|)[ \t]*)+$/;

function lineStart(src: string, p: number): number {
  return src.lastIndexOf("\n", p - 1) + 1;
}

function lineEnd(src: string, p: number): number {
  const e = src.indexOf("\n", p);
  return e < 0 ? src.length : e;
}

/** Where an opening boundary at `start` (span ending at `end`) should go. */
export function adjustOpen(src: string, start: number, end: number): number {
  let p = start;
  while (p < end) {
    while (p < end && WS.test(src[p] ?? "")) p++;
    if (p >= end) return end;
    const ls = lineStart(src, p);
    if (src.slice(ls, p).trim() !== "") return p;
    const le = lineEnd(src, p);
    const line = src.slice(ls, le);
    if (SYNTAX_LINE.some((re) => re.test(line))) {
      p = le + 1;
      continue;
    }
    const prefix = LINE_PREFIX.exec(src.slice(p, le));
    if (prefix && prefix[0].length > 0) p += prefix[0].length;
    return Math.min(p, end);
  }
  return end;
}

/** Where a closing boundary (or an inline mark) at `end` should go, not before `floor`. */
export function adjustClose(src: string, floor: number, end: number): number {
  let p = end;
  while (p > floor) {
    while (p > floor && WS.test(src[p - 1] ?? "")) p--;
    if (p <= floor) return floor;
    const ls = lineStart(src, p);
    const le = lineEnd(src, p);
    const before = src.slice(ls, p);
    const line = src.slice(ls, le);
    if (SYNTAX_LINE.some((re) => re.test(line)) || ONLY_PREFIX.test(before)) {
      if (ls <= floor) return floor;
      p = ls;
      continue;
    }
    // A table row: stay inside its last cell, or the boundary becomes a cell of its own.
    if (/^\s*\|/.test(line) && before.trimEnd().endsWith("|")) {
      const pipe = before.lastIndexOf("|");
      if (pipe > 0 && ls + pipe > floor) return ls + pipe;
    }
    return p;
  }
  return floor;
}

/** The answer's Markdown source with sentinels for teacher spans and inline marks. */
export function buildSource(pieces: readonly SourcePiece[]): string {
  let src = "";
  const ranges: Array<{ start: number; end: number; index: number }> = [];
  const marks: Array<{ at: number; index: number }> = [];
  for (const piece of pieces) {
    if (piece.type === "mark") {
      marks.push({ at: src.length, index: piece.index });
      continue;
    }
    const text = stripSentinels(piece.text);
    if (piece.teacher !== undefined && text !== "") {
      ranges.push({ start: src.length, end: src.length + text.length, index: piece.teacher });
    }
    src += text;
  }

  // Insertions sorted by position; at one position a close comes before a mark before an open.
  const inserts: Array<{ at: number; order: number; text: string }> = [];
  for (const r of ranges) {
    const start = adjustOpen(src, r.start, r.end);
    const end = adjustClose(src, start, r.end);
    if (end <= start) continue;
    inserts.push({ at: start, order: 2, text: sentinel("open", r.index) });
    inserts.push({ at: end, order: 0, text: sentinel("close", r.index) });
  }
  let leading = "";
  for (const m of marks) {
    const at = adjustClose(src, 0, m.at);
    // A mark before any text goes in a paragraph of its own, ahead of the answer.
    if (at === 0 && src.trim() !== "") leading += sentinel("mark", m.index);
    else inserts.push({ at, order: 1, text: sentinel("mark", m.index) });
  }
  inserts.sort((a, b) => a.at - b.at || a.order - b.order);
  let out = "";
  let last = 0;
  for (const ins of inserts) {
    out += src.slice(last, ins.at) + ins.text;
    last = ins.at;
  }
  out += src.slice(last);
  return leading ? `${leading}\n\n${out}` : out;
}
