/**
 * A code item (HumanEval and its single-line infill set): what the model is given, and the
 * program that tests its answer — HumanEval's own construction: prompt + completion, the
 * problem's `check(candidate)` function, then `check(entry_point)`.
 */

export interface CodeTask {
  /** "function": write the body of the prompt's function; "line": fill in one missing line. */
  kind: "function" | "line";
  /** HumanEval's prompt (imports, signature, docstring), or the infill prefix. */
  prompt: string;
  /** The code after the missing line ("line" only). */
  suffix: string;
  /** Defines `check(candidate)`. */
  test: string;
  entryPoint: string;
}

/** Reads a HumanEval-style record (prompt, test, entry_point; a line item also suffix); null if it is not one. */
export function codeTaskOf(fields: Record<string, unknown>): CodeTask | null {
  const { prompt, test, entry_point: entryPoint, suffix } = fields;
  if (typeof prompt !== "string" || typeof test !== "string" || typeof entryPoint !== "string") return null;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(entryPoint)) return null;
  if (typeof suffix === "string") return { kind: "line", prompt, suffix, test, entryPoint };
  return { kind: "function", prompt, suffix: "", test, entryPoint };
}

/**
 * The program that passes when the completion is right. `completion` continues the prompt: a
 * function's body (or a whole new definition after a newline, see codeExtract.ts), or a line.
 */
export function programOf(task: CodeTask, completion: string): string {
  const code = task.kind === "line" ? `${task.prompt}${completion}\n${task.suffix}` : task.prompt + completion;
  return `${code}\n\n${task.test}\n\ncheck(${task.entryPoint})\n`;
}
