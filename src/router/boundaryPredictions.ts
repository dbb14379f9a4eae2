/**
 * The teacher's next token at the student's token boundaries of an answer, for a teacher that
 * cannot give every position in one evaluation (any OpenAI-compatible server): one 1-token
 * greedy request per boundary. Consecutive requests share their prefix, so a server's prompt
 * cache makes each cost a few new tokens. No probabilities come back, so a disagreement counts as
 * strong (the probability of the student's text is taken as 0). A local GGUF teacher gives
 * every position and its probabilities in one evaluation instead (LocalTeacher.predictions).
 */
import type { Teacher } from "../core/models.js";
import type { TaskPrompt } from "../core/prompts.js";
import type { BoundaryPrediction } from "../core/routing/labels.js";

export async function predictAtBoundaries(teacher: Teacher, task: TaskPrompt, promptText: string, answer: string, offsets: readonly number[], signal?: AbortSignal): Promise<BoundaryPrediction[]> {
  const out: BoundaryPrediction[] = [];
  for (const offset of offsets) {
    const reply = await teacher.generate({ task, promptText, answer: answer.slice(0, offset), maxTokens: 1, signal });
    const eos = reply.text === "" && reply.finish === "eos";
    const rest = answer.slice(offset);
    const agrees = !eos && (reply.text === "" || rest.startsWith(reply.text) || reply.text.startsWith(rest));
    out.push({ offset, text: reply.text, eos, actualProbability: agrees ? 1 : 0 });
  }
  return out;
}
