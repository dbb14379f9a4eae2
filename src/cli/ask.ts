/** `relay ask`: one question, streamed to the terminal (or one JSON object with --json). */
import type { Command } from "commander";
import { runRelay } from "../core/controller.js";
import { mathPrompt } from "../core/prompts.js";
import { stderrLogger } from "./logger.js";
import { formatStats, streamToTerminal, toJson } from "./render.js";
import { addModelOptions, limitsFrom, loadStudent, loadTeacher, policyFrom, type ModelOptions } from "./setup.js";

interface AskOptions extends ModelOptions {
  json?: boolean;
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
      .option("-v, --verbose", "log model loading and teacher calls to stderr"),
  ).action(async (question: string, options: AskOptions) => {
    const logger = stderrLogger(Boolean(options.verbose));
    const student = await loadStudent(options, logger);
    const teacher = await loadTeacher(options, logger);
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
        limits: limitsFrom(options),
        signal: controller.signal,
        logger,
        temperature: options.temperature,
        seed: options.seed,
        onEvent: options.json ? undefined : streamToTerminal(process.stdout, process.stderr),
      });
      if (options.json) process.stdout.write(JSON.stringify(toJson(result)) + "\n");
      else process.stderr.write(`\n\n${formatStats(result.stats)}\n`);
      await result.released;
    } finally {
      process.off("SIGINT", onSigint);
      await teacher?.dispose();
      await student.dispose();
    }
  });
}
