/**
 * Inline completions through the relay: debounced, cancelled when the user types on (which
 * aborts the teacher request and frees the sequence), cached on the prefix for the model and
 * settings that made them, joined to the line in the document's own indentation, infill when the
 * student supports it. Teacher calls are allowed inside the budget unless turned off. Only a
 * student that is loaded already is used: a keystroke never starts a model load or download.
 */
import * as vscode from "vscode";
import { CompletionCache, DEFAULT_INLINE_CONTEXT, inlineContext, joinCompletion, joinOffsets, trimCompletion, wantsMultiline, type CachedCompletion, type IndentStyle } from "../core/inline.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { teacherRangesOf } from "../core/provenance.js";
import { readConfig } from "./config.js";
import { HelpMarker } from "./helpMarker.js";
import type { RelayService } from "./relayService.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Text boxes of VS Code that are editors but hold no code: the native chat's input and its code
 * blocks, the SCM commit message, comment replies. No ghost text there (a question typed to
 * @relay must not be completed by the relay).
 */
export const NOT_CODE_SCHEMES: ReadonlySet<string> = new Set(["chatSessionInput", "vscode-chat-code-block", "vscode-chat-code-compare-block", "vscode-scm", "comment"]);

export class RelayInlineProvider implements vscode.InlineCompletionItemProvider {
  private readonly cache = new CompletionCache(250);
  private toldNotLoaded = false;

  constructor(
    private readonly relay: RelayService,
    private readonly log: Logger,
  ) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    if (NOT_CODE_SCHEMES.has(document.uri.scheme)) return undefined;
    const settings = readConfig().inline;
    if (!settings.enabled) return undefined;
    if (!settings.languages.includes("*") && !settings.languages.includes(document.languageId)) return undefined;

    // Read only the bounded window around the cursor (this runs on every keystroke).
    const offset = document.offsetAt(position);
    const { maxPrefixChars, maxSuffixChars } = DEFAULT_INLINE_CONTEXT;
    const before = document.getText(new vscode.Range(document.positionAt(Math.max(0, offset - maxPrefixChars - 1)), position));
    const after = document.getText(new vscode.Range(position, document.positionAt(offset + maxSuffixChars + 1)));
    const { prefix, suffix } = inlineContext(before, after);
    if (!prefix.trim()) return undefined;
    // No model loaded, no ghost text (not even a cached one); a keystroke never loads one.
    const scope = this.relay.inlineScope();
    if (scope === undefined) {
      if (!this.toldNotLoaded) this.log.info("inline completions wait for the student model: it loads with the first chat or explain, or Reload Student Model (a separate inline model loads after it), never on a keystroke");
      this.toldNotLoaded = true;
      return undefined;
    }
    // Entries made by another model or under other settings are dropped, never served.
    this.cache.useScope(scope);
    const cached = this.cache.get(prefix, suffix);
    if (cached) return this.items(document, position, offset, cached);

    if (context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic) {
      await sleep(settings.debounceMs);
      if (token.isCancellationRequested) return undefined;
    }
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    const multiline = wantsMultiline(prefix, suffix);
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
    const marker = editor ? new HelpMarker(editor, position) : undefined;
    let enough = false;
    let visible = "";
    const started = Date.now();
    try {
      const result = await this.relay.runInline({
        task: { user: prefix, completion: { prefix, suffix } },
        signal: controller.signal,
        maxTokens: settings.maxTokens,
        allowTeacher: settings.teacher,
        onEvent: (event) => {
          marker?.onEvent(event);
          if (event.type !== "text") return;
          visible += event.text;
          // One line is enough for a single-line completion: stop generating.
          if (!multiline && /\S[^\n]*\n/.test(visible)) {
            enough = true;
            controller.abort();
          }
        },
      });
      if (!result || (token.isCancellationRequested && !enough)) return undefined;
      const trimmed = trimCompletion(result.text, multiline, suffix);
      const style = indentStyle(document, editor);
      const completion = joinCompletion(prefix, trimmed, style);
      this.log.info(`inline completion: ${result.stats.generatedTokens} tokens by ${this.relay.inlineModelName() ?? "the student"} in ${Date.now() - started} ms${completion === trimmed ? "" : " (joined to the line's indentation)"}`);
      if (!completion.trim()) return undefined;
      // Where leading whitespace was rewritten, the teacher's ranges move with the text.
      const map = joinOffsets(prefix, trimmed, style);
      const teacher = teacherRangesOf(result.spans, trimmed.length)
        .map((r) => ({ ...r, start: map(r.start), end: map(r.end) }))
        .filter((r) => r.end > r.start);
      const entry: CachedCompletion = { text: completion, teacher };
      // Made under the scope it started with: kept only if nothing has changed since.
      if (this.relay.inlineScope() === scope) this.cache.set(prefix, suffix, entry);
      return this.items(document, position, offset, entry);
    } catch (error) {
      this.log.warn(`inline completion failed: ${errorMessage(error)}`);
      return undefined;
    } finally {
      marker?.dispose();
      cancel.dispose();
    }
  }

  private items(document: vscode.TextDocument, position: vscode.Position, offset: number, entry: CachedCompletion): vscode.InlineCompletionItem[] {
    const item = new vscode.InlineCompletionItem(entry.text, new vscode.Range(position, position), {
      title: "Relay: mark teacher text",
      command: "relay.inlineAccepted",
      arguments: [document.uri.toString(), offset, entry.teacher],
    });
    return [item];
  }
}

/** The document's indentation as its editor has it (detected or set), else the settings'. */
function indentStyle(document: vscode.TextDocument, editor: vscode.TextEditor | undefined): IndentStyle {
  const c = vscode.workspace.getConfiguration("editor", document);
  const o = editor?.options;
  const num = (v: unknown, fallback: number) => (typeof v === "number" && v > 0 ? v : fallback);
  const tabSize = num(o?.tabSize, c.get<number>("tabSize", 4));
  const insertSpaces = typeof o?.insertSpaces === "boolean" ? o.insertSpaces : c.get<boolean>("insertSpaces", true);
  return { insertSpaces, tabSize, indentSize: num(o?.indentSize, tabSize) };
}

