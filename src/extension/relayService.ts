/** Runs one relay with the window's student, the configured teacher, policy and budget. */
import { internalError } from "../core/errors.js";
import { runRelay, type RelayEvent, type RelayResult } from "../core/controller.js";
import type { Logger } from "../core/logger.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { BudgetService } from "./budgetService.js";
import type { RoutingService } from "./routingService.js";
import { capTeacher } from "../editor/teacherCap.js";
import { timers } from "../editor/inlineJob.js";
import { readConfig } from "./config.js";
import { configuredRelayOptions } from "./relayOptions.js";
import type { InlineModelService } from "./inlineModelService.js";
import type { StudentService, StudentUse } from "./studentService.js";
import type { TeacherService } from "./teacherService.js";

export interface RelayJob {
  task: TaskPrompt;
  signal: AbortSignal;
  onEvent?: (event: RelayEvent) => void;
  maxTokens?: number;
  /** false: never ask the teacher for this job. */
  allowTeacher?: boolean;
  /** A latency cap on each teacher call (ghost text): a call that misses it fails, the student goes on. */
  teacherTimeoutMs?: number;
}

export class RelayService {
  constructor(
    private readonly student: StudentService,
    private readonly teacher: TeacherService,
    private readonly budget: BudgetService,
    private readonly routing: RoutingService,
    private readonly inline: InlineModelService,
    private readonly log: Logger,
  ) {}

  /**
   * What decides an inline completion besides the text: the loaded model and every setting
   * (the inline cache is scoped to it); undefined while no model is loaded.
   */
  inlineScope(): string | undefined {
    const serving = this.inline.serving();
    if (!serving) return undefined;
    return JSON.stringify([serving.role, serving.model.path, readConfig(), this.teacher.state().kind]);
  }

  /** The model that writes inline completions, when it is loaded (for the log): "qwen.gguf (inline model)". */
  inlineModelName(): string | undefined {
    const serving = this.inline.serving();
    return serving && `${serving.model.path.split(/[\\/]/).pop()} (${serving.role === "inline" ? "inline model" : "the student"})`;
  }

  /** The model that writes ghost text: its tokenizer and context size (undefined while none is loaded). */
  inlineTokens(): { count: (text: string) => number; contextSize: number } | undefined {
    const serving = this.inline.serving();
    return serving && { count: (text) => serving.model.countTokens(text), contextSize: serving.model.context.contextSize };
  }

  /** Runs the job, loading the student first if needed. */
  async run(job: RelayJob): Promise<RelayResult> {
    const result = await this.student.use<RelayResult>({ signal: job.signal, settled: (r) => r.released }, (use) => this.relay(job, use));
    if (!result) throw internalError("the student was not loaded for a job that loads it.");
    return result;
  }

  /**
   * An inline completion: runs on the model that writes ghost text (relay.inline.model, or the
   * student), only if it is loaded already; undefined otherwise.
   */
  runInline(job: RelayJob): Promise<RelayResult | undefined> {
    return this.inline.use<RelayResult>({ signal: job.signal, settled: (r) => r.released }, (use) => this.relay(job, use));
  }

  private async relay(job: RelayJob, { student, signal, tagMemory }: StudentUse): Promise<RelayResult> {
    const config = readConfig();
    const current = job.allowTeacher === false ? undefined : await this.teacher.forRequest();
    const teacher = current && job.teacherTimeoutMs ? capTeacher(current, job.teacherTimeoutMs, timers) : current;
    const chosen = await this.routing.policy(config, student, tagMemory ?? this.student.tagMemory);
    const result = await runRelay({
      task: job.task,
      student,
      teacher,
      budget: teacher ? this.budget : undefined,
      breaker: this.teacher.breaker,
      policy: chosen.policy,
      ...configuredRelayOptions(config, job.maxTokens),
      signal,
      onEvent: job.onEvent,
      logger: this.log,
    });
    const s = result.stats;
    // Only answers that could ask the teacher say what share it wrote.
    if (teacher) await this.routing.record(student, chosen, s).catch((error: unknown) => this.log.warn(`teacher share: ${String(error)}`));
    this.log.info(`answer: ${s.generatedTokens} tokens, ${s.calls} teacher call(s), call ratio ${(s.callRatio * 100).toFixed(2)}%, ${s.durationMs} ms, stop ${s.stopReason}`);
    return result;
  }
}
