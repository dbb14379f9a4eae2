/**
 * The chat panel: header (teacher, New chat), transcript, question box. Every message from the
 * host is validated with the shared protocol's schema; invalid ones are logged and ignored.
 */
import { parseToWebview, type ChatTurn, type SetupView, type ToWebview } from "../src/protocol/chat.js";
import { codeAction } from "./codeBlocks.js";
import { Composer } from "./composer.js";
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { FrameScheduler } from "./scheduler.js";
import { TurnView } from "./turnView.js";
import type { Host } from "./vscodeApi.js";
import { Welcome } from "./welcome.js";

/** Within this many pixels of the bottom, the transcript follows new text. */
const STICKY_PX = 48;

export class ChatApp {
  private readonly views = new Map<string, TurnView>();
  private readonly transcript: HTMLElement;
  private readonly teacher: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly welcome: Welcome;
  private setup: SetupView | undefined;
  private readonly composer: Composer;
  private readonly scheduler = new FrameScheduler(() => this.afterRender());
  private stick = true;
  private busy = false;

  constructor(root: HTMLElement, private readonly host: Host) {
    this.teacher = h("span", { class: "teacher-status", id: "teacher-status" }, "Teacher: …");
    this.welcome = new Welcome((action) => host.post({ type: "setup-action", action }));

    this.empty = h(
      "div",
      { class: "empty" },
      h("p", {}, "Ask a coding or math question. The local student model answers; when it gets stuck it asks the teacher for a few tokens."),
      h("p", {}, "Text the teacher wrote is ", h("span", { class: "teacher", title: "teacher text looks like this" }, "tinted"), " — hover it for the model, tokens and latency."),
    );
    this.transcript = h("main", { id: "transcript", class: "transcript", role: "log", "aria-live": "polite", "aria-label": "Answers" }, this.welcome.element, this.empty);
    this.transcript.addEventListener("scroll", () => {
      const t = this.transcript;
      this.stick = t.scrollHeight - t.scrollTop - t.clientHeight <= STICKY_PX;
    });
    this.transcript.addEventListener("click", (e) => this.onTranscriptClick(e));

    this.composer = new Composer({
      draft: host.state().draft,
      onSend: (question) => {
        this.stick = true;
        host.post({ type: "ask", question });
      },
      canSend: () => (Welcome.canAsk(this.setup) ? undefined : "Choose a student model first (above). Nothing is downloaded until you do."),
      onStop: () => host.post({ type: "stop" }),
      onDraft: (draft) => host.saveState({ draft }),
    });

    // New Chat and Past Chats are the view's title actions (as in Copilot Chat), not repeated here.
    const header = h("header", { class: "toolbar" }, this.teacher);
    root.replaceChildren(header, h("vscode-divider", { role: "separator" }), this.transcript, this.composer.element);
    root.classList.add("relay-chat");
  }

  /** Entry point for every message event from the host. */
  handle(data: unknown): void {
    const parsed = parseToWebview(data);
    if (!parsed.ok) {
      console.warn("Relay chat: ignored an invalid message from the extension:", parsed.error);
      return;
    }
    this.dispatch(parsed.message);
  }

  private dispatch(message: ToWebview): void {
    switch (message.type) {
      case "init": {
        this.clear();
        message.turns.forEach((turn, i) => {
          const live = message.busy && i === message.turns.length - 1 && !turn.stats && !turn.error && !turn.stopped;
          this.addTurn(turn, live);
        });
        this.setStatus(message.teacher, message.busy);
        if (message.setup) this.setSetup(message.setup);
        this.stick = true;
        this.afterRender();
        break;
      }
      case "turn-start":
        this.stick = true;
        this.addTurn(message.turn, true);
        break;
      case "text":
        this.withView(message.id, message.type, (v) => v.model.appendText(message.kind, message.text, message.thought === true));
        break;
      case "teacher-start":
        this.withView(message.id, message.type, (v) => v.model.teacherStart(message.granted, message.model));
        break;
      case "span":
        this.withView(message.id, message.type, (v) => v.model.closeSpan(message.span));
        break;
      case "turn-end": {
        const view = this.views.get(message.turn.id);
        if (!view) this.addTurn(message.turn, false);
        else {
          view.apply(message.turn, false);
          this.scheduler.renderNow(view);
        }
        this.updateBusy();
        break;
      }
      case "cleared":
        this.clear();
        break;
      case "status":
        this.setStatus(message.teacher, message.busy);
        break;
      case "setup":
        this.setSetup(message.setup);
        break;
      case "hint":
        this.composer.hint(message.text);
        break;
    }
  }

  private setSetup(setup: SetupView): void {
    this.setup = setup;
    this.welcome.update(setup, this.views.size > 0);
    this.empty.hidden = !this.welcome.element.hidden;
  }

  private withView(id: string, type: string, update: (view: TurnView) => void): void {
    const view = this.views.get(id);
    if (!view) {
      console.warn(`Relay chat: "${type}" for an unknown answer ${id}; ignored`);
      return;
    }
    update(view);
    this.scheduler.request(view);
  }

  private addTurn(turn: ChatTurn, streaming: boolean): void {
    const existing = this.views.get(turn.id);
    if (existing) {
      existing.apply(turn, streaming);
      this.scheduler.renderNow(existing);
      return;
    }
    const view = new TurnView(turn, streaming);
    this.views.set(turn.id, view);
    this.empty.remove();
    this.transcript.append(view.element);
    this.welcome.update(this.setup, true);
    this.scheduler.renderNow(view);
    this.updateBusy();
  }

  private clear(): void {
    for (const view of this.views.values()) this.scheduler.forget(view);
    this.views.clear();
    this.transcript.replaceChildren(this.welcome.element, this.empty);
    this.welcome.update(this.setup, false);
    this.empty.hidden = !this.welcome.element.hidden;
    this.updateBusy();
  }

  private setStatus(teacher: string, busy: boolean): void {
    this.teacher.textContent = `Teacher: ${teacher}`;
    this.teacher.title = teacher;
    this.busy = busy;
    this.composer.setBusy(busy);
    this.updateBusy();
  }

  private updateBusy(): void {
    const streaming = [...this.views.values()].some((v) => v.isStreaming);
    this.transcript.setAttribute("aria-busy", String(this.busy && streaming));
  }

  private afterRender(): void {
    if (this.stick) this.transcript.scrollTop = this.transcript.scrollHeight;
  }

  private onTranscriptClick(e: MouseEvent): void {
    const hit = codeAction(e.target);
    if (!hit) return;
    if (hit.action === "insert") {
      this.host.post(hit.info.language ? { type: "insert-code", code: hit.info.code, language: hit.info.language } : { type: "insert-code", code: hit.info.code });
      return;
    }
    this.host.post({ type: "copy-code", code: hit.info.code });
    const button = hit.button;
    button.replaceChildren(icon("check"));
    button.setAttribute("title", "Copied");
    setTimeout(() => {
      button.replaceChildren(icon("copy"));
      button.setAttribute("title", "Copy code");
    }, 1500);
  }
}
