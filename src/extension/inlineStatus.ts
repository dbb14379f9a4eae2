/** A status bar item showing whether Relay's inline completions are on; click to toggle. */
import * as vscode from "vscode";
import { readConfig } from "./config.js";

export class InlineStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("relay.inline", vscode.StatusBarAlignment.Right, 99);
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.item.name = "Relay Inline Completions";
    this.item.command = "relay.toggleInline";
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration("relay.inline") && this.render());
    this.render();
    this.item.show();
  }

  private render(): void {
    const s = readConfig().inline;
    this.item.text = s.enabled ? "$(sparkle) inline" : "$(circle-slash) inline";
    this.item.tooltip = `Relay inline completions: ${s.enabled ? "on" : "off"}${s.enabled && !s.teacher ? " (student only)" : ""}. Click to toggle.`;
    this.item.accessibilityInformation = { label: `Relay inline completions ${s.enabled ? "on" : "off"}` };
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
