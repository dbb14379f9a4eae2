/**
 * The results file: JSON lines, appended one per finished answer, so an interrupted eval loses
 * at most the answers in flight. The first line records the settings that change results; a
 * rerun with other settings is refused rather than mixed in. A torn last line (a killed
 * process) is cut off and reported.
 */
import { appendFile, mkdir, readFile, truncate } from "node:fs/promises";
import { dirname } from "node:path";
import { RelayError } from "../core/errors.js";
import type { RelayStats, StopReason } from "../core/spans.js";

export const RESULTS_VERSION = 1;

/** Settings that change what an answer is (models, sampling, limits). */
export type EvalSettings = Record<string, string | number | boolean | null>;

export interface ConfigLine {
  type: "config";
  version: number;
  settings: EvalSettings;
}

/** The per-answer statistics kept (timings and token counts; cost is priced in the report). */
export type RowStats = Pick<
  RelayStats,
  | "studentTokens"
  | "teacherTokens"
  | "generatedTokens"
  | "calls"
  | "failedCalls"
  | "deniedCalls"
  | "malformedTags"
  | "ignoredCalls"
  | "teacherPromptTokens"
  | "teacherCompletionTokens"
  | "teacherCachedPromptTokens"
  | "durationMs"
  | "teacherMs"
> & { stopReason: StopReason };

export interface ResultLine {
  type: "result";
  key: string;
  dataset: string;
  condition: string;
  signature: string;
  index: number;
  sample: number;
  itemId: string;
  gold: string;
  extracted: string | null;
  correct: boolean;
  text: string;
  stats: RowStats;
}

/** A semantic judge's verdict on a result the strict grader marked wrong. */
export interface JudgeLine {
  type: "judge";
  key: string;
  model: string;
  /** null: the judge's reply said neither yes nor no. */
  verdict: boolean | null;
  reply: string;
}

type Line = ConfigLine | ResultLine | JudgeLine;

export function resultKey(signature: string, dataset: string, itemId: string, index: number, sample: number): string {
  return `${signature}|${dataset}|${index}|${itemId}|${sample}`;
}

export function rowStats(stats: RelayStats): RowStats {
  const { studentTokens, teacherTokens, generatedTokens, calls, failedCalls, deniedCalls, malformedTags, ignoredCalls, teacherPromptTokens, teacherCompletionTokens, teacherCachedPromptTokens, durationMs, teacherMs, stopReason } = stats;
  return { studentTokens, teacherTokens, generatedTokens, calls, failedCalls, deniedCalls, malformedTags, ignoredCalls, teacherPromptTokens, teacherCompletionTokens, teacherCachedPromptTokens, durationMs, teacherMs, stopReason };
}

export class ResultsFile {
  readonly results = new Map<string, ResultLine>();
  readonly judgements = new Map<string, JudgeLine>();
  /** What opening found wrong with the file (a torn last line, unreadable lines). */
  readonly warnings: string[] = [];
  private queue: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  /** Opens (or creates) the file; throws if it was written with other settings. */
  static async open(path: string, settings: EvalSettings): Promise<ResultsFile> {
    const file = new ResultsFile(path);
    await mkdir(dirname(path), { recursive: true });
    let text = "";
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (text.length > 0 && !text.endsWith("\n")) {
      const keep = text.lastIndexOf("\n") + 1;
      await truncate(path, Buffer.byteLength(text.slice(0, keep)));
      file.warnings.push(`cut off a torn last line (${text.length - keep} characters) left by an interrupted run`);
      text = text.slice(0, keep);
    }
    const lines = text.split("\n").filter((l) => l.length > 0);
    if (lines.length === 0) {
      await file.write({ type: "config", version: RESULTS_VERSION, settings });
      return file;
    }
    lines.forEach((raw, i) => {
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        file.warnings.push(`line ${i + 1} is not JSON; ignored`);
        return;
      }
      if (i === 0) return checkConfig(path, line, settings);
      if (line.type === "result") file.results.set(line.key, line);
      else if (line.type === "judge") file.judgements.set(line.key, line);
    });
    return file;
  }

  append(line: ResultLine | JudgeLine): Promise<void> {
    if (line.type === "result") this.results.set(line.key, line);
    else this.judgements.set(line.key, line);
    return this.write(line);
  }

  /** One line per write, in order; a failed write does not block later ones. */
  private write(line: Line): Promise<void> {
    const done = this.queue.then(() => appendFile(this.path, JSON.stringify(line) + "\n", "utf8"));
    this.queue = done.catch(() => {});
    return done;
  }
}

function checkConfig(path: string, line: Line, settings: EvalSettings): void {
  if (line.type !== "config" || line.version !== RESULTS_VERSION) {
    throw new RelayError("invalid-argument", `${path} is not a results file of this version; choose another --out.`);
  }
  const keys = new Set([...Object.keys(line.settings), ...Object.keys(settings)]);
  const differing = [...keys].filter((k) => (line.settings[k] ?? null) !== (settings[k] ?? null));
  if (differing.length > 0) {
    const detail = differing.map((k) => `${k}: ${JSON.stringify(line.settings[k] ?? null)} there, ${JSON.stringify(settings[k] ?? null)} now`).join("; ");
    throw new RelayError("invalid-argument", `${path} holds results made with other settings (${detail}). Use another --out, or the same settings to resume.`);
  }
}
