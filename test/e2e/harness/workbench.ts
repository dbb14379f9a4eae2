/**
 * Workbench actions: what a user does in the VS Code window, driven through its DOM — the
 * command palette and quick picks, editors, the status bar, notifications, webview views.
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join, sep } from "node:path";
import type { PWFrame, PWFrameLocator, PWLocator, PWPage } from "./browser.js";
import { readManifest } from "./extension.js";
import { escapeRegExp, matches, waitUntil, type Matcher } from "./waiting.js";

export interface StatusBarItem {
  /** DOM id: `publisher.name.itemId` for extension items (e.g. relay-dev.relay.relay.budget), `status.*` for the workbench's own. */
  id: string;
  /** Visible text; codicons are omitted. */
  text: string;
  /** Text with codicons written back as $(name), as the extension set it. */
  textWithIcons: string;
  /** aria-label (the item's accessibilityInformation.label, else text and tooltip). */
  ariaLabel: string;
  visible: boolean;
}

export interface Notification {
  message: string;
  /** "info" | "warning" | "error" (from the icon). */
  severity: string;
  /** e.g. "Relay" (from the aria-label "…, source: Relay, notification"). */
  source: string;
  ariaLabel: string;
  /** The toast finished fading in. */
  shown: boolean;
}

/** Finds a status bar item: see Workbench.statusBarItem. */
export type StatusBarMatcher =
  | string
  | RegExp
  | { id?: string; text?: Matcher; ariaLabel?: Matcher; /** true: this repo's extension; or an extension id */ extension?: true | string }
  | ((item: StatusBarItem) => boolean);
const describeMatcher = (m: StatusBarMatcher) => (typeof m === "function" ? "(predicate)" : m instanceof RegExp || typeof m === "string" ? String(m) : JSON.stringify(m, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v)));

/** Drives the workbench of one VS Code window. VSCode (vscode.ts) extends it with the lifecycle. */
export class Workbench {
  /** The workbench page (set once the browser has started). */
  page!: PWPage;

  constructor(
    /** `publisher.name` of the repo's extension: status bar ids are prefixed with it. */
    readonly extensionId: string,
    readonly workspaceDir: string,
    readonly extensionsDir: string,
  ) {}

  /** The quick-input box (command palette, quick open, showInputBox, showQuickPick). */
  get quickInput(): PWLocator {
    return this.page.locator(".quick-input-widget .quick-input-box input");
  }

  /** Quick-pick rows currently shown, by their label. */
  async quickPickLabels(): Promise<string[]> {
    return this.page.evaluate(() => [...document.querySelectorAll(".quick-input-widget .quick-input-list .monaco-list-row .label-name")].map((e) => (e.textContent ?? "").trim()));
  }

  /**
   * Runs a command through the command palette: F1, type the title, pick the row whose label is
   * exactly `title` (e.g. "Relay: Show Status").
   */
  async runCommand(title: string, options: { timeout?: number } = {}): Promise<void> {
    const timeout = options.timeout ?? 15_000;
    const end = Date.now() + timeout;
    const exact = new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`);
    const row = this.page.locator(".quick-input-widget .quick-input-list .monaco-list-row").filter({ has: this.page.locator(".label-name", { hasText: exact }) }).first();
    // The palette lists the commands known when it opens; commands contributed by an extension
    // host that is still starting appear on a later try.
    for (;;) {
      await this.page.keyboard.press("Escape");
      await this.page.keyboard.press("F1");
      try {
        await this.quickInput.waitFor({ state: "visible", timeout: Math.max(1000, Math.min(3000, end - Date.now())) });
      } catch (error) {
        // A key press can be lost on a loaded machine, or held by a focused webview: take the
        // focus back to the workbench and press again.
        if (Date.now() >= end) throw error;
        await this.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        continue;
      }
      await this.quickInput.fill(`>${title}`);
      try {
        await row.waitFor({ state: "visible", timeout: Math.max(500, Math.min(5000, end - Date.now())) });
        break;
      } catch {
        if (Date.now() < end) continue;
        const shown = await this.quickPickLabels().catch(() => []);
        await this.page.keyboard.press("Escape");
        throw new Error(`command "${title}" not found in the command palette within ${timeout} ms; it showed: ${JSON.stringify(shown)}`);
      }
    }
    await row.click({ timeout: Math.max(1000, end - Date.now()) });
  }

  /** Answers an open quick pick by clicking the row whose label matches. */
  async pickQuickItem(label: Matcher, options: { timeout?: number } = {}): Promise<void> {
    const row = this.page.locator(".quick-input-widget .quick-input-list .monaco-list-row").filter({ has: this.page.locator(".label-name", { hasText: label }) }).first();
    await row.click({ timeout: options.timeout ?? 15_000 });
  }

  /** Types into an open input box (showInputBox) and presses Enter. */
  async answerInputBox(text: string, options: { timeout?: number } = {}): Promise<void> {
    await this.quickInput.waitFor({ state: "visible", timeout: options.timeout ?? 15_000 });
    await this.quickInput.fill(text);
    await this.quickInput.press("Enter");
  }

  /** Opens a workspace file (path relative to the workspace folder) with Quick Open; waits for its editor. */
  async openFile(relPath: string, options: { timeout?: number } = {}): Promise<void> {
    const timeout = options.timeout ?? 20_000;
    const absolute = join(this.workspaceDir, relPath);
    if (!existsSync(absolute)) throw new Error(`no such workspace file: ${relPath}`);
    const file = basename(relPath);
    await this.page.keyboard.press("Escape");
    await this.page.keyboard.press("Control+P");
    await this.quickInput.waitFor({ state: "visible", timeout });
    await this.quickInput.fill(relPath.split(sep).join("/"));
    const exact = new RegExp(`^\\s*${escapeRegExp(file)}\\s*$`);
    const rows = this.page.locator(".quick-input-widget .quick-input-list .monaco-list-row").filter({ has: this.page.locator(".label-name", { hasText: exact }) });
    // The row of this file: its name, and its folder as the description ("" at the root).
    const folder = dirname(relPath) === "." ? "" : dirname(relPath).split(sep).join("/");
    const index = await waitUntil(async () => {
      const descriptions = await this.page.evaluate((name) =>
        [...document.querySelectorAll(".quick-input-widget .quick-input-list .monaco-list-row")]
          .filter((row) => row.querySelector(".label-name")?.textContent?.trim() === name)
          .map((row) => (row.querySelector(".label-description")?.textContent ?? "").trim().replace(/\\/g, "/")), file);
      const i = descriptions.findIndex((d) => d === folder || (folder !== "" && d.endsWith(`/${folder}`)));
      return i >= 0 ? i : undefined;
    }, timeout, `${relPath} in Quick Open`);
    const pick = rows.nth(index);
    await pick.click({ timeout });
    await this.page.locator(`.editor-group-container.active .tab.active .tab-label[aria-label="${absolute.replace(/"/g, '\\"')}"]`).waitFor({ state: "visible", timeout });
    await this.focusEditor();
  }

  /** The active text editor's element. */
  get activeEditor(): PWLocator {
    return this.page.locator(".editor-group-container.active .editor-instance .monaco-editor").first();
  }

  /** Puts the keyboard focus into the active text editor (without moving its cursor). */
  async focusEditor(): Promise<void> {
    await this.activeEditor.waitFor({ state: "visible" });
    const focused = await this.activeEditor.evaluate((editor) => {
      const input = editor.querySelector<HTMLElement>("textarea.inputarea, .native-edit-context");
      input?.focus();
      return !!input && editor.contains(document.activeElement);
    });
    if (!focused) await this.activeEditor.locator(".view-lines").click();
  }

  /**
   * Types into the active editor with real key presses (so auto-indent and completions react as
   * for a user; the harness turns suggest-on-type and auto-closing off by default). `raw: true`
   * inserts the text in one go instead. `atEnd: true` moves the cursor to the end first.
   */
  async typeInEditor(text: string, options: { raw?: boolean; atEnd?: boolean; delay?: number } = {}): Promise<void> {
    await this.focusEditor();
    if (options.atEnd) await this.page.keyboard.press("Control+End");
    if (options.raw) await this.page.keyboard.insertText(text);
    else await this.page.keyboard.type(text, { delay: options.delay ?? 5 });
  }

  /** The text of the active editor's rendered lines (only what is on screen; nbsp made spaces). */
  async editorText(): Promise<string> {
    const text = await this.activeEditor.locator(".view-lines").innerText();
    return text.replace(/\u00a0/g, " ");
  }

  /** Waits until the active editor's rendered text matches; returns it. */
  async waitForEditorText(text: Matcher, options: { timeout?: number } = {}): Promise<string> {
    let last = "";
    return waitUntil(async () => {
      last = await this.editorText();
      return matches(text, last) ? last : undefined;
    }, options.timeout ?? 10_000, `editor text ${String(text)}`).catch((error: Error) => {
      throw new Error(`${error.message}; editor shows: ${JSON.stringify(last)}`);
    });
  }

  /** Status bar entries (left and right), in DOM order. */
  async statusBarItems(): Promise<StatusBarItem[]> {
    return this.page.locator(".part.statusbar").evaluate((bar) =>
      [...bar.querySelectorAll<HTMLElement>(".statusbar-item")].map((item) => {
        const label = item.querySelector<HTMLElement>(".statusbar-item-label") ?? item;
        let withIcons = "";
        const walk = (node: Node) => {
          for (const child of node.childNodes) {
            if (child.nodeType === Node.TEXT_NODE) withIcons += child.textContent ?? "";
            else if (child instanceof HTMLElement) {
              const icon = [...child.classList].find((c) => c.startsWith("codicon-") && c !== "codicon-modifier-spin");
              if (child.classList.contains("codicon") && icon) withIcons += `$(${icon.slice("codicon-".length)}${child.classList.contains("codicon-modifier-spin") ? "~spin" : ""})`;
              else walk(child);
            }
          }
        };
        walk(label);
        return {
          id: item.id,
          text: (label.textContent ?? "").replace(/\s+/g, " ").trim(),
          textWithIcons: withIcons.replace(/\s+/g, " ").trim(),
          ariaLabel: item.getAttribute("aria-label") ?? label.getAttribute("aria-label") ?? "",
          visible: item.offsetParent !== null && getComputedStyle(item).display !== "none",
        };
      }),
    );
  }

  /**
   * Finds a visible status bar item. `match` is
   *  - a string: an item id, either the full DOM id or the extension's own id ("relay.budget",
   *    prefixed with publisher.name automatically);
   *  - a RegExp: tested against the visible text (with and without $(icon) markers);
   *  - an object: every given field must match (strings: substring; id: exact as above);
   *  - a predicate on StatusBarItem.
   * Waits up to `timeout` (default 30 s).
   */
  async statusBarItem(match: StatusBarMatcher, options: { timeout?: number } = {}): Promise<StatusBarItem> {
    const test = this.statusBarPredicate(match);
    return waitUntil(async () => (await this.statusBarItems()).find((i) => i.visible && test(i)), options.timeout ?? 30_000, `status bar item ${describeMatcher(match)}`).catch(async (error: Error) => {
      const items = await this.statusBarItems().catch(() => []);
      throw new Error(`${error.message}; status bar has: ${JSON.stringify(items.map((i) => ({ id: i.id, text: i.textWithIcons, ariaLabel: i.ariaLabel })))}`);
    });
  }

  private statusBarPredicate(match: StatusBarMatcher): (item: StatusBarItem) => boolean {
    const idMatches = (id: string, want: string) => id === want || id === `${this.extensionId}.${want}`;
    if (typeof match === "function") return match;
    if (typeof match === "string") return (i) => idMatches(i.id, match);
    if (match instanceof RegExp) return (i) => match.test(i.text) || match.test(i.textWithIcons);
    return (i) =>
      (match.id === undefined || idMatches(i.id, match.id)) &&
      (match.text === undefined || matches(match.text, i.text) || matches(match.text, i.textWithIcons)) &&
      (match.ariaLabel === undefined || matches(match.ariaLabel, i.ariaLabel)) &&
      (match.extension === undefined || i.id.startsWith(`${match.extension === true ? this.extensionId : match.extension}.`));
  }

  /** Text of a status bar item (see statusBarItem); `withIcons: true` keeps $(icon) markers. */
  async statusBarText(match: StatusBarMatcher, options: { timeout?: number; withIcons?: boolean } = {}): Promise<string> {
    const item = await this.statusBarItem(match, options);
    return options.withIcons ? item.textWithIcons : item.text;
  }

  /** Waits until the status bar item `match` shows text (with $(icon) markers) or an aria-label matching `text`. */
  async waitForStatusBarText(match: StatusBarMatcher, text: Matcher, options: { timeout?: number } = {}): Promise<StatusBarItem> {
    const test = this.statusBarPredicate(match);
    let last: StatusBarItem[] = [];
    return waitUntil(async () => {
      last = (await this.statusBarItems()).filter((i) => i.visible && test(i));
      return last.find((i) => matches(text, i.textWithIcons) || matches(text, i.ariaLabel));
    }, options.timeout ?? 30_000, `status bar item ${describeMatcher(match)} to show ${String(text)}`).catch((error: Error) => {
      throw new Error(`${error.message}; matching items: ${JSON.stringify(last)}`);
    });
  }

  /** Notification toasts now on screen, newest first. */
  async notifications(): Promise<Notification[]> {
    return this.page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>(".notifications-toasts .notification-toast-container .monaco-list-row")].map((row) => {
        const aria = row.getAttribute("aria-label") ?? "";
        const icon = row.querySelector(".notification-list-item-icon");
        const severity = icon?.classList.contains("codicon-error") ? "error" : icon?.classList.contains("codicon-warning") ? "warning" : "info";
        return {
          message: (row.querySelector(".notification-list-item-message")?.textContent ?? "").trim(),
          severity,
          source: /, source: (.*?), notification/.exec(aria)?.[1] ?? "",
          ariaLabel: aria,
          shown: !!row.closest(".notification-toast.notification-fade-in-done"),
        };
      }),
    );
  }

  /** Waits for a notification toast whose message matches (and for it to have faded in). */
  async waitForNotification(message: Matcher, options: { timeout?: number } = {}): Promise<Notification> {
    let seen: Notification[] = [];
    return waitUntil(async () => {
      seen = await this.notifications();
      return seen.find((n) => n.shown && matches(message, n.message));
    }, options.timeout ?? 15_000, `a notification matching ${String(message)}`).catch((error: Error) => {
      throw new Error(`${error.message}; toasts: ${JSON.stringify(seen.map((n) => n.message))}`);
    });
  }

  /** Clicks a view's title action (the icons in the side bar's title, e.g. "New Chat") by its label. */
  async clickViewTitleAction(label: string, options: { timeout?: number } = {}): Promise<void> {
    const action = this.page.locator(`.part.sidebar .title-actions .action-label[aria-label^="${label}"], .part.sidebar .pane-header .actions .action-label[aria-label^="${label}"]`).first();
    await action.waitFor({ state: "visible", timeout: options.timeout ?? 15_000 });
    await action.click();
  }

  /** Clears all notifications (command "Notifications: Clear All Notifications"). */
  async clearNotifications(): Promise<void> {
    await this.runCommand("Notifications: Clear All Notifications");
  }

  /**
   * The outer <iframe> element of a webview view. `view` is a view id from a contributes.views
   * entry of an installed extension (e.g. "relay.chat"), or a title: the view's name ("Chat") or
   * the side bar title ("Relay: Chat"). The view must be open (e.g. after runCommand("Relay: Open Chat")).
   */
  async webviewIframe(view: string, options: { timeout?: number } = {}): Promise<PWLocator> {
    const contributed = this.viewContributions().find((v) => v.id === view);
    const query = contributed ? { container: contributed.container, name: contributed.name, title: "" } : { container: "", name: view, title: view };
    const name = await waitUntil(() =>
      this.page.evaluate((q) => {
        const visible = (e: Element) => {
          const r = e.getBoundingClientRect();
          return r.width > 0 && r.height > 0;
        };
        const bodies: Element[] = [];
        for (const composite of document.querySelectorAll(".composite.viewlet, .composite.panel, .pane-composite-part .composite")) {
          if (q.container && composite.id !== `workbench.view.extension.${q.container}` && composite.id !== `workbench.view.${q.container}`) continue;
          const titleOfPart = composite.closest(".part")?.querySelector(".composite.title .title-label h2")?.textContent?.trim() ?? "";
          const panes = [...composite.querySelectorAll(".pane")];
          for (const pane of panes) {
            const name = pane.querySelector(".pane-header .title")?.textContent?.trim() ?? "";
            const single = panes.length === 1;
            if (name.toLowerCase() === q.name.toLowerCase() || (q.title && single && titleOfPart.toLowerCase() === q.title.toLowerCase())) {
              const body = pane.querySelector(".pane-body");
              if (body && visible(body)) bodies.push(body);
            }
          }
        }
        let best: { name: string; overlap: number } | undefined;
        for (const body of bodies) {
          const b = body.getBoundingClientRect();
          for (const iframe of document.querySelectorAll<HTMLIFrameElement>("iframe.webview")) {
            const holder = iframe.parentElement;
            if (!holder || holder.style.visibility === "hidden" || !visible(iframe)) continue;
            const r = iframe.getBoundingClientRect();
            const overlap = Math.max(0, Math.min(r.right, b.right) - Math.max(r.left, b.left)) * Math.max(0, Math.min(r.bottom, b.bottom) - Math.max(r.top, b.top));
            if (overlap > 0 && (!best || overlap > best.overlap)) best = { name: iframe.name, overlap };
          }
        }
        return best?.name;
      }, query),
      options.timeout ?? 20_000,
      `webview view ${view}`,
    );
    return this.page.locator(`iframe.webview[name="${name}"]`);
  }

  /**
   * The webview's content frame (the nested `#active-frame` inside VS Code's webview host
   * iframe) as a playwright Frame. A webview that re-renders its HTML gets a new inner frame;
   * call again then, or use webviewLocator(), which re-resolves by itself.
   */
  async webviewFrame(view: string, options: { timeout?: number } = {}): Promise<PWFrame> {
    const timeout = options.timeout ?? 20_000;
    const iframe = await this.webviewIframe(view, { timeout });
    const name = await iframe.getAttribute("name");
    const host = await this.page.waitForSelector(`iframe.webview[name="${name}"]`, { state: "attached", timeout });
    const hostFrame = await host?.contentFrame();
    if (!hostFrame) throw new Error(`webview ${view}: no host frame`);
    const active = await hostFrame.waitForSelector("iframe#active-frame", { state: "attached", timeout });
    const content = await active?.contentFrame();
    if (!content) throw new Error(`webview ${view}: no active frame`);
    await content.waitForFunction(() => document.readyState !== "loading" && !!document.body, undefined, { timeout });
    return content;
  }

  /** A FrameLocator for the webview's content (re-resolves if the webview re-renders). */
  async webviewLocator(view: string, options: { timeout?: number } = {}): Promise<PWFrameLocator> {
    const iframe = await this.webviewIframe(view, options);
    const name = await iframe.getAttribute("name");
    return this.page.frameLocator(`iframe.webview[name="${name}"]`).frameLocator("iframe#active-frame");
  }

  /** Views contributed by the installed extensions: id, name and container. */
  viewContributions(): Array<{ id: string; name: string; container: string; extension: string }> {
    const out: Array<{ id: string; name: string; container: string; extension: string }> = [];
    if (!existsSync(this.extensionsDir)) return out;
    for (const entry of readdirSync(this.extensionsDir)) {
      const manifest = join(this.extensionsDir, entry, "package.json");
      if (!existsSync(manifest)) continue;
      const m = readManifest(join(this.extensionsDir, entry));
      for (const [container, views] of Object.entries(m.contributes?.views ?? {})) for (const v of views) out.push({ id: v.id, name: v.name, container, extension: `${m.publisher}.${m.name}` });
    }
    return out;
  }
}
