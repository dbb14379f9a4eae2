/**
 * A circuit breaker for the teacher: after a connection error, a 5xx, a timeout or a rate limit
 * that outlasted the retries, the teacher is not asked again until a cool-down has passed (so
 * the rest of an answer goes on without it, instead of waiting on every call). The first call
 * after the cool-down is a trial: success closes the breaker, failure opens it again for twice
 * as long. Pure: the clock is injected.
 */
import type { RelayError, RelayErrorCode } from "./errors.js";

export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerStatus {
  state: BreakerState;
  /** Outages so far; an outage (episode) lasts from the first trip to the next success. */
  episode: number;
  /** When an open breaker lets a trial call through. */
  retryAt?: number;
  /** The failure that opened it. */
  last?: { code: string; message: string; url?: string; status?: string };
}

export interface BreakerOptions {
  coolDownMs?: number;
  maxCoolDownMs?: number;
  now?: () => number;
}

/** Failures that say the teacher is down or overloaded (not: a bad request, a bad reply). */
const TRIPS: ReadonlySet<RelayErrorCode> = new Set(["teacher-unreachable", "teacher-server-error", "teacher-timeout", "teacher-rate-limited"]);

export function tripsBreaker(error: unknown): boolean {
  const code = (error as Partial<RelayError> | undefined)?.code;
  return typeof code === "string" && TRIPS.has(code as RelayErrorCode);
}

export class TeacherBreaker {
  private status: BreakerStatus = { state: "closed", episode: 0 };
  private coolDown: number;
  private readonly listeners = new Set<(status: BreakerStatus, previous: BreakerStatus) => void>();
  private readonly base: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: BreakerOptions = {}) {
    this.base = options.coolDownMs ?? 30_000;
    this.max = options.maxCoolDownMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.coolDown = this.base;
  }

  get current(): BreakerStatus {
    return this.status;
  }

  /** Whether a call may go to the teacher now (after the cool-down, as a trial). */
  allow(): boolean {
    if (this.status.state !== "open") return true;
    if (this.now() < (this.status.retryAt ?? 0)) return false;
    this.set({ ...this.status, state: "half-open" });
    return true;
  }

  success(): void {
    this.coolDown = this.base;
    if (this.status.state !== "closed") this.set({ state: "closed", episode: this.status.episode });
  }

  /** Records a failed call; returns true when it opened (or kept open) the breaker. */
  failure(error: unknown): boolean {
    if (!tripsBreaker(error)) return false;
    const e = error as RelayError;
    const newEpisode = this.status.state === "closed";
    if (!newEpisode) this.coolDown = Math.min(this.max, this.coolDown * 2);
    this.set({
      state: "open",
      episode: this.status.episode + (newEpisode ? 1 : 0),
      retryAt: this.now() + this.coolDown,
      last: { code: e.code, message: e.message, url: e.details?.url, status: e.details?.status },
    });
    return true;
  }

  onChange(listener: (status: BreakerStatus, previous: BreakerStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(status: BreakerStatus): void {
    const previous = this.status;
    this.status = status;
    for (const l of this.listeners) l(status, previous);
  }
}

/** While the teacher is down: the waits between free reachability checks (5 s, 10 s, 20 s, … at most a minute). */
export function probeDelayMs(attempt: number, firstMs = 5_000, maxMs = 60_000): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, Math.min(attempt, 20)));
}
