/**
 * The results file: JSON lines, appended one per finished answer, so an interrupted eval loses
 * at most the answers in flight. The first line records the settings that change results; a
 * rerun with other settings is refused rather than mixed in. The file is read and checked
 * before anything is written: a file whose first line is not Relay's config line is not Relay's,
 * and is refused untouched (never cut, never appended to). In Relay's own file a torn last line
 * (a killed process) is cut off and reported; a BOM an editor added is accepted.
 */
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, truncate } from "node:fs/promises";
import { dirname, join } from "node:path";
import { RelayError, errorMessage } from "../core/errors.js";
import type { RelayStats, StopReason } from "../core/spans.js";
import { UTF8_BOM } from "./jsonl.js";

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
  /** A single-line infill answer: its line equals the masked one (whitespace normalized). */
  exactMatch?: boolean;
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

  /**
   * Opens (or creates) the file. Throws, leaving the file as it was, when it is not a Relay
   * results file or was written with other settings.
   */
  static async open(path: string, settings: EvalSettings): Promise<ResultsFile> {
    const file = new ResultsFile(path);
    let bytes: Buffer | undefined;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new RelayError("invalid-argument", `Cannot read the results file ${path}: ${errorMessage(error)}`, { cause: error });
    }
    if (bytes === undefined || bytes.length === 0) {
      await mkdir(dirname(path), { recursive: true });
      await file.write({ type: "config", version: RESULTS_VERSION, settings });
      return file;
    }
    const bom = bytes.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? UTF8_BOM.length : 0;
    let text = bytes.toString("utf8", bom);
    // Whose file is it? Decided on the first line alone, before anything is changed.
    const firstEnd = text.indexOf("\n");
    checkConfig(path, parseLine(firstEnd < 0 ? text : text.slice(0, firstEnd)), settings);
    if (!text.endsWith("\n")) {
      const keep = text.lastIndexOf("\n") + 1;
      await truncate(path, bom + Buffer.byteLength(text.slice(0, keep)));
      file.warnings.push(`cut off a torn last line (${text.length - keep} characters) left by an interrupted run`);
      text = text.slice(0, keep);
    }
    text.split("\n").forEach((raw, i) => {
      if (i === 0 || raw.length === 0) return;
      const line = parseLine(raw);
      if (line === undefined) file.warnings.push(`line ${i + 1} is not JSON; ignored`);
      else if (line.type === "result") file.results.set(line.key, line);
      else if (line.type === "judge") file.judgements.set(line.key, line);
    });
    return file;
  }

  /** Reads a results file made under any settings, changing nothing (another run to report beside this one). */
  static async read(path: string): Promise<ResultsFile> {
    const file = new ResultsFile(path);
    let text: string;
    try {
      text = (await readFile(path, "utf8")).replace(/^\uFEFF/, "");
    } catch (error) {
      throw new RelayError("invalid-argument", `Cannot read the results file ${path}: ${errorMessage(error)}`, { cause: error });
    }
    const lines = text.split("\n");
    const first = parseLine(lines[0] ?? "");
    if (first?.type !== "config") throw new RelayError("invalid-argument", `${path} is not a relay eval results file.`);
    lines.slice(1).forEach((raw, i) => {
      if (raw.length === 0) return;
      const line = parseLine(raw);
      if (line === undefined) file.warnings.push(`line ${i + 2} is not JSON; ignored`);
      else if (line.type === "result") file.results.set(line.key, line);
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

function parseLine(raw: string): Line | undefined {
  try {
    const line = JSON.parse(raw) as unknown;
    return typeof line === "object" && line !== null && !Array.isArray(line) ? (line as Line) : undefined;
  } catch {
    return undefined;
  }
}

function checkConfig(path: string, line: Line | undefined, settings: EvalSettings): void {
  if (line?.type !== "config") {
    throw new RelayError("invalid-argument", `${path} is not a Relay results file (its first line is not a relay eval config line); it was left as it was. Choose another --out.`);
  }
  if (line.version !== RESULTS_VERSION || typeof line.settings !== "object" || line.settings === null) {
    throw new RelayError("invalid-argument", `${path} is not a results file of this version; choose another --out.`);
  }
  const keys = new Set([...Object.keys(line.settings), ...Object.keys(settings)]);
  const differing = [...keys].filter((k) => (line.settings[k] ?? null) !== (settings[k] ?? null));
  if (differing.length > 0) {
    const detail = differing.map((k) => `${k}: ${JSON.stringify(line.settings[k] ?? null)} there, ${JSON.stringify(settings[k] ?? null)} now`).join("; ");
    throw new RelayError("invalid-argument", `${path} holds results made with other settings (${detail}). Use another --out, or the same settings to resume.`);
  }
}

/** The files `relay eval` writes into --out beside results.jsonl (rewritten on every run). */
export const REPORT_FILES = ["report.json", "report.md", "frontier.svg"] as const;

/**
 * The report files in `dir` are rewritten on every run, but only where they are Relay's: with
 * no results file beside them, a report.md there is someone else's, and is refused untouched.
 */
export function checkReportFiles(dir: string): void {
  if (existsSync(join(dir, "results.jsonl"))) return;
  const found = REPORT_FILES.filter((name) => existsSync(join(dir, name)));
  if (found.length > 0) {
    throw new RelayError("invalid-argument", `${found.map((name) => join(dir, name)).join(", ")} ${found.length > 1 ? "are" : "is"} not written by relay eval (there is no results.jsonl beside ${found.length > 1 ? "them" : "it"}) and would be overwritten; choose another --out.`);
  }
}
