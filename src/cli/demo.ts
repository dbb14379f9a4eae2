/**
 * `relay demo`: generates the scripted student/teacher GGUF pair on the spot and runs a real
 * relay through node-llama-cpp on it — student text, teacher spans, the stats. Works offline.
 * `relay demo --real`: the same with the real small models of scripts/real-models.sh
 * (SmolLM2-135M student, Qwen2.5-Coder-0.5B teacher) under the product's default policy.
 */
import { InvalidArgumentError, type Command } from "commander";
import chalk from "chalk";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { runRelay } from "../core/controller.js";
import { createPolicy } from "../core/policies.js";
import { mathPrompt } from "../core/prompts.js";
import { readRealModels } from "../io/realModels.js";
import { DEMO_QUESTION, writeScriptedPair } from "../demo/scriptedPair.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { LocalTeacher } from "../teacher/localTeacher.js";
import { stderrLogger } from "./logger.js";
import { formatStats, streamToTerminal, toJson } from "./render.js";
import { printJson, printStyled, terminalSafe } from "./terminalText.js";

interface DemoOptions {
  dir: string;
  json?: boolean;
  real?: boolean;
  threads?: number;
  maxTokens: number;
  verbose?: boolean;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number ≥ 1");
  return n;
}

/** The real pair's question: GSM8K's second test item, short enough for a quick demo on a CPU. */
export const REAL_DEMO_QUESTION = "A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it take?";

async function realDemo(options: DemoOptions, logger: ReturnType<typeof stderrLogger>): Promise<void> {
  // Fails with a clear message naming scripts/real-models.sh when the models are not installed.
  const models = readRealModels();
  const threads = options.threads;
  const student = await LlamaStudent.load({ model: models.smollm2, gpu: "cpu", threads, contextSize: 1024, sequences: 1, logger });
  const teacher = await LocalTeacher.load({ model: models.qwenCoder, gpu: "cpu", threads, contextSize: 1024, logger });
  try {
    const task = mathPrompt(REAL_DEMO_QUESTION);
    if (!options.json) {
      printStyled("stderr", chalk.dim(terminalSafe(`student ${models.smollm2}\nteacher ${models.qwenCoder} (its own chat format: ${teacher.chatTemplate})\n\n`)));
      printStyled("stdout", chalk.bold(`Q: ${REAL_DEMO_QUESTION}\n`));
    }
    const result = await runRelay({
      task,
      student,
      teacher,
      // The product's default: learned calls, and the confidence fallback for a model (like this one) that never writes them.
      policy: createPolicy("auto"),
      limits: { maxTokens: options.maxTokens, maxSpanTokens: 32 },
      logger,
      onEvent: options.json ? undefined : streamToTerminal(),
    });
    if (options.json) printJson(toJson(result));
    else printStyled("stderr", `\n\n${terminalSafe(formatStats(result.stats))}\n${chalk.dim("(teacher text in cyan; real but tiny models: expect wrong answers — the point is the relay)")}\n`);
    await result.released;
  } finally {
    await teacher.dispose();
    await student.dispose();
  }
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("generate a tiny scripted student/teacher pair and show a real relay on it (offline)")
    .option("--dir <path>", "where to write the two demo models", join(tmpdir(), "relay-demo"))
    .option("--json", "print one JSON object {text, spans, stats}")
    .option("--real", "the real small models of scripts/real-models.sh instead (SmolLM2-135M student, Qwen2.5-Coder-0.5B teacher)")
    .option("--threads <n>", "CPU threads (--real; default: adapted per answer, up to the math cores available)", positive)
    .option("--max-tokens <n>", "generated tokens at most (--real)", positive, 160)
    .option("-v, --verbose", "log model loading to stderr")
    .action(async (options: DemoOptions) => {
      const logger = stderrLogger(Boolean(options.verbose));
      if (options.real) {
        await realDemo(options, logger);
        return;
      }
      mkdirSync(options.dir, { recursive: true });
      const studentPath = join(options.dir, "scripted-student.gguf");
      const teacherPath = join(options.dir, "scripted-teacher.gguf");
      writeScriptedPair(studentPath, teacherPath);
      const student = await LlamaStudent.load({ model: studentPath, gpu: "cpu", contextSize: 512, sequences: 1, logger });
      const teacher = await LocalTeacher.load({ model: teacherPath, gpu: "cpu", contextSize: 512, logger });
      try {
        if (!options.json) {
          printStyled("stderr", chalk.dim(terminalSafe(`student ${studentPath}\nteacher ${teacherPath}\n\n`)));
          printStyled("stdout", chalk.bold(`Q: ${DEMO_QUESTION}\n`));
        }
        const result = await runRelay({
          task: { user: DEMO_QUESTION },
          student,
          teacher,
          policy: createPolicy("learned"),
          logger,
          onEvent: options.json ? undefined : streamToTerminal(),
        });
        if (options.json) printJson(toJson(result));
        else printStyled("stderr", `\n\n${terminalSafe(formatStats(result.stats))}\n${chalk.dim("(teacher text in cyan; the models are scripted, so the answer is the same every run)")}\n`);
        await result.released;
      } finally {
        await teacher.dispose();
        await student.dispose();
      }
    });
}
