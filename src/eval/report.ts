/**
 * The evaluation report: per dataset and condition, accuracy (strict, and judged when a judge
 * ran), call ratio, teacher tokens, estimated cost and latency; macro averages over datasets;
 * the random router's calibration; per cell a 95% interval of the accuracy and the share of the
 * student-to-teacher gap it recovers. Rendered as JSON, a Markdown table and an SVG frontier plot.
 */
import { estimateCost, type TeacherPricing } from "../core/spans.js";
import type { DataIssue } from "./datasets.js";
import type { GraderName } from "./grader.js";
import type { JudgeLine, ResultLine } from "./results.js";
import type { Calibration, Cell, GraderRun } from "./runEval.js";
import { shareCheckLines, type ShareCheck } from "./shareCheck.js";
import { wilsonInterval } from "./wilson.js";

/** A cell of a threshold sweep: the fields runEval sets on its operating points (absent on older runs). */
type SweepCell = Cell & { policy?: string; threshold?: number; targetShare?: number };

export interface CellSummary {
  dataset: string;
  condition: string;
  signature: string;
  /** The trigger policy; several sweep points ("router @5%", "router @10%") share one. */
  policy: string;
  /** A sweep point's threshold, and the teacher share (0..1) it was calibrated to. */
  threshold?: number;
  targetShare?: number;
  items: number;
  /** Answers per item (avg@k). */
  samples: number;
  answers: number;
  /** Strictly graded, averaged over all answers (avg@k). */
  accuracy: number;
  /** Wilson score 95% interval of the strict accuracy over the answers. */
  accuracyCi95: [number, number];
  /**
   * (accuracy − student-only's) / (teacher-only's − student-only's) on the same dataset; null
   * without both, or when the teacher is not better than the student.
   */
  gapRecovered: number | null;
  /** Strictly correct or judged equivalent; null when no judge ran. */
  judgedAccuracy: number | null;
  /** Wrong answers still without a verdict. */
  judgePending: number;
  /** Single-line infill: answers whose line is the masked one, whitespace normalized; null elsewhere. */
  exactMatch: number | null;
  noAnswer: number;
  /** Teacher tokens / all generated tokens, pooled over the answers. */
  callRatio: number;
  callsPerAnswer: number;
  teacherTokensIn: number;
  teacherTokensOut: number;
  teacherCachedTokensIn: number;
  /** Teacher input tokens per answer, and how many of them the teacher had cached. */
  teacherTokensInPerAnswer: number;
  teacherCachedTokensInPerAnswer: number;
  costUsd: number;
  costPerAnswerUsd: number;
  /** Wall time per answer. */
  meanLatencyMs: number;
  failedCalls: number;
  ignoredCalls: number;
  /** The random router: its per-token probability and the call ratio it was calibrated to. */
  randomP?: number;
  targetCallRatio?: number;
}

export interface AverageRow {
  condition: string;
  datasets: number;
  accuracy: number;
  judgedAccuracy: number | null;
  callRatio: number;
  teacherTokensIn: number;
  teacherTokensOut: number;
  costUsd: number;
  meanLatencyMs: number;
}

export interface DatasetSummary {
  name: string;
  items: number;
  /** Code items, graded by running their tests. */
  code: boolean;
  /** Code items without tests (the repository-context set): accuracy is exact match. Absent otherwise. */
  exactOnly?: boolean;
  repaired: number;
  flagged: number;
  skipped: number;
}

/** Two graders on the same answers: per cell accuracy by each, and the answers they disagree on. */
export interface GraderComparison {
  /** The grader whose verdicts the report counts, then the other. */
  graders: [GraderName, GraderName];
  answers: number;
  agreeing: number;
  /** Answers each could not grade. */
  errors: [number, number];
  cells: Array<{ dataset: string; condition: string; answers: number; accuracy: [number, number]; agreeing: number }>;
  disagreements: Array<{ dataset: string; condition: string; index: number; sample: number; gold: string; extracted: [string | null, string | null]; correct: [boolean, boolean] }>;
}

export interface EvalReport {
  /** The grader whose verdicts the accuracies are. */
  grader: GraderName;
  graderComparison: GraderComparison | null;
  cells: CellSummary[];
  averages: AverageRow[];
  calibrations: Calibration[];
  /** The sweep's share points checked with the teacher on train problems (--share-check). */
  shareChecks?: ShareCheck[];
  datasets: DatasetSummary[];
  judgeModel: string | null;
  pricing: TeacherPricing | null;
  complete: boolean;
}

export interface ReportInput {
  cells: Cell[];
  rows: ResultLine[];
  judgements: ReadonlyMap<string, JudgeLine>;
  calibrations: Calibration[];
  shareChecks?: ShareCheck[];
  datasets: Array<{ name: string; items: unknown[]; issues: DataIssue[] }>;
  pricing?: TeacherPricing;
  judgeModel?: string;
  /** The graders' verdicts, the counting one first (default: the rows' own grades, builtin). */
  graders?: GraderRun[];
  /** False when the run was interrupted or some answers failed. */
  complete?: boolean;
}

export function buildReport(input: ReportInput): EvalReport {
  const judged = input.judgeModel !== undefined || input.judgements.size > 0;
  const cells = input.cells.map((cell) => summarize(cell, input.rows.filter((r) => r.signature === cell.signature && r.dataset === cell.dataset), input, judged));
  const shown = withGapRecovered(cells.filter((c) => c.answers > 0));
  return {
    grader: input.graders?.[0]?.grader ?? "builtin",
    graderComparison: input.graders && input.graders.length > 1 ? compareGraders(input, input.graders[0], input.graders[1]) : null,
    cells: shown,
    averages: averages(shown),
    calibrations: input.calibrations,
    ...(input.shareChecks?.length ? { shareChecks: input.shareChecks } : {}),
    datasets: input.datasets.map((d) => ({ name: d.name, items: d.items.length, code: d.items.some(isCodeItem), ...(d.items.length > 0 && d.items.every(isExactOnlyItem) ? { exactOnly: true } : {}), ...issueCounts(d.issues) })),
    judgeModel: input.judgeModel ?? null,
    pricing: input.pricing ?? null,
    complete: input.complete ?? true,
  };
}

/** The cell's policy: as runEval recorded it, else the condition name up to the first space ("router @5%"). */
function policyOf(cell: SweepCell): string {
  return cell.policy ?? cell.condition.split(" ")[0];
}

function summarize(cell: SweepCell, rows: ResultLine[], input: ReportInput, judged: boolean): Omit<CellSummary, "gapRecovered"> {
  const sum = (f: (r: ResultLine) => number) => rows.reduce((n, r) => n + f(r), 0);
  const n = Math.max(1, rows.length);
  const teacher = sum((r) => r.stats.teacherTokens);
  const generated = sum((r) => r.stats.generatedTokens);
  const prompt = sum((r) => r.stats.teacherPromptTokens);
  const cached = sum((r) => r.stats.teacherCachedPromptTokens);
  const completion = sum((r) => r.stats.teacherCompletionTokens);
  const verdict = (r: ResultLine) => input.judgements.get(r.key)?.verdict;
  const calibration = input.calibrations.find((c) => c.dataset === cell.dataset && c.condition === cell.condition && c.probability === cell.randomP);
  const correct = sum((r) => (r.correct ? 1 : 0));
  return {
    ...cell,
    policy: policyOf(cell),
    items: new Set(rows.map((r) => r.itemId)).size,
    samples: new Set(rows.map((r) => r.sample)).size,
    answers: rows.length,
    accuracy: correct / n,
    accuracyCi95: wilsonInterval(correct, rows.length),
    judgedAccuracy: judged ? sum((r) => (r.correct || verdict(r) === true ? 1 : 0)) / n : null,
    judgePending: judged ? sum((r) => (!r.correct && verdict(r) === undefined ? 1 : 0)) : 0,
    exactMatch: rows.length > 0 && rows.every((r) => r.exactMatch !== undefined) ? sum((r) => (r.exactMatch ? 1 : 0)) / n : null,
    noAnswer: sum((r) => (r.extracted === null ? 1 : 0)),
    callRatio: generated === 0 ? 0 : teacher / generated,
    callsPerAnswer: sum((r) => r.stats.calls) / n,
    teacherTokensIn: prompt,
    teacherTokensOut: completion,
    teacherCachedTokensIn: cached,
    teacherTokensInPerAnswer: prompt / n,
    teacherCachedTokensInPerAnswer: cached / n,
    costUsd: estimateCost(prompt, cached, completion, input.pricing),
    costPerAnswerUsd: estimateCost(prompt, cached, completion, input.pricing) / n,
    meanLatencyMs: sum((r) => r.stats.durationMs) / n,
    failedCalls: sum((r) => r.stats.failedCalls),
    ignoredCalls: sum((r) => r.stats.ignoredCalls),
    ...(calibration ? { targetCallRatio: calibration.targetRatio } : {}),
  };
}

function withGapRecovered(cells: Array<Omit<CellSummary, "gapRecovered">>): CellSummary[] {
  return cells.map((c) => {
    const student = cells.find((s) => s.dataset === c.dataset && s.policy === "student-only");
    const teacher = cells.find((t) => t.dataset === c.dataset && t.policy === "teacher-only");
    const gap = student && teacher && teacher.accuracy > student.accuracy ? (c.accuracy - student.accuracy) / (teacher.accuracy - student.accuracy) : null;
    return { ...c, gapRecovered: gap };
  });
}

function compareGraders(input: ReportInput, counting: GraderRun, other: GraderRun): GraderComparison {
  const cmp: GraderComparison = { graders: [counting.grader, other.grader], answers: 0, agreeing: 0, errors: [counting.errors, other.errors], cells: [], disagreements: [] };
  for (const cell of input.cells) {
    const rows = input.rows.filter((r) => r.signature === cell.signature && r.dataset === cell.dataset);
    if (rows.length === 0) continue;
    let agreeing = 0;
    const right = [0, 0];
    for (const r of rows) {
      const a = counting.verdicts.get(r.key);
      const b = other.verdicts.get(r.key);
      if (!a || !b) continue;
      right[0] += a.correct ? 1 : 0;
      right[1] += b.correct ? 1 : 0;
      if (a.correct === b.correct) agreeing++;
      else cmp.disagreements.push({ dataset: r.dataset, condition: cell.condition, index: r.index, sample: r.sample, gold: r.gold, extracted: [a.extracted, b.extracted], correct: [a.correct, b.correct] });
    }
    // Code cells are graded by running them, by one grader: nothing to compare.
    const compared = rows.filter((r) => counting.verdicts.has(r.key) && other.verdicts.has(r.key)).length;
    if (compared === 0) continue;
    cmp.cells.push({ dataset: cell.dataset, condition: cell.condition, answers: compared, accuracy: [right[0] / compared, right[1] / compared], agreeing });
    cmp.answers += compared;
    cmp.agreeing += agreeing;
  }
  return cmp;
}

/** Macro averages over datasets (each dataset weighs the same, as in the paper's "Avg"). */
function averages(cells: CellSummary[]): AverageRow[] {
  const conditions = [...new Set(cells.map((c) => c.condition))];
  return conditions.map((condition) => {
    const of = cells.filter((c) => c.condition === condition);
    const mean = (f: (c: CellSummary) => number) => of.reduce((n, c) => n + f(c), 0) / of.length;
    const total = (f: (c: CellSummary) => number) => of.reduce((n, c) => n + f(c), 0);
    const answers = total((c) => c.answers);
    return {
      condition,
      datasets: of.length,
      accuracy: mean((c) => c.accuracy),
      judgedAccuracy: of.every((c) => c.judgedAccuracy !== null) ? mean((c) => c.judgedAccuracy ?? 0) : null,
      callRatio: mean((c) => c.callRatio),
      teacherTokensIn: total((c) => c.teacherTokensIn),
      teacherTokensOut: total((c) => c.teacherTokensOut),
      costUsd: total((c) => c.costUsd),
      meanLatencyMs: total((c) => c.meanLatencyMs * c.answers) / answers,
    };
  });
}

const isCodeItem = (item: unknown) => typeof item === "object" && item !== null && (item as { code?: unknown }).code !== undefined;
const isExactOnlyItem = (item: unknown) => isCodeItem(item) && (item as { code: { exactOnly?: boolean } }).code.exactOnly === true;

function issueCounts(issues: DataIssue[]): Omit<DatasetSummary, "name" | "items" | "code" | "exactOnly"> {
  const lines = (action: DataIssue["action"]) => new Set(issues.filter((i) => i.action === action).map((i) => i.line)).size;
  return { repaired: lines("repaired"), flagged: lines("flagged"), skipped: lines("skipped") };
}

const CODE_NOTE =
  " Code sets (humaneval, humaneval-line): accuracy is pass@1 — the item's tests, run with the answer's code in a sandbox (its own process, no network; time, memory, process and file limits), pass (one greedy answer per item; with --samples k the mean over the k answers, an estimate of pass@1). Exact match (infill): the answer's line is the masked line, whitespace normalized.";

/** Sets with no tests to run: accuracy cannot be pass@1, and the report says what it is. */
const exactOnlyNote = (names: string[]) =>
  ` ${names.join(", ")}: lines of real package code with no tests to run, so accuracy is exact match (the answer's line is the masked line, whitespace normalized) — the accuracy and exact-match columns are the same figure, and its 95% CI is that of exact match.`;

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const int = (x: number) => Math.round(x).toLocaleString("en-US");
const usd = (x: number) => `$${x < 1 ? x.toFixed(4) : x.toFixed(2)}`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pct1 = (x: number) => `${(x * 100).toFixed(1)}%`;
/** "12.0–25.3%". */
export const ciText = ([lo, hi]: [number, number]) => `${(lo * 100).toFixed(1)}–${pct1(hi)}`;
export const gapText = (gap: number | null) => (gap === null ? "–" : pct1(gap));

/** The cell's name in tables and plots: a sweep point's target and threshold, a random router's p ("router @5% (t=0.431)"). */
export function cellLabel(c: CellSummary): string {
  const target = c.targetShare !== undefined && !c.condition.includes("@") ? ` @${Number((c.targetShare * 100).toPrecision(3))}%` : "";
  const params = [...(c.threshold !== undefined ? [`t=${Number(c.threshold.toPrecision(3))}`] : []), ...(c.randomP !== undefined ? [`p=${c.randomP}`] : [])];
  return c.condition + target + (params.length ? ` (${params.join(", ")})` : "");
}

export function reportMarkdown(report: EvalReport): string {
  const judged = report.judgeModel !== null || report.cells.some((c) => c.judgedAccuracy !== null);
  const exact = report.cells.some((c) => c.exactMatch !== null);
  const head = ["dataset", "condition", "answers", "accuracy", "95% CI", ...(judged ? ["judged"] : []), ...(exact ? ["exact match"] : []), "call ratio", "gap recovered", "calls/answer", "teacher in/answer (cached)", "teacher in", "teacher out", "est. cost", "cost/answer", "wall time/answer"];
  const align = ["---", "---", ...head.slice(2).map(() => "---:")];
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const judgedCell = (c: { judgedAccuracy: number | null }, pending = 0) => (judged ? [c.judgedAccuracy === null ? "–" : pct(c.judgedAccuracy) + (pending ? ` (${pending} pending)` : "")] : []);
  const lines = ["# Relay evaluation", ""];
  if (!report.complete) lines.push("**Incomplete:** the run was interrupted or some answers failed; rerun the same command to finish it.", "");
  lines.push(row(head), row(align));
  for (const c of report.cells) {
    const perAnswer = `${int(c.teacherTokensInPerAnswer)} (${int(c.teacherCachedTokensInPerAnswer)})`;
    const exactCell = exact ? [c.exactMatch === null ? "–" : pct(c.exactMatch)] : [];
    lines.push(row([c.dataset, cellLabel(c), `${c.items}×${c.samples}`, pct(c.accuracy), ciText(c.accuracyCi95), ...judgedCell(c, c.judgePending), ...exactCell, pct(c.callRatio), gapText(c.gapRecovered), c.callsPerAnswer.toFixed(2), perAnswer, int(c.teacherTokensIn), int(c.teacherTokensOut), usd(c.costUsd), usd(c.costPerAnswerUsd), secs(c.meanLatencyMs)]));
  }
  if (report.averages.length > 0 && new Set(report.cells.map((c) => c.dataset)).size > 1) {
    lines.push("", "Average over datasets (each dataset weighs the same):", "");
    const avgHead = ["condition", "datasets", "accuracy", ...(judged ? ["judged"] : []), "call ratio", "teacher in", "teacher out", "est. cost", "mean latency"];
    lines.push(row(avgHead), row(["---", ...avgHead.slice(1).map(() => "---:")]));
    for (const a of report.averages) {
      lines.push(row([a.condition, String(a.datasets), pct(a.accuracy), ...judgedCell(a), pct(a.callRatio), int(a.teacherTokensIn), int(a.teacherTokensOut), usd(a.costUsd), secs(a.meanLatencyMs)]));
    }
  }
  if (report.calibrations.length > 0) {
    lines.push("", "Random router calibration (per-token probability p so that its expected call ratio matches):", "");
    for (const k of report.calibrations) {
      const measured = report.cells.find((c) => c.dataset === k.dataset && c.randomP === k.probability);
      lines.push(`- ${k.dataset}: p = ${k.probability} (span ${k.span}) for ${k.reference}'s call ratio ${pct(k.targetRatio)}; measured ${measured ? pct(measured.callRatio) : "–"}`);
    }
  }
  lines.push(...shareCheckLines(report.shareChecks ?? []));
  const cmp = report.graderComparison;
  if (cmp) {
    const [a, b] = cmp.graders;
    lines.push("", `Graders compared on the same answers (${a} counts above; ${b} beside it): they agree on ${cmp.agreeing} of ${cmp.answers} answers (${pct(cmp.answers ? cmp.agreeing / cmp.answers : 1)}).`, "");
    lines.push(row(["dataset", "condition", "answers", a, b, "agree"]), row(["---", "---", "---:", "---:", "---:", "---:"]));
    for (const c of cmp.cells) lines.push(row([c.dataset, c.condition, String(c.answers), pct(c.accuracy[0]), pct(c.accuracy[1]), `${c.agreeing}/${c.answers}`]));
    if (cmp.errors.some((n) => n > 0)) lines.push("", `Answers a grader could not grade (counted wrong): ${a} ${cmp.errors[0]}, ${b} ${cmp.errors[1]}.`);
    if (cmp.disagreements.length > 0) {
      const code = (x: string | null) => (x === null ? "–" : `\`${x.replace(/`/g, "'").replace(/\|/g, "\\|")}\``);
      lines.push("", `Answers they grade differently (${a} / ${b}):`, "");
      lines.push(row(["dataset", "condition", "item", "gold", `${a} extracted`, `${b} extracted`, `${a}`, `${b}`]), row(["---", "---", "---:", "---", "---", "---", "---", "---"]));
      for (const d of cmp.disagreements.slice(0, 50)) lines.push(row([d.dataset, d.condition, String(d.index), code(d.gold), code(d.extracted[0]), code(d.extracted[1]), d.correct[0] ? "right" : "wrong", d.correct[1] ? "right" : "wrong"]));
      if (cmp.disagreements.length > 50) lines.push("", `… and ${cmp.disagreements.length - 50} more in report.json.`);
    }
  }
  const issues = report.datasets.filter((d) => d.repaired + d.flagged + d.skipped > 0);
  if (issues.length > 0) {
    lines.push("", "Data defects:", "");
    for (const d of issues) lines.push(`- ${d.name}: ${d.repaired} item(s) repaired, ${d.flagged} flagged, ${d.skipped} skipped`);
  }
  lines.push(
    "",
    (report.grader === "math-verify"
      ? "Accuracy: graded by Math-Verify 0.9.0 (the paper's grader; boxed answer first), averaged over all samples (avg@k)."
      : "Accuracy: the built-in grader (Math-Verify's extraction order: boxed answer first; numeric and symbolic equivalence), averaged over all samples (avg@k).") +
      (judged ? ` Judged: strictly correct, or judged equivalent by ${report.judgeModel ?? "the judge"}.` : "") +
      (report.datasets.some((d) => d.code && !d.exactOnly) ? CODE_NOTE : "") +
      (report.datasets.some((d) => d.exactOnly) ? exactOnlyNote(report.datasets.filter((d) => d.exactOnly).map((d) => d.name)) : "") +
      " 95% CI: Wilson score interval of the strict accuracy over all answers (samples of one item are not independent, so with several samples it is too narrow)." +
      " Call ratio: teacher tokens / all generated tokens (student's tokenizer), pooled over answers." +
      " Gap recovered: (accuracy − student-only's) / (teacher-only's − student-only's) on the same dataset; – without both, or when the teacher is not better." +
      " Teacher in/answer: input tokens sent to the teacher per answer, in brackets those the teacher reported as cached." +
      (report.pricing ? ` Cost at $${report.pricing.inputPerMillion}/M input and $${report.pricing.outputPerMillion}/M output tokens.` : " No prices given (--input-price, --output-price): cost shows as $0."),
    "",
  );
  return lines.join("\n");
}
