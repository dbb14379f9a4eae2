/** Loads a GGUF model and turns node-llama-cpp's failures into typed, actionable errors. */
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import type { LlamaContext, LlamaContextOptions, LlamaModel } from "node-llama-cpp";
import { RelayError, errorMessage } from "../core/errors.js";
import { nodeLlamaCpp, type LlamaHandle } from "./llama.js";

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
    await model.dispose().catch(() => {});
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
