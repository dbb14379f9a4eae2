/** `relay ask`: one question, streamed to the terminal (or one JSON object with --json). */
import { Option, type Command } from "commander";
import { homedir } from "node:os";
import { join } from "node:path";
import { BudgetLedger, BUDGET_PERIODS, type BudgetPeriod } from "../core/budget.js";
import { FileLedgerStore } from "../io/fileLedgerStore.js";
import { FileTeacherLog } from "../io/fileTeacherLog.js";
import { runRelay } from "../core/controller.js";
import { mathPrompt } from "../core/prompts.js";
import { stderrLogger } from "./logger.js";
import { formatStats, streamToTerminal, toJson } from "./render.js";
import { addModelOptions, limitsFrom, loadStudent, loadTeacher, policyFrom, type ModelOptions } from "./setup.js";

interface AskOptions extends ModelOptions {
  json?: boolean;
  budgetTokens?: number;
  budgetPeriod: BudgetPeriod;
  ledger: string;
  teacherLog?: string;
  math?: boolean;
  system?: string;
  verbose?: boolean;
}

export function registerAsk(program: Command): void {
  addModelOptions(
    program
      .command("ask")
      .description("answer one question with the relay, streaming the text (teacher spans coloured)")
      .argument("<question>", "the question")
      .option("--json", "print one JSON object {text, spans, stats} instead of streaming")
      .option("--math", "end the question with the step-by-step \\boxed{} instruction")
      .option("--system <text>", "a system prompt")
      .option("--budget-tokens <n>", "teacher-token budget for the period (default: no budget)", (v) => Number.parseInt(v, 10))
      .addOption(new Option("--budget-period <period>", "budget period").choices([...BUDGET_PERIODS]).default("month"))
      .option("--ledger <path>", "budget ledger file", join(homedir(), ".cache", "relay", "cli-ledger.jsonl"))
      .option("--teacher-log <path>", "append every teacher request and reply to this JSON-lines file")
      .option("-v, --verbose", "log model loading and teacher calls to stderr"),
  ).action(async (question: string, options: AskOptions) => {
    const logger = stderrLogger(Boolean(options.verbose));
    const student = await loadStudent(options, logger);
    const teacher = await loadTeacher(options, logger, options.teacherLog ? new FileTeacherLog(options.teacherLog) : undefined);
    const budget = options.budgetTokens
      ? await BudgetLedger.open(new FileLedgerStore(options.ledger), { limit: options.budgetTokens, period: options.budgetPeriod })
      : undefined;
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once("SIGINT", onSigint);
    try {
      const task = options.math ? mathPrompt(question, options.system) : { system: options.system, user: question };
      const result = await runRelay({
        task,
        student,
        teacher,
        policy: policyFrom(options),
        budget,
        limits: limitsFrom(options),
        signal: controller.signal,
        logger,
        temperature: options.temperature,
        seed: options.seed,
        onEvent: options.json ? undefined : streamToTerminal(process.stdout, process.stderr),
      });
      if (options.json) process.stdout.write(JSON.stringify(toJson(result)) + "\n");
      else process.stderr.write(`\n\n${formatStats(result.stats)}\n`);
      if (budget && !options.json) {
        const u = budget.usage();
        process.stderr.write(`budget       ${u.used} / ${u.limit} teacher tokens this ${u.period} (${u.periodKey})\n`);
      }
      await result.released;
    } finally {
      process.off("SIGINT", onSigint);
      await teacher?.dispose();
      await student.dispose();
    }
  });
}
