/** Model files: a local path, or an `hf:` URI / URL downloaded once into a models folder. */
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { RelayError, errorMessage, isAbortError } from "../core/errors.js";
import { nodeLlamaCpp } from "./llama.js";

export interface ResolveOptions {
  /** Where downloads go (default ~/.cache/relay/models). */
  modelsDir?: string;
  onProgress?: (progress: { downloadedBytes: number; totalBytes: number }) => void;
  signal?: AbortSignal;
}

export function isRemoteModel(ref: string): boolean {
  return /^(hf:|huggingface:|https?:\/\/)/i.test(ref);
}

export function defaultModelsDir(): string {
  return join(homedir(), ".cache", "relay", "models");
}

/**
 * The local file of a remote model downloaded before, or undefined: looks in the models folder
 * only and never goes online.
 */
export async function findDownloaded(ref: string, modelsDir = defaultModelsDir()): Promise<string | undefined> {
  if (!isRemoteModel(ref)) return undefined;
  const { resolveModelFile } = await nodeLlamaCpp();
  try {
    return await resolveModelFile(ref, { directory: modelsDir, cli: false, download: false });
  } catch {
    return undefined;
  }
}

/** Resolves a model reference to a local GGUF file, downloading it when it is remote. */
export async function resolveModel(ref: string, options: ResolveOptions = {}): Promise<string> {
  if (!isRemoteModel(ref)) {
    const path = resolve(ref.replace(/^~(?=$|\/)/, homedir()));
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new RelayError("model-not-found", `Model file not found: ${path}`);
    }
    return path;
  }
  const { resolveModelFile } = await nodeLlamaCpp();
  try {
    return await resolveModelFile(ref, {
      directory: options.modelsDir ?? defaultModelsDir(),
      cli: false,
      signal: options.signal,
      onProgress: options.onProgress
        ? ({ downloadedSize, totalSize }) => options.onProgress?.({ downloadedBytes: downloadedSize, totalBytes: totalSize })
        : undefined,
    });
  } catch (error) {
    if (isAbortError(error) || options.signal?.aborted) throw new RelayError("aborted", "The model download was cancelled.", { cause: error });
    throw new RelayError("model-download-failed", `Could not download ${ref}: ${errorMessage(error)}`, { cause: error });
  }
}
