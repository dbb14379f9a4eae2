/**
 * The part of a relay request that comes from the settings alone (no VS Code, no models), so
 * the settings → controller path is tested without an editor.
 */
import type { RelayRequest } from "../core/controller.js";
import type { RelayConfig } from "./settings.js";

export type ConfiguredRelayOptions = Required<Pick<RelayRequest, "limits" | "pricing" | "warmTeacher">>;

export function configuredRelayOptions(config: RelayConfig, maxTokens?: number): ConfiguredRelayOptions {
  return {
    limits: {
      maxTokens: maxTokens ?? config.maxTokens,
      maxCallsPerAnswer: config.maxCallsPerAnswer,
      maxSpanTokens: config.maxSpanTokens,
      maxContextTokens: config.teacher.maxContextTokens,
      teacherHistoryTokens: config.teacher.historyTokens,
    },
    pricing: { inputPerMillion: config.teacher.inputPricePerMillion, outputPerMillion: config.teacher.outputPricePerMillion },
    // Off by default (package.json); user scope only: a workspace cannot make the teacher do more.
    warmTeacher: config.teacher.prefillWarming,
  };
}
