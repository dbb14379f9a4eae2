/**
 * This workspace's teacher-token budget: the durable ledger, the status bar item and its
 * actions. The item shows the teacher's state when it is not on (each state its own text), else
 * used / limit with a warning background near the limit and an error background when spent;
 * "spent" comes from one place (core/budgetStatus.ts) for the item, its tooltip, the
 * notification and the chat, so they always agree.
 */
import { createHash } from "node:crypto";
import * as vscode from "vscode";
import { BudgetLedger, type BudgetConfig, type BudgetUsage } from "../core/budget.js";
import type { BudgetGate, Reservation } from "../core/budgetGate.js";
import { RelayError, errorMessage } from "../core/errors.js";
import { budgetFigure, budgetNumbers, budgetStatus, resetSummary, spentSentence, type BudgetRefusal, type BudgetStatus } from "../core/budgetStatus.js";
import type { Logger } from "../core/logger.js";
import { FileLedgerStore } from "../io/fileLedgerStore.js";
import { onDidChangeConfig, readConfig } from "./config.js";
import type { RoutingService } from "./routingService.js";
import type { TeacherService } from "./teacherService.js";

const WORKSPACE_LIMIT_KEY = "relay.budget.workspaceLimit";

export function formatTokens(n: number): string {
  if (!Number.isFinite(n)) return "∞";
  if (n < 10_000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1e6).toFixed(1)}M`;
}

export class BudgetService implements vscode.Disposable, BudgetGate {
  private ledger: BudgetLedger | undefined;
  /** Why the ledger cannot be used (unwritable): the teacher is refused until it can. */
  private ledgerError: string | undefined;
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];
  private notifiedPeriod: string | undefined;
  /** The last refused reservation: the budget counts as spent from it until more room is made. */
  private refusal: BudgetRefusal | undefined;
  readonly ledgerPath: string;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly teacher: TeacherService,
    private readonly routing: RoutingService,
    private readonly log: Logger,
  ) {
    const scope = vscode.workspace.workspaceFile?.toString() ?? vscode.workspace.workspaceFolders?.[0]?.uri.toString() ?? "no-workspace";
    const id = createHash("sha256").update(scope).digest("hex").slice(0, 16);
    this.ledgerPath = vscode.Uri.joinPath(context.globalStorageUri, "ledgers", `${id}.jsonl`).fsPath;
    this.item = vscode.window.createStatusBarItem("relay.budget", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "Relay Budget";
    this.item.command = "relay.budgetActions";
    this.subscriptions.push(
      this.item,
      onDidChangeConfig((change) => {
        if (change.affects("budget")) this.ledger?.setConfig(this.config());
        this.render();
      }),
      teacher.onDidChange(() => this.render()),
      routing.onDidChange(() => this.render()),
    );
  }

  async init(): Promise<void> {
    this.item.show();
    try {
      this.ledger = await BudgetLedger.open(new FileLedgerStore(this.ledgerPath), this.config());
    } catch (error) {
      // No ledger, no spend: every teacher call is refused with this reason, and the user told.
      this.ledgerError = errorMessage(error);
      this.log.error(`budget: ${this.ledgerError}`);
      void vscode.window.showErrorMessage(`Relay: ${this.ledgerError} The teacher is off until the ledger can be written.`, "Show Log").then((c) => c && vscode.commands.executeCommand("relay.showLog"));
      this.render();
      return;
    }
    const ledger = this.ledger;
    for (const p of ledger.problems) this.log.warn(`budget ledger: ${p}`);
    if (ledger.keptAt) {
      void vscode.window
        .showWarningMessage(`Relay: the budget ledger was damaged; a copy is kept at ${ledger.keptAt}.${ledger.usage().unknownSpend ? " Its spend is unknown, so the teacher is refused this period until you reset it." : ""}`, "Show Log", "Reset Budget Period")
        .then((c) => c && vscode.commands.executeCommand(c === "Show Log" ? "relay.showLog" : "relay.resetBudgetPeriod"));
    }
    ledger.onChange(() => this.render());
    this.render();
  }

  private get open(): BudgetLedger {
    if (!this.ledger) throw new RelayError("budget-ledger-unwritable", this.ledgerError ?? "The budget ledger is not open.");
    return this.ledger;
  }

  private config(): BudgetConfig {
    const { limit, period } = readConfig().budget;
    const own = this.context.workspaceState.get<number>(WORKSPACE_LIMIT_KEY);
    return { limit: own ?? limit, period };
  }

  usage(): BudgetUsage {
    return this.ledger?.usage() ?? { period: this.config().period, periodKey: "-", limit: this.config().limit, settled: 0, reserved: 0, used: 0, remaining: 0, calls: 0, unknownSpend: false };
  }

  /** The budget's one status (see core/budgetStatus.ts). */
  status(): BudgetStatus {
    return budgetStatus(this.usage(), this.refusal);
  }

  async reserve(promptTokens: number, spanTokens: number, options?: { promptOverhead?: number }): Promise<Reservation | null> {
    const reservation = await this.open.reserve(promptTokens, spanTokens, options);
    if (!reservation) {
      const u = this.open.usage();
      this.refusal = { periodKey: u.periodKey, limit: u.limit, remaining: u.remaining };
      this.render();
      this.notifyExhausted();
    }
    return reservation;
  }

  /** One notification per period when the teacher is refused; the student carries on. */
  private notifyExhausted(): void {
    const status = this.status();
    if (this.notifiedPeriod === status.periodKey) return;
    this.notifiedPeriod = status.periodKey;
    const sentence = spentSentence(status);
    this.log.warn(`${sentence} (${status.periodKey})`);
    void vscode.window
      .showWarningMessage(`Relay: ${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}. The student carries on alone.`, "Set Budget…", "Show Budget Actions")
      .then((choice) => choice && vscode.commands.executeCommand(choice === "Set Budget…" ? "relay.setWorkspaceBudget" : "relay.budgetActions"));
  }

  render(): void {
    const u = this.usage();
    const s = this.status();
    const teacher = this.teacher.state();
    const limited = s.level !== "unlimited";
    const numbers = budgetFigure(s, formatTokens);
    const off: Record<Exclude<typeof teacher.kind, "on">, { text: string; label: string }> = {
      restricted: { text: "$(shield) Relay: teacher off", label: "Relay: teacher off (Restricted Mode)" },
      paused: { text: "$(debug-pause) Relay: teacher paused", label: "Relay: teacher paused for this workspace" },
      "not-configured": { text: "$(circle-slash) Relay: teacher not configured", label: "Relay: teacher not configured" },
      "student-only": { text: "$(person) Relay: student only", label: "Relay: student only (no teacher)" },
    };
    const unreachable = this.teacher.unreachable();
    const shown = this.ledgerError
      ? { text: "$(error) Relay: teacher off", label: "Relay: teacher off (the budget ledger cannot be written)" }
      : teacher.kind !== "on"
        ? off[teacher.kind]
        : unreachable
          ? // The budget stays in sight while the teacher is down.
            { text: `$(warning) Relay: teacher unreachable · ${numbers}`, label: `Relay: teacher unreachable at ${unreachable.url} (${unreachable.error}); ${this.budgetLabel(u, s, limited)}` }
          : undefined;
    this.item.text = shown ? shown.text : `$(hubot) Relay ${numbers}`;
    this.item.backgroundColor = unreachable
      ? new vscode.ThemeColor("statusBarItem.warningBackground")
      : shown
        ? undefined
      : s.level === "spent"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : s.level === "near"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**Relay** — ${this.teacher.describe()}\n\n`);
    if (unreachable) tip.appendMarkdown(`Teacher unreachable at ${unreachable.url} (${unreachable.error}); the student carries on alone. ${unreachable.checked ? "Relay checks the server in the background (a free request, never charged) and clears this when it answers." : "It is tried again with a question after a cool-down."}\n\n`);
    if (this.ledgerError) tip.appendMarkdown(`${this.ledgerError}\n\n`);
    if (s.level === "spent") tip.appendMarkdown(`**${spentSentence(s).replace(/^t/, "T")}.** The student carries on alone.\n\n`);
    tip.appendMarkdown(`| | tokens |\n|---|---:|\n`);
    tip.appendMarkdown(`| used this ${u.period} (${u.periodKey}) | ${s.unknownSpend ? "unknown (the ledger was damaged)" : u.used} |\n`);
    tip.appendMarkdown(`| settled | ${u.settled} |\n| in flight | ${u.reserved} |\n`);
    tip.appendMarkdown(`| limit | ${limited ? u.limit : "none"} |\n| remaining | ${limited ? u.remaining : "∞"} |\n| teacher calls | ${u.calls} |\n\n`);
    const share = this.routing.describe();
    if (share) tip.appendMarkdown(`${share}\n\n`);
    tip.appendMarkdown(`Click for actions.`);
    this.item.tooltip = tip;
    this.item.accessibilityInformation = { label: shown ? shown.label : `Relay teacher ${this.budgetLabel(u, s, limited)}` };
  }

  /** "budget: 229 of 100000 tokens used this month" (and its state). */
  private budgetLabel(u: BudgetUsage, s: BudgetStatus, limited: boolean): string {
    return `budget: ${s.unknownSpend ? "spend unknown" : u.used} of ${limited ? u.limit : "unlimited"} tokens used this ${u.period}${s.unknownSpend ? ", refused until the period is reset" : s.level === "spent" ? ", spent" : s.level === "near" ? ", near the limit" : ""}`;
  }

  async setWorkspaceBudget(): Promise<void> {
    const current = this.config().limit;
    const value = await vscode.window.showInputBox({
      title: "Relay: this workspace's teacher budget",
      prompt: `Teacher tokens per ${this.config().period} for this workspace (0 = no limit). Empty: use the user setting.`,
      value: String(current),
      validateInput: (v) => (v.trim() === "" || /^\d+$/.test(v.trim()) ? undefined : "A whole number of tokens"),
    });
    if (value === undefined) return;
    await this.context.workspaceState.update(WORKSPACE_LIMIT_KEY, value.trim() === "" ? undefined : Number(value.trim()));
    this.ledger?.setConfig(this.config());
    this.notifiedPeriod = undefined;
    this.render();
  }

  async resetPeriod(): Promise<void> {
    const answer = await vscode.window.showWarningMessage("Relay: start this budget period over at 0 tokens?", { modal: true }, "Reset");
    if (answer !== "Reset") return;
    const dropped = await this.open.reset();
    this.notifiedPeriod = undefined;
    // What the reset dropped, said once (the log keeps it): spend that counted, or was unknown.
    const summary = resetSummary(dropped);
    this.log.info(`budget period reset: ${summary}`);
    void vscode.window.showInformationMessage(`Relay: the budget period starts over at 0. ${summary.charAt(0).toUpperCase()}${summary.slice(1)}`);
  }

  async showActions(): Promise<void> {
    const paused = this.teacher.paused;
    const items: Array<vscode.QuickPickItem & { command: string }> = [
      { label: "$(comment-discussion) Open Chat", command: "relay.openChat" },
      { label: "$(symbol-number) Set This Workspace's Budget…", description: `${this.config().limit || "no limit"} per ${this.config().period}`, command: "relay.setWorkspaceBudget" },
      { label: "$(debug-restart) Reset Budget Period", command: "relay.resetBudgetPeriod" },
      { label: paused ? "$(play) Resume Teacher" : "$(debug-pause) Pause Teacher", command: "relay.toggleTeacher" },
      { label: "$(plug) Configure Teacher…", description: this.teacher.label(), command: "relay.configureTeacher" },
      { label: "$(beaker) Test Teacher", description: "reachable? model listed? each request style, with its latency", command: "relay.testTeacher" },
      { label: "$(key) Set API Key…", command: "relay.setTeacherApiKey" },
      { label: "$(output) Show Teacher Requests", command: "relay.showTeacherLog" },
      { label: "$(list-flat) Show Log", command: "relay.showLog" },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: "Relay", placeHolder: `${this.teacher.describe()} · ${budgetNumbers(this.status())}` });
    if (pick) await vscode.commands.executeCommand(pick.command);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
