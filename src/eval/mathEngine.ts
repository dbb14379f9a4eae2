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
  const expr = e.parse(latex);
  return expr.isValid ? expr : null;
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
 * Symbolic equivalence: the same canonical form (`p - q` and `-q + p`), or an identity in the
 * free variables (`(x+1)^2` and `x^2+2x+1`). Undecided counts as different.
 */
export function symbolicallyEqual(a: string, b: string): boolean {
  return (
    scoped((e) => {
      const x = parse(e, a);
      const y = parse(e, b);
      if (!x || !y) return false;
      if (x.isSame(y)) return true;
      if (x.freeVariables.length === 0 && y.freeVariables.length === 0) return false;
      return x.isIdenticallyEqual(y) === true;
    }) ?? false
  );
}

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
