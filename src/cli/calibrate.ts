/**
 * `relay calibrate`: the student answers generated train problems alone and its per-token
 * scores are kept, so a teacher share (`--share 5`, `relay.teacher.share`) can be turned into
 * each scored policy's threshold. Prints the thresholds for a few shares.
 */
import type { Command } from "commander";
import { DEFAULT_POLICY_OPTIONS, SCORED_POLICIES, type PolicyName } from "../core/policies.js";
import { createProgressBar } from "../eval/progress.js";
import { modelFingerprint } from "../llama/fingerprint.js";
import { loadRouterFile } from "../io/routerFile.js";
import { GPU_SETTINGS, type GpuSetting } from "../llama/llama.js";
import { thresholdFor } from "../core/routing/calibration.js";
import { defaultCalibrationPath, writeCalibration } from "../io/calibrationFile.js";
import { recordCalibration } from "../router/calibration.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { stderrLogger } from "./logger.js";
import { choiceOption, intOption, textOption } from "./options.js";
import { printOut } from "./terminalText.js";

interface CalibrateOptions {
  student: string;
  out?: string;
  count: number;
  seed: number;
  maxTokens: number;
  spanTokens: number;
  cooldown: number;
  router?: string;
  gpu: GpuSetting;
  threads?: number;
  contextSize: number;
  progress: boolean;
  verbose?: boolean;
}

const SHARES = [0.01, 0.02, 0.05, 0.1, 0.2];

export function registerCalibrate(program: Command): void {
  program
    .command("calibrate")
    .description("record the student's per-token scores on generated train problems, so a teacher share can set each policy's threshold")
    .requiredOption("--student <model>", "the student GGUF", textOption("--student"))
    .option("--out <file>", "the calibration file (default: one per student under ~/.cache/relay/calibration/)", textOption("--out"))
    .option("--count <n>", "generated train problems to answer", intOption("--count", 1, 100_000), 60)
    .option("--seed <n>", "generator seed (the router's training data uses seed 0)", intOption("--seed", 0, 0xffffffff), 1)
    .option("--max-tokens <n>", "tokens per answer (as you will relay)", intOption("--max-tokens", 16, 65_536), 256)
    .option("--span-tokens <n>", "tokens per call, for the thresholds printed", intOption("--span-tokens", 1, 4096), DEFAULT_POLICY_OPTIONS.spanTokens)
    .option("--cooldown <n>", "cool-down, for the thresholds printed", intOption("--cooldown", 0, 100_000), DEFAULT_POLICY_OPTIONS.cooldownTokens)
    .option("--router <file>", "also print the router's thresholds", textOption("--router"))
    .option("--gpu <backend>", `GPU back-end: ${GPU_SETTINGS.join(", ")}`, choiceOption("--gpu", GPU_SETTINGS), "auto")
    .option("--threads <n>", "CPU threads", intOption("--threads", 1, 1024))
    .option("--context-size <n>", "context size", intOption("--context-size", 256, 1_048_576), 2048)
    .option("--no-progress", "no progress bar")
    .option("-v, --verbose", "log model loading to stderr")
    .action(async (o: CalibrateOptions) => {
      const logger = stderrLogger(Boolean(o.verbose));
      const student = await LlamaStudent.load({ model: o.student, gpu: o.gpu, threads: o.threads, contextSize: o.contextSize, sequences: 1, logger });
      const progress = createProgressBar(o.progress);
      try {
        const fingerprint = await modelFingerprint(student.path);
        const router = o.router ? (await loadRouterFile(o.router, { fingerprint, name: student.name })).router : undefined;
        const file = await recordCalibration({ student, studentId: { name: student.name, fingerprint }, count: o.count, seed: o.seed, maxTokens: o.maxTokens, progress });
        progress.stop();
        const out = o.out ?? defaultCalibrationPath(fingerprint);
        await writeCalibration(out, file);
        const policies: PolicyName[] = SCORED_POLICIES.filter((p) => p !== "router" || router);
        const rules = { span: o.spanTokens, cooldown: o.cooldown };
        const lines = [`# Calibration of ${student.name}`, "", `${file.answers.length} answers, ${file.answers.reduce((n, a) => n + a.f.length, 0)} tokens; span ${o.spanTokens}, cool-down ${o.cooldown}.`, "", `| policy | ${SHARES.map((s) => `${s * 100}%`).join(" | ")} |`, `|---|${SHARES.map(() => "---").join("|")}|`];
        for (const p of policies) lines.push(`| ${p} | ${SHARES.map((s) => thresholdFor(file, p, s, rules, router)).map((t) => `${t.threshold.toPrecision(3)} (${(t.expected * 100).toFixed(1)}%)`).join(" | ")} |`);
        printOut(lines.join("\n") + `\n\nThreshold per teacher share (replayed share in brackets). Written to ${out}.\n`);
      } finally {
        progress.stop();
        await student.dispose();
      }
    });
}
