/**
 * Show Teacher Requests: the teacher-request log as a read-only Markdown document (a table,
 * then each request's redacted text and reply, newest first), and the raw JSON lines.
 */
import * as vscode from "vscode";
import { teacherLogMarkdown } from "../core/teacherLog.js";
import type { FileTeacherLog } from "../io/fileTeacherLog.js";

/** The readable view's scheme (package.json's "Open Raw Log" menu item matches it). */
export const TEACHER_REQUESTS_SCHEME = "relay-teacher-requests";
const TEACHER_REQUESTS_URI = vscode.Uri.from({ scheme: TEACHER_REQUESTS_SCHEME, path: "/Teacher requests.md" });
const NOTHING_YET = "Relay: no teacher requests yet — nothing has left this machine.";

export class TeacherLogView implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly registration: vscode.Disposable;

  constructor(private readonly log: FileTeacherLog) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(TEACHER_REQUESTS_SCHEME, {
      onDidChange: this.changed.event,
      provideTextDocumentContent: () => this.readable(),
    });
  }

  /** The log as Markdown; the raw JSON lines are one click away ("Open Raw Log" in the editor's title). */
  async show(): Promise<void> {
    await this.log.flush();
    try {
      await vscode.workspace.fs.stat(vscode.Uri.file(this.log.path));
    } catch {
      void vscode.window.showInformationMessage(NOTHING_YET);
      return;
    }
    this.changed.fire(TEACHER_REQUESTS_URI);
    const doc = await vscode.workspace.openTextDocument(TEACHER_REQUESTS_URI);
    await vscode.languages.setTextDocumentLanguage(doc, "markdown");
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  /** The raw log file (JSON lines), as written. */
  async showRaw(): Promise<void> {
    await this.log.flush();
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(this.log.path));
      await vscode.window.showTextDocument(doc, { preview: true });
    } catch {
      void vscode.window.showInformationMessage(NOTHING_YET);
    }
  }

  /** The log read from the file as it is now (see core/teacherLog.ts). */
  private async readable(): Promise<string> {
    await this.log.flush();
    let text = "";
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(this.log.path)));
    } catch {
      // no requests yet
    }
    return teacherLogMarkdown(text.split("\n"), this.log.path);
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
