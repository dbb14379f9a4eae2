/**
 * What the UI offers for each RelayError code: the one place that maps the error model
 * (src/core/errors.ts) to a fix action.
 */
import * as vscode from "vscode";
import { RelayError, errorMessage, type RelayErrorCode } from "../core/errors.js";

interface FixAction {
  label: string;
  command: string;
  args?: unknown[];
}

const CHOOSE_MODEL: FixAction = { label: "Choose Model File…", command: "relay.chooseModelFile" };
const STUDENT_SETTINGS: FixAction = { label: "Open Settings", command: "workbench.action.openSettings", args: ["relay.student"] };
const TEACHER_SETTINGS: FixAction = { label: "Open Settings", command: "workbench.action.openSettings", args: ["relay.teacher"] };
const REPORT: FixAction = { label: "Show Log", command: "relay.showLog" };

/** The fix action per code, and a hint added to the message; undefined: nothing to show (a cancel). */
const FIXES: Record<RelayErrorCode, { action: FixAction; hint?: string } | undefined> = {
  "model-not-found": { action: CHOOSE_MODEL },
  "model-corrupt": { action: CHOOSE_MODEL },
  "model-out-of-memory": { action: STUDENT_SETTINGS, hint: "Try a smaller model or quantization, or a smaller context size." },
  "model-context-failed": { action: STUDENT_SETTINGS, hint: "Try another context size or GPU setting." },
  "model-load-failed": { action: STUDENT_SETTINGS },
  "model-download-failed": { action: STUDENT_SETTINGS },
  "model-unloaded": undefined,
  "teacher-failed": { action: TEACHER_SETTINGS },
  "teacher-timeout": { action: TEACHER_SETTINGS, hint: "The teacher did not answer in time (relay.teacher.timeoutMs)." },
  "teacher-unreachable": { action: TEACHER_SETTINGS },
  "teacher-server-error": { action: TEACHER_SETTINGS },
  "teacher-rate-limited": { action: TEACHER_SETTINGS, hint: "The teacher's provider is limiting requests; try again later." },
  "teacher-rejected": { action: TEACHER_SETTINGS, hint: "Check the teacher model name and API key." },
  "teacher-redirect": { action: TEACHER_SETTINGS, hint: "The teacher URL redirected to another site; Relay does not follow that." },
  "teacher-bad-reply": { action: TEACHER_SETTINGS },
  "budget-ledger-corrupt": { action: REPORT },
  "budget-ledger-unwritable": { action: REPORT },
  "prompt-too-long": { action: STUDENT_SETTINGS, hint: "Shorten the question or raise relay.student.contextSize." },
  aborted: undefined,
  "grader-failed": { action: REPORT },
  "invalid-argument": { action: REPORT },
  internal: { action: REPORT },
};

/** The fix for an error (unknown errors are internal ones: the log says more). */
export function fixFor(error: unknown): { action: FixAction; hint?: string } | undefined {
  return FIXES[error instanceof RelayError ? error.code : "internal"];
}

/** An error notification with the action that fixes it (and Show Log); nothing for a cancel. */
export async function showRelayError(error: unknown): Promise<void> {
  const fix = fixFor(error);
  if (!fix) return;
  const message = `Relay: ${errorMessage(error)}${fix.hint ? ` ${fix.hint}` : ""}`;
  const buttons = fix.action === REPORT ? [REPORT.label] : [fix.action.label, REPORT.label];
  const choice = await vscode.window.showErrorMessage(message, ...buttons);
  const picked = [fix.action, REPORT].find((a) => a.label === choice);
  if (picked) await vscode.commands.executeCommand(picked.command, ...(picked.args ?? []));
}
