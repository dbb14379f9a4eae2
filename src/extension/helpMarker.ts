/**
 * The in-editor help marker: while an answer that belongs to an editor position waits on the
 * teacher, "asking teacher · n tokens" shows there; when the span arrives it goes, and a
 * failed or refused call says so briefly.
 */
import * as vscode from "vscode";
import type { RelayEvent } from "../core/controller.js";

const markerType = vscode.window.createTextEditorDecorationType({
  after: {
    margin: "0 0 0 1em",
    color: new vscode.ThemeColor("editorCodeLens.foreground"),
    fontStyle: "italic",
  },
  rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
});

const FLASH_MS = 2500;

export class HelpMarker {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly editor: vscode.TextEditor,
    private readonly position: vscode.Position,
  ) {}

  private show(text: string): void {
    clearTimeout(this.timer);
    this.editor.setDecorations(markerType, [{ range: new vscode.Range(this.position, this.position), renderOptions: { after: { contentText: text } } }]);
  }

  hide(): void {
    clearTimeout(this.timer);
    this.editor.setDecorations(markerType, []);
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
}
