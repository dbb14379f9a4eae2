/**
 * The one error model: every failure a user can act on is a RelayError whose code the UI maps
 * to a fix action (src/extension/fixActions.ts); the CLI prints its message and exits non-zero.
 */

export type RelayErrorCode =
  | "model-not-found"
  | "model-corrupt"
  | "model-out-of-memory"
  /** The model loaded but no context could be made for it (not a memory shortage). */
  | "model-context-failed"
  | "model-load-failed"
  | "model-download-failed"
  /** A transformers checkpoint could not be converted to GGUF (not a checkpoint, no converter, the converter's error). */
  | "model-convert-failed"
  /** No student model has been chosen yet (first run): nothing is downloaded until the user says so. */
  | "model-not-chosen"
  /** A download was asked for in Restricted Mode (untrusted workspace), where Relay downloads nothing. */
  | "download-restricted"
  /** The model was unloaded (settings changed, Reload, deactivation) while it was in use. */
  | "model-unloaded"
  | "teacher-failed"
  | "teacher-timeout"
  | "teacher-unreachable"
  | "teacher-server-error"
  | "teacher-rate-limited"
  | "teacher-rejected"
  | "teacher-redirect"
  | "teacher-bad-reply"
  | "grader-failed"
  | "budget-ledger-unwritable"
  | "prompt-too-long"
  /** A router file that is missing, corrupt, of another version or for another model. */
  | "router-invalid"
  | "aborted"
  | "invalid-argument"
  /** A broken invariant of Relay itself: a bug to report, nothing the user did. */
  | "internal";

/** Where a teacher failure happened and what it was, for the one notification per outage. */
export interface RelayErrorDetails {
  url?: string;
  /** e.g. "HTTP 500", "connection refused (ECONNREFUSED)", "no reply within 30 s". */
  status?: string;
}

/** A teacher request that failed after the server took it: what came back before the failure. */
export interface TeacherPartial {
  /** The server answered with a 2xx status: it took the request (and is paid for it). */
  answered: boolean;
  /** Text received before the failure ("" when none could be read). */
  text: string;
}

export class RelayError extends Error {
  readonly details?: RelayErrorDetails;
  /** A failed teacher request: whether the server answered, and the text received before it failed. */
  readonly partial?: TeacherPartial;
  constructor(
    readonly code: RelayErrorCode,
    message: string,
    options?: { cause?: unknown; details?: RelayErrorDetails; partial?: TeacherPartial },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RelayError";
    this.details = options?.details;
    this.partial = options?.partial;
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

/** Why `signal` fired: its reason when that is a RelayError (e.g. model-unloaded), else a plain abort. */
export function abortReason(signal: AbortSignal | undefined): RelayError {
  const reason: unknown = signal?.reason;
  return reason instanceof RelayError ? reason : abortError();
}

export function isRelayError(error: unknown, code: RelayErrorCode): error is RelayError {
  return error instanceof RelayError && error.code === code;
}

export function internalError(message: string): RelayError {
  return new RelayError("internal", `Internal error (please report it): ${message}`);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
