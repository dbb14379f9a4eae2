/**
 * Collects repository context for ghost text from VS Code (the choosing is src/core's): chunks of
 * files as they are opened, switched to and edited (an edited region is re-read once typing has
 * paused), the definitions of symbols near the cursor from the language server
 * (`vscode.executeDefinitionProvider`), and the exclusion rules (workspace folders, files.exclude,
 * relay.inline.exclude, .gitignore files). A file is checked against the rules before it is read
 * and again when the context is chosen.
 */
import * as vscode from "vscode";
import { ChunkRing, chunkAround, type ContextChunk } from "../core/contextChunks.js";
import type { CompletionContext } from "../core/contextPrompt.js";
import { contextAllowed, gitignoreDirs, insideWorkspace, type ContextRules } from "../editor/contextRules.js";
import { selectContext } from "../editor/contextSelect.js";
import type { Logger } from "../core/logger.js";
import { readConfig } from "./config.js";

/** Re-read edited regions after typing has paused this long. */
const IDLE_MS = 1000;
/** The longest wait for the language server's definitions on a new line. */
const DEFINITIONS_MS = 200;
/** Symbols near the cursor looked up (Continue: the last 5 lines before it, the first 3 after). */
const LINES_BEFORE = 5;
const LINES_AFTER = 3;
const MAX_SYMBOLS = 8;
/** Lines of a definition whose provider gives only its name's position. */
const DEFINITION_LINES = 24;

export interface ContextRequest {
  document: vscode.TextDocument;
  position: vscode.Position;
  /** The document lines the prompt already holds. */
  fromLine: number;
  toLine: number;
  budgetTokens: number;
  countTokens: (text: string) => number;
}

export class InlineContextService implements vscode.Disposable {
  private readonly ring = new ChunkRing(16);
  private readonly gitignores = new Map<string, string>();
  /** Last edited line per document, re-read when typing pauses. */
  private readonly edited = new Map<vscode.TextDocument, number>();
  private idle: ReturnType<typeof setTimeout> | undefined;
  /** The context chosen for a cursor line, kept while the user types on it (the model's cached prompt stays valid). */
  private chosen: { key: string; context: Promise<CompletionContext | undefined> } | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly log: Logger) {
    const watcher = vscode.workspace.createFileSystemWatcher("**/.gitignore");
    const forgetIgnores = () => this.gitignores.clear();
    this.subscriptions.push(
      watcher,
      watcher.onDidChange(forgetIgnores),
      watcher.onDidCreate(forgetIgnores),
      watcher.onDidDelete(forgetIgnores),
      vscode.window.onDidChangeActiveTextEditor((editor) => editor && void this.remember(editor.document, editor.selection.active.line)),
      vscode.workspace.onDidOpenTextDocument((document) => void this.remember(document, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const change = e.contentChanges[0];
        if (!change || !this.readable(e.document)) return;
        this.edited.set(e.document, change.range.start.line);
        if (this.idle) clearTimeout(this.idle);
        this.idle = setTimeout(() => this.refreshEdited(), IDLE_MS);
      }),
      vscode.workspace.onDidCloseTextDocument((document) => this.edited.delete(document)),
      vscode.workspace.onDidDeleteFiles((e) => e.files.forEach((uri) => this.ring.forget(uri.path))),
      vscode.workspace.onDidChangeWorkspaceFolders(() => (this.chosen = undefined)),
    );
    for (const editor of vscode.window.visibleTextEditors) void this.remember(editor.document, editor.selection.active.line);
  }

  /**
   * The context for a completion at the cursor: definitions and recent chunks within the budget.
   * Chosen once per cursor line and kept while the user types on it.
   */
  contextFor(request: ContextRequest): Promise<CompletionContext | undefined> {
    const { document, position } = request;
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    if (request.budgetTokens <= 0 || !folder) return Promise.resolve(undefined);
    const key = `${document.uri.toString()}\u0000${position.line}\u0000${request.budgetTokens}`;
    if (this.chosen?.key !== key) {
      const chosen = { key, context: this.choose(request, folder, () => chosen.key === this.chosen?.key && (this.chosen = undefined)) };
      this.chosen = chosen;
    }
    return this.chosen.context;
  }

  /** `late`: the language server did not answer in time; the choice is not kept, the next request tries again. */
  private async choose(request: ContextRequest, folder: vscode.WorkspaceFolder, late: () => void): Promise<CompletionContext | undefined> {
    const { document, position } = request;
    try {
      const definitions = await Promise.race([
        this.definitions(document, position),
        new Promise<ContextChunk[]>((resolve) =>
          setTimeout(() => {
            late();
            resolve([]);
          }, DEFINITIONS_MS),
        ),
      ]);
      const recent = this.ring.chunks();
      await Promise.all([...definitions, ...recent].map((c) => this.loadIgnores(c.path)));
      const rules = this.rules();
      const chunks = selectContext(
        { definitions, recent },
        {
          current: { path: document.uri.path, fromLine: request.fromLine, toLine: request.toLine },
          budgetTokens: request.budgetTokens,
          countTokens: request.countTokens,
          allowed: (path) => contextAllowed(path, rules),
        },
      );
      if (chunks.length === 0) return undefined;
      const name = insideWorkspace(document.uri.path, [folder.uri.path])?.relative ?? document.uri.path.split("/").pop()!;
      return { chunks, name, repo: folder.name };
    } catch (error) {
      this.log.warn(`inline context: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** The rules now: folders, files.exclude's and relay.inline.exclude's globs, the .gitignore files read so far. */
  private rules(): ContextRules {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.path);
    const filesExclude = vscode.workspace.getConfiguration("files").get<Record<string, unknown>>("exclude") ?? {};
    const exclude = [...Object.keys(filesExclude).filter((glob) => filesExclude[glob] === true), ...readConfig().inline.exclude];
    return { folders, exclude, gitignores: this.gitignores };
  }

  /** Whether a document may give context: a workspace file, not excluded (its .gitignore files read first). */
  private async allowed(uri: vscode.Uri): Promise<boolean> {
    if (!vscode.workspace.getWorkspaceFolder(uri)) return false;
    await this.loadIgnores(uri.path);
    return contextAllowed(uri.path, this.rules());
  }

  private readable(document: vscode.TextDocument): boolean {
    return !document.isUntitled && vscode.workspace.getWorkspaceFolder(document.uri) !== undefined;
  }

  /** Reads the .gitignore files on the way to `path` that are not read yet ("" where there is none). */
  private async loadIgnores(path: string): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const folder = folders.find((f) => insideWorkspace(path, [f.uri.path]));
    if (!folder) return;
    for (const dir of gitignoreDirs(path, [folder.uri.path])) {
      if (this.gitignores.has(dir)) continue;
      let text = "";
      try {
        text = new TextDecoder().decode(await vscode.workspace.fs.readFile(folder.uri.with({ path: `${dir}/.gitignore` })));
      } catch {
        // No .gitignore there.
      }
      this.gitignores.set(dir, text);
    }
  }

  /** Puts the region around `line` of a document into the ring, if the document may give context. */
  private async remember(document: vscode.TextDocument, line: number): Promise<void> {
    if (!this.readable(document) || !(await this.allowed(document.uri))) return;
    const lines = document.getText().split("\n");
    const { line: start, text } = chunkAround(lines, line);
    const name = insideWorkspace(document.uri.path, (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.path))?.relative ?? document.uri.path;
    this.ring.add({ path: document.uri.path, name, line: start, text, kind: "recent" });
  }

  private refreshEdited(): void {
    for (const [document, line] of this.edited) void this.remember(document, line);
    this.edited.clear();
  }

  /** Definitions of the symbols in the lines around the cursor, nearest first, from files that may give context. */
  private async definitions(document: vscode.TextDocument, position: vscode.Position): Promise<ContextChunk[]> {
    const lookups = symbolsNear(document, position).map((at) =>
      Promise.resolve(vscode.commands.executeCommand<Array<vscode.Location | vscode.LocationLink> | undefined>("vscode.executeDefinitionProvider", document.uri, at)).catch(() => undefined),
    );
    const found: ContextChunk[] = [];
    const seen = new Set<string>();
    for (const locations of await Promise.all(lookups)) {
      for (const location of locations ?? []) {
        const uri = "targetUri" in location ? location.targetUri : location.uri;
        const range = "targetUri" in location ? location.targetRange : location.range;
        const key = `${uri.toString()}:${range.start.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        // Checked before the file is read.
        if (!(await this.allowed(uri))) continue;
        const target = await vscode.workspace.openTextDocument(uri);
        const last = range.end.line > range.start.line ? Math.min(range.end.line, range.start.line + 63) : range.start.line + DEFINITION_LINES - 1;
        const text = target.getText(new vscode.Range(range.start.line, 0, Math.min(last, target.lineCount - 1), Number.MAX_SAFE_INTEGER));
        const name = insideWorkspace(uri.path, (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.path))?.relative ?? uri.path;
        found.push({ path: uri.path, name, line: range.start.line, text, kind: "definition" });
      }
    }
    return found;
  }

  dispose(): void {
    if (this.idle) clearTimeout(this.idle);
    for (const s of this.subscriptions) s.dispose();
  }
}

/** Positions of the identifiers in the lines around the cursor, nearest the cursor first (each name once). */
function symbolsNear(document: vscode.TextDocument, position: vscode.Position): vscode.Position[] {
  const found: Array<{ at: vscode.Position; distance: number; name: string }> = [];
  const first = Math.max(0, position.line - LINES_BEFORE);
  const last = Math.min(document.lineCount - 1, position.line + LINES_AFTER);
  for (let line = first; line <= last; line++) {
    for (const m of document.lineAt(line).text.matchAll(/[A-Za-z_$][\w$]*/g)) {
      const at = new vscode.Position(line, m.index);
      found.push({ at, name: m[0], distance: Math.abs(line - position.line) * 1000 + Math.abs(m.index - position.character) });
    }
  }
  const names = new Set<string>();
  return found
    .sort((a, b) => a.distance - b.distance)
    .filter((f) => !names.has(f.name) && names.add(f.name))
    .slice(0, MAX_SYMBOLS)
    .map((f) => f.at);
}
