/**
 * The student on node-llama-cpp: one loaded model, one context whose sequences are shared by
 * every request, generation that keeps the KV cache across relays (after a teacher span only
 * the spliced tokens are evaluated).
 */
import type { ChatWrapper, LlamaContext, LlamaGrammarEvaluationState, LlamaModel, Token } from "node-llama-cpp";
import { internalError, RelayError } from "../core/errors.js";
import { fitHistory } from "../core/fitHistory.js";
import type { Logger } from "../core/logger.js";
import { silentLogger } from "../core/logger.js";
import type { SessionOptions, Student, StudentSession, StudentStep } from "../core/models.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { ThoughtFormat } from "../core/thoughts.js";
import { startThreads, ThreadGovernor, type DecodeSample, type GovernorStep } from "../core/threadGovernor.js";
import { getSharedLlama, nodeLlamaCpp, type GpuSetting, type LlamaHandle } from "../llama/llama.js";
import { createContextOrRelease, loadGgufModel } from "../llama/loadModel.js";
import { meterTotal } from "../llama/meter.js";
import { resolveModel, type ResolveOptions } from "../llama/modelFile.js";
import { reuseCachedPrefix } from "../llama/prefix.js";
import { otherCpuMeter } from "../llama/otherCpu.js";
import { machineLoad } from "../llama/threads.js";
import { SequencePool, poolDisposedError, type SequenceLease } from "../llama/sequencePool.js";
import { chatPromptText, chatPromptTokens, resolveWrapper, thoughtMarkers, type ThoughtMarkers } from "../llama/chatFormat.js";

export interface StudentLoadOptions extends ResolveOptions {
  /** A GGUF path, an `hf:` URI or a URL. */
  model: string;
  gpu?: GpuSetting;
  /** Explicit CPU threads (> 0): fixed, no governor. Absent or 0: adapted per answer. */
  threads?: number;
  /** Tokens per sequence. */
  contextSize?: number;
  /** Concurrent requests served without queueing. */
  sequences?: number;
  /**
   * Thinking models (Qwen3 and kin): false renders the chat template's own no-think form (Qwen3's
   * empty `<think></think>` block). Default true, as the model was trained. No effect on models
   * that do not think.
   */
  thinking?: boolean;
  /**
   * The 1-minute load average the adaptive default's first thread count is chosen against
   * (default: this machine's now). 0 starts at the ceiling (tests, benches).
   */
  loadAverage?: number;
  /**
   * Cores other processes used since the last call, for the governor's hints between answers
   * (default: measured from the OS, otherCpuMeter); false: no hints (tests that steer the
   * governor by hand).
   */
  otherCores?: (() => number) | false;
  logger?: Logger;
}

/** Per-token detokenizer context: enough for SentencePiece's leading-space rule. */
const DETOKENIZE_CONTEXT = 8;
/** A UTF-8 character spans at most 4 byte tokens. */
const MAX_PARTIAL = 4;

export class LlamaStudent implements Student {
  readonly name: string;
  private readonly pool: SequencePool;
  /** Sessions not yet disposed: dispose() ends them before it frees the context. */
  private readonly sessions = new Set<LlamaStudentSession>();
  private disposing: Promise<void> | undefined;
  /** Set by dispose(): every later use of the model throws it. */
  private unloaded: RelayError | undefined;
  /** Cores this process may use, and the meter of what other processes use of them. */
  private cores = 1;
  private readonly otherCores: (() => number) | undefined;
  /** Adapts the thread count per answer; absent when the thread count was set explicitly. */
  readonly governor: ThreadGovernor | undefined;
  /** The last answer's decode sample and the governor's step on it (for logs and tests). */
  lastDecode: { sample: DecodeSample; step: GovernorStep } | undefined;

  private constructor(
    readonly handle: LlamaHandle,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    private readonly chatWrapper: ChatWrapper,
    readonly path: string,
    private readonly log: Logger,
    loadAverage: number | undefined,
    otherCores: (() => number) | false | undefined,
  ) {
    this.pool = new SequencePool(context);
    if (handle.adaptive) {
      const ceiling = Math.max(1, context.idealThreads);
      const machine = machineLoad();
      this.cores = machine.cores;
      if (otherCores !== false) this.otherCores = otherCores ?? otherCpuMeter();
      const start = startThreads(ceiling, machine.cores, loadAverage ?? machine.loadAverage);
      this.governor = new ThreadGovernor({ maxThreads: ceiling, startThreads: start });
      if (start < ceiling) log.info(`student threads start at ${start} of ${ceiling}: load average ${(loadAverage ?? machine.loadAverage).toFixed(1)} on ${machine.cores} core(s)`);
    }
    this.name = model.fileInfo.metadata?.general?.name ?? path.split(/[\\/]/).pop() ?? "student";
    this.markers = thoughtMarkers(chatWrapper);
    for (const marker of this.markers ? [this.markers.open, this.markers.close] : []) {
      const tokens = model.tokenize(marker, true);
      if (tokens.length === 1) this.markerTokens.add(tokens[0]);
    }
  }

  private readonly markers: ThoughtMarkers | undefined;
  /** Single-token reasoning markers: always shown as text, even where a model types them as control tokens. */
  readonly markerTokens = new Set<Token>();

  /** The node-llama-cpp chat wrapper that renders this model's prompts (e.g. "Qwen", "ChatML"). */
  get chatTemplate(): string {
    return this.chatWrapper.wrapperName;
  }

  static async load(options: StudentLoadOptions): Promise<LlamaStudent> {
    const log = options.logger ?? silentLogger;
    const path = await resolveModel(options.model, options);
    const handle = await getSharedLlama({ gpu: options.gpu, threads: options.threads, logger: log });
    // An earlier student's governor may have lowered the shared cap: the context's ideal
    // thread count is taken against it, so restore the ceiling first.
    handle.llama.maxThreads = handle.threads;
    const model = await loadGgufModel(handle, path, { signal: options.signal });
    const context = await createContextOrRelease(model, path, {
      contextSize: options.contextSize ?? { max: 8192 },
      sequences: options.sequences ?? 2,
      threads: handle.threads,
    }, options.signal);
    try {
      const chatWrapper = await resolveWrapper(model, { thinking: options.thinking ?? true });
      const thinks = thoughtMarkers(chatWrapper) ? `, thinking ${options.thinking === false ? "off" : "on"}` : "";
      log.info(`student loaded: ${path} (context ${context.contextSize} × ${context.totalSequences} sequences, chat template ${chatWrapper.wrapperName}${thinks})`);
      return new LlamaStudent(handle, model, context, chatWrapper, path, log, options.loadAverage, options.otherCores);
    } catch (error) {
      await context.dispose();
      await model.dispose();
      throw error;
    }
  }

  /** Sequences currently leased to requests. */
  get sequencesInUse(): number {
    return this.pool.inUse;
  }

  countTokens(text: string): number {
    return this.tokenize(text).length;
  }

  truncateToTokens(text: string, maxTokens: number): string {
    const tokens = this.tokenize(text);
    return tokens.length <= maxTokens ? text : dropBrokenChar(this.model.detokenize(tokens.slice(0, maxTokens)));
  }

  lastTokens(text: string, maxTokens: number): string {
    const tokens = this.tokenize(text);
    return tokens.length <= maxTokens ? text : this.model.detokenize(tokens.slice(tokens.length - maxTokens)).replace(/^\uFFFD+/, "");
  }

  /** Plain text, as spliced mid-answer: no special tokens, no added leading space. */
  tokenize(text: string): Token[] {
    this.assertLoaded();
    return text.length === 0 ? [] : this.model.tokenize(text, false, "trimLeadingSpace");
  }

  /** An answer still running when the model was unloaded ends with this error, not a crash. */
  private assertLoaded(): void {
    if (this.unloaded) throw this.unloaded;
  }

  /** Whether the model has fill-in-the-middle tokens (infill completions). */
  get supportsInfill(): boolean {
    const { prefix, suffix, middle } = this.model.tokens.infill;
    return prefix != null && suffix != null && middle != null;
  }

  /** Prompt tokens: the chat template with the model's turn opened, or a code completion. */
  promptTokens(task: TaskPrompt): Token[] {
    this.assertLoaded();
    if (task.completion) return this.completionTokens(task.completion.prefix, task.completion.suffix);
    return chatPromptTokens(this.model, this.chatWrapper, task);
  }

  /** The reasoning markers when this model thinks (its chat template has a thought segment). */
  thoughtFormat(task: TaskPrompt): ThoughtFormat | undefined {
    if (!this.markers) return undefined;
    const { open, close } = this.markers;
    // A code completion is no chat turn, but should the model think anyway, ghost text must not show it.
    if (task.completion) return { open, close, startsInside: false };
    const prompt = this.model.detokenize(this.promptTokens(task), true);
    const startsInside = this.markers.opensOnStart || prompt.lastIndexOf(open) > prompt.lastIndexOf(close);
    return { open, close, startsInside };
  }

  /** Infill (prefix, suffix, middle) when the model supports it; plain continuation otherwise. */
  private completionTokens(prefix: string, suffix: string): Token[] {
    const bos = this.model.tokens.bos;
    const start = bos !== null && this.model.tokens.shouldPrependBosToken ? [bos] : [];
    const { infill } = this.model.tokens;
    if (suffix && infill.prefix != null && infill.suffix != null && infill.middle != null) {
      return [...start, infill.prefix, ...this.tokenize(prefix), infill.suffix, ...this.tokenize(suffix), infill.middle];
    }
    return [...start, ...this.tokenize(prefix)];
  }

  renderPrompt(task: TaskPrompt): string {
    // A completions teacher continues the code itself.
    if (task.completion) return task.completion.prefix;
    // A server adds its own BOS; everything else is sent as text, special tokens included.
    return chatPromptText(this.model, this.chatWrapper, task);
  }

  async openSession(asked: TaskPrompt, options: SessionOptions): Promise<StudentSession> {
    // Earlier exchanges take at most half the context: the rest is for the answer.
    const { task, dropped } = fitHistory(asked, (t) => this.promptTokens(t).length, Math.floor(this.context.contextSize / 2));
    if (dropped > 0) this.log.info(`chat: the ${dropped} oldest exchange(s) left out of the prompt (the student's context holds ${this.context.contextSize} tokens)`);
    const prompt = this.promptTokens(task);
    // A prompt the context cannot hold would be shifted through it over and over: refuse it.
    if (prompt.length >= this.context.contextSize) {
      throw new RelayError("prompt-too-long", `The prompt is ${prompt.length} tokens; the student's context holds ${this.context.contextSize}. Shorten the prompt or raise the context size (--context-size, relay.student.contextSize).`);
    }
    const grammar = options.grammar ? await this.grammarState(options.grammar) : undefined;
    const lease = await this.pool.acquire(prompt, options.signal);
    try {
      this.assertLoaded();
      const threads = this.applyThreads();
      const session = await LlamaStudentSession.open(this, lease, prompt, options, grammar, threads);
      this.sessions.add(session);
      // Unloaded while the prompt was being prepared: end it like the other live sessions.
      if (this.unloaded) await session.end(this.unloaded);
      this.assertLoaded();
      return session;
    } catch (error) {
      lease.release();
      throw this.unloaded ?? error;
    }
  }

  /** @internal a session has freed its sequence. */
  forget(session: LlamaStudentSession): void {
    this.sessions.delete(session);
  }

  /** CPU threads the next answer decodes with. */
  get threads(): number {
    return this.governor?.current ?? this.handle.threads;
  }

  /**
   * Applies the governor's count to the shared runtime's thread cap (node-llama-cpp splits
   * `llama.maxThreads` among running evaluations; the context asks for the ceiling) when this
   * answer is the only one running: a cap lowered under a running decode would starve it.
   * Returns the count the answer runs with, or undefined when it shares the CPU with another
   * answer (its speed then says nothing about the machine).
   */
  private applyThreads(): number | undefined {
    if (!this.governor) return this.handle.threads;
    if (this.pool.inUse > 1) return undefined;
    const others = this.otherCores?.();
    if (others !== undefined) {
      const before = this.governor.current;
      const step = this.governor.hint(this.cores - others);
      if (step) keepRecent(this.hints, step);
      if (step) this.log.info(`student threads ${before} → ${step.threads} (${step.decision}: other processes used ${others.toFixed(2)} of ${this.cores} cores since the last answer)`);
    }
    const llama = this.handle.llama;
    if (llama.maxThreads !== this.governor.current) llama.maxThreads = this.governor.current;
    return this.governor.current;
  }

  /** @internal an answer ended: its decode speed decides the next answer's thread count. */
  recordDecode(sample: DecodeSample): void {
    if (!this.governor || this.unloaded) return;
    const step = this.governor.record(sample);
    this.lastDecode = { sample, step };
    this.logStep(sample, step, "");
  }

  /**
   * @internal mid-answer, the only answer running: its decode steps so far at `sample.threads`.
   * Returns the count for the rest of the answer when the governor changes it (node-llama-cpp
   * re-reads `llama.maxThreads` before every decode batch, so the change applies at the next token).
   */
  checkDecode(sample: DecodeSample): number | undefined {
    if (!this.governor || this.unloaded || this.pool.inUse > 1) return undefined;
    const step = this.governor.check(sample);
    if (!step) return undefined;
    keepRecent(this.midAnswer, step);
    this.handle.llama.maxThreads = step.threads;
    this.logStep(sample, step, " mid-answer");
    return step.threads;
  }

  /** Mid-answer changes since the student loaded (for logs, benches and tests). */
  readonly midAnswer: GovernorStep[] = [];
  /** Changes from the CPU hints before answers since the student loaded (for logs, benches and tests). */
  readonly hints: GovernorStep[] = [];

  private logStep(sample: DecodeSample, step: GovernorStep, when: string): void {
    const speed = (v: number | undefined) => (v === undefined ? "?" : v.toFixed(1));
    const what = `${sample.tokens} tokens decoded at ${speed(step.tokensPerSecond)} tokens/s with ${sample.threads} thread(s); judged against ${speed(step.reference)}`;
    if (step.threads !== sample.threads) this.log.info(`student threads ${sample.threads} → ${step.threads}${when} (${step.decision}: ${what})`);
    else this.log.debug(`student threads kept at ${step.threads} (${step.decision}: ${what})`);
  }

  /**
   * Unloads the model: queued requests are rejected, live sessions end (their next step throws
   * a model-unloaded error) and free their sequences, then the context and the model go.
   * Idempotent; `reason` is told to the sessions ("settings changed", "reload requested").
   */
  dispose(reason = "the model was unloaded"): Promise<void> {
    this.disposing ??= (async () => {
      const error = poolDisposedError(reason);
      this.unloaded = error;
      this.pool.dispose(error);
      await Promise.all([...this.sessions].map((s) => s.end(error)));
      await this.context.dispose();
      await this.model.dispose();
      this.log.info(`student unloaded (${reason})`);
    })();
    return this.disposing;
  }

  private async grammarState(gbnf: string): Promise<LlamaGrammarEvaluationState> {
    const { LlamaGrammarEvaluationState } = await nodeLlamaCpp();
    let grammar;
    try {
      grammar = await this.handle.llama.createGrammar({ grammar: gbnf });
    } catch (error) {
      throw new RelayError("invalid-argument", `Invalid grammar: ${(error as Error).message}`, { cause: error });
    }
    return new LlamaGrammarEvaluationState({ model: this.model, grammar });
  }
}

type Step = IteratorResult<{ token: Token; confidence?: number; top?: number[] }, void>;

class LlamaStudentSession implements StudentSession {
  private generator: AsyncGenerator<{ token: Token; confidence?: number }, void, void | Token | Token[]> | undefined;
  /** Tokens to evaluate on the next step. */
  private input: Token[];
  private last: Token | undefined;
  private discarded = false;
  private appended: Token[] = [];
  /** Recent committed tokens, for the detokenizer. */
  private recent: Token[] = [];
  /** Tokens of an incomplete UTF-8 character. */
  private partial: Token[] = [];
  private inflight: Promise<Step> | undefined;
  /** Top-K sessions: the prompt has been evaluated. */
  private started = false;
  private ended = false;
  contextFull = false;
  private disposed: Promise<void> | undefined;
  /** Set when the student was unloaded under this session: the next step throws it. */
  private unloaded: RelayError | undefined;
  private readonly meterStart: number;
  /** Single-token decode steps (no prompt, no spliced text) and their time: the governor's sample. */
  private decodeTokens = 0;
  private decodeMs = 0;
  /** Another answer ran at the same time: this one's speed is not a clean sample. */
  private shared = false;

  private constructor(
    private readonly student: LlamaStudent,
    private readonly lease: SequenceLease,
    readonly promptTokens: number,
    input: Token[],
    private readonly options: SessionOptions,
    private readonly grammar: LlamaGrammarEvaluationState | undefined,
    /** Threads this answer runs with; undefined: it shares the CPU with another answer. */
    private threads: number | undefined,
  ) {
    this.input = input;
    this.meterStart = meterTotal(lease.sequence);
  }

  static async open(student: LlamaStudent, lease: SequenceLease, prompt: Token[], options: SessionOptions, grammar: LlamaGrammarEvaluationState | undefined, threads: number | undefined): Promise<LlamaStudentSession> {
    const input = await reuseCachedPrefix(lease.sequence, prompt, lease.reusable);
    const session = new LlamaStudentSession(student, lease, input.length, input, options, grammar, threads);
    session.recent = prompt.slice(-DETOKENIZE_CONTEXT);
    return session;
  }

  get evaluatedTokens(): number {
    return meterTotal(this.lease.sequence) - this.meterStart;
  }

  async next(): Promise<StudentStep | null> {
    if (this.unloaded) throw this.unloaded;
    if (this.ended || this.disposed) return null;
    let step: Promise<Step>;
    /** This step evaluates exactly the last sampled token: a decode step the governor may time. */
    let decode = false;
    if (this.options.topK && !this.grammar) {
      // The distribution's top-K: one controlled evaluation per step (the generator can only
      // return the whole vocabulary's probabilities, ~50-150k pairs a token).
      const first = !this.started;
      this.started = true;
      if (!first) decode = !this.discarded && this.last !== undefined && this.appended.length === 0;
      const feed = first ? this.input : this.commitLast();
      if (feed.length === 0) throw internalError("a discarded student token was not replaced by appended text.");
      const sequence = this.lease.sequence;
      if (!first && sequence.nextTokenIndex + feed.length >= sequence.contextSize) {
        this.contextFull = true;
        this.ended = true;
        return null;
      }
      step = this.sampleTop(feed, this.options.topK);
    } else if (!this.generator) {
      this.generator = this.lease.sequence.evaluateWithMetadata(
        this.input,
        { confidence: this.options.probabilities ? true : undefined },
        { temperature: this.options.temperature ?? 0, seed: this.options.seed, grammarEvaluationState: this.grammar },
      ) as AsyncGenerator<{ token: Token; confidence?: number }, void, void | Token | Token[]>;
      step = this.generator.next();
    } else {
      decode = !this.discarded && this.last !== undefined && this.appended.length === 0;
      const feed = this.commitLast();
      if (feed.length === 0) throw internalError("a discarded student token was not replaced by appended text.");
      // Stop at the context's end rather than let the library shift the context: an answer
      // that forgets its own beginning is worse than a finished one.
      const sequence = this.lease.sequence;
      if (sequence.nextTokenIndex + feed.length >= sequence.contextSize) {
        this.contextFull = true;
        this.ended = true;
        return null;
      }
      step = this.generator.next(feed);
    }
    if (this.student.sequencesInUse > 1) this.shared = true;
    const t0 = performance.now();
    this.inflight = step;
    const result = await step;
    this.inflight = undefined;
    if (decode) {
      this.decodeMs += performance.now() - t0;
      this.decodeTokens++;
      if (this.threads !== undefined && !this.shared) {
        const changed = this.student.checkDecode({ threads: this.threads, tokens: this.decodeTokens, ms: this.decodeMs });
        if (changed !== undefined) {
          // The rest of the answer is a new sample at the new count.
          this.threads = changed;
          this.decodeTokens = 0;
          this.decodeMs = 0;
        }
      }
    }
    if (this.unloaded) throw this.unloaded;
    if (result.done) {
      this.ended = true;
      return null;
    }
    this.last = result.value.token;
    this.discarded = false;
    const { confidence, top } = result.value;
    return { text: this.textOf(result.value.token), probability: confidence, ...(top ? { top } : {}) };
  }

  /** Evaluates `feed` and samples the next token with its distribution's top-K probabilities. */
  private async sampleTop(feed: Token[], k: number): Promise<Step> {
    const options = { temperature: this.options.temperature ?? 0, seed: this.options.seed };
    const generateNext = { token: true, totalLogitWeight: true, logits: { filter: { tokens: [], includeTop: k, includeSelected: true } }, options };
    const input = feed.map((token, i) => (i === feed.length - 1 ? ([token, { generateNext }] as [Token, { generateNext: typeof generateNext }]) : token));
    const out = await this.lease.sequence.controlledEvaluate(input);
    const next = out[feed.length - 1]?.next;
    const token = next?.token;
    if (token == null || this.student.model.isEogToken(token)) return { done: true, value: undefined };
    const logits = [...(next?.logits ?? new Map<Token, number>()).entries()];
    const weight = next?.totalLogitWeight;
    if (logits.length === 0 || !weight) throw internalError("node-llama-cpp returned no logits for a sampled token.");
    // Logits are sorted, highest first; p = exp(logit − max) / Σ exp(logit − max).
    const max = logits[0][1];
    const chosen = logits.find(([t]) => t === token)?.[1] ?? max;
    const top = logits.slice(0, k).map(([, logit]) => Math.exp(logit - max) / weight);
    return { done: false, value: { token, confidence: Math.exp(chosen - max) / weight, top } };
  }

  discardLast(): void {
    this.discarded = true;
    this.partial = [];
  }

  append(text: string): number {
    const tokens = this.student.tokenize(text);
    this.appended.push(...tokens);
    return tokens.length;
  }

  /** The tokens the next step evaluates: the last sampled token (unless discarded) and spliced text. */
  private commitLast(): Token[] {
    const feed = [...(this.discarded || this.last === undefined ? [] : [this.last]), ...this.appended];
    this.recent = [...this.recent, ...feed].slice(-DETOKENIZE_CONTEXT);
    this.appended = [];
    this.last = undefined;
    return feed;
  }

  private textOf(token: Token): string {
    this.partial.push(token);
    // Earlier tokens of an incomplete character are already committed: not context.
    const context = this.recent.slice(0, Math.max(0, this.recent.length - (this.partial.length - 1)));
    const special = this.partial.length === 1 && this.student.markerTokens.has(token);
    const text = this.student.model.detokenize(this.partial, special, context);
    if (text.endsWith("\uFFFD") && this.partial.length < MAX_PARTIAL) return "";
    this.partial = [];
    return text;
  }

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      await this.inflight?.catch(() => {});
      await this.generator?.return().catch(() => {});
      if (this.threads !== undefined && !this.shared) this.student.recordDecode({ threads: this.threads, tokens: this.decodeTokens, ms: this.decodeMs });
      this.lease.release();
      this.student.forget(this);
    })();
    return this.disposed;
  }

  /** The student is being unloaded: later steps throw `error`; resolves once the sequence is free. */
  end(error: RelayError): Promise<void> {
    this.unloaded ??= error;
    return this.dispose();
  }
}

function dropBrokenChar(text: string): string {
  return text.replace(/\uFFFD+$/, "");
}

/** Appends to a diagnostic list that a long-lived student keeps: only the most recent entries. */
function keepRecent<T>(list: T[], item: T, limit = 1000): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}
