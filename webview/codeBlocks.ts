/**
 * Code blocks in an answer get a header with their language and two buttons: Copy and Insert
 * at cursor. The code each button acts on is the block's text as the model wrote it, kept
 * beside the element, not read back from the (decorated) DOM.
 *
 * Bidirectional and invisible characters in a block (code that reads one way and runs another,
 * text no one sees) are shown: each becomes a mark naming it, in place of the character, and the
 * block says how many there are. Copy and Insert still hand over the code as written; the
 * editor asks before using it (src/extension/chatView.ts).
 */
import { describeHiddenChars, findHiddenChars, type HiddenChar } from "../src/protocol/hiddenText.js";
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { stripSentinels } from "./sentinels.js";

export interface CodeInfo {
  code: string;
  language?: string;
}

const codeOf = new WeakMap<Element, CodeInfo>();

/** Records each block's code; call on the sanitized fragment before it is decorated. */
export function collectCode(root: DocumentFragment | Element): void {
  for (const pre of root.querySelectorAll("pre.code-block")) {
    const code = stripSentinels(pre.textContent ?? "").replace(/\n$/, "");
    const language = pre.getAttribute("data-lang") ?? undefined;
    codeOf.set(pre, language ? { code, language } : { code });
  }
}

/** Each hidden character in `root`'s text becomes a visible mark ("U+202E", named in its tooltip). */
export function markHiddenChars(root: Element): number {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node as Text);
  let marked = 0;
  for (const node of nodes) {
    const text = node.data;
    const found = findHiddenChars(text);
    if (found.length === 0) continue;
    const parts: Array<Node | string> = [];
    let at = 0;
    for (const c of found) {
      parts.push(text.slice(at, c.index), hiddenMark(c));
      at = c.index + c.length;
    }
    parts.push(text.slice(at));
    node.replaceWith(...parts.filter((p) => p !== ""));
    marked += found.length;
  }
  return marked;
}

function hiddenMark(c: HiddenChar): HTMLElement {
  return h("span", { class: `hidden-char ${c.kind}`, title: c.label, "aria-label": c.label }, c.label.split(" ")[0]);
}

function actionButton(action: "copy" | "insert", label: string): HTMLElement {
  const button = h("vscode-button", { appearance: "icon", "aria-label": label, title: label, "data-action": action });
  button.append(icon(action === "copy" ? "copy" : "insert"));
  return button;
}

/** Wraps each recorded block with its header and buttons. */
export function addCodeToolbars(root: DocumentFragment | Element): void {
  for (const pre of root.querySelectorAll("pre.code-block")) {
    const info = codeOf.get(pre);
    if (!info) continue;
    const hidden = findHiddenChars(info.code);
    const asks = hidden.length > 0 ? " (asks first: hidden characters)" : "";
    const header = h(
      "div",
      { class: "code-header" },
      h("span", { class: "code-lang" }, info.language ?? "text"),
      h("span", { class: "code-actions" }, actionButton("copy", `Copy code${asks}`), actionButton("insert", `Insert code at cursor${asks}`)),
    );
    const wrapper = h("div", { class: hidden.length > 0 ? "code-wrapper has-hidden" : "code-wrapper" });
    pre.replaceWith(wrapper);
    wrapper.append(header);
    if (hidden.length > 0) {
      wrapper.append(h("div", { class: "code-warning", role: "note" }, `⚠ ${describeHiddenChars(hidden)}: shown as marks; Copy and Insert ask first.`));
      markHiddenChars(pre);
    }
    wrapper.append(pre);
    codeOf.set(wrapper, info);
  }
}

/** The code a click on a code-block button refers to, and which action it asked for. */
export function codeAction(target: EventTarget | null): { action: "copy" | "insert"; info: CodeInfo; button: Element } | undefined {
  if (!(target instanceof Element)) return undefined;
  const button = target.closest("[data-action]");
  const wrapper = button?.closest(".code-wrapper");
  if (!button || !wrapper) return undefined;
  const info = codeOf.get(wrapper);
  const action = button.getAttribute("data-action");
  if (!info || (action !== "copy" && action !== "insert")) return undefined;
  return { action, info, button };
}
