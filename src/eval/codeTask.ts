/**
 * A code item (HumanEval and its single-line infill set): what the model is given, and the
 * program that tests its answer — HumanEval's own construction: prompt + completion, the
 * problem's `check(candidate)` function, then `check(entry_point)`. An infill item without tests
 * (the repository-context set, lines of real package code) is graded by exact match only, and
 * may carry repository context: definitions from other files of its package.
 */
import type { ContextChunk } from "../core/contextChunks.js";
import type { CompletionContext } from "../core/contextPrompt.js";

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
  /** A line item without tests: exact match is its only grade (no program to run). */
  exactOnly?: boolean;
  /** Repository context of a line item: what an editor's definition provider would hand the completion. */
  context?: CompletionContext;
}

/** Reads a HumanEval-style record (prompt, test, entry_point; a line item also suffix); null if it is not one. */
export function codeTaskOf(fields: Record<string, unknown>): CodeTask | null {
  const { prompt, test, entry_point: entryPoint, suffix } = fields;
  if (typeof prompt === "string" && typeof suffix === "string" && typeof fields.answer === "string" && test === undefined && entryPoint === undefined) {
    const context = contextOf(fields);
    return { kind: "line", prompt, suffix, test: "", entryPoint: "", exactOnly: true, ...(context ? { context } : {}) };
  }
  if (typeof prompt !== "string" || typeof test !== "string" || typeof entryPoint !== "string") return null;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(entryPoint)) return null;
  if (typeof suffix === "string") return { kind: "line", prompt, suffix, test, entryPoint };
  return { kind: "function", prompt, suffix: "", test, entryPoint };
}

/**
 * An infill item's repository context: `context` = [{name, line, text, symbol?}] (files relative to
 * the repository, 0-based first lines), `path` the file being completed, `repo` (or `package`) the
 * repository's name. Null without chunks; a malformed chunk is left out.
 */
export function contextOf(fields: Record<string, unknown>): CompletionContext | null {
  if (!Array.isArray(fields.context)) return null;
  const chunks: ContextChunk[] = [];
  for (const c of fields.context as unknown[]) {
    if (typeof c !== "object" || c === null) continue;
    const { name, line, text } = c as Record<string, unknown>;
    if (typeof name !== "string" || typeof text !== "string") continue;
    chunks.push({ path: name, name, line: typeof line === "number" && Number.isInteger(line) && line >= 0 ? line : 0, text, kind: "definition" });
  }
  if (chunks.length === 0) return null;
  const name = typeof fields.path === "string" ? fields.path : "";
  const repo = typeof fields.repo === "string" ? fields.repo : typeof fields.package === "string" ? fields.package : "";
  return { chunks, name, repo };
}

/**
 * The program that passes when the completion is right. `completion` continues the prompt: a
 * function's body (or a whole new definition after a newline, see codeExtract.ts), or a line.
 */
export function programOf(task: CodeTask, completion: string): string {
  const code = task.kind === "line" ? `${task.prompt}${completion}\n${task.suffix}` : task.prompt + completion;
  return `${code}\n\n${task.test}\n\ncheck(${task.entryPoint})\n`;
}
