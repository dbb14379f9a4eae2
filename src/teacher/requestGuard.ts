/**
 * One teacher request's limits, whatever the server does: an overall deadline (retries
 * included), an idle timeout once the reply has started (no bytes, or for a stream no data
 * event, for that long), and redirects: a same-origin 307/308 is followed, any other redirect is
 * refused (the prompt is never re-sent to a host the user did not configure). It owns the
 * request's AbortController, linked to the caller's signal with a listener it removes again, so
 * listeners never pile up on a long-lived signal.
 */
import { RelayError, abortError } from "../core/errors.js";

export interface GuardOptions {
  deadlineMs: number;
  idleMs: number;
  signal?: AbortSignal;
  /** Streams: progress is a data event (reported with `touch`), not any byte (SSE comments). */
  stream: boolean;
}

export interface RedirectRecord {
  status: number;
  from: string;
  to: string;
  followed: boolean;
}

const MAX_REDIRECTS = 3;

export class RequestGuard {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  /** Why the guard stopped the request (undefined while it runs). */
  failure: RelayError | undefined;
  /** Every URL a request really went to, in order. */
  readonly urls: string[] = [];
  readonly redirects: RedirectRecord[] = [];
  /** The last attempt's own failure (a connection error, an HTTP status), when the SDK retried it. */
  lastAttempt: { error?: unknown; status?: number } | undefined;
  /** A 2xx reply started: the server took the request, whatever happens to its body. */
  answered = false;
  private readonly deadline: ReturnType<typeof setTimeout>;
  private idle: ReturnType<typeof setTimeout> | undefined;
  private readonly onCallerAbort = () => this.stop(abortError());
  private rejectRace: ((error: unknown) => void) | undefined;

  constructor(private readonly options: GuardOptions) {
    this.deadline = setTimeout(() => this.stop(new RelayError("teacher-timeout", `The teacher timed out: no complete reply within ${seconds(options.deadlineMs)} (the request deadline).`)), options.deadlineMs);
    if (options.signal?.aborted) this.stop(abortError());
    else options.signal?.addEventListener("abort", this.onCallerAbort, { once: true });
  }

  /** Progress: the idle clock starts over. */
  touch(): void {
    if (this.failure) return;
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stop(new RelayError("teacher-timeout", `The teacher stalled: no ${this.options.stream ? "data" : "bytes"} for ${seconds(this.options.idleMs)}.`)), this.options.idleMs);
  }

  /** The body is complete: nothing more to wait for. */
  private quiet(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
  }

  /** Settles with the guard's error as soon as it stops the request, whatever `promise` does. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.failure) {
      promise.catch(() => {});
      return Promise.reject(this.failure);
    }
    return new Promise<T>((resolve, reject) => {
      this.rejectRace = reject;
      promise.then(resolve, (error: unknown) => reject(this.failure ?? error));
    });
  }

  /** A fetch for the SDK: records the URLs, handles redirects, watches the body. */
  fetch(base: typeof fetch): typeof fetch {
    return async (input, init) => {
      let url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      for (let hop = 0; ; hop++) {
        this.urls.push(url);
        let response: Response;
        try {
          response = await base(url, { ...init, redirect: "manual" });
        } catch (error) {
          if (!this.failure) this.lastAttempt = { error };
          throw error;
        }
        if (!response.ok) this.lastAttempt = { status: response.status };
        const location = response.headers.get("location");
        if (response.status < 300 || response.status >= 400 || !location) return this.watch(response);
        const target = new URL(location, url).href;
        const sameOrigin = new URL(target).origin === new URL(url).origin;
        const follow = sameOrigin && (response.status === 307 || response.status === 308) && hop < MAX_REDIRECTS;
        this.redirects.push({ status: response.status, from: url, to: target, followed: follow });
        await response.body?.cancel().catch(() => {});
        if (!follow) {
          const why = sameOrigin ? (hop >= MAX_REDIRECTS ? "too many redirects" : "a redirect that would change the request") : "another origin";
          this.stop(new RelayError("teacher-redirect", `The teacher at ${url} redirected (HTTP ${response.status}) to ${target} (${why}): not followed, the request was not re-sent.`, { details: { url, status: `HTTP ${response.status} redirect` } }));
          throw this.failure;
        }
        url = target;
      }
    };
  }

  /** A reply started: from now on its body must keep coming (an error reply is read at once). */
  private watch(response: Response): Response {
    if (!response.ok) return response;
    this.answered = true;
    this.touch();
    if (this.options.stream || !response.body) return response;
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, out) => {
          this.touch();
          out.enqueue(chunk);
        },
        flush: () => this.quiet(),
      }),
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  /** Stops the request (once): aborts the fetch and rejects a pending race. */
  stop(error: RelayError): void {
    if (this.failure) return;
    this.failure = error;
    this.controller.abort(error);
    this.rejectRace?.(error);
  }

  dispose(): void {
    clearTimeout(this.deadline);
    if (this.idle) clearTimeout(this.idle);
    this.options.signal?.removeEventListener("abort", this.onCallerAbort);
    if (!this.failure) this.controller.abort();
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
