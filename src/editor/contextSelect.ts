/**
 * Chooses the repository context of one inline completion within a token budget: definitions
 * of symbols near the cursor first, then chunks of recently used files, newest first. Every
 * chunk is checked against the exclusion rules here, at the last step before the prompt, so no
 * excluded or out-of-workspace file reaches a prompt whatever was collected earlier.
 */
import type { ContextChunk } from "../core/contextChunks.js";
import { overlap } from "../core/contextChunks.js";

export interface ContextSelection {
  /** Definitions, nearest the cursor first. */
  definitions: readonly ContextChunk[];
  /** Chunks of recently used files, newest first. */
  recent: readonly ContextChunk[];
}

export interface SelectOptions {
  /** The file being completed, and the lines of it the prompt already holds (prefix and suffix). */
  current: { path: string; fromLine: number; toLine: number };
  budgetTokens: number;
  countTokens: (text: string) => number;
  /** Whether a file may give context (contextAllowed with the workspace's rules). */
  allowed: (path: string) => boolean;
}

/** Tokens a chunk's header takes besides its text (a file separator and its name). */
const HEADER_TOKENS = 8;

/**
 * The chunks to send, least relevant first (the most relevant lands nearest the cursor);
 * a chunk that does not fit the rest of the budget is skipped for a smaller one.
 */
export function selectContext(candidates: ContextSelection, options: SelectOptions): ContextChunk[] {
  if (options.budgetTokens <= 0) return [];
  const chosen: ContextChunk[] = [];
  let left = options.budgetTokens;
  for (const chunk of [...candidates.definitions, ...candidates.recent]) {
    if (!options.allowed(chunk.path) || !chunk.text.trim()) continue;
    if (chunk.path === options.current.path && overlapsWindow(chunk, options.current)) continue;
    if (chosen.some((c) => overlap(chunk.text, c.text) >= 0.9)) continue;
    const cost = options.countTokens(chunk.text) + options.countTokens(chunk.name) + HEADER_TOKENS;
    if (cost > left) continue;
    chosen.push(chunk);
    left -= cost;
  }
  return chosen.reverse();
}

function overlapsWindow(chunk: ContextChunk, window: { fromLine: number; toLine: number }): boolean {
  const last = chunk.line + chunk.text.split("\n").length - 1;
  return chunk.line <= window.toLine && last >= window.fromLine;
}

/** Budgets move in steps this large, so the chosen context (and the model's cached prompt) stays put while the user types. */
const BUDGET_STEP = 128;

/**
 * The context budget for one completion: the setting, but never more than the model's context
 * has room for beside the window around the cursor and the completion itself (a prompt the
 * context cannot hold is refused by the model), rounded down to a step.
 */
export function contextBudget(setting: number, room: { contextSize: number; windowTokens: number; maxTokens: number }): number {
  const free = room.contextSize - room.windowTokens - room.maxTokens - 2 * HEADER_TOKENS;
  return Math.max(0, Math.min(setting, Math.floor(free / BUDGET_STEP) * BUDGET_STEP));
}
