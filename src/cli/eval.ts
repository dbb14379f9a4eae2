/** `relay eval`: accuracy, call ratio and cost of relay conditions on math and code benchmarks. */
import type { Command } from "commander";
import { RelayError } from "../core/errors.js";
import { DEFAULT_INLINE_CONTEXT } from "../core/inlineWindow.js";
import { CONDITION_NAMES } from "../eval/conditions.js";
import { BENCHMARK_NAMES, CODE_SETS, DEFAULT_DATA_DIR, GENERATED_SETS } from "../eval/datasets.js";
import { GRADER_NAMES } from "../eval/grader.js";
import type { ItemLimit } from "../eval/runEval.js";
import type { SweepPoint } from "../eval/conditions.js";
import type { EvalCommandOptions } from "./evalCommand.js";
import { addModelOptions } from "./setup.js";
import { choiceOption, intOption, listOption, numberOption, textListOption, textOption, urlOption } from "./options.js";

const price = (name: string) => numberOption(name, 0, 1e6);

/** `--repo-context on|off`: the repo-line items' repository context given to the model, or left out. */
export const parseRepoContext = choiceOption("--repo-context", ["on", "off"] as const);

/** "25" (every dataset), or "arith=80,gsm8k=25" (per dataset), or both ("25,arith=80"). */
export function parseLimit(v: string): ItemLimit {
  const count = intOption("--limit", 1, 10_000_000);
  const parts = listOption("--limit")(v);
  if (parts.length === 1 && !parts[0].includes("=")) return count(parts[0]);
  const limits: Record<string, number> = {};
  for (const part of parts) {
    const at = part.indexOf("=");
    const name = at < 0 ? "*" : part.slice(0, at).trim();
    if (!name || name in limits) throw new RelayError("invalid-argument", `--limit ${v}: give each dataset once, as name=n, and at most one plain n for the rest`);
    limits[name] = count(part.slice(at + 1).trim());
  }
  return limits;
}

/**
 * "1,2,5" → teacher shares 1%, 2%, 5%; "t=0.1,0.2" → thresholds; "gsm8k:5,10" → only on that
 * dataset. Repeatable: the points add up.
 */
export function parseSweep(v: string, previous: SweepPoint[] = []): SweepPoint[] {
  let text = v.trim();
  const scoped = /^([A-Za-z0-9_.-]+):(.*)$/.exec(text);
  const dataset = scoped?.[1];
  if (scoped) text = scoped[2].trim();
  const thresholds = text.startsWith("t=");
  const parts = listOption("--sweep")(thresholds ? text.slice(2) : text);
  const points = parts.map((p): SweepPoint => {
    const point: SweepPoint = thresholds ? { threshold: numberOption("--sweep", 0, 100)(p) } : { share: numberOption("--sweep", 0, 100, { minExclusive: true })(p) / 100 };
    return dataset ? { ...point, dataset } : point;
  });
  return [...previous, ...points];
}

export function registerEval(program: Command): void {
  addModelOptions(
    program
      .command("eval")
      .description("evaluate relay conditions on math and code benchmarks: accuracy (pass@1 for code), call ratio, teacher tokens, cost; resumable")
      .requiredOption("--data <list>", `comma-separated datasets: the math benchmarks ${BENCHMARK_NAMES.join(", ")}; the generated ${Object.keys(GENERATED_SETS).join(", ")}; the code sets ${Object.keys(CODE_SETS).join(", ")} (the HumanEval sets graded by running their tests in a bubblewrap sandbox: scripts/sandbox-setup.sh; repo-line, lines of real package code with repository context, by exact match); or paths to JSONL files (question/problem + answer/solution, or HumanEval's prompt/test/entry_point)`, listOption("--data"))
      .option("--data-dir <dir>", "folder holding <name>/test.jsonl for the named datasets (the default is the package's own data/)", textOption("--data-dir"), DEFAULT_DATA_DIR)
      .option("--conditions <list>", `comma-separated conditions to compare: ${CONDITION_NAMES.join(", ")} (default: --policy); teacher-free = the student with its calls refused`, listOption("--conditions"))
      .option("--suffix-chars <n>", `infill sets: cut each item's suffix to n characters at a line break, as ghost text cuts it (the editor sends ${DEFAULT_INLINE_CONTEXT.maxSuffixChars}); default: the whole suffix`, intOption("--suffix-chars", 0, 10_000_000))
      .option("--limit <n>", "only the first n items of each dataset; per dataset: arith=80,gsm8k=25 (a plain n is the default for the rest)", parseLimit)
      .option("--samples <k>", "answers per item; accuracy is avg@k (use --temperature > 0)", intOption("--samples", 1, 1000), 1)
      .option("--concurrency <n>", "answers in flight (the student gets this many context sequences)", intOption("--concurrency", 1, 64), 2)
      .option("--out <dir>", "where results.jsonl (resumable), report.md, report.json and frontier.svg go", textOption("--out"), "relay-eval")
      .option("--calibrate-to <condition>", "the relay condition whose call ratio the random router is calibrated to (without --random-p)")
      .option("--sweep <points>", "run each scored condition at several operating points: teacher shares in percent (1,2,5,10,20; thresholds from the student's calibration on generated train problems) or thresholds (t=0.1,0.2), on every dataset or on one (gsm8k:5,10; repeatable); a random router is run at the call ratio each point of the --calibrate-to condition reached", parseSweep)
      .option("--share-check <n>", "with --sweep teacher shares: run each point with the teacher on n generated train problems first and correct its aim by the share it reached there (as the extension corrects it from your answers)", intOption("--share-check", 1, 100_000))
      .option("--calibration-count <n>", "generated train problems the --sweep calibration answers (kept in <out>/calibration.json unless --calibration is given)", intOption("--calibration-count", 1, 100_000), 60)
      .option("--grader <name>", `${GRADER_NAMES.join(" or ")}: builtin needs no Python; math-verify is the paper's grader in a private Python environment (made on first use), with the built-in grader's verdicts on the same answers compared in the report`, choiceOption("--grader", GRADER_NAMES), "builtin")
      .option("--judge", "re-grade strictly wrong answers with a model behind an OpenAI-compatible chat API (default: the teacher's)")
      .option("--judge-url <url>", "judge API base URL (default: --teacher-url)", urlOption("--judge-url"))
      .option("--judge-model <name>", "judge model (default: --teacher-model)", textOption("--judge-model"))
      .option("--input-price <usd>", "teacher price per million input tokens, for the cost estimate", price("--input-price"))
      .option("--cached-input-price <usd>", "teacher price per million cached input tokens", price("--cached-input-price"))
      .option("--output-price <usd>", "teacher price per million output tokens", price("--output-price"))
      .option("--teacher-log <path>", "append every teacher request and reply to this JSON-lines file", textOption("--teacher-log"))
      .option("--repo-context <on|off>", "infill items' repository context (the repo-line set: definitions from other files of the package): on gives it to the model, off leaves it out; recorded in the results' settings, so use another --out for each", parseRepoContext, "on")
      .option("--report-only", "make no answers: report every condition the --out results hold for these datasets (one report of several runs)")
      .option("--also <dir[=label]>", "with --report-only: another run's --out (e.g. another student's), reported beside, its conditions labelled (repeatable)", textListOption("--also"))
      .option("--json", "print the report as JSON (no progress bar)")
      .option("--no-progress", "no progress bar")
      .option("-v, --verbose", "log model loading and teacher calls to stderr"),
  ).action(async (options: EvalCommandOptions) => {
    // Loaded on use: the grader's math engine is not needed by the other commands.
    const { runEvalCommand } = await import("./evalCommand.js");
    process.exitCode = await runEvalCommand(options);
  });
}
