/**
 * LaTeX parsing and symbolic comparison through the Cortex Compute Engine (works offline).
 * One engine per process (it takes ~150 ms to build); each comparison runs in its own scope so
 * symbols one answer declares never leak into the next.
 */
import { ComputeEngine } from "@cortex-js/compute-engine";

type Expr = ReturnType<ComputeEngine["parse"]>;

/** Longer inputs are not worth a parse: they are prose, not an answer. */
const MAX_LATEX = 400;

let engine: ComputeEngine | undefined;
function ce(): ComputeEngine {
  return (engine ??= new ComputeEngine());
}

function scoped<T>(fn: (engine: ComputeEngine) => T): T | null {
  const e = ce();
  e.pushScope();
  try {
    return fn(e);
  } catch {
    return null;
  } finally {
    e.popScope();
  }
}

function parse(e: ComputeEngine, latex: string): Expr | null {
  if (latex.length === 0 || latex.length > MAX_LATEX) return null;
  const expr = e.parse(groupingBrackets(latex));
  return expr.isValid ? expr : null;
}

/**
 * Square brackets that group become parentheses (intervals and lists were told apart before
 * this; the engine would read a List); `\sqrt[3]{…}` keeps its index.
 */
function groupingBrackets(latex: string): string {
  const kept: boolean[] = [];
  let out = "";
  for (let i = 0; i < latex.length; i++) {
    const c = latex[i];
    if (c === "\\") {
      out += latex.slice(i, i + 2);
      i++;
    } else if (c === "[") {
      const keep = /\\sqrt\s*$/.test(latex.slice(0, i));
      kept.push(keep);
      out += keep ? "[" : "(";
    } else if (c === "]") out += kept.pop() === false ? ")" : "]";
    else out += c;
  }
  return out;
}

export interface Complex {
  re: number;
  im: number;
}

/** The numeric value of a constant expression (`\frac{\sqrt3}{2}`, `2^{10}`); null otherwise. */
export function numericValue(latex: string): Complex | null {
  return scoped((e) => {
    const expr = parse(e, latex);
    if (!expr || expr.freeVariables.length > 0) return null;
    const n = expr.N();
    return Number.isFinite(n.re) && Number.isFinite(n.im) ? { re: n.re, im: n.im } : null;
  });
}

/**
 * Symbolic equivalence: the same canonical form (`p - q` and `-q + p`), or equal values at
 * several points for the free variables (`(x+1)^2` and `x^2+2x+1`). Undecided counts as
 * different: an expression that does not evaluate to a number at every point (an unknown
 * function, a pole) is not called equal. (The engine's own isIdenticallyEqual says yes to
 * `\frac{2}{b-a}(e^{-at}-e^{-bt})` vs `\frac{1}{b-a}(…)`, so it is not used.)
 */
export function symbolicallyEqual(a: string, b: string): boolean {
  return (
    scoped((e) => {
      const x = parse(e, a);
      const y = parse(e, b);
      if (!x || !y) return false;
      if (x.isSame(y)) return true;
      const names = [...new Set([...x.freeVariables, ...y.freeVariables])];
      if (names.length === 0) return false;
      return POINTS.every((point) => {
        const at = Object.fromEntries(names.map((name, i) => [name, point[i % point.length] + 0.013 * i]));
        const u = x.subs(at).N();
        const v = y.subs(at).N();
        if (![u.re, u.im, v.re, v.im].every(Number.isFinite)) return false;
        const scale = Math.max(1, Math.hypot(u.re, u.im), Math.hypot(v.re, v.im));
        return Math.hypot(u.re - v.re, u.im - v.im) <= 1e-9 * scale;
      });
    }) ?? false
  );
}

/** Points for the identity check: moderate, irregular values (no accidental zeros or symmetries). */
const POINTS = [
  [0.731, 1.618, 2.414, 0.577],
  [1.291, 0.347, 1.873, 2.236],
  [2.718, 1.111, 0.419, 1.732],
  [0.263, 2.051, 1.447, 0.911],
];

/**
 * True when the engine can tell two constant values apart exactly where floats cannot
 * (`2^{1009}` and `2^{1009}+1`).
 */
export function valuesDiffer(a: string, b: string): boolean {
  return (
    scoped((e) => {
      const x = parse(e, a);
      const y = parse(e, b);
      return x !== null && y !== null && x.isEqual(y) === false;
    }) ?? false
  );
}
