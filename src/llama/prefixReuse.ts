/** KV-cache reuse on a context sequence: keep the cached prefix a new prompt shares, erase the rest. */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { commonPrefix } from "../core/prefix.js";

/**
 * Erases what follows the reusable prefix of `prompt` from the sequence and returns the tokens
 * still to evaluate. At least one token is always left to evaluate, to get fresh logits.
 * `reusable` defaults to the prefix `prompt` shares with what the sequence holds.
 */
export async function reuseCachedPrefix(sequence: LlamaContextSequence, prompt: readonly Token[], reusable = commonPrefix(sequence.contextTokens, prompt)): Promise<Token[]> {
  const keep = Math.min(reusable, prompt.length - 1);
  if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  return prompt.slice(keep);
}
