/**
 * `relay bench` / `npm run bench`: generates (once, cached) the benchmark models, runs the
 * selected benchmarks one after the other in this process (memory and threads in child
 * processes), and writes one report: JSON + the same figures as Markdown tables.
 */
import { availableParallelism } from "node:os";
import { relative } from "node:path";
import type { Logger } from "../core/logger.js";
import { errorMessage } from "../core/errors.js";
import { getSharedLlama } from "../llama/llama.js";
import { chooseThreads } from "../llama/threads.js";
import { memoryChild, runMemory, type MemoryChildSpec } from "./memory.js";
import { runThreads, threadsChild, type ThreadsChildSpec } from "./threads.js";
import { selfCommand, writeChildResult, type ChildCommand } from "./child.js";
import type { BenchEnv } from "./env.js";
import { runInlineLatency } from "./inlineLatency.js";
import { runInlineReal } from "./inlineReal.js";
import { machineInfo, sampleLoad } from "./machine.js";
import { benchModelDir, ensureBenchModel, repoRoot, STUDENT_0_6B, STUDENT_QUICK, TEACHER_TINY, type BenchModel } from "./benchModels.js";
import { runOverhead } from "./overhead.js";
import { runReal } from "./real.js";
import { loadChild, runLoad, type LoadChildSpec } from "./load.js";
import { runRelayCost } from "./relayCost.js";
import { runWarming } from "./warming.js";
import { runRouterCost } from "./routerCost.js";
import { goalsOf, readReport, renderText, REPORT_SCHEMA, writeMarkdown, writeReport, type BenchReport, type ModelRecord } from "./report.js";

export const BENCH_NAMES = ["overhead", "relay", "inline", "memory", "threads", "real", "load", "warming", "router"] as const;
export type BenchName = (typeof BENCH_NAMES)[number];
/** Accepted in --only for the naive baseline, which runs side by side with the relay benchmark. */
const ALIASES: Record<string, BenchName> = { naive: "relay", latency: "inline", rss: "memory" };

export function parseOnly(value: string | undefined): BenchName[] {
  if (!value) return [...BENCH_NAMES];
  const names = value.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  const out = new Set<BenchName>();
  for (const name of names) {
    const resolved = (BENCH_NAMES as readonly string[]).includes(name) ? (name as BenchName) : ALIASES[name];
    if (!resolved) throw new Error(`unknown benchmark "${name}" (known: ${BENCH_NAMES.join(", ")})`);
    out.add(resolved);
  }
  return BENCH_NAMES.filter((n) => out.has(n));
}

export interface BenchOptions {
  quick: boolean;
  out: string;
  only: BenchName[];
  /** Explicit thread count; absent: the product default (chooseThreads). */
  threads?: number;
  /** The command line, for the record. */
  command: string;
  logger: Logger;
  progress: (line: string) => void;
  childCommand?: ChildCommand;
}

const RUNNERS: Record<BenchName, (env: BenchEnv) => Promise<unknown>> = {
  overhead: runOverhead,
  relay: runRelayCost,
  inline: async (env) => {
    const result = await runInlineLatency(env);
    // The real inline model too, when scripts/real-models.sh has installed it (the reason otherwise).
    try {
      result.real = await runInlineReal(env);
    } catch (error) {
      result.realError = errorMessage(error);
      env.progress(`  inline (real) not run: ${result.realError}`);
    }
    return result;
  },
  memory: runMemory,
  threads: runThreads,
  real: runReal,
  load: runLoad,
  warming: runWarming,
  router: runRouterCost,
};

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const root = repoRoot();
  const started = new Date();
  const t0 = performance.now();
  const { progress } = options;
  const before = await sampleLoad(2000);
  const busy = isBusy(before);
  if (busy) progress(`note: the machine is busy before the run (load ${before.loadavg.join(" ")}, CPUs ${Math.round((before.busy ?? 0) * 100)}% busy): figures will be noisy`);

  const student = await ensureBenchModel(options.quick ? STUDENT_QUICK : STUDENT_0_6B, benchModelDir(root), progress);
  const teacher = await ensureBenchModel(TEACHER_TINY, benchModelDir(root), progress);
  const handle = await getSharedLlama({ gpu: "cpu", threads: options.threads ?? 0, logger: options.logger });
  const env: BenchEnv = {
    quick: options.quick,
    student,
    teacher,
    threads: handle.threads,
    childCommand: options.childCommand ?? selfCommand(),
    progress,
    logger: options.logger,
  };
  progress(`student ${student.id} (${(student.bytes / 1e6).toFixed(0)} MB), teacher ${teacher.id}, ${env.threads} thread(s); benchmarks: ${options.only.join(", ")}`);

  const results: BenchReport["results"] = {};
  const errors: Record<string, string> = {};
  for (const name of options.only) {
    const tb = performance.now();
    progress(`${name} ...`);
    try {
      (results as Record<string, unknown>)[name] = await RUNNERS[name](env);
      progress(`${name} done in ${((performance.now() - tb) / 1000).toFixed(1)} s`);
    } catch (error) {
      errors[name] = errorMessage(error);
      progress(`${name} FAILED: ${errors[name]}`);
    }
  }

  const after = await sampleLoad(0);
  const report: BenchReport = {
    schema: REPORT_SCHEMA,
    command: options.command,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round((performance.now() - t0) / 100) / 10,
    quick: options.quick,
    benchmarks: options.only,
    threads: {
      used: env.threads,
      source: options.threads ? "option" : "product default",
      productDefault: chooseThreads(handle.llama.cpuMathCores),
      cpuMathCores: handle.llama.cpuMathCores,
    },
    machine: machineInfo(root),
    load: {
      before,
      after,
      busy: busy || isBusy(after),
      note: busy || isBusy(after) ? "the machine was busy with other work during this run (see load): absolute figures are noisy; ratios come from interleaved runs" : "machine idle apart from this run",
    },
    models: { student: modelRecord(student, root), teacher: modelRecord(teacher, root) },
    results,
    errors,
    goals: goalsOf(results),
  };
  const written = writeReport(options.out, report);
  process.stdout.write(renderText(report));
  progress(`wrote ${relative(process.cwd(), written.json)} and ${relative(process.cwd(), written.markdown)}`);
  return report;
}

/** Busy: a load average above half the CPUs, or CPUs more than 25% busy before we started. */
function isBusy(sample: { loadavg: number[]; busy?: number }, cpus = availableParallelism()): boolean {
  return sample.loadavg[0] > cpus / 2 || (sample.busy ?? 0) > 0.25;
}

function modelRecord(m: BenchModel, root: string): ModelRecord {
  return {
    id: m.id,
    description: m.description,
    file: relative(root, m.path),
    bytes: m.bytes,
    parameters: m.parameters,
    dims: { ...m.dims },
    type: m.options.type,
  };
}

/** Prints the tables of a saved results file and rewrites its Markdown twin (no benchmark runs). */
export function showReport(path: string): BenchReport {
  const report = readReport(path);
  process.stdout.write(renderText(report));
  writeMarkdown(path, report);
  return report;
}

/** In a child process: runs one child benchmark and prints its result line. */
export async function runBenchChild(specJson: string): Promise<void> {
  const spec = JSON.parse(specJson) as MemoryChildSpec | ThreadsChildSpec | LoadChildSpec;
  if (spec.kind === "memory") writeChildResult(await memoryChild(spec));
  else if (spec.kind === "load") writeChildResult(await loadChild(spec));
  else if (spec.kind === "threads") writeChildResult(await threadsChild(spec));
  else throw new Error(`unknown benchmark child ${JSON.stringify(spec)}`);
}
