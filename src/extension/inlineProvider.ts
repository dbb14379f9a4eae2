/**
 * Inline completions through the relay: debounced, cancelled when the user types on (which
 * aborts the teacher request and frees the sequence), cached on the prefix, infill when the
 * student supports it. Teacher calls are allowed inside the budget unless turned off. Only a
 * student that is loaded already is used: a keystroke never starts a model load or download.
 */
import * as vscode from "vscode";
import { CompletionCache, DEFAULT_INLINE_CONTEXT, inlineContext, trimCompletion, wantsMultiline, type CachedCompletion } from "../core/inline.js";
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
    const cached = this.cache.get(prefix, suffix);
    if (cached) return this.items(document, position, offset, cached);

    if (context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic) {
      await sleep(settings.debounceMs);
      if (token.isCancellationRequested) return undefined;
    }

    if (!this.relay.studentLoaded) {
      if (!this.toldNotLoaded) this.log.info("inline completions wait for the student model: it loads with the first chat or explain, or Reload Student Model, never on a keystroke");
      this.toldNotLoaded = true;
      return undefined;
    }
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    const multiline = wantsMultiline(prefix, suffix);
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
    const marker = editor ? new HelpMarker(editor, position) : undefined;
    let enough = false;
    let visible = "";
    try {
      const result = await this.relay.runIfLoaded({
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
      const completion = trimCompletion(result.text, multiline, suffix);
      if (!completion.trim()) return undefined;
      const entry: CachedCompletion = { text: completion, teacher: teacherRangesOf(result.spans, completion.length) };
      this.cache.set(prefix, suffix, entry);
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
