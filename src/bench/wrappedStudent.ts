/** Base of the benchmark's Student wrappers: the tokenizer and prompt come from the wrapped one. */
import type { SessionOptions, Student, StudentSession } from "../core/models.js";
import type { TaskPrompt } from "../core/prompts.js";

export abstract class WrappedStudent<S extends Student = Student> implements Student {
  constructor(protected readonly inner: S) {}

  get name(): string {
    return this.inner.name;
  }
  countTokens(text: string): number {
    return this.inner.countTokens(text);
  }
  truncateToTokens(text: string, maxTokens: number): string {
    return this.inner.truncateToTokens(text, maxTokens);
  }
  lastTokens(text: string, maxTokens: number): string {
    return this.inner.lastTokens(text, maxTokens);
  }
  renderPrompt(task: TaskPrompt): string {
    return this.inner.renderPrompt(task);
  }
  abstract openSession(task: TaskPrompt, options: SessionOptions): Promise<StudentSession>;
}
