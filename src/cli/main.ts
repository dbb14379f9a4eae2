/** The `relay` command line: ask, demo, eval, grade, bench. */
import { Command } from "commander";
import { RelayError, errorMessage } from "../core/errors.js";
import { registerAsk } from "./ask.js";
import { registerBench } from "./bench.js";
import { registerDemo } from "./demo.js";
import { registerEval } from "./eval.js";
import { registerGrade } from "./grade.js";

const program = new Command()
  .name("relay")
  .description("A small local model that asks a larger teacher for just the next few tokens when it gets stuck.")
  .showHelpAfterError();

registerDemo(program);
registerAsk(program);
registerEval(program);
registerGrade(program);
registerBench(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = error instanceof RelayError ? ` (${error.code})` : "";
  process.stderr.write(`relay: ${errorMessage(error)}${code}\n`);
  process.exitCode = 1;
}
