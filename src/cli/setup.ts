/** Builds the student, teacher and policy from command-line options (shared by ask/eval/demo). */
import type { Command } from "commander";
import { DEFAULT_LIMITS } from "../core/controller.js";
import { DEFAULT_MODEL_CONTEXT, DEFAULT_STUDENT_MODEL, SETTING_DEFAULTS } from "../core/defaults.js";
import { RelayError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Teacher } from "../core/models.js";
import { createHash } from "node:crypto";
import { createPolicy, DEFAULT_POLICY_OPTIONS, POLICY_NAMES, SCORED_POLICIES, type PolicyName, type PolicyOptions, type TagMemory } from "../core/policies.js";
import { errorMessage, isRelayError } from "../core/errors.js";
import { modelFingerprint } from "../llama/fingerprint.js";
import { loadRouterFile } from "../io/routerFile.js";
import { thresholdFor } from "../core/routing/calibration.js";
import { defaultCalibrationPath, readCalibration } from "../io/calibrationFile.js";
import { GPU_SETTINGS, type GpuSetting } from "../llama/llama.js";
import { PROMPT_TEMPLATES, promptRenderer, type PromptTemplateName } from "../llama/chatFormat.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { LocalTeacher } from "../teacher/localTeacher.js";
import { DEFAULT_TEACHER_IDLE_MS, DEFAULT_TEACHER_TIMEOUT_MS, OpenAITeacher, TEACHER_API_STYLES, type TeacherApiStyle } from "../teacher/openaiTeacher.js";
import type { TeacherRequestLog } from "../core/teacherLog.js";
import { choiceOption, envNameOption, intOption, numberOption, stopListOption, textOption, urlOption } from "./options.js";

export interface ModelOptions {
  student: string;
  teacherGguf?: string;
  teacherUrl?: string;
  teacherModel?: string;
  teacherApi: TeacherApiStyle;
  teacherKeyEnv: string;
  teacherTemperature?: number;
  teacherTopP?: number;
  teacherStop?: string[];
  teacherTimeout?: number;
  teacherIdleTimeout?: number;
  teacherStream?: boolean;
  teacherTemplate?: PromptTemplateName;
  thinking: "on" | "off";
  gpu: GpuSetting;
  threads?: number;
  contextSize?: number;
  policy: PolicyName;
  threshold?: number;
  /** A router file (router policy; auto uses it when it matches the student). */
  router?: string;
  cooldown?: number;
  /** Target teacher share in percent: the scored policy's threshold comes from the student's calibration. */
  share?: number;
  calibration?: string;
  spanTokens?: number;
  fixedSpan?: number;
  randomP?: number;
  seed?: number;
  temperature?: number;
  maxTokens: number;
  maxCalls: number;
  maxSpan: number;
  maxContext: number;
  teacherHistory: number;
}

/**
 * The model, teacher, policy and limit options of ask, eval and demo. Their defaults are the
 * product's (src/core/defaults.ts), as in the editor; test/unit/defaults.test.ts checks them.
 * An option without a default here leaves the library's default, which is the same table's.
 */
export function addModelOptions(cmd: Command): Command {
  const d = SETTING_DEFAULTS;
  return cmd
    .option("--student <model>", "student model: a GGUF path or an hf: URI", textOption("--student"), DEFAULT_STUDENT_MODEL)
    .option("--teacher-gguf <path>", "a local GGUF teacher", textOption("--teacher-gguf"))
    .option("--teacher-url <url>", "an OpenAI-compatible teacher API, e.g. http://127.0.0.1:8000/v1", urlOption("--teacher-url"))
    .option("--teacher-model <name>", "the teacher model name at that API", textOption("--teacher-model"))
    .option("--teacher-api <style>", `request style: ${TEACHER_API_STYLES.join(", ")}`, choiceOption("--teacher-api", TEACHER_API_STYLES), d["teacher.apiStyle"])
    .option("--teacher-key-env <name>", "environment variable holding the teacher API key (none needed for a local server)", envNameOption("--teacher-key-env"), "OPENAI_API_KEY")
    .option("--teacher-temperature <t>", `teacher sampling temperature (0 to 2; default ${d["teacher.temperature"]} for an API teacher, 0 (greedy) for a local GGUF teacher)`, numberOption("--teacher-temperature", 0, 2))
    .option("--teacher-top-p <p>", "teacher nucleus sampling top_p (above 0, at most 1)", numberOption("--teacher-top-p", 0, 1, { minExclusive: true }))
    .option("--teacher-stop <text>", "a stop string for the teacher (repeatable; \\n and \\t are read as a newline and a tab)", stopListOption("--teacher-stop"))
    .option("--teacher-timeout <ms>", `deadline of one teacher request, retries included (default ${DEFAULT_TEACHER_TIMEOUT_MS})`, intOption("--teacher-timeout", 100, 3_600_000))
    .option("--teacher-idle-timeout <ms>", `longest silence of a teacher reply once it started (default ${DEFAULT_TEACHER_IDLE_MS})`, intOption("--teacher-idle-timeout", 100, 3_600_000))
    .option("--teacher-stream", "stream teacher replies")
    .option("--teacher-template <name>", `completions teacher: render the task prompt in this chat format: ${PROMPT_TEMPLATES.join(", ")} (default: the student's)`, choiceOption("--teacher-template", PROMPT_TEMPLATES))
    .option("--thinking <mode>", "thinking models (Qwen3…): off uses the chat template's own no-think form", choiceOption("--thinking", ["on", "off"] as const), d["student.thinking"] ? "on" : "off")
    .option("--gpu <backend>", `GPU back-end: ${GPU_SETTINGS.join(", ")}`, choiceOption("--gpu", GPU_SETTINGS), d["student.gpu"])
    .option("--threads <n>", "CPU threads (default: adapted per answer, up to the math cores available)", intOption("--threads", 1, 1024))
    .option("--context-size <n>", "student context size in tokens (per sequence)", intOption("--context-size", 256, 1_048_576), DEFAULT_MODEL_CONTEXT.contextSize)
    .option("--policy <name>", `trigger policy: ${POLICY_NAMES.join(", ")}`, choiceOption("--policy", POLICY_NAMES), d.policy)
    .option("--threshold <t>", `confidence: call below this top-1 probability (0 to 1; default ${DEFAULT_POLICY_OPTIONS.threshold}); entropy, margin, rolling-entropy, step-entropy, router: call above this score`, numberOption("--threshold", 0, 100))
    .option("--share <percent>", "scored policies: the teacher share to aim for (a threshold from the student's calibration, see `relay calibrate`)", numberOption("--share", 0, 100, { minExclusive: true }))
    .option("--calibration <file>", "the student's calibration file (default: the one `relay calibrate` wrote for this student)", textOption("--calibration"))
    .option("--router <file>", "a router file from `relay router train` (--policy router; auto uses it when it was made for this student)", textOption("--router"))
    .option("--span-tokens <n>", `scored and random policies: tokens per call (default ${DEFAULT_POLICY_OPTIONS.spanTokens})`, intOption("--span-tokens", 1, 4096))
    .option("--cooldown <n>", "scored policies: student tokens after a call (and at the start) before the next", intOption("--cooldown", 0, 100_000))
    .option("--fixed-span <n>", "fixed-span policy: tokens per call", intOption("--fixed-span", 1, 4096))
    .option("--random-p <p>", "random policy: per-token call probability (0 to 1)", numberOption("--random-p", 0, 1))
    .option("--seed <n>", "seed for sampling and the random policy", intOption("--seed", 0, 0xffffffff))
    .option("--temperature <t>", "student sampling temperature (0 = greedy, at most 2)", numberOption("--temperature", 0, 2))
    .option("--max-tokens <n>", "generated tokens per answer", intOption("--max-tokens", 1, 1_000_000), DEFAULT_LIMITS.maxTokens)
    .option("--max-calls <n>", "teacher calls per answer (0: none)", intOption("--max-calls", 0, 100_000), DEFAULT_LIMITS.maxCallsPerAnswer)
    .option("--max-span <n>", "tokens per teacher call at most", intOption("--max-span", 1, 4096), DEFAULT_LIMITS.maxSpanTokens)
    .option("--max-context <n>", "teacher input tokens at most (a longer prompt is cut in the middle)", intOption("--max-context", 256, 1_048_576), DEFAULT_LIMITS.maxContextTokens)
    .option("--teacher-history <n>", "earlier turns of a chat a teacher call carries, in tokens at most (0: none)", intOption("--teacher-history", 0, 1_048_576), DEFAULT_LIMITS.teacherHistoryTokens);
}

export async function loadStudent(options: ModelOptions, logger: Logger, onProgress?: (p: { downloadedBytes: number; totalBytes: number }) => void): Promise<LlamaStudent> {
  return LlamaStudent.load({ model: options.student, gpu: options.gpu, threads: options.threads, contextSize: options.contextSize, thinking: options.thinking !== "off", logger, onProgress });
}

export async function loadTeacher(options: ModelOptions, logger: Logger, log?: TeacherRequestLog): Promise<(Teacher & { dispose(): Promise<void> }) | undefined> {
  if (options.teacherGguf && options.teacherUrl) throw new RelayError("invalid-argument", "Give either --teacher-gguf or --teacher-url, not both.");
  if (options.teacherGguf) return LocalTeacher.load({ model: options.teacherGguf, gpu: options.gpu, threads: options.threads, temperature: options.teacherTemperature, stop: options.teacherStop, logger });
  if (options.teacherUrl) {
    if (!options.teacherModel) throw new RelayError("invalid-argument", "--teacher-url needs --teacher-model.");
    const teacher = new OpenAITeacher({
      baseURL: options.teacherUrl,
      model: options.teacherModel,
      apiKey: process.env[options.teacherKeyEnv],
      style: options.teacherApi,
      temperature: options.teacherTemperature,
      topP: options.teacherTopP,
      stop: options.teacherStop,
      timeoutMs: options.teacherTimeout,
      idleTimeoutMs: options.teacherIdleTimeout,
      stream: options.teacherStream,
      log,
      renderPrompt: options.teacherTemplate ? await promptRenderer(options.teacherTemplate) : undefined,
    });
    return Object.assign(teacher, { dispose: async () => {} });
  }
  return undefined;
}

/** Policies whose threshold is on an entropy (nats): the others' are probabilities, 0 to 1. */
const ENTROPY_POLICIES: readonly string[] = ["entropy", "rolling-entropy", "step-entropy"];

/** Checks what can be checked before a model loads (exit 2 on a bad combination). */
export function checkPolicyOptions(policies: readonly string[], threshold: number | undefined): void {
  if (threshold === undefined || threshold <= 1) return;
  const probability = policies.filter((p) => !ENTROPY_POLICIES.includes(p) && p !== "random" && p !== "student-only" && p !== "teacher-only" && p !== "teacher-free");
  if (probability.length > 0) throw new RelayError("invalid-argument", `--threshold must be a number from 0 to 1 for ${probability.join(", ")} (got ${threshold}); above 1 only the entropy policies take it.`);
}

/** The policy and its options from the command line: the router loaded, a teacher share turned into a threshold. */
export interface PolicySetup {
  policy: PolicyName;
  options: Partial<PolicyOptions> & { routerTag?: string };
}

export async function policySetup(options: ModelOptions, student: { path: string; name: string }, logger: Logger): Promise<PolicySetup> {
  let policy = options.policy;
  const o: PolicySetup["options"] = {
    threshold: options.threshold,
    spanTokens: options.spanTokens,
    cooldownTokens: options.cooldown,
    fixedSpanTokens: options.fixedSpan,
    probability: options.randomP,
    seed: options.seed,
  };
  if (policy === "router" && !options.router) throw new RelayError("invalid-argument", "--policy router needs --router FILE (from `relay router train`).");
  const fingerprint = options.router || options.share ? await modelFingerprint(student.path) : "";
  if (options.router && (policy === "router" || policy === "auto")) {
    const teacherPrint = options.teacherGguf ? { fingerprint: await modelFingerprint(options.teacherGguf) } : undefined;
    try {
      const { router, warnings } = await loadRouterFile(options.router, { fingerprint, name: student.name }, teacherPrint);
      for (const w of warnings) logger.warn(w);
      o.router = router;
      o.routerTag = fingerprintOf(JSON.stringify(router.file));
    } catch (error) {
      if (!isRelayError(error, "router-invalid")) throw error;
      // The answer goes on under the training-free policy rather than failing.
      logger.error(`${errorMessage(error)} The answer goes on under the confidence policy.`);
      if (policy === "router") policy = "confidence";
    }
  }
  if (options.share !== undefined) {
    const path = options.calibration ?? defaultCalibrationPath(fingerprint);
    if (!SCORED_POLICIES.includes(policy) && policy !== "auto") throw new RelayError("invalid-argument", `--share needs a scored policy (${SCORED_POLICIES.join(", ")}, auto), not ${policy}.`);
    const calibration = await readCalibration(path, fingerprint).catch((error: unknown) => {
      throw new RelayError("invalid-argument", `--share needs the student's calibration: ${errorMessage(error)} Make it with \`relay calibrate --student ${options.student}\`.`);
    });
    const rules = { span: options.spanTokens ?? DEFAULT_POLICY_OPTIONS.spanTokens, cooldown: options.cooldown ?? DEFAULT_POLICY_OPTIONS.cooldownTokens, maxCalls: options.maxCalls };
    const found = thresholdFor(calibration, policy, options.share / 100, rules, o.router);
    if (policy === "auto" && o.router) o.routerThreshold = found.threshold;
    else o.threshold = found.threshold;
    logger.info(`teacher share ${options.share}%: ${policy} threshold ${found.threshold.toPrecision(4)} (replayed on ${calibration.answers.length} calibration answers: ${(found.expected * 100).toFixed(1)}%)`);
  }
  return { policy, options: o };
}

export function policyFrom(setup: PolicySetup, memory?: TagMemory) {
  return createPolicy(setup.policy, setup.options, memory);
}

function fingerprintOf(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

export function limitsFrom(options: ModelOptions) {
  return { maxTokens: options.maxTokens, maxCallsPerAnswer: options.maxCalls, maxSpanTokens: options.maxSpan, maxContextTokens: options.maxContext, teacherHistoryTokens: options.teacherHistory };
}
