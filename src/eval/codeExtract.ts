/**
 * The code in a model's answer. A chat answer puts it in a fenced block (or not); a raw
 * continuation is code from the first character. For a function the result continues the
 * prompt: either the body (indented), or — when the answer wrote the whole function again —
 * a newline and the new definition, which replaces the prompt's (the prompt's own function then
 * has its docstring as its whole body, and its helper functions stay defined). Top-level
 * statements that are not definitions (example calls, prints, asserts, prose) are dropped: they
 * would run before the tests.
 */
import type { CodeTask } from "./codeTask.js";

/** Fenced blocks, the last one possibly unclosed (an answer cut at its token limit). */
function fencedBlocks(text: string): string[] {
  const blocks: string[] = [];
  const re = /```[^\n`]*\n([\s\S]*?)(?:\n[ \t]*```|$)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) blocks.push(m[1]);
  return blocks;
}

const indentOf = (line: string) => /^[ \t]*/.exec(line)?.[0].length ?? 0;
const isBlank = (line: string) => line.trim() === "";

/** Top-level statements kept in a definition: imports, functions, classes, decorators, assignments. */
const KEEP = /^(?:import\s|from\s|def\s|async\s+def\s|class\s|@|[A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*\s*(?::[^=]*)?=(?!=))/;

/** Keeps the top-level chunks (a line at column 0 and what is indented under it) that define something. */
export function keepDefinitions(code: string): string {
  const out: string[] = [];
  let keeping = false;
  for (const line of code.split("\n")) {
    if (!isBlank(line) && indentOf(line) === 0) keeping = KEEP.test(line) || (keeping && /^[)\]}]/.test(line));
    if (keeping || (isBlank(line) && out.length > 0)) out.push(line);
  }
  return out.join("\n").trimEnd();
}

/** What follows the prompt in the program (see the module comment). */
export function extractFunctionCompletion(text: string, task: CodeTask): string {
  const defines = new RegExp(`^[ \\t]*(?:async[ \\t]+)?def[ \\t]+${task.entryPoint}[ \\t]*\\(`, "m");
  const blocks = fencedBlocks(text);
  const code = blocks.find((b) => defines.test(b)) ?? blocks[0] ?? text;
  const at = defines.exec(code);
  if (at) {
    // The whole function again, with what the code defines around it (imports, helpers); code
    // at the def's indentation is taken to column 0, and less indented text (prose) is left out.
    const indent = indentOf(at[0]);
    const lines = code.split("\n").flatMap((l) => (isBlank(l) ? [""] : indentOf(l) >= indent ? [l.slice(indent)] : []));
    return "\n" + keepDefinitions(lines.join("\n")) + "\n";
  }
  return bodyOf(code);
}

/** A body continuing the function: indented under it, cut where top-level code other than definitions starts. */
function bodyOf(code: string): string {
  let lines = code.replace(/^\n+/, "").split("\n");
  if (lines.every((l) => isBlank(l) || indentOf(l) === 0)) lines = lines.map((l) => (isBlank(l) ? l : `    ${l}`));
  const end = lines.findIndex((l, i) => i > 0 && !isBlank(l) && indentOf(l) === 0 && !KEEP.test(l));
  return (end < 0 ? lines : lines.slice(0, end)).join("\n").trimEnd() + "\n";
}

/** The missing line of an infill answer: its first non-blank line that is not a fence, indentation kept. */
export function extractLine(text: string): string {
  for (const line of text.split("\n")) {
    if (isBlank(line) || /^\s*```/.test(line)) continue;
    return line.replace(/\s+$/, "");
  }
  return "";
}

/** A line compared for exact match: whitespace runs made one space, ends trimmed. */
export function normalizeLine(line: string): string {
  return line.trim().replace(/\s+/g, " ");
}
