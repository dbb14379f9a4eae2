/**
 * Teacher-written text in the editor keeps a subtle decoration with a hover (model, tokens,
 * latency). Ranges follow edits, vanish with their text, survive saves, and can be cleared.
 */
import * as vscode from "vscode";
import type { TeacherRange } from "../editor/teacherRanges.js";
import { RangeTracker } from "../editor/rangeTracker.js";

type Info = Omit<TeacherRange, "start" | "end">;

export class Provenance implements vscode.Disposable, vscode.HoverProvider {
  private readonly trackers = new Map<string, RangeTracker<Info>>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly teacherType = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor("editorInfo.background"),
    borderColor: new vscode.ThemeColor("editorInfo.foreground"),
    borderStyle: "none none dotted none",
    borderWidth: "0 0 1px 0",
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });

  constructor() {
    this.subscriptions.push(
      this.teacherType,
      vscode.workspace.onDidChangeTextDocument((e) => {
        const tracker = this.trackers.get(e.document.uri.toString());
        if (!tracker || e.contentChanges.length === 0) return;
        tracker.apply(e.contentChanges.map((c) => ({ offset: c.rangeOffset, deleted: c.rangeLength, inserted: c.text.length })));
        this.render(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.trackers.delete(d.uri.toString())),
      vscode.window.onDidChangeVisibleTextEditors(() => vscode.window.visibleTextEditors.forEach((e) => this.render(e.document))),
      vscode.languages.registerHoverProvider({ scheme: "*" }, this),
    );
  }

  /** Marks text that was just inserted at `offset`; ranges are relative to it. */
  add(document: vscode.TextDocument, offset: number, ranges: readonly TeacherRange[]): void {
    if (ranges.length === 0) return;
    const key = document.uri.toString();
    let tracker = this.trackers.get(key);
    if (!tracker) this.trackers.set(key, (tracker = new RangeTracker<Info>()));
    for (const r of ranges) tracker.add(offset + r.start, offset + r.end, { model: r.model, tokens: r.tokens, latencyMs: r.latencyMs });
    this.render(document);
  }

  /** The marked ranges of a document (for tests and the hover). */
  rangesOf(document: vscode.TextDocument): vscode.Range[] {
    const tracker = this.trackers.get(document.uri.toString());
    return (tracker?.all ?? []).map((r) => new vscode.Range(document.positionAt(r.start), document.positionAt(r.end)));
  }

  clear(): void {
    this.trackers.clear();
    for (const editor of vscode.window.visibleTextEditors) editor.setDecorations(this.teacherType, []);
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const range = this.trackers.get(document.uri.toString())?.at(document.offsetAt(position));
    if (!range) return undefined;
    const { model, tokens, latencyMs } = range.data;
    const md = new vscode.MarkdownString(`**Written by the teacher** — ${model} · ${tokens} tokens · ${latencyMs} ms\n\n_Relay asked the teacher for this span; the rest came from the local student._`);
    return new vscode.Hover(md, new vscode.Range(document.positionAt(range.start), document.positionAt(range.end)));
  }

  private render(document: vscode.TextDocument): void {
    const ranges = this.rangesOf(document);
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document === document) editor.setDecorations(this.teacherType, ranges);
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
