/** The "teacher requests" log: exactly what left the machine, and what came back. */

export interface TeacherLogEntry {
  ts: string;
  provider: string;
  model: string;
  /** The URL the request really went to (after any same-origin redirect it followed). */
  url?: string;
  /** Redirects met on the way: followed (same origin) or refused. */
  redirects?: Array<{ status: number; from: string; to: string; followed: boolean }>;
  style?: string;
  /** The request body exactly as sent (already redacted; never contains the API key). */
  request: unknown;
  reply?: string;
  finish?: string;
  usage?: { promptTokens: number; completionTokens: number; cachedPromptTokens?: number };
  error?: string;
  durationMs: number;
}

export interface TeacherRequestLog {
  record(entry: TeacherLogEntry): void;
}

/** Keeps the last entries in memory (for a "show teacher requests" view and for tests). */
export class MemoryTeacherLog implements TeacherRequestLog {
  readonly entries: TeacherLogEntry[] = [];
  constructor(private readonly capacity = 200) {}
  record(entry: TeacherLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.shift();
  }
}
