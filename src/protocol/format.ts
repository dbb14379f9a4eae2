/** The footer's words and numbers, shared by the chat panel and the native chat (src/core/answerFigures.ts). */
export { STATS_SEPARATOR, askingText, formatInt, formatPercent, formatSeconds, formatUsd, plural, statsParts, type StatPart } from "../core/answerFigures.js";
