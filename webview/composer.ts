/**
 * The question box: a text area (Enter sends, Shift+Enter is a new line) and a Send button that
 * becomes Stop while an answer is being generated. The draft survives the view being hidden.
 */
import { h } from "./dom.js";
import { icon } from "./icons.js";

const MAX_QUESTION = 100_000;

interface TextAreaElement extends HTMLElement {
  value: string;
}

export interface ComposerOptions {
  draft: string;
  onSend(question: string): void;
  onStop(): void;
  onDraft(draft: string): void;
  /** Why a question cannot be sent now, or undefined when it can. */
  canSend?(): string | undefined;
}

export class Composer {
  readonly element: HTMLElement;
  private readonly input: TextAreaElement;
  private readonly send: HTMLElement;
  private readonly stop: HTMLElement;
  private readonly hint_: HTMLElement;
  private busy = false;

  constructor(private readonly options: ComposerOptions) {
    // The toolkit names the text area after its content (a <label>, visually hidden in chat.css).
    this.input = h(
      "vscode-text-area",
      { id: "question", class: "question-input", placeholder: "Ask Relay… (Enter to send, Shift+Enter for a new line)", resize: "vertical", rows: "3" },
      "Question",
    ) as TextAreaElement;
    this.input.value = options.draft;
    this.send = h("vscode-button", { id: "send", appearance: "primary", "aria-label": "Send question", title: "Send (Enter)" }, "Send");
    this.stop = h("vscode-button", { id: "stop", appearance: "secondary", "aria-label": "Stop generating", title: "Stop generating" }, "Stop");
    this.stop.prepend(iconSlot("stop"));
    this.stop.hidden = true;
    this.hint_ = h("span", { class: "composer-hint", "aria-live": "polite" });
    this.element = h("form", { class: "composer", "aria-label": "Ask a question" }, this.input, h("div", { class: "composer-row" }, this.hint_, this.send, this.stop));

    this.element.addEventListener("submit", (e) => e.preventDefault());
    this.input.addEventListener("keydown", (e) => this.onKey(e));
    this.input.addEventListener("input", () => {
      this.hint_.textContent = "";
      options.onDraft(this.input.value);
    });
    this.send.addEventListener("click", () => this.submit());
    this.stop.addEventListener("click", () => options.onStop());
  }

  /** Shows a short line under the question box. */
  hint(text: string): void {
    this.hint_.textContent = text;
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.send.hidden = busy;
    this.stop.hidden = !busy;
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key !== "Enter" || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey || e.isComposing) return;
    e.preventDefault();
    if (!this.busy) this.submit();
  }

  private submit(): void {
    const question = this.input.value.trim();
    if (!question) return;
    const blocked = this.options.canSend?.();
    if (blocked) {
      this.hint_.textContent = blocked;
      return;
    }
    if (question.length > MAX_QUESTION) {
      this.hint_.textContent = `Too long: ${question.length.toLocaleString("en-US")} characters (at most ${MAX_QUESTION.toLocaleString("en-US")}).`;
      return;
    }
    this.input.value = "";
    this.options.onDraft("");
    this.options.onSend(question);
  }
}

function iconSlot(name: "stop"): HTMLElement {
  const slot = h("span", { slot: "start" });
  slot.append(icon(name));
  return slot;
}
