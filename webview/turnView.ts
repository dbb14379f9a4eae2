/** One question and its answer in the transcript: the question, the rendered answer, a footer. */
import type { ChatTurn } from "../src/protocol/chat.js";
import { AnswerModel } from "./answerModel.js";
import { h } from "./dom.js";
import { STATS_SEPARATOR, statsParts } from "./format.js";
import { renderAnswer } from "./renderAnswer.js";

const STOP_LABELS: Record<string, string> = {
  aborted: "stopped",
  "model-unloaded": "stopped: the student model was unloaded",
  "max-tokens": "token limit reached",
  "context-full": "context full",
  error: "error",
};

export class TurnView {
  readonly element: HTMLElement;
  readonly model = new AnswerModel();
  private readonly question = h("div", { class: "question" });
  private readonly answer = h("div", { class: "answer markdown" });
  private readonly footer = h("div", { class: "turn-footer" });
  private streaming = false;
  private thinkingOpen = false;

  constructor(turn: ChatTurn, streaming: boolean) {
    this.element = h("article", { class: "turn", "data-turn-id": turn.id }, this.question, this.answer, this.footer);
    this.apply(turn, streaming);
  }

  get isStreaming(): boolean {
    return this.streaming;
  }

  /** Takes a whole turn (history, turn-start, turn-end); call render() after. */
  apply(turn: ChatTurn, streaming: boolean): void {
    this.streaming = streaming;
    this.question.textContent = turn.title ?? turn.question;
    if (turn.title) this.question.title = turn.question.length > 500 ? `${turn.question.slice(0, 500)}…` : turn.question;
    else this.question.removeAttribute("title");
    this.model.finish(turn.spans);
    this.element.classList.toggle("streaming", streaming);
    const stopped = turn.stopped === true || turn.stats?.stopReason === "aborted";
    this.element.classList.toggle("stopped", stopped);
    this.renderFooter(turn, stopped);
  }

  render(): void {
    const fragment = renderAnswer(this.model, { thinkingOpen: this.thinkingOpen, streaming: this.streaming });
    // Re-rendering as text streams in must not close a Thinking section the user opened.
    const details = fragment.querySelector("details.thinking");
    details?.addEventListener("toggle", () => (this.thinkingOpen = (details as HTMLDetailsElement).open));
    if (!fragment.hasChildNodes() && this.streaming) fragment.append(h("span", { class: "placeholder" }, "Thinking…"));
    this.answer.replaceChildren(fragment);
  }

  private renderFooter(turn: ChatTurn, stopped: boolean): void {
    const parts: Array<Node | string> = [];
    if (this.streaming) {
      parts.push(h("vscode-progress-ring", { class: "ring", "aria-label": "Generating" }), h("span", { class: "generating" }, "generating…"));
    } else if (turn.stats) {
      const stats = h("span", { class: "stats" });
      statsParts(turn.stats).forEach((part, i) => {
        if (i > 0) stats.append(STATS_SEPARATOR);
        stats.append(h("span", { class: "stat", title: part.title }, part.text));
      });
      parts.push(stats);
    }
    const reason = stopped ? "stopped" : turn.stats ? STOP_LABELS[turn.stats.stopReason] : undefined;
    if (!this.streaming && reason && reason !== "error") parts.push(" ", h("span", { class: `badge ${stopped ? "stopped" : ""}` }, reason));
    if (!this.streaming && turn.notice) parts.push(h("div", { class: "turn-notice", role: "note" }, turn.notice));
    if (turn.error) parts.push(h("div", { class: "turn-error" }, turn.error));
    this.footer.replaceChildren(...parts);
    this.footer.hidden = parts.length === 0;
  }
}
