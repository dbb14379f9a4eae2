/**
 * A status bar item showing whether Relay's inline completions are on (click to toggle), which
 * model writes them (the student, or a separate inline model beside it: the item names it and
 * its tooltip says which model serves which job), and whether they wait for a model: inline
 * completions never load one themselves.
 */
import * as vscode from "vscode";
import { modelDisplayName } from "../core/recommendedModel.js";
import { onDidChangeConfig, readConfig } from "./config.js";
import type { InlineModelService } from "./inlineModelService.js";
import type { StudentService } from "./studentService.js";

/** "qwen2.5-coder-0.5b-instruct.gguf" → "qwen2.5-coder-0.5b-instruct", at most 28 characters. */
function shortName(ref: string): string {
  const name = modelDisplayName(ref).replace(/\.gguf$/i, "");
  return name.length > 28 ? `${name.slice(0, 27)}…` : name;
}

export class InlineStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("relay.inline", vscode.StatusBarAlignment.Right, 99);
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly student: StudentService,
    private readonly inlineModel: InlineModelService,
  ) {
    this.item.name = "Relay Inline Completions";
    this.item.command = "relay.toggleInline";
    this.subscriptions.push(
      this.item,
      onDidChangeConfig((change) => change.affects("inline") && this.render()),
      student.onDidChange(() => this.render()),
      inlineModel.onDidChange(() => this.render()),
    );
    this.render();
    this.item.show();
  }

  private render(): void {
    const s = readConfig().inline;
    const serving = this.inlineModel.serving();
    const separate = this.inlineModel.state();
    const waiting = s.enabled && !serving;
    const studentName = this.student.model ? modelDisplayName(this.student.model) : "none chosen";
    if (separate.kind === "student") {
      this.item.text = s.enabled ? "$(sparkle) inline" : "$(circle-slash) inline";
      const state = !s.enabled ? "off" : waiting ? "on, waiting for the student model (it loads with the first chat or explain, or Relay: Reload Student Model)" : `on${s.teacher ? "" : " (student only)"}`;
      this.item.tooltip = `Relay inline completions: ${state}. They come from the student (${studentName}), which also answers chat and Explain This Step. Click to toggle.`;
      this.item.accessibilityInformation = { label: `Relay inline completions ${s.enabled ? (waiting ? "on, waiting for the student model" : "on") : "off"}` };
      return;
    }
    const inlineName = modelDisplayName(separate.model);
    const where: Record<typeof separate.kind, string> = {
      ready: "loaded",
      loading: "loading",
      idle: "loads after the student (the first chat or explain, or Relay: Reload Student Model)",
      "no-room": `does not fit beside the student (${"reason" in separate ? separate.reason : ""}); the student writes ghost text instead`,
      failed: `failed to load (${"reason" in separate ? separate.reason : ""}); the student writes ghost text instead`,
    };
    const writer = separate.kind === "ready" ? shortName(separate.model) : serving ? `${shortName(this.student.model)} (student)` : "waiting";
    this.item.text = s.enabled ? `$(sparkle) inline: ${writer}` : "$(circle-slash) inline";
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Relay inline completions**: ${s.enabled ? "on" : "off"}${s.enabled && !s.teacher ? " (student only: the teacher is not asked)" : ""}\n\n`);
    md.appendMarkdown(`| job | model |\n|---|---|\n| inline completions | ${inlineName} (\`relay.inline.model\`): ${where[separate.kind]} |\n| chat, Explain This Step | ${studentName} (the student)${this.student.ifLoaded() ? "" : ", not loaded yet"} |\n\n`);
    md.appendMarkdown("Click to toggle.");
    this.item.tooltip = md;
    this.item.accessibilityInformation = {
      label: `Relay inline completions ${s.enabled ? "on" : "off"}: ${separate.kind === "ready" ? `written by ${inlineName}` : serving ? `written by the student (${studentName}); the inline model ${inlineName} ${where[separate.kind]}` : `waiting for ${inlineName}`}; chat by ${studentName}`,
    };
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
