/** The `relay` command line: ask, demo, eval, grade, bench, router, calibrate, budget, model. */
import { Command, CommanderError } from "commander";
import { RelayError, errorMessage } from "../core/errors.js";
import { registerAsk } from "./ask.js";
import { registerBench } from "./bench.js";
import { registerBudget } from "./budget.js";
import { registerCalibrate } from "./calibrate.js";
import { registerDemo } from "./demo.js";
import { registerEval } from "./eval.js";
import { registerGrade } from "./grade.js";
import { registerModel } from "./model.js";
import { registerRouter } from "./router.js";
import { printErr, printOut } from "./terminalText.js";

const program = new Command()
  .name("relay")
  .description("A small local model that asks a larger teacher for just the next few tokens when it gets stuck.")
  .showHelpAfterError()
  // Commander echoes what it was given (an unknown option, a bad value): the same safe path.
  .configureOutput({ writeOut: printOut, writeErr: printErr })
  // Usage errors of commander itself go through the same error model as ours (exit 2).
  .exitOverride();

registerDemo(program);
registerAsk(program);
registerEval(program);
registerGrade(program);
registerBench(program);
registerRouter(program);
registerCalibrate(program);
registerBudget(program);
registerModel(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeOf(error);
  if (!(error instanceof CommanderError)) {
    const code = error instanceof RelayError ? ` (${error.code})` : "";
    printErr(`relay: ${errorMessage(error)}${code}\n`);
  }
}

/** 2: the command line or its input was wrong (nothing ran); 1: something failed while running. */
function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof RelayError && (error.code === "invalid-argument" || error.code === "prompt-too-long")) return 2;
  return 1;
}
