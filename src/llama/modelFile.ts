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
  /** A download that receives nothing for this long fails (default 30 s). */
  stallMs?: number;
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
  const signal = options.signal;
  if (signal?.aborted) throw cancelled();
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  // Our own controller: node-llama-cpp's probe of the file (before any byte) ignores the signal and
  // retries a 5xx answer for minutes, so cancelling and a stalled host are settled here.
  let settle: ((error: RelayError) => void) | undefined;
  const stopped = new Promise<never>((_, reject) => (settle = reject));
  const onAbort = () => settle?.(cancelled());
  signal?.addEventListener("abort", onAbort, { once: true });
  const inner = new AbortController();
  let received = -1;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      inner.abort();
      settle?.(new RelayError("model-download-failed", `Could not download ${ref}: the model host sent nothing for ${Math.round(stallMs / 1000)} s (it may be down or answering with errors).`));
    }, stallMs);
  };
  arm();
  signal?.addEventListener("abort", () => inner.abort(), { once: true });
  try {
    const download = resolveModelFile(ref, {
      directory: options.modelsDir ?? defaultModelsDir(),
      cli: false,
      signal: inner.signal,
      onProgress: ({ downloadedSize, totalSize }) => {
        if (downloadedSize !== received) {
          received = downloadedSize;
          arm();
        }
        options.onProgress?.({ downloadedBytes: downloadedSize, totalBytes: totalSize });
      },
    });
    download.catch(() => {}); // settled by the race below, or abandoned after a cancel
    const path = await Promise.race([download, stopped]);
    // A cancelled download resolves with the path of a file that was never written.
    if (inner.signal.aborted) throw signal?.aborted ? cancelled() : await stopped.catch((e: unknown) => e);
    if (!existsSync(path) || !statSync(path).isFile()) throw new RelayError("model-download-failed", `Could not download ${ref}: the download ended without the file.`);
    return path;
  } catch (error) {
    if (error instanceof RelayError) throw error;
    if (isAbortError(error) || signal?.aborted) throw cancelled(error);
    throw new RelayError("model-download-failed", `Could not download ${ref}: ${errorMessage(error)}`, { cause: error });
  } finally {
    clearTimeout(watchdog);
    signal?.removeEventListener("abort", onAbort);
    settle = undefined;
  }
}

/** How long a download may go without a new byte before it counts as failed. */
const DEFAULT_STALL_MS = 30_000;

function cancelled(cause?: unknown): RelayError {
  return new RelayError("aborted", "The model download was cancelled.", { cause });
}
