/** Typed errors a user can act on. Every one carries a code the UI can map to a fix action. */

export type RelayErrorCode =
  | "model-not-found"
  | "model-corrupt"
  | "model-out-of-memory"
  | "model-load-failed"
  | "model-download-failed"
  | "teacher-failed"
  | "teacher-timeout"
  | "teacher-bad-reply"
  | "budget-ledger-corrupt"
  | "grader-failed"
  | "aborted"
  | "invalid-argument";

export class RelayError extends Error {
  constructor(
    readonly code: RelayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RelayError";
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
