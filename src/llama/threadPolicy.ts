/**
 * How many CPU threads each of the student's answers decodes with: a fixed count when the user
 * set one, else the thread governor's count, adapted per answer (and mid-answer) from the
 * decode speeds the answers get and from what other processes use of the cores.
 *
 * The student makes one policy and hands it to every session it opens; a session reports its
 * decode speed to the policy (begin, check, end) and never calls back into the student.
 * node-llama-cpp splits `llama.maxThreads` among running evaluations and re-reads it before every
 * decode batch, so a count set here applies from the next token.
 */
import type { Llama } from "node-llama-cpp";
import type { Logger } from "../core/logger.js";
import { startThreads, ThreadGovernor, type DecodeSample, type GovernorStep } from "../core/threadGovernor.js";
import { otherCpuMeter } from "./otherCpu.js";
import { machineLoad } from "./threads.js";

export interface ThreadPolicy {
  /** The count the next answer starts with. */
  readonly current: number;
  /**
   * An answer starts: the count it runs with, or undefined when it shares the CPU with another
   * answer (its speed then says nothing about the machine, and it is not measured).
   */
  begin(): number | undefined;
  /** Mid-answer, its decode steps so far at `sample.threads`: the count for the rest of the answer when it changes. */
  check(sample: DecodeSample): number | undefined;
  /** An answer ended with this sample (its decode steps since the last change). */
  end(sample: DecodeSample): void;
  /** The model is being unloaded: later samples are ignored. */
  stop(): void;
}

/** An explicit thread count: used as is, nothing measured. */
export class FixedThreads implements ThreadPolicy {
  constructor(readonly current: number) {}
  begin(): number {
    return this.current;
  }
  check(): undefined {
    return undefined;
  }
  end(): void {}
  stop(): void {}
}

export interface AdaptiveThreadsOptions {
  /** The shared runtime whose thread cap is set. */
  llama: Llama;
  /** The most threads an answer may use (the context's ideal count). */
  ceiling: number;
  /** Answers running now, this one included (the sequence pool's leases). */
  running: () => number;
  /** The 1-minute load average the first count is chosen against (default: this machine's now; 0: start at the ceiling). */
  loadAverage?: number;
  /** Cores other processes used since the last call (default: measured from the OS); false: no hints. */
  otherCores?: (() => number) | false;
  log: Logger;
}

/** The thread governor applied to the shared runtime, with the diagnostics benches and tests read. */
export class AdaptiveThreads implements ThreadPolicy {
  readonly governor: ThreadGovernor;
  /** The last answer's decode sample and the governor's step on it. */
  lastDecode: { sample: DecodeSample; step: GovernorStep } | undefined;
  /** Mid-answer changes since the student loaded. */
  readonly midAnswer: GovernorStep[] = [];
  /** Changes from the CPU hints before answers since the student loaded. */
  readonly hints: GovernorStep[] = [];
  private readonly cores: number;
  private readonly otherCores: (() => number) | undefined;
  private stopped = false;

  constructor(private readonly options: AdaptiveThreadsOptions) {
    const ceiling = Math.max(1, options.ceiling);
    const machine = machineLoad();
    this.cores = machine.cores;
    if (options.otherCores !== false) this.otherCores = options.otherCores ?? otherCpuMeter();
    const loadAverage = options.loadAverage ?? machine.loadAverage;
    const start = startThreads(ceiling, machine.cores, loadAverage);
    this.governor = new ThreadGovernor({ maxThreads: ceiling, startThreads: start });
    if (start < ceiling) options.log.info(`student threads start at ${start} of ${ceiling}: load average ${loadAverage.toFixed(1)} on ${machine.cores} core(s)`);
  }

  get current(): number {
    return this.governor.current;
  }

  /**
   * Applies the governor's count to the shared runtime's cap when this answer is the only one
   * running: a cap lowered under a running decode would starve it.
   */
  begin(): number | undefined {
    if (this.options.running() > 1) return undefined;
    const others = this.otherCores?.();
    if (others !== undefined) {
      const before = this.governor.current;
      const step = this.governor.hint(this.cores - others);
      if (step) {
        keepRecent(this.hints, step);
        this.options.log.info(`student threads ${before} → ${step.threads} (${step.decision}: other processes used ${others.toFixed(2)} of ${this.cores} cores since the last answer)`);
      }
    }
    const llama = this.options.llama;
    if (llama.maxThreads !== this.governor.current) llama.maxThreads = this.governor.current;
    return this.governor.current;
  }

  check(sample: DecodeSample): number | undefined {
    if (this.stopped || this.options.running() > 1) return undefined;
    const step = this.governor.check(sample);
    if (!step) return undefined;
    keepRecent(this.midAnswer, step);
    this.options.llama.maxThreads = step.threads;
    this.logStep(sample, step, " mid-answer");
    return step.threads;
  }

  end(sample: DecodeSample): void {
    if (this.stopped) return;
    const step = this.governor.record(sample);
    this.lastDecode = { sample, step };
    this.logStep(sample, step, "");
  }

  stop(): void {
    this.stopped = true;
  }

  private logStep(sample: DecodeSample, step: GovernorStep, when: string): void {
    const speed = (v: number | undefined) => (v === undefined ? "?" : v.toFixed(1));
    const what = `${sample.tokens} tokens decoded at ${speed(step.tokensPerSecond)} tokens/s with ${sample.threads} thread(s); judged against ${speed(step.reference)}`;
    if (step.threads !== sample.threads) this.options.log.info(`student threads ${sample.threads} → ${step.threads}${when} (${step.decision}: ${what})`);
    else this.options.log.debug(`student threads kept at ${step.threads} (${step.decision}: ${what})`);
  }
}

/** Appends to a diagnostic list that a long-lived student keeps: only the most recent entries. */
function keepRecent<T>(list: T[], item: T, limit = 1000): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}
