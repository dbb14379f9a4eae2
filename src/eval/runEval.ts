/**
 * The evaluation loop: every (condition, dataset, item, sample) is one relay with the math
 * prompt (a code item's own, codePrompts.ts), graded strictly and appended to the results file as soon as it is done. Answers
 * already in the file are reused, so a rerun resumes where an interrupted one stopped.
 * A random router without a given p is calibrated per dataset to the measured call ratio of
 * a relay condition, so it runs after that condition. Once every answer is made, all of them
 * (new and reused) are graded in one batch by each grader asked for: the first one's verdicts
 * are the results (so a rerun regrades old answers with today's grader), the others' are kept
 * to compare. Code items are graded by running their tests in the sandbox (codeGrader.ts).
 */
import { fnv1a } from "../core/hash.js";
import { DEFAULT_LIMITS, runRelay, type RelayLimits } from "../core/controller.js";
import { RelayError, errorMessage, isAbortError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { silentLogger } from "../core/logger.js";
import type { Student, Teacher } from "../core/models.js";
import { DEFAULT_POLICY_OPTIONS } from "../core/policies.js";
import { mathPrompt, type TaskPrompt } from "../core/prompts.js";
import { completionOf, type CodeGrader, type CodeVerdict } from "./codeGrader.js";
import { codePrompt, LINE_MAX_TOKENS } from "./codePrompts.js";
import type { CodeTask } from "./codeTask.js";
import { isScored, needsTeacher, policyFor, randomProbabilityFor, withProbability, type Condition } from "./conditions.js";
import type { Dataset, EvalItem } from "./datasets.js";
import { builtinGrader } from "./createGrader.js";
import { gradeResponse } from "./grade.js";
import type { Grader, GraderName, GraderVerdict } from "./grader.js";
import type { Judge } from "./judge.js";
import { resultKey, rowStats, type JudgeLine, type ResultLine, type ResultsFile } from "./results.js";

export interface ProgressSink {
  /** More work became known (the bar's total grows). */
  add(tasks: number): void;
  advance(info: { label: string; correct?: boolean }): void;
}

/**
 * How many items of each dataset: one number for all, or per dataset name with an optional
 * default (`{ arith: 80, "*": 25 }`); a dataset without an entry and no default is not limited.
 */
export type ItemLimit = number | Readonly<Record<string, number>>;

export function limitFor(limit: ItemLimit | undefined, dataset: string): number | undefined {
  if (limit === undefined || typeof limit === "number") return limit;
  return limit[dataset] ?? limit["*"];
}

export interface EvalRun {
  datasets: Dataset[];
  conditions: Condition[];
  /** The first `limit` items of each dataset (see ItemLimit). */
  limit?: ItemLimit;
  /** Answers per item (avg@k). */
  samples: number;
  student: Student;
  teacher?: Teacher;
  results: ResultsFile;
  limits?: Partial<RelayLimits>;
  seed: number;
  temperature?: number;
  /** Answers in flight at once; more than the student's sequences just queue. */
  concurrency: number;
  judge?: Judge;
  /** Graders of the finished answers; the first one's verdicts count (default: builtin). */
  graders?: Grader[];
  /** Grades the code items' answers by running their tests (needed when a dataset has code items). */
  codeGrader?: CodeGrader;
  /** Infill items: the suffix cut to this many characters, as ghost text cuts it (absent: whole). */
  suffixChars?: number;
  signal?: AbortSignal;
  progress?: ProgressSink;
  logger?: Logger;
}

/** One grader's verdicts on the run's answers, by result key. */
export interface GraderRun {
  grader: GraderName;
  verdicts: Map<string, GraderVerdict>;
  /** Answers it could not grade (counted wrong). */
  errors: number;
}

/** How a random router was calibrated on one dataset. */
export interface Calibration {
  dataset: string;
  condition: string;
  reference: string;
  targetRatio: number;
  span: number;
  probability: number;
}

/** One condition as run on one dataset (a calibrated router's signature differs per dataset). */
export interface Cell {
  dataset: string;
  condition: string;
  signature: string;
  /** The trigger policy (several sweep points share one; default: the name up to its first space). */
  policy?: string;
  /** A random router's per-token probability. */
  randomP?: number;
  /** A scored policy's threshold, and the teacher share a sweep point was calibrated to. */
  threshold?: number;
  targetShare?: number;
}

export interface EvalOutcome {
  cells: Cell[];
  /** The results this run covers, reused and new, in plan order. */
  rows: ResultLine[];
  judgements: Map<string, JudgeLine>;
  calibrations: Calibration[];
  /** Every grader's verdicts, the counting one first; empty when the run stopped before grading. */
  graders: GraderRun[];
  ran: number;
  reused: number;
  judged: number;
  failures: Array<{ key: string; error: string }>;
  aborted: boolean;
}

interface Task {
  condition: Condition;
  dataset: Dataset;
  item: EvalItem;
  sample: number;
  key: string;
}

export async function runEval(run: EvalRun): Promise<EvalOutcome> {
  const log = run.logger ?? silentLogger;
  const missing = run.conditions.filter((c) => needsTeacher(c) && !run.teacher);
  if (missing.length > 0) throw new RelayError("invalid-argument", `${missing.map((c) => c.name).join(", ")} need(s) a teacher (--teacher-gguf or --teacher-url).`);
  const outcome: EvalOutcome = { cells: [], rows: [], judgements: run.results.judgements, calibrations: [], graders: [], ran: 0, reused: 0, judged: 0, failures: [], aborted: false };
  const planned: Task[] = [];

  const direct = run.conditions.filter((c) => !c.calibrateTo);
  const calibrated = run.conditions.filter((c) => c.calibrateTo);
  const first = run.datasets.flatMap((d) => direct.map((c) => tasksFor(run, c, d))).flat();
  const pending = (tasks: Task[]) => tasks.filter((t) => !run.results.results.has(t.key));
  // The calibrated routers' answers are counted up front too, so the ETA covers them.
  const answersOf = (c: Condition) => run.datasets.reduce((n, d) => n + (c.datasets && !c.datasets.includes(d.name) ? 0 : itemsOf(run, d).length * run.samples), 0);
  run.progress?.add(pending(first).length + calibrated.reduce((n, c) => n + answersOf(c), 0));

  planned.push(...first);
  await runTasks(run, first, outcome, log);

  for (const dataset of run.datasets) {
    for (const condition of calibrated) {
      if (outcome.aborted) break;
      if (condition.datasets && !condition.datasets.includes(dataset.name)) continue;
      const calibration = calibrate(run, condition, dataset, planned);
      const tasks = calibration ? tasksFor(run, withProbability(condition, calibration.probability), dataset) : [];
      if (calibration) outcome.calibrations.push(calibration);
      planned.push(...tasks);
      // The up-front count assumed every answer had to be made: reused or skipped ones are done.
      const estimated = itemsOf(run, dataset).length * run.samples;
      for (let i = pending(tasks).length; i < estimated; i++) run.progress?.advance({ label: `${condition.name} · ${dataset.name}` });
      await runTasks(run, tasks, outcome, log);
    }
  }

  if (!outcome.aborted) await gradeAnswers(run, planned, outcome, log);
  if (run.judge && !outcome.aborted) await judgeWrong(run, run.judge, planned, outcome, log);

  const seen = new Set<string>();
  for (const task of planned) {
    const cell = `${task.condition.signature}|${task.dataset.name}`;
    if (!seen.has(cell)) {
      seen.add(cell);
      const { name, policy, options, signature, targetShare } = task.condition;
      const randomP = policy === "random" ? (options.probability ?? DEFAULT_POLICY_OPTIONS.probability) : undefined;
      const threshold = isScored(policy) ? options.threshold : undefined;
      // The report groups conditions by policy; teacher-free is its own curve.
      const group = name === "teacher-free" ? name : policy;
      outcome.cells.push({ dataset: task.dataset.name, condition: name, signature, policy: group, ...(randomP === undefined ? {} : { randomP }), ...(threshold === undefined ? {} : { threshold }), ...(targetShare === undefined ? {} : { targetShare }) });
    }
    const row = run.results.results.get(task.key);
    if (row) outcome.rows.push(row);
  }
  return outcome;
}

function itemsOf(run: EvalRun, dataset: Dataset): EvalItem[] {
  const limit = limitFor(run.limit, dataset.name);
  return limit === undefined ? dataset.items : dataset.items.slice(0, limit);
}

function tasksFor(run: EvalRun, condition: Condition, dataset: Dataset): Task[] {
  if (condition.datasets && !condition.datasets.includes(dataset.name)) return [];
  return itemsOf(run, dataset).flatMap((item) =>
    Array.from({ length: run.samples }, (_, sample) => ({ condition, dataset, item, sample, key: resultKey(condition.signature, dataset.name, item.id, item.index, sample) })),
  );
}

/** The random router's p for a dataset, from the reference condition's answers there. */
function calibrate(run: EvalRun, condition: Condition, dataset: Dataset, planned: Task[]): Calibration | null {
  const reference = planned.filter((t) => t.condition.name === condition.calibrateTo && t.dataset === dataset);
  let teacher = 0;
  let generated = 0;
  for (const task of reference) {
    const row = run.results.results.get(task.key);
    teacher += row?.stats.teacherTokens ?? 0;
    generated += row?.stats.generatedTokens ?? 0;
  }
  if (generated === 0) {
    run.logger?.warn(`${condition.name} on ${dataset.name}: no ${condition.calibrateTo} answers to calibrate to; skipped`);
    return null;
  }
  const maxSpan = run.limits?.maxSpanTokens ?? DEFAULT_LIMITS.maxSpanTokens;
  const span = Math.min(condition.options.spanTokens ?? DEFAULT_POLICY_OPTIONS.spanTokens, maxSpan);
  const targetRatio = teacher / generated;
  const probability = Number(randomProbabilityFor(targetRatio, span).toPrecision(6));
  return { dataset: dataset.name, condition: condition.name, reference: condition.calibrateTo ?? "", targetRatio, span, probability };
}

async function runTasks(run: EvalRun, tasks: Task[], outcome: EvalOutcome, log: Logger): Promise<void> {
  const todo = tasks.filter((t) => !run.results.results.has(t.key));
  outcome.reused += tasks.length - todo.length;
  await pool(todo, run.concurrency, run.signal, async (task) => {
    const label = `${task.condition.name} · ${task.dataset.name}`;
    try {
      const line = await answer(run, task);
      if (!line) return;
      await run.results.append(line);
      outcome.ran++;
      run.progress?.advance({ label, correct: line.correct });
    } catch (error) {
      if (isAbortError(error) || run.signal?.aborted) return;
      outcome.failures.push({ key: task.key, error: errorMessage(error) });
      log.warn(`${task.key}: ${errorMessage(error)}`);
      run.progress?.advance({ label });
    }
  });
  if (run.signal?.aborted) outcome.aborted = true;
}

/** One relay, graded; null when it was aborted (an unfinished answer is not a result). */
async function answer(run: EvalRun, task: Task): Promise<ResultLine | null> {
  const { condition, dataset, item, sample } = task;
  const seed = taskSeed(run.seed, dataset.name, item.index, sample);
  const result = await runRelay({
    task: promptFor(item, run.suffixChars),
    student: run.student,
    teacher: needsTeacher(condition) ? run.teacher : undefined,
    policy: policyFor(condition, seed),
    limits: item.code?.kind === "line" ? { ...run.limits, maxTokens: Math.min(run.limits?.maxTokens ?? DEFAULT_LIMITS.maxTokens, LINE_MAX_TOKENS) } : run.limits,
    temperature: run.temperature,
    seed,
    signal: run.signal,
    logger: run.logger,
  });
  if (result.stats.stopReason === "aborted") return null;
  // A code answer is graded by running it, with the others after all answers are made.
  const grade = item.code ? { extracted: completionOf(result.text, item.code).trim() || null, correct: false } : gradeResponse(result.text, item.gold);
  return {
    type: "result",
    key: task.key,
    dataset: dataset.name,
    condition: condition.name,
    signature: condition.signature,
    index: item.index,
    sample,
    itemId: item.id,
    gold: item.gold,
    extracted: grade.extracted,
    correct: grade.correct,
    text: result.text,
    stats: rowStats(result.stats),
  };
}

/** The math prompt, or a code item's (codePrompts.ts). */
export function promptFor(item: EvalItem, suffixChars?: number): TaskPrompt {
  return item.code ? codePrompt(item.code, suffixChars) : mathPrompt(item.question);
}

/** The code items of the datasets, by result row (dataset and item id). */
export function codeTasksOf(datasets: readonly Dataset[]): Map<string, CodeTask> {
  const tasks = new Map<string, CodeTask>();
  for (const d of datasets) for (const item of d.items) if (item.code) tasks.set(`${d.name}|${item.id}`, item.code);
  return tasks;
}

/**
 * Grades every planned answer with each grader, in one batch per grader. The first grader's
 * verdicts replace the rows' grades in memory (the results file keeps what was graded when the
 * answer was made); an answer it could not grade counts as wrong.
 */
async function gradeAnswers(run: EvalRun, planned: Task[], outcome: EvalOutcome, log: Logger): Promise<void> {
  const rows = [...new Set(planned.map((t) => t.key))].flatMap((key) => run.results.results.get(key) ?? []);
  const tasks = codeTasksOf([...new Set(planned.map((t) => t.dataset))]);
  await gradeRows(rows, run.results, run.graders, outcome, log, run.signal, { grader: run.codeGrader, tasks });
}

/** The code items' grader and tasks (by `dataset|itemId`): their rows are graded by running them. */
export interface CodeGrading {
  grader?: CodeGrader;
  tasks: ReadonlyMap<string, CodeTask>;
}

/**
 * Grades `rows` with each grader (see gradeAnswers); the first grader's verdicts go into
 * `results`. Rows of code items are graded by running them (`code`), once; their verdicts join
 * the counting grader's and are not compared between graders.
 */
export async function gradeRows(rows: ResultLine[], results: ResultsFile, given: Grader[] | undefined, outcome: Pick<EvalOutcome, "graders" | "aborted">, log: Logger, signal?: AbortSignal, code?: CodeGrading): Promise<void> {
  const taskOf = (r: ResultLine) => code?.tasks.get(`${r.dataset}|${r.itemId}`);
  const codeRows = rows.filter((r) => taskOf(r));
  let codeVerdicts: CodeVerdict[] = [];
  if (codeRows.length > 0) {
    if (!code?.grader) throw new RelayError("internal", "Code items to grade, but no code grader was given.");
    try {
      codeVerdicts = await code.grader.gradeAll(codeRows.map((r) => ({ response: r.text, gold: r.gold, task: taskOf(r) as CodeTask })), signal);
    } catch (error) {
      if (isAbortError(error) || signal?.aborted) {
        outcome.aborted = true;
        return;
      }
      throw error;
    }
  }
  const mathRows = rows.filter((r) => !taskOf(r));
  const graders = given && given.length > 0 ? given : [builtinGrader];
  const pairs = mathRows.map((r) => ({ response: r.text, gold: r.gold }));
  for (const grader of graders) {
    let verdicts: GraderVerdict[];
    try {
      verdicts = await grader.gradeAll(pairs, signal);
    } catch (error) {
      if (isAbortError(error) || signal?.aborted) {
        outcome.aborted = true;
        return;
      }
      throw error;
    }
    const graded: GraderRun = { grader: grader.name, verdicts: new Map(), errors: 0 };
    mathRows.forEach((row, i) => {
      graded.verdicts.set(row.key, verdicts[i]);
      if (verdicts[i].error) {
        graded.errors++;
        log.warn(`${grader.name} could not grade ${row.key}: ${verdicts[i].error}`);
      }
    });
    outcome.graders.push(graded);
  }
  const counting = outcome.graders[0];
  for (const row of mathRows) {
    const v = counting.verdicts.get(row.key) as GraderVerdict;
    results.results.set(row.key, { ...row, correct: v.correct, extracted: v.extracted });
  }
  codeRows.forEach((row, i) => {
    const v = codeVerdicts[i];
    counting.verdicts.set(row.key, v);
    results.results.set(row.key, { ...row, correct: v.correct, extracted: v.extracted, ...(v.exactMatch === undefined ? {} : { exactMatch: v.exactMatch }) });
  });
}

/**
 * The cells of everything a results file holds (a report of several runs into one --out): per
 * dataset and condition name the signature written last (an older signature of the same name is
 * stale), its policy, random p, threshold and target share read back from the name and signature.
 */
export function cellsOfResults(results: ResultsFile): { cells: Cell[]; rows: ResultLine[] } {
  const latest = new Map<string, ResultLine>();
  for (const row of results.results.values()) latest.set(`${row.dataset}|${row.condition}`, row);
  const cells: Cell[] = [];
  for (const row of latest.values()) {
    const param = (name: string) => {
      const m = new RegExp(`[(,]${name}=([0-9.e+-]+)[,)]`).exec(row.signature);
      return m ? Number(m[1]) : undefined;
    };
    const share = /@(\d+(?:\.\d+)?)%/.exec(row.condition);
    // Condition names are policy names (teacher-free aside), a sweep point's with " @point".
    const policy = row.condition.split(" @")[0];
    const randomP = policy === "random" ? param("p") : undefined;
    const threshold = policy === "random" ? undefined : param("t");
    cells.push({ dataset: row.dataset, condition: row.condition, signature: row.signature, policy, ...(randomP === undefined ? {} : { randomP }), ...(threshold === undefined ? {} : { threshold }), ...(share ? { targetShare: Number(share[1]) / 100 } : {}) });
  }
  const signatures = new Set(cells.map((c) => `${c.dataset}|${c.signature}`));
  return { cells, rows: [...results.results.values()].filter((r) => signatures.has(`${r.dataset}|${r.signature}`)) };
}

/** Re-grades the strictly wrong answers that have no verdict yet. */
async function judgeWrong(run: EvalRun, judge: Judge, planned: Task[], outcome: EvalOutcome, log: Logger): Promise<void> {
  const todo = planned.filter((t) => {
    const row = run.results.results.get(t.key);
    // Code is graded by its tests; a judge has nothing to add.
    return row && !row.correct && !t.item.code && !run.results.judgements.has(t.key);
  });
  run.progress?.add(todo.length);
  await pool(todo, run.concurrency, run.signal, async (task) => {
    const row = run.results.results.get(task.key) as ResultLine;
    const label = `judge · ${task.dataset.name}`;
    try {
      const answer = row.extracted ?? row.text.slice(-1000);
      const { verdict, reply } = await judge.judge({ question: task.item.question, gold: row.gold, answer }, run.signal);
      await run.results.append({ type: "judge", key: task.key, model: judge.model, verdict, reply });
      outcome.judged++;
      run.progress?.advance({ label });
    } catch (error) {
      if (isAbortError(error) || run.signal?.aborted) return;
      outcome.failures.push({ key: task.key, error: `judge: ${errorMessage(error)}` });
      log.warn(`judge ${task.key}: ${errorMessage(error)}`);
      run.progress?.advance({ label });
    }
  });
  if (run.signal?.aborted) outcome.aborted = true;
}

/** Runs `fn` over `items`, at most `concurrency` at a time; stops taking new ones on abort. */
async function pool<T>(items: T[], concurrency: number, signal: AbortSignal | undefined, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

/** A seed per (dataset, item, sample), the same for every condition: paired comparisons. */
export function taskSeed(seed: number, dataset: string, index: number, sample: number): number {
  return fnv1a(`${seed}|${dataset}|${index}|${sample}`);
}
