/**
 * The built-in grader: extract the final answer (extract.ts: Math-Verify's order, after any
 * reasoning block), normalise both sides, then compare as numbers (Math-Verify's rule: decimals
 * at 6 places), as matrices, as lists (tuples in order, sets and answer lists in any order), or
 * as LaTeX through the Compute Engine (symbolic equivalence). Its agreement with Math-Verify
 * itself is measured by test/grader/differential.test.ts.
 */
import { extractAnswer } from "./extract.js";
import { numericValue, symbolicallyEqual, valuesDiffer } from "./mathEngine.js";
import { normalizeAnswer, numbersEqual, parseNumber, stripAssignment, type ParsedNumber } from "./normalize.js";

export { answerText, boxedAnswer, extractAnswer, gsm8kGold, lastBoxed } from "./extract.js";

export interface Grade {
  /** The final answer found in the response; null if none. */
  extracted: string | null;
  correct: boolean;
}

export function gradeResponse(response: string, gold: string): Grade {
  const extracted = extractAnswer(response);
  return { extracted, correct: extracted !== null && answersMatch(extracted, gold) };
}

/** Is `candidate` the same answer as `gold`? */
export function answersMatch(candidate: string, gold: string): boolean {
  const c = normalizeAnswer(candidate);
  const g = normalizeAnswer(gold);
  if (c.text.length === 0 || g.text.length === 0) return false;
  if (c.text === g.text && c.percent === g.percent) return true;
  // "25\%" is 25 or 0.25 on the other side: a factor the candidate's value may be off by.
  const scales = c.percent === g.percent ? [1] : g.percent ? [1, 100] : [1, 1 / 100];
  return listsMatch(c.text, g.text, scales);
}

/** Answers in words ("Evelyn", "odd"); short letter runs are products of variables. */
const WORDS = /^[A-Za-z]{3,}(?: [A-Za-z]+)*$/;

type Part = { open: string; close: string; items: string[] };

const PAIRS: Record<string, string> = { "(": ")", "[": "]", "\\{": "\\}", "\\langle": "\\rangle" };

function listsMatch(c: string, g: string, scales: number[]): boolean {
  const cm = matrixOf(c);
  const gm = matrixOf(g);
  if (cm || gm) return cm !== null && gm !== null && cm.length === gm.length && cm.every((row, i) => sameItemsInOrder(row, gm[i], scales));
  const cp = parts(c);
  const gp = parts(g);
  // A bracketed tuple, interval or set: same brackets, then element by element.
  if (cp.open && gp.open && cp.items.length > 1 && gp.items.length > 1) {
    if (cp.open !== gp.open || cp.close !== gp.close) return false;
    return cp.open === "\\{" ? sameItemsAnyOrder(cp.items, gp.items, scales) : sameItemsInOrder(cp.items, gp.items, scales);
  }
  const ci = expandPlusMinus(topLevelSplit(c));
  const gi = expandPlusMinus(topLevelSplit(g));
  if (ci.length > 1 || gi.length > 1) return sameItemsAnyOrder(ci, gi, scales);
  return scalarsMatch(c, g, scales);
}

/** The cells of `\begin{pmatrix} a & b \\ c & d \end{pmatrix}` (or bmatrix, matrix, …) by row; null if not a matrix. */
function matrixOf(s: string): string[][] | null {
  const m = /^\\begin\{([pbBvV]?matrix|smallmatrix)\}(.*)\\end\{\1\}$/s.exec(s.trim());
  if (!m) return null;
  return m[2]
    .split(/\\\\/)
    .map((row) => row.split("&").map((cell) => cell.trim()))
    .filter((row) => row.some((cell) => cell.length > 0));
}

/** Items of a bracketed list "(a, b)" / "[a, b)" / "\{a, b\}"; no brackets: open is "". */
function parts(s: string): Part {
  for (const open of Object.keys(PAIRS)) {
    if (!s.startsWith(open)) continue;
    const inner = s.slice(open.length);
    for (const close of [")", "]", "\\}", "\\rangle"]) {
      if (!inner.endsWith(close)) continue;
      const body = inner.slice(0, -close.length);
      // "(1, 2) \cup (3, 4)" is not one bracketed list.
      if (!balanced(body)) continue;
      // A half-open interval mixes brackets; a set or angle list must close with its own.
      if ((open === "\\{" || open === "\\langle" || close === "\\}" || close === "\\rangle") && PAIRS[open] !== close) continue;
      return { open, close, items: topLevelSplit(body) };
    }
  }
  return { open: "", close: "", items: [s] };
}

function balanced(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "\\") {
      i++;
      continue;
    }
    if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch) && --depth < 0) return false;
  }
  return depth === 0;
}

/** Splits at commas outside any brackets or braces ("(1,2), (3,4)" → two items). */
function topLevelSplit(s: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "\\") {
      // `\{` opens a set; other escapes are skipped whole.
      if (s[i + 1] === "{") depth++;
      else if (s[i + 1] === "}") depth--;
      i++;
    } else if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch)) depth--;
    else if (ch === "," && depth === 0) {
      items.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(s.slice(start).trim());
  return items.filter((x) => x.length > 0);
}

/** "3 \pm 2\sqrt{2}" stands for two answers. */
function expandPlusMinus(items: string[]): string[] {
  return items.flatMap((item) => {
    const at = item.indexOf("\\pm");
    if (at < 0 || item.indexOf("\\pm", at + 1) >= 0) return [item];
    const [a, b] = [item.slice(0, at).trim(), item.slice(at + 3).trim()];
    return a ? [`${a}+(${b})`, `${a}-(${b})`] : [b, `-(${b})`];
  });
}

function sameItemsInOrder(c: string[], g: string[], scales: number[]): boolean {
  return c.length === g.length && c.every((x, i) => itemsMatch(x, g[i], scales));
}

function sameItemsAnyOrder(c: string[], g: string[], scales: number[]): boolean {
  if (c.length !== g.length) return false;
  const used = new Array<boolean>(g.length).fill(false);
  return c.every((x) => {
    const i = g.findIndex((y, j) => !used[j] && itemsMatch(x, y, scales));
    if (i >= 0) used[i] = true;
    return i >= 0;
  });
}

/** An item may itself be a tuple: "(1,1), (3,2)". */
function itemsMatch(c: string, g: string, scales: number[]): boolean {
  return parts(c).items.length > 1 || parts(g).items.length > 1 ? listsMatch(c, g, scales) : scalarsMatch(c, g, scales);
}

function scalarsMatch(cRaw: string, gRaw: string, scales: number[]): boolean {
  // A list item may be an assignment of its own ("x=\frac{\pi}{6}+\pi k, …").
  const c = stripAssignment(cRaw);
  const g = stripAssignment(gRaw);
  if (c === g) return true;
  // Words ("Evelyn", "odd") compare as text, not as products of symbols.
  if (WORDS.test(c) || WORDS.test(g)) return c.toLowerCase() === g.toLowerCase();
  const gn = numberOf(g);
  const cn = gn && numberOf(c);
  if (gn && cn) return numbersAgree(c, cn, g, gn, scales);
  return symbolicallyEqual(c, g);
}

function numbersAgree(c: string, cn: ParsedNumber, g: string, gn: ParsedNumber, scales: number[]): boolean {
  const decimal = cn.decimal || gn.decimal;
  if (!scales.some((k) => numbersEqual(cn.value * k, gn.value, decimal || k !== 1))) return false;
  if (decimal || scales.length > 1) return true;
  // Exact values must be equal beyond float precision (2^{1009} and 2^{1009}+1).
  if (INTEGER.test(c) && INTEGER.test(g)) return BigInt(c) === BigInt(g);
  return parseNumber(c) !== null && parseNumber(g) !== null ? true : !valuesDiffer(c, g);
}

const INTEGER = /^-?\d+$/;

/** A plain number, or the value of a constant expression (real numbers only). */
function numberOf(s: string): ParsedNumber | null {
  const plain = parseNumber(s);
  if (plain) return plain;
  const value = numericValue(s);
  return value && value.im === 0 ? { value: value.re, decimal: false } : null;
}
