/**
 * Loads a GGUF model and turns node-llama-cpp's failures into typed, actionable errors.
 * `loadLlamaModel` is the one loading sequence (file, runtime, model, context, chat format) of
 * the student and the local teacher, and `releaseLlamaModel` its one cleanup path: a load that
 * fails part-way and a model that is unloaded both go through it.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import type { ChatWrapper, LlamaContext, LlamaContextOptions, LlamaModel } from "node-llama-cpp";
import { DEFAULT_MODEL_CONTEXT } from "../core/defaults.js";
import { RelayError, errorMessage } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { resolveWrapper, templateRefused } from "./chatFormat.js";
import { JinjaLimitError } from "./jinjaSandbox.js";
import { getSharedLlama, nodeLlamaCpp, type GpuSetting, type LlamaHandle } from "./llama.js";
import { resolveModel, type ResolveOptions } from "./modelFile.js";

const GGUF_MAGIC = "GGUF";
/** What llama.cpp and node-llama-cpp say when memory runs out (their errors carry no type). */
const OUT_OF_MEMORY = /memory|\bV?RAM\b|failed to allocate|alloc(ation)? failed|cannot allocate/i;

/** The fewest bytes one header entry can take: a tensor's info, a key/value pair. */
const MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 8 + 4 + 8; // name length, name, n_dims, one dim, type, offset
const MIN_KV_BYTES = 8 + 1 + 4 + 1; // key length, key, value type, a one-byte value

/**
 * Cheap check before handing a file to llama.cpp (which can abort the process on garbage) or to
 * a header reader (which would loop over a claimed 2^40 tensors): magic, version, and counts
 * that the file's size can hold.
 */
export function assertGguf(path: string): void {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(24);
    const read = readSync(fd, head, 0, 24, 0);
    if (read < 24 || head.toString("latin1", 0, 4) !== GGUF_MAGIC) {
      throw new RelayError("model-corrupt", `Not a GGUF model file (bad header): ${path}`);
    }
    const version = head.readUInt32LE(4);
    if (version < 2 || version > 3) throw new RelayError("model-corrupt", `Unsupported GGUF version ${version} (2 and 3 are known): ${path}`);
    const tensors = head.readBigUInt64LE(8);
    const kvs = head.readBigUInt64LE(16);
    const size = BigInt(fstatSync(fd).size);
    const least = 24n + tensors * BigInt(MIN_TENSOR_INFO_BYTES) + kvs * BigInt(MIN_KV_BYTES);
    if (least > size) {
      throw new RelayError("model-corrupt", `The model file is corrupt: its header claims ${tensors} tensors and ${kvs} metadata entries, which cannot fit in its ${size} bytes: ${path}`);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Parses the GGUF header and tensor table (node-llama-cpp's own reader) and checks that every
 * tensor starts inside the file: a truncated download fails here with a clear message.
 */
export async function checkGgufIntegrity(path: string): Promise<void> {
  assertGguf(path);
  const { readGgufFileInfo } = await nodeLlamaCpp();
  let lastOffset = 0;
  try {
    const info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
    for (const t of info.fullTensorInfo ?? info.tensorInfo ?? []) lastOffset = Math.max(lastOffset, Number(t.fileOffset));
  } catch (error) {
    throw new RelayError("model-corrupt", `The model file is corrupt (unreadable GGUF header): ${path} (${errorMessage(error)})`, { cause: error });
  }
  if (lastOffset >= statSync(path).size) {
    throw new RelayError("model-corrupt", `The model file is truncated (tensor data past the end of the file): ${path}`);
  }
}

export interface LlamaLoadOptions extends ResolveOptions {
  /** A GGUF path, an `hf:` URI or a URL. */
  model: string;
  gpu?: GpuSetting;
  /** Explicit CPU threads (> 0); absent or 0: the runtime's default ceiling. */
  threads?: number;
  /** Tokens per sequence (default: the product default, src/core/defaults.ts). */
  contextSize?: number;
  sequences: number;
  /** Thinking models: false asks the chat template for its no-think form. */
  thinking: boolean;
  logger?: Logger;
}

/** A model in memory with its context and chat format: what the student and the local teacher run on. */
export interface LoadedLlamaModel {
  readonly handle: LlamaHandle;
  /** The resolved GGUF file. */
  readonly path: string;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly chatWrapper: ChatWrapper;
}

/**
 * Resolves (downloads) the file, loads it on the shared runtime, creates its context and
 * resolves its chat format. Whatever step fails, what was loaded before it is released
 * (releaseLlamaModel) and the failure comes back as a RelayError.
 */
export async function loadLlamaModel(options: LlamaLoadOptions): Promise<LoadedLlamaModel> {
  const path = await resolveModel(options.model, options);
  const handle = await getSharedLlama({ gpu: options.gpu, threads: options.threads, logger: options.logger });
  // A student's thread governor may have lowered the shared cap: a context's ideal thread
  // count is taken against it, so the ceiling is restored first (the governor's cap still
  // applies per answer).
  handle.llama.maxThreads = handle.threads;
  const model = await loadGgufModel(handle, path, { signal: options.signal });
  const context = await createContextOrRelease(model, path, {
    contextSize: options.contextSize ?? DEFAULT_MODEL_CONTEXT.contextSize,
    sequences: options.sequences,
    threads: handle.threads,
  }, options.signal);
  try {
    const chatWrapper = await resolveWrapper(model, { thinking: options.thinking }).catch((error: unknown) => {
      if (error instanceof JinjaLimitError) throw templateRefused(path, error.reason, error);
      if (error instanceof RelayError) throw error;
      throw new RelayError("model-load-failed", `Could not resolve the chat format of ${path} (its chat template or metadata is malformed): ${errorMessage(error)}`, { cause: error });
    });
    return { handle, path, model, context, chatWrapper };
  } catch (error) {
    await releaseLlamaModel({ model, context });
    throw error;
  }
}

/**
 * The one cleanup path of a loaded model: its context (when it has one), then the model.
 * Both are attempted even when the first fails; the first failure is thrown after.
 */
export async function releaseLlamaModel(loaded: { model: LlamaModel; context?: LlamaContext }): Promise<void> {
  const results = await Promise.allSettled([loaded.context?.dispose()]);
  results.push(...(await Promise.allSettled([loaded.model.dispose()])));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

export async function loadGgufModel(handle: LlamaHandle, path: string, options: { gpuLayers?: "auto" | number; signal?: AbortSignal } = {}): Promise<LlamaModel> {
  await checkGgufIntegrity(path);
  try {
    return await handle.llama.loadModel({ modelPath: path, gpuLayers: handle.gpu ? (options.gpuLayers ?? "auto") : 0, loadSignal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw new RelayError("aborted", `Loading ${path} was cancelled.`, { cause: error });
    throw classifyLoadError(path, error);
  }
}

export function classifyLoadError(path: string, error: unknown): RelayError {
  if (error instanceof RelayError) return error;
  const message = errorMessage(error);
  if (OUT_OF_MEMORY.test(message)) {
    return new RelayError("model-out-of-memory", `Not enough memory to load ${path}: ${message}`, { cause: error });
  }
  // llama.cpp says only "Failed to load model" for data cut mid-tensor or an unknown architecture.
  if (/failed to load model|gguf|magic|tensor|corrupt|invalid|unexpected end|out of range|offset|read/i.test(message)) {
    return new RelayError("model-corrupt", `The model file is corrupt, truncated or not a supported GGUF: ${path} (${message})`, { cause: error });
  }
  return new RelayError("model-load-failed", `Could not load ${path}: ${message}`, { cause: error });
}

/**
 * Creates a context for a loaded model. When that fails the model is released (it would leak
 * otherwise) and the failure is classified: a memory shortage says so, anything else is
 * reported as what it is, not as out-of-memory.
 */
export async function createContextOrRelease(model: LlamaModel, path: string, options: LlamaContextOptions, signal?: AbortSignal): Promise<LlamaContext> {
  try {
    return await model.createContext({ ...options, createSignal: signal });
  } catch (error) {
    await releaseLlamaModel({ model }).catch(() => {});
    if (signal?.aborted) throw new RelayError("aborted", `Loading ${path} was cancelled.`, { cause: error });
    const { InsufficientMemoryError } = await nodeLlamaCpp();
    throw classifyContextError(path, error, error instanceof InsufficientMemoryError);
  }
}

/** `outOfMemory`: node-llama-cpp said so with its InsufficientMemoryError ("… too large for the available RAM"). */
export function classifyContextError(path: string, error: unknown, outOfMemory = false): RelayError {
  if (error instanceof RelayError) return error;
  const message = errorMessage(error);
  if (outOfMemory || OUT_OF_MEMORY.test(message)) {
    return new RelayError("model-out-of-memory", `Not enough memory for a context of this size for ${path}: ${message}`, { cause: error });
  }
  return new RelayError("model-context-failed", `Could not create a context for ${path}: ${message}`, { cause: error });
}
