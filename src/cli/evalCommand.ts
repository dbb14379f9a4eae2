/** What `relay eval` does: load data and models, run (or resume) the eval, write the report. */
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { RelayError } from "../core/errors.js";
import type { TeacherPricing } from "../core/spans.js";
import { stderrLogger } from "./logger.js";
import { checkPolicyOptions, limitsFrom, loadTeacher, type ModelOptions } from "./setup.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { FileTeacherLog } from "../io/fileTeacherLog.js";
import { expandSweep, isScored, needsTeacher, parseConditions, withTeacher, type Condition, type ConditionOptions, type SweepPoint } from "../eval/conditions.js";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import type { Logger } from "../core/logger.js";
import { DEFAULT_POLICY_OPTIONS, type PolicyName } from "../core/policies.js";
import type { Router } from "../core/routing/router.js";
import { loadRouterFile } from "../io/routerFile.js";
import { modelFingerprint } from "../llama/fingerprint.js";
import { thresholdFor, type CalibrationFile } from "../core/routing/calibration.js";
import { readCalibration, writeCalibration } from "../io/calibrationFile.js";
import { recordCalibration, shareCheckProblems } from "../router/calibration.js";
import { describeIssues, hasRepoContext, loadDatasets, withoutRepoContext } from "../eval/datasets.js";
import { builtinGrader, createGrader } from "../eval/createGrader.js";
import type { GraderName } from "../eval/grader.js";
import { OpenAIJudge, type Judge } from "../eval/judge.js";
import { createProgressBar } from "../eval/progress.js";
import { buildReport, reportMarkdown, type EvalReport } from "../eval/report.js";
import { ResultsFile, checkReportFiles, type EvalSettings } from "../eval/results.js";
import { cellsOfResults, codeTasksOf, gradeRows, runEval, type EvalOutcome, type ItemLimit } from "../eval/runEval.js";
import { ExecutionGrader, exactMatchGrader, needsSandbox } from "../eval/codeGrader.js";
import { CODE_PROMPT_VERSION } from "../eval/codePrompts.js";
import { frontierSvg } from "../eval/svg.js";
import { checkShares, SHARE_CHECK_DATASET, shareCheckLine, type ShareCheck } from "../eval/shareCheck.js";
import type { ReplayRules } from "../core/routing/share.js";
import { printErr, printJson, printOut } from "./terminalText.js";

export interface EvalCommandOptions extends ModelOptions {
  data: string[];
  /** Infill items: cut the suffix to this many characters, as ghost text does. */
  suffixChars?: number;
  dataDir: string;
  conditions?: string[];
  limit?: ItemLimit;
  samples: number;
  concurrency: number;
  out: string;
  calibrateTo?: string;
  grader: GraderName;
  judge?: boolean;
  judgeUrl?: string;
  judgeModel?: string;
  inputPrice?: number;
  cachedInputPrice?: number;
  outputPrice?: number;
  teacherLog?: string;
  /** Operating points of the scored conditions: teacher shares or thresholds. */
  sweep?: SweepPoint[];
  calibrationCount: number;
  /** Check each share point with the teacher on this many generated train problems first, and correct its aim. */
  shareCheck?: number;
  /** Infill items' repository context (the repo-line set): "on" (default) gives it to the model, "off" leaves it out. */
  repoContext?: "on" | "off";
  /** Make no answers: report everything the results file holds for these datasets. */
  reportOnly?: boolean;
  /** With reportOnly: other runs' folders (DIR or DIR=label) reported beside this one. */
  also?: string[];
  json?: boolean;
  progress: boolean;
  verbose?: boolean;
}

/** Runs the command; resolves to the exit code (130 when interrupted). */
export async function runEvalCommand(options: EvalCommandOptions): Promise<number> {
  const logger = stderrLogger(Boolean(options.verbose));
  const conditionOptions: ConditionOptions = {
    spanTokens: options.spanTokens,
    threshold: options.threshold,
    cooldownTokens: options.cooldown,
    fixedSpan: options.fixedSpan,
    randomP: options.randomP,
    calibrateTo: options.calibrateTo,
  };
  const names = options.conditions ?? [options.policy];
  // Checked before any model loads; parsed again once the router is loaded.
  parseConditions(names, conditionOptions);
  checkPolicyOptions(names, options.threshold);
  if (names.includes("router") && !options.router) throw new RelayError("invalid-argument", "The router condition needs --router FILE (from `relay router train`).");
  if (options.sweep && !names.some((n) => isScored(n as PolicyName))) throw new RelayError("invalid-argument", "--sweep needs a scored condition (confidence, entropy, margin, rolling-entropy, step-entropy, router, auto).");
  if (options.shareCheck && !(options.sweep ?? []).some((p) => "share" in p)) throw new RelayError("invalid-argument", "--share-check corrects teacher shares: give --sweep with shares (e.g. --sweep 5,10).");
  const loaded = await loadDatasets(options.data, options.dataDir);
  // Recorded in the results' settings (below), so answers with and without context never mix.
  const repoContext = hasRepoContext(loaded) ? (options.repoContext ?? "on") : undefined;
  const datasets = repoContext === "off" ? withoutRepoContext(loaded) : loaded;
  if (typeof options.limit === "object") {
    const unknown = Object.keys(options.limit).filter((name) => name !== "*" && !datasets.some((d) => d.name === name));
    if (unknown.length > 0) throw new RelayError("invalid-argument", `--limit names ${unknown.join(", ")}, not among the datasets (${datasets.map((d) => d.name).join(", ")}).`);
  }
  const unknownSweep = (options.sweep ?? []).filter((p) => p.dataset && !datasets.some((d) => d.name === p.dataset));
  if (unknownSweep.length > 0) throw new RelayError("invalid-argument", `--sweep names ${unknownSweep[0].dataset}, not among the datasets (${datasets.map((d) => d.name).join(", ")}).`);
  for (const d of datasets) {
    const issues = describeIssues(d);
    if (issues) printErr(`${issues}\n`);
  }
  // A line that could not be read is never skipped silently: the run goes on, and exits 1.
  const unread = datasets.flatMap((d) => [...new Set(d.issues.filter((i) => i.action === "skipped").map((i) => `${d.name} line ${i.line}`))]);
  const unreadNote = () => printErr(`${unread.length} dataset line(s) could not be read and were not evaluated (${unread.slice(0, 5).join(", ")}${unread.length > 5 ? ", …" : ""}); fix them and run again (exit 1).\n`);
  if (options.samples > 1 && !options.temperature) logger.warn("--samples > 1 with greedy decoding (--temperature 0) repeats the same answer; set --temperature");

  // Code items are graded by running them in the sandbox; it is checked before anything is written
  // or loaded. Sets without tests (repo-line) are graded by exact match and need no sandbox.
  const codeTasks = codeTasksOf(datasets);
  const codeGrader = codeTasks.size === 0 ? undefined : needsSandbox(codeTasks.values()) ? await ExecutionGrader.create() : exactMatchGrader;
  const resultsPath = join(options.out, "results.jsonl");
  checkReportFiles(options.out);
  const results = await ResultsFile.open(resultsPath, settingsOf(options, datasets.some((d) => d.items.some((i) => i.code)), repoContext));
  for (const w of results.warnings) logger.warn(`${resultsPath}: ${w}`);

  const judge = options.judge ? createJudge(options) : undefined;
  // math-verify counts; the built-in grader's verdicts on the same answers are compared. Its
  // Python helper is tried before any answer is made, so a missing environment fails fast.
  const graders = options.grader === "math-verify" ? [createGrader("math-verify"), builtinGrader] : [builtinGrader];
  if (options.grader === "math-verify") {
    const [probe] = await graders[0].gradeAll([{ response: "\\boxed{1}", gold: "1" }]);
    if (!probe.correct) throw new RelayError("grader-failed", `The math-verify helper does not grade \\boxed{1} as 1${probe.error ? `: ${probe.error}` : ""}.`);
  }
  if (options.reportOnly) {
    // Every answer already made into this --out, graded now: one report of several runs; runs
    // of other settings (another student) beside them with --also, their conditions labelled.
    for (const also of options.also ?? []) {
      const [dir, label] = also.split("=", 2);
      const other = await ResultsFile.read(join(dir, "results.jsonl"));
      for (const row of other.results.values()) {
        const condition = `${row.condition} · ${label ?? basename(dir)}`;
        results.results.set(`${row.key}|${dir}`, { ...row, key: `${row.key}|${dir}`, condition, signature: `${row.signature}|${dir}` });
      }
    }
    const { cells, rows } = cellsOfResults(results);
    const known = new Set(datasets.map((d) => d.name));
    const shown = cells.filter((c) => known.has(c.dataset));
    const outcome = { graders: [] as EvalOutcome["graders"], aborted: false };
    await gradeRows(rows.filter((r) => known.has(r.dataset)), results, graders, outcome, logger, undefined, { grader: codeGrader, tasks: codeTasks });
    const report = buildReport({ cells: shown, rows: [...results.results.values()].filter((r) => known.has(r.dataset)), judgements: results.judgements, calibrations: [], datasets, pricing: pricingOf(options), graders: outcome.graders, complete: true });
    await writeReport(options.out, report);
    if (options.json) printJson(report);
    else printOut(reportMarkdown(report));
    printErr(`report of ${shown.length} condition(s) in ${resultsPath}; nothing run; written to ${options.out}/\n`);
    if (unread.length > 0) {
      unreadNote();
      return 1;
    }
    return 0;
  }
  const student = await LlamaStudent.load({ model: options.student, gpu: options.gpu, threads: options.threads, contextSize: options.contextSize, sequences: options.concurrency, thinking: options.thinking !== "off", logger });
  let swept: Swept;
  try {
    swept = await sweptConditions(options, names, conditionOptions, student, logger);
  } catch (error) {
    await student.dispose();
    throw error;
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  const progress = createProgressBar(options.progress && !options.json);
  let teacher: Awaited<ReturnType<typeof loadTeacher>>;
  let outcome: EvalOutcome;
  let checks: ShareCheck[] = [];
  let conditions = swept.conditions;
  try {
    if (conditions.some(needsTeacher)) teacher = await loadTeacher(options, logger, options.teacherLog ? new FileTeacherLog(options.teacherLog) : undefined);
    process.once("SIGINT", onSigint);
    const common = { student, teacher, limits: limitsFrom(options), seed: options.seed ?? 1, temperature: options.temperature, concurrency: options.concurrency, signal: controller.signal, progress, logger };
    if (options.shareCheck && swept.calibration) {
      // Kept beside the results, so a rerun reuses the check's answers.
      const checkResults = await ResultsFile.open(join(options.out, SHARE_CHECK_DATASET, "results.jsonl"), settingsOf(options, false));
      const checked = await checkShares(conditions, { calibration: swept.calibration, problems: shareCheckProblems(swept.calibration, options.shareCheck), rules: swept.rules, router: swept.router }, { ...common, results: checkResults, graders: [builtinGrader] });
      if (checked.aborted) {
        printErr(controller.signal.aborted ? "Interrupted: run the same command again to resume.\n" : "The share check could not finish (see the warnings); run the same command again.\n");
        return controller.signal.aborted ? 130 : 1;
      }
      conditions = checked.conditions;
      checks = checked.checks;
      for (const k of checks) logger.info(shareCheckLine(k));
    }
    outcome = await runEval({ ...common, datasets, conditions, limit: options.limit, samples: options.samples, results, judge, graders, codeGrader, suffixChars: options.suffixChars });
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
    await teacher?.dispose();
    await student.dispose();
  }

  const report = buildReport({ ...outcome, shareChecks: checks, datasets, pricing: pricingOf(options), judgeModel: judge?.model, complete: !outcome.aborted && outcome.failures.length === 0 });
  await writeReport(options.out, report);
  if (options.json) printJson(report);
  else printOut(reportMarkdown(report));
  printErr(`${outcome.ran} answer(s) made, ${outcome.reused} reused from ${resultsPath}${judge ? `, ${outcome.judged} judged` : ""}; report in ${options.out}/\n`);
  for (const f of outcome.failures) logger.warn(`failed ${f.key}: ${f.error}`);
  if (outcome.aborted) {
    printErr("Interrupted: run the same command again to resume.\n");
    return 130;
  }
  if (unread.length > 0) unreadNote();
  return outcome.failures.length > 0 || unread.length > 0 ? 1 : 0;
}

/**
 * The conditions with the router loaded and, for a sweep, one condition per operating point:
 * thresholds for teacher shares come from the student's calibration on generated train problems
 * (--calibration, or <out>/calibration.json, recorded on first use), never from the eval items.
 */
interface Swept {
  conditions: Condition[];
  /** With a sweep: the calibration its thresholds come from, the replay's rules, the router. */
  calibration?: CalibrationFile;
  rules: Omit<ReplayRules, "maxTokens">;
  router?: Router;
}

async function sweptConditions(options: EvalCommandOptions, names: string[], conditionOptions: ConditionOptions, student: LlamaStudent, logger: Logger): Promise<Swept> {
  const fingerprint = await modelFingerprint(student.path);
  let router: Router | undefined;
  if (options.router) {
    const teacherPrint = options.teacherGguf ? { fingerprint: await modelFingerprint(options.teacherGguf) } : undefined;
    const loaded = await loadRouterFile(options.router, { fingerprint, name: student.name }, teacherPrint);
    for (const w of loaded.warnings) logger.warn(w);
    router = loaded.router;
  }
  const routerTag = router ? createHash("sha256").update(JSON.stringify(router.file)).digest("hex").slice(0, 8) : undefined;
  const conditions = parseConditions(names, { ...conditionOptions, router, routerTag }).map((c) => withTeacher(c, teacherIdentity(options)));
  const rules = { span: options.spanTokens ?? DEFAULT_POLICY_OPTIONS.spanTokens, cooldown: options.cooldown ?? DEFAULT_POLICY_OPTIONS.cooldownTokens, maxCalls: options.maxCalls };
  if (!options.sweep) return { conditions, rules, router };
  const path = options.calibration ?? join(options.out, "calibration.json");
  let calibration: CalibrationFile;
  if (options.calibration || existsSync(path)) calibration = await readCalibration(path, fingerprint);
  else {
    printErr(`calibrating the teacher share on ${options.calibrationCount} generated train problems (once; kept in ${path})\n`);
    const progress = createProgressBar(options.progress && !options.json);
    try {
      calibration = await recordCalibration({ student, studentId: { name: student.name, fingerprint }, count: options.calibrationCount, seed: 1, maxTokens: options.maxTokens, progress });
    } finally {
      progress.stop();
    }
    await writeCalibration(path, calibration);
  }
  if (calibration.maxTokens !== options.maxTokens) logger.warn(`${path} was recorded with --max-tokens ${calibration.maxTokens}; this run uses ${options.maxTokens}`);
  const swept = expandSweep(conditions, options.sweep, (c, share) => {
    const found = thresholdFor(calibration, c.policy, share, rules, router);
    logger.info(`${c.name} @${share * 100}%: threshold ${found.threshold.toPrecision(4)} (replayed share ${(found.expected * 100).toFixed(2)}%)`);
    return found.threshold;
  });
  return { conditions: swept, calibration, rules, router };
}

export async function writeReport(dir: string, report: EvalReport): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "report.json"), JSON.stringify(report, null, 2) + "\n");
  await writeFile(join(dir, "report.md"), reportMarkdown(report));
  await writeFile(join(dir, "frontier.svg"), frontierSvg(report));
}

/**
 * The settings an answer depends on; a results file made with others is not resumed. The code
 * prompts' version is recorded only when code sets are evaluated, so math results files made
 * before code sets existed still resume; likewise the repository-context switch only when an item
 * carries context.
 */
export function settingsOf(o: EvalCommandOptions, code: boolean, repoContext?: "on" | "off"): EvalSettings {
  return {
    ...(code ? { codePrompt: CODE_PROMPT_VERSION } : {}),
    // Recorded only when given, so results made before the option existed still resume.
    ...(code && o.suffixChars !== undefined ? { suffixChars: o.suffixChars } : {}),
    ...(repoContext ? { repoContext } : {}),
    student: o.student,
    temperature: o.temperature ?? 0,
    seed: o.seed ?? 1,
    maxTokens: o.maxTokens,
    maxCalls: o.maxCalls,
    maxSpan: o.maxSpan,
    maxContext: o.maxContext,
    contextSize: o.contextSize ?? null,
    prompt: "mathPrompt",
  };
}

/** What the teacher-calling conditions' answers depend on: model, API, sampling (see withTeacher). */
function teacherIdentity(o: EvalCommandOptions): string {
  const model = o.teacherGguf ?? `${o.teacherUrl ?? ""} ${o.teacherModel ?? ""} ${o.teacherApi}`;
  return JSON.stringify([model, o.teacherTemperature ?? null, o.teacherTopP ?? null, o.teacherStop ?? []]);
}

function pricingOf(o: EvalCommandOptions): TeacherPricing | undefined {
  if (o.inputPrice === undefined && o.outputPrice === undefined) return undefined;
  return { inputPerMillion: o.inputPrice ?? 0, outputPerMillion: o.outputPrice ?? 0, cachedInputPerMillion: o.cachedInputPrice };
}

function createJudge(o: EvalCommandOptions): Judge {
  const baseURL = o.judgeUrl ?? o.teacherUrl;
  const model = o.judgeModel ?? o.teacherModel;
  if (!baseURL || !model) throw new RelayError("invalid-argument", "--judge needs an OpenAI-compatible API: --judge-url and --judge-model, or --teacher-url and --teacher-model.");
  return new OpenAIJudge({ baseURL, model, apiKey: process.env[o.teacherKeyEnv], timeoutMs: o.teacherTimeout });
}
