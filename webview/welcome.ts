/**
 * The chat panel's first-run welcome: what Relay needs (a student model; a teacher is optional)
 * and the four ways on — choose a GGUF file, download the recommended student (name and size
 * shown), configure a teacher, or go on student-only. Each button asks the host to run the
 * matching command; the host answers with a new `setup` state.
 */
import type { SetupAction, SetupView } from "../src/protocol/chat.js";
import { h } from "./dom.js";

export class Welcome {
  readonly element: HTMLElement;
  private setup: SetupView | undefined;

  constructor(private readonly onAction: (action: SetupAction) => void) {
    this.element = h("section", { class: "welcome", id: "welcome", "aria-label": "Set up Relay" });
    this.element.hidden = true;
  }

  /** Whether the welcome has something to ask: no student yet (or it failed), or the teacher step is open. */
  static wanted(setup: SetupView | undefined, hasTurns: boolean): boolean {
    if (!setup) return false;
    if (setup.student.state === "none" || setup.student.state === "failed" || setup.student.state === "downloading") return true;
    return !hasTurns && setup.teacher.state === "not-configured";
  }

  /** Whether a question can be asked now (a student model is chosen). */
  static canAsk(setup: SetupView | undefined): boolean {
    return !setup || setup.student.state !== "none";
  }

  update(setup: SetupView | undefined, hasTurns: boolean): void {
    this.setup = setup;
    const show = Welcome.wanted(setup, hasTurns);
    this.element.hidden = !show;
    if (show && setup) this.render(setup);
  }

  private button(id: string, action: SetupAction, label: string, appearance: "primary" | "secondary", disabled = false, title?: string): HTMLElement {
    const b = h("vscode-button", { id, appearance, "data-setup-action": action, title: title ?? label }, label);
    if (disabled) b.setAttribute("disabled", "");
    b.addEventListener("click", () => {
      if (!b.hasAttribute("disabled")) this.onAction(action);
    });
    return b;
  }

  private render(setup: SetupView): void {
    const s = setup.student;
    const chosen = s.state !== "none";
    const studentStatus =
      s.state === "none"
        ? s.download
          ? h("p", { class: `step-status${s.download.outcome === "failed" ? " step-error" : ""}`, role: "status" }, s.download.outcome === "cancelled" ? `Not chosen yet: the download of ${s.download.name} was cancelled.` : `Not chosen yet: the download of ${s.download.name} failed. ${s.download.error ?? ""}`)
          : h("p", { class: "step-status" }, "Not chosen yet.")
        : s.state === "downloading"
          ? h("p", { class: "step-status", role: "status" }, `Downloading ${s.name ?? "the model"}… ${s.progress ?? ""} (cancel it from the notification).`)
          : s.state === "failed"
            ? h("p", { class: "step-status step-error" }, `${s.name ?? "The model"} could not be loaded: ${s.error ?? "see the log"}`)
            : s.state === "loading"
              ? h("p", { class: "step-status step-done", role: "status" }, `✓ ${s.name ?? "chosen"} (loading…)`)
              : h("p", { class: "step-status step-done" }, `✓ ${s.name ?? "chosen"}${s.state === "ready" ? " (loaded)" : " (loads with your first question)"}`);
    const restricted = !setup.trusted;
    const studentStep = h(
      "li",
      { class: `step${chosen && s.state !== "failed" ? " done" : ""}`, id: "welcome-student" },
      h("h3", {}, "1. A student model (needed)"),
      h("p", {}, "The student is a small model that runs here, in VS Code, on your GPU or CPU. It writes every answer. Use a GGUF file you have, or download the recommended one."),
      studentStatus,
      h(
        "div",
        { class: "step-actions" },
        this.button("welcome-choose-model", "choose-model", "Choose GGUF File…", chosen ? "secondary" : "primary"),
        this.button(
          "welcome-download-model",
          "download-model",
          `${s.download ? "Retry Download of" : "Download"} ${setup.recommended.name} (${setup.recommended.size})`,
          "secondary",
          restricted || s.state === "downloading",
          restricted ? "Nothing is downloaded in Restricted Mode" : `Downloads ${setup.recommended.name}, ${setup.recommended.size}, once`,
        ),
        setup.relayTrained
          ? this.button(
              "welcome-relay-student",
              "relay-student",
              `Relay-Trained Student (${setup.relayTrained.name}, converted on this machine)`,
              "secondary",
              restricted || s.state === "downloading",
              restricted
                ? "Nothing is downloaded in Restricted Mode"
                : `Downloads the ${setup.relayTrained.name} checkpoint (${setup.relayTrained.size}) and converts it to GGUF here with llama.cpp's converter (Python 3.11+; its environment is set up once). It asks the teacher itself: the learned policy.`,
            )
          : "",
      ),
      restricted ? h("p", { class: "step-note" }, "Restricted Mode: nothing is downloaded and the teacher is off. A model file on this machine still works.") : "",
    );
    const t = setup.teacher;
    const teacherDone = t.state === "on" || t.state === "paused" || t.state === "student-only";
    const teacherStep = h(
      "li",
      { class: `step${teacherDone ? " done" : ""}`, id: "welcome-teacher" },
      h("h3", {}, "2. A teacher (optional)"),
      h("p", {}, "When the student gets stuck it can ask a larger model behind an OpenAI-compatible API (a local llama-server or vLLM, or a provider) for just the next few tokens. You give its URL, model and key; secrets are removed from what is sent, and the budget caps what it costs."),
      teacherDone ? h("p", { class: "step-status step-done" }, `✓ Teacher: ${t.label}`) : "",
      h(
        "div",
        { class: "step-actions" },
        this.button("welcome-configure-teacher", "configure-teacher", "Configure Teacher…", "secondary", restricted),
        this.button("welcome-student-only", "student-only", "Continue Student-Only", "secondary"),
      ),
    );
    this.element.replaceChildren(
      h("h2", {}, "Welcome to Relay"),
      h("p", { class: "welcome-lead" }, "A local student model answers your coding and math questions; a teacher model helps only at the hard spots. Nothing is downloaded, and nothing leaves this machine, until you say so."),
      h("ol", { class: "steps" }, studentStep, teacherStep),
      h("p", { class: "welcome-more" }, h("a", { href: "#", id: "welcome-walkthrough", "data-setup-action": "open-walkthrough" }, "Open the Get Started walkthrough")),
    );
    this.element.querySelector("#welcome-walkthrough")?.addEventListener("click", (e) => {
      e.preventDefault();
      this.onAction("open-walkthrough");
    });
  }
}
