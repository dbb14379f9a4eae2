/** Runs one relay with the window's student, the configured teacher, policy and budget. */
import { runRelay, type RelayEvent, type RelayResult } from "../core/controller.js";
import type { Logger } from "../core/logger.js";
import { createPolicy } from "../core/policies.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { BudgetService } from "./budgetService.js";
import { readConfig } from "./config.js";
import type { StudentService } from "./studentService.js";
import type { TeacherService } from "./teacherService.js";

export interface RelayJob {
  task: TaskPrompt;
  signal: AbortSignal;
  onEvent?: (event: RelayEvent) => void;
  maxTokens?: number;
  /** false: never ask the teacher for this job. */
  allowTeacher?: boolean;
}

export class RelayService {
  constructor(
    private readonly student: StudentService,
    private readonly teacher: TeacherService,
    private readonly budget: BudgetService,
    private readonly log: Logger,
  ) {}

  async run(job: RelayJob): Promise<RelayResult> {
    const config = readConfig();
    const student = await this.student.get();
    if (job.allowTeacher !== false) await this.teacher.prepare();
    const teacher = job.allowTeacher === false ? undefined : this.teacher.current();
    const result = await runRelay({
      task: job.task,
      student,
      teacher,
      budget: teacher ? this.budget : undefined,
      policy: createPolicy(config.policy, { threshold: config.confidence.threshold, spanTokens: config.confidence.spanTokens }, this.student.tagMemory),
      limits: {
        maxTokens: job.maxTokens ?? config.maxTokens,
        maxCallsPerAnswer: config.maxCallsPerAnswer,
        maxSpanTokens: config.maxSpanTokens,
        maxContextTokens: config.teacher.maxContextTokens,
      },
      pricing: { inputPerMillion: config.teacher.inputPricePerMillion, outputPerMillion: config.teacher.outputPricePerMillion },
      signal: job.signal,
      onEvent: job.onEvent,
      logger: this.log,
    });
    const s = result.stats;
    this.log.info(`answer: ${s.generatedTokens} tokens, ${s.calls} teacher call(s), call ratio ${(s.callRatio * 100).toFixed(2)}%, ${s.durationMs} ms, stop ${s.stopReason}`);
    return result;
  }
}
