/**
 * The naive baseline of the relay benchmark: a student that, after each relay, throws its KV
 * cache away and re-sends the whole context (prompt + answer so far + the teacher's span), as
 * the paper's reference implementation does by calling generate() again on the full text.
 * Benchmark-only; the product's LlamaStudent keeps the cache and evaluates only the new tokens.
 */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { SessionOptions, StudentSession, StudentStep } from "../core/models.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { LlamaStudent } from "../student/llamaStudent.js";
import { meterTotal } from "../llama/meter.js";
import { WrappedStudent } from "./wrappedStudent.js";

type Generator = AsyncGenerator<{ token: Token }, void, void | Token | Token[]>;

export class NaiveRestartStudent extends WrappedStudent<LlamaStudent> {
  /** `sequence` must belong to `inner`'s context and be used by nothing else. */
  constructor(
    inner: LlamaStudent,
    private readonly sequence: LlamaContextSequence,
  ) {
    super(inner);
  }

  override get name(): string {
    return `${this.inner.name} (naive: full re-send after each relay)`;
  }

  async openSession(task: TaskPrompt, options: SessionOptions): Promise<StudentSession> {
    await this.sequence.clearHistory();
    return new NaiveSession(this.inner, this.sequence, this.inner.promptTokens(task), options);
  }
}

class NaiveSession implements StudentSession {
  readonly promptTokens: number;
  /** Everything the student has seen: prompt, committed tokens, spliced text. */
  private readonly history: Token[];
  private generator: Generator | undefined;
  private last: Token | undefined;
  private discarded = false;
  private appended: Token[] = [];
  private readonly meterStart: number;
  private ended = false;

  constructor(
    private readonly student: LlamaStudent,
    private readonly sequence: LlamaContextSequence,
    prompt: Token[],
    private readonly options: SessionOptions,
  ) {
    this.history = [...prompt];
    this.promptTokens = prompt.length;
    this.meterStart = meterTotal(sequence);
  }

  get evaluatedTokens(): number {
    return meterTotal(this.sequence) - this.meterStart;
  }

  private start(tokens: Token[]): Generator {
    return this.sequence.evaluateWithMetadata(tokens, {}, { temperature: this.options.temperature ?? 0, seed: this.options.seed }) as Generator;
  }

  async next(): Promise<StudentStep | null> {
    if (this.ended) return null;
    let result: IteratorResult<{ token: Token }, void>;
    if (!this.generator) {
      this.generator = this.start(this.history);
      result = await this.generator.next();
    } else {
      const feed = [...(this.discarded || this.last === undefined ? [] : [this.last]), ...this.appended];
      const relayed = this.appended.length > 0;
      this.appended = [];
      this.history.push(...feed);
      if (relayed) {
        // The reference implementation's way: a new generate() call on the whole text.
        await this.generator.return();
        await this.sequence.clearHistory();
        this.generator = this.start(this.history);
        result = await this.generator.next();
      } else {
        result = await this.generator.next(feed);
      }
    }
    if (result.done) {
      this.ended = true;
      return null;
    }
    this.last = result.value.token;
    this.discarded = false;
    const context = this.history.slice(-8);
    return { text: this.student.model.detokenize([result.value.token], false, context) };
  }

  discardLast(): void {
    this.discarded = true;
  }

  append(text: string): number {
    const tokens = this.student.tokenize(text);
    this.appended.push(...tokens);
    return tokens.length;
  }

  async dispose(): Promise<void> {
    this.ended = true;
    await this.generator?.return().catch(() => {});
  }
}
