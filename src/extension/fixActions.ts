/**
 * What the UI offers for each RelayError code: the one place that maps the error model
 * (src/core/errors.ts) to fix actions, and the one way to open Relay's settings where they can
 * be edited.
 */
import * as vscode from "vscode";
import { RelayError, errorMessage, type RelayErrorCode } from "../core/errors.js";
import { RECOMMENDED_STUDENT } from "../core/recommendedModel.js";
import { machineScoped } from "./config.js";

export interface FixAction {
  label: string;
  command: string;
  args?: unknown[];
}

export const CHOOSE_MODEL: FixAction = { label: "Choose Model File…", command: "relay.chooseModelFile" };
export const DOWNLOAD_MODEL: FixAction = { label: `Download ${RECOMMENDED_STUDENT.name}`, command: "relay.downloadRecommendedModel" };
const STUDENT_SETTINGS: FixAction = { label: "Open Settings", command: "relay.openSettings", args: ["relay.student"] };
const TEACHER_SETTINGS: FixAction = { label: "Open Settings", command: "relay.openSettings", args: ["relay.teacher"] };
const CONFIGURE_TEACHER: FixAction = { label: "Configure Teacher…", command: "relay.configureTeacher" };
const TRUST: FixAction = { label: "Manage Workspace Trust", command: "workbench.trust.manage" };
export const SHOW_LOG: FixAction = { label: "Show Log", command: "relay.showLog" };

/** The fix actions per code (Show Log is added to each), a hint added to the message; undefined: nothing to show (a cancel). */
const FIXES: Record<RelayErrorCode, { actions: FixAction[]; hint?: string; severity?: "warning" } | undefined> = {
  "model-not-found": { actions: [CHOOSE_MODEL] },
  "model-corrupt": { actions: [CHOOSE_MODEL] },
  "model-out-of-memory": { actions: [CHOOSE_MODEL, STUDENT_SETTINGS], hint: "Try a smaller model or quantization, or a smaller context size." },
  "model-context-failed": { actions: [STUDENT_SETTINGS], hint: "Try another context size or GPU setting." },
  "model-load-failed": { actions: [CHOOSE_MODEL, STUDENT_SETTINGS] },
  "model-download-failed": { actions: [CHOOSE_MODEL, STUDENT_SETTINGS] },
  "model-convert-failed": { actions: [DOWNLOAD_MODEL, CHOOSE_MODEL], hint: "The vanilla student works without relay training (the auto policy asks the teacher where it is unsure)." },
  "model-not-chosen": { actions: [CHOOSE_MODEL, DOWNLOAD_MODEL], severity: "warning" },
  "download-restricted": { actions: [CHOOSE_MODEL, TRUST], severity: "warning" },
  "model-unloaded": undefined,
  "teacher-failed": { actions: [TEACHER_SETTINGS, CONFIGURE_TEACHER] },
  "teacher-timeout": { actions: [TEACHER_SETTINGS], hint: "The teacher did not answer in time (relay.teacher.timeoutMs)." },
  "teacher-unreachable": { actions: [CONFIGURE_TEACHER, TEACHER_SETTINGS] },
  "teacher-server-error": { actions: [TEACHER_SETTINGS] },
  "teacher-rate-limited": { actions: [TEACHER_SETTINGS], hint: "The teacher's provider is limiting requests; try again later." },
  "teacher-rejected": { actions: [CONFIGURE_TEACHER], hint: "Check the teacher model name and API key." },
  "teacher-redirect": { actions: [CONFIGURE_TEACHER], hint: "The teacher URL redirected to another site; Relay does not follow that." },
  "teacher-bad-reply": { actions: [TEACHER_SETTINGS] },
  "budget-ledger-unwritable": { actions: [] },
  "prompt-too-long": { actions: [STUDENT_SETTINGS], hint: "Shorten the question or raise relay.student.contextSize." },
  "router-invalid": { actions: [{ label: "Open Settings", command: "relay.openSettings", args: ["relay.router"] }], hint: "Answers go on under the confidence policy.", severity: "warning" },
  aborted: undefined,
  "grader-failed": { actions: [] },
  "invalid-argument": { actions: [] },
  internal: { actions: [] },
};

/** The fixes for an error (unknown errors are internal ones: the log says more). */
export function fixFor(error: unknown): { actions: FixAction[]; hint?: string; severity?: "warning" } | undefined {
  return FIXES[error instanceof RelayError ? error.code : "internal"];
}

/** Shows `message` with `actions` (and Show Log) as buttons, and runs the one picked. */
export async function offer(severity: "error" | "warning" | "info", message: string, actions: readonly FixAction[]): Promise<void> {
  const all = actions.includes(SHOW_LOG) ? actions : [...actions, SHOW_LOG];
  const show = severity === "error" ? vscode.window.showErrorMessage : severity === "warning" ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const choice = await show(message, ...all.map((a) => a.label));
  const picked = all.find((a) => a.label === choice);
  if (picked) await vscode.commands.executeCommand(picked.command, ...(picked.args ?? []));
}

/** An error notification with the actions that fix it (and Show Log); nothing for a cancel. */
export async function showRelayError(error: unknown, extra: readonly FixAction[] = []): Promise<void> {
  const fix = fixFor(error);
  if (!fix) return;
  const message = `Relay: ${errorMessage(error)}${fix.hint ? ` ${fix.hint}` : ""}`;
  await offer(fix.severity ?? "error", message, [...extra, ...fix.actions]);
}

/**
 * Opens the Settings editor on `query` in the tab where those settings can be edited. In a
 * remote window (code-server, Remote-SSH, Codespaces) settings contributed with `machine` or
 * `machine-overridable` scope (the student's) are not in the User tab at all ("No Settings
 * Found"): they live in the Remote tab.
 */
export async function openSettings(query: string): Promise<void> {
  const remote = vscode.env.remoteName !== undefined;
  // openRemoteSettings takes only an options object (a plain string query is dropped).
  if (remote && machineScoped(query)) await vscode.commands.executeCommand("workbench.action.openRemoteSettings", { query });
  else await vscode.commands.executeCommand("workbench.action.openSettings", query);
}
