/** The token meter node-llama-cpp keeps per context sequence. */
import type { LlamaContextSequence } from "node-llama-cpp";

/** Tokens the sequence has evaluated (the meter counts those with logits as "output"). */
export function meterTotal(sequence: LlamaContextSequence): number {
  const meter = sequence.tokenMeter;
  return meter.usedInputTokens + meter.usedOutputTokens;
}
