/** Typed errors a user can act on. Every one carries a code the UI can map to a fix action. */

export type RelayErrorCode =
  | "model-not-found"
  | "model-corrupt"
  | "model-out-of-memory"
  | "model-load-failed"
  | "model-download-failed"
  | "teacher-failed"
  | "teacher-timeout"
  | "teacher-unreachable"
  | "teacher-server-error"
  | "teacher-rate-limited"
  | "teacher-rejected"
  | "teacher-redirect"
  | "teacher-bad-reply"
  | "budget-ledger-corrupt"
  | "budget-ledger-unwritable"
  | "prompt-too-long"
  | "aborted"
  | "invalid-argument";

/** Where a teacher failure happened and what it was, for the one notification per outage. */
export interface RelayErrorDetails {
  url?: string;
  /** e.g. "HTTP 500", "connection refused (ECONNREFUSED)", "no reply within 30 s". */
  status?: string;
}

export class RelayError extends Error {
  readonly details?: RelayErrorDetails;
  constructor(
    readonly code: RelayErrorCode,
    message: string,
    options?: { cause?: unknown; details?: RelayErrorDetails },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RelayError";
    this.details = options?.details;
  }
}

export function isAbortError(error: unknown): boolean {
  return (
    (error instanceof RelayError && error.code === "aborted") ||
    (error instanceof Error && (error.name === "AbortError" || error.name === "APIUserAbortError"))
  );
}

export function abortError(): RelayError {
  return new RelayError("aborted", "The request was cancelled.");
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
