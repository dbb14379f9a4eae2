/**
 * Code blocks in an answer get a header with their language and two buttons: Copy and Insert
 * at cursor. The code each button acts on is the block's text as the model wrote it, kept
 * beside the element, not read back from the (decorated) DOM.
 */
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
    const header = h(
      "div",
      { class: "code-header" },
      h("span", { class: "code-lang" }, info.language ?? "text"),
      h("span", { class: "code-actions" }, actionButton("copy", "Copy code"), actionButton("insert", "Insert code at cursor")),
    );
    const wrapper = h("div", { class: "code-wrapper" });
    pre.replaceWith(wrapper);
    wrapper.append(header, pre);
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
