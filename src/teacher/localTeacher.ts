/**
 * A teacher that is a local GGUF on node-llama-cpp. It keeps its own context sequence and
 * evaluates only the text added since its last call (the answer grows at the end), so a
 * relay costs the teacher O(new text), not O(context).
 */
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { abortError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { silentLogger } from "../core/logger.js";
import type { Teacher, TeacherReply, TeacherRequest } from "../core/models.js";
import { getSharedLlama, type GpuSetting } from "../student/llama.js";
import { loadGgufModel } from "../student/loadModel.js";
import { resolveModel } from "../student/modelFile.js";

export interface LocalTeacherOptions {
  model: string;
  gpu?: GpuSetting;
  threads?: number;
  contextSize?: number;
  temperature?: number;
  logger?: Logger;
}

export class LocalTeacher implements Teacher {
  readonly name = "local";
  readonly model: string;
  private readonly sequence: LlamaContextSequence;
  /** The exact text whose tokens are in the sequence (undefined: start over). */
  private cachedText: string | undefined;
  /** A sampled token not yet evaluated (the last one of the previous reply). */
  private pendingToken: Token | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly llamaModel: LlamaModel,
    private readonly context: LlamaContext,
    private readonly options: LocalTeacherOptions,
    private readonly log: Logger,
  ) {
    this.sequence = context.getSequence();
    this.model = llamaModel.fileInfo.metadata?.general?.name ?? options.model.split(/[\\/]/).pop() ?? "local-teacher";
  }

  static async load(options: LocalTeacherOptions): Promise<LocalTeacher> {
    const path = await resolveModel(options.model);
    const handle = await getSharedLlama({ gpu: options.gpu, threads: options.threads, logger: options.logger });
    const model = await loadGgufModel(handle, path);
    const context = await model.createContext({ contextSize: options.contextSize ?? { max: 8192 }, sequences: 1, threads: handle.threads });
    return new LocalTeacher(model, context, options, options.logger ?? silentLogger);
  }

  /** Tokens this teacher has evaluated in all (shows the delta-only evaluation). */
  get evaluatedTokens(): number {
    return this.sequence.tokenMeter.usedInputTokens;
  }

  generate(request: TeacherRequest): Promise<TeacherReply> {
    // One sequence: calls are served one at a time.
    const run = this.queue.then(() => this.generateNow(request));
    this.queue = run.catch(() => {});
    return run;
  }

  private async generateNow(request: TeacherRequest): Promise<TeacherReply> {
    if (request.signal?.aborted) throw abortError();
    const full = request.promptText + request.answer;
    const input = await this.inputFor(request.promptText, full);
    const promptTokens = this.sequence.nextTokenIndex + input.length;
    const generated: Token[] = [];
    let finish: TeacherReply["finish"] = "length";
    const evaluation = this.sequence.evaluate(input, { temperature: this.options.temperature ?? 0 });
    try {
      if (request.maxTokens > 0) {
        for await (const token of evaluation) {
          if (request.signal?.aborted) throw abortError();
          generated.push(token);
          if (generated.length >= request.maxTokens) break;
        }
        if (generated.length < request.maxTokens) finish = "eos";
      }
    } catch (error) {
      this.cachedText = undefined; // the sequence holds a partial evaluation
      throw error;
    }
    const text = this.llamaModel.detokenize(generated, false, this.sequence.contextTokens.slice(-8));
    // Every generated token but the last was evaluated; the last waits for the next call.
    this.pendingToken = finish === "eos" ? undefined : generated[generated.length - 1];
    this.cachedText = finish === "eos" ? undefined : full + text;
    this.log.debug(`local teacher: evaluated ${input.length} new tokens, generated ${generated.length}`);
    return {
      text,
      finish,
      model: this.model,
      usage: { promptTokens, completionTokens: generated.length },
    };
  }

  /** The tokens to evaluate for `full`: only the delta when the cache is a prefix of it. */
  private async inputFor(promptText: string, full: string): Promise<Token[]> {
    if (this.cachedText !== undefined && full.startsWith(this.cachedText) && full.length > this.cachedText.length) {
      const delta = this.llamaModel.tokenize(full.slice(this.cachedText.length), false, "trimLeadingSpace");
      return this.pendingToken === undefined ? delta : [this.pendingToken, ...delta];
    }
    if (this.cachedText !== undefined && full === this.cachedText && this.pendingToken !== undefined) {
      return [this.pendingToken];
    }
    await this.sequence.clearHistory();
    this.pendingToken = undefined;
    const bos = this.llamaModel.tokens.bos;
    const prompt = this.llamaModel.tokenize(promptText, true);
    const answer = this.llamaModel.tokenize(full.slice(promptText.length), false, "trimLeadingSpace");
    const tokens = [...prompt, ...answer];
    return bos !== null && this.llamaModel.tokens.shouldPrependBosToken && tokens[0] !== bos ? [bos, ...tokens] : tokens;
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.llamaModel.dispose();
  }
}
