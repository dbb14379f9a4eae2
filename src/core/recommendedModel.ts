/**
 * The student Relay recommends on first run (docs/architecture.md, "The extension"): a small official Qwen3 GGUF that works
 * under the `auto` policy without relay training. It is only ever downloaded when the user asks
 * for it (the chat panel's welcome, the walkthrough, or the command).
 */
export const RECOMMENDED_STUDENT = {
  uri: "hf:Qwen/Qwen3-1.7B-GGUF:Q8_0",
  name: "Qwen3 1.7B (Q8_0)",
  /** Qwen3-1.7B-Q8_0.gguf as published; shown before the download starts. */
  approxBytes: 1_830_000_000,
} as const;

/** "1.8 GB", "640 MB": a size as a person reads it (decimal units, as download sizes are given). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/**
 * The relay-trained student the welcome offers: a transformers checkpoint trained to write
 * `<call>n</call>` itself (the RelayLLM paper's 1.7B student), converted to GGUF on the user's
 * machine by llama.cpp's converter (`relay model convert`, src/io/checkpoint.ts); it runs under
 * the `learned` policy.
 */
export const RELAY_TRAINED_STUDENT = {
  name: "RelayLLM 1.7B",
  /**
   * The Hugging Face repository of the checkpoint: the paper's authors publish their students in
   * the `HINT-lab/relayllm` collection (their repository's issue #3 names `HINT-lab/RelayLLM-1.7B-Simple`
   * beside it). Hugging Face cannot be reached from the machines this was built on, so the id is
   * not checked here; a wrong one fails the download with the hub's 404, and the vanilla model is offered.
   */
  repo: "HINT-lab/RelayLLM-1.7B",
  /** The checkpoint (bf16 safetensors), for the size shown before the download. */
  approxBytes: 3_440_000_000,
} as const;

/** A short name for a model reference: the recommended student's name, a file's name, or the URI. */
export function modelDisplayName(ref: string): string {
  if (!ref) return "none";
  if (ref === RECOMMENDED_STUDENT.uri) return RECOMMENDED_STUDENT.name;
  if (/^(hf:|huggingface:)/i.test(ref)) return ref.replace(/^(hf:|huggingface:)/i, "");
  if (/^https?:\/\//i.test(ref)) return ref.split(/[?#]/)[0]!.split("/").pop() || ref;
  return ref.split(/[\\/]/).pop() || ref;
}
