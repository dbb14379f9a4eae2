/**
 * Repository context in a prompt. Models trained on repository-level fill-in-the-middle
 * (Qwen2.5-Coder) have their own format: `<|repo_name|>` and the repository's name, then each
 * file as `<|file_sep|>` + its path + a line break + its text, and last the file being completed
 * (`<|file_sep|>` + its path) before the infill tokens. Other models, and teachers, get the
 * chunks as plain text before the prefix, each under a comment line naming its file.
 */
import type { ContextChunk } from "./contextChunks.js";
import type { TaskPrompt } from "./prompts.js";

/** What a completion carries besides its prefix and suffix. */
export interface CompletionContext {
  chunks: readonly ContextChunk[];
  /** The file being completed, relative to the workspace folder. */
  name: string;
  /** The workspace folder's name. */
  repo: string;
}

export const REPO_NAME_TOKEN = "<|repo_name|>";
export const FILE_SEP_TOKEN = "<|file_sep|>";

/** The prompt before the infill tokens, as special tokens and text, in the repository format. */
export function repoContextPieces(context: CompletionContext): Array<{ special: string } | { text: string }> {
  const pieces: Array<{ special: string } | { text: string }> = [{ special: REPO_NAME_TOKEN }, { text: `${context.repo}\n` }];
  for (const chunk of context.chunks) pieces.push({ special: FILE_SEP_TOKEN }, { text: `${chunk.name}\n${chunk.text}\n` });
  pieces.push({ special: FILE_SEP_TOKEN }, { text: `${context.name}\n` });
  return pieces;
}

/** Line comment of a file's language, by its extension (the plain form's file headers). */
export function lineComment(name: string): string {
  const ext = name.slice(name.lastIndexOf(".") + 1).toLowerCase();
  if (["py", "sh", "bash", "rb", "pl", "r", "yaml", "yml", "toml", "jl", "ps1", "mk", "cmake", "nim"].includes(ext) || name.endsWith("Makefile")) return "#";
  if (["sql", "lua", "hs", "elm", "ada"].includes(ext)) return "--";
  if (["el", "lisp", "clj", "scm"].includes(ext)) return ";;";
  if (["tex", "erl"].includes(ext)) return "%";
  return "//";
}

/** The chunks as plain text to put before the prefix ("" when there are none). */
export function plainContext(context: CompletionContext | undefined): string {
  if (!context || context.chunks.length === 0) return "";
  const comment = lineComment(context.name);
  const parts = context.chunks.map((c) => `${comment} ${c.name}\n${c.text}\n`);
  return `${parts.join("\n")}\n${comment} ${context.name}\n`;
}

/** A code completion as plain text: its context, then the code before the cursor (what a teacher continues). */
export function completionText(completion: { prefix: string; context?: CompletionContext }): string {
  return plainContext(completion.context) + completion.prefix;
}

/** The task of a code completion: chat-style teachers read `user`, so it carries the context too. */
export function completionTask(prefix: string, suffix: string, context: CompletionContext | undefined): TaskPrompt {
  const completion = context ? { prefix, suffix, context } : { prefix, suffix };
  return { user: completionText(completion), completion };
}
