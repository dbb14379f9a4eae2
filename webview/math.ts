/**
 * A markdown-it plugin for math rendered with KaTeX: `$...$` and `\(...\)` inline, `$$...$$`
 * and `\[...\]` as display math (inline in a paragraph, or as a block on their own lines).
 * Math models also write a bare `\boxed{…}` (the answer format) or `\frac{…}{…}` outside any
 * delimiters: those are rendered as inline math too, up to their balanced closing brace.
 * `$` follows Pandoc's rule so prices stay text: no space just inside the delimiters, and no
 * digit right after the closing `$`. KaTeX runs with `trust: false` (no \href, \includegraphics
 * or \htmlClass) and `throwOnError: false` (a bad formula shows its source in the error colour).
 */
import katex from "katex";
import { LRUCache } from "lru-cache";
import type { MarkdownIt, StateBlock, StateInline } from "markdown-it";
import { escapeHtml } from "./html.js";
import { extractSentinels, wrapAtom } from "./sentinels.js";

const SPACE = /\s/;

/** Rendered formulas: a streaming answer is re-rendered every frame, its formulas mostly unchanged. */
const cache = new LRUCache<string, string>({ max: 500 });

export function renderMath(source: string, displayMode: boolean): string {
  const { clean, sentinels } = extractSentinels(source);
  const key = `${displayMode ? "D" : "I"}${clean}`;
  let html = cache.get(key);
  if (html === undefined) {
    html = renderKatex(clean, displayMode);
    cache.set(key, html);
  }
  return wrapAtom(sentinels, html);
}

function renderKatex(clean: string, displayMode: boolean): string {
  try {
    return katex.renderToString(clean, {
      displayMode,
      throwOnError: false,
      output: "htmlAndMathml",
      strict: "ignore",
      trust: false,
      maxExpand: 1000,
      maxSize: 50,
    });
  } catch {
    return `<code class="math-error">${escapeHtml(clean)}</code>`;
  }
}

function pushMath(state: StateInline, type: string, markup: string, content: string): void {
  const token = state.push(type, "math", 0);
  token.markup = markup;
  token.content = content;
}

/** Commands rendered as math without delimiters, and how many brace groups each takes. */
const BARE_COMMANDS: ReadonlyArray<[string, number]> = [
  ["\\boxed", 1],
  ["\\fbox", 1],
  ["\\dfrac", 2],
  ["\\tfrac", 2],
  ["\\frac", 2],
  ["\\sqrt", 1],
];

/** The end (exclusive) of the balanced `{…}` group starting at `open`, or -1. */
function groupEnd(src: string, open: number, limit: number): number {
  if (src[open] !== "{") return -1;
  let depth = 0;
  for (let i = open; i < limit; i++) {
    const c = src[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  return -1;
}

/** A bare `\boxed{…}` / `\frac{…}{…}` at `pos`: its end, or -1. */
function bareCommandEnd(src: string, pos: number, limit: number): number {
  for (const [name, groups] of BARE_COMMANDS) {
    if (!src.startsWith(name, pos) || src[pos + name.length] !== "{") continue;
    let end = pos + name.length;
    for (let g = 0; g < groups; g++) {
      end = groupEnd(src, end, limit);
      if (end < 0) return -1;
    }
    return end;
  }
  return -1;
}

function mathInline(state: StateInline, silent: boolean): boolean {
  const src = state.src;
  const pos = state.pos;
  const ch = src[pos];
  if (ch === "\\") {
    const bare = bareCommandEnd(src, pos, state.posMax);
    if (bare > 0) {
      if (!silent) pushMath(state, "math_inline", "", src.slice(pos, bare));
      state.pos = bare;
      return true;
    }
    const next = src[pos + 1];
    if (next !== "(" && next !== "[") return false;
    const closer = next === "(" ? "\\)" : "\\]";
    const end = src.indexOf(closer, pos + 2);
    if (end < 0 || end > state.posMax - 2) return false;
    if (!silent) pushMath(state, next === "(" ? "math_inline" : "math_display", `\\${next}`, src.slice(pos + 2, end));
    state.pos = end + 2;
    return true;
  }
  if (ch !== "$") return false;
  if (src[pos + 1] === "$") {
    const end = src.indexOf("$$", pos + 2);
    if (end < 0 || end === pos + 2 || end > state.posMax - 2) return false;
    if (!silent) pushMath(state, "math_display", "$$", src.slice(pos + 2, end));
    state.pos = end + 2;
    return true;
  }
  const first = src[pos + 1];
  if (first === undefined || SPACE.test(first)) return false;
  let end = pos + 1;
  for (;;) {
    end = src.indexOf("$", end);
    if (end < 0 || end >= state.posMax) return false;
    const before = src[end - 1] ?? "";
    const after = src[end + 1] ?? "";
    if (before === "\\" || SPACE.test(before) || /\d/.test(after)) {
      end++;
      continue;
    }
    break;
  }
  if (!silent) pushMath(state, "math_inline", "$", src.slice(pos + 1, end));
  state.pos = end + 1;
  return true;
}

function mathBlock(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  if (state.sCount[startLine] - state.blkIndent >= 4) return false;
  const start = state.bMarks[startLine] + state.tShift[startLine];
  const first = state.src.slice(start, state.eMarks[startLine]);
  const open = first.startsWith("$$") ? "$$" : first.startsWith("\\[") ? "\\[" : "";
  if (!open) return false;
  const close = open === "$$" ? "$$" : "\\]";
  const rest = first.slice(2).trimEnd();
  const lines: string[] = [];
  let last = startLine;
  if (rest.endsWith(close) && rest.length >= close.length) {
    // One line: $$ x $$. With more after the closer it is inline math in a paragraph.
    lines.push(rest.slice(0, -close.length));
  } else {
    if (rest.includes(close)) return false;
    lines.push(rest);
    let found = false;
    for (let line = startLine + 1; line < endLine; line++) {
      const s = state.bMarks[line] + state.tShift[line];
      const e = state.eMarks[line];
      if (s >= e) break; // a blank line ends the attempt
      if (state.sCount[line] < state.blkIndent) break;
      const text = state.src.slice(s, e).trimEnd();
      if (text.endsWith(close)) {
        lines.push(text.slice(0, -close.length));
        last = line;
        found = true;
        break;
      }
      if (text.includes(close)) break;
      lines.push(text);
    }
    if (!found) return false;
  }
  if (silent) return true;
  state.line = last + 1;
  const token = state.push("math_block", "math", 0);
  token.block = true;
  token.markup = open;
  token.content = lines.join("\n");
  token.map = [startLine, state.line];
  return true;
}

export function mathPlugin(md: MarkdownIt): void {
  md.inline.ruler.before("escape", "math_inline", mathInline);
  md.block.ruler.before("fence", "math_block", mathBlock, { alt: ["paragraph", "reference", "blockquote", "list"] });
  md.renderer.rules.math_inline = (tokens, idx) => renderMath(tokens[idx]?.content ?? "", false);
  md.renderer.rules.math_display = (tokens, idx) => renderMath(tokens[idx]?.content ?? "", true);
  md.renderer.rules.math_block = (tokens, idx) => `<div class="math-block">${renderMath(tokens[idx]?.content ?? "", true)}</div>\n`;
}
