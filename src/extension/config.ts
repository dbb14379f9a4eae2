/** Typed access to the `relay.*` settings. */
import * as vscode from "vscode";
import type { BudgetPeriod } from "../core/budget.js";
import type { PolicyName } from "../core/policies.js";
import type { GpuSetting } from "../llama/llama.js";
import type { PromptTemplateName } from "../llama/chatFormat.js";
import type { TeacherApiStyle } from "../teacher/openaiTeacher.js";

export interface RelayConfig {
  student: { model: string; gpu: GpuSetting; threads: number; contextSize: number; thinking: boolean };
  policy: PolicyName;
  confidence: { threshold: number; spanTokens: number };
  maxTokens: number;
  maxCallsPerAnswer: number;
  maxSpanTokens: number;
  teacher: {
    url: string;
    model: string;
    apiStyle: TeacherApiStyle;
    /** `completions`: the chat format the task prompt is rendered in ("student": the student's own). */
    promptTemplate: PromptTemplateName | "student";
    temperature: number;
    timeoutMs: number;
    maxContextTokens: number;
    inputPricePerMillion: number;
    outputPricePerMillion: number;
  };
  budget: { limit: number; period: BudgetPeriod };
}

export function readConfig(): RelayConfig {
  const c = vscode.workspace.getConfiguration("relay");
  const get = <T>(key: string, fallback: T): T => c.get<T>(key, fallback);
  return {
    student: {
      model: get("student.model", "hf:Qwen/Qwen3-1.7B-GGUF:Q8_0"),
      gpu: get<GpuSetting>("student.gpu", "auto"),
      threads: get("student.threads", 0),
      contextSize: get("student.contextSize", 8192),
      thinking: get("student.thinking", true),
    },
    policy: get<PolicyName>("policy", "auto"),
    confidence: { threshold: get("confidence.threshold", 0.2), spanTokens: get("confidence.spanTokens", 16) },
    maxTokens: get("maxTokens", 1024),
    maxCallsPerAnswer: get("maxCallsPerAnswer", 8),
    maxSpanTokens: get("maxSpanTokens", 128),
    teacher: {
      url: get("teacher.url", "").trim(),
      model: get("teacher.model", "").trim(),
      apiStyle: get<TeacherApiStyle>("teacher.apiStyle", "completions"),
      promptTemplate: get<PromptTemplateName | "student">("teacher.promptTemplate", "student"),
      temperature: get("teacher.temperature", 0.7),
      timeoutMs: get("teacher.timeoutMs", 30000),
      maxContextTokens: get("teacher.maxContextTokens", 8192),
      inputPricePerMillion: get("teacher.inputPricePerMillion", 0),
      outputPricePerMillion: get("teacher.outputPricePerMillion", 0),
    },
    budget: { limit: get("budget.limit", 100000), period: get<BudgetPeriod>("budget.period", "month") },
  };
}
