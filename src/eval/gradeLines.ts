/**
 * `relay grade`'s work: JSON lines `{"response", "gold"}` in, one verdict per line out, in
 * order. A line that is not such an object gets an error verdict naming its line, and every
 * other line is still graded (in one batch, so the Python grader starts once).
 */
import type { GradePair, Grader, GraderVerdict } from "./grader.js";
import { stripBom } from "./jsonl.js";

export interface LineVerdict extends GraderVerdict {
  /** 1-based line of the input. */
  line: number;
}

type Parsed = { line: number; pair: GradePair } | { line: number; error: string };

export function parseGradeLine(raw: string, line: number): Parsed {
  let record: unknown;
  try {
    record = JSON.parse(raw);
  } catch (error) {
    return { line, error: `line ${line}: not valid JSON (${(error as Error).message})` };
  }
  if (typeof record !== "object" || record === null || Array.isArray(record)) return { line, error: `line ${line}: not a JSON object` };
  const { response, gold } = record as Record<string, unknown>;
  if (typeof response !== "string" || typeof gold !== "string") return { line, error: `line ${line}: needs string fields "response" and "gold"` };
  return { line, pair: { response, gold } };
}

/** Grades the non-blank lines of `text`. */
export async function gradeLines(text: string, grader: Grader, signal?: AbortSignal): Promise<LineVerdict[]> {
  // A BOM at the start belongs to the file (or the pipe), not to its first line.
  const parsed = stripBom(text)
    .split("\n")
    .map((raw, i) => ({ raw, line: i + 1 }))
    .filter(({ raw }) => raw.trim().length > 0)
    .map(({ raw, line }) => parseGradeLine(raw, line));
  const pairs = parsed.flatMap((p) => ("pair" in p ? [p.pair] : []));
  const verdicts = await grader.gradeAll(pairs, signal);
  let next = 0;
  return parsed.map((p) => ("pair" in p ? { line: p.line, ...verdicts[next++] } : { line: p.line, correct: false, extracted: null, error: p.error }));
}
