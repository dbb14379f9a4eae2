/** "Explain this step": the selection or current line, explained in the chat panel. */
import * as vscode from "vscode";
import { explainPrompt } from "../core/explain.js";
import type { ChatViewProvider } from "./chatView.js";

/** Lines above the step given as context, at most. */
const CONTEXT_LINES = 80;

export class ExplainStep implements vscode.Disposable {
  /** Marks the step in the editor while it is being explained. */
  private readonly stepType = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor("editor.findMatchHighlightBackground"),
    isWholeLine: false,
    after: { contentText: "  ⟵ Relay is explaining…", color: new vscode.ThemeColor("editorCodeLens.foreground"), fontStyle: "italic" },
  });

  constructor(private readonly chat: ChatViewProvider) {}

  async run(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage("Relay: open a file and select the step to explain.");
      return;
    }
    const doc = editor.document;
    const selection = editor.selection;
    const range = selection.isEmpty ? doc.lineAt(selection.active.line).range : new vscode.Range(selection.start, selection.end);
    const step = doc.getText(range);
    if (!step.trim()) {
      void vscode.window.showInformationMessage("Relay: the current line is empty — select a step to explain.");
      return;
    }
    const firstLine = Math.max(0, range.start.line - CONTEXT_LINES);
    const before = doc.getText(new vscode.Range(new vscode.Position(firstLine, 0), range.start));
    const name = vscode.workspace.asRelativePath(doc.uri);
    const lines = range.start.line === range.end.line ? `line ${range.start.line + 1}` : `lines ${range.start.line + 1}–${range.end.line + 1}`;
    editor.setDecorations(this.stepType, [range]);
    await this.chat.reveal();
    await this.chat.ask({
      question: step.trim(),
      title: `Explain ${lines} of ${name}`,
      task: explainPrompt({ before, step, languageId: doc.languageId, fileName: name }),
      onDone: () => editor.setDecorations(this.stepType, []),
      anchor: { editor, position: range.end },
    });
  }

  dispose(): void {
    this.stepType.dispose();
  }
}
