/** Terminal rendering of a relay: student text plain, teacher spans coloured, then the stats. */
import chalk from "chalk";
import type { RelayEvent, RelayResult } from "../core/controller.js";
import type { RelayStats } from "../core/spans.js";
import { printStyled, terminalSafe } from "./terminalText.js";

export function streamToTerminal(): (event: RelayEvent) => void {
  return (event) => {
    // Model text never drives the terminal: control characters are shown, not interpreted.
    // Reasoning (a thinking model's) dimmed, teacher text cyan.
    if (event.type === "text") {
      const text = event.kind === "teacher" ? chalk.cyan(terminalSafe(event.text)) : terminalSafe(event.text);
      printStyled("stdout", event.thought ? chalk.dim(text) : text);
    }
    else if (event.type === "teacher-start") printStyled("stderr", chalk.dim(` [asking teacher · ${event.granted} tokens] `));
    else if (event.type === "span" && event.span.kind === "failed-call") printStyled("stderr", chalk.yellow(` [teacher failed: ${terminalSafe(event.span.error ?? "")}] `));
    else if (event.type === "span" && event.span.kind === "budget-denied") printStyled("stderr", chalk.yellow(" [teacher refused: budget spent] "));
  };
}

export function formatStats(stats: RelayStats): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const lines = [
    `tokens       ${stats.generatedTokens} (student ${stats.studentTokens}, teacher ${stats.teacherTokens})`,
    `teacher      ${stats.calls} call(s), call ratio ${pct(stats.callRatio)}, ${stats.failedCalls} failed, ${stats.deniedCalls} refused by budget`,
    `teacher I/O  ${stats.teacherPromptTokens} in (${stats.teacherCachedPromptTokens} cached), ${stats.teacherCompletionTokens} out${stats.estimatedCostUsd ? `, ~$${stats.estimatedCostUsd.toFixed(5)}` : ""}`,
    `student      ${stats.promptTokens} prompt tokens, ${stats.studentEvaluatedTokens} evaluated in all`,
    `time         ${(stats.durationMs / 1000).toFixed(2)} s (first token ${stats.timeToFirstTokenMs ?? "-"} ms, teacher ${stats.teacherMs} ms), stop: ${stats.stopReason}`,
  ];
  if (stats.malformedTags) lines.push(`tags         ${stats.malformedTags} malformed`);
  return lines.join("\n");
}

/** The `--json` shape: the answer, a thinking model's reasoning (when any), the spans and the stats. */
export function toJson(result: RelayResult): object {
  return { text: result.text, ...(result.reasoning ? { reasoning: result.reasoning } : {}), spans: result.spans, stats: result.stats };
}
