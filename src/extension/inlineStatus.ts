/**
 * A status bar item showing whether Relay's inline completions are on (click to toggle), and
 * whether they wait for the student model: inline completions never load it themselves.
 */
import * as vscode from "vscode";
import { readConfig } from "./config.js";
import type { StudentService } from "./studentService.js";

export class InlineStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("relay.inline", vscode.StatusBarAlignment.Right, 99);
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly student: StudentService) {
    this.item.name = "Relay Inline Completions";
    this.item.command = "relay.toggleInline";
    this.subscriptions.push(
      this.item,
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration("relay.inline") && this.render()),
      student.onDidChange(() => this.render()),
    );
    this.render();
    this.item.show();
  }

  private render(): void {
    const s = readConfig().inline;
    const waiting = s.enabled && !this.student.ifLoaded();
    this.item.text = s.enabled ? "$(sparkle) inline" : "$(circle-slash) inline";
    const state = !s.enabled ? "off" : waiting ? "on, waiting for the student model (it loads with the first chat or explain, or Relay: Reload Student Model)" : `on${s.teacher ? "" : " (student only)"}`;
    this.item.tooltip = `Relay inline completions: ${state}. Click to toggle.`;
    this.item.accessibilityInformation = { label: `Relay inline completions ${s.enabled ? (waiting ? "on, waiting for the student model" : "on") : "off"}` };
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
