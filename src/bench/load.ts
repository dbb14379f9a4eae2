/**
 * Benchmark 8 — decode speed under a competing CPU load: the product default (the thread
 * governor) against each fixed setting (1 and 2 threads, node-llama-cpp's own default), quiet
 * and with a busy loop on one core started by the benchmark, on the bench model and on the
 * real SmolLM2-135M. Phases alternate quiet / loaded / quiet / loaded and every phase runs the
 * settings interleaved (rotating order), so both conditions meet the same drift of a shared
 * machine; the governor keeps its state across phases, so its lag after a change is counted.
 * Runs in a child process per model (a fresh Llama whose thread cap the settings change).
 */
import type { LlamaContext, Token } from "node-llama-cpp";
import { ensureRealModels } from "../io/realModels.js";
import { GOVERNOR_DEFAULTS } from "../core/threadGovernor.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { runChild } from "./child.js";
import { startCpuLoad, type CpuLoad } from "./cpuLoad.js";
import type { BenchEnv } from "./env.js";
import { repoRoot } from "./benchModels.js";
import { pseudoWords } from "./prompts.js";
import { pairedRatio, ratio, round, roundSummary, summarize, type Summary } from "./stats.js";
import { timedDecode, timedTokens } from "./timedDecode.js";

/** node-llama-cpp's thread cap without a `maxThreads` (Llama.js: max(4, math cores) on a CPU). */
const LIBRARY_MIN_THREADS = 4;
/** The product-default row. */
export const GOVERNOR_LABEL = "product default (governor)";

export interface LoadChildSpec {
  kind: "load";
  model: string;
  modelId: string;
  /** A chat question (real model) or pseudo-words (random-weight bench model). */
  question: string;
  phases: number;
  repsPerPhase: number;
  maxTokens: number;
  capSeconds: number;
}

export interface LoadSetting {
  label: string;
  /** Thread count asked for; null: the governor. */
  threads: number | null;
  quiet: Summary;
  loaded: Summary;
  /** Median / the best setting's median, per condition. */
  quietVsBest: number;
  loadedVsBest: number;
  capped: number;
}

export interface LoadModelResult {
  model: string;
  ceiling: number;
  libraryThreads: number;
  maxTokens: number;
  repsPerPhase: number;
  phases: string[];
  settings: LoadSetting[];
  bestQuiet: string;
  bestLoaded: string;
  /** Threads of each governor answer, per phase. */
  governorThreads: number[][];
  /** Governor decisions that changed the count. */
  governorChanges: string[];
  /**
   * Median of per-answer ratios governor / best fixed setting, each governor answer paired with
   * the best setting's answer of the same round (adjacent in time): drift of the shared machine
   * cancels, which the ratio of medians keeps.
   */
  pairedVsBest: { quiet: number; loaded: number };
  /** The goal: the governor's median ≥ 80% of the best fixed setting's, in both conditions. */
  goalMet: boolean;
}

export interface LoadResult {
  note: string;
  models: LoadModelResult[];
}

const REAL_QUESTION = "Explain in a few sentences how a hash map handles collisions, with a short example in Python.";

export async function runLoad(env: BenchEnv): Promise<LoadResult> {
  const base = { kind: "load" as const, phases: 4, repsPerPhase: env.quick ? 4 : 5, maxTokens: 48, capSeconds: env.quick ? 2 : 5 };
  const models: LoadModelResult[] = [];
  const specs: LoadChildSpec[] = [{ ...base, model: env.student.path, modelId: env.student.id, question: pseudoWords(24, 700).join(" ") }];
  const real = await ensureRealModels(repoRoot());
  specs.push({ ...base, model: real.smollm2, modelId: "SmolLM2-135M-Instruct Q4_1", question: REAL_QUESTION });
  for (const spec of specs) {
    env.progress(`  load: ${spec.modelId}`);
    models.push(await runChild<LoadModelResult>(env.childCommand, spec, (line) => env.progress(`  ${line}`)));
  }
  return {
    note: "the load is a busy loop on one core in a child process; the machine (2 vCPUs) is shared with other jobs, so 'quiet' means without our load, not idle",
    models,
  };
}

interface Fixed {
  label: string;
  threads: number;
  context: LlamaContext;
}

/** In the child: loads the student (product default), runs the phases, stops the load whatever happens. */
export async function loadChild(spec: LoadChildSpec): Promise<LoadModelResult> {
  const student = await LlamaStudent.load({ model: spec.model, gpu: "cpu", contextSize: 512, sequences: 1 });
  const llama = student.handle.llama;
  const governor = student.governor;
  if (!governor) throw new Error("the product default has no thread governor");
  const ceiling = governor.ceiling;
  const libraryThreads = Math.max(LIBRARY_MIN_THREADS, llama.cpuMathCores);
  const task = { user: spec.question };
  const prompt: Token[] = student.promptTokens(task);
  const fixed: Fixed[] = [];
  let load: CpuLoad | undefined;
  try {
    // Fixed settings: plain node-llama-cpp contexts on the same weights, asked for at the library's cap.
    llama.maxThreads = libraryThreads;
    for (const [label, threads] of [["1 thread", 1], ["2 threads", 2], [`library default (${libraryThreads})`, null]] as const) {
      const context = await student.model.createContext({ contextSize: 512, sequences: 1, ...(threads === null ? {} : { threads }) });
      fixed.push({ label, threads: context.idealThreads, context });
    }
    const labels = [GOVERNOR_LABEL, ...fixed.map((f) => f.label)];
    const speeds = new Map<string, { quiet: number[]; loaded: number[] }>(labels.map((l) => [l, { quiet: [], loaded: [] }]));
    const capped = new Map<string, number>();
    const phases: string[] = [];
    const governorThreads: number[][] = [];
    const governorChanges: string[] = [];
    let last = governor.current;
    for (let p = 0; p < spec.phases; p++) {
      const loaded = p % 2 === 1;
      phases.push(loaded ? "loaded" : "quiet");
      if (loaded) load = startCpuLoad(300);
      const threadsThisPhase: number[] = [];
      for (let rep = 0; rep < spec.repsPerPhase; rep++) {
        const order = labels.map((_, i) => labels[(i + rep + p) % labels.length]);
        for (const label of order) {
          let run: { tokensPerSecond: number; capped: boolean };
          if (label === GOVERNOR_LABEL) {
            const midBefore = student.midAnswer.length;
            const hintsBefore = student.hints.length;
            const answer = await governed(student, task, spec);
            run = answer;
            threadsThisPhase.push(answer.threads);
            const where = `${phases[p]} phase ${p + 1}, answer ${rep + 1}`;
            const hinted = student.hints.slice(hintsBefore).map((h) => h.decision);
            if (hinted.length > 0) governorChanges.push(`${where}: ${last} → ${answer.threads} before the answer (${hinted.join(", ")})`);
            last = answer.threads;
            const mid = student.midAnswer.slice(midBefore).map((m) => `→ ${m.threads} mid-answer (${m.decision})`);
            if (mid.length > 0) governorChanges.push(`${where}: ${last} ${mid.join(" ")}`);
            const during = mid.length > 0 ? student.midAnswer[student.midAnswer.length - 1].threads : last;
            if (student.threads !== during) {
              governorChanges.push(`${where}: next answer ${student.threads} (${student.lastDecode?.step.decision})`);
            }
            last = student.threads;
          } else {
            const f = fixed.find((x) => x.label === label)!;
            llama.maxThreads = f.threads;
            run = await plain(f.context, prompt, spec);
          }
          speeds.get(label)![loaded ? "loaded" : "quiet"].push(run.tokensPerSecond);
          if (run.capped) capped.set(label, (capped.get(label) ?? 0) + 1);
          process.stderr.write(`load: ${spec.modelId} ${phases[p]} ${label}: ${run.tokensPerSecond.toFixed(1)} tok/s${run.capped ? " (capped)" : ""}\n`);
        }
      }
      governorThreads.push(threadsThisPhase);
      await load?.stop();
      load = undefined;
    }
    const rows = labels.map((label) => ({ label, quiet: summarize(speeds.get(label)!.quiet), loaded: summarize(speeds.get(label)!.loaded) }));
    const fixedRows = rows.slice(1);
    const bestQuiet = fixedRows.reduce((a, b) => (b.quiet.median > a.quiet.median ? b : a));
    const bestLoaded = fixedRows.reduce((a, b) => (b.loaded.median > a.loaded.median ? b : a));
    const settings: LoadSetting[] = rows.map((r) => ({
      label: r.label,
      threads: r.label === GOVERNOR_LABEL ? null : fixed.find((f) => f.label === r.label)!.threads,
      quiet: roundSummary(r.quiet, 1),
      loaded: roundSummary(r.loaded, 1),
      quietVsBest: round(ratio(r.quiet.median, bestQuiet.quiet.median), 3),
      loadedVsBest: round(ratio(r.loaded.median, bestLoaded.loaded.median), 3),
      capped: capped.get(r.label) ?? 0,
    }));
    const gov = settings[0];
    const govSpeeds = speeds.get(GOVERNOR_LABEL)!;
    const pairedVsBest = {
      quiet: round(pairedRatio(govSpeeds.quiet, speeds.get(bestQuiet.label)!.quiet), 3),
      loaded: round(pairedRatio(govSpeeds.loaded, speeds.get(bestLoaded.label)!.loaded), 3),
    };
    return {
      model: spec.modelId,
      ceiling,
      libraryThreads,
      maxTokens: spec.maxTokens,
      repsPerPhase: spec.repsPerPhase,
      phases,
      settings,
      bestQuiet: bestQuiet.label,
      bestLoaded: bestLoaded.label,
      governorThreads,
      governorChanges,
      pairedVsBest,
      goalMet: gov.quietVsBest >= 0.8 && gov.loadedVsBest >= 0.8,
    };
  } finally {
    await load?.stop();
    for (const f of fixed) await f.context.dispose();
    await student.dispose();
  }
}

/** The governor ignores answers with fewer decoded tokens: its answers run at least this far. */
const GOVERNOR_MIN_TOKENS = GOVERNOR_DEFAULTS.minTokens + 1;

async function governed(student: LlamaStudent, task: { user: string }, spec: LoadChildSpec) {
  const session = await student.openSession(task, { probabilities: false, temperature: 0 });
  // Opening applied the governor's count (and any hint taken before the answer).
  const threads = student.threads;
  try {
    // The product has no cap: an answer too short to measure would leave the governor blind.
    return { threads, ...(await timedDecode(async () => (await session.next()) !== null, { maxTokens: spec.maxTokens, capMs: spec.capSeconds * 1000, minTokens: GOVERNOR_MIN_TOKENS })) };
  } finally {
    await session.dispose();
  }
}

async function plain(context: LlamaContext, prompt: Token[], spec: LoadChildSpec) {
  const sequence = context.getSequence();
  try {
    return await timedTokens(sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true }), { maxTokens: spec.maxTokens, capMs: spec.capSeconds * 1000 });
  } finally {
    sequence.dispose();
  }
}
