/** "Explain this step": the selection or current line, explained in the chat panel. */
import * as vscode from "vscode";
import { explainPrompt } from "../editor/explain.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { ChatViewProvider } from "./chatView.js";

/** Lines above the step given as context, at most. */
const CONTEXT_LINES = 80;

/** The step to explain: a selection, or the line of an empty one. */
export interface ExplainRequest {
  step: string;
  /** "Explain line 3 of solution.md". */
  title: string;
  task: TaskPrompt;
  range: vscode.Range;
}

/**
 * The explain task for `selection` in `doc` (the panel's Explain This Step and the native
 * chat's `/explain`): the selected text, or the whole line when nothing is selected, with the
 * lines above as context. Undefined when that is empty.
 */
export function explainRequest(doc: vscode.TextDocument, selection: vscode.Range): ExplainRequest | undefined {
  const range = selection.isEmpty ? doc.lineAt(selection.start.line).range : new vscode.Range(selection.start, selection.end);
  const step = doc.getText(range);
  if (!step.trim()) return undefined;
  const firstLine = Math.max(0, range.start.line - CONTEXT_LINES);
  const before = doc.getText(new vscode.Range(new vscode.Position(firstLine, 0), range.start));
  const name = vscode.workspace.asRelativePath(doc.uri);
  const lines = range.start.line === range.end.line ? `line ${range.start.line + 1}` : `lines ${range.start.line + 1}–${range.end.line + 1}`;
  return { step: step.trim(), title: `Explain ${lines} of ${name}`, task: explainPrompt({ before, step, languageId: doc.languageId, fileName: name }), range };
}

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
    const selection = editor.selection;
    // An empty selection explains the line of the cursor.
    const request = explainRequest(editor.document, selection.isEmpty ? new vscode.Range(selection.active, selection.active) : selection);
    if (!request) {
      void vscode.window.showInformationMessage("Relay: the current line is empty — select a step to explain.");
      return;
    }
    editor.setDecorations(this.stepType, [request.range]);
    await this.chat.reveal();
    await this.chat.ask({
      question: request.step,
      title: request.title,
      task: request.task,
      onDone: () => editor.setDecorations(this.stepType, []),
      anchor: { editor, position: request.range.end },
    });
  }

  dispose(): void {
    this.stepType.dispose();
  }
}
