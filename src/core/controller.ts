/**
 * The relay controller: drives the student token by token, asks the teacher for a span when
 * the policy says so, splices the teacher's text into the student's context, and records
 * what happened as labelled spans.
 */

import { TeacherBreaker } from "./breaker.js";
import { SETTING_DEFAULTS } from "./defaults.js";
import type { BudgetGate, Reservation, SettledUsage } from "./budgetGate.js";
import { abortError, abortReason, errorMessage, isAbortError, isRelayError, RelayError, type RelayErrorCode } from "./errors.js";
import type { Logger } from "./logger.js";
import { silentLogger } from "./logger.js";
import type { Student, StudentSession, Teacher, TeacherReply } from "./models.js";
import type { TriggerPolicy } from "./policies.js";
import type { TaskPrompt } from "./prompts.js";
import type { RelayStats, Span, StopReason, TeacherPricing, TeacherUsage } from "./spans.js";
import { answerText, computeStats, reasoningText } from "./spans.js";
import { redact as redactSecrets } from "./redact.js";
import { TagScanner, visibleText } from "./tagScanner.js";
import { buildTeacherContext, cutMiddle, promptRoom } from "./teacherContext.js";
import { teacherView } from "./teacherHistory.js";
import { ThoughtSplitter, type ThoughtPiece } from "./thoughts.js";
import { plausibleUsage, reservedPromptTokens } from "./usage.js";

/** Teacher failures that mean the server did not take the request (nothing to charge). */
const NOT_TAKEN: ReadonlySet<RelayErrorCode> = new Set(["teacher-unreachable", "teacher-rejected", "teacher-redirect", "teacher-rate-limited", "teacher-server-error"]);

/**
 * Whether a failed teacher request may have been worked on by the server: then it is paid for,
 * at least what was sent and what came back, so a faulty server (a stream that stalls after
 * text, a corrupt body, a 200 that is not JSON, no reply in time) cannot be used to spend
 * without counting. A refusal (no connection, a 4xx, 429 or 5xx status, a redirect not
 * followed) is not; a reply that started with a 2xx always is; anything unknown is.
 */
function serverTook(error: unknown): boolean {
  if (error instanceof RelayError && error.partial?.answered) return true;
  return !(error instanceof RelayError && NOT_TAKEN.has(error.code));
}

/** The text a failed request received before it failed. */
function receivedBefore(error: unknown): string {
  return error instanceof RelayError ? (error.partial?.text ?? "") : "";
}

export type RelayEvent =
  /** `thought`: reasoning of a thinking model (shown apart from the answer, never as ghost text). */
  | { type: "text"; kind: "student" | "teacher"; text: string; thought?: boolean }
  | { type: "teacher-start"; requested: number; granted: number; model: string }
  | { type: "span"; span: Span };

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
  private readonly spans: Span[] = [];
  private readonly scanner: TagScanner;
  private session: StudentSession | undefined;
  /** The open student span. */
  private current: Span;
  /** The answer so far as the teacher continues it: tags removed, reasoning and its markers kept. */
  private visible = "";
  /** Splits reasoning from answer for what the user sees; absent for models that do not think. */
  private readonly thoughts: ThoughtSplitter | undefined;
  private studentTokens = 0;
  private teacherTokens = 0;
  private calls = 0;
  private malformed = 0;
  private ignored = 0;
  private firstTokenMs: number | null = null;
  private teacherPromptText: string | undefined;
  private teacherTaskCut: TaskPrompt | undefined;
  private lateRelease: Promise<void> = Promise.resolve();
  private readonly breaker: TeacherBreaker;
  /** The budget ledger failed: no more teacher calls in this answer. */
  private budgetBroken = false;

  constructor(private readonly req: RelayRequest) {
    this.limits = { ...DEFAULT_LIMITS, ...req.limits };
    this.log = req.logger ?? silentLogger;
    this.scanner = new TagScanner({ maxSpanTokens: this.limits.maxSpanTokens });
    const format = req.student.thoughtFormat?.(req.task);
    this.thoughts = format ? new ThoughtSplitter(format) : undefined;
    this.current = this.newStudentSpan();
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
    this.closeStudentSpan();
    const stats = computeStats(this.spans, {
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
    return { text: answerText(this.spans), reasoning: reasoningText(this.spans), spans: this.spans, stats, released };
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
      this.current.tokens++;
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

  /** The warming request in flight (never rejects). */
  private warming: Promise<void> | undefined;
  private warmed: { calls: number; promptTokens: number; completionTokens: number; cachedPromptTokens: number; charged?: number } | undefined;

  /** Prefill warming (RelayRequest.warmTeacher): the prompt prefix, no answer yet, 1 token. */
  private async warmTeacher(): Promise<void> {
    const teacher = this.req.teacher;
    if (!teacher?.warm || !teacher.warmable || !this.canCall() || this.req.signal?.aborted) return;
    const context = this.teacherContext(teacher);
    let reservation: Reservation | null = null;
    try {
      if (this.req.budget) {
        reservation = await this.req.budget.reserve(context.tokens, 1, { promptOverhead: teacher.promptOverheadTokens });
        if (!reservation) return;
      }
      const reply = await teacher.warm({ task: this.teacherTask(), promptText: context.promptText, answer: context.answer, maxTokens: 1, signal: this.req.signal });
      const sane = { promptSent: 0, promptMax: reservation?.promptTokens ?? reservedPromptTokens(context.tokens + (teacher.promptOverheadTokens ?? 0)), completionReceived: 0, completionMax: 1 };
      const usage = reply.usage ? plausibleUsage(reply.usage, sane) : { promptTokens: context.tokens, completionTokens: 1 };
      const settled = await reservation?.settle({ ...(reply.usage ?? usage), receivedTokens: 0 });
      reservation = null;
      this.noteWarming(usage.promptTokens, usage.completionTokens, Math.min(usage.promptTokens, reply.usage?.cachedPromptTokens ?? 0), chargedBy(settled));
    } catch (error) {
      // Warming is an optimisation, but a request the server may have prefilled (a timeout, a
      // stream cut off, a cancel in flight) is charged what was sent; one it refused is not.
      const refused = !serverTook(error);
      if (refused || !reservation) await reservation?.release().catch(() => {});
      else {
        const settled = await reservation.settle({ promptTokens: context.tokens, completionTokens: 0, receivedTokens: 0 }).catch(() => undefined);
        this.noteWarming(context.tokens, 0, 0, chargedBy(settled));
      }
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
    this.closeStudentSpan();
    const startMs = Date.now() - this.t0;
    const started = Date.now();
    const context = this.teacherContext(teacher);

    let reservation: Reservation | null = null;
    if (this.req.budget) {
      try {
        reservation = await this.req.budget.reserve(context.tokens, span, { promptOverhead: teacher.promptOverheadTokens });
      } catch (error) {
        // A ledger that cannot be written cannot guard spend: no teacher for the rest of the answer.
        this.budgetBroken = true;
        this.log.error(`budget: ${errorMessage(error)}`);
        this.pushSpan({ kind: "failed-call", text: "", tokens: 0, startMs, durationMs: Date.now() - started, requested, granted: 0, model: teacher.model, error: errorMessage(error) });
        return "refused";
      }
      if (!reservation) {
        this.pushSpan({ kind: "budget-denied", text: "", tokens: 0, startMs, durationMs: Date.now() - started, requested, granted: 0, model: teacher.model });
        return "refused";
      }
    }
    const granted = reservation?.granted ?? span;
    this.emit({ type: "teacher-start", requested, granted, model: teacher.model });
    // A warming request still prefilling: the call's prefix is not cached yet, and a one-slot
    // server (llama-cpp-python's) would cut the warming short for it. Its rest is shorter than
    // the prefill the call would pay.
    if (this.warming) {
      try {
        await this.race(this.warming);
      } catch (error) {
        await this.closeReservation(() => reservation?.release());
        throw error;
      }
    }

    if (this.req.signal?.aborted) {
      await this.closeReservation(() => reservation?.release());
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
      const usage = serverTook(error) ? await this.chargeFailed(reservation, context.tokens, receivedBefore(error), granted) : undefined;
      if (!usage) await this.closeReservation(() => reservation?.release());
      if (this.req.signal?.aborted) throw abortReason(this.req.signal);
      if (isAbortError(error)) throw abortError();
      if (this.breaker.failure(error)) this.log.warn(`teacher unavailable, the answer goes on without it: ${errorMessage(error)}`);
      else this.log.warn(`teacher call failed: ${errorMessage(error)}`);
      this.pushSpan({ kind: "failed-call", text: "", tokens: 0, startMs, durationMs: Date.now() - started, requested, granted, model: teacher.model, ...(usage ? { usage } : {}), error: errorMessage(error) });
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
    // The stats keep the provider's numbers when they are sane (its tokenizer may count fewer
    // than ours): whole, not negative, not above the reservation. The budget charges by its own
    // stricter bounds (never below what we sent and received), from the same claim.
    const received = this.req.student.countTokens(text);
    const sane = { promptSent: 0, promptMax: reservation?.promptTokens ?? reservedPromptTokens(context.tokens + (teacher.promptOverheadTokens ?? 0)), completionReceived: 0, completionMax: granted };
    const plausible = reply.usage ? plausibleUsage(reply.usage, sane) : { promptTokens: context.tokens, completionTokens: received };
    const usage: TeacherUsage = { ...reply.usage, ...plausible, estimated: !reply.usage };
    const charged = chargedBy(await this.closeReservation(() => reservation?.settle({ ...(reply.usage ?? plausible), receivedTokens: received })));
    if (charged !== undefined) usage.charged = charged;

    if (text.length === 0 && finish === "eos" && this.req.policy.teacherOnly) return "eos";
    if (text.length === 0) {
      // An empty reply cannot be spliced; the student carries on alone.
      this.pushSpan({ kind: "failed-call", text: "", tokens: 0, startMs, durationMs: Date.now() - started, requested, granted, model: teacher.model, usage, error: "The teacher returned an empty reply." });
      return "refused";
    }
    beforeSplice();
    const tokens = this.session ? this.session.append(text) : this.req.student.countTokens(text);
    this.teacherTokens += tokens;
    this.visible += text;
    this.firstTokenMs ??= Date.now() - this.t0;
    const thoughtBefore = this.thoughts?.inside ?? false;
    const pieces = this.split(text);
    for (const piece of pieces) this.emit({ type: "text", kind: "teacher", text: piece.text, ...(piece.thought ? { thought: true } : {}) });
    const spliced: Span = { kind: "teacher", text: "", tokens, startMs, durationMs: Date.now() - started, requested, granted, model: teacher.model, usage, finish };
    if (pieces.length <= 1) {
      const thought = pieces[0]?.thought ?? thoughtBefore;
      this.pushSpan({ ...spliced, text: pieces[0]?.text ?? "", ...(thought ? { thought } : {}) });
    } else {
      // The teacher closed (or opened) the reasoning: one span per side, the second a continuation.
      let left = tokens;
      pieces.forEach((piece, i) => {
        const last = i === pieces.length - 1;
        const part = last ? left : Math.min(left, this.req.student.countTokens(piece.text));
        left -= part;
        const flag = piece.thought ? { thought: true } : {};
        if (i === 0) this.pushSpan({ ...spliced, text: piece.text, tokens: part, ...flag });
        else this.pushSpan({ kind: "teacher", text: piece.text, tokens: part, startMs: spliced.startMs + spliced.durationMs, durationMs: 0, model: teacher.model, continued: true, ...flag });
      });
    }
    setThought(this.current, this.thoughts?.inside ?? false);
    this.req.policy.onTeacherSpan(text, tokens);
    return finish === "eos" ? "eos" : "spliced";
  }

  private teacherViewTask: TaskPrompt | undefined;

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

  /**
   * A failed call the server took: charged what was sent (our count of the prompt) and the
   * text received before the failure (at most the grant); returns it as the span's usage.
   */
  private async chargeFailed(reservation: Reservation | null, promptTokens: number, received: string, granted: number): Promise<TeacherUsage> {
    const completionTokens = Math.min(granted, this.req.student.countTokens(received));
    const charged = chargedBy(await this.closeReservation(() => reservation?.settle({ promptTokens, completionTokens, receivedTokens: completionTokens })));
    return { promptTokens, completionTokens, estimated: true, ...(charged !== undefined ? { charged } : {}) };
  }

  /** Settles or releases (returning what the budget says it settled); a ledger failure is logged, never lost with the answer. */
  private async closeReservation(close: () => Promise<unknown> | undefined): Promise<unknown> {
    try {
      return await close();
    } catch (error) {
      this.budgetBroken = true;
      this.log.error(`budget: ${errorMessage(error)}`);
      return undefined;
    }
  }

  private emitStudentText(text: string): void {
    this.visible += text;
    for (const piece of this.split(text)) this.showStudent(piece);
  }

  /** Student text the user sees; a change between reasoning and answer starts a new span. */
  private showStudent(piece: ThoughtPiece): void {
    if (piece.thought !== Boolean(this.current.thought)) {
      // A span holding only the marker token joins the section the marker opens.
      if (this.current.text.length > 0) this.closeStudentSpan();
      setThought(this.current, piece.thought);
    }
    this.current.text += piece.text;
    this.emit({ type: "text", kind: "student", text: piece.text, ...(piece.thought ? { thought: true } : {}) });
  }

  private split(text: string): ThoughtPiece[] {
    if (!this.thoughts) return text ? [{ text, thought: false }] : [];
    return this.thoughts.push(text);
  }

  private flushScanner(): void {
    for (const event of this.scanner.end()) {
      if (event.type === "text") this.emitStudentText(event.text);
      else if (event.type === "malformed") this.malformed++;
      else this.ignored++;
    }
    for (const piece of this.thoughts?.end() ?? []) this.showStudent(piece);
  }

  private newStudentSpan(): Span {
    const span: Span = { kind: "student", text: "", tokens: 0, startMs: Date.now() - this.t0, durationMs: 0 };
    if (this.thoughts?.inside) span.thought = true;
    return span;
  }

  private closeStudentSpan(): void {
    const span = this.current;
    if (span.tokens > 0 || span.text.length > 0) {
      span.durationMs = Date.now() - this.t0 - span.startMs;
      this.spans.push(span);
      this.emit({ type: "span", span });
    }
    this.current = this.newStudentSpan();
  }

  private pushSpan(span: Span): void {
    this.spans.push(span);
    this.emit({ type: "span", span });
    // The next student span starts after this one.
    if (this.current.tokens === 0) this.current.startMs = Date.now() - this.t0;
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

function setThought(span: Span, thought: boolean): void {
  if (thought) span.thought = true;
  else delete span.thought;
}

/** Tokens a settlement charged (prompt + completion), from what `Reservation.settle` returned. */
function chargedBy(settled: unknown): number | undefined {
  if (!settled || typeof settled !== "object") return undefined;
  const { promptTokens, completionTokens } = settled as Partial<SettledUsage>;
  return typeof promptTokens === "number" && typeof completionTokens === "number" ? promptTokens + completionTokens : undefined;
}
