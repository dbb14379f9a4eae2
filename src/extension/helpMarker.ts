/**
 * The in-editor help marker: while an answer that belongs to an editor position waits on the
 * teacher, "asking teacher · n tokens" shows there; when the span arrives it goes, and a
 * failed or refused call says so briefly. One marker per answer; its owner disposes it when the
 * answer ends, which removes the decoration type and the flash timer.
 */
import * as vscode from "vscode";
import type { RelayEvent } from "../core/controller.js";

const FLASH_MS = 2500;

export class HelpMarker implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private readonly type = vscode.window.createTextEditorDecorationType({
    after: {
      margin: "0 0 0 1em",
      color: new vscode.ThemeColor("editorCodeLens.foreground"),
      fontStyle: "italic",
    },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private disposed = false;

  constructor(
    private readonly editor: vscode.TextEditor,
    private readonly position: vscode.Position,
  ) {}

  private show(text: string): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.editor.setDecorations(this.type, [{ range: new vscode.Range(this.position, this.position), renderOptions: { after: { contentText: text } } }]);
  }

  hide(): void {
    clearTimeout(this.timer);
    if (!this.disposed) this.editor.setDecorations(this.type, []);
  }

  /** Follows a relay's events. */
  onEvent(event: RelayEvent): void {
    if (event.type === "teacher-start") this.show(`⟳ asking teacher · ${event.granted} tokens`);
    else if (event.type === "span" && event.span.kind === "teacher") this.hide();
    else if (event.type === "span" && event.span.kind === "failed-call") this.flash("teacher failed — the student carries on");
    else if (event.type === "span" && event.span.kind === "budget-denied") this.flash("teacher refused: budget spent");
  }

  private flash(text: string): void {
    this.show(text);
    this.timer = setTimeout(() => this.hide(), FLASH_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.disposed = true;
    // Disposing the type removes its decorations from every editor.
    this.type.dispose();
  }
}
