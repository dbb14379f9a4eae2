/**
 * A request that reaches the relay through VS Code's language-model API (another extension, a
 * chat mode using the model picker) or its chat participant, turned into a task prompt — or
 * refused with a sentence saying why. Nothing is dropped silently: what the relay cannot take
 * (tool calls, tool results, images and other data) refuses the request.
 */
import type { ChatExchange, TaskPrompt } from "./prompts.js";

/** One part of a message, as far as the relay cares. */
export type LmPart = { kind: "text"; text: string } | { kind: "tool-call"; name: string } | { kind: "tool-result" } | { kind: "data"; mimeType: string } | { kind: "other"; type: string };

export interface LmMessage {
  role: "user" | "assistant" | "system";
  parts: readonly LmPart[];
}

export type LmTask = { ok: true; task: TaskPrompt } | { ok: false; reason: string };

const TOOLS_REFUSED = "Relay does not call tools: its student writes text only, so a conversation with tool calls or tool results cannot be continued by it. Use another model for agent mode and tools.";

/** The task for a conversation that ends with the user's message. */
export function lmTask(messages: readonly LmMessage[]): LmTask {
  const system: string[] = [];
  const turns: Array<{ role: "user" | "assistant"; text: string }> = [];
  for (const message of messages) {
    const texts: string[] = [];
    for (const part of message.parts) {
      switch (part.kind) {
        case "text":
          texts.push(part.text);
          break;
        case "tool-call":
        case "tool-result":
          return { ok: false, reason: TOOLS_REFUSED };
        case "data":
          return { ok: false, reason: `Relay takes text only; this request holds ${part.mimeType || "binary"} data (an image or a file), which its student cannot read.` };
        case "other":
          return { ok: false, reason: `Relay takes text only; this request holds a part it does not know (${part.type}).` };
      }
    }
    const text = texts.join("");
    if (message.role === "system") {
      if (text.trim()) system.push(text);
      continue;
    }
    const last = turns[turns.length - 1];
    // Two messages of one role in a row are one turn.
    if (last && last.role === message.role) last.text = `${last.text}\n\n${text}`;
    else turns.push({ role: message.role, text });
  }
  const question = turns.pop();
  if (!question || question.role !== "user" || !question.text.trim()) {
    return { ok: false, reason: "Relay answers a conversation that ends with the user's message; this request ends with no question." };
  }
  const history: ChatExchange[] = [];
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i]!;
    if (turn.role === "user") {
      const next = turns[i + 1];
      history.push({ user: turn.text, assistant: next?.role === "assistant" ? next.text : "" });
      if (next?.role === "assistant") i++;
    } else history.push({ user: "", assistant: turn.text });
  }
  const task: TaskPrompt = { user: question.text };
  if (system.length) task.system = system.join("\n\n");
  if (history.length) task.history = history;
  return { ok: true, task };
}

/**
 * The answer-length cap of a request: the caller may ask for fewer tokens than the settings
 * allow (`modelOptions.maxTokens` or `max_tokens`), never more. Every other option is named in
 * `ignored`: a caller cannot change the relay's policy, limits or budget.
 */
export function lmLimits(modelOptions: Readonly<Record<string, unknown>> | undefined, configuredMaxTokens: number): { maxTokens: number; ignored: string[] } {
  let maxTokens = configuredMaxTokens;
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(modelOptions ?? {})) {
    if ((name === "maxTokens" || name === "max_tokens") && typeof value === "number" && Number.isInteger(value) && value > 0) maxTokens = Math.min(maxTokens, value);
    else ignored.push(name);
  }
  return { maxTokens, ignored };
}

/** Earlier exchanges of a chat participant's conversation: questions and the answers' plain text. */
export function participantHistory(turns: ReadonlyArray<{ question: string; answer?: string }>, max: number): ChatExchange[] {
  return turns
    .filter((t) => t.answer !== undefined && t.answer.trim() !== "")
    .map((t) => ({ user: t.question, assistant: t.answer!.trim() }))
    .slice(-max);
}
