/**
 * Benchmark 5 — memory: chat + inline sharing one loaded model (one LlamaStudent, two
 * sequences, two concurrent requests) against two separate loads (two LlamaStudents of one
 * sequence each, one request on each, concurrently), each in its own child process so that
 * their peaks do not mix; plus a child that only starts llama.cpp, for the runtime's own share.
 */
import { readFileSync } from "node:fs";
import { runRelay } from "../core/controller.js";
import { createPolicy } from "../core/policies.js";
import { getSharedLlama } from "../llama/llama.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { runChild } from "./child.js";
import type { BenchEnv } from "./env.js";
import { taskOfLength } from "./prompts.js";
import { ratio, round } from "./stats.js";

export type MemoryMode = "baseline" | "shared" | "separate";

export interface MemoryChildSpec {
  kind: "memory";
  mode: MemoryMode;
  model: string;
  threads: number;
  contextSize: number;
  promptTokens: number;
  maxTokens: number;
}

export interface MemorySample {
  mode: MemoryMode;
  /** Peak resident set (VmHWM): what the issue asks for. */
  peakRssBytes: number;
  /** At the end, models still loaded: resident set, split into anonymous and file-backed (mmap'd weights). */
  rssBytes: number;
  rssAnonBytes: number;
  rssFileBytes: number;
  /**
   * Proportional set size at the end: a page mapped twice counts once. Two mmaps of one model
   * file double the RSS of its weights but not the physical memory they take.
   */
  pssBytes: number | null;
  loads: number;
  sequences: number;
  requests: number;
  generatedTokens: number[];
  wallMs: number;
}

export interface MemoryResult {
  model: string;
  modelBytes: number;
  threads: number;
  contextSize: number;
  baseline: MemorySample;
  shared: MemorySample;
  separate: MemorySample;
  /** separate / shared peak RSS. */
  peakRatio: number;
  /** separate − shared peak RSS. */
  savedBytes: number;
  /** The same for PSS (physical share). */
  pssRatio: number | null;
}

export async function runMemory(env: BenchEnv): Promise<MemoryResult> {
  const base = { kind: "memory" as const, model: env.student.path, threads: env.threads, contextSize: 1024, promptTokens: 256, maxTokens: 16 };
  const run = (mode: MemoryMode) => runChild<MemorySample>(env.childCommand, { ...base, mode } satisfies MemoryChildSpec, (line) => env.logger.debug(`child: ${line}`));
  const baseline = await run("baseline");
  const shared = await run("shared");
  env.progress(`  memory: shared peak ${(shared.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  const separate = await run("separate");
  env.progress(`  memory: separate peak ${(separate.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  return {
    model: env.student.id,
    modelBytes: env.student.bytes,
    threads: env.threads,
    contextSize: base.contextSize,
    baseline,
    shared,
    separate,
    peakRatio: round(ratio(separate.peakRssBytes, shared.peakRssBytes), 3),
    savedBytes: separate.peakRssBytes - shared.peakRssBytes,
    pssRatio: shared.pssBytes && separate.pssBytes ? round(ratio(separate.pssBytes, shared.pssBytes), 3) : null,
  };
}

/** In the child process. */
export async function memoryChild(spec: MemoryChildSpec): Promise<MemorySample> {
  const t0 = performance.now();
  const students: LlamaStudent[] = [];
  const generated: number[] = [];
  let sequences = 0;
  if (spec.mode === "baseline") {
    await getSharedLlama({ gpu: "cpu", threads: spec.threads });
  } else {
    const load = (sequences: number) => LlamaStudent.load({ model: spec.model, gpu: "cpu", threads: spec.threads, contextSize: spec.contextSize, sequences });
    if (spec.mode === "shared") students.push(await load(2));
    else students.push(await load(1), await load(1));
    sequences = 2;
    const tasks = [0, 1].map((i) => taskOfLength(spec.promptTokens, 500 + i, (t) => students[0].promptTokens(t).length));
    // Chat and inline at the same time: one request per sequence.
    const results = await Promise.all(
      tasks.map((task, i) =>
        runRelay({ task, student: students[spec.mode === "shared" ? 0 : i], policy: createPolicy("student-only"), limits: { maxTokens: spec.maxTokens } }),
      ),
    );
    generated.push(...results.map((r) => r.stats.generatedTokens));
  }
  const status = procStatus();
  const sample: MemorySample = {
    mode: spec.mode,
    peakRssBytes: Math.max(status.VmHWM ?? 0, process.resourceUsage().maxRSS * 1024),
    rssBytes: status.VmRSS ?? NaN,
    rssAnonBytes: status.RssAnon ?? NaN,
    rssFileBytes: status.RssFile ?? NaN,
    pssBytes: pss(),
    loads: students.length,
    sequences,
    requests: generated.length,
    generatedTokens: generated,
    wallMs: Math.round(performance.now() - t0),
  };
  for (const s of students) await s.dispose();
  return sample;
}

/** /proc/self/status sizes, in bytes. */
function procStatus(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of readFileSync("/proc/self/status", "utf8").split("\n")) {
      const m = /^(\w+):\s+(\d+) kB/.exec(line);
      if (m) out[m[1]] = Number(m[2]) * 1024;
    }
  } catch {
    // not Linux
  }
  return out;
}

function pss(): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync("/proc/self/smaps_rollup", "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
