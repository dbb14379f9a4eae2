/** What every benchmark gets: the models, the thread count, the scale, and a progress log. */
import type { Logger } from "../core/logger.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import type { BenchModel } from "./benchModels.js";

export interface BenchEnv {
  /** Smaller model and fewer repetitions. */
  quick: boolean;
  /** The student: the 0.6B-class model, or the quick one. */
  student: BenchModel;
  /** The local teacher of the relay benchmark. */
  teacher: BenchModel;
  /** CPU threads for every context (always explicit: oversubscription collapses throughput). */
  threads: number;
  /** How a child process of this benchmark is started: executable and leading arguments. */
  childCommand: { command: string; args: string[] };
  /** Progress lines (stderr). */
  progress: (line: string) => void;
  logger: Logger;
}

export function loadStudent(env: BenchEnv, options: { contextSize: number; sequences: number; model?: BenchModel }): Promise<LlamaStudent> {
  return LlamaStudent.load({
    model: (options.model ?? env.student).path,
    gpu: "cpu",
    threads: env.threads,
    contextSize: options.contextSize,
    sequences: options.sequences,
    logger: env.logger,
  });
}

export const now = (): number => performance.now();

/** Milliseconds since `t0` (a `now()` value). */
export const since = (t0: number): number => performance.now() - t0;
