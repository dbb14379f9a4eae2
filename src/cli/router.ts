/** `relay router collect|train`: a learned token router for an off-the-shelf student and a teacher. */
import type { Command } from "commander";
import { RelayError } from "../core/errors.js";
import { GPU_SETTINGS, type GpuSetting } from "../llama/llama.js";
import type { TrainOptions } from "../router/train.js";
import { PROMPT_TEMPLATES, type PromptTemplateName } from "../llama/chatFormat.js";
import { TEACHER_API_STYLES, type TeacherApiStyle } from "../teacher/openaiTeacher.js";
import { choiceOption, envNameOption, intOption, listOption, textOption, urlOption } from "./options.js";

export interface CollectCommandOptions {
  student: string;
  teacherGguf?: string;
  teacherUrl?: string;
  teacherModel?: string;
  teacherApi: TeacherApiStyle;
  teacherKeyEnv: string;
  teacherTemplate?: PromptTemplateName;
  out: string;
  count: number;
  families: string[];
  seed: number;
  shard?: string;
  rollouts: number;
  rolloutSpan: number;
  maxTokens: number;
  gpu: GpuSetting;
  threads?: number;
  contextSize: number;
  progress: boolean;
  verbose?: boolean;
}

export type TrainCommandOptions = Omit<TrainOptions, "python"> & { json?: boolean };

const FAMILIES = ["arith", "words"] as const;

export function registerRouter(program: Command): void {
  const router = program.command("router").description("train a token router for your student/teacher pair: collect, then train");
  router
    .command("collect")
    .description("answer generated train problems with the student alone, label each token with the teacher's own next-token prediction, and roll out a call where the teacher disagrees most strongly in wrong answers; JSON lines, resumable")
    .requiredOption("--student <model>", "the student GGUF", textOption("--student"))
    .option("--teacher-gguf <path>", "a local GGUF teacher: its next token and probabilities at every position come from one evaluation", textOption("--teacher-gguf"))
    .option("--teacher-url <url>", "or an OpenAI-compatible teacher: asked for 1 token at each of the student's token boundaries (a server with a prompt cache makes that cheap)", urlOption("--teacher-url"))
    .option("--teacher-model <name>", "the teacher model name at that API", textOption("--teacher-model"))
    .option("--teacher-api <style>", `request style: ${TEACHER_API_STYLES.join(", ")}`, choiceOption("--teacher-api", TEACHER_API_STYLES), "completions")
    .option("--teacher-key-env <name>", "environment variable holding the teacher API key", envNameOption("--teacher-key-env"), "OPENAI_API_KEY")
    .option("--teacher-template <name>", `completions teacher: its chat format: ${PROMPT_TEMPLATES.join(", ")} (default: the student's)`, choiceOption("--teacher-template", PROMPT_TEMPLATES))
    .option("--out <file>", "the collection (JSON lines; rerun to resume)", textOption("--out"), "router-data.jsonl")
    .option("--count <n>", "generated train problems (never benchmark or test items)", intOption("--count", 1, 1_000_000), 300)
    .option("--families <list>", `problem families: ${FAMILIES.join(", ")}`, listOption("--families"), ["arith", "words"])
    .option("--seed <n>", "generator seed", intOption("--seed", 0, 0xffffffff), 0)
    .option("--shard <i/n>", "only every n-th problem, starting at i (run n processes, one per core, into n files)", textOption("--shard"))
    .option("--rollouts <n>", "rollouts per wrong answer, at the tokens where the teacher disagrees most strongly", intOption("--rollouts", 0, 64), 2)
    .option("--rollout-span <n>", "teacher tokens per rollout call (use the span you will relay with)", intOption("--rollout-span", 1, 256), 16)
    .option("--max-tokens <n>", "tokens per answer", intOption("--max-tokens", 16, 8192), 256)
    .option("--gpu <backend>", `GPU back-end: ${GPU_SETTINGS.join(", ")}`, choiceOption("--gpu", GPU_SETTINGS), "auto")
    .option("--threads <n>", "CPU threads", intOption("--threads", 1, 1024))
    .option("--context-size <n>", "context size of both models", intOption("--context-size", 256, 1_048_576), 2048)
    .option("--no-progress", "no progress bar")
    .option("-v, --verbose", "log model loading to stderr")
    .action(async (options: CollectCommandOptions) => {
      for (const f of options.families) if (!(FAMILIES as readonly string[]).includes(f)) throw new RelayError("invalid-argument", `--families must list ${FAMILIES.join(", ")} (got ${JSON.stringify(f)}).`);
      if (Boolean(options.teacherGguf) === Boolean(options.teacherUrl)) throw new RelayError("invalid-argument", "Give the teacher as --teacher-gguf or as --teacher-url with --teacher-model (one of them).");
      const { runCollectCommand } = await import("./routerCommand.js");
      process.exitCode = await runCollectCommand(options);
    });
  router
    .command("train")
    .description("train the router on collections (scikit-learn, in the project's private Python environment) and write the router file and its report")
    .requiredOption("--data <files>", "comma-separated collections from `relay router collect`", listOption("--data"))
    .option("--out <file>", "the router file; its report goes beside it (<file>.md)", textOption("--out"), "router.json")
    .option("--model <kind>", "auto (the better of both on held-out answers), logistic or mlp", choiceOption("--model", ["auto", "logistic", "mlp"] as const), "auto")
    .option("--label <kind>", "expected (default): the expected gain of a call here (a strong disagreement times the chance that a call there fixes the answer, learned from the rollouts) as a soft label; utility: strong disagreements weighted by that chance; strong: the teacher gives the student's token under 10%; disagree: the teacher would write anything else; rollout: strong, with rolled-out tokens labelled by their outcome", choiceOption("--label", ["disagree", "strong", "rollout", "utility", "expected"] as const), "expected")
    .option("--span <n>", "the span the router will ask for (recorded in the file)", intOption("--span", 1, 256), 16)
    .option("--seed <n>", "seed of the split and the training", intOption("--seed", 0, 0xffffffff), 0)
    .option("--json", "print the training report as JSON")
    .action(async (options: TrainCommandOptions) => {
      const { runTrainCommand } = await import("./routerCommand.js");
      process.exitCode = await runTrainCommand(options);
    });
}

/** "1/4" → shard 1 of 4. */
export function parseShard(value: string | undefined): { index: number; count: number } {
  if (value === undefined) return { index: 0, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new RelayError("invalid-argument", `--shard must be i/n with 0 ≤ i < n (got ${JSON.stringify(value)}).`);
  return { index, count };
}
