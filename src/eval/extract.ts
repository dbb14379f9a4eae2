/**
 * Answer extraction, in Math-Verify's order of preference (the paper's grader, configured with
 * `\boxed{}` first because the math prompt asks for it):
 *   1. the last `\boxed{}` (several boxes close together or joined by "and"/","/";" are a list),
 *   2. "final answer … is X",
 *   3. "answer: X", then "answer … X",
 *   4. the last LaTeX math (`$…$`, `\[…\]`, `\(…\)`, a bare `\frac{a}{b}`) or plain number /
 *      arithmetic expression in the text.
 * Within a step the match that ends last wins. Only the text after any `<think>…</think>` block
 * is read. The patterns follow math_verify/parser.py (0.9.0) so the two graders pick the same
 * answer; see test/grader for the differential test.
 */

const BOX_COMMANDS = ["\\boxed", "\\fbox"];

/**
 * The part of a response that is graded: what follows the last `</think>`. A `<think>` that is
 * never closed means the answer was cut off inside the reasoning: there is nothing to grade.
 */
export function answerText(response: string): string {
  const closes = [...response.matchAll(/<\/think\s*>/gi)];
  if (closes.length > 0) {
    const last = closes[closes.length - 1];
    return response.slice(last.index + last[0].length);
  }
  return /<think\s*>/i.test(response) ? "" : response;
}

interface Box {
  /** Where the command starts. */
  start: number;
  /** The closing brace. */
  end: number;
  content: string;
}

/** Every complete `\boxed{…}` / `\fbox{…}` / `\boxed 5`, in order. */
function boxes(text: string): Box[] {
  const found: Box[] = [];
  for (const command of BOX_COMMANDS) {
    for (let i = text.indexOf(command); i >= 0; i = text.indexOf(command, i + 1)) {
      // `\boxedfoo` is another command.
      if (/[A-Za-z]/.test(text[i + command.length] ?? "")) continue;
      const box = boxAt(text, i, i + command.length);
      if (box) found.push(box);
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

function boxAt(text: string, start: number, after: number): Box | null {
  let i = after;
  while (text[i] === " ") i++;
  if (text[i] !== "{") {
    // `\boxed 5`: one token up to whitespace or the end of math mode.
    const bare = /^[^\s$]+/.exec(text.slice(i));
    return i > after && bare ? { start, end: i + bare[0].length - 1, content: bare[0] } : null;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    // `\{` and `\}` are literal braces, not groups.
    if (c === "\\") {
      j++;
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return { start, end: j, content: text.slice(i + 1, j).trim() };
  }
  return null;
}

/**
 * The content of the last complete `\boxed{…}` (nested braces; an unclosed last box, a cut-off
 * answer, is skipped in favour of the one before it); null if there is none.
 */
export function lastBoxed(text: string): string | null {
  return boxes(text).at(-1)?.content ?? null;
}

/**
 * The boxed answer as Math-Verify reads it: the last box, plus the boxes just before it that
 * are close to it (under 10 characters between) or joined to it by "and", "or", "," or ";"
 * within 70 characters ("\boxed{2} and \boxed{3}" is the list "2,3"); null without a box.
 */
export function boxedAnswer(text: string): string | null {
  const all = boxes(text);
  if (all.length === 0) return null;
  const picked = [all[all.length - 1]];
  for (let k = all.length - 2; k >= 0; k--) {
    const box = all[k];
    const next = picked[picked.length - 1];
    // Only boxes before the previous one's start, as Math-Verify scans right to left.
    if (box.end >= next.start) continue;
    const between = text.slice(box.end + 1, next.start);
    const joined = between.length < 10 || (box.content !== next.content && between.length < 70 && /\b(?:and|or)\b|,|;/.test(between));
    if (!joined) break;
    if (box.content !== next.content) picked.push(box);
    else picked[picked.length - 1] = box;
  }
  return picked
    .reverse()
    .map((b) => b.content)
    .join(",");
}

/** A case-insensitive pattern for a phrase (Node 20's RegExp has no inline `(?i:…)`). */
function ci(phrase: string): string {
  return phrase.replace(/[a-z]/gi, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
}

// Plain numbers and arithmetic, as Math-Verify's ExprExtractionConfig finds them.
const NUMBER = String.raw`(?<!\d)(?:-?[1-9]\d{0,2}(?:[ ,]\d{3})+(?:\.\d+)?|-?\d+[.,]\d+|\.\d+|-?\d+)(?:\s*(?:%|[Pp]ercent|\s*[Pp]ercentage|\s*[Pp]ct))?`;
const OPS = String.raw`+\-*×/^()÷`;
const EXPR_CHARS = String.raw`[\d.\s${OPS}]`;
const EXPR = String.raw`-?\(?-?\d${EXPR_CHARS}*[${OPS}]${EXPR_CHARS}+\)?`;
const PREFIX = String.raw`(?:^|\s|=)(?:\*\*)?`;
const SUFFIX = String.raw`(?:\*\*)?(?:\.|,|:|\s|\)|\$|$)`;
const CURRENCY = "[$€£¥₹₽₪₩₫฿]";
const EXPR_OR_NUMBER = String.raw`(?:${PREFIX}(?<expr>${EXPR})${SUFFIX}|${PREFIX}${CURRENCY}?(?<number>${NUMBER}))`;

// LaTeX math, as Math-Verify's LatexExtractionConfig finds it.
const PERCENT = String.raw`(?:\\?%|[Pp]ercent|[Pp]ercentage|[Pp]ct)`;
function latexEnv(name: string): string {
  const envs = [
    String.raw`(?<!\\)\$\$(?<${name}a>(?:[^$]|\$(?!\$))+?)(?<!\\)\$\$`,
    String.raw`(?<!\\)\\\[(?<${name}b>(?:[^\\]|\\(?!\]))+?)(?<!\\)\\\]`,
    String.raw`(?<!\\|\d)\$(?<${name}c>(?:\\[$]|[^\n$])+?)(?<!\\)\$`,
    String.raw`(?<!\\)\\\((?<${name}d>(?:[^\\\n]|\\(?!\)))+?)(?<!\\)\\\)`,
    String.raw`\s\[(?<${name}e>[^\n\]\[]+?)\]\s`,
    String.raw`(?<${name}f>-?\\frac\{-?\d+(?:[.,]\d+)?\}\{-?\d+(?:[.,]\d+)?\})`,
  ];
  return String.raw`(?:(?:${envs.join("|")})\s*(?<${name}p>${PERCENT})?)`;
}
/** Up to six LaTeX pieces joined by "and", "or" or commas: one list answer. */
const LATEX = latexEnv("l0") + [1, 2, 3, 4, 5].map((i) => String.raw`(?:\s*(?:,?and|,?or|,)\s*${latexEnv(`l${i}`)})?`).join("");

const FINAL = ci("final answer");
const ANSWER = ci("answer");

/** [pattern, priority]: lower priorities are tried first, as in Math-Verify. */
const PATTERNS: Array<[RegExp, number]> = [
  [new RegExp(String.raw`${ci("final answer is")}:?\s*${EXPR_OR_NUMBER}\.?\s?I hope`, "g"), 0],
  [new RegExp(String.raw`${ci("final answer is")}:?\s*${LATEX}\.?\s?I hope`, "gs"), 0],
  [new RegExp(String.raw`${FINAL}.{0,100}?\s+is:?${EXPR_OR_NUMBER}`, "g"), 50],
  [new RegExp(String.raw`${FINAL}.{0,100}?\s+is:?\s*${LATEX}`, "gs"), 50],
  [new RegExp(String.raw`${ANSWER}:(?:.{0,100}=\s*|.{0,50}?)${EXPR_OR_NUMBER}(?!\s*=)`, "g"), 100],
  [new RegExp(String.raw`${ANSWER}:.{0,50}?${LATEX}`, "gs"), 100],
  [new RegExp(String.raw`${ANSWER}(?:.{0,100}=\s*|.{0,50}?)${EXPR_OR_NUMBER}(?!\s*=)`, "g"), 200],
  [new RegExp(String.raw`${ANSWER}.{0,50}?${LATEX}`, "gs"), 200],
  [new RegExp(String.raw`${PREFIX}(?<expr>${EXPR})${SUFFIX}`, "g"), 300],
  [new RegExp(String.raw`${PREFIX}${CURRENCY}?(?<number>${NUMBER})`, "g"), 300],
  [new RegExp(LATEX, "gs"), 300],
];

/** What a match says: its number, expression, or LaTeX pieces joined as a list; null if empty. */
function matchAnswer(m: RegExpExecArray): string | null {
  const g = m.groups ?? {};
  if (g.number !== undefined) return numberText(g.number);
  if (g.expr !== undefined) return arithmetic(g.expr);
  const pieces: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const body = ["a", "b", "c", "d", "e", "f"].map((k) => g[`l${i}${k}`]).find((v) => v !== undefined);
    if (body === undefined) continue;
    // A boxed answer inside the math is the answer ("$\boxed{5}$").
    const inner = boxedAnswer(body) ?? body;
    pieces.push(inner.trim() + (g[`l${i}p`] ? "\\%" : ""));
  }
  const answer = pieces.filter(Boolean).join(",");
  return answer.length > 0 ? answer : null;
}

/**
 * A plain arithmetic expression as Math-Verify reads it (Python syntax after `^` → `**`: no
 * `×`/`÷`, no juxtaposition), in LaTeX form (`**` → `^`); null if it does not parse, so the next
 * candidate is tried ("**391**." is bold, not a power).
 */
function arithmetic(raw: string): string | null {
  const s = raw.replace(/\s+/g, " ").trim().replace(/\^/g, "**");
  const tokens = s.match(/\*\*|\d+\.?\d*|\.\d+|[-+*/()]|\S/g) ?? [];
  let i = 0;
  // expr := term (("+"|"-") term)*; term := factor (("*"|"/") factor)*; factor := ("+"|"-") factor | power;
  // power := atom ("**" factor)?; atom := number | "(" expr ")"
  const atom = (): boolean => {
    const t = tokens[i];
    if (t === "(") {
      i++;
      if (!expr() || tokens[i] !== ")") return false;
      i++;
      return true;
    }
    if (t !== undefined && /^(?:\d|\.\d)/.test(t)) return ++i > 0;
    return false;
  };
  const power = (): boolean => atom() && (tokens[i] === "**" ? (i++, factor()) : true);
  const factor = (): boolean => (tokens[i] === "+" || tokens[i] === "-" ? (i++, factor()) : power());
  const term = (): boolean => {
    if (!factor()) return false;
    while (tokens[i] === "*" || tokens[i] === "/") if ((i++, !factor())) return false;
    return true;
  };
  const expr = (): boolean => {
    if (!term()) return false;
    while (tokens[i] === "+" || tokens[i] === "-") if ((i++, !term())) return false;
    return true;
  };
  return expr() && i === tokens.length ? s.replace(/\*\*/g, "^") : null;
}

/** "1,234" and "1 234" are thousands; "3,5" is a decimal comma; "28 percent" is 28\%. */
function numberText(raw: string): string {
  const percent = /(?:%|[Pp]ercent|[Pp]ercentage|[Pp]ct)$/.test(raw);
  let n = raw.replace(/\s*(?:%|[Pp]ercentage|[Pp]ercent|[Pp]ct)$/, "").trim();
  if (/^-?[1-9]\d{0,2}(?:[ ,]\d{3})+(?:\.\d+)?$/.test(n)) n = n.replace(/[ ,]/g, "");
  else n = n.replace(",", ".");
  return percent ? `${n}\\%` : n;
}

/** What a response answers (see the module comment); null if nothing looks like an answer. */
export function extractAnswer(response: string): string | null {
  const text = answerText(response);
  const boxed = boxedAnswer(text);
  if (boxed !== null) return boxed;
  for (const priority of [0, 50, 100, 200, 300]) {
    const matches: RegExpExecArray[] = [];
    for (const [pattern, p] of PATTERNS) {
      if (p !== priority) continue;
      pattern.lastIndex = 0;
      for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
        matches.push(m);
        if (m[0].length === 0) pattern.lastIndex++;
      }
    }
    // The match that ends last, and of those the one that starts first.
    matches.sort((a, b) => b.index + b[0].length - (a.index + a[0].length) || a.index - b.index);
    for (const m of matches) {
      const answer = matchAnswer(m);
      if (answer !== null) return answer;
    }
  }
  return null;
}

/** The number after the last `####` of a GSM8K worked solution, commas removed. */
export function gsm8kGold(answer: string): string | null {
  const at = answer.lastIndexOf("####");
  if (at < 0) return null;
  const value = answer.slice(at + 4).trim().replace(/,(?=\d{3}\b)/g, "");
  return value.length > 0 ? value : null;
}
