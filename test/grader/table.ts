/**
 * The differential test's table: every gold answer of the six benchmarks, each paired with
 * answer strings generated from it — ways of writing the same answer (boxed, unboxed, "final
 * answer is", bold, thousands separators, percent, fractions vs decimals, intervals, tuples,
 * sets, matrices, degrees, text, reasoning blocks) and near-misses that must be graded wrong.
 * Which variants a gold gets is decided by its shape and a seeded PRNG, so the table is the
 * same on every run.
 */
import { seededRandom } from "../../src/core/random.js";
import type { Dataset } from "../../src/eval/datasets.js";

export interface TableRow {
  dataset: string;
  /** Item index in the dataset. */
  index: number;
  gold: string;
  /** What the variant is ("boxed", "thousands", "near:digit", …); near-misses start with "near:". */
  kind: string;
  /** What a correct grader says. */
  expect: boolean;
  response: string;
}

type Variant = [kind: string, response: string];

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d*\.\d+$/;
const SCIENTIFIC = /^(-?\d+(?:\.\d+)?)e(-?\d+)$/;
const FRACTION = /^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$/;

/** The gold without `$…$` math delimiters around it or its pieces (a `\$` is a dollar sign, kept). */
function bare(gold: string): string {
  return gold.replace(/(?<!\\)\$/g, "").trim();
}

/** Writes `text` so that nothing in it joins two boxes into one list (no and/or/commas). */
const FILLER = "Let me double check this again more carefully before I commit to a final result here.";

function boxed(answer: string): string {
  return `Let me work through it step by step.\nSo the answer is $\\boxed{${answer}}$.`;
}

/** Top-level comma-separated pieces ("(1,1), (3,2)" → two). */
function pieces(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && (s[i + 1] === "{" || s[i + 1] === "}")) {
      depth += s[i + 1] === "{" ? 1 : -1;
      i++;
    } else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === "," && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out.filter(Boolean);
}

/** The first digit of the answer changed: a different value in every shape of answer. */
function bumpDigit(s: string): string | null {
  const at = s.search(/\d/);
  if (at < 0) return null;
  return s.slice(0, at) + String((Number(s[at]) + 1) % 10) + s.slice(at + 1);
}

function withThousands(n: string): string {
  return n.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function decimalOf(num: number, den: number): string | null {
  let d = den;
  for (const p of [2, 5]) while (d % p === 0) d /= p;
  if (d !== 1) return null;
  return String(num / den);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The positive variants and near-misses that fit a gold's shape. */
function variantsOf(dataset: string, goldRaw: string): { same: Variant[]; near: Variant[] } {
  const gold = bare(goldRaw);
  const same: Variant[] = [];
  const near: Variant[] = [];
  const plainNumber = INTEGER.test(gold) || DECIMAL.test(gold);

  // Ways of writing any answer.
  if (plainNumber) {
    same.push(["final-answer", `Adding these up gives the total.\nThe final answer is ${gold}.`]);
    same.push(["bold", `Therefore, the answer is **${gold}**.`]);
    same.push(["answer-colon", `Answer: ${gold}`]);
    same.push(["last-number", `First we had 3 groups, and in the end there are ${gold} left`]);
  } else {
    same.push(["final-answer", `The final answer is $${gold}$. I hope it is correct.`]);
    same.push(["answer-colon", `Answer: $${gold}$`]);
    same.push(["last-math", `Putting it together, we get $${gold}$.`]);
  }
  same.push(["think", `<think>\nMaybe it is \\boxed{${bumpDigit(gold) ?? "0"}}? No, let me redo it.\n</think>\n${boxed(gold)}`]);
  same.push(["boxed-display", `Hence\n\\[\n\\boxed{${gold}}\n\\]`]);

  // Near-misses for any answer.
  const bumped = bumpDigit(gold);
  if (bumped !== null && bumped !== gold) {
    near.push(["near:digit", boxed(bumped)]);
    near.push(["near:earlier-box", `At first I wrote $\\boxed{${gold}}$. ${FILLER} The real answer is $\\boxed{${bumped}}$.`]);
    near.push(["near:think", `<think>\nSo it must be \\boxed{${gold}}.\n</think>\nThe answer is $\\boxed{${bumped}}$.`]);
  }
  near.push(["near:cut-off-think", `<think>\nThe answer is \\boxed{${gold}}, I think, but let me check`]);
  near.push(["near:no-answer", "I am not able to solve this problem."]);

  // Integers: thousands separators, currency, a decimal point, degrees; sign and scale misses.
  if (INTEGER.test(gold)) {
    const n = Number(gold);
    if (Math.abs(n) >= 1000) {
      const t = withThousands(gold);
      same.push(["thousands", boxed(t)], ["thousands-brace", boxed(t.replace(/,/g, "{,}"))], ["thousands-thin", boxed(t.replace(/,/g, ",\\! "))]);
      same.push(["thousands-text", `The final answer is ${t}.`]);
    }
    same.push(["currency", boxed(`\\$${gold}`)], ["decimal-zero", boxed(`${gold}.0`)], ["degrees", boxed(`${gold}^\\circ`)]);
    same.push(["percent-word", `The answer is ${gold} percent.`]);
    if (n !== 0) near.push(["near:negative", boxed(String(-n))]);
    if (n !== 0) near.push(["near:times-ten", boxed(String(n * 10))]);
    near.push(["near:plus-one", `The final answer is ${n + 1}.`]);
  }

  if (DECIMAL.test(gold)) {
    const [, frac = ""] = gold.split(".");
    const num = Math.round(Math.abs(Number(gold)) * 10 ** frac.length);
    const den = 10 ** frac.length;
    const g = gcd(num, den);
    same.push(["decimal-as-fraction", boxed(`${Number(gold) < 0 ? "-" : ""}\\frac{${num / g}}{${den / g}}`)]);
    if (gold.startsWith(".")) same.push(["leading-zero", boxed(`0${gold}`)]);
    same.push(["trailing-zero", boxed(`${gold}0`)]);
    near.push(["near:negative", boxed(gold.startsWith("-") ? gold.slice(1) : `-${gold}`)]);
  }

  const sci = SCIENTIFIC.exec(gold);
  if (sci) {
    same.push(["scientific-latex", boxed(`${sci[1]} \\times 10^{${sci[2]}}`)]);
    if (Math.abs(Number(sci[2])) <= 12) same.push(["scientific-expanded", boxed(String(Number(gold)))]);
  }

  const frac = FRACTION.exec(gold);
  if (frac) {
    const [, sign, a, b] = frac;
    const num = Number(a);
    const den = Number(b);
    const dec = decimalOf(num, den);
    if (dec) same.push(["fraction-as-decimal", boxed(`${sign}${dec}`)]);
    else same.push(["fraction-rounded", boxed(`${sign}${(num / den).toFixed(6)}`)]);
    same.push(["slash", boxed(`${sign}${a}/${b}`)], ["dfrac", boxed(`${sign}\\dfrac{${a}}{${b}}`)]);
    if (num !== den) near.push(["near:reciprocal", boxed(`${sign}\\frac{${b}}{${a}}`)]);
    near.push(["near:rounded-off", boxed(`${sign}${(num / den + 0.01).toFixed(2)}`)]);
  }

  if (gold.includes("\\%")) {
    const v = gold.replace(/\\%/g, "").trim();
    same.push(["percent", `The final answer is ${v} percent.`], ["percent-sign", boxed(`${v}%`)]);
  }

  if (/\^\{?\\circ\}?/.test(gold)) same.push(["without-degrees", boxed(gold.replace(/\^\{?\\circ\}?/g, ""))]);

  // Tuples, intervals, sets and lists.
  const tuple = /^\\left\s*([([])(.*)\\right\s*([)\]])$|^([([])(.*)([)\]])$/.exec(gold);
  const items = tuple ? pieces(tuple[2] ?? tuple[5]) : [];
  if (tuple && items.length >= 2) {
    const [open, close] = [tuple[1] ?? tuple[4], tuple[3] ?? tuple[6]];
    same.push(["tuple-spacing", boxed(`${open}${items.join(",")}${close}`)], ["tuple-left-right", boxed(`\\left${open} ${items.join(", ")} \\right${close}`)]);
    if (items[0] !== items[items.length - 1]) near.push(["near:tuple-order", boxed(`${open}${[...items].reverse().join(", ")}${close}`)]);
    if (open !== close.replace(")", "(").replace("]", "[") || open === "[") near.push(["near:interval-ends", boxed(`${open === "(" ? "[" : "("}${items.join(", ")}${close}`)]);
  }
  const set = /^\\\{(.*)\\\}$/.exec(gold);
  if (set && pieces(set[1]).length >= 2) {
    const s = pieces(set[1]);
    same.push(["set-order", boxed(`\\{${[...s].reverse().join(", ")}\\}`)]);
    near.push(["near:set-missing", boxed(`\\{${s.slice(1).join(", ")}\\}`)]);
  }
  // "10,\\!080" is a number with a thousands separator, not a list.
  const thousands = /^-?\d{1,3}(?:,(?:\\!)? ?\d{3})+$/.test(gold);
  const list = !tuple && !set && !thousands && !gold.includes("matrix") ? pieces(gold) : [];
  if (list.length >= 2) {
    same.push(["list-order", boxed([...list].reverse().join(", "))]);
    same.push(["two-boxes", `The solutions are $\\boxed{${list[0]}}$ and $\\boxed{${list.slice(1).join(", ")}}$.`]);
    near.push(["near:list-missing", boxed(list.slice(1).join(", "))]);
  }

  if (gold.includes("matrix")) {
    same.push(["matrix-brackets", boxed(gold.replace(/\{pmatrix\}/g, "{bmatrix}"))]);
  }

  // Text answers.
  const text = /^\\text\{\s*([^{}]*?)\s*\}$/.exec(gold);
  if (text) {
    const word = text[1];
    same.push(["text-plain", boxed(word)]);
    const choice = /^\(([A-E])\)$/.exec(word);
    if (choice) same.push(["choice-letter", boxed(choice[1])], ["choice-parens", boxed(`(${choice[1]})`)]);
    near.push(["near:text", boxed(choice ? `\\text{(${choice[1] === "A" ? "B" : "A"})}` : "\\text{nothing}")]);
  }

  // A LaTeX expression: the same without spaces; an assignment "x = …".
  if (!plainNumber && !text && /[a-z\\]/i.test(gold) && !gold.includes("matrix") && list.length < 2) {
    // Spaces after a command's letters are part of the LaTeX ("\\cot x"): only the others go.
    same.push(["no-spaces", boxed(gold.replace(/(?<![A-Za-z])\s+/g, ""))]);
    if (!gold.includes("=")) same.push(["assignment", boxed(`x = ${gold}`)]);
  }
  void dataset;
  return { same, near };
}

/**
 * Each gold gets its plain boxed form, then `perGold` more variants drawn (without repeats)
 * from those that fit it, at least one of them a near-miss; GSM8K's 1,319 integers get fewer.
 */
export function buildTable(datasets: Dataset[], seed = 14): TableRow[] {
  const random = seededRandom(seed);
  const pick = <T>(from: T[], n: number): T[] => {
    const pool = [...from];
    const out: T[] = [];
    while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(random() * pool.length), 1)[0]);
    return out;
  };
  const rows: TableRow[] = [];
  for (const d of datasets) {
    const [sameCount, nearCount] = d.name === "gsm8k" ? [1, 1] : [3, 2];
    for (const item of d.items) {
      const { same, near } = variantsOf(d.name, item.gold);
      const add = (kind: string, response: string, expect: boolean) => rows.push({ dataset: d.name, index: item.index, gold: item.gold, kind, expect, response });
      add("boxed", boxed(bare(item.gold)), true);
      for (const [kind, response] of pick(same, sameCount)) add(kind, response, true);
      for (const [kind, response] of pick(near, nearCount)) add(kind, response, false);
    }
  }
  return rows;
}
