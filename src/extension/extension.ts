/** Extension entry point: wires the Relay services to VS Code. Kept thin; logic lives in core. */
import * as vscode from "vscode";

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel("Relay", { log: true });
  const status = vscode.window.createStatusBarItem("relay.status", vscode.StatusBarAlignment.Right, 100);
  status.name = "Relay";
  const update = () => {
    if (vscode.workspace.isTrusted) {
      status.text = "$(hubot) Relay";
      status.tooltip = "Relay: local student ready; teacher on.";
    } else {
      status.text = "$(shield) Relay: teacher off";
      status.tooltip = "Restricted Mode: the teacher is off, nothing leaves this machine.";
    }
  };
  update();
  status.command = "relay.showStatus";
  status.show();
  context.subscriptions.push(
    log,
    status,
    vscode.workspace.onDidGrantWorkspaceTrust(update),
    vscode.commands.registerCommand("relay.showLog", () => log.show()),
    vscode.commands.registerCommand("relay.showStatus", () => {
      const message = vscode.workspace.isTrusted ? "Relay: teacher on." : "Relay: Restricted Mode — the teacher is off.";
      log.info(message);
      void vscode.window.showInformationMessage(message);
    }),
  );
  log.info(`Relay activated (workspace trusted: ${vscode.workspace.isTrusted})`);
}

export function deactivate(): void {}
