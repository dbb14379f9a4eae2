/**
 * `relay grade`: grade JSON lines `{"response", "gold"}` from a file or stdin; prints one JSON
 * line `{"correct", "extracted"}` per input line (with "error" for a line that could not be
 * graded, which is also reported on stderr; the exit code is then 1).
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { RelayError } from "../core/errors.js";
import { GRADER_NAMES, type GraderName } from "../eval/grader.js";
import { choiceOption, intOption } from "./options.js";
import { printErr, printJson } from "./terminalText.js";

interface GradeCliOptions {
  grader: GraderName;
  workers?: number;
}


export function registerGrade(program: Command): void {
  program
    .command("grade")
    .description('grade JSON lines {"response", "gold"} (a file, or stdin): one {"correct", "extracted"} line per input line')
    .argument("[file]", "a JSONL file (default: stdin)")
    .option("--grader <name>", `${GRADER_NAMES.join(" or ")}: builtin is TypeScript (no Python); math-verify is the paper's grader, in a private Python environment`, choiceOption("--grader", GRADER_NAMES), "builtin")
    .option("--workers <n>", "math-verify: helper processes at once (default: the CPUs available, at most 4)", intOption("--workers", 1, 64))
    .action(async (file: string | undefined, options: GradeCliOptions) => {
      process.exitCode = await runGrade(file, options);
    });
}

async function runGrade(file: string | undefined, options: GradeCliOptions): Promise<number> {
  const text = file === undefined || file === "-" ? await readStdin() : await readInput(file);
  // Loaded on use: the built-in grader's math engine is large.
  const { gradeLines } = await import("../eval/gradeLines.js");
  const { createGrader } = await import("../eval/createGrader.js");
  const verdicts = await gradeLines(text, createGrader(options.grader, { workers: options.workers }));
  let failed = 0;
  for (const { correct, extracted, error } of verdicts) {
    printJson(error === undefined ? { correct, extracted } : { correct, extracted, error });
    if (error !== undefined) {
      failed++;
      printErr(`relay grade: ${error}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new RelayError("invalid-argument", `Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

async function readStdin(): Promise<string> {
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}
