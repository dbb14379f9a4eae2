/**
 * A model file's fingerprint: SHA-256 of its size and three 1 MiB samples (start, middle, end).
 * The start holds a GGUF's whole header (architecture, tokenizer, tensor table), so two models
 * that differ get different fingerprints, while a 2 GB file is read in milliseconds: cheap
 * enough to check a router or a calibration file against the loaded student on every load.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

const SAMPLE = 1 << 20;

export async function modelFingerprint(path: string): Promise<string> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const hash = createHash("sha256").update(`gguf-sample-v1:${size}:`);
    for (const at of new Set([0, Math.max(0, Math.floor(size / 2) - SAMPLE / 2), Math.max(0, size - SAMPLE)])) {
      const buffer = Buffer.alloc(Math.min(SAMPLE, size - at));
      await file.read(buffer, 0, buffer.length, at);
      hash.update(buffer);
    }
    return hash.digest("hex").slice(0, 16);
  } finally {
    await file.close();
  }
}
