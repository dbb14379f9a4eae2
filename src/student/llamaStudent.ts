/**
 * The student on node-llama-cpp: one loaded model, one context whose sequences are shared by
 * every request, generation that keeps the KV cache across relays (after a teacher span only
 * the spliced tokens are evaluated).
 */
import type { ChatWrapper, LlamaContext, LlamaGrammarEvaluationState, LlamaModel, Token } from "node-llama-cpp";
import { DEFAULT_MODEL_CONTEXT } from "../core/defaults.js";
import { internalError, RelayError } from "../core/errors.js";
import { fitHistory } from "../core/fitHistory.js";
import type { Logger } from "../core/logger.js";
import { silentLogger } from "../core/logger.js";
import type { SessionOptions, Student, StudentSession, StudentStep } from "../core/models.js";
import type { TaskPrompt } from "../core/prompts.js";
import { completionText, plainContext, repoContextPieces, type CompletionContext } from "../core/contextPrompt.js";
import type { ThoughtFormat } from "../core/thoughts.js";
import type { DecodeSample, GovernorStep, ThreadGovernor } from "../core/threadGovernor.js";
import { nodeLlamaCpp, type GpuSetting, type LlamaHandle } from "../llama/llama.js";
import { loadLlamaModel, releaseLlamaModel, type LoadedLlamaModel } from "../llama/loadModel.js";
import { meterTotal } from "../llama/meter.js";
import type { ResolveOptions } from "../llama/modelFile.js";
import { reuseCachedPrefix } from "../llama/prefixReuse.js";
import { SequencePool, poolDisposedError, type SequenceLease } from "../llama/sequencePool.js";
import { AdaptiveThreads, FixedThreads, type ThreadPolicy } from "../llama/threadPolicy.js";
import { chatPromptText, chatPromptTokens, thoughtMarkers, type ThoughtMarkers } from "../llama/chatFormat.js";

export interface StudentLoadOptions extends ResolveOptions {
  /** A GGUF path, an `hf:` URI or a URL. */
  model: string;
  gpu?: GpuSetting;
  /** Explicit CPU threads (> 0): fixed, no governor. Absent or 0: adapted per answer. */
  threads?: number;
  /** Tokens per sequence (default: src/core/defaults.ts). */
  contextSize?: number;
  /** Concurrent requests served without queueing (default: src/core/defaults.ts). */
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
  /**
   * Where an infill prompt puts the text typed on the cursor's line: `line-in-middle` (default)
   * after the middle token, as the answer's start, so the suffix's cached tokens stay valid while
   * the user types along the line; `prefix` at the prefix's end, as before (kept for the
   * benchmark's side-by-side; docs/inline.md, "Latency").
   */
  infillLayout?: InfillLayout;
  logger?: Logger;
}

export type InfillLayout = "line-in-middle" | "prefix";

/**
 * Token healing: the most likely of this many next tokens that agrees with the typed text left
 * out of the prompt is taken; none of them: the typed text goes back in as it was.
 */
const HEAL_TOP_K = 64;
/** At most this many tokens to cover the typed text left out. */
const HEAL_MAX_STEPS = 4;

/** Per-token detokenizer context: enough for SentencePiece's leading-space rule. */
const DETOKENIZE_CONTEXT = 8;
/** A UTF-8 character spans at most 4 byte tokens. */
const MAX_PARTIAL = 4;

export class LlamaStudent implements Student {
  readonly name: string;
  readonly handle: LlamaHandle;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly path: string;
  private readonly chatWrapper: ChatWrapper;
  private readonly pool: SequencePool;
  /** Sessions not yet disposed: dispose() ends them before it frees the context. */
  private readonly sessions = new Set<LlamaStudentSession>();
  private disposing: Promise<void> | undefined;
  /** Set by dispose(): every later use of the model throws it. */
  private unloaded: RelayError | undefined;
  /** The thread count of each answer: fixed, or adapted per answer (handed to every session). */
  readonly threadPolicy: ThreadPolicy;

  private constructor(
    private readonly loaded: LoadedLlamaModel,
    private readonly log: Logger,
    loadAverage: number | undefined,
    otherCores: (() => number) | false | undefined,
    private readonly infillLayout: InfillLayout,
  ) {
    ({ handle: this.handle, model: this.model, context: this.context, path: this.path, chatWrapper: this.chatWrapper } = loaded);
    this.pool = new SequencePool(this.context);
    this.threadPolicy = this.handle.adaptive
      ? new AdaptiveThreads({ llama: this.handle.llama, ceiling: this.context.idealThreads, running: () => this.pool.inUse, loadAverage, otherCores, log })
      : new FixedThreads(this.handle.threads);
    this.name = this.model.fileInfo.metadata?.general?.name ?? this.path.split(/[\\/]/).pop() ?? "student";
    this.markers = thoughtMarkers(this.chatWrapper);
    for (const marker of this.markers ? [this.markers.open, this.markers.close] : []) {
      const tokens = this.model.tokenize(marker, true);
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
    const loaded = await loadLlamaModel({
      ...options,
      sequences: options.sequences ?? DEFAULT_MODEL_CONTEXT.studentSequences,
      thinking: options.thinking ?? true,
      logger: log,
    });
    const { path, context, chatWrapper } = loaded;
    const thinks = thoughtMarkers(chatWrapper) ? `, thinking ${options.thinking === false ? "off" : "on"}` : "";
    log.info(`student loaded: ${path} (context ${context.contextSize} × ${context.totalSequences} sequences, chat template ${chatWrapper.wrapperName}${thinks})`);
    try {
      return new LlamaStudent(loaded, log, options.loadAverage, options.otherCores, options.infillLayout ?? "line-in-middle");
    } catch (error) {
      await releaseLlamaModel(loaded);
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

  /**
   * Prompt tokens the model evaluates: the chat template with the model's turn opened, or a code
   * completion (without the typed text it heals, see completionPrompt()).
   */
  promptTokens(task: TaskPrompt): Token[] {
    return this.prompt(task).tokens;
  }

  /** The prompt, and the typed text the answer must start with (healed, not shown again). */
  private prompt(task: TaskPrompt): { tokens: Token[]; heal?: string } {
    this.assertLoaded();
    if (task.completion) return this.completionPrompt(task.completion);
    return { tokens: chatPromptTokens(this.model, this.chatWrapper, task) };
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

  /**
   * Infill (prefix, suffix, middle) when the model supports it; plain continuation otherwise.
   * Repository context goes first: in the model's repository format when it has one, else as
   * plain text before the prefix. The cursor line's text typed so far goes after the middle token
   * (the answer's start): a keystroke then changes only the prompt's last tokens, where at the
   * prefix's end it made the model evaluate the whole suffix again. Its last token is left out
   * and healed: the model picks the token that goes on from the text typed (a partial word like
   * `current_st` is not a token the model wrote in its training's middles; `_string` is).
   */
  private completionPrompt(completion: NonNullable<TaskPrompt["completion"]>): { tokens: Token[]; heal?: string } {
    const { suffix, context } = completion;
    const bos = this.model.tokens.bos;
    const start = bos !== null && this.model.tokens.shouldPrependBosToken ? [bos] : [];
    const repo = context && context.chunks.length > 0 ? this.repoTokens(context) : undefined;
    const head = [...start, ...(repo ?? [])];
    const prefix = repo ? completion.prefix : plainContext(context) + completion.prefix;
    const { infill } = this.model.tokens;
    if (suffix && infill.prefix != null && infill.suffix != null && infill.middle != null) {
      const lineStart = this.infillLayout === "line-in-middle" ? prefix.lastIndexOf("\n") + 1 : prefix.length;
      const tokens = [...head, infill.prefix, ...this.tokenize(prefix.slice(0, lineStart)), infill.suffix, ...this.tokenize(suffix), infill.middle];
      const { kept, heal } = this.healSplit(prefix.slice(lineStart));
      return { tokens: [...tokens, ...kept], ...(heal ? { heal } : {}) };
    }
    return { tokens: [...head, ...this.tokenize(prefix)] };
  }

  /** Typed text's tokens but the last, and the last one's text (when the tokens spell the text exactly). */
  private healSplit(typed: string): { kept: Token[]; heal?: string } {
    const tokens = this.tokenize(typed);
    if (tokens.length === 0) return { kept: [] };
    const kept = tokens.slice(0, -1);
    const keptText = this.model.detokenize(kept);
    if (!typed.startsWith(keptText) || typed.length === keptText.length) return { kept: tokens };
    return { kept, heal: typed.slice(keptText.length) };
  }

  /** The context in the repository format (`<|repo_name|>`, `<|file_sep|>`), when the model has those tokens. */
  private repoTokens(context: CompletionContext): Token[] | undefined {
    const pieces = repoContextPieces(context);
    const tokens: Token[] = [];
    for (const piece of pieces) {
      if ("text" in piece) tokens.push(...this.tokenize(piece.text));
      else {
        const special = this.specialToken(piece.special);
        if (special === undefined) return undefined;
        tokens.push(special);
      }
    }
    return tokens;
  }

  private readonly specials = new Map<string, Token | undefined>();

  /** The single token a special text like `<|file_sep|>` stands for in this model, if it has one. */
  private specialToken(text: string): Token | undefined {
    if (!this.specials.has(text)) {
      const tokens = this.model.tokenize(text, true);
      this.specials.set(text, tokens.length === 1 && this.model.detokenize(tokens, true) === text ? tokens[0] : undefined);
    }
    return this.specials.get(text);
  }

  renderPrompt(task: TaskPrompt): string {
    // A completions teacher continues the code itself, after the context as plain text.
    if (task.completion) return completionText(task.completion);
    // A server adds its own BOS; everything else is sent as text, special tokens included.
    return chatPromptText(this.model, this.chatWrapper, task);
  }

  async openSession(asked: TaskPrompt, options: SessionOptions): Promise<StudentSession> {
    // Earlier exchanges take at most half the context: the rest is for the answer.
    const { task, dropped } = fitHistory(asked, (t) => this.promptTokens(t).length, Math.floor(this.context.contextSize / 2));
    if (dropped > 0) this.log.info(`chat: the ${dropped} oldest exchange(s) left out of the prompt (the student's context holds ${this.context.contextSize} tokens)`);
    const { tokens: prompt, heal } = this.prompt(task);
    // A prompt the context cannot hold would be shifted through it over and over: refuse it.
    if (prompt.length >= this.context.contextSize) {
      throw new RelayError("prompt-too-long", `The prompt is ${prompt.length} tokens; the student's context holds ${this.context.contextSize}. Shorten the prompt or raise the context size (--context-size, relay.student.contextSize).`);
    }
    const grammar = options.grammar ? await this.grammarState(options.grammar) : undefined;
    const lease = await this.pool.acquire(prompt, options.signal);
    try {
      this.assertLoaded();
      const session = await LlamaStudentSession.open(this.sessionModel, lease, prompt, options, grammar, this.threadPolicy, heal);
      this.sessions.add(session);
      void session.closed.then(() => this.sessions.delete(session));
      // Unloaded while the prompt was being prepared: end it like the other live sessions.
      if (this.unloaded) await session.end(this.unloaded);
      this.assertLoaded();
      return session;
    } catch (error) {
      lease.release();
      throw this.unloaded ?? error;
    }
  }

  /** What a session uses of the model: no way back into the student. */
  private get sessionModel(): SessionModel {
    return { model: this.model, markerTokens: this.markerTokens, tokenize: (text) => this.tokenize(text), running: () => this.pool.inUse };
  }

  /** CPU threads the next answer decodes with. */
  get threads(): number {
    return this.threadPolicy.current;
  }

  /** The thread governor when the count adapts (no thread count was set); for logs, benches and tests. */
  get governor(): ThreadGovernor | undefined {
    return this.threadPolicy instanceof AdaptiveThreads ? this.threadPolicy.governor : undefined;
  }

  /** The last answer's decode sample and the governor's step on it (for logs and tests). */
  get lastDecode(): { sample: DecodeSample; step: GovernorStep } | undefined {
    return this.threadPolicy instanceof AdaptiveThreads ? this.threadPolicy.lastDecode : undefined;
  }

  /** Mid-answer thread changes since the student loaded (for logs, benches and tests). */
  get midAnswer(): readonly GovernorStep[] {
    return this.threadPolicy instanceof AdaptiveThreads ? this.threadPolicy.midAnswer : [];
  }

  /** Thread changes from the CPU hints before answers since the student loaded (for logs, benches and tests). */
  get hints(): readonly GovernorStep[] {
    return this.threadPolicy instanceof AdaptiveThreads ? this.threadPolicy.hints : [];
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
      this.threadPolicy.stop();
      this.pool.dispose(error);
      await Promise.all([...this.sessions].map((s) => s.end(error)));
      await releaseLlamaModel(this.loaded);
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

/** What a session needs of the loaded model (the student hands it over; the session never calls the student). */
interface SessionModel {
  model: LlamaModel;
  /** Plain text as spliced mid-answer (throws once the model is unloaded). */
  tokenize(text: string): Token[];
  /** Single-token reasoning markers, shown as text. */
  markerTokens: ReadonlySet<Token>;
  /** Answers running now, this one included. */
  running(): number;
}

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
  /** The evaluation running now: the sequence is freed only after it. */
  private inflight: Promise<unknown> | undefined;
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

  /** Threads this answer runs with; undefined: it shares the CPU with another answer. */
  private threads: number | undefined;
  /** Resolves once the session has freed its sequence. */
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  private constructor(
    private readonly host: SessionModel,
    private readonly lease: SequenceLease,
    readonly promptTokens: number,
    input: Token[],
    private readonly options: SessionOptions,
    private readonly grammar: LlamaGrammarEvaluationState | undefined,
    private readonly threadPolicy: ThreadPolicy,
    threads: number | undefined,
  ) {
    this.input = input;
    this.meterStart = meterTotal(lease.sequence);
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    this.threads = threads;
  }

  static async open(host: SessionModel, lease: SequenceLease, prompt: Token[], options: SessionOptions, grammar: LlamaGrammarEvaluationState | undefined, threadPolicy: ThreadPolicy, heal?: string): Promise<LlamaStudentSession> {
    const threads = threadPolicy.begin();
    const input = await reuseCachedPrefix(lease.sequence, prompt, lease.reusable);
    const session = new LlamaStudentSession(host, lease, input.length, input, options, grammar, threadPolicy, threads);
    session.recent = prompt.slice(-DETOKENIZE_CONTEXT);
    // A grammar decides every token itself: no healing under one.
    if (heal && !grammar) session.heal = heal;
    return session;
  }

  /** Typed text left out of the prompt that the answer must start with (token healing). */
  private heal: string | undefined;

  get evaluatedTokens(): number {
    return meterTotal(this.lease.sequence) - this.meterStart;
  }

  async next(): Promise<StudentStep | null> {
    if (this.unloaded) throw this.unloaded;
    if (this.ended || this.disposed) return null;
    if (this.heal !== undefined) {
      const healed = await this.healStep(this.heal);
      if (healed) return healed;
    }
    let step: Promise<Step>;
    /** This step evaluates exactly the last sampled token: a decode step the governor may time. */
    let decode = false;
    if (this.options.topK && !this.grammar) {
      // The distribution's top-K: one controlled evaluation per step (the generator can only
      // return the whole vocabulary's probabilities, ~50-150k pairs a token).
      const first = !this.started && this.input.length > 0;
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
      // After a healed token the input is that token (and any text spliced after it).
      this.generator = this.lease.sequence.evaluateWithMetadata(
        this.input.length > 0 ? this.input : this.commitLast(),
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
    if (this.host.running() > 1) this.shared = true;
    const t0 = performance.now();
    this.inflight = step;
    const result = await step;
    this.inflight = undefined;
    if (decode) {
      this.decodeMs += performance.now() - t0;
      this.decodeTokens++;
      if (this.threads !== undefined && !this.shared) {
        const changed = this.threadPolicy.check({ threads: this.threads, tokens: this.decodeTokens, ms: this.decodeMs });
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

  /**
   * Token healing: evaluates the prompt and takes, among the most likely next tokens, the best
   * one whose text agrees with the typed text left out (`remaining`): one that starts with it
   * ends the healing, and its text past it is this step's text; one that is a part of it is fed
   * and the rest healed on. No agreeing token: the typed text is fed as it was, unhealed.
   * Returns undefined when the healed token adds no text (the next step goes on from it).
   */
  private async healStep(remaining: string): Promise<StudentStep | undefined> {
    this.heal = undefined;
    let feed = this.input;
    /** `feed` is in the sequence (evaluated by the last step). */
    let fed = false;
    for (let step = 0; step < HEAL_MAX_STEPS; step++) {
      const evaluation = this.evaluateTop(feed, Math.max(HEAL_TOP_K, this.options.topK ?? 0));
      this.inflight = evaluation;
      const { top } = await evaluation;
      this.inflight = undefined;
      if (this.unloaded) throw this.unloaded;
      fed = true;
      // The prompt's tail is in `recent` already; a healed piece is not.
      if (step > 0) this.recent = [...this.recent, ...feed].slice(-DETOKENIZE_CONTEXT);
      let agrees: { token: Token; p: number; text: string } | undefined;
      for (const { token, p } of top) {
        if (this.host.model.isEogToken(token)) continue;
        const text = this.host.model.detokenize([token], false, this.recent);
        if (text.length > 0 && (text.startsWith(remaining) || remaining.startsWith(text))) {
          agrees = { token, p, text };
          break;
        }
      }
      if (!agrees) break;
      if (!agrees.text.startsWith(remaining)) {
        remaining = remaining.slice(agrees.text.length);
        feed = [agrees.token];
        fed = false;
        continue;
      }
      // Healed: the token is fed with the next step.
      this.input = [];
      this.last = agrees.token;
      const shown = agrees.text.slice(remaining.length);
      if (shown.length === 0) return undefined;
      const k = this.options.topK;
      return { text: shown, probability: agrees.p, ...(k ? { top: top.slice(0, k).map((t) => t.p) } : {}) };
    }
    // Nothing agreed (or too many pieces): the typed text still left out is evaluated as typed.
    this.input = [...(fed ? [] : feed), ...this.host.tokenize(remaining)];
    this.recent = [...this.recent, ...this.input].slice(-DETOKENIZE_CONTEXT);
    return undefined;
  }

  /** Evaluates `feed` and samples the next token with its distribution's top-K probabilities. */
  private async sampleTop(feed: Token[], k: number): Promise<Step> {
    const { token, top } = await this.evaluateTop(feed, k, true);
    if (token == null || this.host.model.isEogToken(token)) return { done: true, value: undefined };
    const chosen = top.find((t) => t.token === token)?.p ?? top[0].p;
    return { done: false, value: { token, confidence: chosen, top: top.slice(0, k).map((t) => t.p) } };
  }

  /**
   * Evaluates `feed`; the next token's `k` most likely candidates with their probabilities,
   * highest first, and with `sample` the token sampled (its own probability included).
   */
  private async evaluateTop(feed: Token[], k: number, sample = false): Promise<{ token?: Token; top: Array<{ token: Token; p: number }> }> {
    const options = { temperature: this.options.temperature ?? 0, seed: this.options.seed };
    const generateNext = { token: sample, totalLogitWeight: true, logits: { filter: { tokens: [], includeTop: k, includeSelected: sample } }, options };
    const input = feed.map((token, i) => (i === feed.length - 1 ? ([token, { generateNext }] as [Token, { generateNext: typeof generateNext }]) : token));
    const out = await this.lease.sequence.controlledEvaluate(input);
    const next = out[feed.length - 1]?.next;
    if (sample && (next?.token == null || this.host.model.isEogToken(next.token))) return { token: next?.token ?? undefined, top: [] };
    const logits = [...(next?.logits ?? new Map<Token, number>()).entries()];
    const weight = next?.totalLogitWeight;
    if (logits.length === 0 || !weight) throw internalError("node-llama-cpp returned no logits for the next token.");
    // Logits are sorted, highest first; p = exp(logit − max) / Σ exp(logit − max).
    const max = logits[0][1];
    return { token: next?.token ?? undefined, top: logits.map(([token, logit]) => ({ token, p: Math.exp(logit - max) / weight })) };
  }

  discardLast(): void {
    this.discarded = true;
    this.partial = [];
  }

  append(text: string): number {
    const tokens = this.host.tokenize(text);
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
    const special = this.partial.length === 1 && this.host.markerTokens.has(token);
    const text = this.host.model.detokenize(this.partial, special, context);
    if (text.endsWith("\uFFFD") && this.partial.length < MAX_PARTIAL) return "";
    this.partial = [];
    return text;
  }

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      await this.inflight?.catch(() => {});
      await this.generator?.return().catch(() => {});
      if (this.threads !== undefined && !this.shared) this.threadPolicy.end({ threads: this.threads, tokens: this.decodeTokens, ms: this.decodeMs });
      this.lease.release();
      this.markClosed();
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
