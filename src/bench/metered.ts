/**
 * A Student wrapper that records, for every step of every session, how many tokens the student
 * evaluated and how long the step took, and whether text had been spliced in just before it
 * (the step that pays for a relay). It changes nothing else.
 */
import type { SessionOptions, StudentSession, StudentStep } from "../core/models.js";
import type { TaskPrompt } from "../core/prompts.js";
import { WrappedStudent } from "./wrappedStudent.js";

export interface StepRecord {
  /** Tokens evaluated by this step (the fed tokens; the sampled one is evaluated by the next step). */
  evaluated: number;
  ms: number;
  /** Student tokens spliced in (teacher text) right before this step; 0 for a plain decode step. */
  spliced: number;
  /** The first step of the session (evaluates the prompt). */
  first: boolean;
}

export interface SessionRecord {
  promptTokens: number;
  openMs: number;
  steps: StepRecord[];
  evaluatedTokens: number;
}

export class MeteredStudent extends WrappedStudent {
  readonly sessions: SessionRecord[] = [];

  async openSession(task: TaskPrompt, options: SessionOptions): Promise<StudentSession> {
    const t0 = performance.now();
    const session = await this.inner.openSession(task, options);
    const record: SessionRecord = { promptTokens: session.promptTokens, openMs: performance.now() - t0, steps: [], evaluatedTokens: 0 };
    this.sessions.push(record);
    return new MeteredSession(session, record);
  }
}

class MeteredSession implements StudentSession {
  private spliced = 0;

  constructor(
    private readonly inner: StudentSession,
    private readonly record: SessionRecord,
  ) {}

  get promptTokens(): number {
    return this.inner.promptTokens;
  }
  get evaluatedTokens(): number {
    return this.inner.evaluatedTokens;
  }
  get contextFull(): boolean | undefined {
    return this.inner.contextFull;
  }

  async next(): Promise<StudentStep | null> {
    const before = this.inner.evaluatedTokens;
    const spliced = this.spliced;
    this.spliced = 0;
    const t0 = performance.now();
    const step = await this.inner.next();
    const ms = performance.now() - t0;
    this.record.steps.push({ evaluated: this.inner.evaluatedTokens - before, ms, spliced, first: this.record.steps.length === 0 });
    this.record.evaluatedTokens = this.inner.evaluatedTokens;
    return step;
  }
  discardLast(): void {
    this.inner.discardLast();
  }
  append(text: string): number {
    const n = this.inner.append(text);
    this.spliced += n;
    return n;
  }
  async dispose(): Promise<void> {
    await this.inner.dispose();
    this.record.evaluatedTokens = this.inner.evaluatedTokens;
  }
}
