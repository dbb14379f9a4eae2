/**
 * `relay demo`: generates the scripted student/teacher GGUF pair on the spot and runs a real
 * relay through node-llama-cpp on it — student text, teacher spans, the stats. Works offline.
 */
import type { Command } from "commander";
import chalk from "chalk";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { runRelay } from "../core/controller.js";
import { createPolicy } from "../core/policies.js";
import { DEMO_QUESTION, writeScriptedPair } from "../demo/scriptedPair.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { LocalTeacher } from "../teacher/localTeacher.js";
import { stderrLogger } from "./logger.js";
import { formatStats, streamToTerminal, toJson } from "./render.js";

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("generate a tiny scripted student/teacher pair and show a real relay on it (offline)")
    .option("--dir <path>", "where to write the two demo models", join(tmpdir(), "relay-demo"))
    .option("--json", "print one JSON object {text, spans, stats}")
    .option("-v, --verbose", "log model loading to stderr")
    .action(async (options: { dir: string; json?: boolean; verbose?: boolean }) => {
      const logger = stderrLogger(Boolean(options.verbose));
      mkdirSync(options.dir, { recursive: true });
      const studentPath = join(options.dir, "scripted-student.gguf");
      const teacherPath = join(options.dir, "scripted-teacher.gguf");
      writeScriptedPair(studentPath, teacherPath);
      const student = await LlamaStudent.load({ model: studentPath, gpu: "cpu", contextSize: 512, sequences: 1, logger });
      const teacher = await LocalTeacher.load({ model: teacherPath, gpu: "cpu", contextSize: 512, logger });
      try {
        if (!options.json) {
          process.stderr.write(chalk.dim(`student ${studentPath}\nteacher ${teacherPath}\n\n`));
          process.stdout.write(chalk.bold(`Q: ${DEMO_QUESTION}\n`));
        }
        const result = await runRelay({
          task: { user: DEMO_QUESTION },
          student,
          teacher,
          policy: createPolicy("learned"),
          logger,
          onEvent: options.json ? undefined : streamToTerminal(process.stdout, process.stderr),
        });
        if (options.json) process.stdout.write(JSON.stringify(toJson(result)) + "\n");
        else process.stderr.write(`\n\n${formatStats(result.stats)}\n${chalk.dim("(teacher text in cyan; the models are scripted, so the answer is the same every run)")}\n`);
        await result.released;
      } finally {
        await teacher.dispose();
        await student.dispose();
      }
    });
}
