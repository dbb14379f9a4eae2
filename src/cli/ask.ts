/** `relay ask`: one question, streamed to the terminal (or one JSON object with --json). */
import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import { BudgetLedger, type BudgetPeriod } from "../core/budget.js";
import { FileLedgerStore } from "../io/fileLedgerStore.js";
import { FileTeacherLog } from "../io/fileTeacherLog.js";
import { runRelay } from "../core/controller.js";
import { RelayError, errorMessage } from "../core/errors.js";
import { mathPrompt } from "../core/prompts.js";
import { addLedgerOptions } from "./budget.js";
import { textOption } from "./options.js";
import { stderrLogger } from "./logger.js";
import { formatStats, streamToTerminal, toJson } from "./render.js";
import { addModelOptions, checkPolicyOptions, limitsFrom, loadStudent, loadTeacher, policyFrom, policySetup, type ModelOptions } from "./setup.js";
import { printErr, printJson } from "./terminalText.js";

interface AskOptions extends ModelOptions {
  json?: boolean;
  promptFile?: string;
  budgetTokens?: number;
  budgetPeriod: BudgetPeriod;
  ledger: string;
  teacherLog?: string;
  math?: boolean;
  system?: string;
  verbose?: boolean;
}

export function registerAsk(program: Command): void {
  const ask = program
    .command("ask")
    .description("answer one question with the relay, streaming the text (teacher spans coloured)")
    .argument("[question]", 'the question; "-" reads it from standard input')
    .option("--prompt-file <path>", "read the question from a file", textOption("--prompt-file"))
    .option("--json", "print one JSON object {text, spans, stats} instead of streaming")
    .option("--math", "end the question with the step-by-step \\boxed{} instruction")
    .option("--system <text>", "a system prompt", textOption("--system"));
  addModelOptions(
    addLedgerOptions(ask)
      .option("--teacher-log <path>", "append every teacher request and reply to this JSON-lines file", textOption("--teacher-log"))
      .option("-v, --verbose", "log model loading and teacher calls to stderr"),
  ).action(async (argument: string | undefined, options: AskOptions) => {
    const logger = stderrLogger(Boolean(options.verbose));
    checkPolicyOptions([options.policy], options.threshold);
    const question = await readQuestion(argument, options.promptFile);
    // The ledger first: a budget that cannot be kept is an error before anything is loaded.
    const budget = options.budgetTokens ? await BudgetLedger.open(new FileLedgerStore(options.ledger), { limit: options.budgetTokens, period: options.budgetPeriod }) : undefined;
    for (const p of budget?.problems ?? []) logger.warn(`budget ledger: ${p}`);
    if (budget?.usage().unknownSpend) logger.warn(`budget ledger: the teacher is refused this ${options.budgetPeriod}: its spend is unknown (the ledger was damaged). \`relay budget status\` shows why; \`relay budget reset\` starts the period over.`);
    const student = await loadStudent(options, logger);
    const teacher = await loadTeacher(options, logger, options.teacherLog ? new FileTeacherLog(options.teacherLog) : undefined);
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once("SIGINT", onSigint);
    try {
      const task = options.math ? mathPrompt(question, options.system) : { system: options.system, user: question };
      const result = await runRelay({
        task,
        student,
        teacher,
        policy: policyFrom(await policySetup(options, student, logger)),
        budget,
        limits: limitsFrom(options),
        signal: controller.signal,
        logger,
        temperature: options.temperature,
        seed: options.seed,
        onEvent: options.json ? undefined : streamToTerminal(),
      });
      if (options.json) printJson(toJson(result));
      else printErr(`\n\n${formatStats(result.stats)}\n`);
      if (budget && !options.json) {
        const u = budget.usage();
        printErr(`budget       ${u.unknownSpend ? "spend unknown (a damaged ledger: `relay budget status`)" : u.used} / ${u.limit} teacher tokens this ${u.period} (${u.periodKey})\n`);
      }
      await result.released;
    } finally {
      process.off("SIGINT", onSigint);
      await teacher?.dispose();
      await student.dispose();
    }
  });
}

/** The question from the argument, standard input (`-`) or a file; empty is refused. */
async function readQuestion(argument: string | undefined, promptFile: string | undefined): Promise<string> {
  if (argument !== undefined && promptFile !== undefined) throw new RelayError("invalid-argument", "Give the question as an argument or with --prompt-file, not both.");
  let text: string;
  if (promptFile !== undefined) {
    try {
      text = await readFile(promptFile, "utf8");
    } catch (error) {
      throw new RelayError("invalid-argument", `Cannot read --prompt-file ${promptFile}: ${errorMessage(error)}`, { cause: error });
    }
  } else if (argument === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString("utf8");
  } else if (argument !== undefined) text = argument;
  else throw new RelayError("invalid-argument", 'No question: give it as an argument, "-" to read standard input, or --prompt-file.');
  if (text.trim() === "") throw new RelayError("invalid-argument", "The question is empty.");
  return text;
}
