/**
 * `relay budget status|reset`: the CLI's teacher-token ledger (the one `relay ask` uses), looked
 * at or started over — the same recovery the extension's "Reset Budget Period" gives. `status`
 * changes nothing (no lock, no repair); `reset` repairs a damaged ledger (keeping a copy), starts
 * the period over and says what no longer counts, spend a damaged ledger hid included.
 */
import type { Command } from "commander";
import { homedir } from "node:os";
import { join } from "node:path";
import { BudgetLedger, BUDGET_PERIODS, type BudgetConfig, type BudgetPeriod } from "../core/budget.js";
import { SETTING_DEFAULTS } from "../core/defaults.js";
import { budgetNumbers, budgetStatus, resetSummary } from "../core/budgetStatus.js";
import { FileLedgerStore } from "../io/fileLedgerStore.js";
import { choiceOption, intOption, textOption } from "./options.js";
import { printJson, printOut } from "./terminalText.js";

/** The ledger `relay ask` and `relay budget` use unless told otherwise. */
export const DEFAULT_CLI_LEDGER = join(homedir(), ".cache", "relay", "cli-ledger.jsonl");

interface BudgetOptions {
  ledger: string;
  budgetTokens?: number;
  budgetPeriod: BudgetPeriod;
  json?: boolean;
}

/** The ledger options, shared with `relay ask`. */
export function addLedgerOptions(command: Command): Command {
  return command
    .option("--budget-tokens <n>", "teacher-token budget for the period (default: no budget)", intOption("--budget-tokens", 1, 1e12))
    .option("--budget-period <period>", `budget period: ${BUDGET_PERIODS.join(", ")}`, choiceOption("--budget-period", BUDGET_PERIODS), SETTING_DEFAULTS["budget.period"])
    .option("--ledger <path>", "budget ledger file (shared by every process that uses it)", textOption("--ledger"), DEFAULT_CLI_LEDGER);
}

const configOf = (o: BudgetOptions): BudgetConfig => ({ limit: o.budgetTokens ?? 0, period: o.budgetPeriod });
const n = (x: number) => x.toLocaleString("en-US");
const row = (label: string, text: string) => `${label.padEnd(10)} ${text}\n`;

export function registerBudget(program: Command): void {
  const budget = program.command("budget").description("the teacher-token budget ledger: `status` shows it, `reset` starts the period over");

  addLedgerOptions(budget.command("status").description("what the ledger says for the period: used / limit, and any damage found (changes nothing)"))
    .option("--json", "print one JSON object")
    .action(async (options: BudgetOptions) => {
      const store = new FileLedgerStore(options.ledger);
      const s = await BudgetLedger.inspect(store, configOf(options));
      const u = s.usage;
      const unknown = s.unknown.length > 0;
      if (options.json) {
        const out = { ledger: options.ledger, period: u.period, periodKey: u.periodKey, limit: u.limit || null, used: u.used, settled: u.settled, reserved: u.reserved, calls: u.calls, remaining: u.limit > 0 ? u.remaining : null, unknownSpend: unknown, unknown: s.unknown, problems: s.problems };
        printJson(out);
        return;
      }
      const status = budgetStatus(u);
      let out = row("ledger", options.ledger);
      out += row("period", `${u.period} (${u.periodKey})`);
      const recorded = `${n(u.settled)} settled, ${n(u.reserved)} in flight, ${n(u.calls)} ${u.calls === 1 ? "call" : "calls"}`;
      if (unknown) {
        out += row("used", `spend unknown${u.limit > 0 ? ` / ${n(u.limit)} tokens` : ""}: the ledger was damaged; recorded: ${recorded}`);
        if (u.limit > 0) out += row("", `the teacher is refused this ${u.period} until \`relay budget reset\``);
      } else {
        out += row("used", `${budgetNumbers(status)}; ${recorded}`);
        if (u.limit > 0) out += row("left", `${n(u.remaining)} tokens`);
      }
      // Damage not repaired yet is listed once (it is also why the spend is unknown).
      const damage = [...s.unknown.filter((note) => !s.problems.includes(note)).map((note) => `spend unknown: ${note}`), ...s.problems];
      if (damage.length === 0) out += row("damage", "none");
      for (const [i, d] of damage.entries()) out += row(i === 0 ? "damage" : "", d);
      printOut(out);
    });

  addLedgerOptions(budget.command("reset").description("start the period over at 0 (repairs a damaged ledger first, keeping a copy) and say what no longer counts"))
    .option("--json", "print one JSON object")
    .action(async (options: BudgetOptions) => {
      const ledger = await BudgetLedger.open(new FileLedgerStore(options.ledger), configOf(options));
      const report = await ledger.reset();
      if (options.json) {
        printJson({ ledger: options.ledger, ...report, problems: ledger.problems, keptAt: ledger.keptAt ?? null });
        return;
      }
      let out = row("reset", `${report.period} (${report.periodKey}) of ${options.ledger} starts over at 0`);
      out += row("dropped", resetSummary(report));
      // The repair's own "refused until you reset" no longer holds: the reset was just made.
      const repaired = ledger.problems.filter((p) => !/^spend before the damage is unknown/.test(p));
      for (const [i, p] of repaired.entries()) out += row(i === 0 ? "repaired" : "", p);
      printOut(out);
    });
}
