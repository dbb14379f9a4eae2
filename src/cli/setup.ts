/** Builds the student, teacher and policy from command-line options (shared by ask/eval/demo). */
import { Option, type Command } from "commander";
import { RelayError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Teacher } from "../core/models.js";
import { createPolicy, POLICY_NAMES, type PolicyName, type TagMemory } from "../core/policies.js";
import type { GpuSetting } from "../llama/llama.js";
import { PROMPT_TEMPLATES, promptRenderer, type PromptTemplateName } from "../llama/chatFormat.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { LocalTeacher } from "../teacher/localTeacher.js";
import { OpenAITeacher, TEACHER_API_STYLES, type TeacherApiStyle } from "../teacher/openaiTeacher.js";
import type { TeacherRequestLog } from "../core/teacherLog.js";

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
  teacherStream?: boolean;
  teacherTemplate?: PromptTemplateName;
  thinking: "on" | "off";
  gpu: GpuSetting;
  threads?: number;
  contextSize?: number;
  policy: PolicyName;
  threshold?: number;
  spanTokens?: number;
  fixedSpan?: number;
  randomP?: number;
  seed?: number;
  temperature?: number;
  maxTokens: number;
  maxCalls: number;
  maxSpan: number;
  maxContext: number;
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RelayError("invalid-argument", `Not a whole number: ${v}`);
  return n;
};
const num = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new RelayError("invalid-argument", `Not a number: ${v}`);
  return n;
};

export function addModelOptions(cmd: Command): Command {
  return cmd
    .option("--student <model>", "student model: a GGUF path or an hf: URI", "hf:Qwen/Qwen3-1.7B-GGUF:Q8_0")
    .option("--teacher-gguf <path>", "a local GGUF teacher")
    .option("--teacher-url <url>", "an OpenAI-compatible teacher API, e.g. http://127.0.0.1:8000/v1")
    .option("--teacher-model <name>", "the teacher model name at that API")
    .addOption(new Option("--teacher-api <style>", "request style").choices([...TEACHER_API_STYLES]).default("completions"))
    .option("--teacher-key-env <name>", "environment variable holding the teacher API key (none needed for a local server)", "OPENAI_API_KEY")
    .option("--teacher-temperature <t>", "teacher sampling temperature", num)
    .option("--teacher-top-p <p>", "teacher nucleus sampling top_p", num)
    .option("--teacher-stop <text>", "a stop string for the teacher (repeatable)", (v: string, all: string[] = []) => [...all, v])
    .option("--teacher-timeout <ms>", "teacher request timeout in milliseconds", int)
    .option("--teacher-stream", "stream teacher replies")
    .addOption(new Option("--teacher-template <name>", "completions teacher: render the task prompt in this chat format (default: the student's)").choices([...PROMPT_TEMPLATES]))
    .addOption(new Option("--thinking <mode>", "thinking models (Qwen3…): off uses the chat template's own no-think form").choices(["on", "off"]).default("on"))
    .addOption(new Option("--gpu <backend>", "GPU back-end").choices(["auto", "cpu", "cuda", "vulkan", "metal"]).default("auto"))
    .option("--threads <n>", "CPU threads (default: the math cores available)", int)
    .option("--context-size <n>", "student context size in tokens", int)
    .addOption(new Option("--policy <name>", "trigger policy").choices([...POLICY_NAMES]).default("auto"))
    .option("--threshold <p>", "confidence policy: call below this top-1 probability", num)
    .option("--span-tokens <n>", "confidence/random policies: tokens per call", int)
    .option("--fixed-span <n>", "fixed-span policy: tokens per call", int)
    .option("--random-p <p>", "random policy: per-token call probability", num)
    .option("--seed <n>", "seed for sampling and the random policy", int)
    .option("--temperature <t>", "student sampling temperature (0 = greedy)", num)
    .option("--max-tokens <n>", "generated tokens per answer", int, 2048)
    .option("--max-calls <n>", "teacher calls per answer", int, 16)
    .option("--max-span <n>", "tokens per teacher call at most", int, 256)
    .option("--max-context <n>", "teacher input tokens at most", int, 8192);
}

export async function loadStudent(options: ModelOptions, logger: Logger, onProgress?: (p: { downloadedBytes: number; totalBytes: number }) => void): Promise<LlamaStudent> {
  return LlamaStudent.load({ model: options.student, gpu: options.gpu, threads: options.threads, contextSize: options.contextSize, thinking: options.thinking !== "off", logger, onProgress });
}

export async function loadTeacher(options: ModelOptions, logger: Logger, log?: TeacherRequestLog): Promise<(Teacher & { dispose(): Promise<void> }) | undefined> {
  if (options.teacherGguf && options.teacherUrl) throw new RelayError("invalid-argument", "Give either --teacher-gguf or --teacher-url, not both.");
  if (options.teacherGguf) return LocalTeacher.load({ model: options.teacherGguf, gpu: options.gpu, threads: options.threads, temperature: options.teacherTemperature, logger });
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
      stream: options.teacherStream,
      log,
      renderPrompt: options.teacherTemplate ? await promptRenderer(options.teacherTemplate) : undefined,
    });
    return Object.assign(teacher, { dispose: async () => {} });
  }
  return undefined;
}

export function policyFrom(options: ModelOptions, memory?: TagMemory) {
  return createPolicy(
    options.policy,
    {
      threshold: options.threshold,
      spanTokens: options.spanTokens,
      fixedSpanTokens: options.fixedSpan,
      probability: options.randomP,
      seed: options.seed,
    },
    memory,
  );
}

export function limitsFrom(options: ModelOptions) {
  return { maxTokens: options.maxTokens, maxCallsPerAnswer: options.maxCalls, maxSpanTokens: options.maxSpan, maxContextTokens: options.maxContext };
}
