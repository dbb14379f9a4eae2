/**
 * Hands out the context sequences of one LlamaContext to concurrent requests (chat, inline,
 * explain), queueing when all are busy. A returned sequence keeps its KV cache, and the next
 * request gets the free sequence sharing the longest prefix with its prompt. `dispose()` (the
 * model is being unloaded) rejects every queued request with a typed error.
 */
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import { RelayError, abortError } from "../core/errors.js";
import { commonPrefix } from "../core/prefix.js";

export interface SequenceLease {
  readonly sequence: LlamaContextSequence;
  /** Tokens of the prompt already in the sequence's cache. */
  readonly reusable: number;
  release(): void;
}

interface Waiter {
  prompt: readonly Token[];
  resolve: (lease: SequenceLease) => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal;
  onAbort: () => void;
}

/** The error queued and later requests get once the pool is disposed. */
export function poolDisposedError(reason = "the model was unloaded"): RelayError {
  return new RelayError("model-unloaded", `The student model is no longer loaded (${reason}).`);
}

export class SequencePool {
  private readonly free: LlamaContextSequence[] = [];
  private readonly waiters: Waiter[] = [];
  private busy = 0;
  private disposed: RelayError | undefined;

  constructor(private readonly context: LlamaContext) {}

  get inUse(): number {
    return this.busy;
  }

  /** Requests waiting for a sequence. */
  get queued(): number {
    return this.waiters.length;
  }

  acquire(prompt: readonly Token[], signal?: AbortSignal): Promise<SequenceLease> {
    if (this.disposed) return Promise.reject(this.disposed);
    if (signal?.aborted) return Promise.reject(abortError());
    const lease = this.tryAcquire(prompt);
    if (lease) return Promise.resolve(lease);
    return new Promise<SequenceLease>((resolve, reject) => {
      const waiter: Waiter = {
        prompt,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortError());
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * No more leases: queued requests are rejected with `error` (default: model-unloaded), and so
   * is every later acquire(). Leases already out stay valid until released.
   */
  dispose(error: RelayError = poolDisposedError()): void {
    this.disposed ??= error;
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.reject(this.disposed);
    }
    this.free.length = 0;
  }

  private tryAcquire(prompt: readonly Token[]): SequenceLease | undefined {
    let sequence: LlamaContextSequence | undefined;
    if (this.free.length > 0) {
      let best = 0;
      let bestLen = -1;
      this.free.forEach((s, i) => {
        const len = commonPrefix(s.contextTokens, prompt);
        if (len > bestLen) [best, bestLen] = [i, len];
      });
      sequence = this.free.splice(best, 1)[0];
    } else if (this.context.sequencesLeft > 0) {
      sequence = this.context.getSequence();
    }
    if (!sequence) return undefined;
    this.busy++;
    const leased = sequence;
    let released = false;
    return {
      sequence: leased,
      reusable: commonPrefix(leased.contextTokens, prompt),
      release: () => {
        if (released) return;
        released = true;
        this.busy--;
        if (!leased.disposed && !this.disposed) this.free.push(leased);
        this.wake();
      },
    };
  }

  private wake(): void {
    while (this.waiters.length > 0) {
      const waiter = this.waiters[0];
      const lease = this.tryAcquire(waiter.prompt);
      if (!lease) return;
      this.waiters.shift();
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.resolve(lease);
    }
  }
}
