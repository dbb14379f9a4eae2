/**
 * String-level clean-up of a final answer before comparison (what graders agree is not part of
 * the answer: math delimiters, spacing commands, `\left`/`\right`, degree signs, units, thousands
 * separators, a leading `x =`), and plain-number parsing.
 */

/** Units dropped after a number ("18 dollars", "10\\text{ cm}", "5 m^2"). One-letter units need a space before them. */
const UNITS = [
  "mm", "cm", "km", "meters?", "metres?", "kilometers?", "centimeters?", "inch(?:es)?", "feet", "foot", "ft", "yards?", "yd", "miles?",
  "mg", "kg", "grams?", "kilograms?", "pounds?", "lbs?", "ounces?", "oz", "tons?", "ml", "liters?", "litres?", "gallons?", "cups?",
  "sec", "seconds?", "min", "minutes?", "hrs?", "hours?", "days?", "weeks?", "months?", "years?",
  "dollars?", "cents?", "euros?", "degrees?", "units?", "square units", "sq units", "mph", "km/h", "points?", "people", "students?",
];
const SHORT_UNITS = ["m", "g", "s", "h", "l", "in", "mi"];
const POWER = String.raw`(?:\^\{?[23]\}?)?`;
const UNIT_SUFFIX = new RegExp(String.raw`^(.*?[\d}])(?:\s*(?:${UNITS.join("|")})|\s+(?:${SHORT_UNITS.join("|")}))${POWER}$`, "i");

/** `\text{…}`-style wrappers whose content is kept as plain text. */
const TEXT_WRAPPERS = /\\(?:text|textbf|textit|textrm|textup|textnormal|mbox|mathrm|mathbf|mathit)\s*\{([^{}]*)\}/g;

export interface Normalized {
  text: string;
  /** The answer was a percentage ("25\%"): compared as 25 or 0.25. */
  percent: boolean;
}

export function normalizeAnswer(raw: string): Normalized {
  let s = raw.trim();
  s = s.replace(/\\\$/g, "").replace(/\$/g, "");
  s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle)\b/g, "");
  s = s.replace(/\\[dt]frac\b/g, "\\frac").replace(/\\[dt]binom\b/g, "\\binom");
  // `\left.` is an invisible delimiter: drop it with its dot.
  s = s.replace(/\\(?:left|right|[bB]igg?[lr]?)(?![A-Za-z])\s*\.?/g, "");
  // `\!` (a negative thin space) goes with the spaces after it, as in Math-Verify: "11,\! 111" is 11,111.
  s = s.replace(/\{,\}/g, ",").replace(/\\!\s*/g, "").replace(/(\d)\\,(?=\d{3}\b)/g, "$1");
  // Spacing commands; `\\` (a matrix row break) is not `\ `.
  s = s.replace(/(?<!\\)\\(?:,|;|:|quad|qquad|\s)|~/g, " ");
  s = s.replace(/\^\s*\{?\s*\\circ\s*\}?|°|\\degree\b/g, "");
  // Innermost first, so nested wrappers come off too.
  for (let i = 0, prev = ""; i < 4 && prev !== s; i++) {
    prev = s;
    s = s.replace(TEXT_WRAPPERS, (_, inner: string) => inner);
  }
  s = s.replace(/\\(?:le|leqslant)(?![A-Za-z])/g, "\\leq").replace(/\\(?:ge|geqslant)(?![A-Za-z])/g, "\\geq").replace(/\\varnothing\b/g, "\\emptyset");
  s = s.replace(/\s+/g, " ").trim();
  // "28 percent" is 28\% (as Math-Verify reads it).
  s = s.replace(/\s*(?:percentage|percent|pct)$/i, "\\%");
  const percent = /\\?%$/.test(s);
  if (percent) s = s.replace(/\s*\\?%$/, "");
  s = s.replace(/(?<!\\)\.$/, "").trim();
  s = stripUnit(s);
  s = stripAssignment(s);
  if (/^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/,/g, "");
  // "(C)" and "C" are the same multiple-choice answer.
  const choice = /^\(([A-Z])\)$/.exec(s);
  if (choice) s = choice[1];
  return { text: s, percent };
}

function stripUnit(s: string): string {
  const m = UNIT_SUFFIX.exec(s);
  return m && /\d/.test(m[1]) ? m[1].trim() : s;
}

/** "x = 5", "k=2n-1", "\theta = \pi": the right-hand side, when the left is one variable. */
export function stripAssignment(s: string): string {
  const m = /^(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?[\w\\]+\}?)?\s*=\s*([^=]+)$/.exec(s);
  return m ? m[1].trim() : s;
}

export interface ParsedNumber {
  value: number;
  /** Written with a decimal point or in scientific notation: compared at 6 decimal places. */
  decimal: boolean;
}

const DECIMAL = /^([+-]?)(\d+\.?\d*|\.\d+)(?:(?:e|E|\s*\\times\s*10\^|\s*\\cdot\s*10\^|\s*\*\s*10\^)\{?([+-]?\d+)\}?)?$/;
const FRACTION = /^([+-]?)(?:\\frac\{(\d+)\}\{(\d+)\}|(\d+)\s*\/\s*(\d+)|\\frac(\d)(\d))$/;

/** A plain number: integer, decimal, scientific notation or a fraction of integers; else null. */
export function parseNumber(s: string): ParsedNumber | null {
  const d = DECIMAL.exec(s);
  if (d) {
    const sign = d[1] === "-" ? -1 : 1;
    const value = sign * Number(d[2]) * 10 ** (d[3] === undefined ? 0 : Number(d[3]));
    // Integers are exact unless written in scientific notation ("1e11" is a float).
    return Number.isFinite(value) ? { value, decimal: d[2].includes(".") || d[3] !== undefined } : null;
  }
  const f = FRACTION.exec(s);
  if (f) {
    const num = Number(f[2] ?? f[4] ?? f[6]);
    const den = Number(f[3] ?? f[5] ?? f[7]);
    if (den === 0) return null;
    return { value: (f[1] === "-" ? -1 : 1) * (num / den), decimal: false };
  }
  return null;
}

/**
 * Are two numbers the same answer? Math-Verify's rule: when either is written as a decimal,
 * equal at 6 decimal places (1/3 = 0.333333; 1.62 ≠ 1.6); otherwise exactly equal (to float
 * precision). Below 1e-6 every value rounds to 0, so there the first 6 significant digits must
 * agree instead (5.3e-9 ≠ 5.4e-9, where Math-Verify's rounding calls them equal).
 */
export function numbersEqual(a: number, b: number, decimal: boolean): boolean {
  if (a === b) return true;
  const scale = Math.max(Math.abs(a), Math.abs(b));
  if (!decimal || scale >= 1e9) return Math.abs(a - b) <= 1e-12 * scale;
  if (scale < 1e-6) return Math.abs(a - b) <= 1e-6 * scale;
  return Math.round(a * 1e6) === Math.round(b * 1e6);
}
