/**
 * The relay controller: drives the student token by token, asks the teacher for a span when
 * the policy says so, splices the teacher's text into the student's context, and records
 * what happened as labelled spans.
 */

import { TeacherBreaker } from "./breaker.js";
import { SETTING_DEFAULTS } from "./defaults.js";
import type { BudgetGate } from "./budgetGate.js";
import { abortError, abortReason, errorMessage, isAbortError, isRelayError } from "./errors.js";
import type { Logger } from "./logger.js";
import { silentLogger } from "./logger.js";
import type { Student, StudentSession, Teacher, TeacherReply } from "./models.js";
import type { TriggerPolicy } from "./policies.js";
import type { TaskPrompt } from "./prompts.js";
import type { RelayStats, Span, StopReason, TeacherPricing, TeacherUsage } from "./spans.js";
import { SpanRecorder, type CallFields, type RelayEvent } from "./spanRecorder.js";
import { answerText, computeStats, reasoningText } from "./spans.js";
import { redact as redactSecrets } from "./redact.js";
import { TagScanner, visibleText } from "./tagScanner.js";
import { buildTeacherContext, cutMiddle, promptRoom } from "./teacherContext.js";
import { teacherView } from "./teacherHistory.js";
import { receivedBefore, serverTook, TeacherCharge } from "./teacherCharge.js";
import { ThoughtSplitter } from "./thoughts.js";

export type { RelayEvent } from "./spanRecorder.js";

export interface RelayLimits {
  /** All generated tokens (student + teacher) per answer. */
  maxTokens: number;
  maxCallsPerAnswer: number;
  maxSpanTokens: number;
  /** Teacher input cap (task prompt + answer so far). */
  maxContextTokens: number;
  /** Earlier turns of the chat a teacher call carries, in tokens at most (src/core/teacherHistory.ts). */
  teacherHistoryTokens: number;
}

/** The product defaults (src/core/defaults.ts), the same in the editor and the `relay` command. */
export const DEFAULT_LIMITS: RelayLimits = {
  maxTokens: SETTING_DEFAULTS.maxTokens,
  maxCallsPerAnswer: SETTING_DEFAULTS.maxCallsPerAnswer,
  maxSpanTokens: SETTING_DEFAULTS.maxSpanTokens,
  maxContextTokens: SETTING_DEFAULTS["teacher.maxContextTokens"],
  teacherHistoryTokens: SETTING_DEFAULTS["teacher.historyTokens"],
};

export interface RelayRequest {
  task: TaskPrompt;
  student: Student;
  /** Absent or paused: the student answers alone and commands are ignored. */
  teacher?: Teacher;
  policy: TriggerPolicy;
  limits?: Partial<RelayLimits>;
  /**
   * The task prompt in the teacher's format; default: the teacher's own rendering when it has
   * one (a local GGUF teacher, a completions API given a template), else the student's template.
   */
  teacherPromptText?: string;
  /** A GBNF grammar for the student's own tokens (see SessionOptions.grammar). */
  grammar?: string;
  budget?: BudgetGate;
  /**
   * Shared across answers (one per teacher): after a connection error, 5xx or timeout the
   * teacher is skipped until its cool-down ends. Default: one for this answer alone.
   */
  breaker?: TeacherBreaker;
  /** Applied to everything sent to the teacher; default: the built-in secret redaction. */
  redact?: (text: string) => string;
  signal?: AbortSignal;
  onEvent?: (event: RelayEvent) => void;
  logger?: Logger;
  pricing?: TeacherPricing;
  temperature?: number;
  seed?: number;
  /**
   * Prefill warming: when the answer starts, send the teacher the (redacted, cut) prompt as a
   * 1-token request its server can cache, so the first real call skips most of the prefill.
   * Only to a teacher that is present (not off or paused), whose server reports cached prompt
   * tokens (Teacher.warmable), within the budget. Default off.
   */
  warmTeacher?: boolean;
}

export interface RelayResult {
  /** The answer the user sees (command tags removed; a thinking model's reasoning left out). */
  text: string;
  /** A thinking model's reasoning, markers removed ("" when there was none). */
  reasoning: string;
  spans: Span[];
  stats: RelayStats;
  /** Settles when the student's sequence has been freed (after an abort it may lag a step). */
  released: Promise<void>;
}

type CallOutcome = "spliced" | "eos" | "refused";

export async function runRelay(request: RelayRequest): Promise<RelayResult> {
  return new RelayRun(request).run();
}

class RelayRun {
  private readonly limits: RelayLimits;
  private readonly log: Logger;
  private readonly t0 = Date.now();
  private readonly recorder: SpanRecorder;
  private readonly scanner: TagScanner;
  private session: StudentSession | undefined;
  /** The answer so far as the teacher continues it: tags removed, reasoning and its markers kept. */
  private visible = "";
  private studentTokens = 0;
  private teacherTokens = 0;
  private calls = 0;
  private malformed = 0;
  private ignored = 0;
  private firstTokenMs: number | null = null;
  private teacherPromptText: string | undefined;
  private teacherTaskCut: TaskPrompt | undefined;
  private teacherViewTask: TaskPrompt | undefined;
  private lateRelease: Promise<void> = Promise.resolve();
  private readonly breaker: TeacherBreaker;
  /** The budget ledger failed: no more teacher calls in this answer. */
  private budgetBroken = false;
  /** The warming request in flight (never rejects). */
  private warming: Promise<void> | undefined;
  private warmed: { calls: number; promptTokens: number; completionTokens: number; cachedPromptTokens: number; charged?: number } | undefined;

  constructor(private readonly req: RelayRequest) {
    this.limits = { ...DEFAULT_LIMITS, ...req.limits };
    this.log = req.logger ?? silentLogger;
    this.scanner = new TagScanner({ maxSpanTokens: this.limits.maxSpanTokens });
    const format = req.student.thoughtFormat?.(req.task);
    this.recorder = new SpanRecorder(this.t0, format ? new ThoughtSplitter(format) : undefined, (event) => this.emit(event));
    this.breaker = req.breaker ?? new TeacherBreaker();
  }

  async run(): Promise<RelayResult> {
    let stop: StopReason;
    let released: Promise<void>;
    try {
      stop = this.req.policy.teacherOnly ? await this.runTeacherOnly() : await this.runStudent();
    } catch (error) {
      if (isAbortError(error)) stop = "aborted";
      else if (isRelayError(error, "model-unloaded")) stop = "model-unloaded";
      else throw error;
    } finally {
      released = this.session ? this.session.dispose() : this.lateRelease;
      // Its reservation settles before the stats are taken.
      await this.warming;
    }
    // A cancelled answer returns at once; its sequence is freed when the step in flight ends.
    if (stop !== "aborted" && stop !== "model-unloaded") await released;
    this.flushScanner();
    this.recorder.closeStudent();
    const spans = this.recorder.spans;
    const stats = computeStats(spans, {
      malformedTags: this.malformed,
      ignoredCalls: this.ignored,
      studentEvaluatedTokens: this.session?.evaluatedTokens ?? 0,
      promptTokens: this.session?.promptTokens ?? 0,
      durationMs: Date.now() - this.t0,
      timeToFirstTokenMs: this.firstTokenMs,
      stopReason: stop,
      pricing: this.req.pricing,
      warming: this.warmed,
    });
    return { text: answerText(spans), reasoning: reasoningText(spans), spans, stats, released };
  }

  private async runStudent(): Promise<StopReason> {
    const { student, task, policy, signal } = this.req;
    // Started before the student's own prompt evaluation, which it overlaps.
    if (this.req.warmTeacher) this.warming = this.warmTeacher();
    const opening = student.openSession(task, {
      signal,
      probabilities: policy.needsProbabilities,
      topK: policy.topK,
      temperature: this.req.temperature,
      seed: this.req.seed,
      grammar: this.req.grammar,
    });
    try {
      this.session = await this.race(opening);
    } catch (error) {
      // Aborted while loading the prompt: free the sequence once it exists.
      this.lateRelease = opening.then((s) => s.dispose(), () => {});
      throw error;
    }
    const session = this.session;
    while (true) {
      if (signal?.aborted) return isRelayError(signal.reason, "model-unloaded") ? "model-unloaded" : "aborted";
      if (this.generated >= this.limits.maxTokens) return "max-tokens";
      const step = await this.race(session.next());
      if (step === null) return session.contextFull ? "context-full" : "eos";
      this.firstTokenMs ??= Date.now() - this.t0;

      const wanted = policy.onToken(step);
      if (wanted !== null && this.canCall()) {
        // The uncertain token is replaced by the teacher's span when one arrives.
        const outcome = await this.callTeacher(wanted, () => session.discardLast());
        if (outcome === "eos") return "teacher-eos";
        if (outcome === "spliced") continue;
      }

      policy.onKept(step);
      this.studentTokens++;
      this.recorder.studentToken();
      let command: number | null = null;
      for (const event of this.scanner.push(step.text)) {
        if (event.type === "text") this.emitStudentText(event.text);
        else if (event.type === "malformed") this.malformed++;
        else if (command === null) command = event.n;
        else this.ignored++;
      }
      if (command !== null) {
        const span = policy.onCommand(command);
        if (span === null || !this.canCall()) {
          this.ignored++;
          continue;
        }
        const outcome = await this.callTeacher(span, () => {});
        if (outcome === "eos") return "teacher-eos";
      }
    }
  }

  /** The teacher-only baseline: the whole answer comes from the teacher, span by span. */
  private async runTeacherOnly(): Promise<StopReason> {
    while (this.generated < this.limits.maxTokens) {
      if (!this.canCall()) return this.calls >= this.limits.maxCallsPerAnswer ? "max-calls" : "error";
      const want = Math.min(this.limits.maxSpanTokens, this.limits.maxTokens - this.generated);
      const outcome = await this.callTeacher(want, () => {});
      if (outcome === "eos") return "teacher-eos";
      if (outcome === "refused") return "error";
    }
    return "max-tokens";
  }

  /** Prefill warming (RelayRequest.warmTeacher): the prompt prefix, no answer yet, 1 token. */
  private async warmTeacher(): Promise<void> {
    const teacher = this.req.teacher;
    if (!teacher?.warm || !teacher.warmable || !this.canCall() || this.req.signal?.aborted) return;
    const context = this.teacherContext(teacher);
    let charge: TeacherCharge | null = null;
    try {
      charge = await this.openCharge(context.tokens, 1, teacher);
      if (!charge) return;
      const reply = await teacher.warm({ task: this.teacherTask(), promptText: context.promptText, answer: context.answer, maxTokens: 1, signal: this.req.signal });
      const usage = charge.usage(reply.usage, 1, 1);
      const charged = await charge.settle({ ...(reply.usage ?? usage), receivedTokens: 0 });
      this.noteWarming(usage.promptTokens, usage.completionTokens, Math.min(usage.promptTokens, reply.usage?.cachedPromptTokens ?? 0), charged);
    } catch (error) {
      // Warming is an optimisation, but a request the server may have prefilled (a timeout, a
      // stream cut off, a cancel in flight) is charged what was sent; one it refused is not.
      if (!serverTook(error) || !charge?.held) await charge?.release();
      else this.noteWarming(context.tokens, 0, 0, await charge.settle({ promptTokens: context.tokens, completionTokens: 0, receivedTokens: 0 }));
      if (!isAbortError(error)) this.log.debug(`teacher warming failed: ${errorMessage(error)}`);
    }
  }

  /** Counts a warming request in the answer's stats. */
  private noteWarming(promptTokens: number, completionTokens: number, cachedPromptTokens: number, charged: number | undefined): void {
    const w = (this.warmed ??= { calls: 0, promptTokens: 0, completionTokens: 0, cachedPromptTokens: 0 });
    if (charged !== undefined) w.charged = (w.charged ?? 0) + charged;
    w.calls++;
    w.promptTokens += promptTokens;
    w.completionTokens += completionTokens;
    w.cachedPromptTokens += cachedPromptTokens;
  }

  /** What is sent to the teacher: its prompt (cut once), the answer so far, both redacted. */
  private teacherContext(teacher: Teacher) {
    const redact = this.req.redact ?? redactSecrets;
    // A task prompt too long for the teacher is cut in the middle (once: prefixes stay identical),
    // after redaction: a cut through a secret (a key whose END line falls in the removed middle)
    // would hide the rest of it from the rules that recognise it whole.
    this.teacherPromptText ??= this.fitPrompt(redact(this.req.teacherPromptText ?? teacher.renderPrompt?.(this.teacherView()) ?? this.req.student.renderPrompt(this.teacherView())));
    return buildTeacherContext(this.teacherPromptText, this.visible, { maxContextTokens: this.limits.maxContextTokens, tokenizer: this.req.student, redact });
  }

  private canCall(): boolean {
    if (!this.req.teacher || this.budgetBroken) return false;
    return this.calls < this.limits.maxCallsPerAnswer && this.breaker.allow();
  }

  private get generated(): number {
    return this.studentTokens + this.teacherTokens;
  }

  /** A reservation for one request; a ledger that fails later stops the teacher for this answer. */
  private openCharge(promptTokens: number, span: number, teacher: Teacher): Promise<TeacherCharge | null> {
    return TeacherCharge.open({ budget: this.req.budget, promptTokens, span, promptOverhead: teacher.promptOverheadTokens, onLedgerError: (error) => this.ledgerFailed(error) });
  }

  /** A ledger that cannot be written cannot guard spend: no teacher for the rest of the answer. */
  private ledgerFailed(error: unknown): void {
    this.budgetBroken = true;
    this.log.error(`budget: ${errorMessage(error)}`);
  }

  /**
   * Asks the teacher for up to `requested` tokens and splices the reply in. `beforeSplice`
   * runs only when text is about to be spliced (to drop a token the teacher replaces).
   */
  private async callTeacher(requested: number, beforeSplice: () => void): Promise<CallOutcome> {
    const teacher = this.req.teacher;
    if (!teacher) return "refused";
    const span = Math.min(requested, this.limits.maxSpanTokens, this.limits.maxTokens - this.generated);
    if (span <= 0) return "refused";
    this.calls++;
    this.recorder.closeStudent();
    const startMs = this.recorder.now();
    const started = Date.now();
    const call = (granted: number): CallFields => ({ startMs, durationMs: Date.now() - started, requested, granted, model: teacher.model });
    const context = this.teacherContext(teacher);

    let charge: TeacherCharge | null;
    try {
      charge = await this.openCharge(context.tokens, span, teacher);
    } catch (error) {
      this.ledgerFailed(error);
      this.recorder.refused("failed-call", call(0), { error: errorMessage(error) });
      return "refused";
    }
    if (!charge) {
      this.recorder.refused("budget-denied", call(0));
      return "refused";
    }
    const granted = charge.granted;
    this.emit({ type: "teacher-start", requested, granted, model: teacher.model });
    // A warming request still prefilling: the call's prefix is not cached yet, and a one-slot
    // server (llama-cpp-python's) would cut the warming short for it. Its rest is shorter than
    // the prefill the call would pay.
    if (this.warming) {
      try {
        await this.race(this.warming);
      } catch (error) {
        await charge.release();
        throw error;
      }
    }

    if (this.req.signal?.aborted) {
      await charge.release();
      throw abortReason(this.req.signal);
    }
    let reply: TeacherReply;
    try {
      reply = await this.race(
        teacher.generate({
          task: this.teacherTask(),
          promptText: context.promptText,
          answer: context.answer,
          maxTokens: granted,
          signal: this.req.signal,
        }),
      );
    } catch (error) {
      // The request was sent: unless the server refused it, it is paid for (see serverTook).
      const usage = serverTook(error) ? await charge.chargeFailed(this.req.student.countTokens(receivedBefore(error))) : undefined;
      if (!usage) await charge.release();
      if (this.req.signal?.aborted) throw abortReason(this.req.signal);
      if (isAbortError(error)) throw abortError();
      if (this.breaker.failure(error)) this.log.warn(`teacher unavailable, the answer goes on without it: ${errorMessage(error)}`);
      else this.log.warn(`teacher call failed: ${errorMessage(error)}`);
      this.recorder.refused("failed-call", call(granted), { usage, error: errorMessage(error) });
      return "refused";
    }

    // A teacher cannot issue commands; some servers also overshoot max_tokens.
    let text = visibleText(reply.text, { maxSpanTokens: this.limits.maxSpanTokens });
    let finish = reply.finish;
    if (this.req.student.countTokens(text) > granted) {
      text = this.req.student.truncateToTokens(text, granted);
      finish = "length";
    }
    this.breaker.success();
    const received = this.req.student.countTokens(text);
    const plausible = charge.usage(reply.usage, received, granted);
    const usage: TeacherUsage = { ...reply.usage, ...plausible, estimated: !reply.usage };
    const charged = await charge.settle({ ...(reply.usage ?? plausible), receivedTokens: received });
    if (charged !== undefined) usage.charged = charged;

    if (text.length === 0 && finish === "eos" && this.req.policy.teacherOnly) return "eos";
    if (text.length === 0) {
      // An empty reply cannot be spliced; the student carries on alone.
      this.recorder.refused("failed-call", call(granted), { usage, error: "The teacher returned an empty reply." });
      return "refused";
    }
    beforeSplice();
    const tokens = this.session ? this.session.append(text) : this.req.student.countTokens(text);
    this.teacherTokens += tokens;
    this.visible += text;
    this.firstTokenMs ??= Date.now() - this.t0;
    this.recorder.teacher(text, tokens, call(granted), { usage, finish }, (piece) => this.req.student.countTokens(piece));
    this.req.policy.onTeacherSpan(text, tokens);
    return finish === "eos" ? "eos" : "spliced";
  }

  /** The task a teacher call is about: earlier turns only within the history budget (once per answer: prefixes stay identical). */
  private teacherView(): TaskPrompt {
    return (this.teacherViewTask ??= teacherView(this.req.task, this.limits.teacherHistoryTokens, this.req.student, this.req.redact ?? redactSecrets));
  }

  /** The task as a chat-style teacher sees it: redacted and cut like everything else that is sent. */
  private teacherTask(): TaskPrompt {
    if (this.teacherTaskCut) return this.teacherTaskCut;
    const redact = this.req.redact ?? redactSecrets;
    const { system, user, history } = this.teacherView();
    const sys = system === undefined ? undefined : redact(system);
    const past = (history ?? []).map((h) => ({ user: redact(h.user), assistant: redact(h.assistant) }));
    const cost = (h: { user: string; assistant: string }) => this.req.student.countTokens(h.user) + this.req.student.countTokens(h.assistant);
    let room = Math.max(1, promptRoom(this.limits.maxContextTokens) - (sys ? this.req.student.countTokens(sys) : 0));
    // Past turns give way (oldest first) before the question is cut: they take at most half the room.
    let pastTokens = past.reduce((n, h) => n + cost(h), 0);
    while (past.length && pastTokens > room / 2) pastTokens -= cost(past.shift()!);
    room = Math.max(1, room - pastTokens);
    const task: TaskPrompt = { system: sys, user: cutMiddle(redact(user), room, this.req.student) };
    if (past.length) task.history = past;
    this.teacherTaskCut = task;
    return task;
  }

  /** The rendered task prompt, cut to the teacher's room (logged once when it is). */
  private fitPrompt(prompt: string): string {
    const room = promptRoom(this.limits.maxContextTokens);
    const cut = cutMiddle(prompt, room, this.req.student);
    if (cut !== prompt) this.log.warn(`the task prompt is longer than the teacher's context allows (${this.limits.maxContextTokens} tokens): its middle is cut for the teacher`);
    return cut;
  }

  private emitStudentText(text: string): void {
    this.visible += text;
    this.recorder.studentText(text);
  }

  private flushScanner(): void {
    for (const event of this.scanner.end()) {
      if (event.type === "text") this.emitStudentText(event.text);
      else if (event.type === "malformed") this.malformed++;
      else this.ignored++;
    }
    this.recorder.endThoughts();
  }

  private emit(event: RelayEvent): void {
    try {
      this.req.onEvent?.(event);
    } catch (error) {
      // A broken listener must not break the answer.
      this.log.error(`relay event listener failed: ${errorMessage(error)}`);
    }
  }

  /** Settles with the abort's reason as soon as the signal fires, whatever the promise does. */
  private race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.req.signal;
    if (!signal) return promise;
    if (signal.aborted) {
      promise.catch(() => {});
      return Promise.reject(abortReason(signal));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(abortReason(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }
}
