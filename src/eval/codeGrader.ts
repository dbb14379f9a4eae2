/**
 * Grading by execution: an answer to a code item is right when the item's tests pass with it
 * (HumanEval's `check(entry_point)` exits cleanly), run in the sandbox (sandbox.ts), several
 * programs at once. A single-line infill answer is also compared with the masked line (exact
 * match, whitespace normalized). An infill item without tests (the repository-context set) is
 * graded by exact match alone: its verdict is its exact match. A program that fails to run, loops or breaks a limit fails its
 * item only; a sandbox that cannot start at all is an error for the whole batch.
 */
import { availableParallelism } from "node:os";
import { abortError } from "../core/errors.js";
import { extractFunctionCompletion, extractLine, normalizeLine } from "./codeExtract.js";
import { programOf, type CodeTask } from "./codeTask.js";
import type { GraderVerdict } from "./grader.js";
import { CodeSandbox, DEFAULT_SANDBOX_LIMITS, type SandboxLimits, type SandboxOptions } from "./sandbox.js";

export interface CodePair {
  response: string;
  /** The masked line (line items), or the canonical solution. */
  gold: string;
  task: CodeTask;
}

export interface CodeVerdict extends GraderVerdict {
  /** Line items: the extracted line equals the masked one, whitespace normalized. */
  exactMatch?: boolean;
}

/** Grades code answers; one interface so tests can stand in for the sandbox-backed one. */
export interface CodeGrader {
  gradeAll(pairs: readonly CodePair[], signal?: AbortSignal): Promise<CodeVerdict[]>;
}

export interface ExecutionGraderOptions extends SandboxOptions {
  limits?: Partial<SandboxLimits>;
  /** Programs run at once (default: the CPUs available, at most 4). */
  workers?: number;
}

/** The completion that continues the item's prompt in the program. */
export function completionOf(response: string, task: CodeTask): string {
  return task.kind === "line" ? extractLine(response) : extractFunctionCompletion(response, task);
}

/** An item without tests: right when its line is the masked one (nothing runs). */
function exactVerdict(response: string, gold: string): CodeVerdict {
  const line = extractLine(response);
  const exactMatch = normalizeLine(line) === normalizeLine(gold);
  return { correct: exactMatch, extracted: line.trim() === "" ? null : line, exactMatch };
}

/** Grades sets whose items all lack tests: exact match only, no sandbox needed. */
export const exactMatchGrader: CodeGrader = {
  async gradeAll(pairs, signal) {
    if (signal?.aborted) throw abortError();
    return pairs.map(({ response, gold, task }) => {
      if (!task.exactOnly) throw new Error("exactMatchGrader: an item with tests needs the execution grader");
      return exactVerdict(response, gold);
    });
  },
};

/** Whether grading these tasks runs programs (so needs the sandbox). */
export function needsSandbox(tasks: Iterable<CodeTask>): boolean {
  for (const task of tasks) if (!task.exactOnly) return true;
  return false;
}

export class ExecutionGrader implements CodeGrader {
  private constructor(
    private readonly sandbox: CodeSandbox,
    private readonly limits: SandboxLimits,
    private readonly workers: number,
  ) {}

  /** Checks the sandbox first: a machine that cannot run it fails here, before any answer is made. */
  static async create(options: ExecutionGraderOptions = {}): Promise<ExecutionGrader> {
    const sandbox = await CodeSandbox.create(options);
    return new ExecutionGrader(sandbox, { ...DEFAULT_SANDBOX_LIMITS, ...options.limits }, options.workers ?? Math.min(4, availableParallelism()));
  }

  async gradeAll(pairs: readonly CodePair[], signal?: AbortSignal): Promise<CodeVerdict[]> {
    const verdicts: CodeVerdict[] = new Array(pairs.length);
    let next = 0;
    const worker = async () => {
      while (next < pairs.length) {
        if (signal?.aborted) throw abortError();
        const i = next++;
        verdicts[i] = await this.grade(pairs[i], signal);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.workers, pairs.length)) }, worker));
    return verdicts;
  }

  private async grade({ response, gold, task }: CodePair, signal?: AbortSignal): Promise<CodeVerdict> {
    if (task.exactOnly) return exactVerdict(response, gold);
    const completion = completionOf(response, task);
    const extracted = task.kind === "line" ? completion : completion.trim() || null;
    const exact = task.kind === "line" ? { exactMatch: normalizeLine(completion) === normalizeLine(gold) } : {};
    if (task.kind === "line" ? completion.trim() === "" : extracted === null) return { correct: false, extracted: null, ...exact };
    const run = await this.sandbox.run(programOf(task, completion), this.limits, signal);
    return { correct: run.status === "ok" && run.exitCode === 0, extracted, ...exact };
  }
}
