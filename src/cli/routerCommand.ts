/** What `relay router collect` and `relay router train` do (loaded on use). */
import { collect, collectSettings } from "../router/collect.js";
import { trainProblems } from "../router/problems.js";
import { createProgressBar } from "../eval/progress.js";
import { modelFingerprint } from "../llama/fingerprint.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { createHash } from "node:crypto";
import { RelayError } from "../core/errors.js";
import type { Teacher } from "../core/models.js";
import { LocalTeacher } from "../teacher/localTeacher.js";
import { loadTeacher, type ModelOptions } from "./setup.js";
import { stderrLogger } from "./logger.js";
import { parseShard, type CollectCommandOptions, type TrainCommandOptions } from "./router.js";
import { trainRouter } from "../router/train.js";
import { printErr, printJson, printOut } from "./terminalText.js";

export async function runCollectCommand(options: CollectCommandOptions): Promise<number> {
  const logger = stderrLogger(Boolean(options.verbose));
  const shard = parseShard(options.shard);
  const problems = trainProblems(options.families as ("arith" | "words")[], options.count, options.seed).filter((_, i) => i % shard.count === shard.index);
  const student = await LlamaStudent.load({ model: options.student, gpu: options.gpu, threads: options.threads, contextSize: options.contextSize, sequences: 1, logger });
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  const progress = createProgressBar(options.progress);
  let teacher: (Teacher & { dispose(): Promise<void> }) | undefined;
  try {
    let teacherId: { name: string; fingerprint: string };
    if (options.teacherGguf) {
      const local = await LocalTeacher.load({ model: options.teacherGguf, gpu: options.gpu, threads: options.threads, contextSize: options.contextSize, logger });
      teacher = local;
      teacherId = { name: local.model, fingerprint: await modelFingerprint(local.path) };
    } else {
      // The same teacher the relay would use: its request style and template; greedy for labels.
      teacher = await loadTeacher({ ...options, teacherTemperature: 0 } as unknown as ModelOptions, logger);
      if (!teacher) throw new RelayError("invalid-argument", "relay router collect needs a teacher: --teacher-gguf, or --teacher-url and --teacher-model.");
      teacherId = { name: teacher.model, fingerprint: createHash("sha256").update(`${options.teacherUrl} ${options.teacherModel} ${options.teacherApi}`).digest("hex").slice(0, 16) };
    }
    const settings = collectSettings({ name: student.name, fingerprint: await modelFingerprint(student.path) }, teacherId, options.maxTokens, options.rolloutSpan);
    process.once("SIGINT", onSigint);
    const outcome = await collect({ student, teacher, settings, problems, out: options.out, rollouts: options.rollouts, signal: controller.signal, progress, logger });
    progress.stop();
    printErr(`${outcome.answers} answer(s) and ${outcome.rollouts} rollout(s) collected, ${outcome.reused} answer(s) already in ${options.out}\n`);
    if (outcome.aborted) {
      printErr("Interrupted: run the same command again to resume.\n");
      return 130;
    }
    return 0;
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
    await teacher?.dispose();
    await student.dispose();
  }
}

export async function runTrainCommand(options: TrainCommandOptions): Promise<number> {
  const report = await trainRouter({ data: options.data, out: options.out, model: options.model, label: options.label, span: options.span, seed: options.seed });
  if (options.json) printJson(report.json);
  else printOut(report.markdown);
  return 0;
}
