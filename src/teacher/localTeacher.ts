/**
 * A teacher that is a local GGUF on node-llama-cpp. It keeps its own context sequence and
 * evaluates only the text added since its last call (the answer grows at the end), so a
 * relay costs the teacher O(new text), not O(context).
 */
import type { ChatWrapper, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { completionText } from "../core/contextPrompt.js";
import { RelayError, abortError, errorMessage, isAbortError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { silentLogger } from "../core/logger.js";
import type { Teacher, TeacherReply, TeacherRequest } from "../core/models.js";
import { commonPrefix } from "../core/prefix.js";
import type { TaskPrompt } from "../core/prompts.js";
import { chatPromptText } from "../llama/chatFormat.js";
import type { GpuSetting } from "../llama/llama.js";
import { loadLlamaModel, releaseLlamaModel, type LoadedLlamaModel } from "../llama/loadModel.js";
import { meterTotal } from "../llama/meter.js";

export interface LocalTeacherOptions {
  model: string;
  gpu?: GpuSetting;
  threads?: number;
  /** Tokens in its context (default: src/core/defaults.ts). */
  contextSize?: number;
  /** Sampling temperature; default 0 (greedy: a local teacher is used for reproducible evaluations and router labels). */
  temperature?: number;
  /** Stop strings, as an OpenAI-compatible server takes them: the reply ends before the first (`--teacher-stop`). */
  stop?: string[];
  logger?: Logger;
  /** Cancels the load (the model is released if it was loaded already). */
  signal?: AbortSignal;
}

/** The teacher's greedy next token at one of its token boundaries of an answer. */
export interface TeacherPrediction {
  /** Where in the answer (characters) the predicted token would start. */
  offset: number;
  /** Its text ("" for end of sequence). */
  text: string;
  eos: boolean;
  probability: number;
  /** The probability the teacher gives the answer's own next token there (absent at the end). */
  actualProbability?: number;
}

/** A token in (or waiting for) the sequence, and where its text ends in the request text. */
interface Placed {
  token: Token;
  end: number;
}

export class LocalTeacher implements Teacher {
  readonly name = "local";
  readonly model: string;
  private readonly sequence: LlamaContextSequence;
  /** The text the sequence's tokens stand for. */
  private cachedText = "";
  /** The sequence's tokens, with text offsets (a tokenized chunk shares its end offset). */
  private placed: Placed[] = [];
  /** The last generated token: sampled, not yet evaluated. */
  private pending: Placed | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private readonly llamaModel: LlamaModel;
  private readonly context: LlamaContext;
  private readonly chatWrapper: ChatWrapper;
  /** The resolved GGUF file. */
  readonly path: string;

  private constructor(
    private readonly loaded: LoadedLlamaModel,
    private readonly options: LocalTeacherOptions,
    private readonly log: Logger,
  ) {
    ({ model: this.llamaModel, context: this.context, chatWrapper: this.chatWrapper, path: this.path } = loaded);
    this.sequence = this.context.getSequence();
    this.model = this.llamaModel.fileInfo.metadata?.general?.name ?? options.model.split(/[\\/]/).pop() ?? "local-teacher";
  }

  static async load(options: LocalTeacherOptions): Promise<LocalTeacher> {
    // One sequence; its own chat format, whatever the student's (a Gemma teacher for a ChatML
    // student). The loading sequence and its cleanup are the student's (loadLlamaModel).
    const loaded = await loadLlamaModel({ model: options.model, gpu: options.gpu, threads: options.threads, contextSize: options.contextSize, sequences: 1, thinking: true, signal: options.signal, logger: options.logger });
    try {
      return new LocalTeacher(loaded, options, options.logger ?? silentLogger);
    } catch (error) {
      await releaseLlamaModel(loaded);
      throw error;
    }
  }

  /** The loaded model (its tokenizer, for callers that count in the teacher's own tokens). */
  get llama(): LlamaModel {
    return this.llamaModel;
  }

  /** The node-llama-cpp chat wrapper that renders this teacher's prompts (e.g. "Gemma"). */
  get chatTemplate(): string {
    return this.chatWrapper.wrapperName;
  }

  /** The task in this teacher's own chat format (a code completion: the code itself). */
  renderPrompt(task: TaskPrompt): string {
    if (task.completion) return completionText(task.completion);
    return chatPromptText(this.llamaModel, this.chatWrapper, task);
  }

  /** Tokens this teacher has evaluated in all (shows the delta-only evaluation). */
  get evaluatedTokens(): number {
    return meterTotal(this.sequence);
  }

  generate(request: TeacherRequest): Promise<TeacherReply> {
    // One sequence: calls are served one at a time.
    const run = this.queue.then(() => this.generateNow(request)).catch((error: unknown) => {
      // The same error model as the HTTP teacher: aborted, or a teacher-failed RelayError.
      if (isAbortError(error) || request.signal?.aborted) throw abortError();
      if (error instanceof RelayError) throw error;
      throw new RelayError("teacher-failed", `Local teacher failed: ${errorMessage(error)}`, { cause: error });
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async generateNow(request: TeacherRequest): Promise<TeacherReply> {
    if (request.signal?.aborted) throw abortError();
    const full = request.promptText + request.answer;
    const feed = await this.prepare(request.promptText, full);
    const cachedPromptTokens = this.sequence.nextTokenIndex;
    const promptTokens = cachedPromptTokens + feed.length;
    const generated: Token[] = [];
    const ends: number[] = [];
    // What precedes the reply, for the detokenizer's leading-space rule.
    const tail = [...this.placed, ...feed].slice(-8).map((p) => p.token);
    let finish: TeacherReply["finish"] = "length";
    const stops = (this.options.stop ?? []).filter((s) => s.length > 0);
    /** Where the first stop string starts in the reply, once one has been generated. */
    let stopAt = -1;
    try {
      if (request.maxTokens > 0) {
        const evaluation = this.sequence.evaluate(
          feed.map((p) => p.token),
          { temperature: this.options.temperature ?? 0 },
        );
        for await (const token of evaluation) {
          if (request.signal?.aborted) throw abortError();
          generated.push(token);
          const soFar = this.llamaModel.detokenize(generated, false, tail);
          ends.push(full.length + soFar.length);
          stopAt = firstStop(soFar, stops);
          if (stopAt >= 0) {
            finish = "stop";
            break;
          }
          if (generated.length >= request.maxTokens) break;
        }
        if (finish !== "stop" && generated.length < request.maxTokens) finish = "eos";
      }
    } catch (error) {
      await this.forget(); // the sequence holds a partial evaluation
      throw error;
    }
    const made = this.llamaModel.detokenize(generated, false, tail);
    // The tokens stand for all they made; the reply ends before the stop string.
    const text = stopAt >= 0 ? made.slice(0, stopAt) : made;
    const placedGen = generated.map((token, i) => ({ token, end: ends[i] }));
    // Every generated token was evaluated but the last, unless the model ended the text.
    this.placed.push(...feed, ...(finish === "eos" ? placedGen : placedGen.slice(0, -1)));
    this.pending = finish === "eos" ? undefined : placedGen[placedGen.length - 1];
    this.cachedText = full + made;
    this.log.debug(`local teacher: evaluated ${feed.length} new tokens (${cachedPromptTokens} cached), generated ${generated.length}`);
    return { text, finish, model: this.model, usage: { promptTokens, completionTokens: generated.length, cachedPromptTokens } };
  }

  /**
   * The teacher's own next-token prediction at every one of its token boundaries in `answer`,
   * in one evaluation of the prompt and the whole answer (labels for a token router: where
   * would the teacher write something else?). Offsets are characters of `answer`.
   */
  predictions(promptText: string, answer: string, signal?: AbortSignal): Promise<TeacherPrediction[]> {
    const run = this.queue.then(() => this.predictNow(promptText, answer, signal));
    this.queue = run.catch(() => {});
    return run;
  }

  private async predictNow(promptText: string, answer: string, signal?: AbortSignal): Promise<TeacherPrediction[]> {
    if (signal?.aborted) throw abortError();
    await this.forget();
    const model = this.llamaModel;
    const prompt = model.tokenize(promptText, true);
    const bos = model.tokens.bos;
    if (bos !== null && model.tokens.shouldPrependBosToken && prompt[0] !== bos) prompt.unshift(bos);
    const body = answer ? model.tokenize(answer, false, "trimLeadingSpace") : [];
    const context = prompt.slice(-8);
    // Where each answer token starts, in characters of `answer` (the detokenized prefix's length).
    const starts = body.map((_, i) => (i === 0 ? 0 : model.detokenize(body.slice(0, i), false, context).length));
    const generateNext = { token: true, totalLogitWeight: true, logits: { filter: { tokens: [] as Token[], includeTop: 1 } } };
    const input: Array<Token | [Token, { generateNext: typeof generateNext }]> = [...prompt, ...body];
    // The last prompt token predicts the first answer token; each answer token the next.
    for (let i = prompt.length - 1; i < input.length; i++) {
      const next = i + 1 < input.length ? (input[i + 1] as Token) : undefined;
      input[i] = [input[i] as Token, { generateNext: { ...generateNext, logits: { filter: { tokens: next === undefined ? [] : [next], includeTop: 1 } } } }];
    }
    if (input.length > this.context.contextSize) throw new RelayError("prompt-too-long", `The prompt and answer are ${input.length} tokens; the teacher's context holds ${this.context.contextSize}.`);
    const out = await this.sequence.controlledEvaluate(input);
    await this.forget();
    const predictions: TeacherPrediction[] = [];
    for (let j = 0; j <= body.length; j++) {
      const next = out[prompt.length - 1 + j]?.next;
      const token = next?.token;
      const logits = [...(next?.logits ?? new Map<Token, number>()).entries()];
      const weight = next?.totalLogitWeight;
      if (token == null || !weight || logits.length === 0) continue;
      const max = logits[0][1];
      const actual = j < body.length ? logits.find(([t]) => t === body[j])?.[1] : undefined;
      const before = [...context, ...body.slice(Math.max(0, j - 8), j)];
      predictions.push({
        offset: j < body.length ? starts[j] : answer.length,
        text: model.isEogToken(token) ? "" : model.detokenize([token], false, before),
        eos: model.isEogToken(token),
        probability: Math.exp(logits[0][0] === token ? 0 : (logits.find(([t]) => t === token)?.[1] ?? max) - max) / weight,
        ...(actual === undefined ? {} : { actualProbability: Math.exp(actual - max) / weight }),
      });
    }
    return predictions;
  }

  /**
   * Keeps the longest cached prefix of `full` (whole tokens only), erases the rest from the
   * sequence, and returns the tokens still to evaluate. The answer grows at the end, so this is
   * usually just the text added since the last call.
   */
  private async prepare(promptText: string, full: string): Promise<Placed[]> {
    const common = commonPrefix(this.cachedText, full);
    let keep = 0;
    while (keep < this.placed.length && this.placed[keep].end <= common) keep++;
    if (keep < this.placed.length || this.placed.length === 0 || common < promptText.length) {
      if (common < promptText.length) keep = 0;
      await this.eraseFrom(keep);
      this.pending = undefined;
    }
    const feed: Placed[] = [];
    if (this.pending && this.pending.end <= common) feed.push(this.pending);
    this.pending = undefined;
    const from = feed.length ? feed[feed.length - 1].end : keep ? this.placed[keep - 1].end : 0;
    if (keep === 0) {
      const bos = this.llamaModel.tokens.bos;
      const prompt = this.llamaModel.tokenize(promptText, true);
      if (bos !== null && this.llamaModel.tokens.shouldPrependBosToken && prompt[0] !== bos) prompt.unshift(bos);
      feed.push(...prompt.map((token) => ({ token, end: promptText.length })));
      feed.push(...this.chunk(full.slice(promptText.length), full.length));
    } else {
      feed.push(...this.chunk(full.slice(from), full.length));
    }
    if (feed.length === 0) {
      // Nothing new: re-evaluate the last token to get fresh logits.
      const last = this.placed[this.placed.length - 1];
      await this.eraseFrom(this.placed.length - 1);
      feed.push(last);
    }
    return feed;
  }

  private chunk(text: string, end: number): Placed[] {
    if (!text) return [];
    return this.llamaModel.tokenize(text, false, "trimLeadingSpace").map((token) => ({ token, end }));
  }

  private async eraseFrom(index: number): Promise<void> {
    if (index < this.sequence.nextTokenIndex) {
      await this.sequence.eraseContextTokenRanges([{ start: index, end: this.sequence.nextTokenIndex }]);
    }
    this.placed.length = Math.min(this.placed.length, index);
  }

  private async forget(): Promise<void> {
    this.placed = [];
    this.pending = undefined;
    this.cachedText = "";
    await this.sequence.clearHistory();
  }

  async dispose(): Promise<void> {
    await releaseLlamaModel(this.loaded);
  }
}

/** Where the first of `stops` starts in `text` (-1: none). */
function firstStop(text: string, stops: readonly string[]): number {
  let at = -1;
  for (const stop of stops) {
    const i = text.indexOf(stop);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}
